"""Keitaro sync jobs and their scheduling.

``schedule()`` runs on every round of the elected periodic loop (``app.jobs.periodic``):
for each connection whose next run is due it moves the next run time forward by
compare-and-set and, if it won, enqueues the job. Several schedulers on several hosts
therefore enqueue each slot once, and the import lease stops two imports of one
connection overlapping even if a slow one outlives its slot.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import TypeVar

from flask import current_app
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError

from app.extensions import db
from app.keitaro.client import Keitaro
from app.keitaro.errors import KeitaroError
from app.models import KeitaroConnection
from app.models.types import utcnow
from app.queue import enqueue, enqueue_follow_ups
from app.runtime import keitaro_settings, keyring
from app.services import keitaro as connections
from app.services import keitaro_catalogue as catalogue
from app.services import keitaro_sync as sync

log = logging.getLogger(__name__)
IMPORT_JOB = "app.jobs.keitaro.import_clicks"
METADATA_JOB = "app.jobs.keitaro.refresh_metadata"
Result = TypeVar("Result")


def _until_removed(job: Callable[[int], Result | None]) -> Callable[[int], Result | None]:
    """A connection removed while its job waits on the tracker ends the job quietly:
    the outcome it would record has no row left to go on, and the work is moot. Anything
    else that goes wrong with the row still fails the job."""

    @wraps(job)
    def run(connection_id: int) -> Result | None:
        try:
            return job(connection_id)
        except (ObjectDeletedError, StaleDataError):
            db.session.rollback()
            if db.session.get(KeitaroConnection, connection_id) is not None:
                raise
            log.info("keitaro connection %s was removed during its job; stopped", connection_id)
            return None

    return run


def schedule() -> dict[str, int]:
    now = utcnow()
    config = current_app.config
    plans = (
        ("clicks_next_at", config["PBHUB_KEITARO_SYNC_SECONDS"], IMPORT_JOB),
        ("metadata_next_at", config["PBHUB_KEITARO_METADATA_SECONDS"], METADATA_JOB),
    )
    queued = {}
    for field, seconds, job in plans:
        queued[job] = 0
        for connection_id in sync.due_connections(now, field):
            if sync.reserve(connection_id, field, now, timedelta(seconds=seconds)):
                enqueue(job, connection_id)
                queued[job] += 1
    return queued


@_until_removed
def import_clicks(connection_id: int) -> int | None:
    """One import from the cursor; the number of clicks written (None if skipped)."""
    row = db.session.get(KeitaroConnection, connection_id)
    if row is None or not row.sync_enabled:
        return None
    config = current_app.config
    client = connections.client_for(row, keyring(), keitaro_settings())
    if not row.metadata_refreshed_at:
        _refresh(row, client)
    window = sync.import_window(
        row,
        utcnow(),
        overlap=timedelta(seconds=config["PBHUB_KEITARO_OVERLAP_SECONDS"]),
        backfill=timedelta(hours=config["PBHUB_KEITARO_BACKFILL_HOURS"]),
    )
    try:
        result = sync.import_clicks(row, client, window)
    except sync.Busy:
        log.info("keitaro %s: an import is already running; skipped", row.name)
    except sync.LeaseLost:
        log.warning("keitaro %s: another import took over; this one stopped", row.name)
    except KeitaroError as exc:
        log.warning("keitaro %s: click import failed: %s", row.name, exc.message)
    else:
        enqueue_follow_ups((conversion_id, "matched late") for conversion_id in result.rematched)
        return result.rows
    return None


@_until_removed
def refresh_metadata(connection_id: int) -> dict[str, int] | None:
    row = db.session.get(KeitaroConnection, connection_id)
    if row is None:
        return None
    client = connections.client_for(row, keyring(), keitaro_settings())
    return _refresh(row, client)


def _refresh(row: KeitaroConnection, client: Keitaro) -> dict[str, int] | None:
    try:
        return catalogue.refresh_metadata(row, client, utcnow())
    except KeitaroError as exc:
        log.warning("keitaro %s: catalogue refresh failed: %s", row.name, exc.message)
        return None
