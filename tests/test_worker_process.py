"""``worker.py`` outlives a Redis that goes away while it finishes a job, and nothing of
it outlives the worker."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue
from rq.job import JobStatus
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler

from app import worker
from app.queue import QUEUE_NAME, get_queue
from tests.conftest import redis_url, start_worker


@pytest.fixture
def worker_env(monkeypatch, database_uri):
    monkeypatch.setenv("REDIS_URL", redis_url())
    monkeypatch.setenv("DATABASE_URL", database_uri)
    monkeypatch.setattr(worker, "PAUSE", 0)
    monkeypatch.setattr(worker.Sweeper, "start", lambda self: None)


def loops(monkeypatch, *endings):
    """RQ's work loop ending each time as told: an exception, "quit" (returns unasked,
    as RQ does when Redis goes away mid-job) or "stop" (a SIGTERM)."""
    runs = []

    def work(self, **options):
        runs.append(options)
        ending = endings[len(runs) - 1]
        if isinstance(ending, Exception):
            raise ending
        if ending == "stop":
            self._shutdown_requested_date = datetime.now(UTC)
        return True

    monkeypatch.setattr(worker.SimpleWorker, "work", work)
    return runs


def test_a_worker_whose_loop_quit_unasked_starts_again(worker_env, monkeypatch):
    runs = loops(monkeypatch, "quit", "stop")
    assert worker.main([]) == 0
    assert runs == [{"with_scheduler": True, "burst": False}] * 2


def test_a_worker_starts_again_when_redis_is_gone_while_it_tears_down(worker_env, monkeypatch):
    runs = loops(monkeypatch, RedisConnectionError("Error 111 connecting"), "stop")
    assert worker.main([]) == 0
    assert len(runs) == 2


def test_a_stopped_worker_stops(worker_env, monkeypatch):
    runs = loops(monkeypatch, "stop")
    assert worker.main([]) == 0
    assert len(runs) == 1


def test_a_burst_worker_reports_redis_going_away(worker_env, monkeypatch):
    loops(monkeypatch, RedisConnectionError("gone"))
    with pytest.raises(RedisConnectionError):
        worker.main(["--burst"])


def test_one_periodic_round_runs_however_many_workers_compete(redis_app):
    """Every worker runs a sweeper; the Redis lock elects one of them per round."""
    from app.outbound.sweeper import LOCK_KEY, Sweeper

    sweepers = [Sweeper(redis_app) for _ in range(4)]
    sweepers[0]._redis.delete(LOCK_KEY)
    assert [sweeper._elected() for sweeper in sweepers] == [True, False, False, False]


def session_members(session: int) -> set[int]:
    """Live processes (zombies are dead) in ``session``: every descendant of a worker
    started in a session of its own, even after it was re-parented."""
    members = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == session:
            members.add(int(entry))
    return members


def running_scheduler(connection, deadline: float) -> bytes:
    """The name of the scheduler that holds the queue's lock, once it has registered."""
    lock = RQScheduler.get_locking_key(QUEUE_NAME)
    while time.monotonic() < deadline:
        name = connection.get(lock)
        if name and connection.exists(SCHEDULER_KEY_TEMPLATE % name.decode()):
            return name
        time.sleep(0.1)
    raise AssertionError("the worker's scheduler never started")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_killed_worker_takes_its_scheduler_with_it(redis_app):
    connection = get_queue(redis_app).connection
    process = start_worker(redis_app)
    try:
        running_scheduler(connection, time.monotonic() + 60)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        deadline = time.monotonic() + 3
        while session_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert session_members(process.pid) == set()
        lock = RQScheduler.get_locking_key(QUEUE_NAME)
        before = connection.pttl(lock)
        time.sleep(2.5)
        assert connection.pttl(lock) <= before - 2000  # nobody refreshes it
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def test_a_workers_scheduler_queues_a_job_when_it_is_due(redis_app):
    connection = get_queue(redis_app).connection
    job = Queue(QUEUE_NAME, connection=connection).enqueue_in(timedelta(seconds=1), "os.getpid")
    process = start_worker(redis_app)
    try:
        deadline = time.monotonic() + 60
        while job.get_status(refresh=True) != JobStatus.FINISHED and time.monotonic() < deadline:
            time.sleep(0.2)
        assert job.get_status() == JobStatus.FINISHED
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def test_a_worker_stopped_with_sigterm_exits_promptly_and_releases_the_scheduler_lock(redis_app):
    """Well within a systemd stop timeout: RQ's command listener can otherwise hold the
    exit up for a minute."""
    connection = get_queue(redis_app).connection
    process = start_worker(redis_app)
    try:
        running_scheduler(connection, time.monotonic() + 60)
        process.terminate()
        assert process.wait(20) == 0
        assert not connection.exists(RQScheduler.get_locking_key(QUEUE_NAME))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def test_a_worker_takes_over_a_lapsed_scheduler_lock_at_its_next_maintenance(redis_app):
    """A worker that found the lock held (a killed worker's, not yet lapsed) takes it once
    it lapses, at a maintenance round that comes every minute, not RQ's ten."""
    connection = get_queue(redis_app).connection
    lock = RQScheduler.get_locking_key(QUEUE_NAME)
    connection.set(lock, "a-killed-worker", ex=60)
    rq_worker = worker.make_worker(connection)
    assert rq_worker.maintenance_interval <= 60
    rq_worker._start_scheduler()
    assert connection.get(lock) == b"a-killed-worker"
    connection.delete(lock)  # the minute has passed
    rq_worker.last_cleaned_at = datetime.now(UTC) - timedelta(seconds=61)
    rq_worker.run_maintenance_tasks()
    try:
        assert (
            running_scheduler(connection, time.monotonic() + 10)
            == rq_worker.scheduler.name.encode()
        )
    finally:
        rq_worker.stop_scheduler()
