"""Report ranges by name (today, yesterday, 7d, 30d, this-month) or from/to, in the
tracker's timezone: "today" means the tracker's day, as its own reports show it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

PRESETS = ("today", "yesterday", "7d", "30d", "this-month", "custom")
FORMAT = "%Y-%m-%d %H:%M:%S"


def build_range(
    preset: str,
    zone: tzinfo,
    now: datetime,
    *,
    start: str | None = None,
    end: str | None = None,
) -> dict[str, str]:
    """Keitaro's ``range`` object: wall-clock ``from``/``to`` plus the timezone's name."""
    local = now.astimezone(zone)
    today = local.date()
    if preset == "custom":
        if not start:
            raise ValueError("a custom range needs --from (and optionally --to)")
        first = _moment(start, zone, end_of_day=False)
        last = _moment(end, zone, end_of_day=True) if end else local
    elif start or end:
        raise ValueError("--from and --to go with --range custom")
    elif preset == "today":
        first, last = _day_start(today, zone), local
    elif preset == "yesterday":
        day = today - timedelta(days=1)
        first, last = _day_start(day, zone), _day_end(day, zone)
    elif preset in ("7d", "30d"):
        days = int(preset[:-1])
        first, last = _day_start(today - timedelta(days=days - 1), zone), local
    elif preset == "this-month":
        first, last = _day_start(today.replace(day=1), zone), local
    else:
        raise ValueError(f"unknown range {preset!r}: one of {', '.join(PRESETS)}")
    if last < first:
        raise ValueError("the range ends before it starts")
    return {
        "from": first.strftime(FORMAT),
        "to": last.strftime(FORMAT),
        "timezone": getattr(zone, "key", str(zone)),
    }


def _day_start(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _day_end(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone)


def _moment(text: str, zone: tzinfo, *, end_of_day: bool) -> datetime:
    """``2026-11-01`` (a whole day) or ``2026-11-01 12:30[:00]``, in ``zone`` unless the
    text carries an offset."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"not a date or datetime: {text!r} (use 2026-11-01 or 2026-11-01 12:30)"
        ) from None
    if len(text.strip()) == 10:
        parsed = datetime.combine(parsed.date(), time(23, 59, 59) if end_of_day else time.min)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(zone)
