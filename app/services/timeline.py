"""Clicks, conversions and money per time bucket over a stats window: the series behind
the live card's chart and sparklines.

Read the way ``app.services.stats`` reads its totals (clean whole hours from the hourly
rollups, the rest from raw rows; see ``app.services.rollups``), in one statement after the
look-up of dirty hours, so the buckets add up to exactly the card's figures. Buckets are
aligned to UTC (the minute, five minutes, the hour, the day): the window starts and ends
inside its first and last bucket, which are therefore partial. A bucket nothing happened
in is there with zeros.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Row,
    String,
    and_,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)

from app.core.money import MICROS, quantize
from app.extensions import db, stats_reads
from app.models import Click, ClickRollup, Conversion, ConversionRollup
from app.models.types import utcnow
from app.services import rollups, stats

HOUR = rollups.HOUR
DAY = timedelta(days=1)
#: Bucket sizes, finest first; a window gets the finest that draws it in few enough bars.
STEPS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), HOUR, DAY)
MAX_BUCKETS = 48
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ZERO = stats.ZERO
#: The columns of every part of the statement after ``kind`` and ``bucket``: the currency
#: pair, then ``n`` (clicks, or conversions) and the money measures of the rollups.
CURRENCIES = ("payout_currency", "gross_currency")
MEASURES = ("n", *rollups.MEASURES[1:])
KINDS = ("clicks", "conversions")


@dataclass
class Bucket:
    """What happened from ``start`` to the next bucket's start (or the window's end).
    Money is per currency, pending and approved together, as the card's totals."""

    start: datetime
    clicks: int = 0
    conversions: int = 0
    payout: dict[str | None, Decimal] = field(default_factory=dict)
    gross: dict[str | None, Decimal] = field(default_factory=dict)

    def epc(self, currency: str | None) -> Decimal:
        """Payout per click in this bucket alone (zero without clicks)."""
        if not self.clicks:
            return ZERO
        return quantize(self.payout.get(currency, ZERO) / self.clicks)


@dataclass
class Timeline:
    window: str
    start: datetime
    end: datetime
    step: timedelta
    buckets: list[Bucket]

    @property
    def empty(self) -> bool:
        return not any(b.clicks or b.conversions for b in self.buckets)

    def clicks(self) -> list[int]:
        return [b.clicks for b in self.buckets]

    def conversions(self) -> list[int]:
        return [b.conversions for b in self.buckets]

    def money(self, kind: str, currency: str | None) -> list[Decimal]:
        """``kind`` is ``payout`` or ``gross``."""
        return [getattr(b, kind).get(currency, ZERO) for b in self.buckets]

    def epc(self, currency: str | None) -> list[Decimal]:
        return [b.epc(currency) for b in self.buckets]

    def totals(self, kind: str) -> dict[str | None, Decimal]:
        """``kind`` money per currency over the window (None: money without a currency)."""
        totals: dict[str | None, Decimal] = {}
        for bucket in self.buckets:
            for currency, amount in getattr(bucket, kind).items():
                totals[currency] = totals.get(currency, ZERO) + amount
        return totals

    def largest_currency(self, kind: str) -> str | None:
        """The currency with the most ``kind`` money over the window; None without any."""
        totals = self.totals(kind)
        if not totals:
            return None
        return max(totals, key=lambda c: (totals[c], c is not None, c or ""))


def step_for(span: timedelta) -> timedelta:
    """The finest bucket that splits ``span`` into at most ``MAX_BUCKETS``: a minute for
    15 minutes, five for an hour, an hour for a day, a day for a week."""
    return next((step for step in STEPS if span / step <= MAX_BUCKETS), STEPS[-1])


def floor(moment: datetime, step: timedelta) -> datetime:
    """The start of the UTC-aligned ``step`` that ``moment`` falls in."""
    return EPOCH + (moment - EPOCH) // step * step


def read(window: str, source_id: int | None = None, now: datetime | None = None) -> Timeline:
    """The window ending ``now`` (the same instant the card's figures are computed at),
    one bucket per step, oldest first."""
    end = now or utcnow()
    start = end - stats.WINDOWS[window]
    step = step_for(end - start)
    first = floor(start, step)
    edges: list[datetime] = []
    while (edge := first + step * (len(edges) + 1)) < end:
        edges.append(edge)
    buckets = [Bucket(at) for at in (first, *edges)]

    if step < HOUR:
        # An hour's rollup cannot be split into minutes: read the raw rows.
        readings = {kind: rollups.Plan(raw=[(start, end)], rolled=None, end=end) for kind in KINDS}
    else:
        dirty = rollups.dirty_hours(start, end)
        readings = {kind: rollups.plan(start, end, dirty[kind]) for kind in KINDS}
    statement = union_all(
        *_click_parts(readings["clicks"], edges, source_id),
        *_conversion_parts(readings["conversions"], edges, source_id),
    )
    money: dict[tuple[int, str, str | None], list[int]] = {}
    for row in db.session.execute(statement, bind_arguments=stats_reads()).all():
        _add(buckets, row, money)
    for (index, kind, currency), (units, micros) in money.items():
        getattr(buckets[index], kind)[currency] = quantize(
            Decimal(units) + Decimal(micros) / MICROS
        )
    return Timeline(window=window, start=start, end=end, step=step, buckets=buckets)


