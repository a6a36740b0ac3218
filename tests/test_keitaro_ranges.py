"""Report range presets in the tracker's timezone, and Keitaro's offset-less datetimes."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.keitaro.ranges import build_range
from app.keitaro.times import tracker_datetime, tracker_text

MOSCOW = ZoneInfo("Europe/Moscow")
# 22:30 UTC is already the next day in Moscow (UTC+3).
NOW = datetime(2026, 11, 23, 22, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("preset", "start", "end"),
    [
        ("today", "2026-11-24 00:00:00", "2026-11-24 01:30:00"),
        ("yesterday", "2026-11-23 00:00:00", "2026-11-23 23:59:59"),
        ("7d", "2026-11-18 00:00:00", "2026-11-24 01:30:00"),
        ("30d", "2026-10-26 00:00:00", "2026-11-24 01:30:00"),
        ("this-month", "2026-11-01 00:00:00", "2026-11-24 01:30:00"),
    ],
)
def test_presets_are_days_of_the_trackers_calendar(preset, start, end):
    assert build_range(preset, MOSCOW, NOW) == {
        "from": start,
        "to": end,
        "timezone": "Europe/Moscow",
    }


def test_a_custom_range_takes_whole_days_or_exact_times():
    span = build_range("custom", MOSCOW, NOW, start="2026-11-01", end="2026-11-02 12:00")
    assert (span["from"], span["to"]) == ("2026-11-01 00:00:00", "2026-11-02 12:00:00")


def test_a_custom_date_only_end_covers_its_whole_day():
    span = build_range("custom", MOSCOW, NOW, start="2026-11-01", end="2026-11-02")
    assert span["to"] == "2026-11-02 23:59:59"


@pytest.mark.parametrize(
    ("preset", "start", "end", "message"),
    [
        ("custom", None, None, "needs --from"),
        ("today", "2026-11-01", None, "go with --range custom"),
        ("custom", "2026-11-05", "2026-11-01", "ends before"),
        ("custom", "yesterday-ish", None, "not a date"),
        ("fortnight", None, None, "unknown range"),
    ],
)
def test_a_bad_range_says_what_is_wrong(preset, start, end, message):
    with pytest.raises(ValueError, match=message):
        build_range(preset, MOSCOW, NOW, start=start, end=end)


def test_an_offset_less_tracker_time_is_in_the_trackers_timezone():
    assert tracker_datetime("2026-11-24 01:30:00", MOSCOW) == NOW


def test_an_empty_tracker_time_is_none():
    assert tracker_datetime("", MOSCOW) is None


def test_a_garbled_tracker_time_is_refused():
    with pytest.raises(ValueError, match="not a Keitaro datetime"):
        tracker_datetime("yesterday", MOSCOW)


def test_times_are_written_as_the_trackers_wall_clock():
    assert tracker_text(NOW, MOSCOW) == "2026-11-24 01:30:00"
