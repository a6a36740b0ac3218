"""``pbhub deploy ...``: the files a server needs to run this install of the hub."""

from __future__ import annotations

import os
import pwd
import shutil
import sys
from pathlib import Path

import click

from app import paths
from app.services import service_files


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
    default=service_files.DOCUMENTED.env_file,
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
    "--bin-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("/usr/local/bin"),
    show_default=True,
    help="Where to write pbhub-admin, which runs pbhub as the units do.",
)
@click.option(
    "--working-directory",
    default=_default_directory,
    help="The processes' directory (default: the checkout, or the user's home).",
)
@click.option("--print", "show", is_flag=True, help="Print the files instead of writing them.")
@click.option("--force", is_flag=True, help="Replace files that exist and differ.")
def systemd(
    user: str,
    env_file: str,
    output_dir: Path,
    bin_dir: Path,
    working_directory: str,
    show: bool,
    force: bool,
) -> None:
    """Write the web and worker systemd units, and pbhub-admin, for this install.

    ExecStart names this install's own pbhub, so the units run the version you
    installed. pbhub-admin runs any pbhub command as the units do: as their user, with
    their environment file (sudo pbhub-admin db upgrade). Run it as root.

    \b
    Example:
      sudo /opt/pbhub/app/.venv/bin/pbhub deploy systemd --user pbhub
      sudo systemctl daemon-reload && sudo systemctl enable --now pbhub-web pbhub-worker@1
    """
    install = service_files.Install(
        pbhub=_this_pbhub(),
        user=user,
        env_file=env_file,
        working_directory=working_directory,
    )
    files = {output_dir / name: text for name, text in service_files.units(install).items()}
    files[bin_dir / service_files.ADMIN] = service_files.admin_command(install)
    if show:
        for path, text in files.items():
            click.echo(f"# {path}\n{text}")
        return
    clashes = [str(p) for p, text in files.items() if p.exists() and p.read_text() != text]
    if clashes and not force:
        raise click.ClickException(
            f"{', '.join(clashes)} already exist with other contents; compare them with "
            "--print, and add --force to replace them"
        )
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            unchanged = path.exists() and path.read_text() == text
            path.write_text(text)
            if path.name == service_files.ADMIN:
                path.chmod(0o755)
            click.echo(f"{'unchanged' if unchanged else 'wrote'} {path}")
    except PermissionError as exc:
        raise click.ClickException(
            f"cannot write {exc.filename}: run it as root (sudo), or choose --output-dir "
            "and --bin-dir"
        ) from None
    for warning in _warnings(install):
        click.echo(f"warning: {warning}", err=True)
    click.echo("next: systemctl daemon-reload && systemctl enable --now pbhub-web pbhub-worker@1")


def _warnings(install: service_files.Install) -> list[str]:
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
