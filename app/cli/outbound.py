"""``pbhub outbound ...``: outbound postbacks and their deliveries, as in the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click

from app.api.schemas import DeliverySchema, OutboundInSchema, OutboundOutSchema
from app.cli import echo_json, handle_errors, not_json, option
from app.core import json_limits
from app.jobs.deliveries import BATCH, attempt_now, sweep
from app.outbound import circuit
from app.runtime import delivery_settings, keyring
from app.services import outbound as service

#: Ends an option's help on an example kept on a line of its own (``\b``), to copy.
EXAMPLE = "\n\n\b\ne.g. "
#: Every field option of ``create`` and ``update``, with its help.
TEXT_OPTIONS = (
    (
        "url_template",
        "Where to send, with macros such as {click_id} and {payout_amount}."
        + EXAMPLE
        + "'https://partner.example.com/cb?click={click_id}&amount={payout_amount}'",
    ),
    ("method", "GET or POST (new postbacks: GET)."),
    ("body_format", "The POST body: form or json."),
    (
        "body_template",
        "The POST body with macros; json without one sends the canonical conversion."
        + EXAMPLE
        + "'click={click_id}&amount={payout_amount}'",
    ),
    (
        "default_currency",
        "ISO 4217 code for conversions that carry an amount without a currency, e.g. USD.",
    ),
)
NUMBER_OPTIONS = (
    ("timeout_seconds", float, "Give up on an attempt after this long: 0.5 to 60 (default 10)."),
    (
        "concurrency",
        int,
        "Most attempts to this receiver one worker makes at once: 1 to 64 (default 8).",
    ),
    (
        "retry_count",
        int,
        "Retries of a failed delivery before it is dead: 0 to 20 (default 5).",
    ),
    (
        "retry_delay_seconds",
        float,
        "The first wait before a retry, doubled each time: 1 to 86400 (default 60).",
    ),
)
JSON_OPTIONS = {
    "status_map": (
        "JSON object: what {status} says for a canonical status or event (a status key "
        'wins; "" = do not send).' + EXAMPLE + '\'{"pending": "lead", "ftd": "sale"}\''
    ),
    "headers": (
        "JSON object of extra request headers (macros allowed)."
        + EXAMPLE
        + '\'{"X-Api-Key": "k3y"}\''
    ),
    "extra_params": (
        "JSON object of parameters appended to the URL." + EXAMPLE + '\'{"aff_id": "42"}\''
    ),
}
LIST_OPTIONS = {
    "events": "Only these canonical events, comma separated, e.g. ftd,qftd (default: all).",
    "attributions": (
        "Only conversions attributed so, comma separated: matched, unmatched, expired "
        "(default: matched,unmatched)."
    ),
    "countries": "Only conversions from these countries, e.g. DE,AT (default: all).",
}


def _options(command: Any) -> Any:
    """The options ``create`` and ``update`` share, one per field of the postback."""
    for name, text in reversed(TEXT_OPTIONS):
        command = click.option(f"--{name.replace('_', '-')}", name, help=text)(command)
    for name, kind, text in NUMBER_OPTIONS:
        command = click.option(f"--{name.replace('_', '-')}", name, type=kind, help=text)(command)
    for name, text in JSON_OPTIONS.items():
        command = click.option(f"--{name.replace('_', '-')}", name, help=text)(command)
    for name, text in LIST_OPTIONS.items():
        command = click.option(f"--{name.replace('_', '-')}", name, help=text)(command)
    command = click.option(
        "--source-ids",
        "source_ids",
        help="Only conversions of these sources, comma separated ids, e.g. 3,4 (default: all).",
    )(command)
    return command


def _collect(options: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in options.items() if v is not None}
    for name in JSON_OPTIONS:
        if name in data:
            try:
                data[name] = json_limits.loads(data[name])
            except ValueError as exc:
                raise click.BadParameter(not_json(exc), param_hint=option(name)) from None
            except json_limits.NestingTooDeep as exc:
                raise click.BadParameter(str(exc), param_hint=option(name)) from None
    for name in (*LIST_OPTIONS, "source_ids"):
        if name in data:
            data[name] = [item.strip() for item in data[name].split(",") if item.strip()]
    return data


def _show(row: Any, secret: str | None = None) -> None:
    body = OutboundOutSchema().dump(row)
    if secret:
        body["secret"] = secret
    echo_json(body)


@click.group()
def outbound() -> None:
    """Outbound postbacks: where accepted conversions are re-delivered."""


@outbound.command("create")
@click.option("--name", required=True, help="A unique name, e.g. Partner.")
@click.option(
    "--preset",
    type=click.Choice(["signed_webhook", "keitaro"]),
    help="signed_webhook: a signed POST of each conversion to --url. For Keitaro use "
    "pbhub outbound add-keitaro.",
)
@click.option(
    "--url",
    help="The target URL of the signed_webhook preset, e.g. https://api.example.com/hooks/pbhub.",
)
@click.option("--signing", is_flag=True, help="Sign requests with a new secret (printed once).")
@_options
@handle_errors
def create(**options: Any) -> None:
    """Create an outbound postback that re-delivers accepted conversions somewhere.

    Prints the postback as JSON; a signing secret (signed_webhook, --signing) is in this
    answer only, as "secret". Unknown macros in a template are refused. Exits 2 when an
    option is refused (named as typed), 1 when the name is taken.

    \b
    Examples:
      pbhub outbound create --name "Our platform" --preset signed_webhook \\
          --url https://api.example.com/hooks/pbhub
      pbhub outbound create --name Partner --events ftd,qftd \\
          --url-template 'https://partner.example.com/cb?click={click_id}&amount={payout_amount}'
    """
    schema = OutboundInSchema()
    data = schema.normalise(schema.load(_collect(options)))
    created = service.create_outbound(data, keyring())
    _show(created.postback, created.secret)


@outbound.command("add-keitaro")
@click.option("--name", required=True, help="A unique name, e.g. Keitaro.")
@click.option(
    "--tracker-url",
    required=True,
    help="The tracker's address, e.g. https://tracker.example.com.",
)
@click.option(
    "--postback-key",
    required=True,
    prompt=True,
    hide_input=True,
    help="The key in the tracker's postback URL (asked for, hidden, when left out).",
)
@handle_errors
def add_keitaro(name: str, tracker_url: str, postback_key: str) -> None:
    """Forward every conversion to a Keitaro tracker's postback URL.

    Creates an outbound postback of the Keitaro preset: GET {tracker}/{key}/postback with
    subid, status (pending is lead, approved is sale, ...), payout, currency and tid. The
    key is stored encrypted and never printed. Prints the postback as JSON. With a stored
    Keitaro connection, `pbhub keitaro forward setup` does the same.

    \b
    Example:
      pbhub outbound add-keitaro --name Keitaro --tracker-url https://tracker.example.com
    """
    data = OutboundInSchema().load(
        {
            "name": name,
            "preset": "keitaro",
            "tracker_url": tracker_url,
            "postback_key": postback_key,
        }
    )
    _show(service.create_outbound(data, keyring()).postback)


@outbound.command("list")
def list_() -> None:
    """List every outbound postback with its state, target and circuit.

    Two lines each: id, state (with why the hub disabled it), name, method and URL
    template; then its circuit (closed, or paused until the next probe) and how many
    attempts go to it at once.

    \b
    Example:
      pbhub outbound list
    """
    now = delivery_settings().now()
    for row in service.list_outbound():
        reason = f" ({row.disabled_reason})" if row.disabled_reason else ""
        click.echo(
            f"{row.id:>4}  {row.state:<9} {row.name}  {row.method} {row.url_template}{reason}"
        )
        click.echo(f"      circuit {circuit.describe(row, now)}; up to {row.concurrency} at once")


@outbound.command("probe")
@click.argument("postback_id", type=int)
@handle_errors
def probe(postback_id: int) -> None:
    """End an open circuit's pause: the next delivery due goes now, as the probe.

    For when the receiver is back before the pause ends; an answer closes the circuit
    and the held deliveries flow again in order. Exits 1 when the circuit is closed.

    \b
    Example:
      pbhub outbound probe 3
    """
    now = delivery_settings().now()
    row = service.probe_now(service.get_outbound(postback_id), now)
    click.echo(f"outbound postback {postback_id}: circuit {circuit.describe(row, now)}")


@outbound.command("get")
@click.argument("postback_id", type=int)
@handle_errors
def get(postback_id: int) -> None:
    """Show one outbound postback as JSON: target, filters, retries and circuit.

    Secrets are never shown ("signed" says whether it signs). Exits 1 when there is no
    outbound postback with that id.

    \b
    Example:
      pbhub outbound get 3
    """
    _show(service.get_outbound(postback_id))


@outbound.command("update")
@click.argument("postback_id", type=int)
@click.option("--name", help="A new unique name.")
@click.option(
    "--state",
    type=click.Choice(["active", "inactive"]),
    help="inactive stops deliveries; active re-enables a postback the hub disabled.",
)
@_options
@handle_errors
def update(postback_id: int, **options: Any) -> None:
    """Change the options given on an outbound postback; the rest stays as it is.

    A JSON option or a list replaces the stored one whole. --state active re-enables a
    postback the hub disabled (410 Gone, or days of failures) and closes its circuit.
    Prints the postback as JSON. Exits 2 when an option is refused, 1 when there is no
    such postback or the name is taken.

    \b
    Examples:
      pbhub outbound update 3 --state active
      pbhub outbound update 3 --events ftd,qftd --countries DE,AT
      pbhub outbound update 3 --status-map '{"pending": "lead", "ftd": "sale"}'
    """
    schema = OutboundInSchema(partial=True)
    changes = schema.normalise(schema.load(_collect(options)))
    _show(service.update_outbound(service.get_outbound(postback_id), changes))


@outbound.command("delete")
@click.argument("postback_id", type=int)
@click.confirmation_option(prompt="Delete this outbound postback and its deliveries?")
@handle_errors
def delete(postback_id: int) -> None:
    """Delete an outbound postback and its deliveries, after asking.

    --yes does not ask. Nothing more is sent to its receiver; the conversions stay.
    Exits 1 when there is no outbound postback with that id.

    \b
    Examples:
      pbhub outbound delete 3
      pbhub outbound delete 3 --yes
    """
    service.delete_outbound(service.get_outbound(postback_id))
    click.echo(f"deleted outbound postback {postback_id}")


@outbound.command("test")
@click.argument("postback_id", type=int)
@handle_errors
def test(postback_id: int) -> None:
    """Fire a synthetic conversion at the receiver now and show what came back.

    Prints as JSON the request sent (signatures masked), the answer's status and body,
    any error and the latency; no delivery is recorded. Exits 1 unless the receiver
    answered 2xx, so a script can tell.

    \b
    Example:
      pbhub outbound test 3
    """
    result = service.test_outbound(service.get_outbound(postback_id), delivery_settings())
    echo_json(result)
    response = result["response"]
    if result["error"] or response is None or not 200 <= response["status_code"] < 300:
        reason = result["error"] or (
            f"the receiver answered {response['status_code']}" if response else "no answer"
        )
        raise click.ClickException(f"the test postback was not accepted: {reason}")


@outbound.command("rotate-secret")
@click.argument("postback_id", type=int)
@click.option(
    "--grace-hours",
    type=float,
    default=24.0,
    show_default=True,
    help="How long the previous secret also signs: 0 to 168.",
)
@handle_errors
def rotate_secret(postback_id: int, grace_hours: float) -> None:
    """Give an outbound postback a new signing secret; the old one signs meanwhile.

    Prints the postback as JSON with the new secret, once. During the grace period every
    request carries both signatures, so the receiver can switch at leisure; an unsigned
    postback starts signing. Exits 2 when the grace is out of range.

    \b
    Examples:
      pbhub outbound rotate-secret 3
      pbhub outbound rotate-secret 3 --grace-hours 72
    """
    row = service.get_outbound(postback_id)
    now = delivery_settings().now()
    _show(row, service.rotate_secret(row, keyring(), now, timedelta(hours=grace_hours)))


@outbound.command("deliveries")
@click.argument("postback_id", type=int)
@click.option(
    "--state",
    type=click.Choice(["pending", "retrying", "delivered", "failed", "dead"]),
    help="Only deliveries in this state.",
)
@click.option("--limit", type=int, default=20, show_default=True, help="Show at most this many.")
@handle_errors
def deliveries(postback_id: int, state: str | None, limit: int) -> None:
    """List an outbound postback's latest deliveries with every attempt, as JSON.

    Newest first; each attempt with its time, URL (secrets masked), status, latency, the
    start of the answer and, when it failed, what happened in one line. Exits 1 when
    there is no outbound postback with that id.

    \b
    Examples:
      pbhub outbound deliveries 3
      pbhub outbound deliveries 3 --state dead --limit 100
    """
    rows = service.list_deliveries(service.get_outbound(postback_id), state, limit)
    echo_json(DeliverySchema(many=True).dump(rows))


@outbound.command("replay")
@click.argument("delivery_id", type=int)
@handle_errors
def replay(delivery_id: int) -> None:
    """Send one delivery again, now, and show how it went.

    Prints the delivery as JSON. Exits 1 unless it was delivered, and refuses (exit 1)
    a delivery whose conversion already reached the receiver with a later status.

    \b
    Example:
      pbhub outbound replay 4711
    """
    delivery = service.get_delivery(delivery_id)
    service.replay_one(delivery, delivery_settings().now())
    attempt_now([delivery.id])
    delivery = service.get_delivery(delivery_id)
    echo_json(DeliverySchema().dump(delivery))
    if delivery.state != "delivered":
        reason = delivery.last_error or f"the receiver answered {delivery.last_status_code}"
        raise click.ClickException(
            f"delivery {delivery_id} was not delivered ({delivery.state}): {reason}"
        )


@outbound.command("replay-dead")
@click.argument("postback_id", type=int)
@handle_errors
def replay_dead(postback_id: int) -> None:
    """Send every dead delivery of an outbound postback again, now.

    Says how many it replayed, and how many it left dead because a later status of
    their conversion already reached the receiver.

    \b
    Example:
      pbhub outbound replay-dead 3
    """
    done = service.replay_dead(service.get_outbound(postback_id), delivery_settings().now())
    with click.progressbar(length=len(done.ids), label="replaying") as bar:
        for start in range(0, len(done.ids), BATCH):
            chunk = done.ids[start : start + BATCH]
            attempt_now(chunk)
            bar.update(len(chunk))
    click.echo(f"replayed {len(done.ids)} deliveries")
    if done.superseded:
        click.echo(
            f"left {done.superseded} dead: a later status of their conversions already "
            "reached the receiver"
        )


@outbound.command("sweep")
def sweep_once() -> None:
    """Queue the deliveries due or lost, once; workers do this every few seconds.

    Prints as JSON how many deliveries were due and how many conversions still needed
    their deliveries planned.

    \b
    Example:
      pbhub outbound sweep
    """
    echo_json(sweep())


@outbound.command("end-grace")
@click.argument("postback_id", type=int)
@handle_errors
def end_grace(postback_id: int) -> None:
    """Stop signing with an outbound postback's previous secret now.

    Ends the grace period `pbhub outbound rotate-secret` began, once the receiver
    verifies with the new secret. Prints the postback as JSON.

    \b
    Example:
      pbhub outbound end-grace 3
    """
    _show(service.end_grace(service.get_outbound(postback_id)))
