"""Run the benchmark: ``python -m bench.run`` (``make bench``).

Knobs, all environment variables:

* ``BENCH_SECONDS``: length of each measured phase, default 10.
* ``BENCH_CONNECTIONS``: keep-alive connections of the load generator, default 16.
* ``BENCH_ONLY``: configurations to run, comma separated (``pg``, ``embedded``); both
  by default.
* ``BENCH_PG_ADMIN_URL``: a PostgreSQL role allowed to CREATE DATABASE, default
  ``postgresql://postgres@127.0.0.1:5432/postgres``.
* ``BENCH_REDIS_URL``: the Redis database of the ``pg`` configuration, default
  ``redis://127.0.0.1:6379/15``.

gunicorn's workers and threads come from ``gunicorn.conf.py`` as in production
(``WEB_CONCURRENCY``, ``PBHUB_THREADS``), so a setting can be tried without editing code.

Progress goes to stderr; the Markdown report to stdout and to ``bench/results/latest.md``.
Everything the run creates (servers, database, temporary files) is removed on the way
out, also after an error, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import platform
import random
import runpy
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bench import stacks
from bench.report import (
    BARE,
    POSTBACK,
    TRACK,
    TRACK_NO_COUNTRY,
    ConfigResult,
    Report,
    TargetResult,
    markdown,
)
from bench.server import (
    REPO,
    BenchError,
    Gunicorn,
    ProcessMemory,
    busy_share,
    free_port,
    store_cpu_seconds,
)

RESULTS = REPO / "bench" / "results" / "latest.md"
CONFIGURATIONS = ("pg", "embedded")
DUPLICATE_SHARE = 0.3
CLICK_TOKENS = 64
VISITORS = 512
#: Every server runs behind one trusted proxy, as deploy.md sets the hub up, and the
#: load generator sends visitors' public addresses in ``X-Forwarded-For`` to the bare
#: ceiling and the Track URL alike.
PROXIES = "1"
LOAD_GRACE = 60.0  # seconds a load phase may overrun before it counts as hung
QUIET_SAMPLE = 0.5  # seconds of CPU use sampled before each phase
QUIET_LIMIT = 0.15  # share of all CPUs busy between phases that deserves a note


@dataclass(frozen=True)
class Options:
    seconds: float
    connections: int
    only: tuple[str, ...]
    pg_admin_url: str
    redis_url: str

    @property
    def warmup(self) -> float:
        """Long enough to fill connection pools and caches, short next to the phase."""
        return min(2.0, max(0.5, self.seconds / 5))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Options:
        try:
            seconds = float(env.get("BENCH_SECONDS") or 10)
            connections = int(env.get("BENCH_CONNECTIONS") or 16)
        except ValueError:
            raise ValueError("BENCH_SECONDS and BENCH_CONNECTIONS must be numbers") from None
        if seconds <= 0 or connections <= 0:
            raise ValueError("BENCH_SECONDS and BENCH_CONNECTIONS must be positive")
        only = tuple(name.strip() for name in (env.get("BENCH_ONLY") or "pg,embedded").split(","))
        unknown = [name for name in only if name not in CONFIGURATIONS]
        if unknown or not only:
            raise ValueError(f"BENCH_ONLY takes a comma list of {', '.join(CONFIGURATIONS)}")
        return cls(
            seconds=seconds,
            connections=connections,
            only=only,
            pg_admin_url=env.get("BENCH_PG_ADMIN_URL")
            or "postgresql://postgres@127.0.0.1:5432/postgres",
            redis_url=env.get("BENCH_REDIS_URL") or "redis://127.0.0.1:6379/15",
        )


class Progress:
    """Timestamped progress lines on stderr: each phase takes seconds."""

    def __init__(self) -> None:
        self._start = time.monotonic()

    def __call__(self, message: str) -> None:
        print(f"[{time.monotonic() - self._start:6.1f}s] {message}", file=sys.stderr, flush=True)


def run_load(spec: dict[str, Any], limit: float) -> dict[str, Any]:
    """One load phase in a separate process, so the client has a GIL of its own."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.load"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(json.dumps(spec), timeout=limit)
    except subprocess.TimeoutExpired:
        raise BenchError(f"the load generator did not finish within {limit:g} s") from None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if process.returncode != 0:
        raise BenchError(f"the load generator failed:\n{err}")
    return json.loads(out)


