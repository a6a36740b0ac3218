"""Money written the way its reader expects: the currency's own minor units, the reader's
grouping and decimal signs, and the symbol where the locale puts it.

The stored amount keeps six decimals; a page rounds it to what the currency counts in
(JPY 0, USD 2, KWD 3, half to even like the bank) and keeps the exact value beside it for
a tooltip. Locales are Babel's (CLDR) names: ``en``, ``en_GB``, ``de_AT``...
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.localedata import locale_identifiers
from babel.numbers import (
    format_currency,
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
)

DEFAULT_LOCALE = "en"
#: An amount that came without a currency is shown with two decimals, like most money.
PLAIN_PLACES = 2
#: EPC under one unit shows up to this many places past the currency's own, so a click
#: worth a fraction of a cent still reads as something rather than ``$0.00``.
EPC_EXTRA_PLACES = 2
#: The environment variables that name the locale of money on a terminal, strongest first.
LOCALE_VARIABLES = ("LC_ALL", "LC_MONETARY", "LANG")
MISSING = "—"
_NBSP = "\u00a0"

LocaleLike = str | Locale


@lru_cache(maxsize=1)
def available_locales() -> tuple[str, ...]:
    """Every locale Babel can format for, as ``de_AT``-style names."""
    return tuple(sorted(locale_identifiers()))


def minor_units(currency: str | None) -> int:
    """Decimal places the currency is counted in (ISO 4217 via CLDR); two without one."""
    return get_currency_precision(currency) if currency else PLAIN_PLACES


def format_money(amount: Decimal | None, currency: str | None, locale: LocaleLike) -> str:
    """``$1,234,567.89`` (en), ``1.234.567,89 $`` (de), ``¥1,235``, ``KWD 1.235``.

    Rounded half to even to the currency's minor units. Without a currency the number
    alone, with two decimals: the reader sees no made-up unit. ``None`` is ``—``.
    """
    if amount is None:
        return MISSING
    places = minor_units(currency)
    rounded = _round(amount, places)
    if not currency:
        return format_decimal(rounded, format=_plain_pattern(places), locale=locale)
    return _spaced(format_currency(rounded, currency, locale=locale), currency, locale)


def format_epc(amount: Decimal | None, currency: str | None, locale: LocaleLike) -> str:
    """Earnings per click: money, plus up to two decimals while it is under one unit.

    ``$2.50``, ``$0.0123``, ``$0.05`` (trailing zeros past the currency's own places are
    dropped), ``¥0.5``... so small EPCs can be compared and large ones read like money.
    """
    if amount is None:
        return MISSING
    if abs(amount) >= 1:
        return format_money(amount, currency, locale)
    places = minor_units(currency)
    rounded = _round(amount, places + EPC_EXTRA_PLACES)
    if not currency:
        pattern = _plain_pattern(places) + "#" * EPC_EXTRA_PLACES
        return format_decimal(rounded, format=pattern, locale=locale)
    text = format_currency(
        rounded, currency, locale=locale, currency_digits=True, decimal_quantization=False
    )
    return _spaced(text, currency, locale)


def format_exact(amount: Decimal | None, currency: str | None, locale: LocaleLike) -> str:
    """Every stored digit and the ISO code, for a tooltip: ``1,234,567.891 USD``."""
    if amount is None:
        return ""
    digits = format_decimal(_trimmed(amount), locale=locale, decimal_quantization=False)
    return f"{digits} {currency}" if currency else f"{digits}, no currency"


def machine_value(amount: Decimal | None) -> str:
    """The exact amount as plain digits (``1234567.891``), for a ``value`` attribute."""
    return "" if amount is None else format(_trimmed(amount), "f")


def locale_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The terminal's locale for money (``LC_ALL``, ``LC_MONETARY``, ``LANG``), or ``en``.

    The first variable that is set decides, as in POSIX; ``C``, ``POSIX`` or a name Babel
    does not know fall back to ``en``.
    """
    environ = os.environ if environ is None else environ
    for name in LOCALE_VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            return _known_locale(value.split(".")[0].split("@")[0])
    return DEFAULT_LOCALE


def _known_locale(name: str) -> str:
    if name.upper() in ("C", "POSIX"):
        return DEFAULT_LOCALE
    try:
        return str(Locale.parse(name))
    except (ValueError, UnknownLocaleError):
        return DEFAULT_LOCALE


def _round(amount: Decimal, places: int) -> Decimal:
    rounded = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    # -0.001 USD rounds to zero, and a zero has no sign to show.
    return rounded.copy_abs() if rounded.is_zero() else rounded


def _trimmed(amount: Decimal) -> Decimal:
    """Without trailing zeros, and never in exponent form (``100`` stays ``100``)."""
    normal = amount.normalize()
    return normal.quantize(Decimal(1)) if normal.as_tuple().exponent > 0 else normal


def _plain_pattern(places: int) -> str:
    return "#,##0" + ("." + "0" * places if places else "")


def _spaced(text: str, currency: str, locale: LocaleLike) -> str:
    """``KWD 1.235``, not ``KWD1.235``: CLDR puts a space between a lettered symbol and
    the digits (its currency spacing rule), which Babel leaves out."""
    symbol = get_currency_symbol(currency, locale=locale)
    at = text.find(symbol)
    if not symbol or at < 0:
        return text
    end = at + len(symbol)
    if end < len(text) and text[end].isdigit() and _is_letter(symbol[-1]):
        return text[:end] + _NBSP + text[end:]
    if at > 0 and text[at - 1].isdigit() and _is_letter(symbol[0]):
        return text[:at] + _NBSP + text[at:]
    return text


def _is_letter(char: str) -> bool:
    return not unicodedata.category(char).startswith(("S", "Z"))
