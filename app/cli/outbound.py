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

JSON_OPTIONS = ("status_map", "headers", "extra_params")
LIST_OPTIONS = ("events", "attributions", "countries")


def _options(command: Any) -> Any:
    for name in reversed(
        ("url_template", "method", "body_format", "body_template", "default_currency")
    ):
        command = click.option(f"--{name.replace('_', '-')}", name)(command)
    for name, kind in (
        ("timeout_seconds", float),
        ("concurrency", int),
        ("retry_count", int),
        ("retry_delay_seconds", float),
    ):
        command = click.option(f"--{name.replace('_', '-')}", name, type=kind)(command)
    for name in JSON_OPTIONS:
        command = click.option(f"--{name.replace('_', '-')}", name, help="A JSON object.")(command)
    for name in LIST_OPTIONS:
        command = click.option(f"--{name.replace('_', '-')}", name, help="Comma separated.")(
            command
        )
    command = click.option("--source-ids", "source_ids", help="Comma separated ids.")(command)
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
@click.option("--name", required=True)
@click.option("--preset", type=click.Choice(["signed_webhook", "keitaro"]))
@click.option("--url", help="The target URL of the signed_webhook preset.")
@click.option("--signing", is_flag=True, help="Sign requests with a new secret.")
@_options
@handle_errors
def create(**options: Any) -> None:
    """Create an outbound postback; a signing secret is printed once."""
    schema = OutboundInSchema()
    data = schema.normalise(schema.load(_collect(options)))
    created = service.create_outbound(data, keyring())
    _show(created.postback, created.secret)


@outbound.command("add-keitaro")
@click.option("--name", required=True)
@click.option("--tracker-url", required=True, help="e.g. https://tracker.example.com")
@click.option("--postback-key", required=True, prompt=True, hide_input=True)
@handle_errors
def add_keitaro(name: str, tracker_url: str, postback_key: str) -> None:
    """Forward every conversion to a Keitaro tracker's postback URL."""
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
    """Every outbound postback with its state."""
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
    """End an open circuit's pause: the next delivery due goes now, as the probe."""
    now = delivery_settings().now()
    row = service.probe_now(service.get_outbound(postback_id), now)
    click.echo(f"outbound postback {postback_id}: circuit {circuit.describe(row, now)}")


@outbound.command("get")
@click.argument("postback_id", type=int)
@handle_errors
def get(postback_id: int) -> None:
    _show(service.get_outbound(postback_id))


@outbound.command("update")
@click.argument("postback_id", type=int)
@click.option("--name")
@click.option("--state", type=click.Choice(["active", "inactive"]))
@_options
@handle_errors
def update(postback_id: int, **options: Any) -> None:
    """Change fields; ``--state active`` re-enables a disabled postback."""
    schema = OutboundInSchema(partial=True)
    changes = schema.normalise(schema.load(_collect(options)))
    _show(service.update_outbound(service.get_outbound(postback_id), changes))


@outbound.command("delete")
@click.argument("postback_id", type=int)
@click.confirmation_option(prompt="Delete this outbound postback and its deliveries?")
@handle_errors
def delete(postback_id: int) -> None:
    service.delete_outbound(service.get_outbound(postback_id))
    click.echo(f"deleted outbound postback {postback_id}")


@outbound.command("test")
@click.argument("postback_id", type=int)
@handle_errors
def test(postback_id: int) -> None:
    """Fire a synthetic conversion now; print what we sent and what came back. Exits 1
    unless the receiver answered 2xx."""
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
@click.option("--grace-hours", type=float, default=24.0, show_default=True)
@handle_errors
def rotate_secret(postback_id: int, grace_hours: float) -> None:
    """A new signing secret (printed once); the old one also signs during the grace."""
    row = service.get_outbound(postback_id)
    now = delivery_settings().now()
    _show(row, service.rotate_secret(row, keyring(), now, timedelta(hours=grace_hours)))


@outbound.command("deliveries")
@click.argument("postback_id", type=int)
@click.option("--state")
@click.option("--limit", type=int, default=20, show_default=True)
@handle_errors
def deliveries(postback_id: int, state: str | None, limit: int) -> None:
    rows = service.list_deliveries(service.get_outbound(postback_id), state, limit)
    echo_json(DeliverySchema(many=True).dump(rows))


@outbound.command("replay")
@click.argument("delivery_id", type=int)
@handle_errors
def replay(delivery_id: int) -> None:
    """Send one delivery again, now."""
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
    """Send every dead delivery of a postback again, now."""
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
    """Queue what is due or lost once (workers do this every few seconds)."""
    echo_json(sweep())


@outbound.command("end-grace")
@click.argument("postback_id", type=int)
@handle_errors
def end_grace(postback_id: int) -> None:
    """Stop signing with the previous secret now."""
    _show(service.end_grace(service.get_outbound(postback_id)))
