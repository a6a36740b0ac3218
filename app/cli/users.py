"""``pbhub users ...`` and ``pbhub tokens ...``."""

from __future__ import annotations

import sys

import click

from app.cli import handle_errors
from app.services import users as service


@click.group()
def users() -> None:
    """Dashboard and API users."""


@users.command("create")
@click.argument("email")
@click.option("--admin", is_flag=True, help="Give the admin role (default: operator).")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of generating one.",
)
@handle_errors
def create_user(email: str, admin: bool, password_stdin: bool) -> None:
    """Create a user who can sign in to the dashboard and hold API tokens.

    Without --password-stdin a strong password is generated and printed once: store it
    then, it is never shown again. Operators work sources, conversions and stats; admins
    also delete sources, write signatures and work the support tickets. Exits 2 when the
    address or the password is refused, 1 when a user has that address already.

    \b
    Examples:
      pbhub users create ana@example.com
      pbhub users create --admin ops@example.com
      echo "$NEW_PASSWORD" | pbhub users create ana@example.com --password-stdin
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        generated = False
    else:
        password, generated = service.generate_password(), True
    user = service.create_user(email, password, admin=admin)
    click.echo(f"created {user.role} {user.email}")
    if generated:
        click.echo(f"password: {password}")
        click.echo("(shown once; store it now)", err=True)


@users.command("list")
def list_users() -> None:
    """List every user with their id, role, state and creation date.

    One tab-separated line per user: id, email, role (admin or operator), state (active
    or disabled) and the day the user was created.

    \b
    Example:
      pbhub users list
    """
    for user in service.list_users():
        state = "active" if user.active else "disabled"
        click.echo(f"{user.id}\t{user.email}\t{user.role}\t{state}\t{user.created_at:%Y-%m-%d}")


@users.command("reset-password")
@click.argument("email")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the new password from the first line of standard input instead of generating one.",
)
@handle_errors
def reset_password(email: str, password_stdin: bool) -> None:
    """Give a user a new password and end their dashboard sessions.

    Without --password-stdin a strong password is generated and printed once. The user's
    API tokens keep working. Exits 1 when no user has that address, 2 when the password
    is refused.

    \b
    Examples:
      pbhub users reset-password admin@localhost
      echo "$NEW_PASSWORD" | pbhub users reset-password ana@example.com --password-stdin
    """
    user = service.find_user(email)
    if password_stdin:
        service.set_password(user, sys.stdin.readline().rstrip("\r\n"))
        click.echo(f"new password set for {user.email}")
        return
    password = service.generate_password()
    service.set_password(user, password)
    click.echo(f"new password for {user.email}: {password}")
    click.echo("(shown once; store it now)", err=True)


@users.command("ensure-admin")
@click.option(
    "--email",
    default="admin@localhost",
    show_default=True,
    help="The first admin's sign-in address.",
)
@handle_errors
def ensure_admin(email: str) -> None:
    """Create the first admin if there is none yet, and print its password once.

    When an admin exists already it changes nothing and says so, so an install or deploy
    script can run it every time.

    \b
    Examples:
      pbhub users ensure-admin
      pbhub users ensure-admin --email ops@example.com
    """
    if service.admin_count():
        click.echo("an admin exists already; log in with your own credentials")
        return
    password = service.generate_password()
    service.create_user(email, password, admin=True)
    click.echo(f"created the first admin: {email}")
    click.echo(f"password: {password}   (shown once; store it now)")


@click.group()
def tokens() -> None:
    """Personal API tokens."""


@tokens.command("create")
@click.argument("email")
@click.option("--name", help='A label to recognise the token by, e.g. "CI deploys".')
@handle_errors
def create_token(email: str, name: str | None) -> None:
    """Create a personal API token for EMAIL and print it once.

    The token alone is printed on stdout, so a script can capture it; only its hash is
    stored, so it cannot be shown again. It acts with the user's role, sent as
    "Authorization: Bearer TOKEN". Exits 1 when no user has that address.

    \b
    Examples:
      pbhub tokens create ana@example.com --name "CI deploys"
      TOKEN=$(pbhub tokens create admin@localhost)
    """
    token = service.create_token(service.find_user(email), name)
    click.echo(token)
