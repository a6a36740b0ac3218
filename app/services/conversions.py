"""Reading conversions: newest first, filtered, in keyset pages.

Keyset (``received_at``, ``id``) rather than OFFSET: a page costs the same on page 1 and
page 10,000, and rows arriving meanwhile do not shift what "next" means.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select

from app.extensions import db
from app.models import Conversion
from app.services.errors import Invalid, NotFound

MAX_ID = 2**63 - 1


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
        if not 0 < number <= MAX_ID:
            raise ValueError(row_id)
        return direction, moment.astimezone(UTC), number
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise Invalid("the cursor is not one this API gave out", {"cursor": ["Invalid."]}) from None


def list_conversions(filters: dict[str, Any], limit: int = 50) -> Page:
    query = select(Conversion)
    for name in ("attribution", "event_type", "status", "source_id"):
        if filters.get(name) is not None:
            query = query.where(getattr(Conversion, name) == filters[name])
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


def get_conversion(conversion_id: int) -> Conversion:
    conversion = db.session.get(Conversion, conversion_id)
    if conversion is None:
        raise NotFound(f"no conversion {conversion_id}")
    return conversion
