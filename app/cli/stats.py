"""``pbhub stats ...``: the hourly rollups and click retention."""

from __future__ import annotations

import click
from flask import current_app

from app.cli import echo_json
from app.services import rollups


@click.group()
def stats() -> None:
    """Stats rollups and the pruning of old click rows."""


@stats.command("status")
def status() -> None:
    """Hours waiting to be rolled up, and what retention keeps."""
    frozen = rollups.frozen_before()
    days = current_app.config["PBHUB_CLICK_RETENTION_DAYS"]
    echo_json(
        {
            "dirty_hours": rollups.pending_hours(),
            "click_retention_days": days or None,
            "clicks_pruned_before": frozen.isoformat() if frozen else None,
            "longest_attribution_window_days": rollups.longest_window_days(),
        }
    )


@stats.command("rollup")
@click.option("--rebuild", is_flag=True, help="Recompute every hour from the raw rows.")
def rollup(rebuild: bool) -> None:
    """Roll up every hour that changed (the periodic job does this on its own)."""
    with click.progressbar(length=0, label="rolling up", show_pos=True) as bar:
        step = bar.update
        done = rollups.rebuild(progress=step) if rebuild else rollups.catch_up(progress=step)
    click.echo(f"{done:,} hours rolled up")


@stats.command("prune")
@click.option("--batch", type=click.IntRange(min=100), default=5_000, show_default=True)
def prune(batch: int) -> None:
    """Delete click rows older than PBHUB_CLICK_RETENTION_DAYS now, in small batches."""
    days = current_app.config["PBHUB_CLICK_RETENTION_DAYS"]
    if not days:
        raise click.ClickException("PBHUB_CLICK_RETENTION_DAYS is 0: clicks are kept forever")
    with click.progressbar(length=0, label="pruning clicks", show_pos=True) as bar:
        try:
            result = rollups.prune_clicks(
                days, batch=batch, max_seconds=float("inf"), progress=bar.update
            )
        except rollups.RetentionRefused as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"{result.clicks:,} clicks older than {result.cutoff.isoformat()} pruned")
