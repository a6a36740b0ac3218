"""Benchmark results as Markdown, checked against the product's performance targets.

The targets are relative to the bare Flask ceiling measured in the same run, so a slow
or busy machine moves the ceiling and the routes together and the verdict stays fair.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from bench.server import ProcessMemory

BARE = "bare /"
POSTBACK = "/pb/<token>"
TRACK = "/t/<public_id>"
TRACK_NO_COUNTRY = "/t/<public_id>, country lookup off"
#: Names as Markdown: in backticks, or ``<token>`` would render as an HTML tag.
TITLES = {
    BARE: "bare Flask `/`",
    POSTBACK: "`/pb/<token>`",
    TRACK: "`/t/<public_id>`",
    TRACK_NO_COUNTRY: "`/t/<public_id>`, country lookup off",
}

#: Minimum share of the bare ceiling's throughput, per route; the postback's depends on
#: where it is stored (the embedded store commits inside the web process).
MIN_SHARE = {POSTBACK: 0.33, TRACK: 0.70}
EMBEDDED_MIN_SHARE = {POSTBACK: 0.25, TRACK: 0.70}
#: Most CPU of the web processes one stored postback may cost.
MAX_POSTBACK_CPU_MS = 0.8
MAX_P99_MS = 50.0
MAX_RSS_MIB = 150.0


@dataclass(frozen=True)
class TargetResult:
    target: str
    max_rps: float
    max_errors: dict[str, int]
    latency_rate: float
    p50_ms: float
    p99_ms: float
    latency_errors: dict[str, int]
    app_cpu_ms: float  # gunicorn CPU per answered request during the max phase
    client_cpu: float  # the load generator's CPU, as a share of one core, at max
    store_cpu_ms: float | None = None  # PostgreSQL's and Redis's, when they are separate

    @property
    def client_cpu_ms(self) -> float:
        return self.client_cpu / self.max_rps * 1000 if self.max_rps else math.nan

    @property
    def errors(self) -> Counter[str]:
        return Counter(self.max_errors) + Counter(self.latency_errors)


@dataclass(frozen=True)
class ConfigResult:
    """One configuration's routes, with the bare ceiling measured just before them."""

    label: str
    bare: TargetResult
    bare_memory: list[ProcessMemory]
    targets: list[TargetResult]
    memory: list[ProcessMemory]


@dataclass
class Report:
    about: list[str]
    configs: list[ConfigResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _number(value: float, digits: int = 0) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.{digits}f}"


def _ms(value: float) -> str:
    return _number(value, 2 if value < 10 else 1)


def _errors(errors: Counter[str]) -> str:
    total = sum(errors.values())
    if not total:
        return "0"
    detail = ", ".join(f"{reason}: {count}" for reason, count in errors.most_common())
    return f"{total} ({detail})"


def _verdict(ok: bool, errors: int = 0) -> str:
    if errors:
        return f"**FAIL** ({errors} errors)"
    return "pass" if ok else "**FAIL**"


