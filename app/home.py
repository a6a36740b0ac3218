"""The root page and the health check used by load balancers and process managers."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, request, url_for
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from app.version import VERSION

bp = Blueprint("home", __name__)


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    """Browsers go to the dashboard; programs get the map of the API."""
    if request.accept_mimetypes.best_match(("application/json", "text/html")) == "text/html":
        return redirect(url_for("dashboard.postbacks"))
    return jsonify(
        name="Postback Hub",
        version=VERSION,
        api="/api/v1",
        openapi="/api/v1/openapi.json",
        health="/healthz",
    )


@bp.get("/favicon.ico")
def favicon():  # type: ignore[no-untyped-def]
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/healthz")
def health():  # type: ignore[no-untyped-def]
    try:
        db.session.execute(text("SELECT 1"))
    except DBAPIError:
        db.session.rollback()
        return jsonify(status="unavailable", database="down", version=VERSION), 503
    return jsonify(status="ok", database="up", version=VERSION)
