"""Plan deliveries and send them, at least once and never twice at the same time.

* **Planning** turns every revision of a conversion above its ``planned_revision``
  (a new conversion, a status change, a re-map) into ``deliveries`` rows, one per
  matching outbound postback, each revision with the status the history recorded for it
  (``app.outbound.revisions``). In the same transaction it moves ``planned_revision`` up
  and clears the ``dispatch_pending`` flag, only if the conversion's revision is still
  the one planned (compare-and-set). A lost job leaves the flag set, and the sweeper
  plans what is owed, however many revisions arrived meanwhile; the unique (conversion,
  postback, revision) key makes planning twice harmless.
* **Sending** first claims the delivery with a lease (one UPDATE that succeeds for one
  worker only), makes the request, records the attempt and decides what comes next. A
  worker killed mid-send leaves the lease to expire; the sweeper then hands the
  delivery to another worker. Receivers deduplicate on ``webhook-id``. A delivery
  renders its own revision, not the conversion's latest, and waits while an earlier
  revision to the same postback is still to be sent: the receiver sees pending, then
  approved, never the other way round. The one that waited goes as soon as the earlier
  one settles.

The clock is injected (``now``), so retry schedules are tested without sleeping.
"""

from __future__ import annotations

import http.client
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Update,
    and_,
    exists,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.orm import aliased
from urllib3.exceptions import HTTPError

from app.core.keys import Keyring
from app.extensions import conflict_insert, db
from app.models import Conversion, Delivery, DeliveryAttempt, OutboundPostback
from app.outbound import circuit, revisions, rules, signing
from app.outbound import http as outbound_http
from app.outbound.ssrf import Allowed, Refused, Resolver, Unresolvable, default_resolver

log = logging.getLogger(__name__)
DELIVERIES = Delivery.__table__
#: How long a claimed delivery is a worker's beyond its attempt's deadline: for recording
#: the answer. A worker that dies mid-send delays that delivery by at most the lease.
LEASE_MARGIN = timedelta(seconds=30)
#: How long planning may wait in the queue before the sweeper takes it for lost: longer
#: than a busy queue's backlog, or the sweeper would pile copies of queued work on top.
PLAN_GRACE = timedelta(minutes=2)
#: How long a planned first attempt may wait before the sweeper hands it out again: send
#: jobs only hand ids to an engine, so one that waits this long waits in the memory of
#: a worker that died (or in a full line); claiming keeps a second hand-out harmless.
FIRST_ATTEMPT_GRACE = timedelta(seconds=30)
RETRYING_STATES = ("pending", "retrying")


@dataclass(frozen=True)
class Settings:
    keyring: Keyring
    allowed: Allowed
    now: Callable[[], datetime]
    #: Seconds any one attempt may take in all (``PBHUB_OUTBOUND_DEADLINE``).
    deadline: float = 10.0
    #: How host names are resolved (tests answer for made-up names).
    resolve: Resolver = default_resolver

    @property
    def sender(self) -> outbound_http.Sender:
        """The pinned sender for ``allowed`` and ``resolve`` (one per pair, shared by
        threads): it checks each URL on the one resolution it connects with, so the
        allow-list and what is enforced can never disagree."""
        return outbound_http.shared_sender(self.allowed, self.resolve)


PLANNING_COLUMNS = (
    Conversion.id,
    Conversion.revision,
    Conversion.planned_revision,
    Conversion.status,
    Conversion.event_type,
    Conversion.attribution,
    Conversion.source_id,
    Conversion.country,
)


def _planned(pairs: list[tuple[int, int]]) -> Update:
    """Marks the revisions that were planned, up to each conversion's; a newer revision
    stays owed. One statement for the batch: each statement runs the stats triggers once."""
    table = Conversion.__table__
    return (
        update(table)
        # The plain id list lets SQLite search by key; it scans for a row-value IN alone.
        .where(table.c.id.in_([id_ for id_, _ in pairs]))
        .where(tuple_(table.c.id, table.c.revision).in_(pairs))
        .values(dispatch_pending=False, planned_revision=table.c.revision)
    )


