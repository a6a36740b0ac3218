"""The documentation's examples, run as written against a real server: the README's
walkthrough, and capture with its finalize and re-mapping history from docs/detection.md.

Only what a reader's machine supplies is substituted: the port of the server, the path of
the virtualenv and a temporary file instead of ``/tmp/source.json``. Between the capture
commands the test plays the network, firing its test postback at the learn URL.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.processes import ROOT, free_port, gunicorn, stop, wait_healthy

README = ROOT / "README.md"
DETECTION = ROOT / "docs" / "detection.md"
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


def sh_block(marker: str, page: Path = README) -> str:
    """The first ``sh`` code block after the line of ``page`` that contains ``marker``."""
    text = page.read_text()
    assert marker in text, f"{marker!r} is not in {page.relative_to(ROOT)}"
    start = text.index(marker)
    match = re.compile(r"```sh\n(.*?)```", re.S).search(text, start)
    assert match, f"no sh block after {marker!r} in {page.relative_to(ROOT)}"
    return match.group(1)


def commands(block: str) -> list[str]:
    """The block's commands, continuation lines joined, comment lines dropped."""
    joined = re.sub(r"\\\n\s*", " ", block)
    joined = re.sub(r"'\{[^']*\}'", lambda m: m.group(0).replace("\n", " "), joined)
    return [
        line for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


@dataclass
class Reader:
    """A reader's shell: the server's address, the CLI on the PATH, ``$TOKEN`` and ``$API``."""

    base: str
    env: dict[str, str]
    scratch: Path

    def run(self, script: str) -> str:
        script = script.replace("http://127.0.0.1:5000", self.base)
        script = script.replace(".venv/bin/", f"{BIN}/").replace(
            "/tmp/source.json", str(self.scratch)
        )
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (
            f"{script}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        )
        return done.stdout


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reader]:
    home = tmp_path_factory.mktemp("readme")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{home / 'hub.sqlite3'}",
        "SECRET_KEY": "readme-" + "s" * 40,
        "REDIS_URL": "",
        "PBHUB_BASE_URL": base,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "WEB_CONCURRENCY": "1",
    }
    for step in (["db", "upgrade"], ["users", "ensure-admin"]):
        subprocess.run([BIN / "pbhub", *step], env=env, check=True, capture_output=True)
    server = gunicorn(env, port, home / "web.log")
    try:
        wait_healthy(base)
        yield Reader(base, env, home / "source.json")
    finally:
        stop(server)


@pytest.fixture(scope="module")
def walkthrough(reader: Reader) -> dict[str, str]:
    """The walkthrough, run once; its ``$TOKEN`` and ``$API`` are the later sections'."""
    block = sh_block("## A 60-second walkthrough")
    out = reader.run(block + '\necho "TOKEN=$TOKEN"\necho "API=$API"\n')
    reader.env.update(re.findall(r"^(TOKEN|API)=(.*)$", out, re.M))
    return {"output": out}


def test_the_walkthrough_matches_the_postback_to_its_click(walkthrough):
    assert '"attribution":"matched"' in walkthrough["output"]
    assert '"transaction_id":"T-1001"' in walkthrough["output"]


def test_the_capture_example_learns_and_its_finalize_keeps_the_other_fields(walkthrough, reader):
    start, look, finalize = commands(sh_block("## Capture", DETECTION))
    learn_url = json.loads(reader.run(start))["learn_url"]
    network = {"ref": "abc", "commission": "3", "event": "dep", "currency": "EUR"}
    assert requests.get(learn_url, params=network, timeout=10).status_code == 200
    assert "suggested" in reader.run(look)
    field_map = json.loads(reader.run(finalize))["field_map"]
    assert field_map["click_id"] == "ref"
    assert (field_map["event_type"], field_map["payout_currency"]) == ("event", "currency")


def test_the_re_map_examples_run_and_report_what_changed(walkthrough, reader):
    for command in commands(sh_block("## Re-map history", DETECTION)):
        assert '"examined"' in reader.run(command)
