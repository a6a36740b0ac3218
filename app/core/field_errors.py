"""A validation error's messages as sentences a person reads.

Each sentence names the field the way the reader typed it (the JSON key in the API, the
option in the command line, the label in the dashboard), says what is wrong and what
would be right. Messages are predicates that read after that name ("is required",
"must be at most 120 characters long"; ``app.core.field_messages`` makes marshmallow's
own ones so). A message that starts with a capital letter is a sentence its author wrote
to stand alone: about a top-level field it is shown as written, deeper it follows where
it is after a colon.

Nested errors read as where they are: a map's entry (``{"dep": {"value": [...]}}``)
becomes "event_map: “dep” maps to “xyz”, which is not an event; ...", a list's item
"countries: “XX” is not ...", a nested object's field "sort: item 1: order must be ...".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

#: Where marshmallow puts the errors of a whole object rather than of one field.
SCHEMA = "_schema"
#: The most of a value a sentence quotes.
QUOTED_LENGTH = 60

Label = Callable[[str], str]
_MISSING = object()
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def or_list(choices: Iterable[object]) -> str:
    """``a, b or c``: the choices a message offers."""
    items = [str(choice) for choice in choices]
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} or {items[-1]}"


def escaped(text: str) -> str:
    """Control characters as their JSON escapes: a NUL or a line break typed into a name
    stays visible and cannot break the line a sentence is printed on."""
    return _CONTROL.sub(lambda found: json.dumps(found.group())[1:-1], text)


def quoted(value: object) -> str:
    """A value as a sentence shows it: in quotes, control characters escaped, long ones
    cut; JSON for anything but text, never a Python repr."""
    text = escaped(value if isinstance(value, str) else json.dumps(value, default=str))
    if len(text) > QUOTED_LENGTH:
        text = text[: QUOTED_LENGTH - 1] + "…"
    return f"“{text}”"


def humanised(name: str) -> str:
    """A field's name as a label when nothing better is known: ``event_map`` is
    "Event map"."""
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def sentences(messages: object, data: object = None, label: Label = str) -> dict[str, list[str]]:
    """Per top-level field, the sentences about it; errors of the whole object under
    ``_schema``. ``data`` is the input that failed, so a sentence can quote the value
    it is about; ``label`` names a field as the reader typed it."""
    by_field = messages if isinstance(messages, Mapping) else {SCHEMA: messages}
    answer: dict[str, list[str]] = {}
    for key, errors in by_field.items():
        name = str(key)
        value = data.get(key, _MISSING) if isinstance(data, Mapping) else _MISSING
        noun = None if name == SCHEMA else _Noun(escaped(label(name)))
        answer[name] = list(_walk(None, noun, errors, value))
    return answer


def summary(by_field: Mapping[str, Sequence[str]]) -> str:
    """Every sentence, in one text: for a single message about the whole input."""
    return " ".join(sentence for found in by_field.values() for sentence in found)


def lines(messages: object, data: object = None, label: Label = str) -> list[str]:
    """Every sentence, one a line."""
    return [line for found in sentences(messages, data, label).values() for line in found]


class _Noun:
    """What a predicate is about, and how a sentence of its own names it."""

    def __init__(self, before_predicate: str, before_sentence: str | None = None) -> None:
        self.before_predicate = before_predicate
        self.before_sentence = before_sentence or before_predicate


def _walk(prefix: str | None, noun: _Noun | None, errors: object, value: Any) -> Iterator[str]:
    if isinstance(errors, str):
        yield _sentence(prefix, noun, errors)
    elif isinstance(errors, Mapping):
        inner_prefix = _join(prefix, noun.before_sentence if noun else None)
        for key, inner in errors.items():
            yield from _walk_entry(inner_prefix, key, inner, value)
    elif isinstance(errors, Iterable):
        for error in errors:
            yield from _walk(prefix, noun, error, value)
    else:
        yield _sentence(prefix, noun, str(errors))


def _walk_entry(prefix: str | None, key: object, errors: object, value: Any) -> Iterator[str]:
    """One entry of nested errors: a map's key or value, a list's item, a field."""
    if isinstance(errors, Mapping) and errors and set(errors) <= {"key", "value"}:
        if "key" in errors:
            yield from _walk(prefix, _Noun(f"the key {quoted(key)}"), errors["key"], _MISSING)
        if "value" in errors:
            entry = value.get(key, _MISSING) if isinstance(value, Mapping) else _MISSING
            if entry is _MISSING or len(str(entry)) > QUOTED_LENGTH:
                # A long value is not echoed: it is more likely a secret than a typo.
                noun = _Noun(f"the value of {quoted(key)}")
            else:
                noun = _Noun(f"{quoted(key)} maps to {quoted(entry)}, which", quoted(key))
            yield from _walk(prefix, noun, errors["value"], entry)
        return
    if isinstance(key, int):
        item = _item(value, key)
        scalar = item is not _MISSING and not isinstance(item, Mapping | list)
        noun = _Noun(quoted(item) if scalar else f"item {key + 1}")
        yield from _walk(prefix, noun, errors, item)
        return
    field = value.get(key, _MISSING) if isinstance(value, Mapping) else _MISSING
    name = None if key == SCHEMA else _Noun(escaped(str(key)))
    yield from _walk(prefix, name, errors, field)


def _item(value: Any, index: int) -> Any:
    if isinstance(value, list) and 0 <= index < len(value):
        return value[index]
    return _MISSING


def _join(prefix: str | None, name: str | None) -> str | None:
    if prefix and name:
        return f"{prefix}: {name}"
    return prefix or name


def _sentence(prefix: str | None, noun: _Noun | None, message: str) -> str:
    message = message.strip()
    if noun is None:
        text = message[:1].upper() + message[1:]
    elif message[:1].islower():
        text = f"{noun.before_predicate} {message}"
    elif prefix:
        text = f"{noun.before_sentence}: {message}"
    else:
        text = message
    if prefix:
        text = f"{prefix}: {text}"
    return text if text.endswith((".", "!", "?")) else f"{text}."
