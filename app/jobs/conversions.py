"""Work that follows a stored conversion: plan its deliveries and make the first attempt."""

from __future__ import annotations

import logging

from app.jobs.deliveries import send_deliveries
from app.outbound import dispatch
from app.runtime import delivery_settings

log = logging.getLogger(__name__)


def conversion_recorded(conversion_id: int, kind: str) -> None:
    """Runs for every accepted conversion, status change and re-map (``kind``).

    The deliveries are planned in the database first, so losing this job loses
    nothing: the sweeper plans what is left unplanned.
    """
    settings = delivery_settings()
    created = dispatch.plan(conversion_id, settings.now())
    log.debug("conversion %s (%s): %d deliveries planned", conversion_id, kind, len(created))
    if created:
        send_deliveries(created)
