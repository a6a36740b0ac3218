"""The whole database to one file and back: what ``pbhub backup`` and ``pbhub restore`` do.

A backup is a tar archive: ``manifest.json`` (what the file holds and where it came from),
then the database in its own backend's format: a SQLite file copied with SQLite's online
backup API, or ``pg_dump --format=custom``. The database's own tools write and read it,
so nothing the hub stores is lost in a translation; the price is that a backup restores
into the backend it was made from only.

SECRET_KEY is not in the file: whoever held both could decrypt every stored secret. The
manifest keeps a fingerprint of it, so a restore can tell before it starts whether the
stored secrets will decrypt.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from app.services.backup import postgres, sqlite
from app.services.backup.archive import (
    MANIFEST,
    POSTGRES_DUMP,
    SQLITE_DUMP,
    SUFFIX,
    Manifest,
    cannot_write,
    checksum,
    extract_dump,
    read_manifest,
)
from app.services.backup.archive import write as write_archive
from app.services.backup.database import (
    BackupError,
    Census,
    Database,
    Progress,
    census,
    holdings,
    key_fingerprint,
    rows,
    secret_kinds,
    size,
    unreachable,
)
from app.version import VERSION

__all__ = [
    "MANIFEST",
    "BackupError",
    "Census",
    "Database",
    "Manifest",
    "RestorePlan",
    "Restored",
    "Written",
    "backup",
    "destination",
    "extract_dump",
    "holdings",
    "prepare_restore",
    "read_manifest",
    "restore",
    "rows",
    "size",
]


def default_name(now: datetime) -> str:
    return f"pbhub-{now.astimezone(UTC):%Y-%m-%dT%H%M%SZ}{SUFFIX}"


def destination(output: str | None, cwd: Path, now: datetime) -> Path:
    """Where ``--output`` says to write: that file, or the default name in that directory
    (the current one without it)."""
    path = cwd / default_name(now) if output is None else cwd / Path(output).expanduser()
    if path.is_dir():
        path = path / default_name(now)
    elif not path.parent.is_dir():
        raise BackupError(
            f"the directory {path.parent} does not exist: create it, or give another --output"
        )
    if path.exists():
        raise BackupError(
            f"{path} already exists: pbhub backup never overwrites a file; give another "
            "--output, or a directory"
        )
    return path


@dataclass
class Written:
    path: Path
    bytes: int
    manifest: Manifest


def backup(
    database: Database, target: Path, secret_key: str, now: datetime, progress: Progress
) -> Written:
    """Write the whole database to ``target``, which must not exist yet.

    Everything is made in a hidden directory beside the target and linked into place at
    the end: an interrupted backup leaves no file that looks like a good one.
    """
    if target.exists():
        raise BackupError(f"{target} already exists: pbhub backup never overwrites a file")
    try:
        work = Path(tempfile.mkdtemp(prefix=".pbhub-backup-", dir=target.parent))
    except OSError as exc:
        raise cannot_write(target.parent, exc) from None
    try:
        if database.backend == "sqlite":
            dump = work / SQLITE_DUMP
            found, versions = sqlite.dump(database, dump, progress), {}
        else:
            dump = work / POSTGRES_DUMP
            found, versions = postgres.dump(database, dump, progress)
        digest, length = checksum(dump)
        manifest = Manifest(
            backend=database.backend,
            revision=found.revision,
            created_at=now.astimezone(UTC).isoformat(timespec="seconds"),
            tables=found.tables,
            secrets=found.secrets,
            key_fingerprint=key_fingerprint(secret_key),
            dump=dump.name,
            dump_bytes=length,
            dump_sha256=digest,
            **versions,
        )
        staged = work / target.name
        write_archive(staged, manifest, dump)
        try:
            os.link(staged, target)
        except FileExistsError:
            raise BackupError(
                f"{target} already exists: pbhub backup never overwrites a file"
            ) from None
        except OSError as exc:
            raise cannot_write(target.parent, exc) from None
        return Written(target, target.stat().st_size, manifest)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@dataclass
class RestorePlan:
    """What a restore would do, checked before anything is touched."""

    archive: Path
    manifest: Manifest
    database: Database
    target: Census
    key_matches: bool
    #: Where this hub's SECRET_KEY comes from, for the sentence when it differs.
    key_source: str

    def reasons(self, force_hint: bool = False) -> list[str]:
        """Why the restore needs ``--force``, a sentence each (none when it does not); with
        ``force_hint`` each ends saying what to do."""
        reasons = []
        if not self.target.empty:
            reasons.append(
                f"the database at {self.database.shown} already holds "
                f"{holdings(self.target.tables)}; restoring would replace them"
                + (": add --force" if force_hint else "")
            )
        if not self.key_matches:
            reasons.append(
                self.key_sentence()
                + (": set SECRET_KEY to the old key, or add --force" if force_hint else "")
            )
        return reasons

    def key_sentence(self) -> str:
        kinds = secret_kinds(self.manifest.secrets)
        lost = (
            f"the secrets stored in it ({kinds}) would not decrypt and would have to be "
            "entered again, and"
            if kinds
            else "it holds no stored secrets, but"
        )
        return (
            f"this backup was made with another SECRET_KEY than this hub's ({self.key_source}): "
            f"{lost} Track URL click ids (_cid) already handed out would no longer verify, so "
            "their conversions would arrive unmatched"
        )


def prepare_restore(
    archive: Path,
    database: Database,
    secret_key: str,
    revisions: Collection[str],
    key_source: str,
) -> RestorePlan:
    """Read the backup's manifest and look at the target; refuse what ``--force`` cannot
    allow (another backend, a revision this code does not know)."""
    manifest = read_manifest(archive)
    if manifest.backend != database.backend:
        raise BackupError(_backend_mismatch(archive, manifest, database))
    if manifest.revision and manifest.revision not in revisions:
        raise BackupError(
            f"{archive.name} holds a database at revision {manifest.revision}, made by Postback "
            f"Hub {manifest.hub_version}, which this version ({VERSION}) does not know: install "
            f"version {manifest.hub_version} or newer, then restore"
        )
    return RestorePlan(
        archive=archive,
        manifest=manifest,
        database=database,
        target=_target_census(database, manifest),
        key_matches=key_fingerprint(secret_key) == manifest.key_fingerprint,
        key_source=key_source,
    )


def _backend_mismatch(archive: Path, manifest: Manifest, database: Database) -> str:
    if manifest.backend == "sqlite":
        return (
            f"{archive.name} is a backup of a SQLite database (the embedded default), and "
            f"DATABASE_URL names PostgreSQL ({database.shown}): restore it with DATABASE_URL "
            "unset or a sqlite:/// URL; a backup restores into the backend it was made from"
        )
    return (
        f"{archive.name} is a backup of a PostgreSQL database, and DATABASE_URL names the "
        f"SQLite file {database.shown}: set DATABASE_URL to a postgresql:// URL to restore "
        "it; a backup restores into the backend it was made from"
    )


def _target_census(database: Database, manifest: Manifest) -> Census:
    if database.backend == "sqlite":
        path = database.path
        if path.is_dir():
            raise BackupError(f"DATABASE_URL names {path}, which is a directory")
        if not path.exists() or path.stat().st_size == 0:
            return Census()
    engine = database.engine()
    try:
        with engine.connect() as connection:
            if database.backend == "postgresql":
                postgres.check_target(connection, database, manifest)
            return census(connection)
    except DBAPIError as exc:
        if database.backend == "sqlite":
            raise BackupError(
                f"{database.shown} is not a SQLite database that can be opened: move it "
                "away, then restore again"
            ) from None
        raise unreachable(database, exc) from None
    finally:
        engine.dispose()


@dataclass
class Restored:
    census: Census
    #: The SQLite file that was replaced, kept beside the new one.
    kept: Path | None = None


def restore(plan: RestorePlan, progress: Progress) -> Restored:
    """Replace the database's contents with the backup's, all or nothing."""
    database, kept = plan.database, None
    if database.backend == "sqlite":
        kept = _restore_sqlite(plan, progress)
    else:
        postgres.restore(database, plan.archive, plan.manifest, progress)
    with database.connect() as connection:
        after = census(connection)
    differ = sorted(
        name for name, count in plan.manifest.tables.items() if after.tables.get(name) != count
    )
    if differ:
        raise BackupError(
            f"the restored database does not hold the rows the backup lists (in "
            f"{', '.join(differ)}): check {database.shown} before starting the hub"
        )
    return Restored(after, kept)


def _restore_sqlite(plan: RestorePlan, progress: Progress) -> Path | None:
    target = plan.database.path
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.restore-", dir=target.parent))
    except OSError as exc:
        raise cannot_write(target.parent, exc) from None
    try:
        staged = work / target.name
        extract_dump(plan.archive, plan.manifest, staged, progress)
        progress(f"putting it in place of {target}")
        return sqlite.swap(staged, target, keep=not plan.target.empty)
    finally:
        shutil.rmtree(work, ignore_errors=True)
