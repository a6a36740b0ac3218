"""``make test-all`` says before the run what it cannot provide, and runs the rest."""

import pytest

from tests import throwaway_services


@pytest.fixture
def calls(monkeypatch) -> list[dict]:
    """The pytest runs ``main`` would start, with their environment, instead of running."""
    started: list[dict] = []
    monkeypatch.setattr(
        throwaway_services.subprocess,
        "call",
        lambda command, env: started.append({"command": command, "env": env}) or 0,
    )
    return started


@pytest.fixture
def bare_machine(monkeypatch, tmp_path):
    """No PostgreSQL, no Redis, no Chromium, no Docker Compose, and no server configured."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("PBHUB_REQUIRE_SERVICES", raising=False)
    monkeypatch.setattr(throwaway_services, "postgres_binary", lambda name: None)
    monkeypatch.setattr(throwaway_services.shutil, "which", lambda name: None)
    monkeypatch.setattr(throwaway_services, "CHROMIUM", str(tmp_path / "no-chromium"))


def test_what_the_machine_lacks_is_named_before_the_run(bare_machine, calls, capsys):
    assert throwaway_services.main(["-q"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed == [
        "test-all: cannot provide PostgreSQL (PostgreSQL's initdb and pg_ctl are not "
        "installed); Redis (redis-server is not installed); Chromium (apt-get install "
        f"chromium puts it at {throwaway_services.CHROMIUM}); Docker Compose (apt-get install "
        "docker-compose): those tests are skipped"
    ]


def test_a_run_missing_a_server_does_not_demand_every_service(bare_machine, calls):
    throwaway_services.main(["-q"])
    assert calls[0]["command"][-3:] == ["-m", "pytest", "-q"]
    assert "PBHUB_REQUIRE_SERVICES" not in calls[0]["env"]


def test_configured_servers_are_used_as_they_are(bare_machine, calls, capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.example/hub")
    monkeypatch.setenv("REDIS_URL", "redis://cache.example/0")
    throwaway_services.main([])
    printed = capsys.readouterr().out
    assert "test-all: PostgreSQL from DATABASE_URL" in printed
    assert "test-all: Redis from REDIS_URL" in printed
    assert calls[0]["env"]["DATABASE_URL"] == "postgresql://db.example/hub"
