"""Chaos soak: ``python -m bench.soak`` (``make soak``; ``SOAK_SECONDS``, default 600).

Mixed load on a gunicorn server (2 processes x 4 threads) and two ``worker.py``
processes, against a throwaway PostgreSQL database and Redis:

* Track URL redirects;
* postbacks: originals (a third pending), 20 % exact duplicates of earlier ones, and status
  changes (pending to approved). Like a network, a client whose postback got a 5xx or no
  answer sends it again a second later;
* deliveries of every conversion to a receiver on loopback that fails 10 % of requests
  (503) and stalls 2 % past the postback's 3 s timeout.

``SOAK_RATE`` (default 40) sets the requests per second of all clients together.

Meanwhile the script restarts PostgreSQL once and Redis once, and SIGKILLs a worker twice
(each is started again a few seconds later). Once the load stops, it waits for every
delivery to settle and reports: requests sent, 2xx answered, conversions stored, 5xx by
cause, deliveries due against delivered, anything lost or doubled.

Needs this machine's PostgreSQL (``pg_ctlcluster``) and Redis (``redis-server``): it
restarts them, so run it where nothing else depends on them.
"""

from __future__ import annotations

import http.server
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from bench.server import REPO, BenchError, Gunicorn, free_port
from bench.stacks import ScratchRedis, ThrowawayDatabase, base_env

ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
CLIENTS = 8
#: Requests a second from all clients together (``SOAK_RATE``): a busy but sustainable
#: day, so what the report shows is resilience, not a backlog.
RATE = float(os.environ.get("SOAK_RATE", "40"))
#: After the database comes back, pooled connections it dropped answer 503 once each.
OUTAGE_GRACE = 10.0
SETTLE_SECONDS = 600.0
#: The outbound postback's timeout; stalled requests outlast it.
TIMEOUT = 3.0


class Receiver(http.server.ThreadingHTTPServer):
    """Takes deliveries; fails some, stalls some, and notices one sent twice at once."""

    daemon_threads = True
    request_queue_size = 256

    def __init__(self, seed: int = 11) -> None:
        self.rng = random.Random(seed)
        self.delivered: Counter[tuple[str, str]] = Counter()
        self.in_flight: Counter[tuple[str, str]] = Counter()
        self.overlaps = 0
        self.failed = 0
        self.stalled = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                key = (query["id"][0], query["s"][0])
                with receiver.lock:
                    receiver.in_flight[key] += 1
                    receiver.overlaps += receiver.in_flight[key] > 1
                    roll = receiver.rng.random()
                try:
                    if roll < 0.02:
                        # The hub gives up after its 3 s timeout; from then on this
                        # request is no longer one of its sends in flight.
                        time.sleep(TIMEOUT)
                        with receiver.lock:
                            receiver.stalled += 1
                            receiver.in_flight[key] -= 1
                        key = ("abandoned", "")
                        with receiver.lock:
                            receiver.in_flight[key] += 1
                        time.sleep(1.0)
                    if roll < 0.12:
                        with receiver.lock:
                            receiver.failed += roll >= 0.02
                        self._answer(503)
                        return
                    with receiver.lock:
                        receiver.delivered[key] += 1
                    self._answer(200)
                finally:
                    with receiver.lock:
                        receiver.in_flight[key] -= 1

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                """Quiet."""

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        """A hub that gave up on a stalled request closed it: nothing to report."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


@dataclass
class Tally:
    sent: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    #: (monotonic time, error code) of every 5xx or failed request.
    failures: list[tuple[float, str]] = field(default_factory=list)
    accepted: dict[str, int] = field(default_factory=dict)  # transaction id -> conversion
    duplicates_answered: int = 0
    changes_answered: int = 0
    redirects: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Chaos:
    """The disruptions, each logged with its start and end."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.events: list[tuple[float, float, str]] = []
        self.workers = [self._worker(n) for n in (1, 2)]

    def _worker(self, n: int) -> subprocess.Popen[bytes]:
        with (self.logs / f"worker-{n}.log").open("ab") as log:
            return subprocess.Popen(
                [sys.executable, "worker.py"],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill_worker(self, n: int) -> None:
        started = time.monotonic()
        os.killpg(self.workers[n - 1].pid, signal.SIGKILL)
        self.workers[n - 1].wait(10)
        time.sleep(3)
        self.workers[n - 1] = self._worker(n)
        self.events.append((started, time.monotonic(), f"SIGKILL worker {n}, started again"))

    def restart_postgres(self) -> None:
        cluster = sorted(os.listdir("/etc/postgresql"))[-1]
        started = time.monotonic()
        subprocess.run(
            [
                "pg_ctlcluster",
                "--skip-systemctl-redirect",
                cluster,
                "main",
                "restart",
                "-m",
                "fast",
            ],
            check=True,
            capture_output=True,
        )
        self.events.append((started, time.monotonic(), "restart PostgreSQL"))

    def restart_redis(self) -> None:
        started = time.monotonic()
        subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], capture_output=True)
        time.sleep(1)
        subprocess.run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "--port",
                "6379",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=True,
            capture_output=True,
        )
        self.events.append((started, time.monotonic(), "restart Redis"))

    def stop(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)


