"""Two web servers and two workers on one PostgreSQL and one Redis, as a deployment on
several hosts runs. 5,000 postbacks (originals, duplicates, status changes) spread over
both servers while one worker is killed with SIGKILL: every answered conversion is stored
once, every delivery arrives, none is sent twice at once, and stats equal a recount."""

from __future__ import annotations

import http.server
import os
import random
import signal
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from redis import Redis
from sqlalchemy import func, select

from app.extensions import db
from app.models import Conversion, Delivery
from app.services import rollups, stats
from tests.conftest import redis_url
from tests.processes import free_port, gunicorn, spawn, stop, wait_healthy
from tests.stats_reference import reference

ORIGINALS, DUPLICATES, CHANGES = 3_000, 1_000, 1_000
#: The sweeper re-plans work a killed worker held after PLAN_GRACE (2 minutes), and hands
#: out again first attempts it held after FIRST_ATTEMPT_GRACE (30 s).
SETTLE_SECONDS = 240


class Receiver(http.server.ThreadingHTTPServer):
    """Counts every delivery by (conversion, status) and notices two at once."""

    daemon_threads = True

    def __init__(self) -> None:
        self.received: Counter[tuple[str, str]] = Counter()
        self.in_flight: Counter[tuple[str, str]] = Counter()
        self.overlaps: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                key = (query["id"][0], query["s"][0])
                with receiver.lock:
                    receiver.in_flight[key] += 1
                    if receiver.in_flight[key] > 1:
                        receiver.overlaps.append(key)
                time.sleep(0.003)
                with receiver.lock:
                    receiver.in_flight[key] -= 1
                    receiver.received[key] += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                """Quiet."""

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


@pytest.fixture
def deployment(app, tmp_path):
    """Two gunicorn servers (one process, four threads each) and two RQ workers."""

    url = redis_url()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "PBHUB_BASE_URL": "http://hub.test",
        "PBHUB_OUTBOUND_ALLOWED_HOSTS": "127.0.0.0/8",
        "PBHUB_SOURCE_CACHE_SECONDS": "0",
        "PBHUB_CLICK_BATCH": "0",
        "PBHUB_ACCESS_LOG": "",
        "WEB_CONCURRENCY": "1",
        "PBHUB_THREADS": "4",
    }
    redis = Redis.from_url(url)
    redis.flushdb()
    ports = [free_port(), free_port()]
    servers = [gunicorn(env, port, tmp_path / f"web-{port}.log") for port in ports]
    workers = [
        spawn([sys.executable, "worker.py"], env, tmp_path / f"worker-{n}.log") for n in (1, 2)
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    for base in bases:
        wait_healthy(base)
    yield bases, workers, tmp_path
    for process in servers + workers:
        stop(process)
    redis.flushdb()


def plan_postbacks() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Originals first (some pending), then duplicates and status changes, shuffled."""
    rng = random.Random(5)
    originals = [
        {
            "transaction_id": f"T{n}",
            "event": rng.choice(["reg", "dep"]),
            "payout": f"{rng.randint(1, 90)}.{rng.randint(0, 99):02d}",
            "currency": rng.choice(["USD", "EUR"]),
            "status": "pending" if n < CHANGES else "approved",
        }
        for n in range(ORIGINALS)
    ]
    later = [dict(rng.choice(originals[CHANGES:])) for _ in range(DUPLICATES)]
    later += [{**original, "status": "approved"} for original in originals[:CHANGES]]
    rng.shuffle(later)
    return originals, later


@pytest.mark.slow
@pytest.mark.parametrize("database_uri", ["postgresql"], indirect=True)
def test_two_servers_and_two_workers_lose_nothing_when_a_worker_is_killed(
    app, make_source, outbound, deployment
):
    bases, workers, logs = deployment
    receiver = Receiver()
    source = make_source(
        event_map={"reg": "registration", "dep": "ftd"},
        status_map={"pending": "pending", "approved": "approved"},
        field_map={"status": "status", "payout_currency": "currency"},
    )
    outbound(
        url_template=receiver.url + "?id={conversion_id}&s={status}",
        status_map={"approved": "approved", "pending": "pending"},
        timeout_seconds=5,
    )
    originals, later = plan_postbacks()
    answers: list[tuple[int, dict]] = []
    sessions = threading.local()

    def send(numbered: tuple[int, dict[str, str]]) -> None:
        n, params = numbered
        if not hasattr(sessions, "http"):
            sessions.http = requests.Session()
        answer = sessions.http.get(
            bases[n % 2] + source["postback_path"], params=params, timeout=30
        )
        answers.append((answer.status_code, answer.json()))

    with ThreadPoolExecutor(12) as pool:
        list(pool.map(send, enumerate(originals[: ORIGINALS // 2])))
        os.killpg(workers[0].pid, signal.SIGKILL)
        list(pool.map(send, enumerate(originals[ORIGINALS // 2 :])))
        list(pool.map(send, enumerate(later)))

    assert len(answers) == ORIGINALS + DUPLICATES + CHANGES
    assert Counter(code for code, _ in answers) == {200: len(answers)}
    outcomes = Counter(body["status"] for _, body in answers)
    assert outcomes == {
        "accepted": ORIGINALS,
        "duplicate": DUPLICATES,
        "status_changed": CHANGES,
    }

    # Every 2xx conversion is stored exactly once.
    accepted = {body["conversion_id"] for _, body in answers if body["status"] == "accepted"}
    db.session.expire_all()
    kept = db.session.execute(
        select(Conversion.id, Conversion.status).where(Conversion.attribution != "duplicate")
    ).all()
    assert {row.id for row in kept} == accepted and len(kept) == ORIGINALS
    assert Counter(row.status for row in kept) == {"approved": ORIGINALS}
    assert (
        db.session.scalar(select(func.count()).where(Conversion.attribution == "duplicate"))
        == DUPLICATES
    )

    # Every due delivery arrives; none is sent twice at once.
    expected = {(str(row.id), "approved") for row in kept}
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        db.session.expire_all()
        open_deliveries = db.session.scalar(
            select(func.count()).where(Delivery.state != "delivered")
        )
        unplanned = db.session.scalar(select(func.count()).where(Conversion.dispatch_pending))
        if not open_deliveries and not unplanned and expected <= set(receiver.received):
            break
        time.sleep(1)
    missing = expected - set(receiver.received)
    tails = "".join(f"\n--- {log.name}\n{log.read_text()[-1500:]}" for log in logs.glob("*.log"))
    assert not missing, (
        f"{len(missing)} deliveries never arrived, e.g. {sorted(missing)[:3]}{tails}"
    )
    assert receiver.overlaps == []
    states = Counter(db.session.scalars(select(Delivery.state)))
    assert set(states) == {"delivered"}

    # Stats equal a recount of the raw rows, before and after the roll-up.
    for window in ("1h", "24h"):
        result = stats.compute(window)
        assert result == reference(window, now=result.end)
    rollups.catch_up()
    result = stats.compute("7d")
    assert result == reference("7d", now=result.end)
    assert (result.conversions, result.events["ftd"] + result.events["registration"]) == (
        ORIGINALS,
        ORIGINALS,
    )
    receiver.shutdown()
