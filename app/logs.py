"""Logging that never prints a secret.

Tokens travel in URLs (``/pb/<token>``, ``/invite/<token>``, ``_pbtoken=``) and headers
(``Authorization``, ``X-Postback-Token``). Masking happens where every log record is born
(the record factory), so it covers our loggers, Flask's, gunicorn's access log and any
handler added later, rather than relying on each handler carrying a filter.

Which path segments are secret is read off the URL map: every route variable declared
``<secret:...>`` (``app.request.SecretConverter``) is masked after its fixed prefix, in
every spelling a client may send (``/invite/`` or ``/%69nvite/``), so a new route that
carries a secret is masked by being declared so, not by being added to a list here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from flask import Flask
from werkzeug.routing import Map

from app.core.keys import mask, redact
from app.request import SecretConverter, route_converters

#: A rule's variables: ``<name>``, ``<converter:name>``, ``<converter(args):name>``.
_VARIABLE = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
#: What a masked segment runs to: the next path separator, query, fragment or quote.
_SEGMENT = r"([^/?#\s\"'<>]+)"

_TRACEBACKS = logging.Formatter()
_route_patterns: dict[str, re.Pattern[str]] = {}


def secret_prefixes(url_map: Map) -> set[str]:
    """The fixed text before each ``<secret:...>`` variable of every route."""
    prefixes = set()
    for rule in url_map.iter_rules():
        converters = route_converters(rule)
        if not any(isinstance(c, SecretConverter) for c in converters.values()):
            continue
        start = 0
        for match in _VARIABLE.finditer(rule.rule):
            literal = rule.rule[start : match.start()]
            start = match.end()
            converter = converters.get(match["name"])
            if not isinstance(converter, SecretConverter):
                continue
            if not any(char.isalnum() for char in literal):
                raise ValueError(
                    f"route {rule.rule}: a secret segment needs fixed text before it "
                    "(as in /invite/<secret:token>), or its log lines could not be masked"
                )
            prefixes.add(literal)
    return prefixes


def _any_spelling(literal: str) -> str:
    """A regex for ``literal`` with any of its characters percent-encoded, as a client
    may send them (routing decodes them; the request line in the log does not)."""
    parts = []
    for char in literal:
        code = f"{ord(char):02X}"
        parts.append(f"(?:{re.escape(char)}|%{code[0]}[{code[1]}{code[1].lower()}])")
    return "".join(parts)


def mask_secret_routes(app: Flask) -> None:
    """Mask, in every log line from now on, the secret segments of ``app``'s routes."""
    add_secret_prefixes(secret_prefixes(app.url_map))


def add_secret_prefixes(prefixes: Iterable[str]) -> None:
    for prefix in prefixes:
        if prefix not in _route_patterns:
            _route_patterns[prefix] = re.compile(f"({_any_spelling(prefix)})" + _SEGMENT)


def redact_line(text: str) -> str:
    """``redact`` plus the secret segments of every route."""
    for pattern in list(_route_patterns.values()):
        text = pattern.sub(lambda m: m.group(1) + mask(m.group(2)), text)
    return redact(text)


def _redacting(factory):  # type: ignore[no-untyped-def]
    def make_record(*args, **kwargs):  # type: ignore[no-untyped-def]
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return record
        redacted = redact_line(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[0] is not None:
            # Formatters print ``exc_text`` when set: an exception's message may quote a URL.
            record.exc_text = redact_line(_TRACEBACKS.formatException(record.exc_info))
        return record

    make_record.pbhub_redacting = True  # type: ignore[attr-defined]
    return make_record


def install(level: str) -> None:
    """Mask secrets in every log record; give the root logger a handler if it has none."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "pbhub_redacting", False):
        logging.setLogRecordFactory(_redacting(factory))
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)


def init_app(app: Flask) -> None:
    install(app.config["PBHUB_LOG_LEVEL"])
