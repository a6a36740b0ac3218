"""Delivery jobs: send a batch of deliveries, and the sweeper that finds lost work."""

from __future__ import annotations

import logging

from app.extensions import db
from app.outbound import dispatch
from app.queue import SEND_JOB, enqueue, enqueue_follow_ups
from app.runtime import delivery_settings

log = logging.getLogger(__name__)
#: Deliveries per job: one job pays the queue's overhead for many requests.
BATCH = 20


def send_deliveries(delivery_ids: list[int]) -> None:
    """One attempt for each delivery that is due and not held by another worker; then
    for the later revisions each settled one was holding back, in turn."""
    settings = delivery_settings()
    for start in range(0, len(delivery_ids), BATCH):
        chunk = delivery_ids[start : start + BATCH]
        while chunk:
            try:
                states = dispatch.send_many(chunk, settings)
                chunk = dispatch.released_by(
                    [id_ for id_, state in states.items() if state not in dispatch.RETRYING_STATES]
                )
            except Exception:
                db.session.rollback()
                log.exception("deliveries %s: the attempts could not be made", chunk)
                break


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
