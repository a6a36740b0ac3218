"""CSRF protection for everything a browser can be tricked into sending.

Flask-WTF checks the token (form field ``csrf_token`` or header ``X-CSRFToken``) of every
state-changing request, except where there is no cookie to forge with: the public edge,
which networks call without a session, and API calls authenticated by a Bearer token.
The API checks it itself for calls that authenticate with the dashboard's session.
"""

from __future__ import annotations

from flask import Flask, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from app.sessions import SESSIONLESS

csrf = CSRFProtect()
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def needs_check() -> bool:
    if request.method in SAFE_METHODS:
        return False
    path = request.path
    return not (path.startswith(SESSIONLESS) or path == "/pb" or path.startswith("/api/"))


def needs_check_for_api() -> bool:
    return request.method not in SAFE_METHODS


def init_app(app: Flask) -> None:
    csrf.init_app(app)

    @app.before_request
    def check_csrf() -> None:
        if needs_check():
            csrf.protect()


def protect() -> None:
    """Check the current request's token; raises ``CSRFError`` (a 400) when it is wrong."""
    csrf.protect()


__all__ = ["CSRFError", "csrf", "init_app", "protect"]
