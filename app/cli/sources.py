"""``pbhub sources ...``: the same operations and validation as the API."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

import click
from flask import current_app

from app.api.schemas import (
    ReprocessInSchema,
    ReprocessReportSchema,
    SourceInSchema,
    SourceOutSchema,
    SourceUrlsSchema,
)
from app.cli import echo_json, handle_errors, not_json, option
from app.core import json_limits
from app.models.types import utcnow
from app.queue import enqueue_follow_ups
from app.runtime import base_url, keyring
from app.services import outbound
from app.services import reprocess as remapping
from app.services import sources as service

SCALAR_OPTIONS = (
    ("platform", str),
    ("offer_url", str),
    ("outbound_target_url", str),
    ("default_currency", str),
    ("attribution_window_days", int),
    ("rate_limit_per_minute", int),
)
MAP_OPTIONS = ("field_map", "event_map", "status_map")


def source_options(command: Any) -> Any:
    for name, kind in reversed(SCALAR_OPTIONS):
        command = click.option(f"--{name.replace('_', '-')}", name, type=kind)(command)
    for name in MAP_OPTIONS:
        command = click.option(
            f"--{name.replace('_', '-')}", name, help='A JSON object, e.g. \'{"ftd": "ftd"}\'.'
        )(command)
    return command


def collect(options: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in options.items() if v is not None}
    for name in MAP_OPTIONS:
        if name in data:
            try:
                data[name] = json_limits.loads(data[name])
            except ValueError as exc:
                raise click.BadParameter(not_json(exc), param_hint=option(name)) from None
            except json_limits.NestingTooDeep as exc:
                raise click.BadParameter(str(exc), param_hint=option(name)) from None
    return data


def dump(source: Any) -> dict[str, Any]:
    return SourceOutSchema().dump(source)


@click.group()
def sources() -> None:
    """Inbound sources (one per affiliate network)."""


@sources.command("create")
@click.option("--name", required=True)
@source_options
@handle_errors
def create(name: str, **options: Any) -> None:
    """Create a source; prints its inbound token and Postback URL once."""
    schema = SourceInSchema()
    data = schema.normalise(schema.load({"name": name, **collect(options)}))
    source, urls = service.create_source(data, keyring(), base_url())
    body = {**dump(source), **SourceUrlsSchema().dump(urls)}
    secret = outbound.sync_source_webhook(source, keyring())
    if secret:
        body["outbound_secret"] = secret
    echo_json(body)


@sources.command("list")
def list_() -> None:
    """Every source, by name."""
    echo_json([dump(s) for s in service.list_sources()])


@sources.command("get")
@click.argument("source_id", type=int)
@handle_errors
def get(source_id: int) -> None:
    """One source."""
    echo_json(dump(service.get_source(source_id)))


@sources.command("update")
@click.argument("source_id", type=int)
@click.option("--name")
@click.option("--state", type=click.Choice(["active", "paused", "archived"]))
@source_options
@handle_errors
def update(source_id: int, **options: Any) -> None:
    """Change the given fields only."""
    schema = SourceInSchema(partial=True)
    changes = schema.normalise(schema.load(collect(options)))
    source = service.update_source(service.get_source(source_id), changes)
    body = dump(source)
    secret = outbound.sync_source_webhook(source, keyring())
    if secret:
        body["outbound_secret"] = secret
    echo_json(body)


@sources.command("pause")
@click.argument("source_id", type=int)
@handle_errors
def pause(source_id: int) -> None:
    """Refuse this source's postbacks (403) until resumed."""
    echo_json(dump(service.set_state(service.get_source(source_id), "paused")))


@sources.command("resume")
@click.argument("source_id", type=int)
@handle_errors
def resume(source_id: int) -> None:
    """Accept this source's postbacks again."""
    echo_json(dump(service.set_state(service.get_source(source_id), "active")))


@sources.command("delete")
@click.argument("source_id", type=int)
@click.confirmation_option(prompt="Delete this source?")
@handle_errors
def delete(source_id: int) -> None:
    """Delete a source (refused while it has conversions unless archived)."""
    service.delete_source(service.get_source(source_id))
    click.echo(f"deleted source {source_id}")


