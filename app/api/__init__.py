"""The JSON API under /api/v1: Bearer-token auth, marshmallow in and out, OpenAPI."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from app.api import captures, conversions, openapi, signatures, sources, stats  # noqa: E402,F401
