"""The ``pbhub`` command: Flask's CLI for this app plus our own command groups."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup
from marshmallow import ValidationError

from app.config import ConfigError
from app.services.errors import DomainError


def _create_app() -> Flask:
    from app import create_app

    try:
        return create_app()
    except ConfigError as exc:
        click.echo(f"pbhub: configuration error: {exc}", err=True)
        sys.exit(2)


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Postback Hub: manage users, tokens, sources and the database."""


def handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain and validation errors into one clear line and exit status 1."""

    @wraps(command)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ValidationError as exc:
            raise click.ClickException(f"invalid input: {json.dumps(exc.messages)}") from None
        except DomainError as exc:
            raise click.ClickException(exc.message) from None

    return wrapped


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def register(app: Flask) -> None:
    from app.cli import dev, keitaro, outbound, signatures, sources, stats, users

    app.cli.add_command(users.users)
    app.cli.add_command(dev.dev)
    app.cli.add_command(users.tokens)
    app.cli.add_command(sources.sources)
    app.cli.add_command(signatures.signatures)
    app.cli.add_command(outbound.outbound)
    app.cli.add_command(keitaro.keitaro)
    app.cli.add_command(stats.stats)
