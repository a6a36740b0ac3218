"""The database a backup is taken from or restored into, and what it holds."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, create_engine, func, inspect, or_, select
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import column, table

from app.core.keys import derive
from app.services.errors import DomainError

REVISION_TABLE = "alembic_version"

Progress = Callable[[str], None]

#: Tables an operator counts in, named as they would say them (singular, plural).
PRINCIPAL = {
    "sources": ("source", "sources"),
    "conversions": ("conversion", "conversions"),
    "clicks": ("click", "clicks"),
    "users": ("user", "users"),
    "outbound_postbacks": ("outbound postback", "outbound postbacks"),
    "keitaro_connections": ("Keitaro connection", "Keitaro connections"),
}
#: What each table's ``*_ciphertext`` columns hold, for the sentence that says what a
#: different SECRET_KEY would cost.
SECRET_KINDS = {
    "sources": "sources' Postback URL tokens",
    "keitaro_connections": "Keitaro API and postback keys",
    "outbound_postbacks": "outbound postbacks' signing secrets and Keitaro postback keys",
}


class BackupError(DomainError):
    """What a backup or a restore could not do, as sentences for the operator."""

    def __init__(self, *lines: str) -> None:
        super().__init__(" ".join(lines))
        self.lines = list(lines)


@dataclass(frozen=True)
class Database:
    """The database DATABASE_URL names, by the app's SQLAlchemy URL."""

    uri: str

    @property
    def url(self) -> URL:
        return make_url(self.uri)

    @property
    def backend(self) -> str:
        return "sqlite" if self.url.get_backend_name() == "sqlite" else "postgresql"

    @property
    def path(self) -> Path:
        """The SQLite file (a relative path from the current directory, as SQLite opens it)."""
        name = self.url.database or ""
        if not name or name == ":memory:" or name.startswith("file:"):
            raise BackupError(
                "DATABASE_URL names an in-memory SQLite database, which no other process "
                "can read: set it to a sqlite:/// URL of a file, or leave it unset"
            )
        return Path(name).expanduser().resolve()

    @property
    def shown(self) -> str:
        """Where it is, for a sentence: the file, or the URL with its password masked."""
        if self.backend == "sqlite":
            return str(self.path)
        return self.url.set(drivername="postgresql").render_as_string(hide_password=True)

    @property
    def libpq_uri(self) -> str:
        """The URL for pg_dump, pg_restore and psql without its password, which goes in
        their environment: a command line is visible to every user of the machine."""
        url = self.url.set(drivername="postgresql")._replace(password=None)
        return url.difference_update_query(["password"]).render_as_string(hide_password=False)

    def tool_environment(self) -> dict[str, str]:
        env = dict(os.environ)
        password = self.url.password or self.url.query.get("password")
        if isinstance(password, str) and password:
            env["PGPASSWORD"] = password
        return env

    def engine(self) -> Engine:
        if self.backend == "sqlite":
            # mode=rw: looking at a database never creates its file.
            uri = f"{self.path.as_uri()}?mode=rw"
            return create_engine(
                "sqlite://",
                creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False),
                poolclass=NullPool,
            )
        return create_engine(self.url, poolclass=NullPool, connect_args={"connect_timeout": 10})

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection of its own, closed after: a database that does not answer is a
        sentence (``unreachable``), never a traceback."""
        engine = self.engine()
        try:
            with engine.connect() as connection:
                yield connection
        except DBAPIError as exc:
            raise unreachable(self, exc) from None
        finally:
            engine.dispose()


def unreachable(database: Database, exc: BaseException) -> BackupError:
    """A sentence for a PostgreSQL database that did not answer or refused a query."""
    said = str(getattr(exc, "orig", exc)).strip()
    name = database.url.database or ""
    if not isinstance(exc, OperationalError):
        first = said.splitlines()[0] if said else "no reason given"
        return BackupError(
            f"PostgreSQL refused a query on {database.shown} (does the user in DATABASE_URL "
            f"own the hub's tables?): {first}"
        )
    if f'database "{name}" does not exist' in said:
        return BackupError(
            f"the database {name} does not exist on the server DATABASE_URL names "
            f"({database.shown}): create it (createdb {name} --owner …) and run again"
        )
    if "password authentication failed" in said or "no password supplied" in said:
        return BackupError(
            f"the PostgreSQL server refused the user and password in DATABASE_URL "
            f"({database.shown}): check them"
        )
    return BackupError(
        f"cannot connect to the database at {database.shown}: is PostgreSQL running there, "
        "and is DATABASE_URL right?"
    )


@dataclass
class Census:
    """Rows per table (the revision table aside), the Alembic revision, and per table how
    many rows hold a secret encrypted with a key derived from SECRET_KEY."""

    tables: dict[str, int] = field(default_factory=dict)
    revision: str | None = None
    secrets: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    @property
    def empty(self) -> bool:
        """Nothing to lose: no tables, or tables without rows (a database that was just
        migrated holds its revision and nothing else)."""
        return self.rows == 0


def census(connection: Connection) -> Census:
    """What the database holds, read in the connection's transaction (a backup reads it
    in the snapshot it dumps)."""
    inspector = inspect(connection)
    found = Census()
    for name in sorted(inspector.get_table_names()):
        if name == REVISION_TABLE:
            found.revision = connection.scalar(
                select(column("version_num")).select_from(table(name)).limit(1)
            )
            continue
        found.tables[name] = connection.scalar(select(func.count()).select_from(table(name)))
        encrypted = [
            column(c["name"])
            for c in inspector.get_columns(name)
            if c["name"].endswith("_ciphertext")
        ]
        if encrypted and found.tables[name]:
            held = connection.scalar(
                select(func.count())
                .select_from(table(name))
                .where(or_(*(c.is_not(None) for c in encrypted)))
            )
            if held:
                found.secrets[name] = held
    return found


def listing(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def holdings(tables: dict[str, int]) -> str:
    """``3 sources, 1,204 conversions and 12 rows in 2 other tables``."""
    parts = []
    for name, (one, many) in PRINCIPAL.items():
        count = tables.get(name, 0)
        if count:
            parts.append(f"{count:,} {one if count == 1 else many}")
    others = {n: c for n, c in tables.items() if n not in PRINCIPAL and c}
    if others:
        where = f"{len(others)} other table{'s' if len(others) > 1 else ''}"
        parts.append(f"{rows(sum(others.values()))} in {where}")
    return listing(parts) if parts else "nothing"


def secret_kinds(secrets: dict[str, int]) -> str:
    kinds = [SECRET_KINDS.get(name, f"the secrets in {name}") for name in sorted(secrets)]
    return listing(kinds) if kinds else ""


def key_fingerprint(secret_key: str) -> str:
    """Tells two SECRET_KEYs apart. A hash of a key derived for this purpose alone: it
    gives away none of the keys the hub signs and encrypts with."""
    return hashlib.sha256(derive(secret_key, "backup-fingerprint:v1")).hexdigest()[:32]


def rows(count: int) -> str:
    return f"{count:,} row{'' if count == 1 else 's'}"


def size(count: int) -> str:
    amount = float(count)
    for unit in ("bytes", "kB", "MB"):
        if amount < 1000:
            return f"{count:,} bytes" if unit == "bytes" else f"{amount:.1f} {unit}"
        amount /= 1000
    return f"{amount:.1f} GB"