def _table(header: list[str], align: str, rows: Iterable[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---:" if a == "r" else ":---" for a in align) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _results_table(targets: list[TargetResult], ceiling: float) -> list[str]:
    rows = []
    for t in targets:
        share = t.max_rps / ceiling * 100 if ceiling else math.nan
        rows.append(
            [
                TITLES[t.target],
                _number(t.max_rps),
                _number(share) + " %",
                _number(t.latency_rate),
                _ms(t.p50_ms),
                _ms(t.p99_ms),
                _errors(t.errors),
                _ms(t.app_cpu_ms),
                _store(t),
            ]
        )
    header = [
        "target",
        "req/s max",
        "% of bare",
        "latency at req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "app CPU ms/req",
        "store CPU ms/req",
    ]
    return _table(header, "lrrrrrrrr", rows)


def _store(t: TargetResult) -> str:
    if t.target == BARE:
        return "none"
    return "in app" if t.store_cpu_ms is None else _ms(t.store_cpu_ms)


def _budget(config: ConfigResult) -> list[str]:
    """Where each request's CPU goes, next to what the target leaves for it: with every
    CPU busy, a route at its target share of the ceiling has ``CPUs / rate`` per request.
    A route whose measured total is above that cannot meet the target on this machine
    without spending less CPU per request, however its work is scheduled."""
    cpus = os.cpu_count() or 1
    ceiling = config.bare.max_rps
    rows = []
    for t in [config.bare, *config.targets]:
        share = _min_share(config).get(t.target, 1.0)
        total = t.app_cpu_ms + (t.store_cpu_ms or 0.0) + t.client_cpu_ms
        budget = cpus / (share * ceiling) * 1000 if ceiling else math.nan
        rows.append(
            [
                TITLES[t.target],
                _ms(t.app_cpu_ms),
                _store(t),
                _ms(t.client_cpu_ms),
                _ms(total),
                f"{_ms(budget)} (at {share * 100:.0f} % of bare)",
            ]
        )
    header = ["target", "app", "stores", "load generator", "total", "all CPUs allow"]
    return _table(header, "lrrrrr", rows)


def _memory(memory: list[ProcessMemory]) -> str:
    workers = [m for m in memory if m.role == "worker"]
    masters = [m for m in memory if m.role == "master"]
    parts = [f"worker {m.pid}: {m.peak_rss_mib:.1f} MiB" for m in workers]
    parts += [f"master {m.pid}: {m.peak_rss_mib:.1f} MiB" for m in masters]
    return "; ".join(parts)


def _checks(config: ConfigResult) -> list[str]:
    ceiling = config.bare.max_rps
    by_name = {t.target: t for t in config.targets}
    rows = []
    for name, minimum in _min_share(config).items():
        if name in by_name:
            t = by_name[name]
            share = t.max_rps / ceiling if ceiling else 0.0
            errors = sum(t.max_errors.values())
            rows.append(
                [
                    f"{TITLES[name]} throughput",
                    f"{share * 100:.0f} % of bare",
                    f">= {minimum * 100:.0f} %",
                    _verdict(share >= minimum, errors),
                ]
            )
    for name in MIN_SHARE:
        if name in by_name:
            t = by_name[name]
            errors = sum(t.latency_errors.values())
            rows.append(
                [
                    f"{TITLES[name]} p99 at half its max rate",
                    f"{_ms(t.p99_ms)} ms",
                    f"< {MAX_P99_MS:g} ms",
                    _verdict(t.p99_ms < MAX_P99_MS, errors),
                ]
            )
    if POSTBACK in by_name:
        cpu = by_name[POSTBACK].app_cpu_ms
        rows.append(
            [
                f"{TITLES[POSTBACK]} app CPU",
                f"{_ms(cpu)} ms/req",
                f"<= {MAX_POSTBACK_CPU_MS:g} ms",
                _verdict(cpu <= MAX_POSTBACK_CPU_MS),
            ]
        )
    workers = [m.peak_rss_mib for m in config.memory if m.role == "worker"]
    largest = max(workers, default=math.nan)
    rows.append(
        [
            "peak RSS per web process",
            f"{largest:.1f} MiB (largest of {len(workers)} workers)",
            f"< {MAX_RSS_MIB:g} MiB",
            _verdict(largest < MAX_RSS_MIB),
        ]
    )
    return _table(["check", "measured", "target", "result"], "llll", rows)


def _min_share(config: ConfigResult) -> dict[str, float]:
    return EMBEDDED_MIN_SHARE if config.label == "embedded" else MIN_SHARE


def _lookup_cost(config: ConfigResult) -> list[str]:
    """The Track URL with and without the country lookup, side by side."""
    by_name = {t.target: t for t in config.targets}
    on, off = by_name.get(TRACK), by_name.get(TRACK_NO_COUNTRY)
    if on is None or off is None or not off.max_rps:
        return []
    return [
        "",
        f"Country lookup on the Track URL: {_number(on.max_rps)} req/s and "
        f"{_ms(on.app_cpu_ms)} app CPU ms/req with it, {_number(off.max_rps)} req/s and "
        f"{_ms(off.app_cpu_ms)} ms without ({(on.max_rps / off.max_rps - 1) * 100:+.1f} % "
        f"throughput, {(on.app_cpu_ms - off.app_cpu_ms) * 1000:+.0f} µs CPU per click).",
    ]


HOW_TO_READ = [
    "**req/s max**: closed loop, every connection sends its next request as soon as the "
    "answer arrives; successful (2xx/3xx) answers per second after a warm-up. The bare "
    "ceiling is measured right before each configuration, so both see the same machine.",
    "**latency**: open loop at half of that route's own max rate; p50/p99 run from the "
    "time each request fell due, not from when it was sent, so queueing is counted "
    "(no coordinated omission). They include loopback and the client's scheduling "
    "(about a millisecond).",
    "**errors**: answers other than 2xx/3xx, timeouts and dropped connections, over both "
    "phases. A 302 from `/t/` is a success and is not followed.",
    "**app CPU ms/req**: CPU time of the gunicorn master and workers per answered request "
    "in the max phase. It varies less than req/s with what else the machine is doing, so "
    "on a shared machine the ratio of the bare row's value to a route's is a useful second "
    "estimate of its share of the ceiling.",
    "**store CPU ms/req**: CPU time of every PostgreSQL and Redis process on the machine "
    "per answered request in the same phase (the embedded store works inside the app). "
    "With the app's and the load generator's, it is what a request costs the machine; "
    "time the kernel spends on loopback outside those processes is in none of them.",
    "**peak RSS**: VmHWM of each gunicorn process after the load, i.e. the most memory "
    "it held resident at any time.",
    "`/pb/<token>` requests carry a real `_cid` click token (minted by `/t/`) and "
    "`event=reg&payout=1.5`; about 30 % repeat a recent transaction id (duplicates).",
    "Every server runs behind one trusted proxy (`PBHUB_TRUSTED_PROXIES=1`, werkzeug's "
    "`ProxyFix`, the bare ceiling included). Bare `/` and `/t/<public_id>` requests carry a "
    "public visitor address in `X-Forwarded-For`, a different one each request, so every "
    "click's country is looked up in the shipped database. The row \"country lookup "
    'off" is the same route on a second server started with `PBHUB_GEOIP_DB=off`.',
]


def markdown(report: Report) -> str:
    lines = ["# Postback Hub benchmark", ""]
    lines += [f"- {line}" for line in report.about]
    for config in report.configs:
        lines += ["", f"## {config.label}", ""]
        lines += _results_table([config.bare, *config.targets], config.bare.max_rps)
        lines += [
            "",
            f"Peak RSS (VmHWM) per web process: {_memory(config.memory)}. "
            f"Bare Flask for comparison: {_memory(config.bare_memory)}.",
            "",
            f"The load generator used {config.bare.client_cpu:.0%} of one core at the bare "
            f"ceiling, {max(t.client_cpu for t in config.targets):.0%} at most on the routes.",
            "",
            "CPU ms per request in the max phase, and what the machine's CPUs allow per "
            "request at the target rate:",
            "",
        ]
        lines += _budget(config)
        lines.append("")
        lines += _checks(config)
        lines += _lookup_cost(config)
    lines += ["", "## How to read this", ""]
    lines += [f"- {line}" for line in HOW_TO_READ + report.notes]
    return "\n".join(lines) + "\n"
