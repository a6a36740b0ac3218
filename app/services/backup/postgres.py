"""PostgreSQL: ``pg_dump --format=custom`` in the snapshot the manifest was counted in, and
a restore that drops what was there and loads the dump in one transaction.

The client tools must be at least as new as what they work with (pg_dump as the server,
pg_restore as the pg_dump that made the file), so the newest installed copy is used:
Debian and Ubuntu keep one per version under ``/usr/lib/postgresql/<version>/bin``.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import tempfile
import threading
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, text

from app.services.backup.archive import CHUNK, POSTGRES_DUMP, Manifest, extract_dump
from app.services.backup.database import (
    REVISION_TABLE,
    BackupError,
    Census,
    Database,
    Progress,
    census,
    rows,
)

CLIENT_DIRS = "/usr/lib/postgresql/*/bin"
#: How long a restore waits for a table a running hub holds before it gives up.
LOCK_TIMEOUT = "10s"


@dataclass(frozen=True)
class Tool:
    path: str
    major: int
    version: str


def _version(path: str) -> Tool | None:
    try:
        answer = subprocess.run(  # noqa: S603 (a PostgreSQL client tool, found by name)
            [path, "--version"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"\(PostgreSQL\)\s+((\d+)\S*)", answer.stdout)
    if answer.returncode != 0 or not found:
        return None
    return Tool(path, int(found.group(2)), found.group(1))


def installed(name: str) -> list[Tool]:
    """Every copy of a client tool: the one on PATH and each version's own."""
    paths = [p for p in [shutil.which(name)] if p]
    paths += sorted(glob.glob(os.path.join(CLIENT_DIRS, name)))
    return [tool for path in dict.fromkeys(paths) if (tool := _version(path))]


def find_tool(name: str, at_least: int, needed_for: str) -> Tool:
    """The newest copy of ``name``, if it is new enough."""
    tools = installed(name)
    package = f"postgresql-client-{at_least}"
    how = f"Debian and Ubuntu: apt-get install {package}, from apt.postgresql.org if your "
    how += "release lacks it"
    if not tools:
        raise BackupError(
            f"{name} is not installed (looked on PATH and in {CLIENT_DIRS}): install "
            f"PostgreSQL's client tools, version {at_least} or newer ({how})"
        )
    best = max(tools, key=lambda tool: tool.major)
    if best.major < at_least:
        raise BackupError(
            f"{name} {best.version} ({best.path}) is older than {needed_for} (PostgreSQL "
            f"{at_least}) and cannot work with it: install {package} or newer ({how})"
        )
    return best


def server_major(connection: Connection) -> int:
    return int(connection.scalar(text("SHOW server_version_num"))) // 10000


_TABLE_LINE = re.compile(r'(?:dumping contents of|processing data for) table "(?:[^"]+\.)?([^"]+)"')
_ERROR_LINE = re.compile(r"(?:^|\s)(?:ERROR|FATAL|error):\s*(.*)")


class _Follower(threading.Thread):
    """Reads a tool's stderr while it runs: table lines become progress, errors are kept
    for the sentence. Reading it at all keeps a chatty tool from blocking on a full pipe."""

    def __init__(self, stream: IO[bytes], tables: dict[str, int], progress: Progress) -> None:
        super().__init__(daemon=True)
        self.stream, self.tables, self.progress = stream, tables, progress
        self.errors: list[str] = []

    def run(self) -> None:
        for raw in self.stream:
            line = raw.decode("utf-8", "replace").rstrip()
            if table := _TABLE_LINE.search(line):
                if table.group(1) != REVISION_TABLE:
                    self.progress(f"  {table.group(1)}: {rows(self.tables.get(table.group(1), 0))}")
            elif error := _ERROR_LINE.search(line):
                self.errors.append(error.group(1).strip())

    @property
    def said(self) -> str:
        return self.errors[0] if self.errors else "no reason given"


def dump(database: Database, target: Path, progress: Progress) -> tuple[Census, dict[str, int]]:
    """pg_dump in the snapshot this transaction exports: the manifest's row counts are
    exactly the dump's, however busy the hub is meanwhile."""
    with database.connect() as connection:
        connection = connection.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
        with connection.begin():
            server = server_major(connection)
            tool = find_tool("pg_dump", server, "the server DATABASE_URL names")
            snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
            found = census(connection)
            progress(f"dumping {database.shown} (PostgreSQL {server}) with {tool.path}")
            _pg_dump(tool, database, snapshot, target, found, progress)
    return found, {"server_version": server, "dump_tool_version": tool.major}


