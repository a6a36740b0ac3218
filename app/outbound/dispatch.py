"""Plan deliveries and send them, at least once and never twice at the same time.

* **Planning** turns a conversion whose ``dispatch_pending`` flag is set (every new
  conversion, status change and re-map) into ``deliveries`` rows, one per matching
  outbound postback, and clears the flag in the same transaction, only if the
  conversion's revision is still the one planned (compare-and-set). A lost job leaves
  the flag set, and the sweeper plans it again; the unique (conversion, postback,
  revision) key makes planning twice harmless.
* **Sending** first claims the delivery with a lease (one UPDATE that succeeds for one
  worker only), makes the request, records the attempt and decides what comes next. A
  worker killed mid-send leaves the lease to expire; the sweeper then hands the
  delivery to another worker. Receivers deduplicate on ``webhook-id``.

The clock is injected (``now``), so retry schedules are tested without sleeping.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.core.keys import Keyring
from app.extensions import db
from app.models import Conversion, Delivery, DeliveryAttempt, OutboundPostback, Source
from app.outbound import rules, signing
from app.outbound.ssrf import Allowed, Refused, Unresolvable, check_url

log = logging.getLogger(__name__)
DELIVERIES = Delivery.__table__
LEASE_MARGIN = timedelta(seconds=30)
PLAN_GRACE = timedelta(seconds=15)
RETRYING_STATES = ("pending", "retrying")


@dataclass(frozen=True)
class Settings:
    keyring: Keyring
    allowed: Allowed
    now: Callable[[], datetime]
    session: requests.Session | None = None


def plan(conversion_id: int, now: datetime) -> list[int]:
    """Create the deliveries a conversion's current revision owes; their ids."""
    conversion = db.session.get(Conversion, conversion_id)
    if conversion is None or not conversion.dispatch_pending:
        return []
    revision = conversion.revision
    postbacks = db.session.scalars(
        select(OutboundPostback).where(OutboundPostback.state == "active")
    ).all()
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
        for postback in postbacks
        if rules.triggers(postback, conversion)
        and rules.remote_status(postback.status_map or {}, conversion.status, conversion.event_type)
        is not None
    ]
    created: list[int] = []
    if rows:
        insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
        statement = (
            insert(DELIVERIES)
            .on_conflict_do_nothing(
                index_elements=["conversion_id", "outbound_postback_id", "revision"]
            )
            .returning(DELIVERIES.c.id)
        )
        created = [db.session.execute(statement, row).scalar() for row in rows]
    db.session.execute(
        update(Conversion)
        .where(Conversion.id == conversion.id, Conversion.revision == revision)
        .values(dispatch_pending=False)
    )
    db.session.commit()
    return [i for i in created if i is not None]


def send(delivery_id: int, settings: Settings) -> str | None:
    """One attempt of one delivery, if it is due and no one else holds it; the outcome."""
    now = settings.now()
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None:
        return None
    postback = delivery.outbound_postback
    if postback.state != "active":
        return None  # waits, due, until the postback is active again (then the sweeper sends)
    lease = now + timedelta(seconds=postback.timeout_seconds) + LEASE_MARGIN
    claimed = db.session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.state.in_(RETRYING_STATES),
            Delivery.next_attempt_at <= now,
            or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
        )
        .values(lease_until=lease, attempts=Delivery.attempts + 1, updated_at=now)
    ).rowcount
    db.session.commit()
    if claimed != 1:
        return None
    db.session.refresh(delivery)
    conversion = db.session.get(Conversion, delivery.conversion_id)
    source = db.session.get(Source, conversion.source_id)
    ctx = rules.Context(
        postback=postback,
        conversion=conversion,
        source_name=source.name if source else "",
        message_id=delivery.message_id,
        now=now,
        signing_secrets=signing_secrets(postback, settings.keyring, now),
        url_secret=settings.keyring.decrypt(postback.url_secret_ciphertext)
        if postback.url_secret_ciphertext
        else None,
    )
    prepared = rules.prepare(ctx)
    status_code, excerpt, error, retry_after, latency = _perform(prepared, postback, settings)
    refused = error is not None and error.startswith("refused:")
    # A target that is not allowed stays not allowed: retrying cannot help.
    result = "failed" if refused else rules.outcome(status_code)
    db.session.add(
        DeliveryAttempt(
            delivery_id=delivery.id,
            started_at=now,
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
    _advance(delivery, postback, result, now, rules.parse_retry_after(retry_after, now))
    db.session.commit()
    return delivery.state


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


def _perform(prepared: rules.Prepared, postback: OutboundPostback, settings: Settings):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    try:
        check_url(prepared.url, settings.allowed)
        http = settings.session or requests
        response = http.request(
            prepared.method,
            prepared.url,
            headers=prepared.headers,
            data=prepared.body,
            timeout=postback.timeout_seconds,
            allow_redirects=False,
            stream=True,
        )
        try:
            raw = response.raw.read(rules.EXCERPT_BYTES, decode_content=True) or b""
        finally:
            response.close()
        latency = (time.perf_counter() - started) * 1000
        excerpt = raw.decode("utf-8", "replace")
        return response.status_code, excerpt, None, response.headers.get("Retry-After"), latency
    except Refused as exc:
        return None, None, f"refused: {exc}", None, None
    except (requests.RequestException, Unresolvable) as exc:
        latency = (time.perf_counter() - started) * 1000
        return None, None, f"{type(exc).__name__}: {exc}"[:1000], None, latency


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


def due(now: datetime, limit: int = 500) -> list[int]:
    """Deliveries due now whose lease (if any) has run out: lost jobs, crashed workers,
    retries whose time has come."""
    return list(
        db.session.scalars(
            select(Delivery.id)
            .join(OutboundPostback)
            .where(
                OutboundPostback.state == "active",
                Delivery.state.in_(RETRYING_STATES),
                Delivery.next_attempt_at <= now,
                or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
            )
            .order_by(Delivery.next_attempt_at)
            .limit(limit)
        )
    )


def unplanned(now: datetime, limit: int = 500) -> list[int]:
    """Conversions still waiting for planning well after they were stored."""
    return list(
        db.session.scalars(
            select(Conversion.id)
            .where(Conversion.dispatch_pending, Conversion.updated_at <= now - PLAN_GRACE)
            .order_by(Conversion.id)
            .limit(limit)
        )
    )


def replay(deliveries: Iterable[Delivery], now: datetime) -> int:
    """Send these deliveries again from scratch (same message id: receivers dedupe)."""
    count = 0
    for delivery in deliveries:
        delivery.state = "pending"
        delivery.next_attempt_at = now
        delivery.lease_until = None
        delivery.attempts = 0
        count += 1
    db.session.commit()
    return count
