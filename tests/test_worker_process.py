"""``worker.py`` outlives a Redis that goes away while it finishes a job."""

from __future__ import annotations

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


def test_a_worker_starts_again_when_redis_goes_away_mid_job(worker_env, monkeypatch):
    runs = []

    def work(self, **options):
        runs.append(options)
        if len(runs) == 1:
            raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379")
        return True

    monkeypatch.setattr(worker.SimpleWorker, "work", work)
    assert worker.main([]) == 0
    assert runs == [{"with_scheduler": True, "burst": False}] * 2


def test_a_burst_worker_reports_redis_going_away(worker_env, monkeypatch):
    def work(self, **options):
        raise RedisConnectionError("gone")

    monkeypatch.setattr(worker.SimpleWorker, "work", work)
    with pytest.raises(RedisConnectionError):
        worker.main(["--burst"])
