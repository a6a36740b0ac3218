"""HTTP plumbing: a request class tolerant of the raw bytes networks put in query strings,
what every request body and field must be before a route sees it (JSON within its depth,
no NUL character), and the URL converters (ids within their columns, secret segments)."""

from __future__ import annotations

from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, request
from flask import Request as FlaskRequest
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.routing import BaseConverter, IntegerConverter, Map, Rule, ValidationError

from app.core import json_limits
from app.models.types import MAX_BIGINT, MAX_INTEGER


class Request(FlaskRequest):
    @cached_property
    def args(self) -> MultiDict[str, str]:  # type: ignore[override]
        """Query parameters; bytes that are not UTF-8 become U+FFFD instead of a 500."""
        if not self.query_string:
            return self.parameter_storage_class()
        query = self.query_string.decode("utf-8", "replace")
        return self.parameter_storage_class(
            parse_qsl(query, keep_blank_values=True, errors="replace")
        )


NUL_MESSAGE = "must not contain the NUL character (\\u0000)"


def nul_path(value: Any) -> tuple[str | int, ...] | None:
    """Where in a parsed JSON document a NUL character sits (in a key or a string), as
    the keys and indexes leading to it; ``None`` if nowhere."""
    pending: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while pending:
        item, path = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return path
        elif isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in str(key):
                    return (*path, str(key))
                pending.append((child, (*path, key)))
        elif isinstance(item, list):
            pending.extend((child, (*path, index)) for index, child in enumerate(item))
    return None


def nul_errors(document: Any, path: tuple[str | int, ...]) -> dict[Any, Any]:
    """The field error of a NUL at ``path`` in ``document``, nested the way marshmallow
    nests a map's key and value errors and a list's item errors, so it reads like them."""
    if not path:
        return {"_schema": ["The body must not contain the NUL character (\\u0000)."]}
    containers = [document]
    for step in path[:-1]:
        containers.append(containers[-1][step])
    errors: Any = [NUL_MESSAGE]
    for depth in range(len(path) - 1, 0, -1):
        container, step = containers[depth], path[depth]
        if isinstance(container, dict):
            in_key = depth == len(path) - 1 and "\x00" in str(step)
            errors = {step: {"key" if in_key else "value": errors}}
        else:
            errors = {step: errors}
    return {path[0]: errors}


def refuse_nul_characters() -> None:
    """A NUL in a query or form field of the API or the dashboard is the sender's mistake:
    a 400 naming the field, before the database refuses it as if it were ours. The
    public edge (``/pb``, ``/learn``, ``/t``) cleans what networks send instead."""
    if request.blueprint == "ingest":
        return
    fields = list(request.args.items(multi=True))
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields += list(request.form.items(multi=True))
    for name, value in fields:
        if "\x00" in name or "\x00" in value:
            shown = name.replace("\x00", "\\u0000")
            raise BadRequest(
                f"the field '{shown}' contains the NUL character (\\u0000), which cannot be "
                "stored; send it without"
            )


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_characters)


class JSONProvider(DefaultJSONProvider):
    """Request bodies parse within ``json_limits.MAX_JSON_DEPTH``: deeper ones raise
    ``NestingTooDeep``, a 400, even where a route reads its body with ``silent=True``."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return json_limits.loads(s, **kwargs)


class _RowIdConverter(IntegerConverter):
    """An id within its column's range; any other number names no row, whatever the
    method. Werkzeug's own refusal (``ValidationError``) would answer 405 wherever the
    same path has a rule for another method (``DELETE /sources/0`` while GET and PATCH
    exist), telling the client the method is wrong when the id is."""

    def to_python(self, value: str) -> int:
        try:
            return super().to_python(value)
        except ValidationError:
            raise NotFound(
                f"nothing has this id; ids here run from {self.min} to {self.max}"
            ) from None


class IdConverter(_RowIdConverter):
    """``<id:name>``: the id of a row of a small table (a 32-bit INTEGER key: sources,
    outbound postbacks, users...); anything beyond it is a 404, not a database error."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_INTEGER)


class BigIdConverter(_RowIdConverter):
    """``<bigid:name>``: the id of a row of a large table (a 64-bit key: conversions,
    deliveries)."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_BIGINT)


def route_converters(rule: Rule) -> dict[str, BaseConverter]:
    """A rule's variables and their converters. Werkzeug keeps them on the rule without a
    public name; reading them in one place keeps that reliance in sight."""
    return dict(rule._converters)


class SecretConverter(BaseConverter):
    """``<secret:name>``: a path segment that is a credential (an inbound token, an
    invitation link). It matches like the default converter; the mark is what counts:
    every log line masks what follows such a segment's fixed prefix (``app.logs``), so
    a new route that carries a secret is masked by declaring it, not by a list."""
