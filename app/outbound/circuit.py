"""Each receiver's circuit: a receiver that keeps failing is paused as a whole.

Without it, a receiver that never answers would take a worker's attempts one timeout
after another, and every delivery to it would burn its retries on an outage. So, as
Convoy and Svix do per endpoint, the hub watches each outbound postback's attempts:

* **closed**: deliveries go as usual. ``FAILURES_TO_OPEN`` failed attempts in a row
  (no answer within the deadline, a refused connection, 5xx, 408, 429) open it.
* **open**: no delivery to it is attempted (none spends a retry) until
  ``circuit_next_probe_at``: a pause of ``FIRST_PAUSE``, doubled each time a probe fails,
  up to ``LONGEST_PAUSE``.
* **half_open**: one delivery goes as the probe. An answer closes the circuit and the
  held deliveries flow again; no answer opens it for a longer pause.

A 4xx answer counts as an answer: the receiver is up, the request was refused, and the
delivery's own outcome says so. The state lives in the database, so every worker sees the
same circuit; each transition is one conditional UPDATE, safe with workers racing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, or_, update

from app.extensions import db
from app.models import OutboundPostback

FAILURES_TO_OPEN = 5
FIRST_PAUSE = timedelta(seconds=30)
LONGEST_PAUSE = timedelta(minutes=10)
#: How long a probe holds the half-open circuit before another worker may probe (its
#: worker died): the probe's deadline plus this.
PROBE_MARGIN = timedelta(seconds=30)

POSTBACKS = OutboundPostback.__table__


def failed(result: str, error: str | None) -> bool | None:
    """Whether an attempt counts against the receiver (``True``), for it (``False``), or
    not at all (``None``: refused before sending, so the receiver was never asked)."""
    if error is not None and error.startswith("refused:"):
        return None
    return result == "retry"


def pause(trips: int) -> timedelta:
    """How long the circuit stays open after opening for the ``trips``-th time in a row."""
    return min(FIRST_PAUSE * 2 ** max(trips - 1, 0), LONGEST_PAUSE)


def lets_through(now: datetime) -> ColumnElement[bool]:
    """Outbound postbacks whose deliveries may be attempted now: closed, or due a probe."""
    return or_(
        OutboundPostback.circuit_state == "closed",
        OutboundPostback.circuit_next_probe_at <= now,
    )


def record(postback: OutboundPostback, outcomes: Iterable[bool], now: datetime) -> None:
    """Count a receiver's settled attempts, in the order they ended (``True`` = failed):
    an answer closes the circuit, failures open it. Runs in the caller's transaction;
    ``postback`` is the row as this transaction read it (a healthy receiver's answers
    then cost no statement at all)."""
    outcomes = list(outcomes)
    if not outcomes:
        return
    answered = [i for i, bad in enumerate(outcomes) if not bad]
    tail = len(outcomes) - (answered[-1] + 1) if answered else len(outcomes)
    if tail == 0 and postback.circuit_state == "closed" and not postback.circuit_failures:
        return
    postback_id = postback.id
    row = POSTBACKS.c
    if answered:
        db.session.execute(
            update(POSTBACKS)
            .where(row.id == postback_id)
            .values(
                circuit_state="closed",
                circuit_failures=tail,
                circuit_trips=0,
                circuit_opened_at=None,
                circuit_next_probe_at=None,
            )
        )
    else:
        db.session.execute(
            update(POSTBACKS)
            .where(row.id == postback_id)
            .values(circuit_failures=row.circuit_failures + tail)
        )
    too_many = and_(row.circuit_state == "closed", row.circuit_failures >= FAILURES_TO_OPEN)
    # A failed probe, or enough failures in a row: open (again) for a longer pause.
    opened = db.session.execute(
        update(POSTBACKS)
        .where(
            row.id == postback_id,
            too_many if answered else or_(row.circuit_state == "half_open", too_many),
        )
        .values(
            circuit_state="open",
            circuit_trips=row.circuit_trips + 1,
            circuit_opened_at=case(
                (row.circuit_opened_at.is_(None), now), else_=row.circuit_opened_at
            ),
        )
        .returning(row.circuit_trips)
    ).scalar()
    if opened is not None:
        db.session.execute(
            update(POSTBACKS)
            .where(row.id == postback_id)
            .values(circuit_next_probe_at=now + pause(opened))
        )


def take_probe(postback_id: int, now: datetime, holds_for: timedelta) -> bool:
    """Claim the one probe of an open circuit whose pause is over (one worker wins)."""
    row = POSTBACKS.c
    taken = db.session.execute(
        update(POSTBACKS)
        .where(
            row.id == postback_id,
            row.circuit_state.in_(("open", "half_open")),
            row.circuit_next_probe_at <= now,
        )
        .values(circuit_state="half_open", circuit_next_probe_at=now + holds_for + PROBE_MARGIN)
    )
    return taken.rowcount == 1


def give_back_probe(postback_id: int, now: datetime) -> None:
    """Nothing was there to probe with: the next worker with a delivery may probe now."""
    row = POSTBACKS.c
    db.session.execute(
        update(POSTBACKS)
        .where(row.id == postback_id, row.circuit_state == "half_open")
        .values(circuit_state="open", circuit_next_probe_at=now)
    )


def reset(postback: OutboundPostback) -> None:
    """Close the circuit by hand (the operator knows the receiver is back)."""
    postback.circuit_state = "closed"
    postback.circuit_failures = 0
    postback.circuit_trips = 0
    postback.circuit_opened_at = None
    postback.circuit_next_probe_at = None


def describe(postback: OutboundPostback, now: datetime) -> str:
    """One line for the CLI: ``closed``, or since when it is open and when it probes."""
    state = postback.circuit_state
    if state == "closed":
        failures = postback.circuit_failures or 0
        return f"closed ({failures} failed in a row)" if failures else "closed"
    since = postback.circuit_opened_at
    probe = postback.circuit_next_probe_at
    opened = f"open since {since:%Y-%m-%d %H:%M:%S} UTC" if since else "open"
    if state == "half_open":
        return f"{opened}, probing now"
    if probe is None or probe <= now:
        return f"{opened}, probing with the next delivery due"
    return f"{opened}, next probe {probe:%H:%M:%S} UTC (in {_span(probe - now)})"


def _span(delta: timedelta) -> str:
    seconds = max(int(delta.total_seconds()), 1)
    return f"{seconds} s" if seconds < 120 else f"{round(seconds / 60)} min"
