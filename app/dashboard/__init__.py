"""The operator dashboard: server-rendered pages over the same services as the JSON API.

Pages render with Jinja; the little JavaScript in ``static/app.js`` swaps in fragments
that these routes also render, or calls the JSON API with the session's CSRF token.
"""

from flask import Blueprint, Flask, Response

bp = Blueprint("dashboard", __name__)

#: The top navigation: endpoint, label, the role it needs.
NAV_ITEMS = (
    ("dashboard.postbacks", "Postbacks", "operator"),
    ("dashboard.outbound", "Outbound", "operator"),
    ("dashboard.keitaro", "Keitaro", "operator"),
    ("dashboard.users", "Users", "admin"),
    ("dashboard.signatures", "Signatures", "admin"),
    ("dashboard.tickets", "Tickets", "admin"),
)


#: No inline script or style anywhere: markup that slipped into a page could not run.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def init_app(app: Flask) -> None:
    from app.auth.session import current_user, has_role
    from app.dashboard import filters

    app.jinja_env.globals.update(current_user=current_user, has_role=has_role, nav_items=NAV_ITEMS)
    filters.register(app)

    @app.after_request
    def protect_pages(response: Response) -> Response:
        """Pages run only the hub's own script and style, and are never framed."""
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


from app.dashboard import account, admin, keitaro, outbound, postbacks  # noqa: E402,F401
