"""Delivery jobs: send a batch of deliveries, and the sweeper that finds lost work."""

from __future__ import annotations

import logging

from app.extensions import db
from app.outbound import dispatch
from app.queue import CONVERSIONS_JOB, SEND_JOB, enqueue
from app.runtime import delivery_settings

log = logging.getLogger(__name__)
#: Deliveries per job: one job pays the queue's overhead for many requests.
BATCH = 20


def send_deliveries(delivery_ids: list[int]) -> None:
    """One attempt for each delivery that is due and not held by another worker."""
    settings = delivery_settings()
    for start in range(0, len(delivery_ids), BATCH):
        chunk = delivery_ids[start : start + BATCH]
        try:
            dispatch.send_many(chunk, settings)
        except Exception:
            db.session.rollback()
            log.exception("deliveries %s: the attempts could not be made", chunk)


def sweep() -> dict[str, int]:
    """Re-enqueue deliveries that are due or whose worker died, and plan conversions
    whose planning job was lost. Safe to run anywhere, any number of times: sending
    claims a lease, planning is idempotent."""
    now = delivery_settings().now()
    due = dispatch.due(now)
    for start in range(0, len(due), BATCH):
        enqueue(SEND_JOB, due[start : start + BATCH])
    unplanned = dispatch.unplanned(now)
    for start in range(0, len(unplanned), BATCH):
        enqueue(CONVERSIONS_JOB, [(i, "swept") for i in unplanned[start : start + BATCH]])
    if due or unplanned:
        log.info("sweeper: %d deliveries due, %d conversions to plan", len(due), len(unplanned))
    return {"due": len(due), "unplanned": len(unplanned)}
