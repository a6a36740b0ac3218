"""HTTP plumbing: a request class tolerant of the raw bytes networks put in query strings,
and URL converters."""

from __future__ import annotations

from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl

from flask import Request as FlaskRequest
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import MultiDict
from werkzeug.routing import BaseConverter, IntegerConverter, Map

from app.core import json_limits


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


class JSONProvider(DefaultJSONProvider):
    """Request bodies parse within ``json_limits.MAX_JSON_DEPTH``: deeper ones raise
    ``NestingTooDeep``, a 400, even where a route reads its body with ``silent=True``."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return json_limits.loads(s, **kwargs)


class IdConverter(IntegerConverter):
    """``<id:name>``: a positive 64-bit row id; anything larger is a 404, not a 500."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=2**63 - 1)


class SecretConverter(BaseConverter):
    """``<secret:name>``: a path segment that is a credential (an inbound token, an
    invitation link). It matches like the default converter; the mark is what counts:
    every log line masks what follows such a segment's fixed prefix (``app.logs``), so
    a new route that carries a secret is masked by declaring it, not by a list."""
