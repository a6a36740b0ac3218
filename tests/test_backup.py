"""``pbhub backup`` and ``pbhub restore``: the whole database to one file and back.

A hub is seeded once per backend and module (migrated, then filled by the service behind
``pbhub dev seed`` plus users, tokens, outbound postbacks and a rejected postback) and
backed up; most tests restore that file into a database of their own.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import tarfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask_migrate import upgrade
from sqlalchemy import (
    Column,
    MetaData,
    String,
    Table,
    create_engine,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from app.models.types import utcnow
from app.runtime import keyring
from app.services import backup as service
from app.services import outbound as outbound_service
from app.services import rollups, seed
from app.services import users as user_service
from app.services.backup import postgres
from tests.conftest import HEAD, pbhub_admin, postgres_uri

SMALL = seed.Plan(clicks=2_000, conversions=300, days=3, sources=3)
DEPLOY = Path(__file__).resolve().parent.parent / "docs" / "deploy.md"
REVISIONS = Table("alembic_version", MetaData(), Column("version_num", String, primary_key=True))


@contextmanager
def hub(uri: str, **config: Any) -> Iterator[Any]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "TESTING": True, **config})
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def pbhub(uri: str, *args: str, **config: Any) -> Any:
    """``pbhub ARGS`` on the database at ``uri``."""
    with hub(uri, **config) as app:
        return app.test_cli_runner().invoke(args=list(args))


class Pool:
    """Empty databases of one backend for the module. A PostgreSQL one is emptied and
    handed out again, not dropped: dropping a database costs a checkpoint, about a second."""

    def __init__(self, like: str, directory: Path) -> None:
        self.url, self.directory = make_url(like), directory
        self.made: list[str] = []
        self.free: list[str] = []

    @property
    def backend(self) -> str:
        return self.url.get_backend_name()

    def take(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.directory / f'hub-{uuid.uuid4().hex[:8]}.sqlite3'}"
        if self.free:
            return self.free.pop()
        name = f"pbhub_backup_{uuid.uuid4().hex[:10]}"
        self._run("postgres", f'CREATE DATABASE "{name}"')
        self.made.append(self.url.set(database=name).render_as_string(hide_password=False))
        return self.made[-1]

    def give_back(self, uri: str) -> None:
        if self.backend == "postgresql":
            self._run(make_url(uri).database, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
            self.free.append(uri)

    def close(self) -> None:
        for uri in self.made:
            self._run(
                "postgres", f'DROP DATABASE IF EXISTS "{make_url(uri).database}" WITH (FORCE)'
            )

    def _run(self, database: str | None, statement: str) -> None:
        engine = create_engine(self.url.set(database=database), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(statement))
        engine.dispose()


@pytest.fixture(scope="module")
def pools(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Pool]]:
    made: dict[str, Pool] = {}

    def pool(database_uri: str) -> Pool:
        backend = make_url(database_uri).get_backend_name()
        if backend not in made:
            made[backend] = Pool(database_uri, tmp_path_factory.mktemp(f"databases-{backend}"))
        return made[backend]

    yield pool
    for each in made.values():
        each.close()


class Databases:
    """The test's empty databases, given back to the pool when it ends."""

    def __init__(self, pool: Pool) -> None:
        self.pool, self.taken = pool, []

    @property
    def backend(self) -> str:
        return self.pool.backend

    def new(self) -> str:
        self.taken.append(self.pool.take())
        return self.taken[-1]


@dataclass
class Seeded:
    uri: str
    path: Path


def seed_hub(uri: str) -> None:
    """Every kind of row an operator's hub holds, secrets included."""
    with hub(uri) as app:
        upgrade()
        seed.seed(SMALL, keyring(), "http://hub.test", utcnow(), lambda _n: None)
        rollups.catch_up()
        admin = user_service.create_user("admin@example.test", "x" * 16, admin=True)
        user_service.create_token(admin, "deploy")
        user_service.create_user("ana@example.test", "y" * 16)
        outbound_service.create_outbound(
            {"name": "crm", "preset": "signed_webhook", "url": "https://crm.example.test/h"},
            keyring(),
        )
        outbound_service.create_outbound(
            {
                "name": "tracker",
                "preset": "keitaro",
                "tracker_url": "https://tracker.example.test",
                "postback_key": "keitaro-postback-key",
            },
            keyring(),
        )
        assert app.test_client().get("/pb/not-a-token-of-ours").status_code == 403


