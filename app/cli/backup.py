"""``pbhub backup`` and ``pbhub restore``: the whole database to one file and back.

The work is in ``app.services.backup``; this module reads the app's settings, asks before
it replaces anything, runs the migrations a restored older database lacks, and prints.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from flask_migrate import upgrade as apply_migrations
from sqlalchemy.exc import SQLAlchemyError

from app.cli import CommandFailed
from app.config import SECRET_KEY_FILE
from app.extensions import db
from app.models.types import utcnow
from app.services import backup as service


def _database() -> service.Database:
    return service.Database(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _key_file() -> Path | None:
    """The generated key file, when that is where this hub's SECRET_KEY comes from."""
    path = Path(current_app.instance_path) / SECRET_KEY_FILE
    try:
        return path if path.read_text().strip() == current_app.config["SECRET_KEY"] else None
    except OSError:
        return None


def _key_reminder() -> list[str]:
    key_file = _key_file()
    where = f"this hub's key file, {key_file}," if key_file else "this hub's SECRET_KEY"
    return [
        f"SECRET_KEY is not in the backup, and a restore needs it: keep {where} apart "
        "from the backups (in a password manager, say).",
        "Stored secrets (sources' Postback URL tokens, Keitaro API keys, outbound "
        "postbacks' signing secrets) are encrypted with keys derived from it.",
    ]


@click.command("backup")
@click.option(
    "--output",
    metavar="PATH",
    help="Where to write: a new file's name, or a directory to write "
    "pbhub-<UTC time>.pbhub-backup in (default: the current directory).",
)
@click.option("--quiet", is_flag=True, help="Print nothing but errors (for cron).")
def backup(output: str | None, quiet: bool) -> None:
    """Write a consistent copy of the whole database to one file.

    The hub may keep running: SQLite (the embedded default) is copied with its online
    backup, PostgreSQL with pg_dump (install PostgreSQL's client tools, as new as the
    server). The file holds every table and a manifest (versions, revision, row counts);
    it never overwrites a file. SECRET_KEY is not in it: keep that apart, a restore needs
    it. Exits 1 when the backup could not be written.

    \b
    Examples:
      pbhub backup
      pbhub backup --output /var/backups/pbhub
    """
    say = (lambda _line: None) if quiet else click.echo
    now = utcnow()
    try:
        target = service.destination(output, Path.cwd(), now)
        written = service.backup(_database(), target, current_app.config["SECRET_KEY"], now, say)
    except service.BackupError as exc:
        raise CommandFailed(exc.lines) from None
    manifest = written.manifest
    say(
        f"wrote {written.path} ({service.size(written.bytes)}): {len(manifest.tables)} tables, "
        f"{manifest.rows:,} rows, database revision {manifest.revision or 'none'}"
    )
    for line in _key_reminder():
        say(line)


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Restore although the database holds data (it is replaced; a SQLite file is kept "
    "as <name>.before-restore) or SECRET_KEY is not the backup's.",
)
@click.option("--yes", is_flag=True, help="Do not ask before replacing data (for scripts).")
def restore(path: Path, force: bool, yes: bool) -> None:
    """Restore the database from a file pbhub backup wrote.

    Restores into the database DATABASE_URL names; stop the hub's web and worker
    processes first. An empty database (or one only migrated) takes the backup at once;
    one that holds data is replaced only with --force (then --yes, or a yes at the
    prompt). Set the SECRET_KEY the backed-up hub used, or its stored secrets will not
    decrypt. A backup from an older version is migrated after the restore. Exits 1 when
    nothing was restored.

    \b
    Examples:
      pbhub restore pbhub-2026-12-06T031500Z.pbhub-backup
      pbhub restore --force --yes /var/backups/pbhub/pbhub-2026-12-06T031500Z.pbhub-backup
    """
    database = _database()
    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    head = script.get_current_head()
    known = {revision.revision for revision in script.walk_revisions()}
    key_file = _key_file()
    key_source = f"the one generated in {key_file}" if key_file else "SECRET_KEY"
    try:
        plan = service.prepare_restore(
            path, database, current_app.config["SECRET_KEY"], known, key_source
        )
    except service.BackupError as exc:
        raise CommandFailed(exc.lines) from None
    manifest = plan.manifest
    click.echo(
        f"{path.name}: a {'SQLite' if manifest.backend == 'sqlite' else 'PostgreSQL'} backup "
        f"of {len(manifest.tables)} tables, {manifest.rows:,} rows, at revision "
        f"{manifest.revision or 'none'}, made {manifest.made} by Postback Hub "
        f"{manifest.hub_version}"
    )
    if plan.reasons() and not force:
        raise CommandFailed(plan.reasons(force_hint=True))
    if plan.reasons() and not yes:
        _confirm(plan.reasons(), database.shown)
    db.engine.dispose()  # no connection of ours may hold the file that is replaced
    try:
        restored = service.restore(plan, click.echo)
    except service.BackupError as exc:
        raise CommandFailed(exc.lines) from None
    if restored.kept:
        click.echo(f"the database that was there is kept as {restored.kept}")
    held = restored.census
    what = f" ({service.holdings(held.tables)})" if held.rows else ""
    click.echo(
        f"restored {len(held.tables)} tables, {held.rows:,} rows{what} into {database.shown}, "
        f"at revision {held.revision or 'none'}"
    )
    if manifest.revision and manifest.revision != head:
        try:
            apply_migrations()
        except (SQLAlchemyError, CommandError):
            raise CommandFailed(
                [
                    f"the backup was restored at revision {manifest.revision}, but migrating "
                    f"it to {head} failed: run pbhub db upgrade to see why"
                ]
            ) from None
        click.echo(f"database upgraded from revision {manifest.revision} to {head}")
    if not plan.key_matches:
        click.echo(f"warning: {plan.key_sentence()}", err=True)
    click.echo("done: the hub's web and worker processes may start")


def _confirm(reasons: list[str], where: str) -> None:
    if not sys.stdin.isatty():
        raise CommandFailed([*reasons, "add --yes to restore without being asked"])
    for reason in reasons:
        click.echo(f"warning: {reason}", err=True)
    click.confirm(f"Restore into {where} anyway?", abort=True)
