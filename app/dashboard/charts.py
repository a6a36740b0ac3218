"""The live card's pictures, from one ``Timeline``: the clicks-and-conversions chart (with
the words and the table that say the same for someone who cannot see it) and a sparkline
per figure; and its list of top countries, from the figures grouped by country.

Times are UTC, and the chart says so: the page's script localises ``<time>`` elements,
not text drawn inside a picture. Money is never added across currencies, so a money
sparkline draws one currency: the one with the most money in the window, named under the
line when the card lists several.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from markupsafe import Markup

from app.core import svg_chart
from app.core.countries import country_names, is_country_code
from app.dashboard.filters import count
from app.services.stats import Group, MoneyRow
from app.services.timeline import DAY, Timeline

#: How a bucket is named, by its size.
UNITS = {
    timedelta(minutes=1): "minute",
    timedelta(minutes=5): "5 minutes",
    timedelta(minutes=15): "15 minutes",
    timedelta(hours=1): "hour",
    DAY: "day",
}
EMPTY_NOTE = "No traffic in this window"
#: Countries the live card names; the others are only counted.
TOP_COUNTRIES = 5


@dataclass(frozen=True)
class Row:
    """One bucket, for the table that reads the chart aloud."""

    start: datetime
    label: str
    clicks: int
    conversions: int


@dataclass(frozen=True)
class Pictures:
    #: "Clicks and conversions per hour (UTC)": the chart's visible caption.
    caption: str
    chart: Markup
    #: "Time (UTC)" or "Day (UTC)": what the time axis and the table's first column hold.
    period: str
    #: What the chart shows, in a sentence; the chart's accessible name too.
    summary: str
    rows: list[Row]
    #: Metric (``clicks``, ``conversions``, ``gross``, ``payout``, ``epc``) -> sparkline.
    sparks: dict[str, Markup]
    #: Metric -> "USD trend", for money metrics whose card lists several currencies.
    spark_notes: dict[str, str]


def unit(step: timedelta) -> str:
    return UNITS.get(step, f"{int(step.total_seconds() // 60)} minutes")


def period_title(step: timedelta) -> str:
    return "Day (UTC)" if step >= DAY else "Time (UTC)"


def short_label(moment: datetime, step: timedelta) -> str:
    """Under the axis: ``14:00``, or ``Fri 20`` for days."""
    return moment.strftime("%a %d" if step >= DAY else "%H:%M")


def long_label(moment: datetime, step: timedelta) -> str:
    return moment.strftime("%Y-%m-%d" if step >= DAY else "%Y-%m-%d %H:%M")


def summary(timeline: Timeline) -> str:
    per = unit(timeline.step)
    opening = f"Clicks and conversions per {per} over the last {timeline.window}, UTC"
    if timeline.empty:
        return f"{opening}: no traffic in this window."
    clicks, conversions = timeline.clicks(), timeline.conversions()
    sentence = (
        f"{opening}: {counted(sum(clicks), 'click')} (bars) and "
        f"{counted(sum(conversions), 'conversion')} (line)."
    )
    for name, values in (("clicks", clicks), ("conversions", conversions)):
        top = max(values)
        if top:
            at = long_label(timeline.buckets[values.index(top)].start, timeline.step)
            sentence += f" Most {name}: {count(top)} in the {per} from {at}."
    return sentence


def counted(number: int, noun: str) -> str:
    return f"{count(number)} {noun}{'' if number == 1 else 's'}"


def live(timeline: Timeline) -> Pictures:
    step = timeline.step
    said = summary(timeline)
    chart = svg_chart.bars_and_line(
        bars=svg_chart.Series("Clicks (bars)", timeline.clicks()),
        line=svg_chart.Series("Conversions (line)", timeline.conversions()),
        labels=[short_label(b.start, step) for b in timeline.buckets],
        label=said,
        x_title=f"{period_title(step)} · first and last partial",
        note=EMPTY_NOTE if timeline.empty else None,
        ticks=count,
    )
    rows = [
        Row(b.start, long_label(b.start, step), b.clicks, b.conversions) for b in timeline.buckets
    ]
    payout = timeline.largest_currency("payout")
    gross = timeline.largest_currency("gross")
    sparks = {
        "clicks": svg_chart.sparkline(timeline.clicks()),
        "conversions": svg_chart.sparkline(timeline.conversions()),
        "gross": svg_chart.sparkline(timeline.money("gross", gross)),
        "payout": svg_chart.sparkline(timeline.money("payout", payout)),
        "epc": svg_chart.sparkline(timeline.epc(payout)),
    }
    notes = {}
    for metric, kind, currency in (
        ("gross", "gross", gross),
        ("payout", "payout", payout),
        ("epc", "payout", payout),
    ):
        if len(timeline.totals(kind)) > 1:
            notes[metric] = f"{currency or 'no currency'} trend"
    return Pictures(
        caption=f"Clicks and conversions per {unit(step)} (UTC)",
        chart=chart,
        period=period_title(step),
        summary=said,
        rows=rows,
        sparks=sparks,
        spark_notes=notes,
    )


@dataclass(frozen=True)
class CountryRow:
    #: ISO 3166 alpha-2 (an imported click may carry another code); None: no country known.
    code: str | None
    name: str
    clicks: int
    conversions: int
    payout: list[MoneyRow]
    #: The conversions table can be filtered by it (an ISO code).
    linkable: bool


@dataclass(frozen=True)
class TopCountries:
    """The window's leading countries, as ``stats.group_order`` ranks them, the row of
    traffic with no country apart (it is no country to rank), and how many are left out."""

    rows: list[CountryRow]
    unknown: CountryRow | None
    more: int

    @property
    def empty(self) -> bool:
        return not self.rows and self.unknown is None


def top_countries(groups: Sequence[Group], limit: int = TOP_COUNTRIES) -> TopCountries:
    names = dict(country_names())
    known = [group for group in groups if group.country is not None]
    unknown = next((group for group in groups if group.country is None), None)

    def row(group: Group) -> CountryRow:
        code = group.country
        return CountryRow(
            code=code,
            name=names.get(code, code) if code else "Unknown",
            clicks=group.clicks,
            conversions=group.conversions,
            payout=group.payout,
            linkable=code is not None and is_country_code(code),
        )

    return TopCountries(
        rows=[row(group) for group in known[:limit]],
        unknown=row(unknown) if unknown else None,
        more=max(len(known) - limit, 0),
    )
