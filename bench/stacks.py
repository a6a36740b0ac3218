"""The two deployments the benchmark compares, and the throwaway stores behind them.

* ``pg``: PostgreSQL and Redis, as a scaled-out deployment runs. The database is
  created for the run and dropped after it; Redis gets a database of its own (15).
* ``embedded``: the default with nothing to install, SQLite in a temporary directory
  and no Redis (background jobs run in the web process).

Each store is an object whose ``close()`` is safe to call twice, so the benchmark can
release it as soon as its configuration is done and again, harmlessly, on the way out.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
from psycopg import sql

from bench.server import REPO, BenchError, venv_script

LABELS = {"pg": "postgresql+redis", "embedded": "embedded"}
OFFER_URL = "https://offer.example/lp"
# A fixed, public key: it only ever signs data in databases dropped after the run.
SECRET_KEY = "pbhub-bench-fixed-secret-key-not-for-any-real-deployment"


class ThrowawayDatabase:
    """A PostgreSQL database named ``pbhub_bench_<random>``, dropped on ``close()``."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.name = f"pbhub_bench_{secrets.token_hex(4)}"
        self._created = False

    def create(self) -> str:
        """Create the database and return its URL (the admin URL with its name)."""
        try:
            with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        except psycopg.Error as exc:
            raise BenchError(
                f"cannot create a database through {self.admin_url} ({exc}); "
                "point BENCH_PG_ADMIN_URL at a PostgreSQL role allowed to CREATE DATABASE"
            ) from None
        self._created = True
        parts = urlsplit(self.admin_url)
        return urlunsplit(parts._replace(path=f"/{self.name}"))

    def close(self) -> None:
        if not self._created:
            return
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )
        self._created = False


class ScratchRedis:
    """The Redis database the app queues jobs in; emptied on ``close()`` if it was empty.

    Refusing to flush a database that held keys before the run keeps a mistyped
    BENCH_REDIS_URL from wiping someone's data; the run says so instead.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
        try:
            self.was_empty = self._client.dbsize() == 0
        except redis.RedisError as exc:
            raise BenchError(
                f"Redis at {url} is not reachable ({exc}); set BENCH_REDIS_URL"
            ) from None
        self._closed = False

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.was_empty:
            self._client.flushdb()
        self._client.close()


def base_env(environ: dict[str, str], port: int) -> dict[str, str]:
    """The caller's environment with the settings every configuration shares."""
    env = {k: v for k, v in environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        SECRET_KEY=SECRET_KEY,
        PBHUB_BASE_URL=f"http://127.0.0.1:{port}",
        PBHUB_ACCESS_LOG="",
    )
    return env


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'pbhub.sqlite3'}"


def pbhub(args: list[str], env: dict[str, str]) -> str:
    """Run a ``pbhub`` command of this environment; its standard output."""
    command = [str(venv_script("pbhub")), *args]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"pbhub {' '.join(args)} failed:\n{done.stderr or done.stdout}")
    return done.stdout


@dataclass(frozen=True)
class SourcePaths:
    postback_path: str
    track_path: str


def prepare(env: dict[str, str]) -> SourcePaths:
    """Migrate the database and create the one source the load goes to."""
    pbhub(["db", "upgrade"], env)
    created: dict[str, Any] = json.loads(
        pbhub(["sources", "create", "--name", "bench", "--offer-url", OFFER_URL], env)
    )
    return SourcePaths(
        postback_path=urlsplit(created["postback_url"]).path,
        track_path=urlsplit(created["track_url"]).path,
    )
