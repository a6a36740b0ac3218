"""Stats and the conversions table at scale: ``python -m bench.stats_scale`` (``make
bench-scale``).

Seeds a throwaway database with ``pbhub dev seed`` (PostgreSQL: 10 M clicks and 1 M
conversions; the embedded SQLite default: 1 M and 100 k), or reads an existing one given
as ``BENCH_DATABASE_URL``, then measures, in process and through the Flask app:

* ``GET /api/v1/stats`` (also by country) and the dashboard's live card (with its top
  countries) for every window, with and without a source filter: p50/p95/p99 over
  ``BENCH_REPEAT`` requests (default 40);
* ``GET /api/v1/conversions`` for every combination of filters (attribution, event,
  status, source, a time range) on its first page and on the page after: the slowest
  median, and how many combinations were over 50 ms.

``BENCH_BACKEND=pg|embedded|both`` (default both); ``BENCH_CLICKS``/``BENCH_CONVERSIONS``
override the sizes.
"""

from __future__ import annotations

import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.load import percentile
from bench.server import REPO, venv_script
from bench.stacks import SECRET_KEY, ThrowawayDatabase

TARGETS_MS = {"pg": 100.0, "embedded": 300.0}
TABLE_TARGET_MS = 50.0
SIZES = {"pg": (10_000_000, 1_000_000), "embedded": (1_000_000, 100_000)}
WINDOWS = ("15m", "1h", "24h", "7d")


def seed(url: str, clicks: int, conversions: int) -> float:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "REDIS_URL": ""}
    pbhub = venv_script("pbhub")
    subprocess.run([pbhub, "db", "upgrade"], env=env, cwd=REPO, check=True, capture_output=True)
    started = time.monotonic()
    subprocess.run(
        [pbhub, "dev", "seed", "--clicks", str(clicks), "--conversions", str(conversions)],
        env=env,
        cwd=REPO,
        check=True,
    )
    seconds = time.monotonic() - started
    analyze(url)
    return seconds


