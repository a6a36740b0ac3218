"""``make test-all``: the whole suite, on throwaway PostgreSQL and Redis servers.

A plain ``make test`` skips what needs a server that is not configured and says so in
its last line. This starts the missing ones from the machine's own binaries (PostgreSQL's
``initdb``/``pg_ctl``, ``redis-server``) in a temporary directory on free ports, runs
pytest against them, and removes them afterwards, whatever happened. A server already
configured (``DATABASE_URL``, ``REDIS_URL``) is used as it is.

Every test must run: with all servers, Chromium and Docker Compose at hand the run is made with
``PBHUB_REQUIRE_SERVICES=1``, so nothing is skipped silently. What the machine cannot
provide is named before the run starts, with how to install it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the ``postgres`` user."""
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser is None:
        raise RuntimeError("PostgreSQL cannot run as root and runuser is not installed")
    return [runuser, "-u", "postgres", "--", *command]


@contextlib.contextmanager
def postgres(workdir: Path) -> Iterator[str]:
    initdb, pg_ctl = postgres_binary("initdb"), postgres_binary("pg_ctl")
    if not initdb or not pg_ctl:
        raise RuntimeError("PostgreSQL's initdb and pg_ctl are not installed")
    data = workdir / "postgres"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres")
        shutil.chown(data, "postgres")
    port = free_port()
    run = subprocess.run
    run(
        as_postgres_user([initdb, "-D", str(data), "-A", "trust", "-U", "postgres"]),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(
        as_postgres_user(
            [pg_ctl, "-D", str(data), "-o", options, "-w", "-l", str(data / "log"), "start"]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        run(
            as_postgres_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )


@contextlib.contextmanager
def redis(workdir: Path) -> Iterator[str]:
    server = shutil.which("redis-server")
    if not server:
        raise RuntimeError("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


def has_compose() -> bool:
    """``docker compose`` (the plugin) or ``docker-compose``: the compose file's check."""
    if shutil.which("docker-compose"):
        return True
    docker = shutil.which("docker")
    return (
        bool(docker)
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    )


def main(pytest_args: list[str]) -> int:
    env = dict(os.environ)
    missing = []
    with (
        tempfile.TemporaryDirectory(prefix="pbhub-test-all-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        workdir = Path(tmp)
        for name, variable, start in (
            ("PostgreSQL", "DATABASE_URL", postgres),
            ("Redis", "REDIS_URL", redis),
        ):
            if env.get(variable):
                print(f"test-all: {name} from {variable}", flush=True)
                continue
            try:
                env[variable] = stack.enter_context(start(workdir))
                print(f"test-all: a throwaway {name} at {env[variable]}", flush=True)
            except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
                missing.append(f"{name} ({exc})")
        if not Path(CHROMIUM).exists():
            missing.append(f"Chromium (apt-get install chromium puts it at {CHROMIUM})")
        if not has_compose():
            missing.append("Docker Compose (apt-get install docker-compose)")
        if missing:
            print(
                f"test-all: cannot provide {'; '.join(missing)}: those tests are skipped",
                flush=True,
            )
        else:
            env["PBHUB_REQUIRE_SERVICES"] = "1"
        return subprocess.call([sys.executable, "-m", "pytest", *pytest_args], env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
