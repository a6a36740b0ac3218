"""The operator dashboard: server-rendered pages over the same services as the JSON API.

Pages render with Jinja; the little JavaScript in ``static/app.js`` swaps in fragments
that these routes also render, or calls the JSON API with the session's CSRF token.
"""

from flask import Blueprint, Flask

from app import csrf
from app.dashboard.headers import protect_pages
from app.version import VERSION

bp = Blueprint("dashboard", __name__)
csrf.protect_blueprint(bp)
bp.after_request(protect_pages)

#: The top navigation: endpoint, label, the role it needs.
NAV_ITEMS = (
    ("dashboard.postbacks", "Postbacks", "operator"),
    ("dashboard.outbound", "Outbound", "operator"),
    ("dashboard.keitaro", "Keitaro", "operator"),
    ("dashboard.users", "Users", "admin"),
    ("dashboard.signatures", "Signatures", "admin"),
    ("dashboard.tickets", "Tickets", "admin"),
)


def init_app(app: Flask) -> None:
    from app.auth.session import current_user, has_role
    from app.dashboard import filters

    app.jinja_env.globals.update(
        current_user=current_user, has_role=has_role, nav_items=NAV_ITEMS, version=VERSION
    )
    filters.register(app)


from app.dashboard import account, admin, keitaro, outbound, postbacks, remap  # noqa: E402,F401
