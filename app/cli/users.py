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
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@handle_errors
def create_user(email: str, admin: bool, password_stdin: bool) -> None:
    """Create a user; without --password-stdin a strong password is generated and shown once."""
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
    """Every user with role and state."""
    for user in service.list_users():
        state = "active" if user.active else "disabled"
        click.echo(f"{user.id}\t{user.email}\t{user.role}\t{state}\t{user.created_at:%Y-%m-%d}")


@users.command("reset-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@handle_errors
def reset_password(email: str, password_stdin: bool) -> None:
    """Give a user a new password (generated and shown once unless read from stdin); it
    ends their dashboard sessions."""
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
@click.option("--email", default="admin@localhost", show_default=True)
@handle_errors
def ensure_admin(email: str) -> None:
    """Create the first admin if there is none yet, and print its password once."""
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
@click.option("--name", help="A label to recognise the token by.")
@handle_errors
def create_token(email: str, name: str | None) -> None:
    """Create an API token for EMAIL; printed once on stdout, stored hashed."""
    token = service.create_token(service.find_user(email), name)
    click.echo(token)
