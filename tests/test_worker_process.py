"""``worker.py`` outlives a Redis that goes away while it finishes a job."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

import worker
from tests.conftest import redis_url


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