@pytest.fixture(scope="module")
def seeded_backups(
    pools: Callable[[str], Pool], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Seeded]:
    made: dict[str, Seeded] = {}

    def get(database_uri: str) -> Seeded:
        backend = make_url(database_uri).get_backend_name()
        if backend not in made:
            directory = tmp_path_factory.mktemp(f"seeded-{backend}")
            uri = pools(database_uri).take()
            seed_hub(uri)
            result = pbhub(uri, "backup", "--output", str(directory))
            assert result.exit_code == 0, result.output
            made[backend] = Seeded(uri, next(directory.glob("*.pbhub-backup")))
        return made[backend]

    return get


@pytest.fixture
def seeded(database_uri: str, seeded_backups: Callable[[str], Seeded]) -> Seeded:
    return seeded_backups(database_uri)


@pytest.fixture
def databases(database_uri: str, pools: Callable[[str], Pool]) -> Iterator[Databases]:
    taken = Databases(pools(database_uri))
    yield taken
    for uri in taken.taken:
        taken.pool.give_back(uri)


def rows(uri: str) -> dict[str, list[tuple]]:
    """Every table of the models and the revision, row by row in primary key order."""
    engine = create_engine(uri)
    try:
        with engine.connect() as connection:
            return {
                table.name: [
                    tuple(row)
                    for row in connection.execute(
                        select(table).order_by(*(table.primary_key.columns or table.columns))
                    )
                ]
                for table in [*db.metadata.sorted_tables, REVISIONS]
            }
    finally:
        engine.dispose()


def count(uri: str, table: str) -> int:
    engine = create_engine(uri)
    with engine.connect() as connection:
        found = connection.scalar(select(func.count()).select_from(text(table)))
    engine.dispose()
    return found


def nothing_restored(uri: str) -> bool:
    url = make_url(uri)
    if url.get_backend_name() == "sqlite" and not Path(url.database).exists():
        return True
    engine = create_engine(uri)
    try:
        return inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def add_user(uri: str, email: str) -> None:
    with hub(uri):
        upgrade()
        user_service.create_user(email, "z" * 16)


def test_a_seeded_hub_round_trips_through_backup_and_restore_table_for_table(seeded, databases):
    target = databases.new()
    result = pbhub(target, "restore", str(seeded.path))
    assert result.exit_code == 0, result.output
    before, after = rows(seeded.uri), rows(target)
    held = ("sources", "clicks", "conversions", "conversion_status_changes", "users")
    held += ("api_tokens", "outbound_postbacks", "keitaro_connections", "rejected_postbacks")
    held += ("stats_clicks_hourly", "stats_conversions_hourly", "alembic_version")
    assert all(before[name] for name in held)
    assert set(after) == set(before)
    for name in before:
        assert after[name] == before[name], f"{name} differs after the restore"
    assert "restored 22 tables" in result.output
    assert "3 sources, 315 conversions, 2,000 clicks, 2 users" in result.output


def test_backup_says_what_it_wrote_and_where_secret_key_must_be_kept(seeded, tmp_path):
    result = pbhub(seeded.uri, "backup", "--output", str(tmp_path))
    assert result.exit_code == 0, result.output
    written = next(tmp_path.glob("pbhub-*.pbhub-backup"))
    assert re.fullmatch(r"pbhub-\d{4}-\d\d-\d\dT\d{6}Z\.pbhub-backup", written.name)
    assert f"wrote {written} (" in result.output
    assert "  clicks: 2,000 rows\n" in result.output
    assert "SECRET_KEY is not in the backup" in result.output
    assert written.stat().st_mode & 0o777 == 0o600
    manifest = service.read_manifest(written)
    assert manifest.tables["clicks"] == 2_000
    assert manifest.revision and manifest.key_fingerprint
    assert os.environ["SECRET_KEY"] not in written.read_bytes().decode("latin-1")


