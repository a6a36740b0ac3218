"""Deliveries through real RQ workers, beside a receiver that never answers:
``python -m bench.deliveries`` (part of ``make bench``).

Two worker processes (``worker.py``) against a throwaway PostgreSQL database and Redis.
Four receivers on loopback, each a process of its own: three healthy ones answering in
5 ms, and a stalled one that never answers within its postback's 5 s timeout. Every
conversion is owed to each receiver. Conversions are stored through the same pipeline as
``/pb`` (group commit, follow-up jobs batched into RQ) by a producer in this process.

In one run:

* **throughput**, without and then with the stalled receiver: ``BENCH_DELIVERIES``
  conversions (default 1,500) stored and queued first, then the workers start;
  deliveries a second to the healthy receivers, from the moment both workers listen on
  the queue to the last delivery.
* **delay**, stalled receiver present: conversions paced at half the rate the healthy
  receivers took without it, for ``BENCH_SECONDS`` (default 10); p50/p99 from a
  conversion's commit to its first attempt's arrival at a healthy receiver.
* **a SIGKILL**: the same pace, one worker killed halfway and started again; every
  delivery due is counted at the receivers, and one received twice is shown with the
  time between the two (at least the lease: never twice at the same time).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bench import stacks
from bench.server import REPO, BenchError, free_port

WORKERS = 2
HEALTHY = 3
ANSWER_SECONDS = 0.005
STALLED_TIMEOUT = 5.0
HEALTHY_TIMEOUT = 2.0


def receive(port: int, out: str, stall: bool, stop: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    """A receiver process: note each delivery (conversion id, arrival, delay since the
    conversion's commit), then answer 200 after 5 ms, or hang past the timeout."""
    arrivals: list[tuple[str, float, float]] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in two writes: without this, Nagle's algorithm holds
        # the body for the client's delayed ACK (40 ms on Linux), and the bench would
        # measure that.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            arrived = datetime.now(UTC)
            committed = datetime.fromisoformat(query.get("t", [""])[0])
            with lock:
                arrivals.append(
                    (
                        query.get("c", [""])[0],
                        time.time(),
                        (arrived - committed).total_seconds() * 1000,
                    )
                )
            time.sleep(60 if stall else ANSWER_SECONDS)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            """Quiet: thousands of lines a second would cost more than the answers."""

    class Server(ThreadingHTTPServer):
        # socketserver's default backlog is 5: connections past it lose their SYN and
        # come back a second later, which would measure the receiver, not the hub.
        request_queue_size = 512
        daemon_threads = True

        def handle_error(self, request: object, client_address: object) -> None:
            """Quiet: the stalled receiver answers long after its client hung up."""

    server = Server(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # Only what arrived since the last write is appended: rewriting the whole history
    # five times a second would take a growing share of the CPU the hub is measured on.
    written = 0
    with open(out, "a") as notes:
        while True:
            stopping = stop.wait(0.2)
            with lock:
                fresh, written = arrivals[written:], len(arrivals)
            notes.write("".join(json.dumps(row) + "\n" for row in fresh))
            notes.flush()
            if stopping:
                return


class Receivers:
    """The four receiver processes and what each has noted."""

    def __init__(self) -> None:
        self.stop = multiprocessing.Event()
        self.healthy = [self._start(stall=False) for _ in range(HEALTHY)]
        self.stalled = self._start(stall=True)
        self._read: dict[str, int] = {}
        self._seen: list[tuple[str, float, float]] = []

    def _start(self, stall: bool) -> tuple[int, str, multiprocessing.Process]:
        handle, out = tempfile.mkstemp(suffix=".json")
        os.close(handle)
        port = free_port()
        process = multiprocessing.Process(
            target=receive, args=(port, out, stall, self.stop), daemon=True
        )
        process.start()
        return port, out, process

    def arrivals(self) -> list[tuple[str, float, float]]:
        """Every arrival at a healthy receiver, as (receiver:conversion, time, delay).
        Each file is read on from where the last call stopped: the bench polls this
        while the hub works, and must not take its CPU."""
        for index, (_, out, _) in enumerate(self.healthy):
            with open(out, "rb") as notes:
                notes.seek(self._read.get(out, 0))
                data = notes.read()
            # A line still being written is left for the next call.
            complete = data[: data.rfind(b"\n") + 1]
            self._read[out] = self._read.get(out, 0) + len(complete)
            self._seen.extend(
                (f"{index}:{c}", at, delay)
                for c, at, delay in map(json.loads, complete.splitlines())
            )
        return list(self._seen)

    def close(self) -> None:
        self.stop.set()
        for _, out, process in [*self.healthy, self.stalled]:
            process.join(5)
            Path(out).unlink(missing_ok=True)


class Workers:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.running: list[subprocess.Popen[bytes]] = []
        #: What the workers print (RQ logs every job): kept apart from the figures.
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in ``close``)
            prefix="pbhub-bench-workers-", suffix=".log", delete=False
        )

    def close(self) -> None:
        self.stop()
        self.log.close()
        print(f"(worker output: {self.log.name})", file=sys.stderr)

    def start(self, count: int = WORKERS, wait: bool = True) -> None:
        """Start workers and, with ``wait``, return once each listens on the queue
        (start-up is not what the bench measures)."""
        from redis import Redis
        from rq import Worker

        connection = Redis.from_url(self.env["REDIS_URL"])
        ready = Worker.count(connection=connection) + count
        for _ in range(count):
            self.running.append(
                subprocess.Popen(
                    [sys.executable, "worker.py"],
                    cwd=REPO,
                    env=self.env,
                    stdout=self.log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        limit = time.monotonic() + (60 if wait else 0)
        while Worker.count(connection=connection) < ready and time.monotonic() < limit:
            time.sleep(0.05)

    def kill_one(self) -> None:
        """SIGKILL a worker; RQ forgets it once its registration lapses, so the count of
        live workers is taken from the ones left."""
        os.killpg(self.running.pop(0).pid, signal.SIGKILL)

    def stop(self) -> None:
        for worker in self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGTERM)
        for worker in self.running:
            try:
                worker.wait(40)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        self.running = []


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


def wait_for(receivers: Receivers, count: int, limit: float) -> float:
    """Seconds until the healthy receivers noted ``count`` arrivals (or the limit)."""
    started = time.perf_counter()
    while len({key for key, _, _ in receivers.arrivals()}) < count:
        if time.perf_counter() - started > limit:
            break
        time.sleep(0.05)
    return time.perf_counter() - started


def main() -> int:
    total = int(os.environ.get("BENCH_DELIVERIES") or 1500)
    seconds = float(os.environ.get("BENCH_SECONDS") or 10)
    admin = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    database = stacks.ThrowawayDatabase(admin)
    scratch = stacks.ScratchRedis(redis_url)
    receivers = Receivers()
    workers: Workers | None = None
    try:
        env = {
            **stacks.base_env(dict(os.environ), free_port()),
            "DATABASE_URL": database.create(),
            "REDIS_URL": redis_url,
            "PBHUB_OUTBOUND_ALLOWED_HOSTS": "127.0.0.0/8",
            "PBHUB_LOG_LEVEL": "WARNING",
        }
        stacks.pbhub(["db", "upgrade"], env)
        os.environ.update(env)
        from sqlalchemy import text

        from app import create_app
        from app.extensions import db
        from app.queue import get_queue

        app = create_app()
        workers = Workers(env)
        with app.app_context():
            source = _setup(receivers)
        produce = _producer(app, source)
        counter = iter(range(10**9))

        def backlog(n: int) -> None:
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(produce, [next(counter) for _ in range(n)]))
            get_queue(app).join()
            # A database in use has planner statistics; a fresh one has none until
            # autovacuum catches up, and would measure that instead.
            with app.app_context():
                db.session.execute(text("ANALYZE"))
                db.session.commit()

        def throughput() -> tuple[float, float]:
            due = len({key for key, _, _ in receivers.arrivals()}) + HEALTHY * total
            backlog(total)
            workers.start()
            elapsed = wait_for(receivers, due, 300)
            workers.stop()
            return elapsed, HEALTHY * total / elapsed

        def paced(rate: float, kill_at: float | None = None) -> tuple[list[float], int, float]:
            before = {key for key, _, _ in receivers.arrivals()}
            count = int(rate * seconds)
            workers.start()
            began = time.perf_counter()
            for n in range(count):
                due = began + n / rate
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                if kill_at is not None and n == int(count * kill_at):
                    workers.kill_one()
                    workers.start(1, wait=False)
                produce(next(counter))
            get_queue(app).join()
            wait_for(receivers, len(before) + HEALTHY * count, 120)
            workers.stop()
            fresh = [row for row in receivers.arrivals() if row[0] not in before]
            delays = [delay for _, _, delay in fresh]
            return delays, HEALTHY * count, time.perf_counter() - began

        print(f"throughput without the stalled receiver: {total} conversions", file=sys.stderr)
        alone_s, alone_rate = throughput()
        with app.app_context():
            _add_stalled(receivers)
        print("throughput with the stalled receiver", file=sys.stderr)
        beside_s, beside_rate = throughput()
        rate = alone_rate / 2 / HEALTHY
        print(f"delay: {rate:.0f} conversions/s for {seconds:g} s", file=sys.stderr)
        delays, _, _ = paced(rate)
        print("a worker killed halfway through the same pace", file=sys.stderr)
        before_kill = Counter(key for key, _, _ in receivers.arrivals())
        _, due, took = paced(rate, kill_at=0.5)
        after = receivers.arrivals()
        seen = Counter(key for key, _, _ in after)
        fresh = {key: n - before_kill.get(key, 0) for key, n in seen.items()}
        received = sum(1 for n in fresh.values() if n > 0)
        twice = [key for key, n in fresh.items() if n > 1]
        times: dict[str, list[float]] = {}
        for key, at, _ in after:
            if key in twice:
                times.setdefault(key, []).append(at)
        gaps = [max(ts) - min(ts) for ts in times.values()]
        lines = [
            "| healthy deliveries | stalled receiver | drained in s | deliveries/s | share |",
            "|---:|---|---:|---:|---:|",
            f"| {HEALTHY * total:,} | absent | {alone_s:.1f} | {alone_rate:,.0f} | 100 % |",
            f"| {HEALTHY * total:,} | present | {beside_s:.1f} | {beside_rate:,.0f} "
            f"| {100 * beside_rate / alone_rate:.0f} % |",
            "",
            "| pace (healthy deliveries/s) | first attempt p50 ms | p99 ms |",
            "|---:|---:|---:|",
            f"| {rate * HEALTHY:,.0f} | {percentile(delays, 0.5):,.0f} "
            f"| {percentile(delays, 0.99):,.0f} |",
            "",
            "| SIGKILL mid-run | due | received | lost | received twice | least time between |",
            "|---|---:|---:|---:|---:|---:|",
            f"| one of {WORKERS} workers | {due:,} | {received:,} | {due - received:,} "
            f"| {len(twice):,} | {min(gaps) if gaps else 0:.1f} s |",
        ]
        print("\n".join(lines))
        print(f"(the SIGKILL run took {took:.0f} s)", file=sys.stderr)
        return 0 if received == due else 1
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    finally:
        if workers is not None:
            workers.close()
        receivers.close()
        scratch.close()
        database.close()