@sources.command("postback-url")
@click.argument("source_id", type=int)
@handle_errors
def postback_url(source_id: int) -> None:
    """Show the Postback URL (with its token) and the Track URL again."""
    urls = service.reveal_urls(service.get_source(source_id), keyring(), base_url())
    echo_json(SourceUrlsSchema().dump(urls))
    current_app.logger.info("postback URL of source %s revealed on the command line", source_id)


@sources.command("reprocess")
@click.argument("source_id", type=int)
@click.option("--days", type=int, help="Re-map the last N days (instead of --since).")
@click.option("--since", help="ISO 8601 with offset, e.g. 2026-11-01T00:00:00+00:00.")
@click.option("--until", help="ISO 8601 with offset; default now.")
@click.option("--attribution", help="Only conversions with this attribution.")
@click.option("--event", "event_type", help="Only conversions with this canonical event.")
@click.option("--dry-run", is_flag=True, help="Report and list what would change; write nothing.")
@handle_errors
def reprocess(source_id: int, **options: Any) -> None:
    """Apply the source's current maps to the postbacks it already stored.

    The report (JSON) goes to stdout; a summary of every transition goes to stderr, a
    conversion that would stop being matched as a warning line."""
    data = ReprocessInSchema().load({k: v for k, v in options.items() if v not in (None, False)})
    window = remapping.window(data)
    source = service.get_source(source_id)
    filters = {k: window.get(k) for k in ("since", "until", "attribution", "event_type")}
    total = remapping.count(source, **filters)
    with click.progressbar(length=total, label="re-mapping", file=sys.stderr) as bar:
        report = remapping.reprocess(
            source, token_key=keyring().click_token, progress=bar.update, **window
        )
    enqueue_follow_ups(report.follow_ups)
    body = ReprocessReportSchema().dump(report.as_dict())
    echo_json(body)
    _summarise(body)


def _conversions(count: int) -> str:
    return f"{count} conversion" + ("" if count == 1 else "s")


def _summarise(report: dict[str, Any]) -> None:
    """The report's transitions for a person at the terminal; a demotion is a warning."""
    dry_run = report["dry_run"]
    head = f"{report['changed']} of {_conversions(report['examined'])} "
    head += "would change (dry run: nothing written)" if dry_run else "changed"
    click.echo(head, err=True)
    for item in report["transitions"]:
        line = f"{item['field']}: {item['from'] or '(none)'} → {item['to'] or '(none)'}: "
        line += str(item["count"])
        if item["demotion"]:
            lost = "would no longer be matched" if dry_run else "no longer matched"
            click.secho(
                f"warning: {line} ({_conversions(item['count'])} {lost})", err=True, fg="yellow"
            )
        else:
            click.echo(f"  {line}", err=True)
    if report["skipped"]:
        click.echo(
            f"{_conversions(report['skipped'])} skipped: stored truncated or as multipart", err=True
        )
    if report["changes_more"]:
        click.echo(
            f'"changes" lists the first {report["changes_listed"]}; '
            f"{report['changes_more']} more changed and are not listed",
            err=True,
        )


@sources.command("rotate-token")
@click.argument("source_id", type=int)
@click.option("--grace-hours", type=float, default=72.0, show_default=True)
@handle_errors
def rotate_token(source_id: int, grace_hours: float) -> None:
    """A new inbound token (printed once); the old one works for the grace period."""
    source = service.get_source(source_id)
    urls = service.rotate_token(
        source, keyring(), base_url(), utcnow(), timedelta(hours=grace_hours)
    )
    echo_json(SourceUrlsSchema().dump(urls))
    click.echo(f"the previous token is accepted until {source.previous_token_until}", err=True)


@sources.command("end-token-grace")
@click.argument("source_id", type=int)
@handle_errors
def end_token_grace(source_id: int) -> None:
    """Refuse the previous inbound token from now on."""
    echo_json(dump(service.end_token_grace(service.get_source(source_id))))
