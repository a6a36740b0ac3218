"""SQLite, the embedded default: copied with the online backup API, restored by renaming
a complete file over the old one."""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from app.services.backup.database import BackupError, Census, Database, Progress, census, rows


def dump(database: Database, target: Path, progress: Progress) -> Census:
    """SQLite's online backup copies the file in one step inside one read transaction: a
    consistent snapshot, while the hub's writers go on (WAL lets them)."""
    path = database.path
    if not path.is_file():
        raise BackupError(
            f"there is no database at {path}: nothing to back up (is DATABASE_URL right?)"
        )
    progress(f"copying {path} with SQLite's online backup")
    try:
        source = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=30)
        with closing(source), closing(sqlite3.connect(target)) as copy:
            source.backup(copy)
        engine = create_engine(f"sqlite:///{target}", poolclass=NullPool)
        try:
            with engine.connect() as connection:
                found = census(connection)
        finally:
            engine.dispose()
        # One self-contained file, whatever journal mode the hub runs the database in.
        with closing(sqlite3.connect(target)) as copy:
            copy.execute("PRAGMA journal_mode=DELETE")
    except (sqlite3.DatabaseError, DBAPIError):
        raise BackupError(f"{path} could not be read as a SQLite database") from None
    for name, count in found.tables.items():
        progress(f"  {name}: {rows(count)}")
    return found


def swap(staged: Path, target: Path, keep: bool) -> Path | None:
    """Rename the restored file over the old one while holding the old one's exclusive
    lock, so that no process writes to it meanwhile; with ``keep`` the old one stays as
    ``<name>.before-restore``. Returns where it was kept."""
    if not target.exists():
        os.replace(staged, target)
        return None
    _same_owner(staged, target)
    try:
        old = sqlite3.connect(target, timeout=2, isolation_level=None)
    except sqlite3.DatabaseError:
        raise BackupError(f"{target} could not be opened to be replaced") from None
    with closing(old):
        try:
            # Out of WAL mode: the old file is then complete on its own (the kept copy),
            # and no -wal file is left that SQLite could replay onto the new one.
            old.execute("PRAGMA journal_mode=DELETE")
            old.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError:
            raise BackupError(
                f"{target} is in use: stop the hub's web and worker processes (and any other "
                "pbhub command on it), then restore again"
            ) from None
        kept = _kept_name(target) if keep else None
        if kept:
            _keep(target, kept)
        os.replace(staged, target)
        old.execute("ROLLBACK")
    return kept


def _keep(target: Path, kept: Path) -> None:
    """A second name for the old file (it is complete: out of WAL mode, and locked)."""
    try:
        os.link(target, kept)
    except OSError:
        shutil.copy2(target, kept)


def _same_owner(staged: Path, target: Path) -> None:
    """The restored file gets the old one's mode and, where we may, its owner: a restore
    run as root must not leave the hub's user a database it cannot open."""
    old = target.stat()
    os.chmod(staged, old.st_mode & 0o777)
    if os.geteuid() == 0:
        os.chown(staged, old.st_uid, old.st_gid)


def _kept_name(target: Path) -> Path:
    kept = target.with_name(target.name + ".before-restore")
    if not kept.exists():
        return kept
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return target.with_name(f"{target.name}.before-restore-{stamp}")