def _pg_dump(
    tool: Tool, database: Database, snapshot: str, target: Path, found: Census, progress: Progress
) -> None:
    process = subprocess.Popen(  # noqa: S603 (no shell; the password is in the environment)
        [
            tool.path,
            "--format=custom",
            f"--snapshot={snapshot}",
            f"--file={target}",
            "--verbose",
            f"--dbname={database.libpq_uri}",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=database.tool_environment(),
    )
    assert process.stderr is not None
    follower = _Follower(process.stderr, found.tables, progress)
    follower.start()
    code = process.wait()
    follower.join()
    if code != 0:
        raise BackupError(f"pg_dump could not dump {database.shown}: {follower.said}")


def check_target(connection: Connection, database: Database, manifest: Manifest) -> None:
    server = server_major(connection)
    if manifest.server_version and server < manifest.server_version:
        raise BackupError(
            f"this backup comes from PostgreSQL {manifest.server_version}, and "
            f"{database.shown} runs PostgreSQL {server}: restore it into PostgreSQL "
            f"{manifest.server_version} or newer"
        )


def restore(database: Database, archive: Path, manifest: Manifest, progress: Progress) -> None:
    made_by = max(manifest.dump_tool_version or 0, 10)
    pg_restore = find_tool("pg_restore", made_by, "the pg_dump that made this backup")
    psql = _sibling(pg_restore, "psql") or find_tool("psql", made_by, "this backup")
    with database.connect() as connection:
        drops = _drop_statements(connection)
    with tempfile.TemporaryDirectory(prefix="pbhub-restore-") as work:
        target = Path(work) / POSTGRES_DUMP
        extract_dump(archive, manifest, target, progress)
        progress(f"restoring into {database.shown} in one transaction with {pg_restore.path}")
        _pipe(pg_restore, psql, target, drops, database, manifest, progress)
    with database.connect() as connection:
        progress("analysing the restored tables for PostgreSQL's query planner")
        connection.execute(text("ANALYZE"))
        connection.commit()


def _sibling(tool: Tool, name: str) -> Tool | None:
    """psql of pg_restore's own installation understands every line pg_restore writes."""
    path = os.path.join(os.path.dirname(tool.path), name)
    return _version(path) if os.access(path, os.X_OK) else None


def _drop_statements(connection: Connection) -> list[str]:
    """Everything in the schema the hub lives in (tables, sequences, trigger functions,
    types), dropped in the restore's own transaction: whatever the database held, from an
    older version or a newer one, nothing of it is left to collide with the backup."""
    relations = """
        SELECT 'DROP ' || CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                   WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END
               || format(' IF EXISTS %I.%I CASCADE;', n.nspname, c.relname)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
        ORDER BY CASE c.relkind WHEN 'v' THEN 0 WHEN 'm' THEN 0 WHEN 'S' THEN 2 ELSE 1 END,
                 c.relname
    """
    routines = """
        SELECT format('DROP ROUTINE IF EXISTS %I.%I(%s) CASCADE;', n.nspname, p.proname,
                      pg_get_function_identity_arguments(p.oid))
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = current_schema() AND p.prokind IN ('f', 'p')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
        ORDER BY p.proname
    """
    types = """
        SELECT format('DROP TYPE IF EXISTS %I.%I CASCADE;', n.nspname, t.typname)
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = current_schema() AND t.typtype IN ('e', 'd', 'r')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')
        ORDER BY t.typname
    """
    return [
        statement
        for query in (relations, routines, types)
        for statement in connection.scalars(text(query))
    ]


def _pipe(
    pg_restore: Tool,
    psql: Tool,
    dump_file: Path,
    drops: list[str],
    database: Database,
    manifest: Manifest,
    progress: Progress,
) -> None:
    """pg_restore writes the dump as SQL, psql runs it after the drops in one transaction.
    COMMIT is sent only once pg_restore has ended well: a dump that breaks off half-way,
    a failed statement or an interruption leaves the database as it was."""
    env = database.tool_environment()
    writer = subprocess.Popen(  # noqa: S603 (no shell; our own temporary file)
        [pg_restore.path, "--no-owner", "--no-privileges", "--verbose", "--file=-", str(dump_file)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    runner = subprocess.Popen(  # noqa: S603 (no shell; the password is in the environment)
        [
            psql.path,
            "--no-psqlrc",
            "--quiet",
            "--set=ON_ERROR_STOP=1",
            f"--dbname={database.libpq_uri}",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert writer.stdout and writer.stderr and runner.stdin and runner.stderr
    reading = _Follower(writer.stderr, manifest.tables, progress)
    running = _Follower(runner.stderr, {}, progress)
    reading.start()
    running.start()
    committed = False
    try:
        runner.stdin.write(
            "\n".join(
                ["BEGIN;", f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}';", *drops, ""]
            ).encode()
        )
        shutil.copyfileobj(writer.stdout, runner.stdin, CHUNK)
        if writer.wait() == 0:
            runner.stdin.write(b"\nCOMMIT;\n")
            committed = True
    except BrokenPipeError:
        committed = False
    finally:
        with suppress(BrokenPipeError):
            runner.stdin.close()
        if writer.poll() is None:
            writer.kill()
        writer.wait()
        runner.wait()
        reading.join()
        running.join()
    if writer.returncode != 0:
        raise BackupError(
            f"pg_restore could not read the backup's dump ({reading.said}); nothing was "
            f"changed in {database.shown}"
        )
    if runner.returncode != 0 or not committed:
        if "lock timeout" in running.said:
            raise BackupError(
                f"{database.shown} is in use: stop the hub's web and worker processes (and any "
                "other pbhub command on it), then restore again; nothing was changed"
            )
        raise BackupError(
            f"restoring into {database.shown} failed, and nothing was changed (the restore "
            f"runs in one transaction); psql said: {running.said}"
        )
