"""The production web server: gunicorn, set up once for ``pbhub serve``, the checkout's
``gunicorn.conf.py`` and the benchmarks.

It listens on 127.0.0.1 unless told otherwise (``PBHUB_BIND``, or ``pbhub serve --bind``):
the hub belongs behind a reverse proxy that terminates TLS. A platform that hands the
process a ``PORT`` routes traffic to it from outside, so there it listens on every
interface. Tokens in request lines are masked by the app's log record factory
(``app.logs``). Started with ``gunicorn -c gunicorn.conf.py``, ``GUNICORN_CMD_ARGS``
overrides any of them too.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication

__all__ = [
    "access_log_format",
    "accesslog",
    "bind",
    "graceful_timeout",
    "keepalive",
    "post_fork",
    "preload_app",
    "threads",
    "timeout",
    "worker_class",
    "worker_exit",
    "workers",
]

_port = os.environ.get("PORT", "")
bind = os.environ.get("PBHUB_BIND", f"0.0.0.0:{_port}" if _port else "127.0.0.1:5000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("PBHUB_THREADS", "4"))
timeout = 30
graceful_timeout = 20
keepalive = 5
preload_app = True
accesslog = os.environ.get("PBHUB_ACCESS_LOG", "-") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'


def _hub(worker: Any) -> Any | None:
    """The app this worker serves, if it is the hub (the benchmarks serve a bare one)."""
    app = worker.app.wsgi()  # preloaded: the app the master built
    return app if "pbhub.clicks" in getattr(app, "extensions", {}) else None


def worker_exit(server: Any, worker: Any) -> None:
    """Write buffered clicks before a worker goes away."""
    from app.ingest.clicks import get_recorder

    app = _hub(worker)
    if app is not None:
        get_recorder(app).flush()


def post_fork(server: Any, worker: Any) -> None:
    """Without Redis there is no worker process: each web process sweeps deliveries."""
    from app.outbound.sweeper import Sweeper

    app = _hub(worker)
    if app is None or app.config["REDIS_URL"]:
        return  # the RQ workers run the sweeper
    Sweeper(app).start()


class HubServer(BaseApplication):
    """gunicorn with the settings above, serving ``create_app()``, for ``pbhub serve``."""

    def __init__(self, overrides: dict[str, Any]) -> None:
        self.overrides = overrides
        super().__init__()

    def load_config(self) -> None:
        settings = {name: globals()[name] for name in __all__}
        for name, value in {**settings, **self.overrides}.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        from app import create_app

        return create_app()
