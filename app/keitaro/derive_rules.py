"""Rules for the Admin API's requests, derived from Keitaro's published OpenAPI document.

    python -m app.keitaro.derive_rules PATH/TO/keitaro-admin-api-v1.openapi.json
    make keitaro-rules

The document is Keitaro's, under Keitaro's terms, so the project keeps only what a check
needs, as data: ``api_rules.json`` beside this file, one entry per row of
``operations.py`` (method and path matched to the document), holding the body's fields
with their types, item types, nested fields, enums and required names, and the query and
path parameters. ``rules.py`` checks every request against it before sending; the test
tracker refuses what it refuses.

What is left out, and why:

- descriptions, summaries, titles, examples and ``x-`` extensions: prose and sample
  values, not rules (and the document's own words, which stay in the document);
- defaults: what the tracker fills in when a field is absent, which checks nothing;
- formats (``int32``) and patterns: the document gives them only in answers;
- answers: the client reads them leniently (``pages.typed``), because Keitaro writes
  numbers as strings whatever its document says;
- objects nested more than two levels below a body's fields: kept as a bare ``object``.
  The document has none in a request, and a loop of ``$ref`` could otherwise not end;
- headers, cookies and security: the transport sends the API key itself;
- media types other than JSON: every body the client sends is JSON.

A field the document requires without describing it (``is_ssl`` of a new domain) is kept
with no type, so it is required and takes any value. ``oneOf`` and ``anyOf`` accept any
of their alternatives; ``allOf`` merges its parts (fields, required names, enums).
Objects allow undocumented fields unless the document says ``additionalProperties:
false``: Keitaro's objects carry many more fields than it lists.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from app.keitaro.operations import OPERATIONS, Operation

#: Where the rules are written: package data, shipped with the wheel.
RULES_PATH = Path(__file__).with_name("api_rules.json")
#: How many levels of objects below a body keep their fields (body fields are level 1).
MAX_DEPTH = 2
#: Lines are kept within this width where an entry fits on one.
WIDTH = 100

METHODS = ("get", "put", "post", "delete", "patch")
TYPES = ("string", "integer", "number", "boolean", "array", "object")
Json = Any
Rule = dict[str, Any]


class DocumentError(Exception):
    """The document cannot be read as OpenAPI (a ``$ref`` to nowhere, no ``paths``)."""


def derive(document: Mapping[str, Any], operations: Sequence[Operation] = OPERATIONS) -> Json:
    """The rules of ``operations`` that ``document`` describes, as JSON-ready data."""
    paths = document.get("paths")
    if not isinstance(paths, Mapping):
        raise DocumentError("the document has no paths")
    documented = dict(_document_operations(document, paths))
    entries: dict[str, Rule] = {}
    missing: list[str] = []
    for op in operations:
        found = documented.get((op.method, op.path))
        if found is None:
            missing.append(op.key)
            continue
        entries[op.key] = _entry(document, op, *found)
    table = {(op.method, op.path) for op in operations}
    info = document.get("info") or {}
    return {
        "derived_from": {
            "openapi": str(document.get("openapi", "")),
            "title": str(info.get("title", "")),
            "version": str(info.get("version", "")),
        },
        "not_in_document": missing,
        "not_in_operations": [f"{m} {p}" for m, p in sorted(documented) if (m, p) not in table],
        "operations": entries,
    }


def _document_operations(
    document: Mapping[str, Any], paths: Mapping[str, Any]
) -> Iterator[tuple[tuple[str, str], tuple[Mapping[str, Any], list[Any]]]]:
    for raw_path, item in paths.items():
        item = _resolve(document, item)
        shared = list(item.get("parameters") or [])
        for method in METHODS:
            if isinstance(item.get(method), Mapping):
                key = (method.upper(), str(raw_path).strip("/"))
                yield key, (item[method], shared)


def _entry(
    document: Mapping[str, Any], op: Operation, spec: Mapping[str, Any], shared: list[Any]
) -> Rule:
    entry: Rule = {"method": op.method, "path": op.path}
    params = _params(document, [*shared, *(spec.get("parameters") or [])])
    if params:
        entry["params"] = params
    body = _body_schema(document, spec.get("requestBody"))
    if body is not None:
        entry["body"] = _rule(document, body, 0, ())
    return entry


def _params(document: Mapping[str, Any], raw: Iterable[Any]) -> dict[str, Rule]:
    """Query and path parameters by name; an operation's own override its path's."""
    found: dict[str, Rule] = {}
    for param in raw:
        param = _resolve(document, param)
        where = param.get("in")
        if where not in ("path", "query") or not param.get("name"):
            continue
        rule = _rule(document, param.get("schema") or {}, MAX_DEPTH, ())
        found[str(param["name"])] = {
            "in": where,
            "required": bool(param.get("required")) or where == "path",
            **rule,
        }
    return found


def _body_schema(document: Mapping[str, Any], request_body: Any) -> Mapping[str, Any] | None:
    if request_body is None:
        return None
    request_body = _resolve(document, request_body)
    content = request_body.get("content") or {}
    for media_type, spec in content.items():
        if "json" in media_type and isinstance(spec, Mapping):
            return spec.get("schema") or {}
    return None


def _rule(document: Mapping[str, Any], schema: Any, depth: int, seen: tuple[str, ...]) -> Rule:
    """One schema as a rule: ``type``, ``enum``, ``items``, ``fields`` with ``required``,
    ``extra: false``, ``values`` (the rule of undocumented fields' values), or
    ``any_of`` (alternatives that are more than a type)."""
    if not isinstance(schema, Mapping):
        return {}
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if ref in seen:
            return {"type": "object"}
        target = _pointer(document, ref)
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        return _merged(
            [_rule(document, target, depth, (*seen, ref)), _rule(document, siblings, depth, seen)]
        )
    if "allOf" in schema:
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        parts = [_rule(document, part, depth, seen) for part in schema["allOf"]]
        return _merged([*parts, _rule(document, rest, depth, seen)])
    alternatives = schema.get("oneOf") or schema.get("anyOf")
    if alternatives:
        rest = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
        options = [_rule(document, option, depth, seen) for option in alternatives]
        return _merged([_either(options), _rule(document, rest, depth, seen)])
    return _plain(document, schema, depth, seen)


def _plain(
    document: Mapping[str, Any], schema: Mapping[str, Any], depth: int, seen: tuple[str, ...]
) -> Rule:
    rule: Rule = {}
    kind = schema.get("type")
    if kind is None and "properties" in schema:
        kind = "object"
    if kind is None and "items" in schema:
        kind = "array"
    if kind in TYPES:
        rule["type"] = kind
    if isinstance(schema.get("enum"), list):
        rule["enum"] = list(schema["enum"])
    if kind == "array" and "items" in schema:
        items = _rule(document, schema["items"], depth, seen)
        if items:
            rule["items"] = items
    required = [str(name) for name in schema.get("required") or []]
    properties = schema.get("properties") or {}
    if (properties or required) and depth <= MAX_DEPTH:
        fields = {
            str(name): _rule(document, prop, depth + 1, seen) for name, prop in properties.items()
        }
        for name in required:
            fields.setdefault(name, {})
        rule["fields"] = fields
        if required:
            rule["required"] = required
    extra = schema.get("additionalProperties")
    if extra is False:
        rule["extra"] = False
    elif isinstance(extra, Mapping) and extra:
        values = _rule(document, extra, depth + 1, seen)
        if values:
            rule["values"] = values
    return rule


def _either(options: list[Rule]) -> Rule:
    """Alternatives: a list of types when each is a bare type, else ``any_of``."""
    if any(not option for option in options):
        return {}
    if all(set(option) == {"type"} for option in options):
        kinds: list[str] = []
        for option in options:
            for kind in _types(option):
                if kind not in kinds:
                    kinds.append(kind)
        return {"type": kinds[0] if len(kinds) == 1 else kinds}
    return {"any_of": options}


def _types(rule: Rule) -> list[str]:
    kind = rule.get("type")
    return [] if kind is None else [kind] if isinstance(kind, str) else list(kind)


def _merged(rules: list[Rule]) -> Rule:
    """``allOf``: every part holds, so fields and required names add up and enums narrow."""
    merged: Rule = {}
    for rule in rules:
        for key, value in rule.items():
            if key not in merged:
                merged[key] = value
            elif key == "fields":
                fields = dict(merged["fields"])
                for name, inner in value.items():
                    fields[name] = _merged([fields[name], inner]) if name in fields else inner
                merged["fields"] = fields
            elif key == "required":
                merged["required"] = [
                    *merged["required"],
                    *(n for n in value if n not in merged["required"]),
                ]
            elif key == "enum":
                merged["enum"] = [v for v in merged["enum"] if v in value]
            elif key == "items":
                merged["items"] = _merged([merged["items"], value])
            elif key == "extra":
                merged["extra"] = False
    if "required" in merged:
        fields = merged.setdefault("fields", {})
        for name in merged["required"]:
            fields.setdefault(name, {})
    if "fields" in merged and "type" not in merged:
        merged["type"] = "object"
    return merged


def _resolve(document: Mapping[str, Any], node: Any) -> Mapping[str, Any]:
    seen: set[str] = set()
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref in seen:
            raise DocumentError(f"{ref} refers to itself")
        seen.add(ref)
        node = _pointer(document, ref)
    return node if isinstance(node, Mapping) else {}


def _pointer(document: Mapping[str, Any], ref: str) -> Any:
    """A local ``$ref`` (``#/components/schemas/Campaign``); another file's is an error."""
    if not ref.startswith("#/"):
        raise DocumentError(f"{ref} is not a reference inside the document")
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            raise DocumentError(f"{ref} points to nothing in the document")
        node = node[part]
    return node


# -- writing -------------------------------------------------------------------------------


def render(rules: Json) -> str:
    """The rules as the committed file: sorted keys, an entry on one line where it fits."""
    return _render(rules, 0) + "\n"


def _render(value: Json, indent: int, before: int = 0) -> str:
    """``before``: how much of the line a key already takes."""
    flat = json.dumps(value, sort_keys=True, ensure_ascii=False)
    if indent + before + len(flat) <= WIDTH or not isinstance(value, dict | list) or not value:
        return flat
    inner = " " * (indent + 2)
    if isinstance(value, dict):
        parts = []
        for key in sorted(value):
            name = json.dumps(key, ensure_ascii=False) + ": "
            parts.append(inner + name + _render(value[key], indent + 2, len(name)))
        return "{\n" + ",\n".join(parts) + "\n" + " " * indent + "}"
    parts = [inner + _render(item, indent + 2) for item in value]
    return "[\n" + ",\n".join(parts) + "\n" + " " * indent + "]"


def summary(rules: Json, operations: Sequence[Operation] = OPERATIONS) -> str:
    """What was derived, in a few lines: coverage, and what either side lacks."""
    entries = rules["operations"]
    bodies = [entry["body"] for entry in entries.values() if "body" in entry]
    counts = {"fields": 0, "required": 0, "enums": 0}
    for body in bodies:
        _count(body, counts)
    params = [p for entry in entries.values() for p in (entry.get("params") or {}).values()]
    lines = [
        f"Rules for {len(entries)} of the {len(operations)} operations of operations.py "
        f"(from {rules['derived_from']['title']} {rules['derived_from']['version']}):",
        f"  {len(bodies)} bodies: {counts['fields']} fields, {counts['required']} required, "
        f"{counts['enums']} with an enum",
        f"  {len(params)} parameters, {sum(1 for p in params if p['required'])} required, "
        f"{sum(1 for p in params if 'enum' in p)} with an enum",
        "  in operations.py, not in the document: "
        + (", ".join(rules["not_in_document"]) or "none"),
        "  in the document, not in operations.py: "
        + (", ".join(rules["not_in_operations"]) or "none"),
    ]
    by_key = {op.key: op for op in operations}
    unlike = [
        key
        for key, entry in entries.items()
        if key in by_key and ("body" in entry) != (by_key[key].body is not None)
    ]
    if unlike:
        lines.append("  a body in one but not the other: " + ", ".join(unlike))
    return "\n".join(lines)


def _count(rule: Rule, counts: dict[str, int]) -> None:
    for field in (rule.get("fields") or {}).values():
        counts["fields"] += 1
        counts["enums"] += "enum" in field
        _count(field, counts)
        if "items" in field:
            counts["enums"] += "enum" in field["items"]
            _count(field["items"], counts)
    counts["required"] += len(rule.get("required") or [])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m app.keitaro.derive_rules",
        description="Write the Admin API's request rules from Keitaro's OpenAPI document.",
    )
    parser.add_argument("document", type=Path, help="Keitaro's OpenAPI document (JSON)")
    parser.add_argument(
        "--output", type=Path, default=RULES_PATH, help=f"where to write (default: {RULES_PATH})"
    )
    args = parser.parse_args(argv)
    try:
        document = json.loads(args.document.read_text(encoding="utf-8"))
        rules = derive(document)
    except OSError as exc:
        print(f"cannot read {args.document}: {exc.strerror}", file=sys.stderr)
        return 1
    except ValueError:
        print(f"{args.document} is not JSON", file=sys.stderr)
        return 1
    except DocumentError as exc:
        print(f"{args.document}: {exc}", file=sys.stderr)
        return 1
    if not rules["operations"]:
        # A wrong file would otherwise empty the rules, and every check with them.
        print(
            f"{args.document} describes none of the operations of operations.py: nothing "
            "written (is it Keitaro's Admin API document?)",
            file=sys.stderr,
        )
        return 1
    text = render(rules)
    args.output.write_text(text, encoding="utf-8")
    print(summary(rules))
    print(f"Wrote {args.output} ({len(text.encode())} bytes, {text.count(chr(10))} lines).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