def click_tokens(port: int, track_path: str, count: int = CLICK_TOKENS) -> list[str]:
    """Real ``_cid`` tokens from ``/t/``, so postbacks take the matched-click path."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    tokens = []
    try:
        for _ in range(count):
            connection.request("GET", track_path)
            response = connection.getresponse()
            response.read()
            location = response.getheader("Location") or ""
            token = parse_qs(urlsplit(location).query).get("_cid")
            if response.status != 302 or not token:
                raise BenchError(f"{track_path} answered {response.status} {location!r}")
            tokens.append(token[0])
    finally:
        connection.close()
    return tokens


def visitor_addresses(count: int = VISITORS, seed: int = 7) -> list[str]:
    """Public IPv4 and IPv6 addresses of many countries (one in eight IPv6), the same in
    every run: what the Track URL's country lookup meets behind a proxy."""
    rng = random.Random(seed)
    addresses: list[str] = []
    while len(addresses) < count:
        if len(addresses) % 8 == 7:
            candidate = ipaddress.IPv6Address((0x2000 << 112) | rng.getrandbits(125))
        else:
            candidate = ipaddress.IPv4Address(rng.getrandbits(32))
        if candidate.is_global:
            addresses.append(str(candidate))
    return addresses


def _errors(result: dict[str, Any]) -> str:
    errors = sum(result["errors"].values())
    return f"{errors} errors {result['errors']}" if errors else "no errors"


