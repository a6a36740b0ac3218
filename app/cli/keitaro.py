"""``pbhub keitaro``: connections, sync, reconciliation, forwarding, and every Admin API
operation as ``pbhub keitaro RESOURCE OPERATION``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import click
from flask.cli import with_appcontext

from app.cli import echo_json, handle_errors
from app.cli.keitaro_api import (
    COMMANDS,
    OPTIONS,
    RESOURCES,
    STANDARD,
    Command,
    describe,
    emit,
    envelope,
    error_body,
)
from app.core.display import format_money, locale_from_environment
from app.keitaro import errors
from app.models.types import utcnow
from app.queue import enqueue_follow_ups
from app.runtime import keitaro_settings, keyring
from app.services import keitaro as service
from app.services import keitaro_catalogue, keitaro_reconcile, keitaro_sync
from app.services.errors import DomainError

CONNECTION_ENV = "PBHUB_KEITARO_CONNECTION"


class ResourceGroup(click.Group):
    """Answers an operation Keitaro lacks for this resource in one line."""

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        found = super().get_command(ctx, name)
        if found is None and name in STANDARD:
            have = ", ".join(sorted(self.commands))
            # A ClickException, not a UsageError: one line, without the usage preamble.
            raise click.ClickException(f"Keitaro has no {name!r} for {self.name} (it has: {have})")
        return found


@click.group()
def keitaro() -> None:
    """Drive a Keitaro tracker and sync it with the hub.

    Every Admin API operation is `pbhub keitaro RESOURCE OPERATION`, printing JSON
    (or --table). Connections are stored with `pbhub keitaro connections add`.

    \b
    Examples:
      pbhub keitaro connections add main --url https://tracker.example.com
      pbhub keitaro campaign list --table
    """


def _connection_option() -> click.Option:
    return click.Option(
        ["--connection"],
        envvar=CONNECTION_ENV,
        help="A stored connection's name (default: the default connection).",
    )


def _api_command(command: Command) -> click.Command:
    params = [OPTIONS[name]() for name in command.options]
    params += [
        _connection_option(),
        click.Option(["--table"], is_flag=True, help="A readable table instead of JSON."),
    ]

    @with_appcontext
    def callback(**args: Any) -> None:
        table = args.pop("table")
        name = args.pop("connection")
        request: Any = None
        data: Any = None
        error: Any = None
        client = None
        try:
            row = service.get_connection(name)
            client = service.client_for(row, keyring(), keitaro_settings())
            if command.needs_connection:
                args["_connection"] = _plain(row)
            data = command.run(client, args)
            request = client.transport.last_request
            if command.needs_connection and isinstance(data, dict):
                request = data.pop("request", request)
        except errors.KeitaroError as exc:
            error = error_body(exc)
            request = exc.request or (client.transport.last_request if client else None)
        except DomainError as exc:
            error = {"type": type(exc).__name__, "message": exc.message}
            if exc.fields:
                error["fields"] = exc.fields
        except OSError as exc:
            error = {"type": type(exc).__name__, "message": str(exc)}
        emit(envelope(command, request, data, error), table)

    return click.Command(command.name, callback=callback, params=params, help=describe(command))


def _plain(row: Any) -> SimpleNamespace:
    key = keyring().decrypt(row.postback_key_ciphertext) if row.postback_key_ciphertext else None
    settings = keitaro_settings()
    return SimpleNamespace(
        url=row.url,
        postback_key=key,
        verify_tls=row.verify_tls,
        guard=service.url_guard(settings),
        # Pinned to the addresses checked, within the outbound deadline.
        session=service.session_for(settings),
        deadline=settings.deadline,
    )


for _resource, _help in RESOURCES.items():
    _group = ResourceGroup(_resource, help=_help)
    for _command in COMMANDS:
        if _command.resource == _resource:
            _group.add_command(_api_command(_command))
    keitaro.add_command(_group)


# -- connections -----------------------------------------------------------------------


@keitaro.group()
def connections() -> None:
    """Stored trackers: URL, API key (encrypted), postback key, timezone."""


@connections.command("add")
@click.argument("name")
@click.option(
    "--url",
    required=True,
    help="The tracker's address (with or without /admin_api/v1), e.g. https://tracker.example.com.",
)
@click.option(
    "--api-key",
    required=True,
    prompt=True,
    hide_input=True,
    help="An Admin API key of the tracker; asked for, hidden, when left out.",
)
@click.option(
    "--postback-key", help="The key in the tracker's postback URL (for forwarding), e.g. abc123."
)
@click.option(
    "--timezone",
    default="UTC",
    show_default=True,
    help="The tracker's timezone (Maintenance > Settings), e.g. Europe/Moscow.",
)
@click.option("--no-verify-tls", is_flag=True, help="Accept a self-signed certificate.")
@click.option("--source", help="Hub source (name or id) whose stats count the imported clicks.")
@with_appcontext
@handle_errors
def add(
    name: str,
    url: str,
    api_key: str,
    postback_key: str | None,
    timezone: str,
    no_verify_tls: bool,
    source: str | None,
) -> None:
    """Store a tracker under NAME; its keys are encrypted, never shown whole again.

    The first connection is the default one; --connection NAME (or
    PBHUB_KEITARO_CONNECTION) picks another. A tracker on a private address needs
    PBHUB_OUTBOUND_ALLOWED_HOSTS. Prints the connection as JSON, keys masked; check it
    with `pbhub keitaro connections test`. Exits 2 when an option is refused, 1 when the
    name is taken.

    \b
    Examples:
      pbhub keitaro connections add main --url https://tracker.example.com
      pbhub keitaro connections add main --url https://tracker.example.com \\
          --api-key "$KEITARO_KEY" --postback-key abc123 --timezone Europe/Moscow \\
          --source Affise
    """
    row = service.add_connection(
        {
            "name": name,
            "url": url,
            "api_key": api_key,
            "postback_key": postback_key,
            "timezone": timezone,
            "verify_tls": not no_verify_tls,
            "source": source,
        },
        keyring(),
        keitaro_settings(),
    )
    echo_json(service.describe(row, keyring()))


@connections.command("update")
@click.argument("name")
@click.option(
    "--url", help="A new address; another host needs --api-key again and forgets the postback key."
)
@click.option("--api-key", help="A new Admin API key.")
@click.option("--postback-key", help="A new postback key ('' removes it and pauses forwarding).")
@click.option("--timezone", help="The tracker's timezone, e.g. Europe/Moscow.")
@click.option(
    "--verify-tls/--no-verify-tls", default=None, help="Check the tracker's certificate or not."
)
@click.option(
    "--sync/--no-sync", "sync_enabled", default=None, help="Scheduled click imports on or off."
)
@click.option("--source", help="Hub source (name or id) for imported clicks ('' for none).")
@click.option("--default", "make_default", is_flag=True, help="Make this the default connection.")
@with_appcontext
@handle_errors
def update(name: str, make_default: bool, **options: Any) -> None:
    """Change the options given on a stored tracker and leave the rest as it is.

    A new address or postback key also reaches the forwarding postback. Prints the
    connection as JSON, keys masked. Exits 2 when an option is refused, 1 when there is
    no connection NAME.

    \b
    Examples:
      pbhub keitaro connections update main --timezone Europe/Moscow
      pbhub keitaro connections update main --url https://tracker2.example.com \\
          --api-key "$KEITARO_KEY"
      pbhub keitaro connections update backup --no-sync --default
    """
    changes = {k: v for k, v in options.items() if v is not None}
    if make_default:
        changes["default"] = True
    row = service.update_connection(
        service.get_connection(name), changes, keyring(), keitaro_settings()
    )
    echo_json(service.describe(row, keyring()))


@connections.command("map")
@click.argument("name")
@click.argument("network_id", type=int)
@click.argument("source", required=False)
@with_appcontext
@handle_errors
def map_(name: str, network_id: int, source: str | None) -> None:
    """Count clicks on one Keitaro affiliate network's offers towards a hub source.

    NETWORK_ID is the affiliate network's id in Keitaro, SOURCE a hub source's name or
    id; leave SOURCE out to remove the mapping. Prints the connection as JSON. Exits 1
    when there is no such connection or source.

    \b
    Examples:
      pbhub keitaro connections map main 4 Affise
      pbhub keitaro connections map main 4
    """
    row = service.get_connection(name)
    service.map_network(row, network_id, source)
    echo_json(service.describe(row, keyring()))


@connections.command("list")
@with_appcontext
def list_() -> None:
    """List the stored trackers as JSON, keys masked.

    Each with its address, timezone, whether it is the default, its hub source and
    network mapping, scheduled imports and forwarding postback.

    \b
    Example:
      pbhub keitaro connections list
    """
    echo_json([service.describe(row, keyring()) for row in service.list_connections()])


@connections.command("test")
@click.argument("name", required=False)
@with_appcontext
@handle_errors
def test(name: str | None) -> None:
    """Call the tracker with the stored key and say what it answered.

    Tests NAME, or the default connection, with a call of Keitaro's published API, the
    cheapest there is (GET /groups?type=campaigns): it fails when the key is wrong
    (401), when the licence lacks the Admin API (402), or when the URL is not the Admin
    API's (a web page). Prints JSON: ok, the call, the tracker's timezone where it tells
    it, and a warning when that is not the connection's. Exits 1, with one line saying
    which, when the tracker refuses or cannot be reached.

    \b
    Examples:
      pbhub keitaro connections test
      pbhub keitaro connections test main
    """
    row = service.get_connection(name)
    client = service.client_for(row, keyring(), keitaro_settings())
    with _tracker(row):
        report = service.check_connection(client, count_campaigns=False)
    echo_json({"connection": row.name, **report})


@connections.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask.")
@with_appcontext
@handle_errors
def remove(name: str, yes: bool) -> None:
    """Remove a stored tracker and the clicks imported from it, after asking.

    Its forwarding postback is disabled, not deleted. Says how many imported clicks went
    with it.

    \b
    Examples:
      pbhub keitaro connections remove main
      pbhub keitaro connections remove main --yes
    """
    row = service.get_connection(name)
    if not yes:
        click.confirm(f"Remove {row.name!r} and the clicks imported from it?", abort=True)
    clicks = service.remove_connection(row)
    click.echo(f"removed {name}, with {clicks} imported clicks")


# -- sync ------------------------------------------------------------------------------


@keitaro.group()
def sync() -> None:
    """Click import and catalogue refresh (scheduled; also on demand here)."""


@sync.command("status")
@click.option(
    "--connection", envvar=CONNECTION_ENV, help="Only this stored connection (default: all)."
)
@with_appcontext
@handle_errors
def sync_status(connection: str | None) -> None:
    """Show each connection's click import: cursor, successes, errors, clicks.

    Prints JSON, one entry per connection, with the clicks imported today and in all.

    \b
    Examples:
      pbhub keitaro sync status
      pbhub keitaro sync status --connection main
    """
    rows = [service.get_connection(connection)] if connection else service.list_connections()
    echo_json([keitaro_sync.status(row, utcnow()) for row in rows])


@sync.command("clicks")
@click.option(
    "--connection",
    envvar=CONNECTION_ENV,
    help="A stored connection's name (default: the default connection).",
)
@click.option("--since", help="Re-read from this long ago (90m, 24h, 7d) instead of the cursor.")
@with_appcontext
@handle_errors
def sync_clicks(connection: str | None, since: str | None) -> None:
    """Import the tracker's clicks now, with a progress bar.

    Reads from the cursor (or --since, a backfill) to now; re-reading changes nothing.
    Conversions that arrived before their click are matched now. Prints a JSON summary.
    Exits 1 when the tracker refuses or another import of this connection is running.

    \b
    Examples:
      pbhub keitaro sync clicks
      pbhub keitaro sync clicks --connection main --since 7d
    """
    from flask import current_app

    row = service.get_connection(connection)
    client = service.client_for(row, keyring(), keitaro_settings())
    config = current_app.config
    now = utcnow()
    start = keitaro_reconcile.window(since, now)[0] if since else None
    window = keitaro_sync.import_window(
        row,
        now,
        overlap=timedelta(seconds=config["PBHUB_KEITARO_OVERLAP_SECONDS"]),
        backfill=timedelta(hours=config["PBHUB_KEITARO_BACKFILL_HOURS"]),
        since=start,
    )
    if not row.metadata_refreshed_at:
        _refresh(row, client)
    with _progress(f"clicks from {row.name}") as bar, _tracker(row):
        try:
            result = keitaro_sync.import_clicks(
                row, client, window, progress=bar.update, on_total=_resize(bar)
            )
        except (keitaro_sync.Busy, keitaro_sync.LeaseLost) as exc:
            raise click.ClickException(str(exc)) from None
    enqueue_follow_ups((conversion_id, "matched late") for conversion_id in result.rematched)
    echo_json(
        {
            "connection": row.name,
            "from": window.start,
            "to": window.end,
            "imported": result.rows,
            "read": result.seen,
            "skipped": result.skipped,
            "conversions_matched_late": result.matched_late,
            "cursor": result.cursor,
        }
    )


@sync.command("metadata")
@click.option(
    "--connection",
    envvar=CONNECTION_ENV,
    help="A stored connection's name (default: the default connection).",
)
@with_appcontext
@handle_errors
def sync_metadata(connection: str | None) -> None:
    """Refresh the cached campaigns, offers, affiliate networks, traffic sources.

    Their names label conversions of imported clicks; this runs hourly on its own.
    Prints how many of each it read, as JSON. Exits 1 when the tracker refuses.

    \b
    Example:
      pbhub keitaro sync metadata
    """
    row = service.get_connection(connection)
    echo_json(_refresh(row, service.client_for(row, keyring(), keitaro_settings())))


def _refresh(row: Any, client: Any) -> dict[str, int]:
    with _tracker(row):
        return keitaro_catalogue.refresh_metadata(row, client, utcnow())


@contextmanager
def _tracker(row: Any) -> Iterator[None]:
    """A tracker's refusal as one line naming the connection."""
    try:
        yield
    except errors.KeitaroError as exc:
        raise click.ClickException(f"{row.name}: {exc.message}") from None


