"""What one batch of the postback writer costs: ``python -m bench.writer`` (``make bench-writer``).

On a throwaway PostgreSQL database and a scratch SQLite file, both migrated, it writes
``BENCH_WRITER_ROWS`` conversion rows (default 4,000) in batches of 1, 2, 8 and 32 rows,
through the writer's own statements (``app.ingest.writer_sql``) and through the same
INSERT built and run by SQLAlchemy Core, as the writer wrote it before. For each it
prints the CPU the writing thread used per row, the wall time per row and, on
PostgreSQL, the CPU of the server process that ran the statements. Every statement
commits on its own, as the writer's do, so a batch's fixed cost (round trip, commit,
the stats trigger) shows against its size.

``BENCH_PG_ADMIN_URL`` names a role allowed to create databases.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench import stacks
from bench.server import BenchError

BATCHES = (1, 2, 8, 32)
Write = Callable[[Any, list[dict[str, Any]]], object]


def main() -> int:
    rows = int(os.environ.get("BENCH_WRITER_ROWS") or 4000)
    admin = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    print("| store | batch | statements | app CPU µs/row | wall µs/row | server CPU µs/row |")
    print("|:---|---:|:---|---:|---:|---:|")
    database = stacks.ThrowawayDatabase(admin)
    try:
        with tempfile.TemporaryDirectory(prefix="pbhub-bench-writer-") as scratch:
            for url in (database.create(), stacks.sqlite_url(Path(scratch))):
                measure(url, rows)
    except BenchError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        database.close()
    return 0


def measure(url: str, count: int) -> None:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": stacks.SECRET_KEY, "REDIS_URL": ""}
    stacks.pbhub(["db", "upgrade"], env)
    stacks.pbhub(["sources", "create", "--name", "bench"], env)
    os.environ.update({k: v for k, v in env.items() if k in ("DATABASE_URL", "SECRET_KEY")})
    os.environ.pop("REDIS_URL", None)
    from app import create_app
    from app.extensions import db

    app = create_app()
    with app.app_context():
        engine = db.engine
        for batch in BATCHES:
            for name, write in _writes(engine.dialect.name).items():
                rows = [_row(f"{name}-{batch}-{n}") for n in range(count)]
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    server = _server_cpu(conn)
                    before = server()
                    cpu, wall = time.thread_time(), time.perf_counter()
                    for start in range(0, count, batch):
                        write(conn, rows[start : start + batch])
                    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
                    after = server()
                used = None if after is None else after - before
                print(
                    f"| {engine.dialect.name} | {batch} | {name} | {cpu / count * 1e6:.1f} "
                    f"| {wall / count * 1e6:.1f} | "
                    + (f"{used / count * 1e6:.1f} |" if used is not None else "in app |")
                )
        engine.dispose()


def _writes(dialect: str) -> dict[str, Write]:
    from app.extensions import conflict_insert
    from app.ingest import writer_sql
    from app.models import Conversion

    table = Conversion.__table__
    core = (
        conflict_insert(table, dialect)
        .on_conflict_do_nothing(index_elements=[table.c.dedupe_key])
        .returning(table.c.id, table.c.dedupe_key)
    )
    return {
        "SQLAlchemy Core": lambda conn, rows: list(conn.execute(core, rows)),
        "driver (writer_sql)": lambda conn, rows: writer_sql.insert(conn, rows, keyed=True),
    }


def _server_cpu(conn: Any) -> Callable[[], float | None]:
    """CPU seconds of the PostgreSQL backend serving ``conn``; ``None`` on SQLite."""
    if conn.dialect.name != "postgresql":
        return lambda: None
    pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()

    def used() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    return used


def _row(transaction_id: str) -> dict[str, Any]:
    """A conversion as the pipeline builds one for the bench's ``/pb`` requests."""
    from app.models.types import utcnow

    now = utcnow()
    query = {"click_id": "c" * 60, "event": "reg", "payout": "1.5"}
    query["transaction_id"] = transaction_id
    return {
        "source_id": 1,
        "received_at": now,
        "updated_at": now,
        "attribution": "matched",
        "event_type": "registration",
        "raw_event": "reg",
        "status": "approved",
        "raw_status": None,
        "click_id": query["click_id"],
        "clicked_at": now - timedelta(minutes=3),
        "transaction_id": transaction_id,
        "gross_amount": None,
        "gross_currency": None,
        "payout_amount": Decimal("1.5"),
        "payout_currency": "USD",
        "external_user_id": None,
        "country": "DE",
        "dedupe_key": f"tx:1:registration:{transaction_id}",
        "duplicate_of_id": None,
        "parse_notes": [],
        "raw_request": {
            "method": "GET",
            "path": "/pb/***",
            "query": query,
            "body": "",
            "body_truncated": False,
            "headers": {"User-Agent": "pbhub-bench"},
            "remote_addr": "127.0.0.1",
        },
    }


if __name__ == "__main__":
    sys.exit(main())
