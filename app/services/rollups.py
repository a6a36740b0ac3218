"""Hourly rollups of clicks and conversions: reading a range exactly, keeping them fresh,
and pruning old click rows without losing what they counted.

A range is read as three parts: whole hours whose rollup is clean come from the rollup
tables; hours logged dirty, and the partial hours at both ends, come from the raw rows.
The result is the same as an aggregate over the raw rows, however late a row arrived or
whatever changed it, because every change logs its hour in the same transaction
(``app.models.stats_triggers``) and an hour stays dirty until ``roll_up`` has recomputed it
from a snapshot that includes the change.

``roll_up`` deletes the log rows it will account for *before* recomputing, with a
statement whose snapshot is older than the recomputing ones: a row committed after that
delete keeps its log row, and its hour stays dirty. On PostgreSQL (READ COMMITTED) this is
what makes an append-only log race-free; SQLite runs one writer at a time anyway.

The reads (``dirty_hours``, ``count_clicks``, ``conversion_rows``, ``country_rows``) go to
the read replica named by ``PBHUB_STATS_DATABASE_URL`` when there is one: a replica
replays the primary's commits in order, so what it shows is exact as of its lag.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, overload

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Row,
    Select,
    String,
    and_,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)

from app.extensions import conflict_insert, db, stats_reads
from app.models import (
    Click,
    ClickRollup,
    Conversion,
    ConversionRollup,
    CountryRollup,
    DirtyHour,
    Source,
    StatsState,
)
from app.models.types import UTCDateTime, utcnow

HOUR = timedelta(hours=1)
MILLION = 1_000_000
#: Hours recomputed per round of the periodic loop, so one round stays short.
ROUND_HOURS = 48
FROZEN = "clicks_frozen_before"
LOCK = "rollup"
#: What a conversions aggregate row holds, in order, after its grouping columns.
MEASURES = (
    "conversions",
    "payout_count",
    "payout_units",
    "payout_micros",
    "gross_count",
    "gross_units",
    "gross_micros",
)


def hour_of(moment: datetime) -> datetime:
    """The UTC hour ``moment`` falls in, as the triggers compute it."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def next_hour(moment: datetime) -> datetime:
    start = hour_of(moment)
    return start if start == moment else start + HOUR


@dataclass(frozen=True)
class Plan:
    """How to read ``[start, end]`` for one kind of row."""

    raw: list[tuple[datetime, datetime]]
    #: The rolled-up hours ``[first, last)``, less ``skip``; None when there are none.
    rolled: tuple[datetime, datetime] | None
    skip: list[datetime] = field(default_factory=list)
    #: The end of the last raw range is inclusive (it is the window's own end).
    end: datetime | None = None


def plan(start: datetime, end: datetime, dirty: Iterable[datetime]) -> Plan:
    first, last = next_hour(start), hour_of(end)
    if first >= last:
        return Plan(raw=[(start, end)], rolled=None, end=end)
    skip = sorted(hour for hour in set(dirty) if first <= hour < last)
    pieces = ([(start, first)] if start < first else []) + [(h, h + HOUR) for h in skip]
    pieces.append((last, end))
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in pieces:
        if merged and merged[-1][1] >= lo:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return Plan(raw=merged, rolled=(first, last), skip=skip, end=end)


def dirty_hours(start: datetime, end: datetime) -> dict[str, set[datetime]]:
    rows = db.session.execute(
        select(DirtyHour.kind, DirtyHour.bucket)
        .where(DirtyHour.bucket >= hour_of(start), DirtyHour.bucket < end)
        .group_by(DirtyHour.kind, DirtyHour.bucket),
        bind_arguments=stats_reads(),
    ).all()
    found: dict[str, set[datetime]] = {"clicks": set(), "conversions": set()}
    for kind, bucket in rows:
        found.setdefault(kind, set()).add(bucket)
    return found


def _ranges(column: ColumnElement, reading: Plan) -> list[ColumnElement[bool]]:
    """One condition per raw range: each is then its own index range scan (an OR of them
    makes PostgreSQL fall back to a bitmap over the heap)."""
    return [
        and_(column >= lo, column <= hi if hi == reading.end else column < hi)
        for lo, hi in reading.raw
    ]


