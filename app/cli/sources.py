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
    ("platform", str, "A free label for the network's platform, e.g. Affise."),
    (
        "offer_url",
        str,
        "Where the Track URL redirects; {cid} in it becomes the click token, else "
        "_cid=TOKEN is appended, e.g. 'https://offer.example.com/lp?aff=7'.",
    ),
    (
        "outbound_target_url",
        str,
        "Also deliver this source's conversions here as a signed webhook, e.g. "
        "https://api.example.com/hooks/pbhub.",
    ),
    (
        "default_currency",
        str,
        "ISO 4217 code for amounts the network sends without any currency, e.g. USD.",
    ),
    (
        "attribution_window_days",
        int,
        "Days after a click that a conversion still matches it (1 to 365; new sources: 30).",
    ),
    (
        "rate_limit_per_minute",
        int,
        "Accept at most this many postbacks in any 60 seconds; more are answered 429.",
    ),
)
#: Each map's help names what it maps and ends on an example of its own, kept on one line
#: (``\b``) so that it can be copied.
MAP_OPTIONS = {
    "field_map": (
        "JSON object: canonical field -> the network's parameter name, laid over the "
        'current (or default) map; "" skips a field.\n\n\b\n'
        'e.g. \'{"click_id": "sub1", "payout_amount": "payout"}\''
    ),
    "event_map": (
        "JSON object: the network's event label -> registration, ftd, qftd, ngr, deposit, "
        "cpa or unknown; replaces the whole map.\n\n\b\n"
        'e.g. \'{"reg": "registration", "dep": "ftd"}\''
    ),
    "status_map": (
        "JSON object: the network's status label -> approved, pending or rejected; "
        "replaces the whole map.\n\n\b\n"
        'e.g. \'{"1": "approved", "0": "pending", "-1": "rejected"}\''
    ),
}


def source_options(command: Any) -> Any:
    """The options ``create`` and ``update`` share, one per field of the source."""
    for name, kind, text in reversed(SCALAR_OPTIONS):
        command = click.option(f"--{name.replace('_', '-')}", name, type=kind, help=text)(command)
    for name, text in MAP_OPTIONS.items():
        command = click.option(f"--{name.replace('_', '-')}", name, help=text)(command)
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
@click.option("--name", required=True, help="A unique name (ignoring case), e.g. Affise.")
@source_options
@handle_errors
def create(name: str, **options: Any) -> None:
    """Create a source for one affiliate network and print its Postback URL once.

    Prints the new source as JSON with its inbound token, Postback URL (paste it in the
    network's panel) and Track URL; the token is shown only here (`pbhub sources
    postback-url` shows the URL again). The field map given is laid over the default one.
    With --outbound-target-url the answer also holds the signed webhook's secret, once.
    Exits 2 when an option is refused (named as typed), 1 when the name is taken.

    \b
    Examples:
      pbhub sources create --name Affise
      pbhub sources create --name Affise --platform Affise \\
          --offer-url 'https://offer.example.com/lp?aff=7' \\
          --field-map '{"click_id": "sub1", "payout_amount": "payout"}' \\
          --event-map '{"reg": "registration", "dep": "ftd"}' \\
          --status-map '{"1": "approved", "0": "pending", "-1": "rejected"}'
    """
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
    """List every source as JSON, ordered by name.

    Each with its id, maps, settings, state and Track URL; tokens are never listed.

    \b
    Example:
      pbhub sources list
    """
    echo_json([dump(s) for s in service.list_sources()])


@sources.command("get")
@click.argument("source_id", type=int)
@handle_errors
def get(source_id: int) -> None:
    """Show one source as JSON: its maps, settings, state and Track URL.

    Exits 1 when there is no source with that id.

    \b
    Example:
      pbhub sources get 3
    """
    echo_json(dump(service.get_source(source_id)))


@sources.command("update")
@click.argument("source_id", type=int)
@click.option("--name", help="A new unique name (ignoring case).")
@click.option(
    "--state",
    type=click.Choice(["active", "paused", "archived"]),
    help="paused answers postbacks 403; archived also ends the Track URL (404).",
)
@source_options
@handle_errors
def update(source_id: int, **options: Any) -> None:
    """Change the options given on a source and leave the rest as it is.

    A --field-map is merged into the stored map; --event-map and --status-map replace
    theirs whole, so a label left out is removed. Prints the source as JSON (with the
    signed webhook's secret, once, when --outbound-target-url creates one). Exits 2 when
    an option is refused, 1 when there is no such source or the name is taken.

    \b
    Examples:
      pbhub sources update 3 --event-map '{"reg": "registration", "dep": "ftd", "qdep": "qftd"}'
      pbhub sources update 3 --field-map '{"payout_currency": "cur"}' --default-currency EUR
      pbhub sources update 3 --state archived
    """
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
    """Refuse a source's postbacks (403) until it is resumed.

    The Track URL keeps redirecting, so paid traffic is never stranded. Prints the
    source as JSON.

    \b
    Example:
      pbhub sources pause 3
    """
    echo_json(dump(service.set_state(service.get_source(source_id), "paused")))


