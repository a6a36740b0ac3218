"""Jinja filters for numbers, money and times, so every page shows them alike."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import Flask


def money(amount: Decimal | None) -> str:
    """``1,234.50``: grouped, two decimals unless the amount has more."""
    if amount is None:
        return "—"
    places = max(2, -amount.normalize().as_tuple().exponent) if amount else 2
    return f"{amount:,.{min(places, 6)}f}"


def rate(amount: Decimal | None) -> str:
    """Earnings per click: four decimals say enough at any traffic volume."""
    if amount is None:
        return "—"
    return f"{amount:,.4f}"


def duration(seconds: float | None) -> str:
    """``90`` -> ``1.5 min``, ``21600`` -> ``6 h``: how long, as people say it."""
    if seconds is None:
        return "—"
    unit, size = next(
        (
            (unit, size)
            for unit, size in (("d", 86400), ("h", 3600), ("min", 60))
            if seconds >= size
        ),
        ("s", 1),
    )
    return f"{seconds / size:.1f}".removesuffix(".0") + f" {unit}"


def count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def utc(moment: datetime | None) -> str:
    """The server-side text of a ``<time>``; the browser rewrites it in local time."""
    if moment is None:
        return "—"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def pretty_json(value: Any) -> str:
    """Indented JSON as text: Jinja escapes it, so markup in a payload shows as markup."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def short(value: str | None, length: int = 12) -> str:
    if not value:
        return "—"
    return value if len(value) <= length else value[: length - 1] + "…"


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        money=money,
        rate=rate,
        duration=duration,
        count=count,
        iso=iso,
        utc=utc,
        pretty_json=pretty_json,
        short=short,
    )