def plan_many(conversion_ids: list[int], now: datetime) -> list[int]:
    """Plan several conversions in one transaction (one read of the postbacks, one
    insert of all their deliveries); the ids of the deliveries created."""
    # Only what planning reads: the raw request (the largest column) stays unread.
    conversions = db.session.execute(
        select(*PLANNING_COLUMNS).where(
            Conversion.id.in_(conversion_ids), Conversion.dispatch_pending
        )
    ).all()
    if not conversions:
        return []
    postbacks = db.session.scalars(
        select(OutboundPostback).where(OutboundPostback.state == "active")
    ).all()
    # Only a conversion with more than one revision owed has history to read.
    changes = revisions.history([c.id for c in conversions if c.revision - c.planned_revision > 1])
    rows = [
        {
            "conversion_id": conversion.id,
            "outbound_postback_id": postback.id,
            "revision": revision,
            "message_id": signing.new_message_id(),
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for conversion in conversions
        for revision, status in revisions.to_plan(conversion, changes.get(conversion.id, ()))
        for postback in postbacks
        if rules.triggers(postback, conversion)
        and rules.remote_status(postback.status_map or {}, status, conversion.event_type)
        is not None
    ]
    created: list[int] = []
    if rows:
        statement = (
            conflict_insert(DELIVERIES)
            .on_conflict_do_nothing(
                index_elements=["conversion_id", "outbound_postback_id", "revision"]
            )
            .returning(DELIVERIES.c.id)
        )
        created = list(db.session.scalars(statement, rows))
    db.session.execute(_planned([(c.id, c.revision) for c in conversions]))
    db.session.commit()
    return created


def attempt_deadline(postback: Any, settings: Settings) -> float:
    """Seconds one attempt to this postback may take in all: its own timeout, within the
    hub's total deadline for any outbound call."""
    return min(postback.timeout_seconds, settings.deadline)


@dataclass(frozen=True)
class Receiver:
    """What a sender thread needs of an outbound postback, read before the session that
    loaded it closes (sender threads never touch the database)."""

    id: int
    timeout_seconds: float

    @classmethod
    def of(cls, postback: OutboundPostback) -> Receiver:
        return cls(postback.id, postback.timeout_seconds)


def _owed(state: Any) -> ColumnElement[bool]:
    """``state IN ('pending', 'retrying')``, written so that no index on the state can
    serve it (the column is never null: ``coalesce`` changes nothing else).

    Where the rows are found by key (the ids claimed, an earlier revision by the unique
    key), the states must not steer the plan: the statistics are taken while nearly
    every delivery is delivered, so the planner takes "owed" for a handful of rows, and
    during a backlog of thousands it scanned all of them for every delivery claimed
    (more than a second per claim, measured). Unindexable, the filter stays a filter.
    """
    return func.coalesce(state, "").in_(RETRYING_STATES)


def _waits_for_an_earlier_revision() -> ColumnElement[bool]:
    """Whether an earlier revision of the delivery's conversion is still to be sent to
    its postback: then it waits, so the receiver sees the steps in the order they came.
    Looked up on the unique (conversion, postback, revision) key."""
    earlier = aliased(Delivery)
    return exists().where(
        earlier.conversion_id == Delivery.conversion_id,
        earlier.outbound_postback_id == Delivery.outbound_postback_id,
        earlier.revision < Delivery.revision,
        _owed(earlier.state),
    )


@dataclass(frozen=True)
class Wanted:
    """What one receiver may take now: candidate ids (its line, oldest first), how many
    it has room for, and the seconds one attempt may take."""

    candidates: list[int]
    room: int
    deadline: float


def claim(wanted: dict[int, Wanted], now: datetime) -> tuple[dict[int, list[int]], list[int]]:
    """Lease, for each receiver, its first candidates up to its room, for one attempt
    each: those due, not held by another worker and not waiting for an earlier revision
    (``released_by`` says when that one is done). One statement and one commit for
    every receiver at once.

    Returns the claimed ids per receiver, and the ids asked for but not claimable now
    (the caller lets them go: the sweeper or ``released_by`` brings them back). One
    lease covers the longest deadline among the receivers and the time to record the
    answer; a worker that dies holding it delays the delivery by at most that long.
    """
    asked = [id_ for want in wanted.values() for id_ in want.candidates[: want.room]]
    if not asked:
        return {}, []
    longest = max(want.deadline for want in wanted.values())
    lease_until = now + timedelta(seconds=longest) + LEASE_MARGIN
    rows = db.session.execute(claiming(asked, now, lease_until)).all()
    db.session.commit()
    claimed: dict[int, list[int]] = {}
    for delivery_id, postback_id in sorted(rows):
        claimed.setdefault(postback_id, []).append(delivery_id)
    got = {delivery_id for delivery_id, _ in rows}
    return claimed, [id_ for id_ in asked if id_ not in got]


def claiming(ids: list[int], now: datetime, lease_until: datetime) -> Update:
    """The claim's one statement: leases those of ``ids`` that are claimable now."""
    return (
        update(Delivery)
        .where(Delivery.id.in_(ids), *_claimable(now))
        .values(lease_until=lease_until, attempts=Delivery.attempts + 1, updated_at=now)
        .returning(Delivery.id, Delivery.outbound_postback_id)
        .execution_options(synchronize_session=False)
    )


def _claimable(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Due, not leased, not waiting for an earlier revision: checked on the rows found
    by their ids (see ``_owed``). The caller checked in this round that the receivers
    are active: a join on them here would lead PostgreSQL to read every delivery of a
    receiver instead of the few ids by their key."""
    return (
        _owed(Delivery.state),
        Delivery.next_attempt_at <= now,
        or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
        ~_waits_for_an_earlier_revision(),
    )


def load(
    claimed: list[int], settings: Settings, now: datetime
) -> list[tuple[int, rules.Prepared, bool]]:
    """The request each claimed delivery makes (its own revision rendered, secrets in),
    and whether its conversion has a later revision (which may wait for this one)."""
    if not claimed:
        return []
    deliveries = db.session.scalars(select(Delivery).where(Delivery.id.in_(claimed))).all()
    conversions = {
        c.id: c
        for c in db.session.scalars(
            select(Conversion).where(Conversion.id.in_({d.conversion_id for d in deliveries}))
        )
    }
    # A delivery of an earlier revision than the conversion's renders what it said then.
    changes = revisions.history(
        {d.conversion_id for d in deliveries if d.revision < conversions[d.conversion_id].revision}
    )
    return [
        (
            d.id,
            _prepare(d, conversions[d.conversion_id], changes, settings, now),
            d.revision < conversions[d.conversion_id].revision,
        )
        for d in deliveries
    ]


def settle(
    results: list[tuple[int, rules.Prepared, datetime, tuple]],  # type: ignore[type-arg]
    now: datetime,
) -> dict[int, str]:
    """Record these attempts (delivery id, request, when it started, answer) in one
    transaction, move each delivery on, and count them in their receivers' circuits.
    Returns each delivery's new state."""
    deliveries = {
        d.id: d
        for d in db.session.scalars(
            select(Delivery).where(Delivery.id.in_([r[0] for r in results]))
        )
    }
    states: dict[int, str] = {}
    outcomes: dict[int, list[bool]] = {}
    receivers: dict[int, OutboundPostback] = {}
    for delivery_id, prepared, started_at, answer in results:
        delivery = deliveries.get(delivery_id)
        if delivery is None:  # deleted with its postback meanwhile
            continue
        receivers[delivery.outbound_postback_id] = delivery.outbound_postback
        result, error = _settle(delivery, prepared, answer, started_at, now)
        states[delivery_id] = delivery.state
        failed = circuit.failed(result, error)
        if failed is not None:
            outcomes.setdefault(delivery.outbound_postback_id, []).append(failed)
    db.session.flush()
    for postback_id, in_order in outcomes.items():
        circuit.record(receivers[postback_id], in_order, now)
    db.session.commit()
    return states


def released_by(settled: list[int]) -> list[int]:
    """The deliveries that were waiting for these settled ones (the next revision to the
    same postback) and may go now: sent straight after, not a sweep later."""
    if not settled:
        return []
    done = aliased(Delivery)
    return list(
        db.session.scalars(
            select(Delivery.id)
            .join(
                done,
                and_(
                    done.conversion_id == Delivery.conversion_id,
                    done.outbound_postback_id == Delivery.outbound_postback_id,
                    done.revision < Delivery.revision,
                ),
            )
            .where(
                done.id.in_(settled),
                _owed(Delivery.state),
                ~_waits_for_an_earlier_revision(),
            )
            .distinct()
            .order_by(Delivery.id)
        )
    )


def _prepare(
    delivery: Delivery,
    conversion: Conversion,
    changes: dict[int, revisions.Changes],
    settings: Settings,
    now: datetime,
) -> rules.Prepared:
    return rules.prepare(
        context_for(
            delivery.outbound_postback,
            revisions.as_of(conversion, delivery.revision, changes.get(conversion.id, ())),
            source_name=conversion.source.name,
            message_id=delivery.message_id,
            now=now,
            keyring=settings.keyring,
        )
    )


def context_for(
    postback: OutboundPostback,
    conversion: Any,
    *,
    source_name: str,
    message_id: str,
    now: datetime,
    keyring: Keyring,
) -> rules.Context:
    """One attempt's context, its secrets decrypted (a delivery's, or the test's).

    A secret that no longer decrypts (SECRET_KEY changed since it was saved) makes the
    attempt fail with that reason: an unsigned webhook or a keyless URL must not go out."""
    secrets = signing_secrets(postback, keyring, now)
    url_secret = (
        keyring.decrypt(postback.url_secret_ciphertext) if postback.url_secret_ciphertext else None
    )
    problem = None
    lost_signing = (
        postback.secret_ciphertext and keyring.decrypt(postback.secret_ciphertext) is None
    )
    if lost_signing or (postback.url_secret_ciphertext and url_secret is None):
        problem = (
            "a stored secret cannot be decrypted (SECRET_KEY changed since it was saved): "
            "rotate the postback's secret or set its key again"
        )
    return rules.Context(
        postback=postback,
        conversion=conversion,
        source_name=source_name,
        message_id=message_id,
        now=now,
        signing_secrets=secrets,
        url_secret=url_secret,
        problem=problem,
    )


def _settle(
    delivery: Delivery,
    prepared: rules.Prepared,
    answer: tuple,  # type: ignore[type-arg]
    started_at: datetime,
    now: datetime,
) -> tuple[str, str | None]:
    """Record the attempt and decide what comes next for the delivery: the attempt's
    outcome and error."""
    status_code, excerpt, error, retry_after, latency = answer
    refused = error is not None and error.startswith("refused:")
    # A target that is not allowed stays not allowed: retrying cannot help.
    result = "failed" if refused else rules.outcome(status_code)
    db.session.add(
        DeliveryAttempt(
            delivery_id=delivery.id,
            started_at=started_at,
            method=prepared.method,
            url=prepared.shown_url or prepared.url,
            status_code=status_code,
            latency_ms=latency,
            response_excerpt=excerpt,
            error=error,
            outcome=result,
        )
    )
    delivery.last_status_code, delivery.last_error = status_code, error
    postback = delivery.outbound_postback
    _advance(delivery, postback, result, now, rules.parse_retry_after(retry_after, now))
    return result, error


def signing_secrets(postback: OutboundPostback, keyring: Keyring, now: datetime) -> tuple[str, ...]:
    """The current secret, plus the previous one while its grace period lasts."""
    secrets = []
    if postback.secret_ciphertext:
        secrets.append(keyring.decrypt(postback.secret_ciphertext))
    if postback.previous_secret_ciphertext and (
        postback.previous_secret_until and postback.previous_secret_until > now
    ):
        secrets.append(keyring.decrypt(postback.previous_secret_ciphertext))
    return tuple(s for s in secrets if s)


def perform(prepared: rules.Prepared, postback: Any, settings: Settings):  # type: ignore[no-untyped-def]
    """Make one request: (status, first 2 KiB of the answer, error, Retry-After, latency
    in ms). Network trouble is returned, not raised: it is what the attempt records.

    The sender does the SSRF check, on the one resolution it connects with (a separate
    check would resolve the name twice: DNS rebinding). The request and reading the
    excerpt run inside the attempt's total deadline.
    """
    if prepared.problem:
        return None, None, f"refused: {prepared.problem}", None, None
    started = time.perf_counter()
    try:
        with outbound_http.deadline(attempt_deadline(postback, settings)):
            answer = settings.sender.send(
                prepared.method,
                prepared.url,
                headers=prepared.headers,
                body=prepared.body,
                timeout=postback.timeout_seconds,
                read_at_most=rules.EXCERPT_BYTES,
            )
    except Refused as exc:
        return None, None, f"refused: {exc}", None, None
    except (HTTPError, OSError, ValueError, Unresolvable, http.client.HTTPException) as exc:
        # A fired deadline is an OSError too: "DeadlineExceeded: no
        # complete answer within 10 s", recorded and retried like any timeout.
        latency = (time.perf_counter() - started) * 1000
        error = outbound_http.describe(exc, postback.timeout_seconds)
        return None, None, error[:1000], None, latency
    latency = (time.perf_counter() - started) * 1000
    excerpt = answer.excerpt.decode("utf-8", "replace")
    return answer.status, excerpt, None, answer.retry_after, latency


def _advance(
    delivery: Delivery,
    postback: OutboundPostback,
    result: str,
    now: datetime,
    retry_after: float | None,
) -> None:
    delivery.lease_until = None
    delivery.updated_at = now
    if result == "delivered":
        delivery.state = "delivered"
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        postback.failing_since = None
        return
    if postback.failing_since is None:
        postback.failing_since = now
    elif now - postback.failing_since >= rules.AUTO_DISABLE_AFTER:
        _disable(postback, "every delivery failed for five days", now)
    if result == "gone":
        delivery.state = "failed"
        delivery.next_attempt_at = None
        _disable(postback, "the receiver answered 410 Gone", now)
        return
    if result == "failed":
        delivery.state = "failed"
        delivery.next_attempt_at = None
        return
    when = rules.next_attempt(postback, delivery.attempts, now, retry_after)
    delivery.state = "retrying" if when else "dead"
    delivery.next_attempt_at = when


def _disable(postback: OutboundPostback, reason: str, now: datetime) -> None:
    if postback.state == "active":
        postback.state = "disabled"
        postback.disabled_reason = f"{reason} ({now:%Y-%m-%d %H:%M} UTC)"
        log.warning("outbound postback %s disabled: %s", postback.id, reason)


# -- what the sweeper finds ---------------------------------------------------------------


def due(now: datetime, limit: int = 500, per_receiver: int = 200) -> list[int]:
    """Deliveries to hand to a worker now: retries whose time has come, attempts whose
    worker died (the lease ran out), and first attempts the planning job never made.
    Not those waiting for an earlier revision, nor those of a receiver whose circuit is
    open (they would only crowd the batch), and at most ``per_receiver`` of one
    receiver's: one receiver's backlog must not hide the others' retries."""
    lease_over = Delivery.lease_until < now
    ranked = (
        select(
            Delivery.id,
            Delivery.next_attempt_at,
            func.row_number()
            .over(partition_by=Delivery.outbound_postback_id, order_by=Delivery.next_attempt_at)
            .label("place"),
        )
        .join(OutboundPostback)
        .where(
            OutboundPostback.state == "active",
            circuit.lets_through(now),
            Delivery.next_attempt_at <= now,
            ~_waits_for_an_earlier_revision(),
            or_(
                and_(
                    Delivery.state == "retrying",
                    or_(Delivery.lease_until.is_(None), lease_over),
                ),
                and_(
                    Delivery.state == "pending",
                    or_(
                        lease_over,
                        and_(
                            Delivery.lease_until.is_(None),
                            or_(
                                Delivery.next_attempt_at <= now - FIRST_ATTEMPT_GRACE,
                                # Held back by the circuit, which now wants a probe.
                                OutboundPostback.circuit_state != "closed",
                            ),
                        ),
                    ),
                ),
            ),
        )
        .subquery()
    )
    return list(
        db.session.scalars(
            select(ranked.c.id)
            .where(ranked.c.place <= per_receiver)
            .order_by(ranked.c.next_attempt_at)
            .limit(limit)
        )
    )


def unplanned(now: datetime, limit: int = 500) -> list[int]:
    """Conversions with a revision still unplanned well after it was stored (a new
    conversion's, or a status change's on one planned long ago): the flag's partial index
    holds only those, so this stays cheap on any table."""
    return list(
        db.session.scalars(
            select(Conversion.id)
            .where(Conversion.dispatch_pending, Conversion.updated_at <= now - PLAN_GRACE)
            .order_by(Conversion.id)
            .limit(limit)
        )
    )


def superseded(delivery_ids: list[int]) -> set[int]:
    """Those of these deliveries whose postback was already sent a later revision of the
    same conversion: sent again now, they would leave the receiver on an older status."""
    if not delivery_ids:
        return set()
    later = aliased(Delivery)
    return set(
        db.session.scalars(
            select(Delivery.id).where(
                Delivery.id.in_(delivery_ids),
                exists().where(
                    later.conversion_id == Delivery.conversion_id,
                    later.outbound_postback_id == Delivery.outbound_postback_id,
                    later.revision > Delivery.revision,
                    later.state == "delivered",
                ),
            )
        )
    )


def replay(deliveries: Iterable[Delivery], now: datetime) -> int:
    """Send these deliveries again from scratch (same message id: receivers dedupe).
    Callers leave out the ``superseded`` ones: order is theirs to keep."""
    count = 0
    for delivery in deliveries:
        delivery.state = "pending"
        delivery.next_attempt_at = now
        delivery.lease_until = None
        delivery.attempts = 0
        count += 1
    db.session.commit()
    return count
