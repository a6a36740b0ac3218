"""The one error shape of every JSON answer: ``{"error": {code, message, fields}}``."""

from __future__ import annotations

import logging
import re

from flask import Flask, Response, jsonify, render_template, request
from marshmallow import ValidationError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from app.core import field_errors
from app.core.json_limits import NestingTooDeep
from app.extensions import db
from app.keitaro.errors import KeitaroError
from app.services.errors import DomainError

#: Database errors about a value of the request rather than about the database itself.
VALUE_REFUSED = (DataError, IntegrityError)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "unavailable",
}


def error_response(
    status: int, message: str, *, code: str | None = None, fields: dict | None = None
) -> tuple[Response, int]:
    body = {"error": {"code": code or CODES.get(status, "error"), "message": message}}
    body["error"]["fields"] = fields or {}
    return jsonify(body), status


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/pb", "/t/", "/learn/", "/healthz"))


def init_app(app: Flask) -> None:
    @app.errorhandler(ValidationError)
    def validation_failed(exc: ValidationError):  # type: ignore[no-untyped-def]
        """Per field, sentences naming it by its JSON key; all of them as the message."""
        fields = field_errors.sentences(exc.messages, exc.data)
        return error_response(422, field_errors.summary(fields), fields=fields)

    @app.errorhandler(NestingTooDeep)
    def nested_too_deep(exc: NestingTooDeep):  # type: ignore[no-untyped-def]
        if not _wants_json():
            return _page(400, "Bad request", f"{exc}.")
        return error_response(400, str(exc), code="json_too_deep")

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):  # type: ignore[no-untyped-def]
        fields = field_errors.sentences(exc.fields) if exc.fields else None
        response, status = error_response(exc.status, exc.message, code=exc.code, fields=fields)
        if status == 503:
            response.headers["Retry-After"] = "30"
        return response, status

    @app.errorhandler(KeitaroError)
    def keitaro_failed(exc: KeitaroError):  # type: ignore[no-untyped-def]
        """The tracker refused or failed: a bad gateway for our caller, with its reason."""
        kind = re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()
        code = kind if type(exc) is KeitaroError else f"keitaro_{kind}"
        return error_response(
            502, f"Keitaro: {exc.message}", code=code, fields=getattr(exc, "fields", None)
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        if not _wants_json():
            return _page(exc.code or 500, exc.name, exc.description or "")
        response, status = error_response(exc.code or 500, exc.description or exc.name)
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response, status

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(exc: DBAPIError):  # type: ignore[no-untyped-def]
        app.logger.error("database unavailable: %s", exc.orig or exc)
        _rollback()
        if not _wants_json():
            return _page(
                503,
                "The database is unavailable",
                "Nothing could be read or saved. Try again in a minute.",
            )
        response, status = error_response(
            503, "the database is unavailable; nothing was stored, retry later"
        )
        response.headers["Retry-After"] = "30"
        return response, status

    @app.errorhandler(DBAPIError)
    def database_refused(exc: DBAPIError):  # type: ignore[no-untyped-def]
        """A value the database would not take is a bug to fix, not an outage to wait
        out, so the sender is told not to retry. Any other database error (a damaged
        file, a schema behind the code) is the database being unusable: retry later."""
        if not isinstance(exc, VALUE_REFUSED):
            return database_unavailable(exc)
        app.logger.exception("the database refused a statement")
        _rollback()
        if not _wants_json():
            return _page(422, "Not saved", "The database refused a value; nothing was saved.")
        return error_response(
            422,
            "the database refused a value of this request; nothing was stored",
            code="unprocessable",
        )


def _page(status: int, title: str, message: str):  # type: ignore[no-untyped-def]
    """The dashboard's error page, for people rather than programs."""
    return render_template("error.html", status=status, title=title, message=message), status


def _rollback() -> None:
    try:
        db.session.rollback()
    except DBAPIError:
        logging.getLogger(__name__).warning("rollback after a database error failed too")
