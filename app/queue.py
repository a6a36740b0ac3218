"""One way to enqueue background work, on Redis (RQ) or in-process.

Job functions are named by import path and run the same way either side: RQ workers run
them in ``worker.py``; without ``REDIS_URL`` a small thread in the web process does.
Enqueueing happens after the commit and is best effort: a job lost with a crashed process
or an unreachable Redis is not queued again, so work that must not be lost keeps its own
state in the database (deliveries do) rather than trusting the queue.
"""

from __future__ import annotations

import importlib
import logging
import queue as stdlib_queue
import threading
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, current_app

from app.batching import Batcher

log = logging.getLogger(__name__)

QUEUE_NAME = "default"
#: The hook every new, changed or re-mapped conversion triggers (deliveries hang off it).
CONVERSION_JOB = "app.jobs.conversions.conversion_recorded"
#: Many follow-ups in one RQ job: a worker pays its per-job overhead once per batch.
CONVERSIONS_JOB = "app.jobs.conversions.conversions_recorded"
SEND_JOB = "app.jobs.deliveries.send_deliveries"
FOLLOW_UPS_PER_JOB = 50
#: Longest an RQ job may run before the worker kills it (a batch of slow receivers).
JOB_TIMEOUT = 600
JOB_FAILURE_TTL = 7 * 24 * 3600
#: Jobs that may run for minutes (tracker syncs, pruning) get a lane of their own in-process.
SYNC_JOBS = ("app.jobs.keitaro.", "app.jobs.stats.")
DEFAULT_LANE, SYNC_LANE = "default", "sync"


def resolve(path: str) -> Callable[..., Any]:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def batch_follow_ups(
    jobs: list[tuple[str, tuple[Any, ...]]],
) -> list[tuple[str, tuple[Any, ...]]]:
    """The same jobs with the conversion follow-ups gathered into batch jobs of up to
    ``FOLLOW_UPS_PER_JOB`` (after the other jobs, whose order is kept). A malformed
    follow-up stays a job of its own, so it cannot fail a batch."""

    def batchable(path: str, args: tuple[Any, ...]) -> bool:
        return path == CONVERSION_JOB and len(args) == 2

    follow_ups = [args for path, args in jobs if batchable(path, args)]
    others = [(path, args) for path, args in jobs if not batchable(path, args)]
    return others + [
        (CONVERSIONS_JOB, (follow_ups[i : i + FOLLOW_UPS_PER_JOB],))
        for i in range(0, len(follow_ups), FOLLOW_UPS_PER_JOB)
    ]


class InProcessQueue:
    """Runs jobs inside an app context on daemon threads, one lane each: a slow sync job
    (a Keitaro import reading a day of clicks) runs beside the follow-up and delivery
    jobs instead of holding them up. Jobs of one lane run one at a time, in order."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._lanes: dict[str, stdlib_queue.Queue[tuple[str, tuple[Any, ...]]]] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()

    def enqueue(self, path: str, *args: Any) -> None:
        resolve(path)
        lane = SYNC_LANE if path.startswith(SYNC_JOBS) else DEFAULT_LANE
        self._lane(lane).put((path, args))

    def _lane(self, name: str) -> stdlib_queue.Queue[tuple[str, tuple[Any, ...]]]:
        with self._lock:
            jobs = self._lanes.setdefault(name, stdlib_queue.Queue())
            thread = self._threads.get(name)
            if thread is None or not thread.is_alive():
                thread = threading.Thread(
                    target=self._run, args=(jobs,), name=f"pbhub-jobs-{name}", daemon=True
                )
                self._threads[name] = thread
                thread.start()
            return jobs

    def _run(self, jobs: stdlib_queue.Queue[tuple[str, tuple[Any, ...]]]) -> None:
        while True:
            taken = [jobs.get()]
            # Follow-ups waiting behind this one run as one batch, as on Redis: under
            # load one planning transaction serves many conversions.
            while taken[-1][0] == CONVERSION_JOB and len(taken) < FOLLOW_UPS_PER_JOB:
                try:
                    taken.append(jobs.get_nowait())
                except stdlib_queue.Empty:
                    break
            for path, args in batch_follow_ups(taken):
                try:
                    with self._app.app_context():
                        resolve(path)(*args)
                except Exception:
                    log.exception("job %s failed", path)
            for _ in taken:
                jobs.task_done()

    def join(self) -> None:
        """Wait until every job enqueued so far has run (tests, shutdown), including
        jobs those jobs enqueue on another lane, and the deliveries they handed to the
        delivery engine were attempted."""
        engine = self._app.extensions.get("pbhub.engine")
        while True:
            with self._lock:
                lanes = list(self._lanes.values())
            for jobs in lanes:
                jobs.join()
            if engine is not None:
                engine.join()
            if not any(jobs.unfinished_tasks for jobs in lanes) and len(lanes) == len(self._lanes):
                return


class RedisQueue:
    """RQ jobs, enqueued in batches by a background thread.

    ``Queue.enqueue`` costs about 0.3 ms of CPU and a round trip per job; ``enqueue_many``
    in a pipeline costs a third of that, and the postback need not wait for Redis at all:
    the conversion is committed before it is queued here. Jobs wait in memory (at most
    50 ms, and while Redis is unreachable) and go with the process if it is killed.
    """

    def __init__(self, url: str, *, interval: float = 0.05) -> None:
        from redis import Redis
        from rq import Queue

        self.connection = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
        self._queue = Queue(QUEUE_NAME, connection=self.connection)
        self._batch = Batcher("pbhub-enqueue", self._write, batch_size=100, interval=interval)

    def enqueue(self, path: str, *args: Any) -> None:
        self._batch.add((path, args))

    def _write(self, jobs: list[tuple[str, tuple[Any, ...]]]) -> None:
        from rq import Queue

        self._queue.enqueue_many(
            [
                Queue.prepare_data(
                    path, args, result_ttl=0, failure_ttl=JOB_FAILURE_TTL, timeout=JOB_TIMEOUT
                )
                for path, args in batch_follow_ups(jobs)
            ]
        )

    def join(self) -> None:
        """Hand every job enqueued so far to Redis (the workers run them)."""
        self._batch.flush()


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    app.extensions["pbhub.queue"] = RedisQueue(url) if url else InProcessQueue(app)


def get_queue(app: Flask) -> InProcessQueue | RedisQueue:
    return app.extensions["pbhub.queue"]


def enqueue(path: str, *args: Any) -> None:
    get_queue(current_app).enqueue(path, *args)


def enqueue_follow_ups(items: Iterable[tuple[int, str]]) -> None:
    """Queue the conversion hook for each ``(conversion id, kind)``; best effort, never
    failing the caller (the queue batches in the background)."""
    queue = get_queue(current_app)
    for conversion_id, kind in items:
        queue.enqueue(CONVERSION_JOB, conversion_id, kind)
