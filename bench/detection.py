"""Detection accuracy and speed: ``python -m bench.detection`` (``make bench-detection``).

Accuracy: for every documented sample in ``tests/data/*samples*.json``, whether the
template URL is recognised as its platform with every documented field mapped to the
right parameter. Speed: the time to score one URL against every signature, over many
rounds of all the samples (p50, p99 and mean), with the built-in signatures only.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from app.core.vocabulary import CANONICAL_FIELDS
from plugins.detection import detect
from plugins.manager import build_manager, collect

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
ROUNDS = 50


def load_cases() -> dict[str, list[dict]]:
    return {path.name: json.loads(path.read_text()) for path in sorted(DATA.glob("*samples*.json"))}


def correct(case: dict, signatures: list) -> bool:
    detection = detect(case["template_url"], signatures)
    if detection.outcome != "recognised" or detection.best.signature.id != case["signature"]:
        return False
    found = detection.best.field_map
    return all(found.get(f) == case["expected"].get(f) for f in CANONICAL_FIELDS)


def main() -> int:
    signatures = collect(build_manager(entry_points=False))
    files = load_cases()
    print(f"{len(signatures)} signatures\n")
    print("| samples | recognised with the right map |")
    print("|:---|---:|")
    failures = []
    for name, cases in files.items():
        good = [correct(case, signatures) for case in cases]
        failures += [c for c, ok in zip(cases, good, strict=True) if not ok]
        print(f"| `{name}` | {sum(good)}/{len(cases)} ({100 * sum(good) / len(cases):.0f} %) |")
    urls = [case["template_url"] for cases in files.values() for case in cases]
    timings = []
    for _ in range(ROUNDS):
        for url in urls:
            started = time.perf_counter()
            detect(url, signatures)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p50 = timings[len(timings) // 2]
    p99 = timings[int(len(timings) * 0.99)]
    print(
        f"\nOne URL against all {len(signatures)} signatures, {len(timings)} detections: "
        f"p50 {p50:.2f} ms, p99 {p99:.2f} ms, mean {statistics.fmean(timings):.2f} ms"
    )
    for case in failures:
        print(f"MISSED {case['signature']}: {case['template_url']}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
