"""The ``pbhub`` command: Flask's CLI for this app plus our own command groups."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import IO, Any

import click
from flask import Flask
from flask.cli import FlaskGroup
from marshmallow import ValidationError

from app.config import ConfigError
from app.core import field_errors
from app.services.errors import DomainError, Invalid
from app.version import VERSION


def _create_app() -> Flask:
    from app import create_app

    try:
        return create_app()
    except ConfigError as exc:
        click.echo(f"pbhub: configuration error: {exc}", err=True)
        sys.exit(2)


class HubGroup(FlaskGroup):
    """Flask's command loading, without its development options (``--app``, ``--debug``,
    ``--env-file``) and commands (``run``, ``shell``, ``routes``, which are under
    ``pbhub dev``): ``pbhub --help`` shows an operator the hub's own commands only."""

    HIDDEN_OPTIONS = ("app", "debug", "env_file")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(add_default_commands=False, **kwargs)
        self.params = [p for p in self.params if p.name not in self.HIDDEN_OPTIONS]


@click.group(cls=HubGroup, create_app=_create_app, add_version_option=False)
@click.version_option(VERSION, prog_name="pbhub", message="%(prog)s (Postback Hub) %(version)s")
def main() -> None:
    """Postback Hub: manage users, tokens, sources, outbound postbacks, Keitaro and the
    database.

    Each command's --help has an example. Development tools (the development server, a
    shell, writing migrations) are under pbhub dev.
    """


class CommandFailed(click.ClickException):
    """What a command could not do: one ``error:`` line per sentence on stderr."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(" ".join(lines))
        self.lines = lines

    def show(self, file: IO[Any] | None = None) -> None:
        for line in self.lines:
            click.echo(f"error: {line}", file=file, err=file is None)


class InputRefused(CommandFailed):
    """Input the hub refused, each field named as typed: exit status 2, as click exits
    on input it refuses itself (a bad number, a missing option)."""

    exit_code = 2


def option_names(command: click.Command) -> dict[str, str]:
    """Parameter name -> how it is typed: ``event_map`` is ``--event-map``, an argument
    its metavar (``SOURCE_ID``)."""
    names: dict[str, str] = {}
    for param in command.params:
        if not param.name:
            continue
        if isinstance(param, click.Option):
            spelled = [opt for opt in param.opts if opt.startswith("--")] or param.opts
            names[param.name] = spelled[0]
        else:
            names[param.name] = param.human_readable_name
    return names


def refusal(errors: object, data: object = None) -> InputRefused:
    """Field errors of the running command as sentences naming its options (a field no
    option gives, such as a password read from stdin, by its name in words), in the
    order ``--help`` lists the options."""
    names = option_names(click.get_current_context().command)

    def label(key: str) -> str:
        return names.get(key, key.replace("_", " "))

    by_field = field_errors.sentences(errors, data, label)
    order = list(names)
    ranked = sorted(by_field, key=lambda key: order.index(key) if key in order else len(order))
    return InputRefused([line for key in ranked for line in by_field[key]])


def handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn validation and domain errors into sentences on stderr: refused input (a
    ``ValidationError``, an ``Invalid``) exits 2 naming each option as typed, anything
    else the command could not do exits 1."""

    @wraps(command)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ValidationError as exc:
            raise refusal(exc.messages, exc.data) from None
        except Invalid as exc:
            options = option_names(click.get_current_context().command)
            if exc.fields and set(exc.fields) <= set(options):
                raise refusal(exc.fields) from None
            raise InputRefused([exc.message]) from None
        except DomainError as exc:
            raise CommandFailed([exc.message]) from None

    return wrapped


def option(name: str) -> str:
    """How a parameter is typed on the command line: ``event_map`` is ``--event-map``."""
    return "--" + name.replace("_", "-")


def not_json(exc: ValueError) -> str:
    """What is wrong with an option's JSON, where, and what it should look like."""
    where = (
        f" at line {exc.lineno}, column {exc.colno}"
        if isinstance(exc, json.JSONDecodeError)
        else ""
    )
    return f'not valid JSON{where}; write an object such as \'{{"name": "value"}}\''


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def register(app: Flask) -> None:
    from flask.cli import routes_command, run_command, shell_command
    from flask_migrate.cli import db as migrations

    from app.cli import (
        backup,
        countries,
        database,
        deploy,
        dev,
        doctor,
        keitaro,
        outbound,
        processes,
        signatures,
        sources,
        stats,
        users,
    )

    # Flask-Migrate's full group is for writing migrations: under ``pbhub dev db``.
    app.cli.commands.pop("db", None)
    app.cli.add_command(database.db)
    for command in (migrations, run_command, shell_command, routes_command):
        dev.dev.add_command(command)
    app.cli.add_command(users.users)
    app.cli.add_command(dev.dev)
    app.cli.add_command(users.tokens)
    app.cli.add_command(sources.sources)
    app.cli.add_command(signatures.signatures)
    app.cli.add_command(outbound.outbound)
    app.cli.add_command(keitaro.keitaro)
    app.cli.add_command(stats.stats)
    app.cli.add_command(countries.countries)
    app.cli.add_command(backup.backup)
    app.cli.add_command(backup.restore)
    app.cli.add_command(doctor.doctor)
    app.cli.add_command(processes.serve)
    app.cli.add_command(processes.worker)
    app.cli.add_command(deploy.deploy)
