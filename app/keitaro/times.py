"""Keitaro's datetimes: ``2026-11-23 14:05:09`` with no offset, in the tracker's timezone."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def tracker_datetime(value: str | None, zone: tzinfo) -> datetime | None:
    """An aware UTC datetime; a value that carries its own offset keeps it."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a Keitaro datetime: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def tracker_text(moment: datetime, zone: tzinfo) -> str:
    """The form Keitaro's ranges take: local wall time, to the second."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
