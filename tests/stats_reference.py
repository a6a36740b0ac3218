"""A plain aggregate over the raw rows: the specification the stats fast path must meet."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.core.money import quantize
from app.core.vocabulary import EVENTS
from app.extensions import db
from app.models import Click, Conversion
from app.models.types import utcnow
from app.services import stats


def reference(
    window: str, source_id: int | None = None, now: datetime | None = None
) -> stats.Stats:
    now = now or utcnow()
    start = now - stats.WINDOWS[window]
    clicks = [
        c
        for c in db.session.scalars(select(Click))
        if start <= c.clicked_at <= now and source_id in (None, c.source_id)
    ]
    counted = [
        c
        for c in db.session.scalars(select(Conversion))
        if start <= c.received_at <= now
        and source_id in (None, c.source_id)
        and c.attribution != "duplicate"
        and c.status != "rejected"
    ]
    events = dict.fromkeys(EVENTS, 0)
    payout: dict[str | None, stats.MoneyRow] = {}
    gross: dict[str | None, stats.MoneyRow] = {}
    for c in counted:
        events[c.event_type] += 1
        for amount, currency, table in (
            (c.payout_amount, c.payout_currency, payout),
            (c.gross_amount, c.gross_currency, gross),
        ):
            if amount is None:
                continue
            row = table.setdefault(currency, stats.MoneyRow(currency))
            if c.status == "approved":
                row.approved += amount
            else:
                row.pending += amount
    for row in payout.values():
        row.epc = quantize(row.total / len(clicks)) if clicks else stats.ZERO
    return stats.Stats(
        window=window,
        start=start,
        end=now,
        source_id=source_id,
        clicks=len(clicks),
        conversions=len(counted),
        payout=by_currency(payout),
        gross=by_currency(gross),
        events=events,
    )


def by_currency(table: dict) -> list[stats.MoneyRow]:
    return sorted(table.values(), key=lambda r: (r.currency is None, r.currency or ""))
