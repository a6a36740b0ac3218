"""The RQ worker (with its scheduler), running jobs inside an app context, plus the
delivery sweeper (one elected across all workers).

``pbhub worker`` (or ``python worker.py`` in a checkout) needs REDIS_URL; without it the
web process runs jobs itself. ``--burst`` drains the queue and exits (maintenance, tests).

Everything the worker runs is a thread of its one process (jobs, RQ's scheduler, the
sweeper, the delivery engine's coordinator, recorder and senders), so however the worker
ends, even by SIGKILL, nothing of it is left running.
"""

from __future__ import annotations

import logging
import sys
import threading
import time

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue, SimpleWorker
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.scheduler import RQScheduler
from rq.scheduler import run as run_scheduler

from app import create_app
from app.config import ConfigError
from app.outbound.sweeper import Sweeper
from app.queue import QUEUE_NAME
from app.runtime import delivery_engine

log = logging.getLogger("pbhub.worker")
#: Seconds between attempts to start working again after Redis went away.
PAUSE = 2.0
#: Longest a stopping worker waits for its scheduler to let go of the scheduler lock.
SCHEDULER_STOP_WAIT = 5.0
#: How often a worker runs RQ's maintenance, which is also when a worker without the
#: scheduler lock tries to take it: a killed worker's lock lapses within a minute, so its
#: scheduler is replaced within two (RQ's default of ten minutes would leave a gap).
MAINTENANCE_SECONDS = 60


class ThreadScheduler(RQScheduler):
    """RQ's scheduler on a thread of the worker rather than in a forked child.

    A child outlives a worker killed with SIGKILL (re-parented to PID 1) and keeps
    refreshing the scheduler lock, so no later worker's scheduler ever runs; and forking
    a process that runs threads (the sweeper) risks a child stuck on a lock one of them
    held. A thread dies with the worker; its lock then lapses within a minute and another
    worker's scheduler takes it over at its next maintenance round. Its round once a
    second costs next to nothing.
    """

    def start(self) -> threading.Thread:
        self._status = self.Status.STARTED
        self._stop_requested = False
        thread = threading.Thread(
            target=run_scheduler, args=(self,), name="rq-scheduler", daemon=True
        )
        # RQ checks ``_process.is_alive()`` to start a scheduler that died again.
        self._process = thread
        thread.start()
        return thread

    def _install_signal_handlers(self) -> None:
        """Signals go to the worker's main thread, which stops this scheduler itself."""


class Worker(SimpleWorker):
    """Non-forking: a fork per job would cap a worker near 150 jobs a second; jobs still
    get RQ's hard time limit (a signal in this, the main, thread). Its scheduler is a
    ``ThreadScheduler``."""

    def _start_scheduler(
        self,
        burst: bool = False,
        logging_level: str | None = "INFO",
        date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
        log_format: str = DEFAULT_LOGGING_FORMAT,
    ) -> None:
        scheduler = ThreadScheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format,
            log_format=log_format,
            serializer=self.serializer,
        )
        self.scheduler = scheduler
        scheduler.acquire_locks()
        if not scheduler.acquired_locks:
            return
        if not burst:
            scheduler.start()
            return
        try:
            scheduler.register_birth()
            scheduler.enqueue_scheduled_jobs()
        finally:
            scheduler.release_locks()
            scheduler.register_death()

    def unsubscribe(self) -> None:
        """Stop listening for commands without the minute RQ can lose here: it sends
        UNSUBSCRIBE and only then tells its listener thread to stop, waiting for it with
        no limit; a listener that reads the reply first waits a minute for a subscription
        that never comes, and a stopping worker overruns its stop timeout. Told to stop
        first, the listener leaves as soon as the reply wakes it."""
        listener = self.pubsub_thread
        if listener is None:
            return
        try:
            listener.stop(timeout=0)
        except TypeError:  # redis-py before 8.2: stop() only clears the flag, never waits
            listener.stop()
        self.pubsub.unsubscribe()
        listener.join(timeout=1)
        self.pubsub.close()

    def stop_scheduler(self) -> None:
        """Ask the scheduler thread to release its lock and end (RQ would signal a pid)."""
        scheduler = self.scheduler
        if scheduler is None or scheduler._process is None:
            return
        scheduler.request_stop()
        scheduler._process.join(SCHEDULER_STOP_WAIT)


def make_worker(connection: Redis) -> Worker:
    return Worker(
        [Queue(QUEUE_NAME, connection=connection)],
        connection=connection,
        maintenance_interval=MAINTENANCE_SECONDS,
    )


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
        try:
            return _work(connection, burst)
        finally:
            # Attempts in flight are answered and recorded before the worker leaves.
            delivery_engine().stop()


def _work(connection: Redis, burst: bool) -> int:
    while True:
        worker = make_worker(connection)
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
        # RQ quits its loop when Redis goes away while it finishes a job, or times out; a
        # job cut short is committed or will be swept again, and the sweeper kept running
        # meanwhile.
        time.sleep(PAUSE)


def asked_to_stop(worker: SimpleWorker) -> bool:
    """Whether SIGTERM or SIGINT ended the loop (RQ notes when a shutdown was asked)."""
    return getattr(worker, "_shutdown_requested_date", None) is not None
