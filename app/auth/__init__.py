"""The dashboard's sign-in: sessions, role checks for pages, invitations."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import routes  # noqa: E402,F401
