"""``pbhub dev ...``: tools for trying the hub out, never needed in production."""

from __future__ import annotations

import time

import click

from app.cli import handle_errors
from app.models.types import utcnow
from app.runtime import base_url, keyring
from app.services import rollups
from app.services import seed as service


@click.group()
def dev() -> None:
    """Development and demonstration tools."""


@dev.command("seed")
@click.option(
    "--clicks",
    type=click.IntRange(min=0),
    default=100_000,
    show_default=True,
    help="How many clicks to add.",
)
@click.option(
    "--conversions",
    type=click.IntRange(min=0),
    default=10_000,
    show_default=True,
    help="How many conversions to add.",
)
@click.option(
    "--days",
    type=click.IntRange(min=1, max=3650),
    default=30,
    show_default=True,
    help="Spread them over this many days up to now.",
)
@click.option(
    "--sources",
    type=click.IntRange(min=1, max=1000),
    default=5,
    show_default=True,
    help='How many "Seed network N" sources to spread them over.',
)
@click.option(
    "--seed", "random_seed", type=int, default=7, show_default=True, help="Same seed, same data."
)
@handle_errors
def seed(clicks: int, conversions: int, days: int, sources: int, random_seed: int) -> None:
    """Fill the database with realistic synthetic traffic over the last DAYS days.

    Clicks from the Track URL and imported from Keitaro; conversions of every event,
    status and currency, with duplicates, unmatched, expired and later-approved ones.
    PostgreSQL loads with COPY. Seeding again adds more rows to the same sources; the
    stats are rolled up at the end. For trying the dashboard at scale, never in
    production.

    \b
    Examples:
      pbhub dev seed
      pbhub dev seed --clicks 1000000 --conversions 100000 --days 30 --sources 5 --seed 7
    """
    plan = service.Plan(clicks, conversions, days, sources, random_seed)
    started = time.monotonic()
    with click.progressbar(length=clicks + conversions, label="seeding", show_pos=True) as bar:
        result = service.seed(plan, keyring(), base_url(), utcnow(), bar.update)
    seconds = time.monotonic() - started
    rows = result.clicks + result.conversions + result.duplicates + result.status_changes
    click.echo(
        f"{result.clicks:,} clicks, {result.conversions:,} conversions "
        f"(+{result.duplicates:,} duplicates, {result.status_changes:,} approved later) "
        f"for {result.sources} sources in {seconds:.1f} s ({rows / max(seconds, 1e-9):,.0f} rows/s)"
    )
    started = time.monotonic()
    with click.progressbar(length=rollups.pending_hours(), label="rolling up hours") as bar:
        hours = rollups.catch_up(progress=bar.update)
    click.echo(f"{hours:,} hours rolled up in {time.monotonic() - started:.1f} s")
