"""Requests checked against the rules derived from Keitaro's published Admin API document.

``api_rules.json`` (written by ``derive_rules.py``; ``make keitaro-rules``) holds, per
operation, the body's documented fields with their types, enums and required names, and
the query and path parameters. The client checks every body and parameter here before
sending, so a body the tracker's own rules refuse fails at once, with a sentence naming
the field where it is (``costs[0].timezone``) and the fields the document lists there.

The rules are the authority for required fields, types and enums. Two leniencies, both
because Keitaro's own objects need them: a field the document does not list passes
untouched (unless the document closes the object with ``additionalProperties: false``),
and ``null`` passes for a field that is not required (Keitaro answers ``null`` for unset
fields, so an object read from it must be writable back).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from app.core.field_errors import SCHEMA, escaped, quoted
from app.keitaro import errors
from app.keitaro.operations import Operation

RULES_PATH = Path(__file__).with_name("api_rules.json")
#: Sentences one refusal shows; the error's ``fields`` holds every one.
SHOWN = 8

Rule = Mapping[str, Any]
Part = str | int

#: How a sentence names each of the document's types.
TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a JSON object",
}


@cache
def rules() -> dict[str, Any]:
    """The derived rules, read once."""
    return json.loads(RULES_PATH.read_text(encoding="utf-8"))


def for_operation(op: Operation) -> Rule | None:
    """The operation's rules, or None for one the document lacks (``settings.get``)."""
    return rules()["operations"].get(op.key)


@dataclass(frozen=True)
class Problem:
    """One thing wrong, at ``path`` (the keys and indexes from the body down)."""

    path: tuple[Part, ...]
    #: A predicate read after the path ("is required"), or a sentence of its own.
    message: str
    required: bool = False

    @property
    def where(self) -> tuple[Part, ...]:
        """The object whose field this is: the path up to its last key."""
        keys = [i for i, part in enumerate(self.path) if isinstance(part, str)]
        return self.path[: keys[-1]] if keys else ()

    def sentence(self) -> str:
        name = spelled(self.path)
        text = self.message.strip().rstrip(".")
        if not name:
            return f"{text[:1].upper()}{text[1:]}."
        if text[:1].isupper():
            return f"{name}: {text}."
        return f"{name} {text}."


def spelled(path: Iterable[Part]) -> str:
    """A path as typed in JSON terms: ``costs[0].timezone``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + escaped(part)
    return text


# -- bodies -------------------------------------------------------------------------------


def check_body(op: Operation, body: Any) -> None:
    """Refuse ``body`` (as it will be sent) when it breaks the operation's rules."""
    rule = (for_operation(op) or {}).get("body")
    if rule is None:
        return
    problems = list(problems_of(rule, body))
    if problems:
        raise refusal(op, problems)


def problems_of(rule: Rule, value: Any, path: tuple[Part, ...] = ()) -> Iterator[Problem]:
    """Everything ``value`` breaks of ``rule``, deepest paths included."""
    if value is None:
        return
    kinds = _types(rule)
    if kinds and not any(_is(value, kind) for kind in kinds):
        wanted = " or ".join(TYPE_WORDS[kind] for kind in kinds)
        yield Problem(path, f"must be {wanted}, not {_kind_of(value)}")
        return
    if "enum" in rule and value not in rule["enum"]:
        choices = ", ".join(str(choice) for choice in rule["enum"])
        yield Problem(path, f"must be one of {choices}, not {quoted(value)}")
        return
    if "any_of" in rule and not any(
        not any(problems_of(option, value, path)) for option in rule["any_of"]
    ):
        yield Problem(path, "matches none of the forms the document gives it")
        return
    if isinstance(value, list) and "items" in rule:
        for index, item in enumerate(value):
            yield from problems_of(rule["items"], item, (*path, index))
    if isinstance(value, Mapping):
        yield from _object_problems(rule, value, path)


def _object_problems(
    rule: Rule, value: Mapping[str, Any], path: tuple[Part, ...]
) -> Iterator[Problem]:
    fields = rule.get("fields") or {}
    for name in rule.get("required") or ():
        if value.get(name) is None:
            said = "is required" if name not in value else "is required and must not be null"
            yield Problem((*path, name), said, required=True)
    for name, inner in value.items():
        if name in fields:
            yield from problems_of(fields[name], inner, (*path, name))
        elif rule.get("extra") is False:
            yield Problem((*path, name), "is not a documented field")
        elif "values" in rule:
            yield from problems_of(rule["values"], inner, (*path, name))


def _types(rule: Rule) -> list[str]:
    kind = rule.get("type")
    return [] if kind is None else [kind] if isinstance(kind, str) else list(kind)


def _is(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        if isinstance(value, float):
            return value.is_integer()
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list | tuple)
    if kind == "object":
        return isinstance(value, Mapping)
    return True


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "text"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a JSON object"
    return "something else"


# -- refusals -----------------------------------------------------------------------------


