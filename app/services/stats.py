"""Live figures for a time window: clicks, conversions, money per currency, EPC, events.

Money is never added across currencies: every sum is grouped by currency, and EPC is
computed per currency. Counted conversions are accepted ones that are neither duplicates
nor rejected; pending ones count, and their money is shown apart from approved money.

Figures come from hourly rollups plus raw rows (``app.services.rollups``), and equal a
plain aggregate over the raw rows whatever arrived late or changed.

Grouped by country, clicks, conversions and payout (with EPC) come per country too: clicks
by the click's country, conversions by the conversion's (``None`` when unknown). Events and
gross stay totals only, which keeps the country rollup small. The groups are read in the
same statements as the totals, so they always add up to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Row

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
#: What the figures can be grouped by.
GROUPINGS = ("country",)


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
class Group:
    """The figures of one country (``None``: no country known), counted as the totals are."""

    country: str | None
    clicks: int
    conversions: int
    payout: list[MoneyRow]


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
    group_by: str | None = None
    #: Only when grouped. Counts and money add up to the totals above; EPC is each group's.
    groups: list[Group] | None = None


#: Money being summed for one currency: approved and pending, each as whole units and
#: millionths apart (``rollups``), turned into ``Decimal`` once, when the sum is done.
_Sums = list[int]


@dataclass
class _Tally:
    """Counted conversions and their money, as the rows of ``rollups.conversion_rows``
    bring them (rejected ones left out by the caller). Sums stay integers until read:
    a window's rows are thousands, and a ``Decimal`` per row was most of its cost."""

    conversions: int = 0
    events: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EVENTS, 0))
    payout: dict[str | None, _Sums] = field(default_factory=dict)
    gross: dict[str | None, _Sums] = field(default_factory=dict)

    def add(self, row: Row) -> None:
        """A row of the country rollup has no event (and no gross): it counts its
        conversions and payout only."""
        self.conversions += int(row.conversions)
        if row.event_type is not None:
            self.events[row.event_type] = self.events.get(row.event_type, 0) + int(row.conversions)
        approved = row.status == "approved"
        if row.payout_count:
            _add(self.payout, row.payout_currency, approved, row.payout_units, row.payout_micros)
        if row.gross_count:
            _add(self.gross, row.gross_currency, approved, row.gross_units, row.gross_micros)

    def payout_rows(self, clicks: int) -> list[MoneyRow]:
        """Payout per currency with its EPC on ``clicks``: a group's EPC is on its own."""
        rows = _money_rows(self.payout)
        for row in rows:
            row.epc = quantize(row.total / clicks) if clicks else ZERO
        return rows

    def gross_rows(self) -> list[MoneyRow]:
        return _money_rows(self.gross)


def compute(
    window: str,
    source_id: int | None = None,
    now: datetime | None = None,
    group_by: str | None = None,
) -> Stats:
    """The figures for the window ending ``now``, read from the hourly rollups plus the
    raw rows of the partial and recently changed hours (``app.services.rollups``).

    ``group_by="country"`` adds a group per country from the same reading, so the groups
    add up to the totals exactly."""
    if group_by not in (None, *GROUPINGS):
        raise ValueError(f"stats cannot be grouped by {group_by!r}, only by country")
    end = now or utcnow()
    start = end - WINDOWS[window]
    dirty = rollups.dirty_hours(start, end)
    clicks_reading = rollups.plan(start, end, dirty["clicks"])
    conversions_reading = rollups.plan(start, end, dirty["conversions"])
    total = _Tally()
    groups = None
    if group_by is None:
        clicks = rollups.count_clicks(clicks_reading, source_id)
        for row in _counted(rollups.conversion_rows(conversions_reading, source_id)):
            total.add(row)
    else:
        per_country = rollups.count_clicks(clicks_reading, source_id, by_country=True)
        clicks = sum(per_country.values())
        tallies: dict[str | None, _Tally] = {country: _Tally() for country in per_country}
        for row in _counted(rollups.country_rows(conversions_reading, source_id)):
            if row.part != rollups.COUNTRIES:
                total.add(row)
            if row.part != rollups.TOTALS:
                tallies.setdefault(row.country, _Tally()).add(row)
        groups = _groups(tallies, per_country)
    return Stats(
        window=window,
        start=start,
        end=end,
        source_id=source_id,
        clicks=clicks,
        conversions=total.conversions,
        payout=total.payout_rows(clicks),
        gross=total.gross_rows(),
        events=total.events,
        group_by=group_by,
        groups=groups,
    )


def _counted(rows: Sequence[Row]) -> list[Row]:
    """Rejected conversions count nowhere (duplicates are left out by the read itself)."""
    return [row for row in rows if row.status != "rejected"]


def _groups(tallies: dict[str | None, _Tally], clicks: dict[str | None, int]) -> list[Group]:
    """A group for every country with a click or a counted conversion in the window."""
    groups = [
        Group(
            country=country,
            clicks=clicks.get(country, 0),
            conversions=tally.conversions,
            payout=tally.payout_rows(clicks.get(country, 0)),
        )
        for country, tally in tallies.items()
    ]
    return sorted(groups, key=group_order)


def group_order(group: Group) -> tuple[int, int, bool, str]:
    """Where the traffic pays comes first: most conversions, then most clicks, then by
    code. Traffic with no country names no place, so among equals it comes last."""
    return (-group.conversions, -group.clicks, group.country is None, group.country or "")


def _add(
    by_currency: dict[str | None, _Sums],
    currency: str | None,
    approved: bool,
    units: int | None,
    micros: int | None,
) -> None:
    """A currency appears once at least one counted conversion carried an amount in it."""
    sums = by_currency.setdefault(currency, [0, 0, 0, 0])
    at = 0 if approved else 2
    sums[at] += int(units or 0)
    sums[at + 1] += int(micros or 0)


def _money_rows(by_currency: dict[str | None, _Sums]) -> list[MoneyRow]:
    rows = [
        MoneyRow(currency, approved=_amount(sums[0], sums[1]), pending=_amount(sums[2], sums[3]))
        for currency, sums in by_currency.items()
    ]
    return _sorted(rows)


def _amount(units: int, micros: int) -> Decimal:
    return quantize(Decimal(units) + Decimal(micros) / MICROS)


def _sorted(rows: list[MoneyRow]) -> list[MoneyRow]:
    return sorted(rows, key=lambda r: (r.currency is None, r.currency or ""))
