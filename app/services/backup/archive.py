"""The backup file: a tar archive of ``manifest.json`` and then the database's dump.

The manifest comes first so that a restore reads what it is about to do (backend,
revision, row counts, SECRET_KEY fingerprint) before it reads the dump; the dump's
checksum in it tells a file cut short or changed from a good one.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from app.services.backup.database import BackupError, Progress, size
from app.version import VERSION

#: Bumped when a backup written now could not be read by a version that reads this one.
FORMAT = 1
SUFFIX = ".pbhub-backup"
MANIFEST = "manifest.json"
SQLITE_DUMP = "database.sqlite3"
POSTGRES_DUMP = "database.pgdump"
MANIFEST_LIMIT = 1 << 20
CHUNK = 1 << 20


@dataclass
class Manifest:
    backend: str
    revision: str | None
    created_at: str
    tables: dict[str, int]
    secrets: dict[str, int]
    key_fingerprint: str
    dump: str
    dump_bytes: int
    dump_sha256: str
    hub_version: str = VERSION
    format: int = FORMAT
    #: PostgreSQL only: the server's and pg_dump's major versions.
    server_version: int | None = None
    dump_tool_version: int | None = None

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    @property
    def made(self) -> str:
        return self.created_at.replace("T", " ").removesuffix("+00:00") + " UTC"

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: Any) -> Manifest:
        """Raises ``ValueError`` for anything that is not a manifest of a known format."""
        if not isinstance(data, dict) or not isinstance(data.get("format"), int):
            raise ValueError("not a manifest")
        if data["format"] > FORMAT:
            version = str(data.get("hub_version") or "a newer one")
            raise BackupError(
                f"this backup was written by Postback Hub {version} in a format this version "
                f"({VERSION}) cannot read: install version {version} or newer to restore it"
            )
        manifest = cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        texts = (manifest.created_at, manifest.key_fingerprint, manifest.dump_sha256)
        counts = (*manifest.tables.values(), *manifest.secrets.values(), manifest.dump_bytes)
        if not (
            manifest.backend in ("sqlite", "postgresql")
            and manifest.dump in (SQLITE_DUMP, POSTGRES_DUMP)
            and isinstance(manifest.revision, str | None)
            and all(isinstance(value, str) for value in texts)
            and all(isinstance(value, int) for value in counts)
        ):
            raise ValueError("not a manifest")
        return manifest


def not_a_backup(path: Path) -> BackupError:
    return BackupError(
        f"{path} is not a Postback Hub backup (pbhub backup writes a tar archive that "
        f"starts with {MANIFEST}), or it is damaged"
    )


def damaged(path: Path, why: str) -> BackupError:
    return BackupError(
        f"{path} is damaged: {why}. Nothing was restored; use another backup, and check "
        "how backups are copied (a transfer cut short, a full disk)"
    )


def cannot_write(directory: Path, exc: OSError) -> BackupError:
    if isinstance(exc, PermissionError):
        return BackupError(
            f"cannot write in {directory}: permission denied for the user running pbhub"
        )
    return BackupError(f"writing in {directory} failed: {exc.strerror or 'input/output error'}")


@contextmanager
def private_file(path: Path) -> Iterator[IO[bytes]]:
    """A new file only its owner reads (a backup holds every row of the hub), on disk
    before it is closed."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"{path} already exists: pbhub never overwrites a file") from None
    except OSError as exc:
        raise cannot_write(path.parent, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise cannot_write(path.parent, exc) from None


def checksum(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest(), path.stat().st_size


def write(path: Path, manifest: Manifest, dump: Path) -> None:
    """SQLite files shrink a lot in gzip; PostgreSQL's custom format is compressed already."""
    data = manifest.to_json()
    mode = "w:gz" if manifest.backend == "sqlite" else "w"
    with private_file(path) as handle, tarfile.open(fileobj=handle, mode=mode) as archive:
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now(UTC).timestamp())
        archive.addfile(info, io.BytesIO(data))
        info = archive.gettarinfo(str(dump), arcname=dump.name)
        info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
        with dump.open("rb") as source:
            archive.addfile(info, source)


@contextmanager
def _reading(path: Path, failure: Callable[[], BackupError]) -> Iterator[tarfile.TarFile]:
    """The archive; whatever goes wrong while reading it becomes ``failure()``."""
    try:
        with tarfile.open(path, "r:*") as archive:
            yield archive
    except PermissionError:
        raise BackupError(f"cannot read {path}: permission denied") from None
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError, ValueError):
        raise failure() from None


def read_manifest(path: Path) -> Manifest:
    with _reading(path, lambda: not_a_backup(path)) as archive:
        member = archive.next()
        if member is None or member.name != MANIFEST or not member.isfile():
            raise not_a_backup(path)
        handle = archive.extractfile(member)
        if handle is None or member.size > MANIFEST_LIMIT:
            raise not_a_backup(path)
        try:
            return Manifest.from_json(json.loads(handle.read()))
        except (ValueError, TypeError, AttributeError):
            raise not_a_backup(path) from None


def extract_dump(path: Path, manifest: Manifest, target: Path, progress: Progress) -> None:
    """Copy the dump out of the archive, checking it against the manifest's checksum."""
    progress(f"checking and unpacking {path.name} ({size(manifest.dump_bytes)} of database)")

    def cut_short() -> BackupError:
        return damaged(path, "it ends before its database does")

    digest, written = hashlib.sha256(), 0
    with _reading(path, cut_short) as archive:
        archive.next()
        member = archive.next()
        source = archive.extractfile(member) if member and member.isfile() else None
        if member is None or member.name != manifest.dump or source is None:
            raise damaged(path, f"it holds no {manifest.dump} after its {MANIFEST}")
        with private_file(target) as out:
            while True:
                try:
                    chunk = source.read(CHUNK)
                except (tarfile.TarError, EOFError, zlib.error, OSError):
                    raise cut_short() from None
                if not chunk:
                    break
                digest.update(chunk)
                written += len(chunk)
                out.write(chunk)
    if written != manifest.dump_bytes or digest.hexdigest() != manifest.dump_sha256:
        raise damaged(path, "its database does not match the checksum its manifest recorded")
