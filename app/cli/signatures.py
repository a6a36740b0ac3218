"""``pbhub signatures ...``: list what detection knows, detect a pasted URL."""

from __future__ import annotations

import click

from app.api.schemas import DetectInSchema, DetectionSchema
from app.cli import echo_json, handle_errors
from app.runtime import signature_registry
from app.services import signatures as service


@click.group()
def signatures() -> None:
    """Network signatures: what auto-detection recognises."""


@signatures.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_signatures(as_json: bool) -> None:
    """Every signature: built in, from installed plugins, and written by admins."""
    items = sorted(signature_registry().all(), key=lambda s: s.id)
    if as_json:
        echo_json([s.describe() for s in items])
        return
    width = max((len(s.id) for s in items), default=2)
    for signature in items:
        click.echo(f"{signature.id:<{width}}  {signature.name}  [{signature.origin}]")
    click.echo(f"{len(items)} signatures", err=True)


@signatures.command("detect")
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON as the API.")
@handle_errors
def detect(url: str, as_json: bool) -> None:
    """Recognise the network of a sample postback URL (quote it: it holds & and #)."""
    DetectInSchema().load({"url": url})
    detection, ticket = service.detect_url(url, signature_registry())
    if as_json:
        echo_json(DetectionSchema().dump(service.detection_answer(detection, ticket)))
        return
    click.echo(f"{detection.outcome} (confidence {detection.confidence:.2f})")
    for candidate in detection.candidates:
        click.echo(f"\n{candidate.signature.name} [{candidate.signature.id}]")
        click.echo(f"  score {candidate.evidence.score:g}")
        for reason in candidate.evidence.reasons:
            click.echo(f"  - {reason}")
        for field, name in sorted(candidate.field_map.items()):
            click.echo(f"  {field:<18} <- {name}")
        if candidate.signature.per_event_urls:
            click.echo(
                "  no event macro: configure one Postback URL per event (/pb/<token>/<event>)"
            )
    for line in detection.differences:
        click.echo(f"\n{line}")
    if ticket is not None:
        click.echo(f"no signature fits; support ticket #{ticket.id} records it for the admins")
