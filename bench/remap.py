"""Re-mapping a large history: ``python -m bench.remap`` (``make bench-remap``).

For each size in ``BENCH_REMAP_CONVERSIONS`` (default 50,000; a comma-separated list
runs several, e.g. ``5000,10000,20000``) it seeds a throwaway PostgreSQL database with
that many conversions of one source over the last 7 days (``pbhub dev seed``, clicks
included so most conversions are matched), changes the source's maps so that a re-map
changes nearly all of them (the click id is read from a parameter the network never
sent, and ``ftd`` is read as ``qftd``), and re-maps the whole history through the
service the ``pbhub sources reprocess`` command calls, with the stats triggers in place.
It prints a Markdown table: conversions examined and changed, seconds to decide and to
write, conversions per second, ``stats_dirty`` rows the re-map added, and the peak RSS of
the re-mapping process. Follow-up jobs (deliveries) are not queued.

``BENCH_REMAP_WRITE=each`` writes with the per-row reference instead of the set-based
write (the old curve); ``BENCH_REMAP_TRIGGERS=off`` disables the conversions' stats
triggers for the re-map, to tell the trigger's share from the rest;
``BENCH_REMAP_JIT=off`` turns PostgreSQL's JIT off for the re-mapping process (the
per-row write's break was the trigger's cached plan JIT-compiled once per statement: see
``app/services/reprocess_write.py``). ``BENCH_PG_ADMIN_URL`` names a role allowed to
create databases.

Targets: 50,000 conversions in under 15 s, 500,000 in under 3 minutes.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

from bench.server import REPO, venv_script
from bench.stacks import SECRET_KEY, ThrowawayDatabase
from bench.stats_scale import analyze

TARGETS_S = {50_000: 15.0, 500_000: 180.0}
DAYS = 7
TRIGGER = "stats_conversions_update"


def seed(url: str, conversions: int) -> float:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "REDIS_URL": ""}
    pbhub = str(venv_script("pbhub"))
    subprocess.run([pbhub, "db", "upgrade"], env=env, cwd=REPO, check=True, capture_output=True)
    started = time.monotonic()
    subprocess.run(
        [
            pbhub,
            "dev",
            "seed",
            "--clicks",
            str(conversions),
            "--conversions",
            str(conversions),
            "--days",
            str(DAYS),
            "--sources",
            "1",
        ],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    analyze(url)
    return time.monotonic() - started


def remap(url: str, write: str, triggers: bool) -> dict[str, Any]:
    """Re-map the seeded source's whole history in this process; the figures."""
    os.environ.update({"SECRET_KEY": SECRET_KEY, "REDIS_URL": "", "DATABASE_URL": url})
    from sqlalchemy import func, select, text

    from app import create_app
    from app.extensions import db
    from app.models import DirtyHour, Source
    from app.runtime import keyring
    from app.services import reprocess as remapping
    from app.services import reprocess_write

    app = create_app({"PBHUB_CLICK_RETENTION_DAYS": 0})
    with app.app_context():
        source = db.session.scalars(select(Source).order_by(Source.id)).first()
        source.field_map = {**(source.field_map or {}), "click_id": "sub"}
        source.event_map = {**(source.event_map or {}), "ftd": "qftd"}
        db.session.commit()
        dirty_before = db.session.scalar(select(func.count()).select_from(DirtyHour))
        if write == "each":
            remapping.write = reprocess_write.EachWrite
        if not triggers:
            db.session.execute(
                text("ALTER TABLE conversions DISABLE TRIGGER stats_conversions_update")
            )
            db.session.commit()
        window = remapping.window({"days": DAYS + 1})
        filters = {k: window[k] for k in ("since", "until")}
        total = remapping.count(source, **filters)
        seen = 0
        decided = 0.0

        def progress(count: int) -> None:
            nonlocal seen, decided
            seen += count
            if seen >= total:
                decided = time.monotonic()

        started = time.monotonic()
        report = remapping.reprocess(
            source, token_key=keyring().click_token, progress=progress, **window
        )
        finished = time.monotonic()
        if not triggers:
            db.session.execute(
                text("ALTER TABLE conversions ENABLE TRIGGER stats_conversions_update")
            )
            db.session.commit()
        dirty_after = db.session.scalar(select(func.count()).select_from(DirtyHour))
        hours = db.session.scalar(
            select(func.count()).select_from(select(DirtyHour.bucket).distinct().subquery())
        )
    return {
        "examined": report.examined,
        "changed": report.changed,
        "decide": (decided or finished) - started,
        "write": finished - (decided or finished),
        "total": finished - started,
        "dirty": dirty_after - dirty_before,
        "hours": hours,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_one(size: int, write: str, triggers: bool, jit: bool, admin: str) -> dict[str, Any]:
    database = ThrowawayDatabase(admin)
    try:
        url = database.create()
        seeded = seed(url, size)
        options = os.environ.get("PGOPTIONS", "") + ("" if jit else " -c jit=off")
        # A process per size, so each peak RSS is its own.
        done = subprocess.run(
            [sys.executable, "-m", "bench.remap", "--one", url, write, "on" if triggers else "off"],
            env={**os.environ, "PGOPTIONS": options.strip()},
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        return {"size": size, "seeded": seeded, **figures}
    finally:
        database.close()


def main(argv: list[str]) -> int:
    if argv[:1] == ["--one"]:
        url, write, triggers = argv[1:4]
        print(json.dumps(remap(url, write, triggers == "on")))
        return 0
    sizes = [int(s) for s in os.environ.get("BENCH_REMAP_CONVERSIONS", "50000").split(",")]
    write = os.environ.get("BENCH_REMAP_WRITE", "set")
    triggers = os.environ.get("BENCH_REMAP_TRIGGERS", "on") != "off"
    jit = os.environ.get("BENCH_REMAP_JIT", "on") != "off"
    admin = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    label = "set-based write" if write == "set" else "per-row write"
    print(
        f"# Re-mapping history: {label}, stats triggers {'on' if triggers else 'off'}, "
        f"JIT {'on' if jit else 'off'}",
        flush=True,
    )
    print()
    print(
        "| conversions | examined | changed | decide s | write s | total s | conversions/s "
        "| stats_dirty rows added | dirty hours | peak RSS MB | target |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for size in sizes:
        f = run_one(size, write, triggers, jit, admin)
        target = TARGETS_S.get(size)
        verdict = "" if target is None else ("met" if f["total"] < target else "missed")
        verdict = f"< {target:.0f} s: {verdict}" if target else "-"
        print(
            f"| {size:,} | {f['examined']:,} | {f['changed']:,} | {f['decide']:.1f} "
            f"| {f['write']:.1f} | {f['total']:.1f} | {f['examined'] / f['total']:,.0f} "
            f"| {f['dirty']:,} | {f['hours']:,} | {f['rss_mb']:.0f} | {verdict} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
