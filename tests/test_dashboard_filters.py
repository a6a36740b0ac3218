"""How the dashboard writes numbers, money, durations and times."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from app.dashboard.filters import count, duration, iso, money, pretty_json, rate, short


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("1234.5"), "1,234.50"),
        (Decimal("0.125"), "0.125"),
        (Decimal("-3"), "-3.00"),
        (Decimal("0"), "0.00"),
        (None, "—"),
    ],
)
def test_money_is_grouped_with_at_least_two_decimals(amount, shown):
    assert money(amount) == shown


def test_epc_keeps_four_decimals():
    assert rate(Decimal("12.488827")) == "12.4888"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(5, "5 s"), (60, "1 min"), (90, "1.5 min"), (21600, "6 h"), (129600, "1.5 d"), (None, "—")],
)
def test_durations_read_as_people_say_them(seconds, shown):
    assert duration(seconds) == shown


def test_counts_are_grouped():
    assert count(1234567) == "1,234,567"


def test_times_are_written_in_utc_for_the_browser_to_localise():
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert iso(moment) == "2026-01-02T01:04:05Z"
    assert iso(datetime(2026, 1, 2, tzinfo=UTC)) == "2026-01-02T00:00:00Z"


def test_long_values_are_shortened_with_an_ellipsis():
    assert short("abcdefghijklmnop", 6) == "abcde…"
    assert short(None) == "—"


def test_raw_requests_are_indented_json_text_with_markup_kept_as_text():
    assert pretty_json({"b": "<i>", "a": 1}) == '{\n  "a": 1,\n  "b": "<i>"\n}'
