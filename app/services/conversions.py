"""Reading conversions: newest first, filtered, in keyset pages, and exported whole.

Keyset (``received_at``, ``id``) rather than OFFSET: a page costs the same on page 1 and
page 10,000, and rows arriving meanwhile do not shift what "next" means. An export walks
the same pages, so it holds one page in memory however many rows match.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select

from app.extensions import db
from app.models import Conversion
from app.models.types import MAX_BIGINT
from app.services.errors import Invalid, NotFound


@dataclass(frozen=True)
class Page:
    items: list[Conversion]
    next_cursor: str | None
    prev_cursor: str | None


def encode_cursor(direction: str, row: Conversion) -> str:
    raw = f"{direction}|{row.received_at.isoformat()}|{row.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        direction, at, row_id = raw.split("|")
        moment, number = datetime.fromisoformat(at), int(row_id)
        if direction not in ("next", "prev") or moment.tzinfo is None:
            raise ValueError(direction)
        if not 0 < number <= MAX_BIGINT:
            raise ValueError(row_id)
        return direction, moment.astimezone(UTC), number
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise Invalid(
            "the cursor is not one this API gave out",
            {"cursor": ["is not one this API gave out; use next_cursor or prev_cursor of a page"]},
        ) from None


def list_conversions(filters: dict[str, Any], limit: int = 50) -> Page:
    query = select(Conversion)
    asked = {
        name: filters[name]
        for name in ("attribution", "event_type", "status", "source_id")
        if filters.get(name) is not None
    }
    driver = _driving_filter(asked)
    for name, value in asked.items():
        column = getattr(Conversion, name)
        if driver is not None and name != driver:
            # Not indexable (``+ 0``, ``|| ''``), so SQLite walks the driver's index.
            column = column + 0 if name == "source_id" else column.concat("")
        query = query.where(column == value)
    if filters.get("country"):
        # Never the driver: a country rides along the other filters' (or time's) index.
        query = query.where(Conversion.country.concat("") == filters["country"].upper())
    if filters.get("since") is not None:
        query = query.where(Conversion.received_at >= filters["since"])
    if filters.get("until") is not None:
        query = query.where(Conversion.received_at < filters["until"])

    direction, at, row_id = ("next", None, None)
    if filters.get("cursor"):
        direction, at, row_id = decode_cursor(filters["cursor"])
    newest_first = (Conversion.received_at.desc(), Conversion.id.desc())
    if at is None:
        query = query.order_by(*newest_first)
    elif direction == "next":
        query = query.where(
            or_(
                Conversion.received_at < at,
                and_(Conversion.received_at == at, Conversion.id < row_id),
            )
        ).order_by(*newest_first)
    else:
        query = query.where(
            or_(
                Conversion.received_at > at,
                and_(Conversion.received_at == at, Conversion.id > row_id),
            )
        ).order_by(Conversion.received_at.asc(), Conversion.id.asc())

    rows = list(db.session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    if direction == "prev":
        rows.reverse()
        has_newer, has_older = more, True
    else:
        has_newer, has_older = at is not None, more
    if not rows:
        return Page([], None, None)
    return Page(
        rows,
        encode_cursor("next", rows[-1]) if has_older else None,
        encode_cursor("prev", rows[0]) if has_newer else None,
    )


#: An export's columns, named as the JSON API names the fields: every canonical field,
#: with the conversion's identity, source, status and attribution around them.
EXPORT_COLUMNS = (
    "id",
    "received_at",
    "source_id",
    "source_name",
    "event_type",
    "raw_event",
    "status",
    "raw_status",
    "attribution",
    "click_id",
    "clicked_at",
    "transaction_id",
    "gross_amount",
    "gross_currency",
    "payout_amount",
    "payout_currency",
    "external_user_id",
    "country",
    "duplicate_of_id",
    "updated_at",
    "parse_notes",
)
#: Rows read per query while exporting.
EXPORT_CHUNK = 500


def export(filters: dict[str, Any], chunk: int | None = None) -> Iterator[list[list[str]]]:
    """Every conversion matching ``filters`` (those of ``list_conversions``, less the
    cursor), newest first, as rows of ``EXPORT_COLUMNS`` text, one page at a time; the
    next page is read only when the previous one has been taken."""
    size = chunk or EXPORT_CHUNK
    cursor = None
    while True:
        page = list_conversions({**filters, "cursor": cursor}, limit=size)
        if page.items:
            yield [export_row(conversion) for conversion in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return


def export_row(conversion: Conversion) -> list[str]:
    """Times in ISO 8601 UTC and amounts as stored (as the JSON API writes them); an
    empty cell for no value; parse notes joined with "; "."""
    values = {"source_name": conversion.source.name, "parse_notes": conversion.parse_notes}
    return [
        _text(values[name] if name in values else getattr(conversion, name))
        for name in EXPORT_COLUMNS
    ]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return str(value)


def get_conversion(conversion_id: int) -> Conversion:
    conversion = db.session.get(Conversion, conversion_id)
    if conversion is None:
        raise NotFound(f"no conversion {conversion_id}")
    return conversion


#: How long per-value row counts steer SQLite's choice of index, and where counting
#: stops: past it a value is common, and any common filter walks as fast as another.
COUNTS_SECONDS = 300.0
COUNT_CAP = 5_000
COUNTS_KEPT = 1_000
_counts: dict[tuple[str, Any], tuple[float, int]] = {}


def _driving_filter(asked: dict[str, Any]) -> str | None:
    """On SQLite, the filter whose index to walk: the one matching fewest rows.

    Every filter has an index in page order, but SQLite's planner, blind to how skewed the
    values are, may walk ``status = 'approved'`` (most rows) to find a few ``expired``
    ones. Counts per value stop at ``COUNT_CAP`` (a short index range) and are cached a
    few minutes.
    PostgreSQL keeps value statistics and screens the other filters inside its indexes,
    so it decides itself.
    """
    if len(asked) < 2 or db.session.get_bind().dialect.name != "sqlite":
        return None
    return min(asked, key=lambda name: _value_count(name, asked[name]))


def _value_count(name: str, value: Any) -> int:
    now = time.monotonic()
    cached = _counts.get((name, value))
    if cached and now - cached[0] < COUNTS_SECONDS:
        return cached[1]
    matching = select(Conversion.id).where(getattr(Conversion, name) == value).limit(COUNT_CAP)
    count = db.session.scalar(select(func.count()).select_from(matching.subquery())) or 0
    if len(_counts) >= COUNTS_KEPT:
        _counts.clear()  # many values seen (sources come and go): start over
    _counts[(name, value)] = (now, count)
    return count