class Bench:
    """One run: per configuration the bare ceiling, then the routes, each in two phases."""

    def __init__(self, options: Options, workdir: Path, stack: ExitStack, say: Progress) -> None:
        self.options = options
        self.workdir = workdir
        self.stack = stack
        self.say = say
        self.run_id = secrets.token_hex(3)
        self.store_notes: list[str] = []
        self.deferred: list[tuple[str, float]] = []  # phase, share of the CPUs
        self.disturbed: list[tuple[str, float]] = []

    def release_later(self, what: str, close: Callable[[], None]) -> None:
        """Make sure ``close`` runs on the way out; a failure there is reported, not raised."""

        def guarded() -> None:
            try:
                close()
            except Exception as exc:
                self.say(f"could not {what}: {exc}")

        self.stack.callback(guarded)

    def check_quiet(self, server: Gunicorn, phase: str) -> None:
        """Record CPU use just before a phase: other load, or the server's deferred work.

        Either takes CPU from the phase that follows, so the report has to say so.
        """
        cpu_before = server.cpu_seconds()
        busy = busy_share(QUIET_SAMPLE)
        own = (server.cpu_seconds() - cpu_before) / QUIET_SAMPLE / (os.cpu_count() or 1)
        if own > QUIET_LIMIT:
            self.say(f"warning: the idle server still keeps the CPUs {own:.0%} busy")
            self.deferred.append((phase, own))
        if busy - own > QUIET_LIMIT:
            self.say(f"warning: other processes keep the CPUs {busy - own:.0%} busy")
            self.disturbed.append((phase, busy - own))

    def notes(self) -> list[str]:
        """The run's caveats, one line each, for the end of the report."""
        notes = list(self.store_notes)
        if self.deferred:
            phases = ", ".join(f"{phase} ({share:.0%})" for phase, share in self.deferred)
            notes.append(
                "With no request in flight, the server itself still kept the CPUs busy "
                f"(work deferred from the phase before) ahead of: {phases}."
            )
        if self.disturbed:
            phases = ", ".join(f"{phase} ({share:.0%})" for phase, share in self.disturbed)
            notes.append(
                "**Other processes were using the CPUs**, so these phases are skewed "
                f"(app CPU ms/req less than req/s): {phases}."
            )
        return notes

    def start_server(
        self, app_spec: str, env: dict[str, str], port: int, name: str, ready_path: str
    ) -> Gunicorn:
        server = Gunicorn(app_spec, env, port, self.workdir / name / "gunicorn.log")
        self.release_later(f"stop gunicorn ({app_spec})", server.stop)
        self.say(f"{name}: starting gunicorn {app_spec} on 127.0.0.1:{port}")
        server.start(ready_path)
        return server

    def measure(
        self,
        server: Gunicorn,
        label: str,
        target: str,
        path: str,
        mix: dict[str, Any] | None,
        stores: bool = False,
        forwarded_for: list[str] | None = None,
    ) -> TargetResult:
        """Max throughput (closed loop), then latency at half of it (open loop)."""
        options = self.options
        spec: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": server.port,
            "path": path,
            "seconds": options.seconds,
            "connections": options.connections,
            "forwarded_for": forwarded_for,
        }
        limit = options.seconds + options.warmup + LOAD_GRACE

        def phase_mix(phase: str) -> dict[str, Any] | None:
            return {**mix, "id_prefix": f"{self.run_id}-{label}-{phase}-"} if mix else None

        self.say(
            f"{label}: {target} max throughput, {options.connections} connections, "
            f"{options.warmup:g} s warm-up + {options.seconds:g} s"
        )
        self.check_quiet(server, f"{label} `{target}` max")
        cpu_before, store_before = server.cpu_seconds(), store_cpu_seconds()
        peak = run_load(
            {**spec, "mode": "max", "warmup": options.warmup, "postback": phase_mix("max")}, limit
        )
        app_cpu = server.cpu_seconds() - cpu_before
        store_cpu = store_cpu_seconds() - store_before
        self.say(
            f"  {peak['rps']:,.0f} req/s, {_errors(peak)}; "
            f"load generator at {peak['client_cpu']:.0%} of a core"
        )
        rate = peak["rps"] / 2
        if rate < 1:
            raise BenchError(
                f"{target} served under 2 requests a second; gunicorn's log ends with:\n"
                + server.log_tail()
            )
        self.say(
            f"{label}: {target} latency at {rate:,.0f} req/s (half of max), {options.seconds:g} s"
        )
        self.check_quiet(server, f"{label} `{target}` latency")
        steady = run_load(
            {**spec, "mode": "rate", "rate": rate, "postback": phase_mix("rate")}, limit
        )
        self.say(
            f"  p50 {steady['p50_ms']:.2f} ms, p99 {steady['p99_ms']:.2f} ms, {_errors(steady)}"
        )
        return TargetResult(
            target=target,
            max_rps=peak["rps"],
            max_errors=peak["errors"],
            latency_rate=rate,
            p50_ms=steady["p50_ms"],
            p99_ms=steady["p99_ms"],
            latency_errors=steady["errors"],
            app_cpu_ms=app_cpu / max(peak["answered"], 1) * 1000,
            client_cpu=peak["client_cpu"],
            store_cpu_ms=store_cpu / max(peak["answered"], 1) * 1000 if stores else None,
        )

    def bare(self, key: str) -> tuple[TargetResult, list[ProcessMemory]]:
        name = f"{key}-bare"
        port = free_port()
        (self.workdir / name).mkdir()
        env = stacks.base_env(dict(os.environ), port)
        # A database in the scratch directory rather than the repository's instance/,
        # should anything of the hub's be built here.
        env["DATABASE_URL"] = stacks.sqlite_url(self.workdir / name)
        env["PBHUB_TRUSTED_PROXIES"] = PROXIES
        server = self.start_server("bench.bare_app:app", env, port, name, "/")
        result = self.measure(server, key, BARE, "/", None, forwarded_for=visitor_addresses())
        memory = server.memory()
        server.stop()
        return result, memory

    def configuration(self, key: str) -> ConfigResult:
        """The bare ceiling, then this configuration's routes on a fresh database.

        The stores are set up first so that an unreachable one fails the run at once.
        """
        label = stacks.LABELS[key]
        port = free_port()
        directory = self.workdir / key
        directory.mkdir()
        env = stacks.base_env(dict(os.environ), port)
        env["PBHUB_TRUSTED_PROXIES"] = PROXIES
        database: stacks.ThrowawayDatabase | None = None
        scratch: stacks.ScratchRedis | None = None
        if key == "pg":
            scratch = stacks.ScratchRedis(self.options.redis_url)
            self.release_later(f"empty {scratch.url}", scratch.close)
            if not scratch.was_empty:
                self.store_notes.append(f"{scratch.url} held keys before the run; not emptied.")
            database = stacks.ThrowawayDatabase(self.options.pg_admin_url)
            self.release_later(f"drop database {database.name}", database.close)
            self.say(f"{key}: creating database {database.name}")
            env["DATABASE_URL"] = database.create()
            env["REDIS_URL"] = self.options.redis_url
        else:
            env["DATABASE_URL"] = stacks.sqlite_url(directory)
        bare, bare_memory = self.bare(key)
        self.say(f"{key}: pbhub db upgrade; pbhub sources create")
        paths = stacks.prepare(env)
        server = self.start_server("wsgi:app", env, port, key, "/healthz")
        mix = {
            "click_ids": click_tokens(port, paths.track_path),
            "duplicate_share": DUPLICATE_SHARE,
        }
        stores = key == "pg"  # the embedded store works inside the app's processes
        visitors = visitor_addresses()
        targets = [
            self.measure(server, key, POSTBACK, paths.postback_path, mix, stores),
            self.measure(server, key, TRACK, paths.track_path, None, stores, visitors),
        ]
        memory = server.memory()
        self.say(f"{key}: stopping gunicorn")
        server.stop()
        (self.workdir / f"{key}-no-country").mkdir()
        off = self.start_server(
            "wsgi:app", {**env, "PBHUB_GEOIP_DB": "off"}, port, f"{key}-no-country", "/healthz"
        )
        targets.append(
            self.measure(off, key, TRACK_NO_COUNTRY, paths.track_path, None, stores, visitors)
        )
        off.stop()
        for store in (database, scratch):
            if store is not None:
                store.close()
        return ConfigResult(label, bare, bare_memory, targets, memory)


