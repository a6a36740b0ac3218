"""Keitaro's long lists, read page by page (limit/offset) so callers just iterate.

``clicks/log``, ``conversions/log`` and ``report/build`` answer a Report (``rows`` and
``total``); ``logs/{type}`` answers a bare list. Report requests are POSTs that change
nothing, so their pages may be retried like reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from app.keitaro.transport import Transport

REPORT_PATHS = ("clicks/log", "conversions/log", "report/build")


def report_rows(
    transport: Transport,
    path: str,
    request: Mapping[str, Any],
    *,
    page_size: int = 1000,
    on_total: Callable[[int], None] | None = None,
) -> Iterator[Any]:
    """Every row of a Report endpoint, fetching the next page only when needed;
    ``on_total`` hears the row count Keitaro announces (for progress bars)."""
    if path not in REPORT_PATHS:
        raise ValueError(f"{path!r} is not a paginated report ({', '.join(REPORT_PATHS)})")
    offset = int(request.get("offset") or 0)
    while True:
        page = transport.request(
            "POST", path, body={**request, "limit": page_size, "offset": offset}, idempotent=True
        )
        rows = list((page or {}).get("rows") or [])
        total = number((page or {}).get("total"))
        if on_total is not None and total is not None:
            on_total(int(total))
        yield from rows
        offset += len(rows)
        if len(rows) < page_size or (total is not None and offset >= int(total)):
            return


def list_pages(page: Callable[[int, int], list[Any]], page_size: int) -> Iterator[Any]:
    """Every item of a bare-list endpoint (``logs/{type}``): ``page(offset, limit)`` is
    called again only while pages come back full."""
    offset = 0
    while True:
        entries = list(page(offset, page_size) or [])
        yield from entries
        offset += len(entries)
        if len(entries) < page_size:
            return


def number(value: Any) -> int | Decimal | None:
    """Keitaro sends numbers as numbers or as strings ("12.50", "3"); both become exact."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, int):
        return value
    try:
        parsed = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not parsed.is_finite():
        raise ValueError(f"not a number: {value!r}")
    return int(parsed) if parsed == parsed.to_integral() and "." not in str(value) else parsed


def positive_id(value: Any) -> int | None:
    """A Keitaro object id, sent as a number or a string; 0 and blanks mean none."""
    parsed = number(value)
    return int(parsed) if parsed is not None and int(parsed) > 0 else None


#: Report and log columns that are numbers, whatever type Keitaro sent them as. Ids of
#: sub-parameters and external ids are text and stay text.
NUMERIC_COLUMNS = frozenset(
    {
        "clicks",
        "campaign_unique_clicks",
        "stream_unique_clicks",
        "global_unique_clicks",
        "uniques",
        "bots",
        "conversions",
        "leads",
        "sales",
        "rejected",
        "rebills",
        "revenue",
        "sale_revenue",
        "lead_revenue",
        "rejected_revenue",
        "rebill_revenue",
        "cost",
        "profit",
        "roi",
        "epc",
        "cpc",
        "ucpc",
        "cpa",
        "cr",
        "crs",
        "approve",
        "landing_clicks",
        "lp_ctr",
        "impressions",
        "ecpm",
        "ecpc",
        "ecpa",
        "campaign_id",
        "offer_id",
        "landing_id",
        "stream_id",
        "ts_id",
        "affiliate_network_id",
        "group_id",
        "payout",
    }
)


def typed(row: Any) -> Any:
    """A row with its number columns read exactly (``"1.50"`` -> ``Decimal("1.50")``)."""
    if not isinstance(row, dict):
        return row
    converted = dict(row)
    for name, value in row.items():
        if name in NUMERIC_COLUMNS and isinstance(value, str):
            try:
                converted[name] = number(value)
            except ValueError:
                converted[name] = value
    return converted
