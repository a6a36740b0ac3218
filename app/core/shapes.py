"""Guess what a parameter carries from its name, its macro and its value's shape.

Used where no signature knows the network (a support ticket's draft, a captured test
postback): weaker than a signature, so only ever a suggestion an operator confirms.
"""

from __future__ import annotations

import re

from app.core import cid
from app.core.money import AmountError, is_currency, parse_amount
from app.core.sample import Param, Sample
from app.core.vocabulary import EVENTS, STATUS_SYNONYMS

#: Our ``_cid`` (version 1 encodes as "AQ..."), give or take a few characters of format.
_TOKEN = re.compile(rf"^AQ[A-Za-z0-9_-]{{{cid.TOKEN_LENGTH - 4},{cid.TOKEN_LENGTH + 4}}}$")
_HEX_OR_UUID = re.compile(r"^[0-9a-fA-F-]{16,64}$")

#: Name fragments (of parameter or macro names) that hint at a field, strongest first.
HINTS: dict[str, tuple[str, ...]] = {
    "click_id": ("click_id", "clickid", "cid", "subid", "sub_id", "aff_sub", "afp", "payload"),
    "event_type": ("event", "goal", "action", "et", "type"),
    "status": ("status", "state"),
    "transaction_id": ("txid", "transaction", "tid", "order", "conversion", "lead_id", "leadid"),
    "payout_amount": ("payout", "commission", "revenue", "sum", "reward", "amount", "price"),
    "payout_currency": ("currency", "cur"),
    "gross_amount": ("sale_amount", "order_sum", "total", "deposit", "gross"),
    "external_user_id": ("user", "player", "customer", "uid", "member"),
}
EVENT_WORDS = frozenset(
    (*EVENTS, "reg", "signup", "sign_up", "lead", "sale", "dep", "first_deposit", "install")
)


def value_shape(value: str) -> str:
    """One word for what a value looks like (shown to operators beside the sample)."""
    text = value.strip()
    if not text:
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


def _names(param: Param) -> list[str]:
    return [param.name.casefold(), *(m.name.casefold() for m in param.macros)]


def _hinted(param: Param, field: str) -> int | None:
    """Rank of the best hint for ``field`` in the parameter's or its macros' names."""
    ranks = [
        rank
        for rank, hint in enumerate(HINTS[field])
        for name in _names(param)
        if name == hint or (len(hint) > 3 and hint in name)
    ]
    return min(ranks) if ranks else None


def suggest_field_map(sample: Sample) -> dict[str, str]:
    """Canonical field -> parameter name, for the fields the evidence supports."""
    shapes = {p.name: value_shape(p.value) for p in sample.params if not p.macros}
    chosen: dict[str, str] = {}
    taken: set[str] = set()

    def claim(field: str, name: str) -> None:
        if field not in chosen and name not in taken:
            chosen[field] = name
            taken.add(name)

    for param in sample.params:
        if shapes.get(param.name) == "click_token":
            claim("click_id", param.name)
    for field in HINTS:
        ranked = sorted(
            (rank, index, p.name)
            for index, p in enumerate(sample.params)
            if (rank := _hinted(p, field)) is not None and _shape_fits(field, shapes.get(p.name))
        )
        for _, _, name in ranked:
            claim(field, name)
            if field in chosen:
                break
    for param in sample.params:
        shape = shapes.get(param.name)
        if shape == "currency":
            claim("payout_currency", param.name)
        elif shape == "event_label":
            claim("event_type", param.name)
    return chosen


def _shape_fits(field: str, shape: str | None) -> bool:
    """A value that contradicts the field rules the hint out (``payout=abc``)."""
    if shape is None or shape == "empty":
        return True
    if field in ("payout_amount", "gross_amount"):
        return shape in ("decimal", "integer")
    if field == "payout_currency":
        return shape == "currency"
    return True