def test_a_restored_hub_numbers_new_rows_after_the_restored_ones(seeded, databases):
    target = databases.new()
    assert pbhub(target, "restore", str(seeded.path)).exit_code == 0
    with hub(target):
        user = user_service.create_user("new@example.test", "n" * 16)
        assert user.id > max(row[0] for row in rows(seeded.uri)["users"])


def test_restore_refuses_a_database_that_holds_data_without_force(seeded, databases):
    target = databases.new()
    add_user(target, "someone@example.test")
    result = pbhub(target, "restore", str(seeded.path))
    assert result.exit_code == 1
    assert "already holds 1 user; restoring would replace them: add --force" in result.output
    assert [row[1] for row in rows(target)["users"]] == ["someone@example.test"]


def test_restore_with_force_replaces_the_data_and_keeps_a_sqlite_file_aside(seeded, databases):
    target = databases.new()
    add_user(target, "someone@example.test")
    result = pbhub(target, "restore", "--force", "--yes", str(seeded.path))
    assert result.exit_code == 0, result.output
    assert rows(target) == rows(seeded.uri)
    if databases.backend == "sqlite":
        kept = Path(make_url(target).database + ".before-restore")
        assert f"kept as {kept}" in result.output
        assert [row[1] for row in rows(f"sqlite:///{kept}")["users"]] == ["someone@example.test"]


def test_force_without_yes_in_a_script_is_told_to_add_yes(seeded, databases):
    target = databases.new()
    add_user(target, "someone@example.test")
    result = pbhub(target, "restore", "--force", str(seeded.path))
    assert result.exit_code == 1
    assert "add --yes to restore without being asked" in result.output
    assert count(target, "users") == 1


def test_restore_refuses_a_backup_made_with_another_secret_key(seeded, databases):
    target = databases.new()
    result = pbhub(target, "restore", str(seeded.path), SECRET_KEY="another-key-" + "q" * 40)
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "made with another SECRET_KEY than this hub's" in said
    assert "Keitaro API and postback keys" in said
    assert "outbound postbacks' signing secrets" in said
    assert "sources' Postback URL tokens" in said
    assert said.endswith("set SECRET_KEY to the old key, or add --force")
    assert nothing_restored(target)


def test_restore_refuses_a_backup_of_the_other_backend(seeded, tmp_path):
    if make_url(seeded.uri).get_backend_name() == "sqlite":
        other, says = postgres_uri(), "is a backup of a SQLite database (the embedded default)"
    else:
        other, says = f"sqlite:///{tmp_path / 'hub.sqlite3'}", "is a backup of a PostgreSQL"
    result = pbhub(other, "restore", str(seeded.path))
    assert result.exit_code == 1
    assert says in result.output
    assert "a backup restores into the backend it was made from" in " ".join(result.output.split())


