"""Follow-up jobs run the same way in-process and on RQ; rate limits are shared on Redis."""

import logging
import uuid

import pytest

from app.queue import InProcessQueue, RedisQueue, get_queue
from app.ratelimit import MemoryLimiter, RedisLimiter
from tests.conftest import redis_url


def test_without_redis_the_web_process_runs_follow_up_jobs(app, client, source, caplog):
    caplog.set_level(logging.DEBUG, logger="app.jobs.conversions")
    queue = get_queue(app)
    assert isinstance(queue, InProcessQueue)
    conversion_id = client.get(source["postback_path"] + "?transaction_id=1").get_json()[
        "conversion_id"
    ]
    queue.join()
    assert f"conversion {conversion_id} (accepted)" in caplog.text


def test_a_long_sync_job_does_not_hold_up_follow_up_jobs(app, caplog, monkeypatch):
    import threading

    from app.jobs import keitaro

    caplog.set_level(logging.DEBUG, logger="app.jobs.conversions")
    release = threading.Event()
    monkeypatch.setattr(keitaro, "import_clicks", lambda connection_id: release.wait(10))
    queue = get_queue(app)
    queue.enqueue("app.jobs.keitaro.import_clicks", 1)
    queue.enqueue("app.jobs.conversions.conversion_recorded", 8, "accepted")
    try:
        for _ in range(100):
            if "conversion 8 (accepted)" in caplog.text:
                break
            release.wait(0.05)
        assert "conversion 8 (accepted)" in caplog.text
    finally:
        release.set()
    queue.join()


def test_follow_ups_waiting_in_process_are_planned_as_one_batch(app, monkeypatch):
    import threading

    from app.jobs import deliveries
    from app.outbound import dispatch

    planned, release = [], threading.Event()
    real = dispatch.plan_many
    monkeypatch.setattr(
        dispatch, "plan_many", lambda ids, now: planned.append(list(ids)) or real(ids, now)
    )
    monkeypatch.setattr(deliveries, "send_deliveries", lambda ids: release.wait(10))
    queue = get_queue(app)
    queue.enqueue("app.jobs.deliveries.send_deliveries", [])  # holds the lane
    for conversion_id in (1, 2, 3, 4):
        queue.enqueue("app.jobs.conversions.conversion_recorded", conversion_id, "accepted")
    release.set()
    queue.join()
    assert planned == [[1, 2, 3, 4]]


def test_a_failing_in_process_job_does_not_stop_the_queue(app, caplog):
    caplog.set_level(logging.DEBUG, logger="app.jobs.conversions")
    queue = get_queue(app)
    queue.enqueue("app.jobs.conversions.conversion_recorded")
    queue.enqueue("app.jobs.conversions.conversion_recorded", 7, "accepted")
    queue.join()
    assert "job app.jobs.conversions.conversion_recorded failed" in caplog.text
    assert "conversion 7 (accepted)" in caplog.text


def test_with_redis_jobs_go_to_rq_and_a_worker_runs_them_in_an_app_context(
    app, source, redis_app, caplog
):
    from rq import Queue, SimpleWorker

    caplog.set_level(logging.DEBUG, logger="app.jobs.conversions")
    queue = get_queue(redis_app)
    assert isinstance(queue, RedisQueue)
    with redis_app.test_client() as client:
        conversion_id = client.get(source["postback_path"] + "?transaction_id=r").get_json()[
            "conversion_id"
        ]
    queue.join()
    rq_queue = Queue("default", connection=queue.connection)
    assert rq_queue.count == 1
    with redis_app.app_context():
        SimpleWorker([rq_queue], connection=queue.connection).work(burst=True)
    assert f"conversion {conversion_id} (accepted)" in caplog.text


def test_a_redis_outage_keeps_jobs_queued_in_memory_until_redis_answers(redis_app):
    from redis.exceptions import ConnectionError as RedisConnectionError
    from rq import Queue

    queue = get_queue(redis_app)
    rq_queue = Queue("default", connection=queue.connection)
    original = queue._queue.enqueue_many

    def refuse(jobs, **kwargs):
        raise RedisConnectionError("Redis is down")

    queue._queue.enqueue_many = refuse
    queue.enqueue("app.jobs.conversions.conversion_recorded", 1, "accepted")
    with pytest.raises(RedisConnectionError):
        queue.join()
    queue._queue.enqueue_many = original
    queue.join()
    assert rq_queue.count == 1


def test_rate_limits_on_redis_are_shared_between_processes():
    url = redis_url()
    key = f"test:{uuid.uuid4().hex}"
    web_a, web_b = RedisLimiter(url), RedisLimiter(url)
    results = [limiter.allow(key, 3, now=1000.0) for limiter in (web_a, web_b, web_a, web_b)]
    assert results == [True, True, True, False]
    assert not web_b.allow(key, 3, now=1059.0)
    assert web_a.allow(key, 3, now=1061.0)


def test_in_memory_rate_limits_count_the_last_60_seconds_not_the_calendar_minute():
    limiter = MemoryLimiter()
    assert [limiter.allow("s", 2, now=59.0) for _ in range(3)] == [True, True, False]
    assert not limiter.allow("s", 2, now=60.0)
    assert limiter.allow("s", 2, now=120.0)


def test_the_worker_refuses_to_start_without_redis(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "REDIS_URL": "", "DATABASE_URL": f"sqlite:///{tmp_path / 'w.sqlite3'}"}
    result = subprocess.run(
        [sys.executable, "worker.py"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "REDIS_URL is not set" in result.stderr


def test_the_worker_process_drains_the_queue_in_burst_mode(app, source, redis_app, caplog):
    import os
    import subprocess
    import sys

    with redis_app.test_client() as client:
        client.get(source["postback_path"] + "?transaction_id=w")
    get_queue(redis_app).join()
    env = {
        **os.environ,
        "PBHUB_LOG_LEVEL": "DEBUG",
        "REDIS_URL": redis_app.config["REDIS_URL"],
        "DATABASE_URL": redis_app.config["SQLALCHEMY_DATABASE_URI"],
    }
    result = subprocess.run(
        [sys.executable, "worker.py", "--burst"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "(accepted)" in result.stderr
    from rq import Queue

    assert Queue("default", connection=get_queue(redis_app).connection).count == 0
