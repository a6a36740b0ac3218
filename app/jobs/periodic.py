"""What the elected periodic loop does each round (see ``app.outbound.sweeper``)."""

from __future__ import annotations

import logging

from app.extensions import db
from app.jobs import deliveries, keitaro, stats

log = logging.getLogger(__name__)


def tick() -> None:
    """Each task on its own: one failing leaves the others running."""
    for task in (deliveries.sweep, keitaro.schedule, stats.schedule):
        try:
            task()
        except Exception:
            db.session.rollback()
            log.exception("periodic: %s failed this round", task.__qualname__)