def _add(
    buckets: list[Bucket], row: Row, money: dict[tuple[int, str, str | None], list[int]]
) -> None:
    """Whole units and millionths are summed apart, as ``app.services.stats`` does; a
    currency shows once a counted conversion carried an amount in it."""
    bucket = buckets[row.bucket]
    if row.kind == "clicks":
        bucket.clicks += int(row.n or 0)
        return
    bucket.conversions += int(row.n or 0)
    for kind in ("payout", "gross"):
        if not getattr(row, f"{kind}_count"):
            continue
        total = money.setdefault((row.bucket, kind, getattr(row, f"{kind}_currency")), [0, 0])
        total[0] += int(getattr(row, f"{kind}_units") or 0)
        total[1] += int(getattr(row, f"{kind}_micros") or 0)


def _bucket(
    column: ColumnElement, edges: Sequence[datetime], lo: datetime, hi: datetime
) -> ColumnElement:
    """The bucket number of a row whose ``column`` lies in ``[lo, hi]``: a CASE over only
    the bucket edges inside that range (none for an hour read raw in hourly buckets)."""
    base = bisect_right(edges, lo)
    inside = [edge for edge in edges[base:] if edge < hi]
    if not inside:
        return literal_column(str(base), Integer)
    return case(
        *((column < edge, literal_column(str(base + n), Integer)) for n, edge in enumerate(inside)),
        else_=literal_column(str(base + len(inside)), Integer),
    )


def _in_range(
    column: ColumnElement, reading: rollups.Plan, lo: datetime, hi: datetime
) -> ColumnElement[bool]:
    """A raw range of the plan: its end is inclusive where it is the window's own end."""
    return and_(column >= lo, column <= hi if hi == reading.end else column < hi)


def _rolled(
    column: ColumnElement, reading: rollups.Plan, first: datetime, last: datetime
) -> ColumnElement[bool]:
    """The plan's rolled-up hours ``[first, last)``, less those read raw."""
    condition = and_(column >= first, column < last)
    if reading.skip:
        condition = and_(condition, column.not_in(reading.skip))
    return condition


def _pieces(reading: rollups.Plan) -> list[tuple[bool, datetime, datetime]]:
    """``(rolled, lo, hi)`` for every part the plan reads."""
    pieces = [(False, lo, hi) for lo, hi in reading.raw]
    if reading.rolled is not None:
        pieces.append((True, *reading.rolled))
    return pieces


def _click_parts(reading: rollups.Plan, edges: Sequence[datetime], source_id: int | None) -> list:
    parts = []
    for rolled, lo, hi in _pieces(reading):
        table, moment = (ClickRollup, ClickRollup.bucket) if rolled else (Click, Click.clicked_at)
        weight = ClickRollup.clicks if rolled else literal_column("1", BigInteger)
        inside = _rolled(moment, reading, lo, hi) if rolled else _in_range(moment, reading, lo, hi)
        rows = select(_bucket(moment, edges, lo, hi).label("bucket"), weight.label("weight"))
        rows = rows.where(inside)
        if source_id is not None:
            rows = rows.where(table.source_id == source_id)
        inner = rows.subquery()
        parts.append(
            select(
                literal_column("'clicks'", String).label("kind"),
                inner.c.bucket,
                *(cast(null(), String(3)).label(name) for name in CURRENCIES),
                func.sum(inner.c.weight).label("n"),
                *(cast(null(), BigInteger).label(name) for name in MEASURES[1:]),
            ).group_by(inner.c.bucket)
        )
    return parts


def _conversion_parts(
    reading: rollups.Plan, edges: Sequence[datetime], source_id: int | None
) -> list:
    """Counted conversions (not duplicates, not rejected) with their money, per bucket and
    currency pair; rolled-up hours bring their sums, raw rows their amounts."""
    parts = []
    for rolled, lo, hi in _pieces(reading):
        if rolled:
            table, moment = ConversionRollup, ConversionRollup.bucket
            amounts = [getattr(table, name) for name in rollups.MEASURES]
            condition = _rolled(moment, reading, lo, hi)
        else:
            table, moment = Conversion, Conversion.received_at
            amounts = [
                type_coerce(Conversion.payout_amount, BigInteger),
                type_coerce(Conversion.gross_amount, BigInteger),
            ]
            condition = and_(rollups.COUNTED, _in_range(moment, reading, lo, hi))
        rows = select(
            _bucket(moment, edges, lo, hi).label("bucket"),
            *(getattr(table, name) for name in CURRENCIES),
            *(amount.label(f"m{n}") for n, amount in enumerate(amounts)),
        ).where(condition, table.status != "rejected")
        if source_id is not None:
            rows = rows.where(table.source_id == source_id)
        inner = rows.subquery()
        keys = (inner.c.bucket, *(inner.c[name] for name in CURRENCIES))
        if rolled:
            measures = [func.sum(inner.c[f"m{n}"]) for n in range(len(MEASURES))]
        else:
            measures = [func.count(), *_split(inner.c.m0), *_split(inner.c.m1)]
        parts.append(
            select(
                literal_column("'conversions'", String).label("kind"),
                *keys,
                *(value.label(name) for value, name in zip(measures, MEASURES, strict=True)),
            ).group_by(*keys)
        )
    return parts


def _split(micros: ColumnElement) -> list[ColumnElement]:
    """Count, whole units and leftover millionths of an amount stored in millionths: sums
    that stay exact and inside 64 bits on SQLite, like the rollups keep them."""
    units = micros // rollups.MILLION
    return [func.count(micros), func.sum(units), func.sum(micros - units * rollups.MILLION)]
