"""The live card's series: UTC-aligned buckets, empty ones as zeros, and buckets that add
up to the card's own figures whether hours were rolled up, dirty or read raw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import Conversion
from app.services import rollups, stats, timeline
from tests.test_stats_rollups import NOW, add_click, add_conversion, add_source, hours_ago

TODAY_14H = datetime(2026, 11, 20, 14, tzinfo=UTC)


@pytest.fixture
def network(app) -> int:
    return add_source()


def totals(line: timeline.Timeline) -> tuple[int, int, dict, dict]:
    payout: dict = {}
    gross: dict = {}
    for bucket in line.buckets:
        for table, amounts in ((payout, bucket.payout), (gross, bucket.gross)):
            for currency, amount in amounts.items():
                table[currency] = table.get(currency, Decimal(0)) + amount
    return sum(line.clicks()), sum(line.conversions()), payout, gross


def card(figures: stats.Stats) -> tuple[int, int, dict, dict]:
    return (
        figures.clicks,
        figures.conversions,
        {row.currency: row.total for row in figures.payout},
        {row.currency: row.total for row in figures.gross},
    )


def test_a_day_is_drawn_per_utc_hour_from_the_hour_the_window_starts_in(network):
    line = timeline.read("24h", now=NOW)
    assert line.step == timedelta(hours=1)
    assert len(line.buckets) == 25
    assert line.buckets[0].start == TODAY_14H - timedelta(days=1)
    assert line.buckets[-1].start == TODAY_14H


def test_hours_without_traffic_are_zeros_between_the_busy_ones(network):
    add_click(network, hours_ago(0.1))
    add_click(network, hours_ago(0.2))
    add_conversion(network, hours_ago(3))
    line = timeline.read("24h", now=NOW)
    assert line.clicks() == [0] * 24 + [2]
    assert line.conversions() == [0] * 21 + [1, 0, 0, 0]


def test_a_week_is_drawn_per_utc_day(network):
    add_conversion(network, hours_ago(24 * 6 + 20))
    line = timeline.read("7d", now=NOW)
    assert line.step == timedelta(days=1)
    assert [b.start.day for b in line.buckets] == [13, 14, 15, 16, 17, 18, 19, 20]
    assert line.conversions() == [1, 0, 0, 0, 0, 0, 0, 0]


@pytest.mark.parametrize(("window", "step", "count"), [("15m", 1, 16), ("1h", 5, 13)])
def test_short_windows_are_drawn_per_minute_and_per_five_minutes(network, window, step, count):
    add_click(network, NOW - timedelta(minutes=7))
    line = timeline.read(window, now=NOW)
    assert line.step == timedelta(minutes=step)
    assert len(line.buckets) == count
    assert sum(line.clicks()) == 1
    assert all(b.start.minute % step == 0 and b.start.second == 0 for b in line.buckets)


def test_a_window_with_no_traffic_is_empty_but_keeps_its_buckets(network):
    line = timeline.read("24h", now=NOW)
    assert line.empty
    assert line.clicks() == [0] * 25
    assert line.largest_currency("payout") is None


def test_money_is_kept_per_currency_in_each_bucket_with_its_epc(network):
    for _ in range(4):
        add_click(network, hours_ago(1.5))
    add_conversion(network, hours_ago(1.5), payout_amount=Decimal("10"), payout_currency="EUR")
    add_conversion(network, hours_ago(1.5), payout_amount=Decimal("2.5"), payout_currency="USD")
    add_conversion(
        network,
        hours_ago(1.5),
        status="pending",
        payout_amount=None,
        gross_amount=Decimal("7"),
        gross_currency="EUR",
    )
    bucket = timeline.read("24h", now=NOW).buckets[-2]
    assert bucket.payout == {"EUR": Decimal("10"), "USD": Decimal("2.5")}
    assert bucket.gross == {"EUR": Decimal("7")}
    assert bucket.epc("EUR") == Decimal("2.5")


def test_duplicates_and_rejected_conversions_are_not_drawn(network):
    add_conversion(network, hours_ago(2), attribution="duplicate")
    add_conversion(network, hours_ago(2), status="rejected")
    assert timeline.read("24h", now=NOW).empty


def test_the_largest_currency_is_the_one_with_most_money(network):
    add_conversion(network, hours_ago(2), payout_amount=Decimal("3"), payout_currency="EUR")
    add_conversion(network, hours_ago(5), payout_amount=Decimal("9"), payout_currency="USD")
    add_conversion(network, hours_ago(9), payout_amount=Decimal("4"), payout_currency="EUR")
    line = timeline.read("24h", now=NOW)
    assert line.largest_currency("payout") == "USD"
    assert line.money("payout", "USD") == [Decimal(0)] * 19 + [Decimal("9")] + [Decimal(0)] * 5


def history(sources: list[int]) -> None:
    """Clicks and conversions in many hours and both ends of every window, some of them
    in several currencies, pending, rejected or duplicate."""
    a, b = sources
    for hours in (0.01, 0.1, 0.7, 1.5, 5, 23.5, 23.99, 24.2, 50, 100, 167.8, 168.5):
        add_click(a, hours_ago(hours))
        add_click(None, hours_ago(hours + 0.05))
        add_conversion(a, hours_ago(hours), payout_amount=Decimal("1.000001"))
        add_conversion(
            b,
            hours_ago(hours),
            status="pending",
            payout_amount=Decimal("2.5"),
            payout_currency="EUR",
            gross_amount=Decimal("99.99"),
            gross_currency="GBP",
        )
        add_conversion(b, hours_ago(hours), status="rejected")
        add_conversion(a, hours_ago(hours), attribution="duplicate")


def assert_adds_up(sources: list[int]) -> None:
    for window in stats.WINDOWS:
        for source_id in (None, *sources):
            line = timeline.read(window, source_id, NOW)
            assert totals(line) == card(stats.compute(window, source_id, NOW)), (window, source_id)


def test_the_buckets_add_up_to_the_cards_figures_before_any_roll_up(network):
    sources = [network, add_source()]
    history(sources)
    assert_adds_up(sources)


def test_the_buckets_add_up_from_rolled_up_and_dirty_hours(network):
    sources = [network, add_source()]
    history(sources)
    rollups.roll_up(NOW, hours=1_000)
    before = timeline.read("7d", now=NOW)
    db.session.execute(
        update(Conversion)
        .where(Conversion.received_at < hours_ago(49), Conversion.status == "pending")
        .values(status="approved")
    )
    db.session.commit()
    assert_adds_up(sources)
    assert totals(timeline.read("7d", now=NOW)) == totals(before)
