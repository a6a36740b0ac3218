"""The files a server runs the hub with: systemd units, nginx site, environment example,
Dockerfile and compose file, as deploy/ holds them and docs/deploy.md shows them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from app.config import ConfigError
from app.services import service_files
from app.services.service_files import ADMIN, DOCUMENTED, WEB_UNIT, WORKER_UNIT
from tests.conftest import REQUIRE_SERVICES, pbhub_admin

ROOT = Path(__file__).parents[1]
DEPLOY = ROOT / "deploy"
GUIDE = ROOT / "docs" / "deploy.md"


def fenced_block_after(marker: str, language: str) -> str:
    text = GUIDE.read_text()
    match = re.compile(rf"```{language}\n(.*?)```", re.S).search(text, text.index(marker))
    assert match, f"no {language} block after {marker!r} in docs/deploy.md"
    return match.group(1)


def compose_command() -> list[str] | None:
    """``docker compose`` (the plugin) or ``docker-compose``, whichever this machine has."""
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


# systemd ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [WEB_UNIT, WORKER_UNIT])
def test_the_shipped_units_are_the_ones_rendered_for_the_documented_layout(name):
    assert (DEPLOY / "systemd" / name).read_text() == service_files.units(DOCUMENTED)[name]


@pytest.mark.parametrize("name", [WEB_UNIT, WORKER_UNIT])
def test_the_deploy_guide_shows_the_shipped_units(name):
    shown = fenced_block_after(f"`/etc/systemd/system/{name}`", "ini")
    assert shown == (DEPLOY / "systemd" / name).read_text()


def test_the_units_start_this_installs_pbhub_serve_and_worker():
    rendered = service_files.units(DOCUMENTED)
    assert "ExecStart=/opt/pbhub/app/.venv/bin/pbhub serve\n" in rendered[WEB_UNIT]
    assert "ExecStart=/opt/pbhub/app/.venv/bin/pbhub worker\n" in rendered[WORKER_UNIT]


def deploy_args(tmp_path: Path, *extra: str) -> list[str]:
    """``pbhub deploy systemd`` writing into the test's own directories."""
    return [
        "deploy",
        "systemd",
        "--output-dir",
        str(tmp_path),
        "--bin-dir",
        str(tmp_path / "bin"),
        *extra,
    ]


def test_deploy_systemd_writes_both_units_for_the_running_install(runner, tmp_path):
    result = runner.invoke(args=deploy_args(tmp_path, "--user", "root", "--env-file", os.devnull))
    assert result.exit_code == 0, result.output
    web = (tmp_path / WEB_UNIT).read_text()
    pbhub = Path(sys.executable).parent / "pbhub"
    assert f"ExecStart={pbhub} serve\n" in web
    assert "User=root\n" in web and f"EnvironmentFile={os.devnull}\n" in web
    assert f"wrote {tmp_path / WORKER_UNIT}" in result.output
    assert "next: systemctl daemon-reload" in result.output


def test_deploy_systemd_warns_of_a_missing_user_and_environment_file(runner, tmp_path):
    result = runner.invoke(
        args=deploy_args(
            tmp_path / "units",
            "--user",
            "no-such-user-here",
            "--env-file",
            str(tmp_path / "absent.env"),
        )
    )
    assert result.exit_code == 0, result.output
    assert "warning: there is no user no-such-user-here" in result.output
    assert f"warning: {tmp_path / 'absent.env'} does not exist yet" in result.output


