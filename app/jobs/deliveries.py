"""Delivery jobs: send a batch of deliveries, and the sweeper that finds lost work."""

from __future__ import annotations

import logging

from app.extensions import db
from app.outbound import dispatch
from app.queue import PLAN_JOB, SEND_JOB, enqueue
from app.runtime import delivery_settings

log = logging.getLogger(__name__)
#: Deliveries per job: one job pays the queue's overhead for many requests.
BATCH = 20


def send_deliveries(delivery_ids: list[int]) -> None:
    """One attempt for each delivery that is due and not held by another worker."""
    settings = delivery_settings()
    for delivery_id in delivery_ids:
        try:
            dispatch.send(delivery_id, settings)
        except Exception:
            db.session.rollback()
            log.exception("delivery %s: the attempt could not be made", delivery_id)


def sweep() -> dict[str, int]:
    """Re-enqueue deliveries that are due or whose worker died, and plan conversions
    whose planning job was lost. Safe to run anywhere, any number of times: sending
    claims a lease, planning is idempotent."""
    now = delivery_settings().now()
    due = dispatch.due(now)
    for start in range(0, len(due), BATCH):
        enqueue(SEND_JOB, due[start : start + BATCH])
    unplanned = dispatch.unplanned(now)
    for conversion_id in unplanned:
        enqueue(PLAN_JOB, conversion_id, "swept")
    if due or unplanned:
        log.info("sweeper: %d deliveries due, %d conversions to plan", len(due), len(unplanned))
    return {"due": len(due), "unplanned": len(unplanned)}
