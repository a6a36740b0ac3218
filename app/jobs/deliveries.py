"""Delivery jobs: send a batch of deliveries, and the sweeper that finds lost work."""

from __future__ import annotations

import logging

from app.extensions import db
from app.outbound import dispatch
from app.queue import SEND_JOB, enqueue, enqueue_follow_ups
from app.runtime import delivery_engine, delivery_settings

log = logging.getLogger(__name__)
#: Deliveries per job: one job pays the queue's overhead for many deliveries.
BATCH = 50


def send_deliveries(delivery_ids: list[int]) -> None:
    """Hand these deliveries to this process's engine, which attempts each when due and
    its receiver has room; the job itself never waits for a receiver."""
    delivery_engine().submit(delivery_ids)


def attempt_now(delivery_ids: list[int], timeout: float = 120.0) -> None:
    """Attempt these deliveries in this process and wait for the answers (the CLI's
    replays), so what the caller reads next is what happened."""
    engine = delivery_engine()
    engine.submit(delivery_ids)
    engine.join(timeout)
    db.session.expire_all()


def enqueue_sends(delivery_ids: list[int]) -> None:
    """Queue attempts for these deliveries, ``BATCH`` to a job."""
    for start in range(0, len(delivery_ids), BATCH):
        enqueue(SEND_JOB, delivery_ids[start : start + BATCH])


def sweep() -> dict[str, int]:
    """Re-enqueue deliveries that are due or whose worker died, and plan the revisions
    whose planning job was lost. Safe to run anywhere, any number of times: sending
    claims a lease, planning is idempotent."""
    now = delivery_settings().now()
    due = dispatch.due(now)
    enqueue_sends(due)
    unplanned = dispatch.unplanned(now)
    enqueue_follow_ups((conversion_id, "swept") for conversion_id in unplanned)
    if due or unplanned:
        log.info("sweeper: %d deliveries due, %d conversions to plan", len(due), len(unplanned))
    return {"due": len(due), "unplanned": len(unplanned)}