def _rolled(column: ColumnElement, reading: Plan) -> ColumnElement[bool] | None:
    if reading.rolled is None:
        return None
    first, last = reading.rolled
    condition = and_(column >= first, column < last)
    if reading.skip:
        condition = and_(condition, column.not_in(reading.skip))
    return condition


@overload
def count_clicks(
    reading: Plan, source_id: int | None = None, *, by_country: Literal[False] = False
) -> int: ...


@overload
def count_clicks(
    reading: Plan, source_id: int | None = None, *, by_country: Literal[True]
) -> dict[str | None, int]: ...


def count_clicks(
    reading: Plan, source_id: int | None = None, *, by_country: bool = False
) -> int | dict[str | None, int]:
    """The clicks of the reading, in all or per country (``None``: no country known)."""
    if by_country:
        return _clicks_per_country(reading, source_id)
    return _clicks_in_all(reading, source_id)


def _clicks_in_all(reading: Plan, source_id: int | None) -> int:
    """One statement of scalar subqueries: one row back, whatever the parts."""
    parts = []
    for condition in _ranges(Click.clicked_at, reading):
        raw = select(func.count()).select_from(Click).where(condition)
        if source_id is not None:
            raw = raw.where(Click.source_id == source_id)
        parts.append(raw.scalar_subquery())
    rolled_hours = _rolled(ClickRollup.bucket, reading)
    if rolled_hours is not None:
        rolled = select(func.coalesce(func.sum(ClickRollup.clicks), 0)).where(rolled_hours)
        if source_id is not None:
            rolled = rolled.where(ClickRollup.source_id == source_id)
        parts.append(rolled.scalar_subquery())
    counts = db.session.execute(select(*parts), bind_arguments=stats_reads()).one()
    return sum(int(value or 0) for value in counts)


def _clicks_per_country(reading: Plan, source_id: int | None) -> dict[str | None, int]:
    """Each part grouped by country and the parts unioned, as ``conversion_rows`` does: a
    country may come back from several parts, so its counts are added here."""
    parts = []
    for condition in _ranges(Click.clicked_at, reading):
        raw = select(Click.country, func.count().label("clicks")).where(condition)
        if source_id is not None:
            raw = raw.where(Click.source_id == source_id)
        parts.append(raw.group_by(Click.country))
    rolled_hours = _rolled(ClickRollup.bucket, reading)
    if rolled_hours is not None:
        rolled = select(ClickRollup.country, func.sum(ClickRollup.clicks).label("clicks"))
        if source_id is not None:
            rolled = rolled.where(ClickRollup.source_id == source_id)
        parts.append(rolled.where(rolled_hours).group_by(ClickRollup.country))
    statement = union_all(*parts) if len(parts) > 1 else parts[0]
    counts: dict[str | None, int] = {}
    for country, clicks in db.session.execute(statement, bind_arguments=stats_reads()):
        if clicks:
            counts[country] = counts.get(country, 0) + int(clicks)
    return counts


def _split(amount: ColumnElement) -> tuple[ColumnElement, ColumnElement, ColumnElement]:
    micros = type_coerce(amount, BigInteger)
    units = micros // MILLION
    return func.count(micros), func.sum(units), func.sum(micros - units * MILLION)


def _raw_measures() -> list[ColumnElement]:
    """The ``MEASURES`` of raw conversion rows, labelled."""
    values = [func.count(), *_split(Conversion.payout_amount), *_split(Conversion.gross_amount)]
    return [value.label(name) for value, name in zip(values, MEASURES, strict=True)]


COUNTED = Conversion.attribution != "duplicate"
KEYS = ("event_type", "status", "payout_currency", "gross_currency")
#: The keys and measures of ``CountryRollup``: no event and no gross, so an hour holds
#: few rows however many countries it saw.
COUNTRY_KEYS = ("country", "status", "payout_currency")
COUNTRY_MEASURES = MEASURES[:4]
#: What a row of ``country_rows`` counts in: the totals and its country (raw rows), the
#: totals only (the rollup without country), or its country only (the country rollup).
RAW, TOTALS, COUNTRIES = "raw", "totals", "countries"


