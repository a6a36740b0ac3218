"""Logging that never prints a secret.

Tokens travel in URLs (``/pb/<token>``, ``_pbtoken=``) and headers (``Authorization``,
``X-Postback-Token``); a filter masks them in every record, whatever logger emitted it.
"""

from __future__ import annotations

import logging
import re

from flask import Flask

from app.core.keys import mask

_PATTERNS = (
    re.compile(r"(/pb/)([A-Za-z0-9_\-]{8,})"),
    re.compile(r"(_pbtoken=)([^&\s\"']+)"),
    re.compile(r"(Bearer\s+)(\S+)", re.IGNORECASE),
    re.compile(r"(X-Postback-Token[\"']?\s*[:=]\s*[\"']?)([^\s\"',]+)", re.IGNORECASE),
    re.compile(r"\b(pbh_)([A-Za-z0-9_\-]{8,})"),
)


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + mask(m.group(2)), text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def install(level: str) -> None:
    """Attach the filter to every handler of the root logger (and add one if none)."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    root.setLevel(level)


def init_app(app: Flask) -> None:
    install(app.config["PBHUB_LOG_LEVEL"])
    for handler in app.logger.handlers:
        handler.addFilter(RedactingFilter())
