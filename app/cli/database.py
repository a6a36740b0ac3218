"""``pbhub db ...``: what an operator does to the database (the rest is ``pbhub dev db``).

Upgrading is the one step of every release, and "is it up to date?" the one question an
operator asks; writing, editing or reverting migrations is development work and lives
under ``pbhub dev db`` (Flask-Migrate's full set).
"""

from __future__ import annotations

import click
from flask import current_app
from flask_migrate import upgrade as apply_migrations

from app.extensions import db as database
from app.migration_state import revisions


@click.group("db")
def db() -> None:
    """The database: bring it up to date, or see whether it is."""


def _revisions() -> tuple[str | None, str]:
    """The database's revision (None before the first upgrade) and the code's newest."""
    return revisions(database.engine, current_app.extensions["migrate"].directory)


def _at(revision: str | None) -> str:
    return f"database at revision {revision or 'none (empty)'}"


@db.command("upgrade")
def upgrade() -> None:
    """Apply every migration the database lacks; safe to run again.

    Run it after installing a new version, before starting its web and worker processes.

    \b
    Example:
      pbhub db upgrade
    """
    before, head = _revisions()
    if before == head:
        click.echo(f"{_at(head)}, the newest: nothing to do")
        return
    apply_migrations()
    after, _ = _revisions()
    click.echo(f"database upgraded from revision {before or 'none (empty)'} to {after}")


@db.command("current")
def current() -> None:
    """Say which revision the database is at, and whether that is this version's newest.

    Exits 1 when migrations are missing (run ``pbhub db upgrade``), so a deploy script or a
    monitor can check it.

    \b
    Example:
      pbhub db current
    """
    revision, head = _revisions()
    if revision == head:
        click.echo(f"{_at(revision)}, the newest: up to date")
        return
    click.echo(f"{_at(revision)}; this version needs {head}: run pbhub db upgrade")
    raise click.exceptions.Exit(1)