def conversion_rows(
    reading: Plan, source_id: int | None = None, by_source: bool = False
) -> Sequence[Row]:
    """Rows named ``[source_id,] event_type, status, payout_currency, gross_currency`` and
    the ``MEASURES``; one key may appear more than once (sum them)."""
    keys = (*(("source_id",) if by_source else ()), *KEYS)
    parts = _raw_parts(reading, source_id, keys)
    rolled = _rolled_part(ConversionRollup, reading, source_id, keys, MEASURES)
    if rolled is not None:
        parts.append(rolled)
    return _rows(parts)


def country_rows(reading: Plan, source_id: int | None = None) -> Sequence[Row]:
    """Rows named ``part, event_type, status, payout_currency, gross_currency, country``
    and the ``MEASURES``, for the totals and the figures by country at once.

    One statement reads both rollups and the raw rows, so the countries add up to the
    totals even while conversions arrive. ``part`` says where a row counts (``RAW``,
    ``TOTALS``, ``COUNTRIES``); a ``COUNTRIES`` row has no event and no gross."""
    parts = _raw_parts(reading, source_id, (*KEYS, "country"), part=RAW)
    for table, part, keys, measures in (
        (ConversionRollup, TOTALS, KEYS, MEASURES),
        (CountryRollup, COUNTRIES, COUNTRY_KEYS, COUNTRY_MEASURES),
    ):
        rolled = _rolled_part(table, reading, source_id, keys, measures, part=part)
        if rolled is not None:
            parts.append(rolled)
    return _rows(parts)


def _raw_parts(
    reading: Plan, source_id: int | None, keys: Sequence[str], part: str | None = None
) -> list[Select]:
    """One aggregate per raw range of the reading, grouped by ``keys``."""
    parts = []
    for condition in _ranges(Conversion.received_at, reading):
        raw = (
            select(*_tag(part), *(getattr(Conversion, k) for k in keys), *_raw_measures())
            .where(COUNTED, condition)
            .group_by(*(getattr(Conversion, k) for k in keys))
        )
        if source_id is not None:
            raw = raw.where(Conversion.source_id == source_id)
        parts.append(raw)
    return parts


def _rolled_part(
    table: type[ConversionRollup] | type[CountryRollup],
    reading: Plan,
    source_id: int | None,
    keys: Sequence[str],
    measures: Sequence[str],
    part: str | None = None,
) -> Select | None:
    """The rolled-up hours of ``table`` summed by ``keys``. Tagged with a ``part``, the
    row takes the full shape of ``country_rows``: columns the table lacks are NULL
    (keys) or 0 (measures)."""
    hours = _rolled(table.bucket, reading)
    if hours is None:
        return None
    if part is None:
        columns = [getattr(table, k) for k in keys]
        sums = [func.sum(getattr(table, m)).label(m) for m in measures]
    else:
        columns = [
            getattr(table, k) if k in keys else cast(null(), String).label(k)
            for k in (*KEYS, "country")
        ]
        zero = literal_column("0", BigInteger)
        sums = [(func.sum(getattr(table, m)) if m in measures else zero).label(m) for m in MEASURES]
    rolled = (
        select(*_tag(part), *columns, *sums)
        .where(hours)
        .group_by(*(getattr(table, k) for k in keys))
    )
    if source_id is not None:
        rolled = rolled.where(table.source_id == source_id)
    return rolled


def _tag(part: str | None) -> list[ColumnElement]:
    return [] if part is None else [literal_column(f"'{part}'", String).label("part")]


def _rows(parts: list[Select]) -> Sequence[Row]:
    statement = union_all(*parts) if len(parts) > 1 else parts[0]
    return db.session.execute(statement, bind_arguments=stats_reads()).all()


# Keeping the rollups fresh ------------------------------------------------------------


def _lock() -> None:
    """One roller at a time: two recomputing one hour at once would both insert it."""
    db.session.execute(
        conflict_insert(StatsState.__table__).values(name=LOCK).on_conflict_do_nothing()
    )
    db.session.execute(select(StatsState.name).where(StatsState.name == LOCK).with_for_update())


def frozen_before() -> datetime | None:
    return db.session.scalar(select(StatsState.value).where(StatsState.name == FROZEN))