DAMAGE = {
    "foreign": lambda data: b"PK\x03\x04 not a backup at all " * 40,
    "cut short": lambda data: data[: len(data) * 2 // 3],
    "a changed byte": lambda data: (
        data[: len(data) // 2] + bytes([data[len(data) // 2] ^ 0xFF]) + data[len(data) // 2 + 1 :]
    ),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_or_foreign_file_is_refused_in_a_sentence(seeded, databases, tmp_path, damage):
    broken = tmp_path / "broken.pbhub-backup"
    broken.write_bytes(DAMAGE[damage](seeded.path.read_bytes()))
    target = databases.new()
    result = pbhub(target, "restore", str(broken))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert re.search(
        rf"error: {re.escape(str(broken))} is (not a Postback Hub backup|damaged)", result.output
    )
    assert nothing_restored(target)


def test_a_sqlite_backup_taken_while_rows_are_written_is_consistent(sqlite_uri, tmp_path):
    """Each transaction of the writer adds a user and their token: a consistent copy holds
    as many of one as of the other, and exactly the counts its manifest lists."""
    uri = f"sqlite:///{tmp_path / 'busy.sqlite3'}"
    with hub(uri):
        upgrade()
    engine = create_engine(uri)
    users = Table("users", MetaData(), autoload_with=engine)
    tokens = Table("api_tokens", MetaData(), autoload_with=engine)
    stop, written = threading.Event(), [0]

    def write() -> None:
        while not stop.is_set():
            with engine.begin() as connection:
                n = written[0]
                user = connection.execute(
                    users.insert().values(
                        email=f"u{n}@example.test",
                        password_hash="h",
                        role="operator",
                        active=True,
                        created_at=utcnow(),
                    )
                ).inserted_primary_key[0]
                connection.execute(
                    tokens.insert().values(
                        user_id=user, digest=f"{n:064d}", prefix="pbh_", created_at=utcnow()
                    )
                )
            written[0] += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while written[0] < 50:
            time.sleep(0.01)
        target = tmp_path / "during.pbhub-backup"
        manifest = service.backup(
            service.Database(uri), target, "k" * 40, utcnow(), lambda _line: None
        ).manifest
        at_backup = written[0]
        while written[0] < at_backup + 50:
            time.sleep(0.01)
    finally:
        stop.set()
        writer.join()
        engine.dispose()
    copy = tmp_path / "copy.sqlite3"
    service.extract_dump(target, manifest, copy, lambda _line: None)
    copied = f"sqlite:///{copy}"
    assert 50 <= count(copied, "users") <= at_backup
    assert count(copied, "users") == count(copied, "api_tokens") == manifest.tables["users"]
    assert manifest.tables["api_tokens"] == manifest.tables["users"]


def test_an_older_revision_backup_is_migrated_after_the_restore(databases, tmp_path):
    old = databases.new()
    with hub(old):
        upgrade(revision="0011")
    add = pbhub(old, "backup", "--output", str(tmp_path))
    assert add.exit_code == 0, add.output
    target = databases.new()
    result = pbhub(target, "restore", str(next(tmp_path.glob("*.pbhub-backup"))))
    assert result.exit_code == 0, result.output
    assert "at revision 0011" in result.output
    assert f"database upgraded from revision 0011 to {HEAD}" in result.output
    assert rows(target)["alembic_version"] == [(HEAD,)]


def rewrite_manifest(path: Path, target: Path, **changes: Any) -> None:
    with tarfile.open(path, "r:*") as source, tarfile.open(target, "w") as copy:
        for member in source:
            data = source.extractfile(member).read()
            if member.name == service.MANIFEST:
                data = json.dumps({**json.loads(data), **changes}).encode()
                member.size = len(data)
            copy.addfile(member, io.BytesIO(data))


def test_a_backup_from_a_newer_version_is_refused_naming_the_version_to_install(
    sqlite_uri, seeded_backups, tmp_path
):
    seeded = seeded_backups(sqlite_uri)
    newer = tmp_path / "newer.pbhub-backup"
    rewrite_manifest(seeded.path, newer, revision="0099", hub_version="9.1.0")
    target = f"sqlite:///{tmp_path / 'target.sqlite3'}"
    result = pbhub(target, "restore", str(newer))
    assert result.exit_code == 1
    assert "at revision 0099, made by Postback Hub 9.1.0" in result.output
    assert "install version 9.1.0 or newer, then restore" in result.output
    assert not (tmp_path / "target.sqlite3").exists()


def test_backup_refuses_to_overwrite_a_file(sqlite_uri, seeded_backups, tmp_path):
    seeded = seeded_backups(sqlite_uri)
    existing = tmp_path / "mine.pbhub-backup"
    existing.write_text("keep me")
    result = pbhub(seeded.uri, "backup", "--output", str(existing))
    assert result.exit_code == 1
    assert (
        f"error: {existing} already exists: pbhub backup never overwrites a file" in result.output
    )
    assert existing.read_text() == "keep me"
    assert list(tmp_path.iterdir()) == [existing]


def test_restore_refuses_a_sqlite_database_in_use(sqlite_uri, seeded_backups, tmp_path):
    seeded = seeded_backups(sqlite_uri)
    target = tmp_path / "busy.sqlite3"
    add_user(f"sqlite:///{target}", "someone@example.test")
    engine = create_engine(f"sqlite:///{target}")
    with engine.connect() as running_hub:
        running_hub.execute(text("SELECT count(*) FROM users"))
        result = pbhub(f"sqlite:///{target}", "restore", "--force", "--yes", str(seeded.path))
    engine.dispose()
    assert result.exit_code == 1
    assert f"{target} is in use: stop the hub's web and worker processes" in result.output
    assert count(f"sqlite:///{target}", "users") == 1


def test_a_password_in_database_url_stays_out_of_messages_and_command_lines():
    database = service.Database("postgresql+psycopg://pbhub:s3cr%40t@db.example:5433/pbhub")
    assert database.shown == "postgresql://pbhub:***@db.example:5433/pbhub"
    assert "s3cr" not in database.libpq_uri
    assert database.libpq_uri == "postgresql://pbhub@db.example:5433/pbhub"
    assert database.tool_environment()["PGPASSWORD"] == "s3cr@t"


def test_a_missing_or_old_pg_dump_names_the_package_to_install(monkeypatch):
    monkeypatch.setattr(postgres, "installed", lambda name: [])
    with pytest.raises(service.BackupError) as missing:
        postgres.find_tool("pg_dump", 16, "the server DATABASE_URL names")
    assert "apt-get install postgresql-client-16" in missing.value.message
    old = postgres.Tool("/usr/lib/postgresql/14/bin/pg_dump", 14, "14.12")
    monkeypatch.setattr(postgres, "installed", lambda name: [old])
    with pytest.raises(service.BackupError) as too_old:
        postgres.find_tool("pg_dump", 16, "the server DATABASE_URL names")
    assert too_old.value.message.startswith(
        "pg_dump 14.12 (/usr/lib/postgresql/14/bin/pg_dump) is older than the server"
    )
    assert "install postgresql-client-16 or newer" in too_old.value.message


def cron_line() -> str:
    """The documented cron line, as crontab holds it."""
    found = re.search(r"^\s*# /etc/cron\.d/pbhub-backup\n\s*(.+)$", DEPLOY.read_text(), re.M)
    assert found, "docs/deploy.md shows no /etc/cron.d/pbhub-backup line"
    return found.group(1)


def test_the_documented_cron_line_writes_a_backup_and_prunes_old_ones(tmp_path):
    minute, hour, day, month, weekday, user, command = cron_line().split(maxsplit=6)
    assert (minute, hour, day, month, weekday, user) == ("15", "3", "*", "*", "*", "root")
    assert not re.search(r"(?<!\\)%", command), "cron turns an unescaped % into a new line"
    assert "/usr/local/bin/pbhub-admin backup " in command
    backups = tmp_path / "backups"
    backups.mkdir(mode=0o700)
    env_file = tmp_path / "pbhub.env"
    url = make_url(postgres_uri()).set(drivername="postgresql")
    env_file.write_text(
        "# as deploy/pbhub.env.example has it: comments, then the settings\n"
        f"DATABASE_URL={url.render_as_string(hide_password=False)}\n"
        f"SECRET_KEY={'c' * 48}\nPBHUB_BASE_URL=https://hub.example.test\n"
    )
    admin, cron_env = pbhub_admin(tmp_path, env_file)
    stale, recent, other = (
        backups / "pbhub-2026-01-01T031500Z.pbhub-backup",
        backups / "pbhub-2026-01-19T031500Z.pbhub-backup",
        backups / "notes.txt",
    )
    for path, days in ((stale, 20), (recent, 2), (other, 30)):
        path.write_text("old")
        moment = time.time() - days * 86400
        os.utime(path, (moment, moment))
    command = (
        command.replace("\\%", "%")
        .replace("/usr/local/bin/pbhub-admin", str(admin))
        .replace("/var/backups/pbhub", str(backups))
    )
    done = subprocess.run(
        ["/bin/sh", "-c", command], env=cron_env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == done.stderr == "", "--quiet: cron mails only a failure"
    made = [p for p in backups.glob("pbhub-*.pbhub-backup") if p not in (stale, recent)]
    assert len(made) == 1
    assert service.read_manifest(made[0]).backend == "postgresql"
    assert not stale.exists()
    assert recent.exists() and other.exists()