def test_deploy_systemd_keeps_units_that_differ_unless_forced(runner, tmp_path):
    (tmp_path / WEB_UNIT).write_text("[Unit]\nDescription=edited by hand\n")
    args = deploy_args(tmp_path, "--user", "root")
    refused = runner.invoke(args=args)
    assert refused.exit_code == 1
    assert "already exist with other contents" in refused.output
    assert "edited by hand" in (tmp_path / WEB_UNIT).read_text()
    forced = runner.invoke(args=[*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert "pbhub serve" in (tmp_path / WEB_UNIT).read_text()


def test_deploy_systemd_print_shows_the_units_and_writes_nothing(runner, tmp_path):
    result = runner.invoke(args=deploy_args(tmp_path / "units", "--print"))
    assert result.exit_code == 0, result.output
    assert "Description=Postback Hub worker %i" in result.output
    assert f"# {tmp_path / 'units' / 'bin' / ADMIN}" in result.output
    assert not (tmp_path / "units").exists()


# pbhub-admin ------------------------------------------------------------------------------


def test_the_shipped_pbhub_admin_is_the_one_rendered_for_the_documented_layout():
    shipped = DEPLOY / ADMIN
    assert shipped.read_text() == service_files.admin_command(DOCUMENTED)
    assert os.access(shipped, os.X_OK)


def test_deploy_systemd_writes_an_executable_pbhub_admin(runner, tmp_path):
    result = runner.invoke(args=deploy_args(tmp_path, "--user", "root"))
    assert result.exit_code == 0, result.output
    admin = tmp_path / "bin" / ADMIN
    assert os.access(admin, os.X_OK)
    assert f"runuser -u root -- {Path(sys.executable).parent / 'pbhub'} " in admin.read_text()


def test_pbhub_admin_runs_pbhub_with_the_environment_file(tmp_path):
    env_file = tmp_path / "pbhub.env"
    env_file.write_text(
        "# the hub's settings\n"
        f"DATABASE_URL=sqlite:///{tmp_path / 'hub.sqlite3'}\n"
        f"SECRET_KEY={'k' * 24}Q3v9-x_Lm2Pz7RtY8wN4bH6cJ1sD5fG0\n"
    )
    admin, env = pbhub_admin(tmp_path, env_file)
    done = subprocess.run(
        [str(admin), "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "database upgraded from revision none (empty) to" in done.stdout
    assert (tmp_path / "hub.sqlite3").is_file()


def test_pbhub_admin_says_to_run_it_as_root_when_it_cannot_read_the_file(tmp_path):
    admin, env = pbhub_admin(tmp_path, tmp_path / "absent.env")
    done = subprocess.run([str(admin), "db", "current"], env=env, capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr == (
        f"pbhub-admin: cannot read {tmp_path / 'absent.env'}: run it as root "
        "(sudo pbhub-admin ...)\n"
    )


# nginx and the environment ------------------------------------------------------------------


def test_the_deploy_guide_shows_the_shipped_nginx_site():
    shipped = (DEPLOY / "nginx" / "pbhub.conf").read_text()
    server_blocks = shipped[shipped.index("server {") :]
    assert fenced_block_after("`/etc/nginx/sites-available/pbhub`", "nginx") == server_blocks


def test_the_example_environment_is_one_the_hub_accepts_once_filled_in(tmp_path):
    from app import config

    example = (DEPLOY / "pbhub.env.example").read_text()
    values = dict(
        line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#")
    )
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PBHUB_BASE_URL"} <= set(values)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        config.load(values, str(tmp_path))
    filled = {**values, "SECRET_KEY": "k" * 24 + "Q3v9-x_Lm2Pz7RtY8wN4bH6cJ1sD5fG0"}
    assert config.load(filled, str(tmp_path))["PBHUB_BASE_URL"] == "https://hub.example.com"


# Containers ---------------------------------------------------------------------------------


def test_the_image_runs_pbhub_serve_as_a_user_and_checks_its_health():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^USER pbhub$", dockerfile, re.M)
    assert 'CMD ["pbhub", "serve"]' in dockerfile
    assert "/healthz" in dockerfile.split("HEALTHCHECK", 1)[1]
    for source in re.findall(r"^COPY (.+) \S+$", dockerfile, re.M):
        for path in source.split():
            assert (ROOT / path).exists(), f"the Dockerfile copies {path}, which is not here"


def test_the_compose_file_runs_web_worker_postgresql_and_redis():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"web", "worker", "postgres", "redis", "migrate"} <= set(services)
    assert services["web"]["command"] == ["pbhub", "serve"]
    assert services["worker"]["command"] == ["pbhub", "worker"]
    assert services["web"]["ports"] == ["127.0.0.1:5000:5000"]
    assert services["web"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )


def test_docker_compose_accepts_the_compose_file(tmp_path):
    command = compose_command()
    if command is None:
        if REQUIRE_SERVICES:
            pytest.fail("Docker Compose is required here (PBHUB_REQUIRE_SERVICES=1)")
        pytest.skip("Docker Compose is not installed (apt-get install docker-compose)")
    env = {**os.environ, "SECRET_KEY": "x" * 48, "POSTGRES_PASSWORD": "p" * 16}
    result = subprocess.run(
        [*command, "-f", str(DEPLOY / "compose.yaml"), "config", "--quiet"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_docker_compose_names_the_settings_left_to_fill_in():
    command = compose_command()
    if command is None:
        if REQUIRE_SERVICES:
            pytest.fail("Docker Compose is required here (PBHUB_REQUIRE_SERVICES=1)")
        pytest.skip("Docker Compose is not installed (apt-get install docker-compose)")
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "POSTGRES_PASSWORD")}
    result = subprocess.run(
        [*command, "-f", str(DEPLOY / "compose.yaml"), "config", "--quiet"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "set POSTGRES_PASSWORD in deploy/.env" in result.stderr or (
        "set SECRET_KEY in deploy/.env" in result.stderr
    )