def _progress(label: str) -> Any:
    """A bar whose length becomes the row count Keitaro announces with its first page."""
    return click.progressbar(length=1, label=label, file=_err(), show_pos=True)


def _resize(bar: Any) -> Any:
    def resize(total: int) -> None:
        bar.length = max(total, 1)

    return resize


def _err() -> Any:
    return sys.stderr


# -- forwarding and reconciliation -----------------------------------------------------


@keitaro.group()
def forward() -> None:
    """Forward the hub's conversions to Keitaro (the Keitaro outbound preset)."""


@forward.command("setup")
@click.option(
    "--connection",
    envvar=CONNECTION_ENV,
    help="A stored connection's name (default: the default connection).",
)
@with_appcontext
@handle_errors
def forward_setup(connection: str | None) -> None:
    """Create the outbound postback that posts accepted conversions to the tracker.

    Uses the connection's postback key; run again, it shows the existing postback
    ("created": false). Prints JSON with the outbound postback's id. Exits 2 when the
    connection has no postback key (add one with `pbhub keitaro connections update`).

    \b
    Examples:
      pbhub keitaro forward setup
      pbhub keitaro forward setup --connection main
    """
    row = service.get_connection(connection)
    postback, created = service.setup_forwarding(row, keyring())
    echo_json(
        {
            "connection": row.name,
            "outbound_postback_id": postback.id,
            "name": postback.name,
            "created": created,
            "state": postback.state,
        }
    )


