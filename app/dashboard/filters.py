"""Jinja filters for numbers, money and times, so every page shows them alike."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel.numbers import format_decimal
from flask import Flask, has_request_context, request
from markupsafe import Markup, escape
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from app.core import display
from app.core.countries import country_name


def reader_locale() -> str:
    """The reader's locale for numbers, from the browser's ``Accept-Language``; ``en``
    outside a request or when nothing offered is known."""
    if not has_request_context():
        return display.DEFAULT_LOCALE
    return _best_locale(request.headers.get("Accept-Language", ""))


@lru_cache(maxsize=512)
def _best_locale(header: str) -> str:
    """Browsers send a handful of distinct headers: each is matched against Babel's
    locales once. A bare ``*`` names no locale, so it is left out."""
    offered = parse_accept_header(header, LanguageAccept)
    known = LanguageAccept([(value, quality) for value, quality in offered if value != "*"])
    return known.best_match(display.available_locales(), default=display.DEFAULT_LOCALE)


def money(amount: Decimal | None, currency: str | None = None) -> Markup:
    """``<data value="1234.567">$1,234.57</data>``: rounded to the currency's minor units in
    the reader's locale; the exact amount stays in ``value`` and in the tooltip."""
    return _amount(display.format_money, amount, currency)


def rate(amount: Decimal | None, currency: str | None = None) -> Markup:
    """Earnings per click, as :func:`app.core.display.format_epc` writes it."""
    return _amount(display.format_epc, amount, currency)


def _amount(
    write: Callable[[Decimal | None, str | None, str], str],
    amount: Decimal | None,
    currency: str | None,
) -> Markup:
    locale = reader_locale()
    if amount is None:
        return escape(display.MISSING)
    return Markup('<data class="amount" value="{}" title="{}">{}</data>').format(
        display.machine_value(amount),
        display.format_exact(amount, currency, locale),
        write(amount, currency, locale),
    )


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
    """Grouped the reader's way, like the money beside it (``1,234`` or ``1.234``)."""
    return "—" if value is None else format_decimal(value, locale=reader_locale())


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
        country_name=country_name,
    )
