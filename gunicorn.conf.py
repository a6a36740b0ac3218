"""gunicorn settings shared by the Procfile, ``make run`` and the benchmarks.

Tokens in request lines are masked by the app's log record factory (``app.logs``).

Every value can be overridden on the command line or with GUNICORN_CMD_ARGS.
"""

import os

bind = os.environ.get("PBHUB_BIND", f"0.0.0.0:{os.environ.get('PORT', '5000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("PBHUB_THREADS", "4"))
timeout = 30
graceful_timeout = 20
keepalive = 5
preload_app = True
accesslog = os.environ.get("PBHUB_ACCESS_LOG", "-") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'


def worker_exit(server, worker):  # type: ignore[no-untyped-def]
    """Write buffered clicks before a worker goes away."""
    from app.ingest.clicks import get_recorder
    from wsgi import app

    get_recorder(app).flush()


def post_fork(server, worker):  # type: ignore[no-untyped-def]
    """Without Redis there is no worker process: each web process sweeps deliveries."""
    from app.outbound.sweeper import Sweeper
    from wsgi import app

    if app.config["REDIS_URL"]:
        return  # the RQ workers run the sweeper
    Sweeper(app).start()