@sources.command("resume")
@click.argument("source_id", type=int)
@handle_errors
def resume(source_id: int) -> None:
    """Accept a paused source's postbacks again.

    Sets the source active (an archived one too) and prints it as JSON.

    \b
    Example:
      pbhub sources resume 3
    """
    echo_json(dump(service.set_state(service.get_source(source_id), "active")))


@sources.command("delete")
@click.argument("source_id", type=int)
@click.confirmation_option(prompt="Delete this source?")
@handle_errors
def delete(source_id: int) -> None:
    """Delete a source, after asking (--yes does not ask).

    A source with conversions is deleted only once archived, and its conversions go with
    it; otherwise it exits 1 saying so (`pbhub sources update ID --state archived`
    first).

    \b
    Examples:
      pbhub sources delete 3
      pbhub sources delete 3 --yes
    """
    service.delete_source(service.get_source(source_id))
    click.echo(f"deleted source {source_id}")


@sources.command("postback-url")
@click.argument("source_id", type=int)
@handle_errors
def postback_url(source_id: int) -> None:
    """Show a source's Postback URL (with its token) and Track URL again.

    Prints them as JSON; the reveal is logged. Exits 1 when the token was encrypted
    under another SECRET_KEY and cannot be shown.

    \b
    Example:
      pbhub sources postback-url 3
    """
    urls = service.reveal_urls(service.get_source(source_id), keyring(), base_url())
    echo_json(SourceUrlsSchema().dump(urls))
    current_app.logger.info("postback URL of source %s revealed on the command line", source_id)


@sources.command("reprocess")
@click.argument("source_id", type=int)
@click.option("--days", type=int, help="Re-map the last N days (instead of --since).")
@click.option("--since", help="ISO 8601 with offset, e.g. 2026-11-01T00:00:00+00:00.")
@click.option("--until", help="ISO 8601 with offset; default now.")
@click.option(
    "--attribution",
    help="Only conversions with this attribution: matched, unmatched, duplicate or expired.",
)
@click.option(
    "--event",
    "event_type",
    help="Only conversions of this event: registration, ftd, qftd, ngr, deposit, cpa or unknown.",
)
@click.option("--dry-run", is_flag=True, help="Report and list what would change; write nothing.")
@handle_errors
def reprocess(source_id: int, **options: Any) -> None:
    """Apply the source's current maps to the postbacks it already stored.

    Give --days or --since. The report (JSON) goes to stdout; a summary of every
    transition goes to stderr, a conversion that would stop being matched as a warning
    line. Exits 0 with a report, 1 when nothing could be done (a postback changed one of
    these conversions meanwhile: run it again), 2 when an option is refused.

    \b
    Examples:
      pbhub sources reprocess 3 --days 7 --dry-run
      pbhub sources reprocess 3 --days 7 --attribution unmatched --event ftd
      pbhub sources reprocess 3 --since 2026-11-01T00:00:00+00:00 --until 2026-11-08T00:00:00+00:00
    """
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
@click.option(
    "--grace-hours",
    type=float,
    default=72.0,
    show_default=True,
    help="How long the previous token keeps working: 0 to 168.",
)
@handle_errors
def rotate_token(source_id: int, grace_hours: float) -> None:
    """Give a source a new inbound token; the old one works for the grace period.

    Prints the new Postback URL, Track URL and token as JSON, once, and on stderr until
    when the previous token is accepted (its postbacks get a parse note saying so). Put
    the new URL in the network's panel within the grace period.

    \b
    Examples:
      pbhub sources rotate-token 3
      pbhub sources rotate-token 3 --grace-hours 24
    """
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
    """Refuse a source's previous inbound token from now on.

    Ends the grace period `pbhub sources rotate-token` began, once the network sends to
    the new URL. Prints the source as JSON.

    \b
    Example:
      pbhub sources end-token-grace 3
    """
    echo_json(dump(service.end_token_grace(service.get_source(source_id))))
