"""The request class: tolerant of the raw bytes real networks put in query strings."""

from __future__ import annotations

from functools import cached_property
from urllib.parse import parse_qsl

from flask import Request as FlaskRequest
from werkzeug.datastructures import MultiDict


class Request(FlaskRequest):
    @cached_property
    def args(self) -> MultiDict[str, str]:  # type: ignore[override]
        """Query parameters; bytes that are not UTF-8 become U+FFFD instead of a 500."""
        query = self.query_string.decode("utf-8", "replace")
        return self.parameter_storage_class(
            parse_qsl(query, keep_blank_values=True, errors="replace")
        )