def load(base: str, paths: dict[str, str], deadline: float, tally: Tally, n: int) -> None:
    """One client: redirects and postbacks until the deadline, retrying 5xx like a network."""
    rng = random.Random(n)
    http = requests.Session()
    pending: list[dict[str, str]] = []
    approved: list[dict[str, str]] = []
    counter = 0
    pace = CLIENTS / RATE
    due = time.monotonic()
    while time.monotonic() < deadline:
        due += pace
        time.sleep(max(0.0, due - time.monotonic()))
        roll = rng.random()
        if roll < 0.35:
            kind, path, params = "redirect", paths["track"], {}
        elif roll < 0.35 + 0.65 * 0.2 and approved:
            kind, path, params = "duplicate", paths["postback"], dict(rng.choice(approved))
        elif roll < 0.35 + 0.65 * 0.3 and pending:
            original = pending.pop(rng.randrange(len(pending)))
            kind, path, params = (
                "status change",
                paths["postback"],
                {**original, "status": "approved"},
            )
        else:
            counter += 1
            kind, path = "original", paths["postback"]
            params = {
                "transaction_id": f"c{n}-{counter}",
                "event": rng.choice(("reg", "dep")),
                "payout": f"{rng.randint(1, 200)}.{rng.randint(0, 99):02d}",
                "currency": rng.choice(("USD", "EUR")),
                "status": "pending" if rng.random() < 0.33 else "approved",
            }
        answer = send(http, base + path, params, kind, tally, deadline + 120)
        if answer is None:
            continue
        if kind == "redirect":
            continue
        body = answer
        with tally.lock:
            if body["status"] == "accepted":
                tally.accepted[params["transaction_id"]] = body["conversion_id"]
            elif body["status"] == "duplicate":
                tally.duplicates_answered += 1
            elif body["status"] == "status_changed":
                tally.changes_answered += 1
        if kind == "original":
            (pending if params["status"] == "pending" else approved).append(params)
        elif kind == "status change":
            approved.append({**params})


def send(http, url, params, kind, tally: Tally, give_up: float):  # type: ignore[no-untyped-def]
    with tally.lock:
        tally.sent[kind] += 1
    while True:
        try:
            answer = http.get(url, params=params, timeout=30, allow_redirects=False)
        except requests.RequestException as exc:
            code = f"no answer ({type(exc).__name__})"
        else:
            with tally.lock:
                tally.answers[str(answer.status_code)] += 1
            if answer.status_code < 500:
                if kind == "redirect":
                    with tally.lock:
                        tally.redirects += answer.status_code == 302
                    return {}
                return answer.json() if answer.status_code == 200 else None
            try:
                code = answer.json()["error"]["code"]
            except ValueError:
                code = f"HTTP {answer.status_code}"
        with tally.lock:
            tally.failures.append((time.monotonic(), code))
        if kind == "redirect" or time.monotonic() > give_up:
            return None
        time.sleep(1.0)


def listed(counts: Counter[str]) -> str:
    return ", ".join(f"{key}: {value:,}" for key, value in sorted(counts.items()))


