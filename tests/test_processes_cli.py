"""``pbhub serve`` and ``pbhub worker``: the two processes of an installed hub, and where
the hub looks for its migrations and keeps its data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app import paths
from tests.processes import ROOT, free_port, spawn, stop, wait_healthy

PBHUB = str(Path(sys.executable).parent / "pbhub")


def bare_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The embedded default on a database of the test's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PBHUB_", "DATABASE_"))}
    env.pop("REDIS_URL", None)
    env.pop("PORT", None)
    return {**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'hub.sqlite3'}", **extra}


def default_bind(env: dict[str, str]) -> str:
    return subprocess.run(
        [sys.executable, "-c", "import app.serving; print(app.serving.bind)"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_serve_answers_on_the_address_it_is_given(tmp_path):
    env = bare_env(tmp_path, SECRET_KEY="s" * 12 + "Q3v9-x_Lm2Pz7RtY8wN4bH6cJ1sD5fG0")
    subprocess.run([PBHUB, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    server = spawn(
        [PBHUB, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env,
        tmp_path / "serve.log",
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
    finally:
        stop(server)


def test_the_web_server_listens_on_loopback_unless_told_otherwise(tmp_path):
    assert default_bind(bare_env(tmp_path)) == "127.0.0.1:5000"
    assert default_bind(bare_env(tmp_path, PBHUB_BIND="0.0.0.0:8000")) == "0.0.0.0:8000"


def test_a_platform_that_hands_out_a_port_is_listened_to_on_every_interface(tmp_path):
    assert default_bind(bare_env(tmp_path, PORT="8080")) == "0.0.0.0:8080"


def test_worker_without_redis_says_none_is_needed_and_exits_2(tmp_path):
    result = subprocess.run(
        [PBHUB, "worker", "--burst"],
        env=bare_env(tmp_path),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "REDIS_URL is not set; without Redis the web process runs background jobs" in (
        result.stderr
    )


def test_a_checkout_keeps_its_migrations_and_data_beside_the_code():
    assert paths.migrations_dir() == ROOT / "migrations"
    assert paths.data_dir({}) is None


def test_the_data_directory_can_be_named(tmp_path):
    assert paths.data_dir({"PBHUB_DATA_DIR": str(tmp_path / "hub")}) == str(tmp_path / "hub")


def test_an_installed_hub_keeps_its_data_under_the_users_data_home(monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "from_checkout", lambda: False)
    assert paths.data_dir({"XDG_DATA_HOME": str(tmp_path)}) == str(tmp_path / "postback-hub")
    assert paths.migrations_dir() == Path(sys.prefix) / "share" / "postback-hub" / "migrations"
