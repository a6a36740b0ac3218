"""``pbhub serve`` and ``pbhub worker``: the hub's two long-running processes.

An installed hub has no checkout, so no ``wsgi.py``, ``worker.py`` or Procfile: these are
what its systemd units, its container and an operator's shell start.
"""

from __future__ import annotations

import sys

import click

from app.serving import bind as default_bind
from app.serving import threads as default_threads
from app.serving import workers as default_workers


@click.command("serve")
@click.option(
    "--bind",
    default=default_bind,
    show_default=True,
    help="HOST:PORT to listen on (default from PBHUB_BIND; 127.0.0.1 keeps it behind "
    "your reverse proxy).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=default_workers,
    show_default=True,
    help="Web processes (default from WEB_CONCURRENCY): about one per CPU.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=default_threads,
    show_default=True,
    help="Threads per web process (default from PBHUB_THREADS).",
)
def serve(bind: str, workers: int, threads: int) -> None:
    """Run the production web server (gunicorn): dashboard, API, Postback, Track.

    Run ``pbhub db upgrade`` first. Without REDIS_URL it also runs background jobs
    itself; with it, start ``pbhub worker`` as well.

    \b
    Example:
      pbhub serve --bind 127.0.0.1:5000 --workers 2
    """
    from app.serving import HubServer

    HubServer({"bind": bind, "workers": workers, "threads": threads}).run()


@click.command("worker")
@click.option("--burst", is_flag=True, help="Work until the queue is empty, then exit.")
def worker(burst: bool) -> None:
    """Run a background worker for deliveries, sync and roll-ups (needs REDIS_URL).

    Start one or more beside ``pbhub serve`` when REDIS_URL is set; one of them is
    elected for the periodic jobs. Without Redis the web process runs jobs itself.

    \b
    Example:
      pbhub worker
    """
    from app.worker import main

    sys.exit(main(["--burst"] if burst else []))
