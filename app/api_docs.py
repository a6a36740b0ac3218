"""``/api/docs``: the API's OpenAPI document, rendered for people to read.

The page is public, like the document it renders (``/api/v1/openapi.json``): it shows
nothing the document does not, and a reader choosing a token's use has not always signed
in. The viewer is Swagger UI, vendored under ``static/vendor/swagger-ui`` so that the page
works offline and loads nothing from another host (see the README.txt there).
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, url_for

from app.dashboard.headers import protect_pages

bp = Blueprint("api_docs", __name__)

#: Narrower than the dashboard's: the page has no form, no frame and no font, and fetches
#: one thing, the document, from the hub. Swagger UI needs nothing looser: its styles come
#: from its stylesheet or are set from script (which ``style-src`` does not govern), and
#: its icons are ``data:`` images.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)


@bp.after_request
def headers(response: Response) -> Response:
    """This page's own policy first; the other headers are those of every page."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return protect_pages(response)


@bp.get("/api/docs")
def page():  # type: ignore[no-untyped-def]
    return render_template("api_docs.html", document=url_for("api.openapi"))


@bp.get("/api/docs/")
def trailing_slash():  # type: ignore[no-untyped-def]
    """The address as people often type it: one page, one address."""
    return redirect(url_for("api_docs.page"), code=301)
