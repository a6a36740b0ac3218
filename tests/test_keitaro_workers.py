"""Keitaro sync in the deployment's shape: a real ``worker.py`` on Redis schedules the
click import itself (its elected periodic loop) and runs it."""

import os
import signal
import time
from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.jobs import keitaro as keitaro_jobs
from app.models import Click, KeitaroConnection
from app.models.types import utcnow
from tests.conftest import start_worker


def imported(app):
    with app.app_context():
        db.session.expire_all()
        return db.session.scalar(
            select(func.count()).select_from(Click).where(Click.origin == "keitaro")
        )


def recorded(app, connection_id):
    with app.app_context():
        db.session.expire_all()
        return db.session.get(KeitaroConnection, connection_id).clicks_last_success_at is not None


def test_a_worker_schedules_and_runs_the_click_import(redis_app, fake_keitaro, keitaro_connection):
    connection = keitaro_connection()
    for n in range(30):
        fake_keitaro.add_click(f"w{n}", utcnow() - timedelta(minutes=n + 1))
    worker = start_worker(redis_app)
    try:
        # Until the run is recorded too: its clicks are committed before its bookkeeping.
        deadline = time.monotonic() + 60
        while not (imported(redis_app) == 30 and recorded(redis_app, connection.id)):
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    assert imported(redis_app) == 30, worker.stderr.read().decode()[-2000:]
    with redis_app.app_context():
        row = db.session.get(KeitaroConnection, connection.id)
        assert row.clicks_last_success_at is not None
        assert row.clicks_next_at > utcnow()


def test_two_schedulers_enqueue_one_import_per_slot(redis_app, keitaro_connection):
    keitaro_connection()
    with redis_app.app_context():
        first = keitaro_jobs.schedule()
        second = keitaro_jobs.schedule()
    assert first == {keitaro_jobs.IMPORT_JOB: 1, keitaro_jobs.METADATA_JOB: 1}
    assert second == {keitaro_jobs.IMPORT_JOB: 0, keitaro_jobs.METADATA_JOB: 0}
