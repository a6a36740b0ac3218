"""The ceiling: the smallest Flask app, served with Postback Hub's own gunicorn settings.

What this reaches is what gunicorn, Flask and the load generator allow on the machine at
hand; the app's routes are judged as a share of it, which keeps the targets meaningful
from a laptop to a server.

Behind the same trusted proxy as the hub (``PBHUB_TRUSTED_PROXIES``, which the benchmark
sets for both), it reads ``X-Forwarded-For`` through the same middleware, so the ceiling
and the routes pay for the same things.
"""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

app = Flask(__name__)
if hops := int(os.environ.get("PBHUB_TRUSTED_PROXIES") or 0):
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


@app.get("/")
def index() -> tuple[str, int, dict[str, str]]:
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
