"""Flask's cookie sessions with the signing serializer built once, not per request, and
none at all on the public edge.

Flask builds an ``itsdangerous`` serializer in every request's ``open_session`` whenever
``SECRET_KEY`` is set, even when no cookie is sent: on the public edge (``/pb``, ``/t``)
that was a measurable share of a request. The key never changes while the app runs.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

#: Paths that never use a session: the public edge answers machines, not browsers.
SESSIONLESS = ("/pb/", "/t/", "/learn/")


class SessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """None on the public edge: Flask then uses a null session and skips saving it,
        which is a measurable share of a Track URL redirect."""
        if request.path.startswith(SESSIONLESS) or request.path == "/pb":
            return None
        return super().open_session(app, request)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:  # type: ignore[override]
        cached = app.extensions.get("pbhub.session_serializer")
        if cached is None:
            cached = super().get_signing_serializer(app)
            app.extensions["pbhub.session_serializer"] = cached
        return cached


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
