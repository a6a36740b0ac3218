"""JSON from outside, within a documented nesting depth.

A network or a script may send JSON nested a thousand levels deep; Python parses it
(just) and then fails on the next recursive step, ``json.dumps`` or a schema, with a
``RecursionError`` that no caller expects. Nothing we accept needs more than a few
levels, so deeper documents are refused at the door, with a sentence saying why.
"""

from __future__ import annotations

import json
from typing import Any

#: The deepest nesting of arrays and objects accepted in any JSON we are sent.
MAX_JSON_DEPTH = 32


class NestingTooDeep(Exception):
    """Not a ``ValueError`` on purpose: callers that treat bad JSON as "no JSON" (Flask's
    ``get_json(silent=True)``) must not swallow it."""

    def __init__(self) -> None:
        super().__init__(
            f"JSON nested deeper than {MAX_JSON_DEPTH} levels of arrays and objects is refused"
        )


def depth(document: Any) -> int:
    """The nesting depth of a parsed document (``1`` for ``{"a": 1}``), found without
    recursion so that measuring a deep document cannot fail the way using it would."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(document, 0)]
    while pending:
        value, level = pending.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        level += 1
        if level > deepest:
            deepest = level
            if deepest > MAX_JSON_DEPTH:
                return deepest
        pending.extend((child, level) for child in children)
    return deepest


def loads(text: str | bytes, **kwargs: Any) -> Any:
    """``json.loads`` that raises ``NestingTooDeep`` beyond ``MAX_JSON_DEPTH``."""
    try:
        document = json.loads(text, **kwargs)
    except RecursionError:
        raise NestingTooDeep() from None
    # Counting brackets is cheap and settles nearly every document: one that opens no
    # more arrays and objects than the limit cannot nest deeper than it.
    brackets = ("[", "{") if isinstance(text, str) else (b"[", b"{")
    opened = sum(text.count(bracket) for bracket in brackets)  # type: ignore[arg-type]
    if opened > MAX_JSON_DEPTH and depth(document) > MAX_JSON_DEPTH:
        raise NestingTooDeep()
    return document
