"""Deliveries through real RQ workers: a worker killed mid-send, a Redis that lost its
jobs. Nothing may be lost, and nothing delivered twice into two delivered states."""

import dataclasses
import http.server
import os
import signal
import threading
from datetime import timedelta

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import select

from app.extensions import db
from app.jobs.deliveries import sweep
from app.models import Delivery, DeliveryAttempt
from app.models.types import utcnow
from app.queue import QUEUE_NAME, get_queue
from tests.conftest import start_worker


class Receiver(http.server.ThreadingHTTPServer):
    """Answers 200, except that the first request hangs until ``release()``."""

    def __init__(self):
        self.requests: list[dict] = []
        self.first_arrived = threading.Event()
        self._released = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                receiver.requests.append(
                    {"id": self.headers["webhook-id"], "body": self.rfile.read(length)}
                )
                if len(receiver.requests) == 1:
                    receiver.first_arrived.set()
                    receiver._released.wait(30)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                """Quiet: the test output is for failures."""

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/hook"

    def release(self):
        self._released.set()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.release()
    server.shutdown()


@pytest.fixture
def fire(redis_app, make_source):
    source = make_source()

    def send(**params):
        with redis_app.test_client() as client:
            client.get(source["postback_path"], query_string={"event": "dep", **params})
        get_queue(redis_app).join()

    return send


def later(app, minutes):
    settings = app.extensions["pbhub.delivery"]
    moment = utcnow() + timedelta(minutes=minutes)
    app.extensions["pbhub.delivery"] = dataclasses.replace(settings, now=lambda: moment)


def run_worker_burst(app):
    queue = Queue(QUEUE_NAME, connection=get_queue(app).connection)
    with app.app_context():
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
    # Send jobs hand their deliveries to the process's engine, which answers on its own.
    assert app.extensions["pbhub.engine"].join()


def deliveries(app):
    with app.app_context():
        db.session.expire_all()
        return db.session.scalars(select(Delivery)).all()


def test_a_worker_killed_mid_send_loses_nothing_and_delivers_once(
    redis_app, outbound, fire, receiver
):
    outbound(preset="signed_webhook", url=receiver.url)
    fire(transaction_id="KILL")
    worker = start_worker(redis_app)
    try:
        assert receiver.first_arrived.wait(60), worker.stderr.read().decode()[-2000:]
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    [held] = deliveries(redis_app)
    assert (held.state, held.attempts, held.lease_until is not None) == ("pending", 1, True)
    receiver.release()
    later(redis_app, minutes=5)
    with redis_app.app_context():
        assert sweep()["due"] == 1
    get_queue(redis_app).join()
    run_worker_burst(redis_app)
    [delivery] = deliveries(redis_app)
    assert delivery.state == "delivered"
    with redis_app.app_context():
        outcomes = db.session.scalars(select(DeliveryAttempt.outcome)).all()
    assert outcomes == ["delivered"]
    assert len({r["id"] for r in receiver.requests}) == 1  # the same webhook-id both times


def test_a_redis_that_lost_its_jobs_is_made_whole_by_the_sweeper(
    redis_app, outbound, fire, receiver
):
    receiver.release()
    outbound(preset="signed_webhook", url=receiver.url)
    fire(transaction_id="FLUSH")
    get_queue(redis_app).connection.flushdb()  # the planning job is gone
    assert deliveries(redis_app) == []
    later(redis_app, minutes=5)
    with redis_app.app_context():
        assert sweep()["unplanned"] == 1
    get_queue(redis_app).join()
    run_worker_burst(redis_app)
    assert [d.state for d in deliveries(redis_app)] == ["delivered"]
    assert len(receiver.requests) == 1
