"""The ceiling: the smallest Flask app, served with Postback Hub's own gunicorn settings.

What this reaches is what gunicorn, Flask and the load generator allow on the machine at
hand; the app's routes are judged as a share of it, which keeps the targets meaningful
from a laptop to a server.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index() -> tuple[str, int, dict[str, str]]:
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
