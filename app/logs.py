"""Logging that never prints a secret.

Tokens travel in URLs (``/pb/<token>``, ``_pbtoken=``) and headers (``Authorization``,
``X-Postback-Token``). Masking happens where every log record is born (the record
factory), so it covers our loggers, Flask's, gunicorn's access log and any handler added
later, rather than relying on each handler carrying a filter.
"""

from __future__ import annotations

import logging

from flask import Flask

from app.core.keys import redact


def _redacting(factory):  # type: ignore[no-untyped-def]
    def make_record(*args, **kwargs):  # type: ignore[no-untyped-def]
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return record
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
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
