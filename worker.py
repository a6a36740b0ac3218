"""The RQ worker (with its scheduler), running jobs inside an app context, plus the
delivery sweeper (one elected across all workers).

``python worker.py`` needs REDIS_URL; without it the web process runs jobs itself.
``--burst`` drains the queue and exits (maintenance, tests).
"""

from __future__ import annotations

import sys

from redis import Redis
from rq import Queue, SimpleWorker

from app import create_app
from app.config import ConfigError
from app.outbound.sweeper import Sweeper
from app.queue import QUEUE_NAME


def main(argv: list[str]) -> int:
    try:
        app = create_app()
    except ConfigError as exc:
        print(f"pbhub: configuration error: {exc}", file=sys.stderr)
        return 2
    url = app.config["REDIS_URL"]
    if not url:
        print(
            "pbhub: configuration error: REDIS_URL is not set; without Redis the web "
            "process runs background jobs itself, so no worker is needed",
            file=sys.stderr,
        )
        return 2
    connection = Redis.from_url(url)
    Sweeper(app).start()
    with app.app_context():
        # Non-forking: a fork per job would cap a worker near 150 jobs a second; jobs
        # still get RQ's hard time limit (a signal in this, the main, thread).
        worker = SimpleWorker([Queue(QUEUE_NAME, connection=connection)], connection=connection)
        worker.work(with_scheduler=True, burst="--burst" in argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
