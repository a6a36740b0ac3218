"""Where the database's schema stands against the code's migrations.

``pbhub db``, ``pbhub doctor`` and ``/healthz`` all ask the same question ("is the
database at this version's newest revision?"), so the answer is computed once, here,
without Flask: given an engine and the migrations directory.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine


def head_revision(directory: str | Path) -> str:
    """The newest revision the code's migrations define ("" when there are none)."""
    return ScriptDirectory(str(directory)).get_current_head() or ""


def known_revisions(directory: str | Path) -> frozenset[str]:
    """Every revision the code's migrations define: a database at a revision outside
    this set was upgraded by a newer version."""
    return frozenset(script.revision for script in ScriptDirectory(str(directory)).walk_revisions())


def current_revision(connection: Connection) -> str | None:
    """The database's revision: None before the first upgrade."""
    with _quiet_alembic():
        return MigrationContext.configure(connection).get_current_revision()


def revisions(engine: Engine, directory: str | Path) -> tuple[str | None, str]:
    """The database's revision (None before the first upgrade) and the code's newest."""
    head = head_revision(directory)
    with engine.connect() as connection:
        return current_revision(connection), head


@contextmanager
def _quiet_alembic() -> Iterator[None]:
    """Alembic's "Context impl SQLiteImpl." line says nothing to an operator."""
    quiet = logging.getLogger("alembic.runtime.migration")
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    try:
        yield
    finally:
        quiet.setLevel(level)
