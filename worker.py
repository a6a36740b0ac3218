"""The RQ worker (with its scheduler), running jobs inside an app context, plus the
delivery sweeper (one elected across all workers).

``python worker.py`` needs REDIS_URL; without it the web process runs jobs itself.
``--burst`` drains the queue and exits (maintenance, tests).
"""

from __future__ import annotations

import logging
import sys
import time

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue, SimpleWorker

from app import create_app
from app.config import ConfigError
from app.outbound.sweeper import Sweeper
from app.queue import QUEUE_NAME

log = logging.getLogger("pbhub.worker")
#: Seconds between attempts to start working again after Redis went away.
PAUSE = 2.0


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
    burst = "--burst" in argv
    with app.app_context():
        while True:
            # Non-forking: a fork per job would cap a worker near 150 jobs a second; jobs
            # still get RQ's hard time limit (a signal in this, the main, thread).
            worker = SimpleWorker([Queue(QUEUE_NAME, connection=connection)], connection=connection)
            try:
                worker.work(with_scheduler=True, burst=burst)
            except (RedisConnectionError, RedisTimeoutError) as exc:
                if burst:
                    raise
                log.warning("worker: Redis went away (%s); starting again in %g s", exc, PAUSE)
            else:
                if burst or asked_to_stop(worker):
                    return 0
                log.warning("worker: stopped unasked (Redis went away?); starting again")
            # RQ quits its loop when Redis goes away while it finishes a job, or times
            # out; a job cut short is committed or will be swept again, and the sweeper
            # kept running meanwhile.
            time.sleep(PAUSE)
    return 0


def asked_to_stop(worker: SimpleWorker) -> bool:
    """Whether SIGTERM or SIGINT ended the loop (RQ notes when a shutdown was asked)."""
    return getattr(worker, "_shutdown_requested_date", None) is not None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
