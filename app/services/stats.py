"""Live figures for a time window: clicks, conversions, money per currency, EPC, events.

Money is never added across currencies: every sum is grouped by currency, and EPC is
computed per currency. Counted conversions are accepted ones that are neither duplicates
nor rejected; pending ones count, and their money is shown apart from approved money.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import BigInteger, Row, func, select, type_coerce

from app.core.money import MICROS, quantize
from app.core.vocabulary import EVENTS
from app.extensions import db
from app.models import Click, Conversion
from app.models.types import utcnow

WINDOWS = {
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
}
ZERO = Decimal("0.000000")
MILLION = 1_000_000


@dataclass
class MoneyRow:
    currency: str | None
    approved: Decimal = ZERO
    pending: Decimal = ZERO
    epc: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.approved + self.pending


@dataclass
class Stats:
    window: str
    start: datetime
    end: datetime
    source_id: int | None
    clicks: int
    conversions: int
    payout: list[MoneyRow]
    gross: list[MoneyRow]
    events: dict[str, int]


def _sums(amount_column, currency_column, counted: list) -> Sequence[Row]:  # type: ignore[no-untyped-def]
    """Per (currency, status): the sum of whole units and the sum of the millionths.

    Amounts are stored as millionths in a BIGINT; summing them directly overflows 64 bits
    on SQLite after a few thousand very large amounts. Whole units and remainders summed
    apart stay exact and in range on every database.
    """
    micros = type_coerce(amount_column, BigInteger)
    units = micros // MILLION
    return db.session.execute(
        select(
            currency_column,
            Conversion.status,
            func.sum(units),
            func.sum(micros - units * MILLION),
        )
        .where(*counted, micros.is_not(None))
        .group_by(currency_column, Conversion.status)
    ).all()


def _money(rows: Sequence[Row]) -> list[MoneyRow]:
    by_currency: dict[str | None, MoneyRow] = {}
    for currency, status, units, remainder in rows:
        if units is None:
            continue
        row = by_currency.setdefault(currency, MoneyRow(currency))
        amount = quantize(Decimal(int(units)) + Decimal(int(remainder)) / MICROS)
        if status == "approved":
            row.approved += amount
        else:
            row.pending += amount
    return sorted(by_currency.values(), key=lambda r: (r.currency is None, r.currency or ""))


def compute(window: str, source_id: int | None = None, now: datetime | None = None) -> Stats:
    end = now or utcnow()
    start = end - WINDOWS[window]

    clicks_q = (
        select(func.count())
        .select_from(Click)
        .where(Click.clicked_at >= start, Click.clicked_at <= end)
    )
    counted = [
        Conversion.received_at >= start,
        Conversion.received_at <= end,
        Conversion.attribution != "duplicate",
        Conversion.status != "rejected",
    ]
    if source_id is not None:
        clicks_q = clicks_q.where(Click.source_id == source_id)
        counted.append(Conversion.source_id == source_id)
    clicks = db.session.scalar(clicks_q) or 0

    payout_rows = _sums(Conversion.payout_amount, Conversion.payout_currency, counted)
    gross_rows = _sums(Conversion.gross_amount, Conversion.gross_currency, counted)
    event_rows = db.session.execute(
        select(Conversion.event_type, func.count()).where(*counted).group_by(Conversion.event_type)
    ).all()

    events = dict.fromkeys(EVENTS, 0)
    for event, count in event_rows:
        events[event] = events.get(event, 0) + count
    payout = _money(payout_rows)
    for row in payout:
        row.epc = quantize(row.total / clicks) if clicks else ZERO
    return Stats(
        window=window,
        start=start,
        end=end,
        source_id=source_id,
        clicks=clicks,
        conversions=sum(events.values()),
        payout=payout,
        gross=_money(gross_rows),
        events=events,
    )