def _target(port: int) -> str:
    return f"http://127.0.0.1:{port}/in?c={{conversion_id}}&t={{received_at}}"


def _setup(receivers: Receivers):  # type: ignore[no-untyped-def]
    from app.ingest.sources_cache import SourceSnapshot
    from app.runtime import keyring
    from app.services import outbound, sources

    source, _ = sources.create_source({"name": "bench"}, keyring(), "http://bench")
    for index, (port, _, _) in enumerate(receivers.healthy):
        outbound.create_outbound(
            {
                "name": f"healthy {index + 1}",
                "url_template": _target(port),
                "timeout_seconds": HEALTHY_TIMEOUT,
            },
            keyring(),
        )
    return SourceSnapshot.of(source)


def _add_stalled(receivers: Receivers) -> None:
    from app.runtime import keyring
    from app.services import outbound

    port = receivers.stalled[0]
    outbound.create_outbound(
        {"name": "stalled", "url_template": _target(port), "timeout_seconds": STALLED_TIMEOUT},
        keyring(),
    )


def _producer(app, source):  # type: ignore[no-untyped-def]
    from app.ingest.pipeline import record_postback
    from app.queue import enqueue_follow_ups
    from app.runtime import keyring

    def produce(n: int) -> None:
        with app.app_context():
            outcome = record_postback(
                source,
                {"event": "dep", "transaction_id": f"bench-{n}", "payout": "1.5"},
                notes=[],
                raw_request={"method": "GET", "query": {}},
                path_event=None,
                token_key=keyring().click_token,
            )
            enqueue_follow_ups([(outcome.conversion_id, outcome.status)])

    return produce


if __name__ == "__main__":
    sys.exit(main())
