"""``pbhub deploy ...``: the files a server needs to run this install of the hub."""

from __future__ import annotations

import os
import pwd
import shutil
import sys
from pathlib import Path

import click

from app import paths
from app.services import units


@click.group("deploy")
def deploy() -> None:
    """Write the service files that run this install on a server."""


def _this_pbhub() -> str:
    """The ``pbhub`` beside the running interpreter (a virtualenv's or pipx's)."""
    beside = Path(sys.executable).parent / "pbhub"
    if beside.exists():
        return str(beside)
    return shutil.which("pbhub") or str(beside)


def _default_directory() -> str:
    return str(paths.CHECKOUT) if paths.from_checkout() else str(Path.home())


@deploy.command("systemd")
@click.option("--user", default="pbhub", show_default=True, help="The account that runs them.")
@click.option(
    "--env-file",
    default=units.DOCUMENTED.env_file,
    show_default=True,
    help="The environment file with DATABASE_URL, SECRET_KEY... (see docs/deploy.md).",
)
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("/etc/systemd/system"),
    show_default=True,
    help="Where to write the units.",
)
@click.option(
    "--working-directory",
    default=_default_directory,
    help="The processes' directory (default: the checkout, or the user's home).",
)
@click.option("--print", "show", is_flag=True, help="Print the units instead of writing them.")
@click.option("--force", is_flag=True, help="Replace units that exist and differ.")
def systemd(
    user: str,
    env_file: str,
    output_dir: Path,
    working_directory: str,
    show: bool,
    force: bool,
) -> None:
    """Write the web and worker systemd units for this install.

    ExecStart names this install's own pbhub, so the units run the version you
    installed. Run it as root to write into /etc/systemd/system, then start them.

    \b
    Example:
      sudo /opt/pbhub/app/.venv/bin/pbhub deploy systemd --user pbhub
      sudo systemctl daemon-reload && sudo systemctl enable --now pbhub-web pbhub-worker@1
    """
    install = units.Install(
        pbhub=_this_pbhub(),
        user=user,
        env_file=env_file,
        working_directory=working_directory,
    )
    rendered = units.render(install)
    if show:
        for name, text in rendered.items():
            click.echo(f"# {output_dir / name}\n{text}")
        return
    clashes = [
        name
        for name, text in rendered.items()
        if (output_dir / name).exists() and (output_dir / name).read_text() != text
    ]
    if clashes and not force:
        raise click.ClickException(
            f"{', '.join(str(output_dir / n) for n in clashes)} already exist with other "
            "contents; compare them with --print, and add --force to replace them"
        )
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        for name, text in rendered.items():
            target = output_dir / name
            unchanged = target.exists() and target.read_text() == text
            target.write_text(text)
            click.echo(f"{'unchanged' if unchanged else 'wrote'} {target}")
    except PermissionError as exc:
        raise click.ClickException(
            f"cannot write {exc.filename}: run it as root (sudo), or choose --output-dir"
        ) from None
    for warning in _warnings(install):
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        "next: systemctl daemon-reload && systemctl enable --now "
        f"{units.WEB_UNIT.removesuffix('.service')} pbhub-worker@1"
    )


def _warnings(install: units.Install) -> list[str]:
    """What would keep the units from starting, said now rather than in the journal."""
    found = []
    try:
        pwd.getpwnam(install.user)
    except KeyError:
        found.append(
            f"there is no user {install.user}; create it (useradd --system {install.user}) "
            "or pass --user"
        )
    if not os.path.exists(install.env_file):
        found.append(
            f"{install.env_file} does not exist yet; the units read DATABASE_URL, "
            "SECRET_KEY and the rest from it (docs/deploy.md has an example)"
        )
    return found
