"""Flask's cookie sessions with the signing serializer built once, not per request.

Flask builds an ``itsdangerous`` serializer in every request's ``open_session`` whenever
``SECRET_KEY`` is set, even when no cookie is sent: on the public edge (``/pb``, ``/t``)
that was a measurable share of a request. The key never changes while the app runs.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class SessionInterface(SecureCookieSessionInterface):
    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:  # type: ignore[override]
        cached = app.extensions.get("pbhub.session_serializer")
        if cached is None:
            cached = super().get_signing_serializer(app)
            app.extensions["pbhub.session_serializer"] = cached
        return cached


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
