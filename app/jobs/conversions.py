"""Work that follows a stored conversion: plan its deliveries and make the first attempt."""

from __future__ import annotations

import logging

from app.jobs.deliveries import send_deliveries
from app.outbound import dispatch
from app.runtime import delivery_settings

log = logging.getLogger(__name__)


def conversion_recorded(conversion_id: int, kind: str) -> None:
    """Runs for every accepted conversion, status change and re-map (``kind``) when jobs
    run in the web process; with Redis they travel in batches (``conversions_recorded``).

    The deliveries are planned in the database first, so losing this job loses
    nothing: the sweeper plans what is left unplanned.
    """
    conversions_recorded([(conversion_id, kind)])


def conversions_recorded(items: list[tuple[int, str]]) -> None:
    """Many follow-ups in one job (how the Redis queue sends them): plan them in one
    transaction, then make the first attempts."""
    settings = delivery_settings()
    created = dispatch.plan_many([conversion_id for conversion_id, _ in items], settings.now())
    for conversion_id, kind in items:
        log.debug("conversion %s (%s) planned", conversion_id, kind)
    if created:
        send_deliveries(created)