def main() -> int:
    seconds = float(os.environ.get("SOAK_SECONDS", "600"))
    database = ThrowawayDatabase(ADMIN_URL)
    scratch = ScratchRedis(REDIS_URL)
    receiver = Receiver()
    port = free_port()
    logs = Path(tempfile.mkdtemp(prefix="pbhub-soak-"))
    chaos = web = None
    try:
        url = database.create()
        env = {
            **base_env(os.environ, port),
            "DATABASE_URL": url,
            "REDIS_URL": REDIS_URL,
            "PBHUB_OUTBOUND_ALLOWED_HOSTS": "127.0.0.0/8",
            "WEB_CONCURRENCY": "2",
            "PBHUB_THREADS": "4",
        }
        paths = setup(env, receiver.url)
        web = Gunicorn("wsgi:app", env, port, logs / "web.log")
        web.start("/healthz")
        chaos = Chaos(env, logs)
        tally = Tally()
        started = time.monotonic()
        deadline = started + seconds
        clients = [
            threading.Thread(
                target=load, args=(f"http://127.0.0.1:{port}", paths, deadline, tally, n)
            )
            for n in range(CLIENTS)
        ]
        for client in clients:
            client.start()
        plan = [
            (0.15, lambda: chaos.kill_worker(1)),
            (0.30, chaos.restart_postgres),
            (0.50, chaos.restart_redis),
            (0.70, lambda: chaos.kill_worker(2)),
        ]
        for share, act in plan:
            time.sleep(max(0.0, started + share * seconds - time.monotonic()))
            act()
            print(f"{time.monotonic() - started:6.1f} s  {chaos.events[-1][2]}", flush=True)
        for client in clients:
            client.join()
        print(f"{time.monotonic() - started:6.1f} s  load stopped; settling", flush=True)
        web.stop()
        settled = settle(env, tally, receiver)
        print(report(env, tally, receiver, chaos, started, seconds, settled))
        return 0
    finally:
        if chaos:
            chaos.stop()
        if web:
            web.stop()
        receiver.shutdown()
        scratch.close()
        database.close()


def setup(env: dict[str, str], target: str) -> dict[str, str]:
    os.environ.update(env)
    from app import create_app
    from app.runtime import keyring
    from app.services import outbound, sources
    from bench.stacks import pbhub

    pbhub(["db", "upgrade"], env)
    app = create_app()
    with app.app_context():
        _, urls = sources.create_source(
            {
                "name": "soak",
                "offer_url": "https://offer.example/lp",
                "event_map": {"reg": "registration", "dep": "ftd"},
                "field_map": {"status": "status", "payout_currency": "currency"},
                "status_map": {"pending": "pending", "approved": "approved"},
            },
            keyring(),
            env["PBHUB_BASE_URL"],
        )
        outbound.create_outbound(
            {
                "name": "receiver",
                "url_template": target + "?id={conversion_id}&s={status}",
                "status_map": {"pending": "pending", "approved": "approved"},
                "timeout_seconds": TIMEOUT,
                "schedule": [2, 5, 10, 20, 40, 60, 120],
            },
            keyring(),
        )
        return {
            "postback": urlsplit(urls.postback_url).path,
            "track": urlsplit(urls.track_url).path,
        }


def _counts(env: dict[str, str]):  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Conversion, Delivery

    db.session.expire_all()
    states = Counter(
        dict(
            db.session.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all()
        )
    )
    unplanned = db.session.scalar(select(func.count()).where(Conversion.dispatch_pending))
    return states, unplanned


def settle(env: dict[str, str], tally: Tally, receiver: Receiver) -> float:
    """Wait for every delivery to end (delivered or dead) and every conversion planned."""
    from app import create_app

    app = create_app()
    started = time.monotonic()
    with app.app_context():
        while time.monotonic() - started < SETTLE_SECONDS:
            states, unplanned = _counts(env)
            if not unplanned and set(states) <= {"delivered", "dead", "failed"}:
                break
            time.sleep(2)
    return time.monotonic() - started


