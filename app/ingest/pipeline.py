"""The postback pipeline: translate, attribute, deduplicate, store. No request handling.

Race safety rests on one unique index (``conversions.dedupe_key``). Every postback first
tries ``INSERT ... ON CONFLICT DO NOTHING``, group-committed with the postbacks other
threads are storing at the same moment (``app.ingest.writer``): the common case (a new
conversion) costs a share of one round trip and no ORM work. Only when the key is taken
does the slow path run: the writer reads the holder of the key in the same batch, then
the postback is stored as a duplicate (through the same writer), or applied as a status
change in the session (a compare-and-set on the revision, so two changes cannot
interleave and the history row keeps exactly what the superseded revision said). No
savepoints: they misbehave on SQLite's default driver, and a first write that did
nothing leaves nothing to undo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select, update

from app.core.attribution import ImportedClick, attribute_click, is_status_change
from app.core.countries import stored_code
from app.core.mapping import Canonical, translate
from app.core.params import fingerprint
from app.extensions import db
from app.ingest.sources_cache import SourceSnapshot
from app.ingest.writer import Taken, get_writer
from app.ingest.writer_sql import Holder
from app.models import Click, Conversion, StatusChange
from app.models.conversions import STATUS_FIELDS
from app.models.types import utcnow
from app.services.errors import Unavailable

REPEAT_WINDOW = timedelta(hours=24)
MAX_RACE_RETRIES = 5
CONVERSIONS = Conversion.__table__
AMOUNT_PAIRS = (("gross_amount", "gross_currency"), ("payout_amount", "payout_currency"))


@dataclass(frozen=True)
class Outcome:
    status: str  # accepted | duplicate | status_changed
    attribution: str
    conversion_id: int

    @property
    def is_new_work(self) -> bool:
        return self.status in ("accepted", "status_changed")


def dedupe_key(source_id: int, canon: Canonical, params_fingerprint: str) -> str:
    if canon.transaction_id:
        return f"tx:{source_id}:{canon.event_type}:{canon.transaction_id}"
    return f"fp:{source_id}:{params_fingerprint}"


#: Built once: constructing the statement costs more than running it.
_IMPORTED_CLICK = (
    select(Click.clicked_at, Click.country)
    .where(
        Click.click_id == bindparam("click_id"),
        Click.origin != "track",
        or_(Click.source_id == bindparam("source_id"), Click.connection_id.isnot(None)),
    )
    .order_by(Click.id)
    .limit(1)
)


def _imported_click_finder(source_id: int):  # type: ignore[no-untyped-def]
    """Imported clicks: this source's, and any Keitaro click (sub ids are unique across
    a tracker, whichever network's postback carries one back). Our own Track URL clicks
    are proven by their token's signature, never by finding the token's text here."""

    def find(click_id: str) -> ImportedClick | None:
        with db.engine.connect() as connection:
            row = connection.execute(
                _IMPORTED_CLICK, {"click_id": click_id, "source_id": source_id}
            ).first()
        if row is None:
            return None
        return ImportedClick(row.clicked_at, stored_code(row.country))

    return find


def conversion_row(
    source: SourceSnapshot,
    params: dict[str, str],
    *,
    notes: list[str],
    raw_request: dict[str, Any],
    path_event: str | None,
    token_key: bytes,
    received_at: datetime,
) -> tuple[dict[str, Any], Canonical]:
    """The conversion row a postback makes, before deduplication decides its fate.
    Shared by ingest and by re-mapping stored postbacks, so both decide alike."""
    canon = translate(params, source.rules, path_event)
    match = attribute_click(
        canon.click_id,
        source_id=source.id,
        received_at=received_at,
        window_days=source.attribution_window_days,
        token_key=token_key,
        find_imported_click=_imported_click_finder(source.id),
    )
    row = {
        "source_id": source.id,
        "received_at": received_at,
        "updated_at": received_at,
        "attribution": match.attribution,
        "event_type": canon.event_type,
        "raw_event": canon.raw_event,
        "status": canon.status,
        "raw_status": canon.raw_status,
        "click_id": canon.click_id,
        "clicked_at": match.clicked_at,
        "transaction_id": canon.transaction_id,
        "gross_amount": canon.gross_amount,
        "gross_currency": canon.gross_currency,
        "payout_amount": canon.payout_amount,
        "payout_currency": canon.payout_currency,
        "external_user_id": canon.external_user_id,
        "country": canon.country or match.country,
        "dedupe_key": dedupe_key(source.id, canon, fingerprint(params, path_event)),
        "duplicate_of_id": None,
        "parse_notes": [*notes, *canon.notes, *([match.note] if match.note else [])],
        "raw_request": raw_request,
    }
    return row, canon


def record_postback(
    source: SourceSnapshot,
    params: dict[str, str],
    *,
    notes: list[str],
    raw_request: dict[str, Any],
    path_event: str | None,
    token_key: bytes,
    now: datetime | None = None,
) -> Outcome:
    """Store one postback and say what it was. Durable on return; raises on database failure."""
    row, canon = conversion_row(
        source,
        params,
        notes=notes,
        raw_request=raw_request,
        path_event=path_event,
        token_key=token_key,
        received_at=now or utcnow(),
    )
    for _ in range(MAX_RACE_RETRIES):
        result = _insert_new(row)
        if not isinstance(result, Taken):
            return Outcome("accepted", row["attribution"], result)
        try:
            outcome = _resolve_taken_key(row, canon, result.holder)
        finally:
            db.session.rollback()
        if outcome is not None:
            return outcome
    raise Unavailable("the postback could not be stored after several attempts; retry later")


def _insert_new(row: dict[str, Any]) -> int | Taken:
    """The new conversion's id, committed; or who holds its dedupe key."""
    return get_writer().insert(row)