def _recompute_clicks(hour: datetime) -> None:
    db.session.execute(delete(ClickRollup).where(ClickRollup.bucket == hour))
    db.session.execute(
        insert(ClickRollup).from_select(
            ["bucket", "source_id", "country", "clicks"],
            select(literal(hour, UTCDateTime), Click.source_id, Click.country, func.count())
            .where(Click.clicked_at >= hour, Click.clicked_at < hour + HOUR)
            .group_by(Click.source_id, Click.country),
        )
    )


def _recompute_conversions(hour: datetime) -> None:
    """Both conversion rollups of ``hour``, from the same raw rows."""
    in_hour = and_(COUNTED, Conversion.received_at >= hour, Conversion.received_at < hour + HOUR)
    measures = [func.coalesce(m.element, 0) for m in _raw_measures()]
    for table, keys, where, count in (
        (ConversionRollup, ("source_id", *KEYS), in_hour, len(MEASURES)),
        (
            CountryRollup,
            ("source_id", *COUNTRY_KEYS),
            and_(in_hour, Conversion.status != "rejected"),
            len(COUNTRY_MEASURES),
        ),
    ):
        db.session.execute(delete(table).where(table.bucket == hour))
        db.session.execute(
            insert(table).from_select(
                ["bucket", *keys, *MEASURES[:count]],
                select(
                    literal(hour, UTCDateTime),
                    *(getattr(Conversion, k) for k in keys),
                    *measures[:count],
                )
                .where(where)
                .group_by(*(getattr(Conversion, k) for k in keys)),
            )
        )


def roll_up(now: datetime | None = None, hours: int = ROUND_HOURS) -> int:
    """Recompute up to ``hours`` dirty hours that have ended; the number recomputed.

    The current hour is left dirty: every click and postback touches it, and readers take
    a window's last, partial hour from the raw rows anyway."""
    current = hour_of(now or utcnow())
    _lock()
    due = db.session.execute(
        select(DirtyHour.kind, DirtyHour.bucket)
        .where(DirtyHour.bucket < current)
        .group_by(DirtyHour.kind, DirtyHour.bucket)
        .order_by(DirtyHour.bucket)
        .limit(hours)
    ).all()
    if not due:
        db.session.commit()
        return 0
    frozen = frozen_before()
    moved: set[tuple[str, datetime]] = set()
    for kind in ("clicks", "conversions"):
        buckets = [bucket for k, bucket in due if k == kind]
        if buckets:
            moved.update(
                db.session.execute(
                    delete(DirtyHour)
                    .where(DirtyHour.kind == kind, DirtyHour.bucket.in_(buckets))
                    .returning(DirtyHour.kind, DirtyHour.bucket)
                ).all()
            )
    for kind, bucket in sorted(moved):
        if kind == "conversions":
            _recompute_conversions(bucket)
        elif frozen is None or bucket >= frozen:
            _recompute_clicks(bucket)
    db.session.commit()
    return len(moved)


def pending_hours() -> int:
    hours = select(DirtyHour.kind, DirtyHour.bucket).distinct().subquery()
    return db.session.scalar(select(func.count()).select_from(hours)) or 0


def catch_up(now: datetime | None = None, progress: Callable[[int], None] | None = None) -> int:
    """Roll up every ended dirty hour (after a bulk load or an upgrade). Hours that live
    traffic dirties meanwhile are left to the periodic roll-up, so this always ends."""
    budget = pending_hours() + ROUND_HOURS
    done = 0
    while done < budget and (count := roll_up(now)):
        done += count
        if progress:
            progress(count)
    return done


def rebuild(now: datetime | None = None, progress: Callable[[int], None] | None = None) -> int:
    """Drop the rollups (but those of pruned hours), log every hour that holds rows, and
    roll them all up: rollups made from scratch (after a restore, or to check them).
    Readers stay exact meanwhile: the hours are dirty, so they read the raw rows."""
    frozen = frozen_before()
    _lock()
    db.session.execute(delete(ConversionRollup))
    db.session.execute(delete(CountryRollup))
    db.session.execute(
        delete(ClickRollup).where(ClickRollup.bucket >= frozen) if frozen else delete(ClickRollup)
    )
    for kind, column in (("clicks", Click.clicked_at), ("conversions", Conversion.received_at)):
        hours = [
            h for h in _hours_with_rows(column) if kind != "clicks" or not frozen or h >= frozen
        ]
        if hours:
            db.session.execute(insert(DirtyHour), [{"kind": kind, "bucket": h} for h in hours])
    db.session.commit()
    return catch_up(now, progress)


