"""``pbhub stats ...``: the live figures, the hourly rollups and click retention."""

from __future__ import annotations

import click
from flask import current_app
from tabulate import tabulate

from app.api.schemas import StatsQuerySchema, StatsSchema
from app.cli import echo_json, handle_errors
from app.core.countries import country_names
from app.core.display import MISSING, format_epc, format_money, locale_from_environment
from app.services import rollups
from app.services import stats as figures
from app.services.stats import MoneyRow, Stats


@click.group()
def stats() -> None:
    """Live figures, stats rollups and the pruning of old click rows."""


@stats.command("show")
@click.option("--window", default="24h", show_default=True, help="The last 15m, 1h, 24h or 7d.")
@click.option("--source-id", type=int, help="Only this source's clicks and conversions.")
@click.option("--group-by", help="country: a table of the figures per country too.")
@click.option("--json", "as_json", is_flag=True, help="The API's JSON instead of text.")
@handle_errors
def show(window: str, source_id: int | None, group_by: str | None, as_json: bool) -> None:
    """Print the live card's figures for a window, as GET /api/v1/stats does.

    Clicks, conversions, payout and gross per currency, EPC and conversions per event;
    money is written in the locale of LC_ALL, LC_MONETARY or LANG. Exits 2 for a window
    or grouping it does not know.

    \b
    Examples:
      pbhub stats show
      pbhub stats show --window 7d --source-id 3
      pbhub stats show --window 24h --group-by country
      pbhub stats show --window 1h --json
    """
    given = {"window": window, "source_id": source_id, "group_by": group_by}
    query = StatsQuerySchema().load({k: v for k, v in given.items() if v is not None})
    result = figures.compute(
        query["window"], query.get("source_id"), group_by=query.get("group_by")
    )
    if as_json:
        echo_json(StatsSchema().dump(result))
        return
    locale = locale_from_environment()
    click.echo(_summary(result, locale))
    if result.groups is not None:
        click.echo()
        click.echo(_country_table(result, locale))


@stats.command("status")
def status() -> None:
    """Show the hours waiting to be rolled up and what click retention keeps.

    Prints JSON: dirty_hours, click_retention_days (null: kept forever),
    clicks_pruned_before and the longest attribution window of any source, which the
    retention must not be shorter than.

    \b
    Example:
      pbhub stats status
    """
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
@click.option(
    "--rebuild",
    is_flag=True,
    help="Recompute every hour from the raw rows (after restoring a backup, say).",
)
def rollup(rebuild: bool) -> None:
    """Roll up every hour that changed, now; the periodic job does this on its own.

    Figures are exact meanwhile, only slower to read. Says how many hours it rolled up.

    \b
    Examples:
      pbhub stats rollup
      pbhub stats rollup --rebuild
    """
    with click.progressbar(length=0, label="rolling up", show_pos=True) as bar:
        step = bar.update
        done = rollups.rebuild(progress=step) if rebuild else rollups.catch_up(progress=step)
    click.echo(f"{done:,} hours rolled up")


@stats.command("prune")
@click.option(
    "--batch",
    type=click.IntRange(min=100),
    default=5_000,
    show_default=True,
    help="Click rows deleted per transaction.",
)
def prune(batch: int) -> None:
    """Delete click rows older than PBHUB_CLICK_RETENTION_DAYS now, in batches.

    The hourly job does this on its own; stats of the pruned hours stay counted, and
    conversions are never pruned. Exits 1 when the retention is 0 (clicks kept forever)
    or shorter than a source's attribution window.

    \b
    Examples:
      pbhub stats prune
      pbhub stats prune --batch 20000
    """
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


def _summary(result: Stats, locale: str) -> str:
    scope = f"source {result.source_id}" if result.source_id else "every source"
    events = ", ".join(f"{name} {n:,}" for name, n in result.events.items() if n) or "none"
    lines = [
        f"{result.start:%Y-%m-%d %H:%M} .. {result.end:%Y-%m-%d %H:%M} UTC "
        f"(last {result.window}, {scope})",
        f"clicks       {result.clicks:,}",
        f"conversions  {result.conversions:,}",
        f"payout       {_money(result.payout, locale)}",
        f"gross        {_money(result.gross, locale)}",
        f"EPC          {_epc(result.payout, locale)}",
        f"events       {events}",
    ]
    return "\n".join(lines)


def _country_table(result: Stats, locale: str) -> str:
    """One line per country, as ``groups`` orders them: money stays per currency, several
    currencies side by side in a cell."""
    names = dict(country_names())
    rows: list[list[str]] = [
        [
            group.country or MISSING,
            names.get(group.country, group.country) if group.country else "unknown",
            f"{group.clicks:,}",
            f"{group.conversions:,}",
            _money(group.payout, locale),
            _epc(group.payout, locale),
        ]
        for group in result.groups or []
    ]
    if not rows:
        return "no clicks or conversions in this window"
    headers = ["code", "country", "clicks", "conversions", "payout", "EPC"]
    align = ("left", "left", "right", "right", "right", "right")
    return tabulate(rows, headers=headers, tablefmt="simple", colalign=align, disable_numparse=True)


def _money(rows: list[MoneyRow], locale: str) -> str:
    return ", ".join(format_money(row.total, row.currency, locale) for row in rows) or "0"


def _epc(rows: list[MoneyRow], locale: str) -> str:
    return ", ".join(format_epc(row.epc, row.currency, locale) for row in rows) or "0"
