"""CSRF protection for everything a browser can be tricked into sending.

Flask-WTF checks the token (form field ``csrf_token`` or header ``X-CSRFToken``) of every
state-changing request to the dashboard and sign-in pages. The public edge needs none (no
session: networks call it), nor do API calls with a Bearer token; API calls that
authenticate with the dashboard's session are checked by the API itself. Checks hang on
the blueprints that need them, so the public edge's hot path carries no extra hook.
"""

from __future__ import annotations

from flask import Blueprint, Flask, request
from flask_wtf.csrf import CSRFError, CSRFProtect

csrf = CSRFProtect()
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def changes_state() -> bool:
    return request.method not in SAFE_METHODS


def protect() -> None:
    """Check the current request's token; raises ``CSRFError`` (a 400) when it is wrong."""
    csrf.protect()


def protect_blueprint(bp: Blueprint) -> None:
    """Every state-changing request to ``bp`` must carry the session's token."""

    @bp.before_request
    def check_csrf() -> None:
        if changes_state():
            protect()


def init_app(app: Flask) -> None:
    csrf.init_app(app)


__all__ = ["CSRFError", "csrf", "init_app", "protect", "protect_blueprint"]