def _hours_with_rows(column: ColumnElement) -> Iterable[datetime]:
    """Each hour that holds a row, by skipping through the time index hour by hour."""
    moment = db.session.scalar(select(func.min(column)))
    while moment is not None:
        yield hour_of(moment)
        moment = db.session.scalar(select(func.min(column)).where(column >= hour_of(moment) + HOUR))


# Retention -------------------------------------------------------------------------------


class RetentionRefused(Exception):
    """Pruning would forget clicks a postback may still be attributed to."""


@dataclass
class Pruned:
    cutoff: datetime
    clicks: int = 0
    batches: int = 0
    finished: bool = True


def longest_window_days() -> int:
    return db.session.scalar(select(func.max(Source.attribution_window_days))) or 0


def prune_clicks(
    retention_days: int,
    now: datetime | None = None,
    batch: int = 5_000,
    max_seconds: float = 60.0,
    pause: float = 0.0,
    progress: Callable[[int], None] | None = None,
) -> Pruned:
    """Delete click rows older than ``retention_days`` in small batches, each its own
    transaction (no long lock), after freezing their hours' rollups so old windows keep
    counting them. Stops after ``max_seconds``; the next run goes on."""
    longest = longest_window_days()
    if retention_days < longest:
        raise RetentionRefused(
            f"click retention ({retention_days} days) is shorter than the longest "
            f"attribution window of a source ({longest} days)"
        )
    cutoff = hour_of((now or utcnow()) - timedelta(days=retention_days))
    result = Pruned(cutoff)
    deadline = time.monotonic() + max_seconds
    # Old hours still waiting for their roll-up (all of them, after an upgrade) are
    # rolled up first, a round at a time, each its own short transaction: freezing then
    # has almost nothing to recompute, and never holds the roll-up lock for long.
    while _dirty_clicks_before(cutoff):
        if time.monotonic() >= deadline:
            result.finished = False
            return result
        roll_up(now)
    _freeze(cutoff)
    oldest = select(Click.id).where(Click.clicked_at < cutoff).order_by(Click.clicked_at)
    while True:
        ids = list(db.session.scalars(oldest.limit(batch)))
        if not ids:
            break
        db.session.execute(delete(Click).where(Click.id.in_(ids)))
        db.session.commit()
        result.clicks += len(ids)
        result.batches += 1
        if progress:
            progress(len(ids))
        if len(ids) < batch:
            break
        if time.monotonic() >= deadline:
            result.finished = False
            break
        if pause:
            time.sleep(pause)
    return result


def _dirty_clicks_before(cutoff: datetime) -> bool:
    return (
        db.session.scalar(
            select(DirtyHour.id)
            .where(DirtyHour.kind == "clicks", DirtyHour.bucket < cutoff)
            .limit(1)
        )
        is not None
    )


def _freeze(cutoff: datetime) -> None:
    """Make the rollups of the hours before ``cutoff`` final, from raw rows still whole.

    Raising the mark first (under the roll-up lock) stops the triggers logging those
    hours; their last dirty hours are then recomputed before any row goes."""
    _lock()
    frozen = frozen_before()
    if frozen is not None and frozen >= cutoff:
        db.session.commit()
        return
    db.session.execute(
        conflict_insert(StatsState.__table__)
        .values(name=FROZEN, value=cutoff)
        .on_conflict_do_update(index_elements=["name"], set_={"value": cutoff})
    )
    due = set(
        db.session.scalars(
            delete(DirtyHour)
            .where(DirtyHour.kind == "clicks", DirtyHour.bucket < cutoff)
            .returning(DirtyHour.bucket)
        )
    )
    for bucket in sorted(due):
        _recompute_clicks(bucket)
    db.session.commit()
