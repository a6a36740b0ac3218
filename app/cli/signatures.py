"""``pbhub signatures ...``: list what detection knows, detect a pasted URL."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import click

from app.api.schemas import DetectInSchema, DetectionSchema
from app.cli import echo_json, handle_errors
from app.core.reader import FieldReading
from app.runtime import signature_registry
from app.services import signatures as service


@click.group()
def signatures() -> None:
    """Network signatures: what auto-detection recognises."""


@signatures.command("list")
@click.option(
    "--json", "as_json", is_flag=True, help="Print each signature's whole description as JSON."
)
def list_signatures(as_json: bool) -> None:
    """List the signatures detection knows: built in, from plugins, by admins.

    One line each: id, network name and origin; the count goes to stderr.

    \b
    Examples:
      pbhub signatures list
      pbhub signatures list --json
    """
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
@click.option(
    "--sample-postback",
    metavar="URL",
    help="A postback that arrived from this URL: its values decide between candidates.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON as the API.")
@handle_errors
def detect(url: str, sample_postback: str | None, as_json: bool) -> None:
    """Recognise the network of a sample postback URL (quote it: it holds & and #).

    Paste the Postback URL template from the network's panel, macros intact, or a URL
    as it arrived. Prints recognised, ambiguous or unknown, each candidate with the
    reasons and the field it reads from each parameter; an unknown URL is mapped by the
    generic reader and opens a support ticket for the admins. Exits 2 when the text is
    not a postback URL.

    \b
    Examples:
      pbhub signatures detect 'https://hub.example.com/pb/TOKEN?clickid={sub1}&goal={goal}&txid={transactionid}'
      pbhub signatures detect --json \\
          'https://hub.example.com/pb/TOKEN?clickid={sub1}&goal={goal}&txid={transactionid}' \\
          --sample-postback 'https://hub.example.com/pb/TOKEN?clickid=AQAAAAEB&goal=ftd&txid=T-1001'
    """
    DetectInSchema().load({"url": url, "sample_postback": sample_postback})
    detection, ticket = service.detect_url(url, signature_registry(), sample_postback)
    if as_json:
        echo_json(DetectionSchema().dump(service.detection_answer(detection, ticket)))
        return
    if detection.outcome == "unknown":
        click.echo("unknown: no signature fits this URL")
    else:
        click.echo(f"{detection.outcome} (confidence {detection.confidence:.2f})")
    if detection.decided_by_sample:
        click.echo(f"decided by the sample postback: {detection.decided_by_sample}")
    for candidate in detection.candidates:
        click.echo(f"\n{candidate.signature.name} [{candidate.signature.id}]")
        if candidate.agreeing:
            names = ", ".join(s.name for s in candidate.agreeing)
            click.echo(f"  reads this URL exactly as {names} do")
        click.echo(f"  score {candidate.evidence.score:g}")
        for reason in candidate.evidence.reasons:
            click.echo(f"  - {reason}")
        _echo_fields(candidate.fields, candidate.completed)
        if candidate.signature.per_event_urls:
            click.echo(
                "  no event macro: configure one Postback URL per event (/pb/<token>/<event>)"
            )
    for line in detection.differences:
        click.echo(f"\n{line}")
    if ticket is not None:
        click.echo("\nthe generic reader maps it from its words:")
        _echo_fields(detection.reading.fields, ())
        for label, event in detection.reading.event_map.items():
            click.echo(f"  event “{label}” -> {event}")
        if "click_id" not in detection.reading.fields:
            click.echo("  no parameter carries the click id: add the network's click macro")
        click.echo(f"support ticket #{ticket.id} records it for the admins")


def _echo_fields(fields: Mapping[str, FieldReading], by_reader: Collection[str]) -> None:
    for name, reading in fields.items():
        mark = "  (generic reader)" if name in by_reader else ""
        click.echo(f"  {name:<18} <- {reading.param:<16} {reading.confidence:.2f}{mark}")
        click.echo(f"  {'':<18}    {reading.reason}")
