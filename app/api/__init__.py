"""The JSON API under /api/v1: Bearer-token auth, marshmallow in and out, OpenAPI."""

from flask import Blueprint, request
from marshmallow import ValidationError

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def json_object() -> dict:
    """The request's JSON object body; anything else is a 422 like any invalid field."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError({"_schema": ["Send a JSON object."]})
    return body


from app.api import captures, conversions, openapi, outbound, signatures, sources, stats  # noqa: E402,F401
