"""Merge a postback's parameters from query string, form body and JSON body.

The query string wins on conflict: it is what the operator pasted into the network's
panel, while bodies are shaped by the network's software and sometimes echo stale values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

MAX_PARAMS = 200
MAX_KEY = 128
MAX_VALUE = 2048


def clean(text: str) -> str:
    """Text every database accepts: no NUL, no lone surrogates."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _stringify(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def merge(
    query: Iterable[tuple[str, str]],
    form: Iterable[tuple[str, str]] = (),
    json_body: object = None,
) -> tuple[dict[str, str], list[str]]:
    """Merged parameters (first value of a repeated key wins) and notes on what was cut."""
    notes: list[str] = []
    merged: dict[str, str] = {}
    sources: list[Iterable[tuple[str, object]]] = [query]
    if isinstance(json_body, Mapping):
        sources.append(json_body.items())
    elif json_body is not None:
        notes.append("body: JSON that is not an object was ignored")
    sources.append(form)
    for pairs in sources:
        for key, value in pairs:
            key = clean(str(key))
            if key in merged:
                continue
            if len(merged) >= MAX_PARAMS:
                notes.append(f"params: more than {MAX_PARAMS} parameters, the rest ignored")
                return merged, notes
            text = clean(_stringify(value))
            if len(key) > MAX_KEY:
                notes.append("params: a parameter name longer than 128 characters was cut")
                key = key[:MAX_KEY]
            if len(text) > MAX_VALUE:
                notes.append(f"{key[:40]}: value longer than {MAX_VALUE} characters was cut")
                text = text[:MAX_VALUE]
            merged[key] = text
    return merged, notes


def fingerprint(params: Mapping[str, str], event_label: str | None = None) -> str:
    """Stable digest of a parameter set, used to spot a network's exact retries."""
    canonical = json.dumps(
        {"params": sorted(params.items()), "path_event": event_label},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
