"""The dashboard's sign-in: sessions, role checks for pages, invitations."""

from flask import Blueprint

from app import csrf
from app.dashboard.headers import protect_pages

bp = Blueprint("auth", __name__)
csrf.protect_blueprint(bp)
bp.after_request(protect_pages)

from app.auth import routes  # noqa: E402,F401
