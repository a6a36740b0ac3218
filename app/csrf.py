"""CSRF protection for everything a browser can be tricked into sending.

Flask-WTF checks the token (form field ``csrf_token`` or header ``X-CSRFToken``) of every
state-changing request to the dashboard and sign-in pages. The public edge needs none (no
session: networks call it), nor do API calls with a Bearer token; API calls that
authenticate with the dashboard's session are checked by the API itself.
"""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_wtf.csrf import CSRFError, CSRFProtect

csrf = CSRFProtect()


def protect_blueprint(bp: Blueprint) -> None:
    """Every state-changing request to ``bp`` must carry the session's token (``protect``
    lets GET, HEAD and OPTIONS through)."""
    bp.before_request(csrf.protect)


def init_app(app: Flask) -> None:
    csrf.init_app(app)


__all__ = ["CSRFError", "csrf", "init_app", "protect_blueprint"]
