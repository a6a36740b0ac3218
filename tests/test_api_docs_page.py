"""``/api/docs``: the OpenAPI document rendered by the vendored Swagger UI, public, offline,
under a policy narrower than the dashboard's. (The browser test opens it in Chromium.)"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from app import api_docs
from app.dashboard import headers

VENDOR = Path(api_docs.__file__).parent / "static" / "vendor" / "swagger-ui"
BUNDLE = "/static/vendor/swagger-ui/swagger-ui-bundle.js"
STYLESHEET = "/static/vendor/swagger-ui/swagger-ui.css"

#: The page reads no table: one backend is enough.
sqlite_only = pytest.mark.parametrize("database_uri", ["sqlite"], indirect=True)


def policy(header: str) -> dict[str, str]:
    """A Content-Security-Policy header as ``{directive: sources}``."""
    pairs = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: sources for name, sources in pairs}


@sqlite_only
def test_the_page_loads_the_vendored_viewer_and_points_it_at_the_document(client):
    answer = client.get("/api/docs")
    assert answer.status_code == 200
    assert answer.mimetype == "text/html"
    html = answer.get_data(as_text=True)
    assert f'<script src="{BUNDLE}" defer></script>' in html
    assert f'<link rel="stylesheet" href="{STYLESHEET}">' in html
    assert '<script src="/static/api_docs.js" defer></script>' in html
    assert 'data-document="/api/v1/openapi.json"' in html
    assert "<title>API reference · Postback Hub</title>" in html


@sqlite_only
def test_the_page_names_no_other_host(client):
    html = client.get("/api/docs").get_data(as_text=True)
    assert re.findall(r"(?:https?:)?//[^\s\"'<>]*", html) == []


@sqlite_only
def test_the_page_has_its_own_policy_narrower_than_the_dashboards(client):
    answer = client.get("/api/docs")
    assert answer.headers["Content-Security-Policy"] == api_docs.CONTENT_SECURITY_POLICY
    assert policy(answer.headers["Content-Security-Policy"]) == {
        "default-src": "'none'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "connect-src": "'self'",
        "base-uri": "'none'",
        "form-action": "'none'",
        "frame-ancestors": "'none'",
    }
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    # The dashboard keeps its own policy.
    login = client.get("/login")
    assert login.headers["Content-Security-Policy"] == headers.CONTENT_SECURITY_POLICY


@sqlite_only
def test_the_page_is_public_and_starts_no_session(client):
    answer = client.get("/api/docs")
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers


@sqlite_only
def test_head_the_trailing_slash_and_other_methods(client):
    head = client.head("/api/docs")
    assert (head.status_code, head.get_data()) == (200, b"")
    assert head.headers["Content-Security-Policy"] == api_docs.CONTENT_SECURITY_POLICY
    slash = client.get("/api/docs/")
    assert (slash.status_code, slash.headers["Location"]) == (301, "/api/docs")
    post = client.post("/api/docs")
    assert post.status_code == 405
    assert post.get_json()["error"]["code"] == "method_not_allowed"


@sqlite_only
@pytest.mark.parametrize(
    ("path", "mimetype"),
    [
        (BUNDLE, "text/javascript"),
        (STYLESHEET, "text/css"),
        ("/static/api_docs.js", "text/javascript"),
        ("/static/api_docs.css", "text/css"),
    ],
)
def test_the_viewers_files_are_served(client, path, mimetype):
    answer = client.get(path)
    assert (answer.status_code, answer.mimetype) == (200, mimetype)
    assert len(answer.get_data()) > 500
    answer.close()


def test_the_vendored_files_are_the_ones_their_readme_names():
    readme = (VENDOR / "README.txt").read_text()
    sums = dict(
        (name, digest) for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, re.M)
    )
    assert set(sums) == {
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "swagger-ui-bundle.js.LICENSE.txt",
        "LICENSE",
        "NOTICE",
    }
    for name, digest in sums.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    assert sorted(p.name for p in VENDOR.iterdir()) == sorted([*sums, "README.txt"])


def test_the_viewers_stylesheet_loads_nothing():
    """No font, no import: every ``url()`` of the stylesheet is a ``data:`` image."""
    css = (VENDOR / "swagger-ui.css").read_text()
    assert "@import" not in css and "@font-face" not in css
    assert re.findall(r"url\((?![\"']?data:)", css) == []


@sqlite_only
def test_the_account_page_and_the_footer_link_to_it(client, sign_in):
    assert '<a href="/api/docs">API reference</a></footer>' in client.get("/login").get_data(
        as_text=True
    )
    sign_in()
    account = client.get("/account").get_data(as_text=True)
    main = account.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    assert 'the <a href="/api/docs">API reference</a>' in main