@keitaro.command("reconcile")
@click.option(
    "--connection",
    envvar=CONNECTION_ENV,
    help="A stored connection's name (default: the default connection).",
)
@click.option("--since", default="24h", show_default=True, help="How far back: 90m, 24h, 7d, ...")
@click.option("--json", "as_json", is_flag=True, help="The whole report as JSON.")
@with_appcontext
@handle_errors
def reconcile(connection: str | None, since: str, as_json: bool) -> None:
    """Compare Keitaro's conversions log with what the hub forwarded (subid + tid).

    Lists what is missing on either side, what has another status or payout, and the
    conversions whose forwarding failed or is not delivered yet (with the delivery's
    state and last error); payouts in the terminal's locale. Exits 1 when anything
    differs or is not delivered, so a script or a monitor can tell.

    \b
    Examples:
      pbhub keitaro reconcile
      pbhub keitaro reconcile --since 7d --json
    """
    row = service.get_connection(connection)
    client = service.client_for(row, keyring(), keitaro_settings())
    start, end = keitaro_reconcile.window(since, utcnow())
    with _progress("reading Keitaro's conversions") as bar, _tracker(row):
        report = keitaro_reconcile.reconcile(
            row, client, start, end, progress=bar.update, on_total=_resize(bar)
        )
    if as_json:
        echo_json(report.as_dict())
    else:
        _print_report(report)
    if not report.matches:
        raise SystemExit(1)