def report(
    env,
    tally: Tally,
    receiver: Receiver,
    chaos: Chaos,
    started: float,
    seconds: float,
    settled: float,
) -> str:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from app import create_app
    from app.extensions import db
    from app.models import Click, Conversion, Delivery

    app = create_app()
    with app.app_context():
        rows = db.session.execute(
            select(
                Conversion.id, Conversion.transaction_id, Conversion.status, Conversion.revision
            ).where(Conversion.attribution != "duplicate")
        ).all()
        duplicates_stored = db.session.scalar(
            select(func.count()).where(Conversion.attribution == "duplicate")
        )
        clicks = db.session.scalar(select(func.count()).select_from(Click))
        states, unplanned = _counts(env)
        delivered_keys = {
            (str(cid), status)
            for cid, status in db.session.execute(
                select(Delivery.conversion_id, Conversion.status)
                .join(Conversion, Conversion.id == Delivery.conversion_id)
                .where(Delivery.state == "delivered")
            ).all()
        }
    per_transaction = Counter(row.transaction_id for row in rows)
    stored = {row.transaction_id: row.id for row in rows}
    lost = [tx for tx, cid in tally.accepted.items() if stored.get(tx) != cid]
    doubled = [tx for tx, count in per_transaction.items() if count > 1]
    due = {(str(row.id), row.status) for row in rows}
    arrived = due & set(receiver.delivered)
    twice = sum(1 for key in due if receiver.delivered[key] > 1)
    outages = [(a, b + OUTAGE_GRACE) for a, b, what in chaos.events if "PostgreSQL" in what]
    by_cause: Counter[str] = Counter()
    for moment, code in tally.failures:
        during = any(a <= moment <= b for a, b in outages)
        by_cause[
            f"{code} ({'while PostgreSQL restarted' if during else 'outside any database outage'})"
        ] += 1
    changed = sum(1 for row in rows if row.revision > 0 and row.status == "approved")
    outside = any("outside" in cause for cause in by_cause)
    met = not lost and not doubled and not outside and due <= arrived
    lines = [
        "# Chaos soak",
        "",
        f"{seconds:.0f} s of load at {RATE:g} requests/s from {CLIENTS} clients; "
        f"settled {settled:.0f} s after.",
        "",
        "## Timeline",
        "",
        *(f"- {a - started:6.1f} s to {b - started:6.1f} s: {what}" for a, b, what in chaos.events),
        "",
        "## Requests",
        "",
        f"- sent: {sum(tally.sent.values()):,} ({listed(tally.sent)})",
        f"- answers: {listed(tally.answers)}",
        f"- 2xx answered: {sum(v for k, v in tally.answers.items() if k.startswith('2')):,}; "
        f"redirects 302: {tally.redirects:,}",
        "- 5xx and unanswered, by cause (each retried a second later):",
        *(f"  - {cause}: {count:,}" for cause, count in sorted(by_cause.items())),
        *([] if by_cause else ["  - none"]),
        "",
        "## Stored",
        "",
        f"- conversions accepted (200 `accepted`): {len(tally.accepted):,}; stored: {len(rows):,}",
        f"- lost (accepted, not stored as answered): {len(lost)}",
        f"- doubled (one transaction stored twice): {len(doubled)}",
        f"- duplicates answered: {tally.duplicates_answered:,}; "
        f"stored as duplicates: {duplicates_stored:,}",
        f"- status changes answered: {tally.changes_answered:,}; "
        f"conversions approved after a change: {changed:,}",
        f"- clicks redirected: {tally.redirects:,}; clicks stored: {clicks:,}",
        "",
        "## Deliveries",
        "",
        f"- due (each conversion at its final status): {len(due):,}; received: {len(arrived):,}; "
        f"missing: {len(due - arrived):,}",
        f"- delivery rows by state: {dict(states)}; conversions never planned: {unplanned}",
        f"- sent twice at the same time: {receiver.overlaps}; "
        f"received twice after a retry: {twice}",
        f"- receiver failures: {receiver.failed:,} answered 503, "
        f"{receiver.stalled:,} stalled past the timeout",
        f"- final status delivered per database: {len(due & delivered_keys):,}",
        "",
        "Target: 0 lost, 0 doubled, 5xx only while the database was down.",
        f"Verdict: {'met' if met else 'NOT met'}.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"soak: {exc}", file=sys.stderr)
        sys.exit(1)