def analyze(url: str) -> None:
    """Planner statistics for the seeded tables, as autovacuum gathers them in production
    (a server with autovacuum off, or one not yet around to it, plans a 10 M row table
    blind and may scan it whole for a handful of ids)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()


def measure(url: str, label: str, repeat: int) -> list[str]:
    from app import create_app
    from app.extensions import db
    from app.services import users

    os.environ.update({"SECRET_KEY": SECRET_KEY, "REDIS_URL": ""})
    os.environ["DATABASE_URL"] = url
    app = create_app({"PBHUB_CLICK_RETENTION_DAYS": 0})
    lines = [f"## {label}", ""]
    with app.app_context():
        from sqlalchemy import func, select

        from app.models import Click, Conversion, Source

        clicks = db.session.scalar(select(func.count()).select_from(Click))
        conversions = db.session.scalar(select(func.count()).select_from(Conversion))
        source_ids = list(db.session.scalars(select(Source.id).order_by(Source.id)))
        email = f"bench-{time.time_ns()}@example.com"
        user = users.create_user(email, "bench-password-long-enough-1")
        token = users.create_token(user)
        identity = {
            "uid": user.id,
            "fp": users.fingerprint(user),
            "email": email,
            "role": user.role,
        }
        lines.append(f"{clicks:,} clicks, {conversions:,} conversions, {len(source_ids)} sources")
        lines.append("")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    card = app.test_client()
    with card.session_transaction() as session:
        session.update(identity)

    def timed(client, path, **kwargs) -> float:
        started = time.perf_counter()
        answer = client.get(path, **kwargs)
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status_code != 200:
            raise SystemExit(f"{path}: {answer.status_code} {answer.get_data(as_text=True)[:200]}")
        return elapsed

    target = TARGETS_MS["pg" if url.startswith("postgres") else "embedded"]
    lines += ["| what | window | source | p50 ms | p95 ms | p99 ms |", "|---|---|---|---|---|---|"]
    worst = 0.0
    for window, source_id in itertools.product(WINDOWS, (None, source_ids[0])):
        query = {"window": window, **({"source_id": source_id} if source_id else {})}
        by_country = {"headers": headers, "query_string": {**query, "group_by": "country"}}
        for name, who, path, extra in (
            ("API", client, "/api/v1/stats", {"headers": headers, "query_string": query}),
            ("API by country", client, "/api/v1/stats", by_country),
            ("live card", card, "/postbacks/live", {"query_string": query}),
        ):
            if name == "live card" and source_id:
                continue
            timed(who, path, **extra)
            samples = sorted(timed(who, path, **extra) for _ in range(repeat))
            p95 = percentile(samples, 0.95)
            worst = max(worst, p95)
            lines.append(
                f"| {name} | {window} | {source_id or 'all'} | {statistics.median(samples):.1f} "
                f"| {p95:.1f} | {percentile(samples, 0.99):.1f} |"
            )
    lines += ["", f"Worst stats p95: {worst:.1f} ms (target {target:.0f} ms)", ""]
    lines += table(client, headers, source_ids, timed)
    return lines


def table(client, headers, source_ids, timed) -> list[str]:
    now = datetime.now(UTC)
    ranges = (
        None,
        (now - timedelta(days=3), now),
        (now - timedelta(days=20), now - timedelta(days=19)),
    )
    combos = itertools.product(
        (None, "matched", "unmatched", "expired", "duplicate"),
        (None, "ftd", "ngr", "unknown"),
        (None, "approved", "pending", "rejected"),
        (None, source_ids[0], source_ids[-1]),
        ranges,
    )
    results = []
    for attribution, event, status, source_id, span in combos:
        query = {
            k: v
            for k, v in {
                "attribution": attribution,
                "event_type": event,
                "status": status,
                "source_id": source_id,
                "since": span[0].isoformat() if span else None,
                "until": span[1].isoformat() if span else None,
            }.items()
            if v is not None
        }
        first = client.get("/api/v1/conversions", query_string=query, headers=headers).get_json()
        pages = [query]
        if first.get("next"):
            pages.append({**query, "cursor": first["next"]})
        for page in pages:
            samples = [
                timed(client, "/api/v1/conversions", query_string=page, headers=headers)
                for _ in range(3)
            ]
            results.append((statistics.median(samples), page))
    results.sort(key=lambda r: r[0], reverse=True)
    over = [r for r in results if r[0] > TABLE_TARGET_MS]
    lines = [
        f"Conversions table: {len(results)} filter combinations and pages; slowest median "
        f"{results[0][0]:.1f} ms; {len(over)} over {TABLE_TARGET_MS:.0f} ms.",
        "",
        "Slowest five:",
        "",
    ]
    for elapsed, page in results[:5]:
        shown = {k: v for k, v in page.items() if k != "cursor"}
        lines.append(f"- {elapsed:.1f} ms: {shown}{' (page 2)' if 'cursor' in page else ''}")
    return [*lines, ""]


def main() -> int:
    repeat = int(os.environ.get("BENCH_REPEAT", "40"))
    given = os.environ.get("BENCH_DATABASE_URL")
    if given:
        print("\n".join(measure(given, given.rsplit("/", 1)[-1], repeat)))
        return 0
    backends = os.environ.get("BENCH_BACKEND", "both")
    report = ["# Stats and the conversions table at scale", ""]
    for backend in ("pg", "embedded"):
        if backends not in (backend, "both"):
            continue
        clicks, conversions = SIZES[backend]
        clicks = int(os.environ.get("BENCH_CLICKS", clicks))
        conversions = int(os.environ.get("BENCH_CONVERSIONS", conversions))
        if backend == "pg":
            admin = os.environ.get(
                "BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
            )
            database = ThrowawayDatabase(admin)
            try:
                url = database.create()
                seconds = seed(url, clicks, conversions)
                report += measure(url, f"PostgreSQL (seeded in {seconds:.0f} s)", repeat)
            finally:
                database.close()
        else:
            with tempfile.TemporaryDirectory() as folder:
                url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
                seconds = seed(url, clicks, conversions)
                report += measure(url, f"Embedded SQLite (seeded in {seconds:.0f} s)", repeat)
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
