"""What a postback value looks like: one word an operator reads beside the sample, and
evidence for the generic reader (``app.core.reader``) when a URL carries values."""

from __future__ import annotations

import re

from app.core import cid
from app.core.money import AmountError, is_currency, parse_amount
from app.core.vocabulary import EVENT_SYNONYMS, EVENTS, STATUS_SYNONYMS

#: Our ``_cid`` (version 1 encodes as "AQ...", version 2 as "Ag..."), give or take a few
#: characters of format.
_TOKEN = re.compile(rf"^A[Qg][A-Za-z0-9_-]{{{cid.TOKEN_LENGTH_V1 - 4},{cid.TOKEN_LENGTH + 4}}}$")
_HEX_OR_UUID = re.compile(r"^[0-9a-fA-F-]{16,64}$")
#: A documentation's "fill this in": ``...``, ``…``, ``xxx``.
_PLACEHOLDER = re.compile(r"^(?:\.{2,}|…+|x{3,}|X{3,})$")

EVENT_WORDS = frozenset((*EVENTS, *EVENT_SYNONYMS))


def value_shape(value: str) -> str:
    """One word for what a value looks like (shown to operators beside the sample)."""
    text = value.strip()
    if not text or _PLACEHOLDER.match(text):
        return "empty"
    if _TOKEN.match(text):
        return "click_token"
    if text.casefold() in EVENT_WORDS:
        return "event_label"
    if text.casefold() in STATUS_SYNONYMS and not text.isdigit():
        return "status_label"
    if len(text) == 3 and text.isalpha() and is_currency(text.upper()):
        return "currency"
    if text.isdigit():
        return "integer"
    if _is_amount(text):
        return "decimal"
    if _HEX_OR_UUID.match(text):
        return "identifier"
    return "text"


def _is_amount(text: str) -> bool:
    try:
        parse_amount(text)
    except AmountError:
        return False
    return True
