"""Keitaro click import: ``python -m bench.keitaro_import`` (part of ``make bench``).

A tracker on loopback (a process of its own) serves ``clicks/log`` pages of
``BENCH_KEITARO_CLICKS`` clicks (default 100,000) the way Keitaro does (string numbers,
offset-less datetimes). The import runs as the scheduled job does, on a throwaway
PostgreSQL database and on the embedded SQLite default:

* **first import**: clicks per second, all pages read and upserted;
* **re-import** of the same window: what an overlap costs (it changes nothing);
* **attribution lookup**: p50/p99 of finding a click by its sub id, as a postback does;
* **memory**: the importing process's peak RSS.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench import stacks
from bench.server import BenchError, free_port

API_KEY = "bench-keitaro-key"


def serve(port: int, clicks: int, start_iso: str) -> None:
    """The tracker process: every click pre-rendered, pages cut by limit/offset."""
    start = datetime.fromisoformat(start_iso)
    rows = [
        {
            "sub_id": f"kt{n:08d}",
            "datetime": (start + timedelta(milliseconds=n * 50)).strftime("%Y-%m-%d %H:%M:%S"),
            "campaign_id": str(1 + n % 20),
            "offer_id": str(1 + n % 50),
            "ts_id": str(1 + n % 5),
            "affiliate_network_id": str(1 + n % 3),
            "country_code": ("DE", "FR", "BR", "IN")[n % 4],
            "external_id": f"ext{n}",
        }
        for n in range(clicks)
    ]

    class Handler(BaseHTTPRequestHandler):
        def _send(self, payload: object) -> None:
            body = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._send([])

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            query = json.loads(self.rfile.read(length) or b"{}")
            offset, limit = int(query.get("offset") or 0), int(query.get("limit") or 1000)
            self._send({"rows": rows[offset : offset + limit], "total": str(len(rows))})

        def log_message(self, *args: object) -> None:
            """Quiet."""

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def run(database_url: str, tracker: str, clicks: int) -> dict[str, float]:
    os.environ["DATABASE_URL"] = database_url
    stacks.pbhub(["db", "upgrade"], dict(os.environ))
    from app import create_app
    from app.ingest.pipeline import _imported_click_finder
    from app.models.types import utcnow
    from app.runtime import keitaro_settings, keyring
    from app.services import keitaro as connections
    from app.services import keitaro_sync as sync

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        row = connections.add_connection(
            {"name": "bench", "url": tracker, "api_key": API_KEY, "timezone": "UTC"},
            keyring(),
            keitaro_settings(),
        )
        client = connections.client_for(row, keyring(), keitaro_settings())
        window = sync.ImportWindow(utcnow() - timedelta(days=2), utcnow())
        began = time.perf_counter()
        first = sync.import_clicks(row, client, window)
        first_s = time.perf_counter() - began
        began = time.perf_counter()
        sync.import_clicks(row, client, window)
        again_s = time.perf_counter() - began
        find = _imported_click_finder(0)
        lookups = []
        for n in random.sample(range(clicks), 1000):
            began = time.perf_counter()
            assert find(f"kt{n:08d}") is not None
            lookups.append((time.perf_counter() - began) * 1000)
    return {
        "rows": first.rows,
        "first_s": first_s,
        "again_s": again_s,
        "p50": percentile(lookups, 0.5),
        "p99": percentile(lookups, 0.99),
    }


def main() -> int:
    clicks = int(os.environ.get("BENCH_KEITARO_CLICKS") or 100_000)
    admin = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    port = free_port()
    start = datetime.now(UTC) - timedelta(hours=30)
    tracker = multiprocessing.Process(
        target=serve, args=(port, clicks, start.replace(tzinfo=None).isoformat()), daemon=True
    )
    tracker.start()
    database = stacks.ThrowawayDatabase(admin)
    scratch = tempfile.mkdtemp(prefix="pbhub-bench-")
    os.environ.update(
        {
            "SECRET_KEY": stacks.SECRET_KEY,
            "PBHUB_OUTBOUND_ALLOWED_HOSTS": "127.0.0.0/8",
            "PBHUB_LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("REDIS_URL", None)
    url = f"http://127.0.0.1:{port}"
    _wait_for(port)
    lines = [
        "| store | clicks | first import s | clicks/s | re-import s | lookup p50 ms "
        "| lookup p99 ms | peak RSS MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    try:
        stores = (
            ("postgresql", database.create()),
            ("sqlite", f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"),
        )
        for label, database_url in stores:
            print(f"{label}: importing {clicks:,} clicks", file=sys.stderr)
            result = _in_child(database_url, url, clicks)
            lines.append(
                f"| {label} | {result['rows']:,} | {result['first_s']:.1f} "
                f"| {result['rows'] / result['first_s']:,.0f} | {result['again_s']:.1f} "
                f"| {result['p50']:.2f} | {result['p99']:.2f} | {result['rss_mib']:.0f} |"
            )
        print("\n".join(lines))
        return 0
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    finally:
        tracker.terminate()
        database.close()


def _in_child(database_url: str, tracker: str, clicks: int) -> dict[str, float]:
    """Each store in a fresh process, so its peak RSS is its own."""
    parent, child = multiprocessing.Pipe()

    def work() -> None:
        result = run(database_url, tracker, clicks)
        result["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child.send(result)

    process = multiprocessing.get_context("fork").Process(target=work)
    process.start()
    while not parent.poll(1.0):
        if not process.is_alive():
            raise BenchError(f"the import against {database_url.split(':')[0]} failed")
    result = parent.recv()
    process.join()
    return result


def _wait_for(port: int) -> None:
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise BenchError("the bench tracker did not start")


if __name__ == "__main__":
    sys.exit(main())