def refusal(op: Operation, problems: list[Problem]) -> errors.InvalidRequest:
    """One error for every problem: each named where it is, then the documented fields of
    the objects they are in, so the reader sees what would be right."""
    by_field: dict[str, list[str]] = {}
    for problem in problems:
        by_field.setdefault(spelled(problem.path) or SCHEMA, []).append(problem.sentence())
    said = [problem.sentence() for problem in problems[:SHOWN]]
    if len(problems) > SHOWN:
        said.append(f"And {len(problems) - SHOWN} more.")
    body = (for_operation(op) or {}).get("body") or {}
    listed: set[tuple[Part, ...]] = set()
    for problem in problems[:SHOWN]:
        where, rule = _listed_at(body, problem)
        shape = tuple("[]" if isinstance(part, int) else part for part in where)
        if shape in listed:
            continue
        listed.add(shape)
        names = documented_fields(rule)
        if names:
            of = f" of {spelled(where)}" if where else ""
            said.append(f"The documented fields{of} are {', '.join(names)}.")
    return errors.InvalidRequest(f"{label(op)}: {' '.join(said)}", by_field)


def label(op: Operation) -> str:
    """An operation as a sentence names it: ``domains create``."""
    return f"{op.resource} {op.name}"


def _listed_at(body: Rule, problem: Problem) -> tuple[tuple[Part, ...], Rule | None]:
    """The object whose fields help most: the item itself when the problem is an item of a
    list of objects (``filters[1]`` is not an object), else the object holding the field."""
    if problem.path and isinstance(problem.path[-1], int):
        item = _rule_at(body, problem.path)
        if item and item.get("fields"):
            return problem.path, item
    return problem.where, _rule_at(body, problem.where)


def documented_fields(rule: Rule | None) -> list[str]:
    """An object's documented fields: the required ones first, in the document's order,
    then the others alphabetically."""
    if not rule:
        return []
    required = [str(name) for name in rule.get("required") or ()]
    rest = sorted(name for name in rule.get("fields") or {} if name not in required)
    return [escaped(name) for name in (*required, *rest)]


def _rule_at(rule: Rule, path: Iterable[Part]) -> Rule | None:
    for part in path:
        if isinstance(part, int):
            rule = rule.get("items") or {}
        else:
            rule = (rule.get("fields") or {}).get(part) or {}
        if not rule:
            return None
    return rule


def schema_problems(messages: Any, path: tuple[Part, ...] = ()) -> Iterator[Problem]:
    """marshmallow's nested messages (``{"costs": {0: {"cost": [...]}}}``) as problems."""
    if isinstance(messages, str):
        yield Problem(path, messages)
    elif isinstance(messages, Mapping):
        for key, inner in messages.items():
            if key == "_schema":
                yield from schema_problems(inner, path)
            else:
                yield from schema_problems(
                    inner, (*path, key if isinstance(key, int) else str(key))
                )
    elif isinstance(messages, Iterable):
        for inner in messages:
            yield from schema_problems(inner, path)
    else:
        yield Problem(path, str(messages))


# -- parameters ---------------------------------------------------------------------------


def check_params(op: Operation, values: Mapping[str, Any]) -> None:
    """Refuse a path or query parameter of the wrong type or outside its enum. Presence is
    checked by the client (``operations.py`` names the required ones)."""
    params = (for_operation(op) or {}).get("params") or {}
    for name, rule in params.items():
        value = values.get(name)
        if value is None or value == "":
            continue
        wrong = _param_problem(rule, value)
        if wrong:
            documented = ", ".join(sorted(params))
            raise errors.InvalidRequest(
                f"{label(op)}: the parameter {name} {wrong}. The documented parameters are "
                f"{documented}.",
                {name: [f"{name} {wrong}."]},
            )


def _param_problem(rule: Rule, value: Any) -> str | None:
    """Parameters travel as text in the URL, so a number may come as its digits."""
    if isinstance(value, Mapping | list | tuple):
        return "must be a single value, not a list or an object"
    text = str(value).lower() if isinstance(value, bool) else str(value)
    kinds = _types(rule)
    if kinds and not any(_param_is(value, text, kind) for kind in kinds):
        return f"must be {' or '.join(TYPE_WORDS[kind] for kind in kinds)}, not {quoted(text)}"
    if "enum" in rule and text not in [str(choice) for choice in rule["enum"]]:
        choices = ", ".join(str(choice) for choice in rule["enum"])
        return f"must be one of {choices}, not {quoted(text)}"
    return None


def _param_is(value: Any, text: str, kind: str) -> bool:
    if kind == "integer":
        digits = text.removeprefix("-")
        return not isinstance(value, bool) and digits.isascii() and digits.isdigit()
    if kind == "number":
        try:
            float(text)
        except ValueError:
            return False
        return not isinstance(value, bool)
    if kind == "boolean":
        return text in ("true", "false", "1", "0")
    return True
