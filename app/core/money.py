"""Amounts and currencies as networks send them, parsed into ``Decimal`` and ISO 4217.

Networks format numbers every way a spreadsheet can. We accept the common human forms and
refuse anything that could be misread (scientific notation, NaN, infinities), because a
wrong payout is worse than a missing one: a refused value becomes ``None`` plus a note.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache

import pycountry

MICROS = Decimal(1_000_000)
DECIMAL_PLACES = Decimal("0.000001")
MAX_ABS_AMOUNT = Decimal(10) ** 12

_GROUPING = re.compile(r"[\s\u00a0\u202f'_]")
_PLAIN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


class AmountError(ValueError):
    """The value is not an amount we can read without guessing."""


def parse_amount(raw: object) -> Decimal:
    """Read ``12.50``, ``12,50``, ``1 234.5``, ``1,234.50``, ``1.234,50`` or ``-3``.

    A single comma is a decimal separator (``12,50``); with both separators the last one
    is the decimal separator and the other groups thousands. Spaces, no-break spaces,
    apostrophes and underscores group thousands.
    """
    if isinstance(raw, bool) or raw is None:
        raise AmountError("not a number")
    if isinstance(raw, int | Decimal):
        text = str(raw)
    elif isinstance(raw, float):
        text = repr(raw)
    else:
        text = str(raw)
    text = _GROUPING.sub("", text.strip())
    if not text:
        raise AmountError("empty")
    if "e" in text.lower() and _looks_scientific(text):
        raise AmountError("scientific notation is refused")
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    elif re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+", text):
        text = text.replace(",", "")
    if not _PLAIN.fullmatch(text):
        raise AmountError("not a number")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise AmountError("not a number") from None
    if abs(value) >= MAX_ABS_AMOUNT:
        raise AmountError("out of range")
    return value


def _looks_scientific(text: str) -> bool:
    return bool(re.fullmatch(r"[+-]?\d*\.?\d*[eE][+-]?\d+", text))


def quantize(value: Decimal) -> Decimal:
    """Round to the six decimal places we store."""
    return value.quantize(DECIMAL_PLACES, rounding=ROUND_HALF_EVEN)


@lru_cache(maxsize=1)
def _currency_codes() -> frozenset[str]:
    return frozenset(currency.alpha_3 for currency in pycountry.currencies)


def parse_currency(raw: object) -> str:
    """Upper-case ISO 4217 code, or ``AmountError`` for anything else."""
    if not isinstance(raw, str):
        raise AmountError("not a currency code")
    code = raw.strip().upper()
    if code not in _currency_codes():
        raise AmountError("not an ISO 4217 currency code")
    return code


def is_currency(code: str) -> bool:
    return code in _currency_codes()