def _print_report(report: keitaro_reconcile.Report) -> None:
    click.echo(
        f"{report.since:%Y-%m-%d %H:%M} .. {report.until:%Y-%m-%d %H:%M} UTC: "
        f"hub forwarded {report.hub}, Keitaro has {report.keitaro}"
    )
    sections = (
        ("missing in Keitaro", report.missing_in_keitaro, ""),
        ("missing in the hub", report.missing_in_hub, ""),
        ("status differs", report.status_differs, "keitaro_status"),
        ("payout differs", report.payout_differs, "keitaro_payout"),
        ("forwarding failed", report.forwarding_failed, "delivery"),
        ("not yet delivered", report.forwarding_pending, "delivery"),
    )
    locale = locale_from_environment()

    def money(item: dict[str, Any], key: str) -> str:
        # Keitaro's payout is compared only in the hub's currency, so it is written in it.
        return format_money(item.get(key), item.get("payout_currency"), locale)

    for title, items, extra in sections:
        click.echo(f"{title}: {len(items)}")
        for item in items[:50]:
            click.echo("  " + _report_line(item, extra, money))
        if len(items) > 50:
            click.echo(f"  ... and {len(items) - 50} more (--json for all)")
    click.echo("everything matches" if report.matches else "differences found")


def _report_line(
    item: dict[str, Any], extra: str, money: Callable[[dict[str, Any], str], str]
) -> str:
    """One conversion of the report; a forwarding one says which conversion and how its
    delivery stands, with the error of its last attempt."""
    line = (
        f"subid={item.get('sub_id')} tid={item.get('tid')} "
        f"status={item.get('status')} payout={money(item, 'payout')}"
    )
    if extra == "delivery":
        line = (
            f"conversion={item.get('conversion_id')} {line} "
            f"delivery={item['delivery_state']} attempts={item.get('attempts') or 0}"
        )
        if item.get("last_error"):
            line += f" last_error={item['last_error']}"
        elif not item.get("attempts"):
            line += " last_error=none (not attempted yet)"
    elif extra and extra in item:
        value = money(item, extra) if extra == "keitaro_payout" else item[extra]
        line += f" {extra}={value}"
    return line
