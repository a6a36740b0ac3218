"""Live figures for a time window: clicks, conversions, money per currency, EPC, events.

Money is never added across currencies: every sum is grouped by currency, and EPC is
computed per currency. Counted conversions are accepted ones that are neither duplicates
nor rejected; pending ones count, and their money is shown apart from approved money.

Figures come from hourly rollups plus raw rows (``app.services.rollups``), and equal a
plain aggregate over the raw rows whatever arrived late or changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from app.core.money import MICROS, quantize
from app.core.vocabulary import EVENTS
from app.models.types import utcnow
from app.services import rollups

WINDOWS = {
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
}
ZERO = Decimal("0.000000")


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


def compute(window: str, source_id: int | None = None, now: datetime | None = None) -> Stats:
    """The figures for the window ending ``now``, read from the hourly rollups plus the
    raw rows of the partial and recently changed hours (``app.services.rollups``)."""
    end = now or utcnow()
    start = end - WINDOWS[window]
    dirty = rollups.dirty_hours(start, end)
    clicks = rollups.count_clicks(rollups.plan(start, end, dirty["clicks"]), source_id)
    rows = rollups.conversion_rows(rollups.plan(start, end, dirty["conversions"]), source_id)

    events = dict.fromkeys(EVENTS, 0)
    payout: dict[str | None, MoneyRow] = {}
    gross: dict[str | None, MoneyRow] = {}
    for row in rows:
        if row.status == "rejected":
            continue
        events[row.event_type] = events.get(row.event_type, 0) + int(row.conversions)
        _add(
            payout,
            row.payout_currency,
            row.status,
            row.payout_count,
            row.payout_units,
            row.payout_micros,
        )
        _add(
            gross,
            row.gross_currency,
            row.status,
            row.gross_count,
            row.gross_units,
            row.gross_micros,
        )
    payout_rows = _sorted(payout)
    for row in payout_rows:
        row.epc = quantize(row.total / clicks) if clicks else ZERO
    return Stats(
        window=window,
        start=start,
        end=end,
        source_id=source_id,
        clicks=clicks,
        conversions=sum(events.values()),
        payout=payout_rows,
        gross=_sorted(gross),
        events=events,
    )


def _add(
    by_currency: dict[str | None, MoneyRow],
    currency: str | None,
    status: str,
    count: int | None,
    units: int | None,
    micros: int | None,
) -> None:
    """Amounts are summed as whole units and millionths apart (see ``rollups``); a
    currency appears once at least one counted conversion carried an amount in it."""
    if not count:
        return
    row = by_currency.setdefault(currency, MoneyRow(currency))
    amount = quantize(Decimal(int(units or 0)) + Decimal(int(micros or 0)) / MICROS)
    if status == "approved":
        row.approved += amount
    else:
        row.pending += amount


def _sorted(by_currency: dict[str | None, MoneyRow]) -> list[MoneyRow]:
    return sorted(by_currency.values(), key=lambda r: (r.currency is None, r.currency or ""))
