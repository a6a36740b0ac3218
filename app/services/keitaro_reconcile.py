"""Compare what the hub forwarded to a Keitaro tracker with what the tracker recorded.

Both sides are keyed by (sub id, tid), never by time: Keitaro moves a conversion's
datetime when it is posted again. The hub's side is what it received, or delivered
again (a status change), in the window. The tracker is read from a day before the window,
so a conversion the hub received at the window's start but Keitaro dated earlier is
still found; tracker-only conversions count as missing from the hub only when they fall
inside the window and the hub never forwarded that key at all.

A conversion the hub has not delivered to the tracker (its forwarding failed, or is
still pending) is a difference too: the two sides do not agree until it arrives, and
saying "everything matches" meanwhile would hide a forwarding that broke.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select

from app.extensions import db
from app.keitaro.client import Keitaro
from app.keitaro.errors import KeitaroError
from app.keitaro.pages import number
from app.keitaro.times import tracker_text
from app.models import Conversion, Delivery, KeitaroConnection, OutboundPostback
from app.outbound.rules import remote_status
from app.services.errors import Invalid

LOOKBEHIND = timedelta(days=1)
#: Keitaro's range ends at a whole second: a conversion posted in the window's last
#: second (or while the report runs) is still read.
LOOKAHEAD = timedelta(minutes=1)
COLUMNS = ("sub_id", "tid", "status", "revenue", "postback_datetime")

Key = tuple[str, str]
#: Delivery states after which the hub sends no more on its own: a replay is needed.
GAVE_UP = ("failed", "dead")


@dataclass
class Report:
    since: datetime
    until: datetime
    hub: int = 0
    keitaro: int = 0
    missing_in_keitaro: list[dict[str, Any]] = field(default_factory=list)
    missing_in_hub: list[dict[str, Any]] = field(default_factory=list)
    status_differs: list[dict[str, Any]] = field(default_factory=list)
    payout_differs: list[dict[str, Any]] = field(default_factory=list)
    not_yet_delivered: list[dict[str, Any]] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return not (
            self.missing_in_keitaro
            or self.missing_in_hub
            or self.status_differs
            or self.payout_differs
            or self.not_yet_delivered
        )

    @property
    def forwarding_failed(self) -> list[dict[str, Any]]:
        """Not delivered, and the hub has given up: a replay sends them again."""
        return [i for i in self.not_yet_delivered if i["delivery_state"] in GAVE_UP]

    @property
    def forwarding_pending(self) -> list[dict[str, Any]]:
        """Not delivered yet, and the hub is still trying."""
        return [i for i in self.not_yet_delivered if i["delivery_state"] not in GAVE_UP]

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "until": self.until,
            "hub_forwarded": self.hub,
            "keitaro_conversions": self.keitaro,
            "matches": self.matches,
            "missing_in_keitaro": self.missing_in_keitaro,
            "missing_in_hub": self.missing_in_hub,
            "status_differs": self.status_differs,
            "payout_differs": self.payout_differs,
            "not_yet_delivered": self.not_yet_delivered,
        }


def reconcile(
    row: KeitaroConnection,
    client: Keitaro,
    since: datetime,
    until: datetime,
    *,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> Report:
    postback = (
        db.session.get(OutboundPostback, row.outbound_postback_id)
        if row.outbound_postback_id
        else None
    )
    if postback is None:
        raise Invalid(
            f"{row.name!r} forwards nothing yet: set it up with "
            f"`pbhub keitaro forward setup --connection {row.name}`"
        )
    report = Report(since, until)
    hub, pending = _hub_side(postback, since, until)
    report.hub = len(hub)
    report.not_yet_delivered = pending
    tracker = _tracker_side(client, since - LOOKBEHIND, until + LOOKAHEAD, progress, on_total)
    currency = _tracker_currency(client)
    report.keitaro = sum(
        1 for entry in tracker.values() if entry["at"] is None or entry["at"] >= since
    )
    for key, sent in hub.items():
        seen = tracker.get(key)
        if seen is None:
            report.missing_in_keitaro.append(sent)
            continue
        if seen["status"] != sent["status"]:
            report.status_differs.append({**sent, "keitaro_status": seen["status"]})
        comparable = (
            not currency or not sent["payout_currency"] or (sent["payout_currency"] == currency)
        )
        if comparable and _differ(seen["payout"], sent["payout"]):
            report.payout_differs.append({**sent, "keitaro_payout": seen["payout"]})
    forwarded_ever = _forwarded_keys(postback, [k for k in tracker if k not in hub])
    for key, seen in tracker.items():
        in_window = seen["at"] is None or since <= seen["at"] <= until
        if key not in hub and key not in forwarded_ever and in_window:
            report.missing_in_hub.append(seen)
    return report


def _tracker_currency(client: Keitaro) -> str | None:
    """Keitaro reports revenue in its own currency: a payout in another one cannot be
    compared by amount (newer trackers tell their currency; older ones are assumed to
    share the hub's)."""
    try:
        settings = client.settings.get()
    except KeitaroError:
        return None
    currency = settings.get("currency") if isinstance(settings, dict) else None
    return str(currency).upper() if currency else None


def _differ(a: Decimal | None, b: Decimal | None) -> bool:
    return (a or Decimal(0)) != (b or Decimal(0))


def _key(sub_id: Any, tid: Any) -> Key:
    return (str(sub_id or "").strip(), str(tid or "").strip())


def _hub_side(
    postback: OutboundPostback, since: datetime, until: datetime
) -> tuple[dict[Key, dict[str, Any]], list[dict[str, Any]]]:
    latest = (
        select(Delivery.conversion_id, func.max(Delivery.revision).label("revision"))
        .where(Delivery.outbound_postback_id == postback.id)
        .group_by(Delivery.conversion_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Conversion,
            Delivery.id,
            Delivery.state,
            Delivery.attempts,
            Delivery.last_status_code,
            Delivery.last_error,
        )
        .join(latest, latest.c.conversion_id == Conversion.id)
        .join(
            Delivery,
            (Delivery.conversion_id == Conversion.id)
            & (Delivery.outbound_postback_id == postback.id)
            & (Delivery.revision == latest.c.revision),
        )
        .where(
            or_(
                Conversion.received_at.between(since, until),
                Delivery.updated_at.between(since, until),
            )
        )
        .order_by(Conversion.id)
    ).all()
    hub: dict[Key, dict[str, Any]] = {}
    pending: list[dict[str, Any]] = []
    for conversion, delivery_id, state, attempts, last_code, last_error in rows:
        entry = {
            "conversion_id": conversion.id,
            "sub_id": conversion.click_id,
            "tid": conversion.transaction_id,
            "status": remote_status(
                postback.status_map or {}, conversion.status, conversion.event_type
            ),
            "payout": conversion.payout_amount,
            "payout_currency": conversion.payout_currency,
            "received_at": conversion.received_at,
            "delivery_id": delivery_id,
            "delivery_state": state,
            "attempts": attempts,
            "last_error": _last_error(state, last_code, last_error),
        }
        if state == "delivered":
            hub[_key(conversion.click_id, conversion.transaction_id)] = entry
        else:
            pending.append(entry)
    return hub, pending


def _last_error(state: str, status_code: int | None, error: str | None) -> str | None:
    """What went wrong with the delivery's last attempt: its error, or the tracker's
    answer when it answered (a 503 is an answer, not an error, to the attempt log)."""
    if state == "delivered":
        return None
    if error:
        return error
    return f"the tracker answered {status_code}" if status_code else None


def _forwarded_keys(postback: OutboundPostback, keys: list[Key]) -> set[Key]:
    sub_ids = sorted({sub for sub, _ in keys if sub})
    found: set[Key] = set()
    for start in range(0, len(sub_ids), 500):
        rows = db.session.execute(
            select(Conversion.click_id, Conversion.transaction_id)
            .join(Delivery, Delivery.conversion_id == Conversion.id)
            .where(
                Delivery.outbound_postback_id == postback.id,
                Conversion.click_id.in_(sub_ids[start : start + 500]),
            )
        )
        found.update(_key(sub, tid) for sub, tid in rows)
    return found


def _tracker_side(
    client: Keitaro,
    start: datetime,
    end: datetime,
    progress: Callable[[int], None] | None,
    on_total: Callable[[int], None] | None,
) -> dict[Key, dict[str, Any]]:
    zone = client.timezone
    query = {
        "range": {
            "from": tracker_text(start, zone),
            "to": tracker_text(end, zone),
            "timezone": zone.key,
        },
        "columns": list(COLUMNS),
        "sort": [{"name": "postback_datetime", "order": "ASC"}],
    }
    seen: dict[Key, dict[str, Any]] = {}
    for item in client.conversions.iter_log(query, on_total=on_total):
        if progress:
            progress(1)
        if not isinstance(item, dict):
            continue
        payout = number(item.get("revenue"))
        seen[_key(item.get("sub_id"), item.get("tid"))] = {
            "sub_id": item.get("sub_id"),
            "tid": item.get("tid") or None,
            "status": item.get("status"),
            "payout": Decimal(payout) if payout is not None else None,
            "at": client.parse_time(item.get("postback_datetime")),
        }
    return seen


def window(text: str, now: datetime) -> tuple[datetime, datetime]:
    """``24h``, ``7d``, ``90m`` back from now."""
    units = {"m": "minutes", "h": "hours", "d": "days"}
    value, unit = text[:-1].strip(), text[-1:].lower()
    if unit not in units or not value.isdigit() or not 0 < int(value) < 100_000:
        raise Invalid(f"--since takes a length like 90m, 24h or 7d, got {text!r}")
    try:
        return now - timedelta(**{units[unit]: int(value)}), now
    except OverflowError:
        raise Invalid(f"--since {text!r} reaches back before the calendar starts") from None