def _resolve_taken_key(
    row: dict[str, Any], canon: Canonical, existing: Holder | None
) -> Outcome | None:
    """Decide what a postback whose key is taken is; ``None`` means try again."""
    key = row["dedupe_key"]
    if existing is None:
        return None  # the holder released the key between our insert and this read
    if canon.transaction_id:
        if existing.status != canon.status and is_status_change(existing.status, canon.status):
            if _change_status(existing.id, existing.status, canon, row):
                return Outcome("status_changed", existing.attribution, existing.id)
            return None
    elif row["received_at"] - existing.received_at >= REPEAT_WINDOW:
        _release_key(existing.id, key)
        return None
    duplicate = {
        **row,
        "attribution": "duplicate",
        "dedupe_key": None,
        "duplicate_of_id": existing.id,
        # Duplicates are stored, never delivered: nothing to plan.
        "dispatch_pending": False,
        "planned_revision": 0,
    }
    duplicate_id = _insert_new(duplicate)
    if isinstance(duplicate_id, Taken):
        return None
    return Outcome("duplicate", "duplicate", duplicate_id)


def status_change_values(canon: Canonical, row: dict[str, Any]) -> dict[str, Any]:
    """What a status change writes. An amount sent with the change replaces the stored
    one (networks often confirm the final payout only when they approve); its currency
    is replaced only when the network sent one, so a default never relabels money."""
    values = {
        "status": canon.status,
        "raw_status": canon.raw_status,
        "updated_at": row["received_at"],
    }
    for amount, currency in AMOUNT_PAIRS:
        if row[amount] is not None:
            values[amount] = row[amount]
            if currency not in canon.defaulted:
                values[currency] = row[currency]
    return values


#: The revision a status change supersedes, as it stands: what its history row keeps.
_CURRENT_REVISION = select(
    CONVERSIONS.c.revision, *(CONVERSIONS.c[name] for name in STATUS_FIELDS)
).where(CONVERSIONS.c.id == bindparam("conversion_id"))


def _change_status(
    conversion_id: int, previous: str, canon: Canonical, row: dict[str, Any]
) -> bool:
    """Compare-and-set on the revision read; ``False`` if another postback changed it first.

    The history row is the record of what the superseded revision said (its status and
    amounts), written in the same transaction as the new revision: planning and sending
    read every revision from it, so nothing delivered depends on a queued job."""
    current = db.session.execute(_CURRENT_REVISION, {"conversion_id": conversion_id}).one_or_none()
    if current is None or current.status != previous:
        return False
    revision = current.revision + 1
    values = {**status_change_values(canon, row), "revision": revision, "dispatch_pending": True}
    result = db.session.execute(
        update(CONVERSIONS)
        .where(CONVERSIONS.c.id == conversion_id, CONVERSIONS.c.revision == current.revision)
        .values(**values)
    )
    if result.rowcount != 1:
        return False
    db.session.add(
        StatusChange(
            conversion_id=conversion_id,
            revision=revision,
            changed_at=row["received_at"],
            to_status=canon.status,
            raw_status=canon.raw_status,
            raw_request=row["raw_request"],
            **{f"from_{name}": getattr(current, name) for name in STATUS_FIELDS},
        )
    )
    db.session.commit()
    return True


def released_key(key: str, conversion_id: int) -> str:
    """What a released fingerprint key becomes: still unique, no longer claimed."""
    return f"{key}:{conversion_id}"


def _release_key(conversion_id: int, key: str) -> None:
    """Free a fingerprint key older than the repeat window so a new conversion can take it."""
    db.session.execute(
        update(CONVERSIONS)
        .where(CONVERSIONS.c.id == conversion_id, CONVERSIONS.c.dedupe_key == key)
        .values(dedupe_key=released_key(key, conversion_id))
    )
    db.session.commit()