def about(options: Options) -> list[str]:
    """What the numbers depend on: machine, versions, server settings, phase lengths."""
    conf = runpy.run_path(str(REPO / "gunicorn.conf.py"))
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    return [
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"Machine: {os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}; "
        "the load generator runs on the same CPUs",
        f"Python {platform.python_version()}, gunicorn {version('gunicorn')}, "
        f"Flask {version('flask')}; gunicorn.conf.py: {conf['workers']} workers x "
        f"{conf['threads']} threads ({conf['worker_class']})",
        f"Load: {options.connections} keep-alive connections (BENCH_CONNECTIONS), "
        f"{options.warmup:g} s warm-up, {options.seconds:g} s per phase (BENCH_SECONDS)",
    ]


def benchmark(options: Options, workdir: Path, stack: ExitStack, say: Progress) -> Report:
    lines = about(options)
    for line in lines:
        say(line)
    bench = Bench(options, workdir, stack, say)
    configs = [bench.configuration(key) for key in options.only]
    return Report(lines, configs, bench.notes())


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> int:
    try:
        options = Options.from_env(os.environ)
    except ValueError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    say = Progress()
    signal.signal(signal.SIGTERM, _interrupt)
    stack = ExitStack()
    try:
        workdir = Path(tempfile.mkdtemp(prefix="pbhub-bench-"))
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        report = benchmark(options, workdir, stack, say)
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    except BenchError as exc:
        say(f"failed: {exc}")
        return 1
    finally:
        interrupt_handler = signal.signal(signal.SIGINT, signal.SIG_IGN)  # finish cleaning up
        say("cleaning up")
        stack.close()
        signal.signal(signal.SIGINT, interrupt_handler)
    text = markdown(report)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text)
    print(text, flush=True)
    say(f"report written to {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
