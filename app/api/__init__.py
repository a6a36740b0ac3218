"""The JSON API under /api/v1: Bearer-token auth, marshmallow in and out, OpenAPI."""

import json

from flask import Blueprint, request
from marshmallow import ValidationError

from app.request import nul_errors, nul_path

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def json_object() -> dict:
    """The request's JSON object body; anything else is a 422 like any invalid field."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError({"_schema": ["Send a JSON object."]})
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate ("\ud800") parses as JSON but can be stored nowhere.
        raise ValidationError({"_schema": ["Text must be valid Unicode."]}) from None
    path = nul_path(body)
    if path is not None:
        # PostgreSQL stores no NUL in text: refused here, with the field named.
        raise ValidationError(nul_errors(body, path), data=body)
    return body


from app.api import (  # noqa: E402,F401
    captures,
    conversions,
    keitaro,
    openapi,
    outbound,
    signatures,
    sources,
    stats,
)
