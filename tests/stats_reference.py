"""A plain aggregate over the raw rows: the specification the stats fast path must meet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hypothesis import HealthCheck, settings
from sqlalchemy import delete, select

from app.core.money import quantize
from app.core.vocabulary import EVENTS
from app.extensions import db
from app.models import (
    Click,
    ClickRollup,
    Conversion,
    ConversionRollup,
    CountryRollup,
    DirtyHour,
)
from app.models.types import utcnow
from app.services import stats

#: Random histories against the reference: few enough examples for CI, each on the
#: test's own database (function-scoped fixtures are reset by the test's own code).
RANDOM_HISTORIES = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def empty_stats_tables() -> None:
    """Between two random histories of one test: every row either could have left."""
    for model in (Conversion, Click, ClickRollup, ConversionRollup, CountryRollup, DirtyHour):
        db.session.execute(delete(model))
    db.session.commit()


def reference(
    window: str,
    source_id: int | None = None,
    now: datetime | None = None,
    group_by: str | None = None,
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
    total = figures(clicks, counted)
    return stats.Stats(
        window=window,
        start=start,
        end=now,
        source_id=source_id,
        clicks=total.clicks,
        conversions=total.conversions,
        payout=total.payout,
        gross=total.gross,
        events=total.events,
        group_by=group_by,
        groups=None if group_by is None else by_country(clicks, counted),
    )


def by_country(clicks: list[Click], counted: list[Conversion]) -> list[stats.Group]:
    """One group per country that has a click or a counted conversion, each the plain
    aggregate of its own rows, in the documented order."""
    countries = {c.country for c in clicks} | {c.country for c in counted}
    groups = []
    for country in countries:
        own = figures(
            [c for c in clicks if c.country == country],
            [c for c in counted if c.country == country],
        )
        groups.append(stats.Group(country, own.clicks, own.conversions, own.payout))
    return sorted(
        groups, key=lambda g: (-g.conversions, -g.clicks, g.country is None, g.country or "")
    )


@dataclass
class Figures:
    clicks: int
    conversions: int
    payout: list[stats.MoneyRow]
    gross: list[stats.MoneyRow]
    events: dict[str, int]


def figures(clicks: list[Click], counted: list[Conversion]) -> Figures:
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
    return Figures(
        clicks=len(clicks),
        conversions=len(counted),
        payout=by_currency(payout),
        gross=by_currency(gross),
        events=events,
    )


def by_currency(table: dict) -> list[stats.MoneyRow]:
    return sorted(table.values(), key=lambda r: (r.currency is None, r.currency or ""))
