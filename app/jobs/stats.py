"""Keeping the stats rollups fresh and pruning old click rows.

``schedule()`` runs on every round of the elected periodic loop (``app.jobs.periodic``):
it rolls up the hours that changed, and once an hour enqueues the pruning job, reserving
the slot by compare-and-set so several schedulers enqueue it once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, update

from app.extensions import conflict_insert, db
from app.models import StatsState
from app.models.types import utcnow
from app.queue import enqueue
from app.services import rollups

log = logging.getLogger(__name__)
PRUNE_JOB = "app.jobs.stats.prune_clicks"
NEXT_PRUNE = "retention_next_at"
PRUNE_EVERY = timedelta(hours=1)


def schedule() -> dict[str, int]:
    rolled = rollups.roll_up()
    queued = 0
    if current_app.config["PBHUB_CLICK_RETENTION_DAYS"] and _reserve(utcnow()):
        enqueue(PRUNE_JOB)
        queued = 1
    return {"hours_rolled_up": rolled, "prune_queued": queued}


def _reserve(now: datetime) -> bool:
    db.session.execute(
        conflict_insert(StatsState.__table__).values(name=NEXT_PRUNE).on_conflict_do_nothing()
    )
    won = db.session.execute(
        update(StatsState)
        .where(
            StatsState.name == NEXT_PRUNE,
            or_(StatsState.value.is_(None), StatsState.value <= now),
        )
        .values(value=now + PRUNE_EVERY)
    ).rowcount
    db.session.commit()
    return bool(won)


def prune_clicks() -> int | None:
    """One pruning run; the clicks deleted (None when refused)."""
    days = current_app.config["PBHUB_CLICK_RETENTION_DAYS"]
    if not days:
        return None
    try:
        result = rollups.prune_clicks(days, pause=0.05)
    except rollups.RetentionRefused as exc:
        log.error("retention: not pruning clicks: %s; raise PBHUB_CLICK_RETENTION_DAYS", exc)
        return None
    if result.clicks:
        log.info(
            "retention: pruned %d clicks older than %s in %d batches%s",
            result.clicks,
            result.cutoff.isoformat(),
            result.batches,
            "" if result.finished else "; more next run",
        )
    return result.clicks
