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

_SIGN = r"[+-]?"
#: ``12``, ``12.50``, ``12,50``, ``.5``: one separator at most, and it is the decimal one.
_PLAIN = re.compile(_SIGN + r"(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")
#: ``1,234.50``, ``1 234.5``, ``1'234``: groups of three, one grouping character, dot decimal.
_GROUPED_DOT = re.compile(
    _SIGN + r"[0-9]{1,3}(?P<g>[,\s\u00a0\u202f'_])[0-9]{3}(?:(?P=g)[0-9]{3})*(?:\.[0-9]+)?"
)
#: ``1.234,50``, ``1 234,5``: groups of three, comma decimal.
_GROUPED_COMMA = re.compile(
    _SIGN + r"[0-9]{1,3}(?P<g>[.\s\u00a0\u202f'_])[0-9]{3}(?:(?P=g)[0-9]{3})*(?:,[0-9]+)?"
)


class AmountError(ValueError):
    """The value is not an amount we can read without guessing."""


def parse_amount(raw: object) -> Decimal:
    """Read ``12.50``, ``12,50``, ``1 234.5``, ``1,234.50``, ``1.234,50`` or ``-3``.

    A lone comma or dot is the decimal separator (``12,50``, ``1.234``). Grouping is only
    accepted in groups of three with one grouping character, so ``1,2,3`` is refused
    rather than guessed. Digits are ASCII only.
    """
    if isinstance(raw, bool) or raw is None:
        raise AmountError("not a number")
    text = repr(raw) if isinstance(raw, float) else str(raw)
    text = text.strip()
    if not text:
        raise AmountError("empty")
    if _PLAIN.fullmatch(text):
        number = text.replace(",", ".")
    elif match := _GROUPED_DOT.fullmatch(text):
        number = text.replace(match.group("g"), "")
    elif match := _GROUPED_COMMA.fullmatch(text):
        number = text.replace(match.group("g"), "").replace(",", ".")
    elif "e" in text.lower():
        raise AmountError("scientific notation is refused")
    else:
        raise AmountError("not a number")
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise AmountError("not a number") from None
    if abs(value) >= MAX_ABS_AMOUNT:
        raise AmountError("out of range")
    return value


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
