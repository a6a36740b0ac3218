"""Deliveries through real RQ workers: ``python -m bench.deliveries`` (part of ``make bench``).

Two worker processes (``worker.py``) against a throwaway PostgreSQL database and Redis,
delivering to a receiver on loopback (a process of its own). Conversions are stored
through the same pipeline as ``/pb`` (group commit, follow-up jobs batched into RQ) by
a producer in this process.

* **throughput**: ``BENCH_DELIVERIES`` conversions (default 3,000) stored and queued
  first, then the workers start: deliveries per second from their start to the last
  delivery (worker start-up included).
* **delay**: conversions at ``BENCH_DELIVERY_RATE`` a second (default 300) for
  ``BENCH_SECONDS`` (default 10); p50/p99 from a conversion's commit to the moment its
  first attempt reached the receiver.
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
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bench import stacks
from bench.server import REPO, BenchError, free_port

WORKERS = 2


def receive(port: int, out: str, stop: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    """The receiver process: answer 200 and note each delivery's delay since commit."""
    delays: list[float] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            sent = parse_qs(urlsplit(self.path).query).get("t", [""])[0]
            arrived = datetime.now(UTC)
            with lock:
                delays.append((arrived - datetime.fromisoformat(sent)).total_seconds() * 1000)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            """Quiet: thousands of lines a second would cost more than the answers."""

    class Server(ThreadingHTTPServer):
        # socketserver's default backlog is 5: connections past it lose their SYN and
        # come back a second later, which would measure the receiver, not the hub.
        request_queue_size = 256
        daemon_threads = True

    server = Server(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    while not stop.wait(0.2):
        with lock:
            Path(out).write_text(json.dumps(delays))
    with lock:
        Path(out).write_text(json.dumps(delays))


def delivered(out: str) -> list[float]:
    try:
        return json.loads(Path(out).read_text() or "[]")
    except (OSError, ValueError):
        return []


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


def main() -> int:
    total = int(os.environ.get("BENCH_DELIVERIES") or 3000)
    rate = float(os.environ.get("BENCH_DELIVERY_RATE") or 300)
    seconds = float(os.environ.get("BENCH_SECONDS") or 10)
    admin = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    database = stacks.ThrowawayDatabase(admin)
    scratch = stacks.ScratchRedis(redis_url)
    workers: list[subprocess.Popen[bytes]] = []
    stop = multiprocessing.Event()
    handle, out = tempfile.mkstemp(suffix=".json")
    os.close(handle)
    port = free_port()
    receiver = multiprocessing.Process(target=receive, args=(port, out, stop), daemon=True)
    try:
        env = {
            **stacks.base_env(dict(os.environ), port),
            "DATABASE_URL": database.create(),
            "REDIS_URL": redis_url,
            "PBHUB_OUTBOUND_ALLOWED_HOSTS": "127.0.0.0/8",
            "PBHUB_LOG_LEVEL": "WARNING",
        }
        stacks.pbhub(["db", "upgrade"], env)
        os.environ.update(env)
        receiver.start()
        from app import create_app

        app = create_app()
        target = f"http://127.0.0.1:{port}/in?c={{conversion_id}}&t={{received_at}}"
        with app.app_context():
            source = _setup(app, target)
        produce = _producer(app, source)
        print(f"throughput: {total} conversions queued, then {WORKERS} workers", file=sys.stderr)
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(produce, range(total)))
        from app.queue import get_queue

        get_queue(app).join()
        started = time.perf_counter()
        for _ in range(WORKERS):
            workers.append(
                subprocess.Popen(
                    [sys.executable, "worker.py"], cwd=REPO, env=env, start_new_session=True
                )
            )
        while len(delivered(out)) < total and time.perf_counter() - started < 300:
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        done = len(delivered(out))
        print(f"delay: {rate:g} conversions/s for {seconds:g} s", file=sys.stderr)
        before = done
        paced = int(rate * seconds)
        began = time.perf_counter()
        for n in range(paced):
            due = began + n / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            produce(total + n)
        deadline = time.perf_counter() + 60
        while len(delivered(out)) < before + paced and time.perf_counter() < deadline:
            time.sleep(0.2)
        delays = delivered(out)[before:]
        lines = [
            f"| deliveries | workers | drained in s | deliveries/s | delay p50 ms at {rate:g}/s "
            "| delay p99 ms |",
            "|---:|---:|---:|---:|---:|---:|",
            f"| {done:,} of {total:,} | {WORKERS} | {elapsed:.1f} | {done / elapsed:,.0f} "
            f"| {percentile(delays, 0.5):,.0f} | {percentile(delays, 0.99):,.0f} |",
        ]
        print("\n".join(lines))
        return 0 if done == total and len(delays) == paced else 1
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    finally:
        for worker in workers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        stop.set()
        receiver.join(5)
        scratch.close()
        database.close()
        Path(out).unlink(missing_ok=True)


def _setup(app, target: str):  # type: ignore[no-untyped-def]
    from app.ingest.sources_cache import SourceSnapshot
    from app.runtime import keyring
    from app.services import outbound, sources

    source, _ = sources.create_source({"name": "bench"}, keyring(), "http://bench")
    outbound.create_outbound({"name": "receiver", "url_template": target}, keyring())
    return SourceSnapshot.of(source)


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
