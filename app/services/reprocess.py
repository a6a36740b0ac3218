"""Re-map history: apply a source's current maps to the postbacks it already stored.

Networks cannot be asked to fire again, so fixing a map must fix the past. Each stored
postback is translated again from its raw request, attributed and deduplicated as ingest
would (oldest first, so the earliest postback of a key keeps it), with the status
changes it received replayed on top. A conversion that comes out different is updated
and keeps a ``Remap`` entry with every field's old and new value.

Repeats without a transaction id are not re-timed: ingest's 24-hour repeat window
decides at arrival and is not replayed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.core.attribution import is_status_change
from app.core.mapping import translate
from app.extensions import db
from app.ingest.pipeline import conversion_row, status_change_values
from app.ingest.request_data import MULTIPART_BODY, stored_params
from app.ingest.sources_cache import SourceSnapshot
from app.models import Conversion, Remap, Source, StatusChange
from app.models.types import utcnow

COMPARED = (
    "attribution",
    "event_type",
    "raw_event",
    "status",
    "raw_status",
    "click_id",
    "clicked_at",
    "transaction_id",
    "gross_amount",
    "gross_currency",
    "payout_amount",
    "payout_currency",
    "external_user_id",
    "dedupe_key",
    "duplicate_of_id",
)
CHUNK = 500


@dataclass
class Report:
    examined: int = 0
    changed: int = 0
    unchanged: int = 0
    now_matched: int = 0
    now_duplicate: int = 0
    #: Stored truncated or as multipart (nothing to re-read), or changed meanwhile.
    skipped: int = 0
    dry_run: bool = False
    #: (conversion id, kind) of changed conversions whose new result asks for deliveries.
    follow_ups: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("follow_ups")
        return data


def window(options: dict[str, Any]) -> dict[str, Any]:
    """``since``/``until`` from the options (``days`` back from now when given)."""
    options = dict(options)
    now = utcnow()
    days = options.pop("days", None)
    if days is not None:
        options["since"] = now - timedelta(days=days)
    options.setdefault("until", now)
    return options


def count(source: Source, **filters: Any) -> int:
    return len(list(_ids(source, **filters)))


def reprocess(
    source: Source,
    *,
    since: datetime,
    until: datetime,
    token_key: bytes,
    attribution: str | None = None,
    event_type: str | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Re-map the source's conversions received in ``[since, until)``."""
    snapshot = SourceSnapshot.of(source)
    report = Report(dry_run=dry_run)
    ids = list(
        _ids(source, since=since, until=until, attribution=attribution, event_type=event_type)
    )
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        conversions = db.session.scalars(
            select(Conversion)
            .where(Conversion.id.in_(chunk))
            .order_by(Conversion.received_at, Conversion.id)
        ).all()
        for conversion in conversions:
            _remap_one(conversion, snapshot, token_key, report)
        if progress:
            progress(len(chunk))
    if dry_run:
        db.session.rollback()
    return report


def _ids(
    source: Source,
    *,
    since: datetime,
    until: datetime,
    attribution: str | None = None,
    event_type: str | None = None,
) -> Iterator[int]:
    query = (
        select(Conversion.id)
        .where(
            Conversion.source_id == source.id,
            Conversion.received_at >= since,
            Conversion.received_at < until,
        )
        .order_by(Conversion.received_at, Conversion.id)
    )
    if attribution:
        query = query.where(Conversion.attribution == attribution)
    if event_type:
        query = query.where(Conversion.event_type == event_type)
    yield from db.session.scalars(query)


def _remap_one(
    conversion: Conversion, source: SourceSnapshot, token_key: bytes, report: Report
) -> None:
    report.examined += 1
    raw = conversion.raw_request or {}
    if raw.get("body_truncated") or raw.get("body") == MULTIPART_BODY:
        report.skipped += 1  # what was stored is not all that arrived: nothing to re-read
        return
    params, label = stored_params(raw)
    row, _ = conversion_row(
        source,
        params,
        notes=[],
        raw_request=raw,
        path_event=label,
        token_key=token_key,
        received_at=conversion.received_at,
    )
    for change in sorted(conversion.history, key=lambda c: (c.changed_at, c.id)):
        replayed = _replayed(change, source)
        if is_status_change(row["status"], replayed["status"]):
            row.update(replayed)
    if conversion.dedupe_key == f"{row['dedupe_key']}:{conversion.id}":
        row["dedupe_key"] = conversion.dedupe_key  # released after 24 h by ingest: keep it
    holder = _key_holder(row["dedupe_key"], conversion.id)
    if holder is not None:
        row.update(attribution="duplicate", dedupe_key=None, duplicate_of_id=holder)
    before = {name: getattr(conversion, name) for name in COMPARED}
    after = {name: row[name] for name in COMPARED}
    diff = {
        name: [_plain(before[name]), _plain(after[name])]
        for name in COMPARED
        if before[name] != after[name]
    }
    if not diff:
        report.unchanged += 1
        return
    if report.dry_run:
        _count(report, before, after)
        return
    applied = _apply(conversion, after, diff)
    if applied is None:
        report.skipped += 1  # changed by a postback meanwhile; run the re-map again
        return
    _count(report, before, applied)
    if applied["attribution"] != "duplicate":
        report.follow_ups.append((conversion.id, "remapped"))


def _count(report: Report, before: dict[str, Any], after: dict[str, Any]) -> None:
    report.changed += 1
    if after["attribution"] == "matched" and before["attribution"] != "matched":
        report.now_matched += 1
    if after["attribution"] == "duplicate" and before["attribution"] != "duplicate":
        report.now_duplicate += 1


def _replayed(change: StatusChange, source: SourceSnapshot) -> dict[str, Any]:
    params, label = stored_params(change.raw_request or {})
    canon = translate(params, source.rules, label)
    row = {
        "received_at": change.changed_at,
        "gross_amount": canon.gross_amount,
        "gross_currency": canon.gross_currency,
        "payout_amount": canon.payout_amount,
        "payout_currency": canon.payout_currency,
    }
    values = status_change_values(canon, row)
    values.pop("updated_at")
    return values


def _key_holder(key: str | None, conversion_id: int) -> int | None:
    if key is None:
        return None
    holder = db.session.scalar(select(Conversion.id).where(Conversion.dedupe_key == key))
    return holder if holder not in (None, conversion_id) else None


def _apply(
    conversion: Conversion, after: dict[str, Any], diff: dict[str, Any]
) -> dict[str, Any] | None:
    """Write the new values if the conversion is still at the revision read (a status
    change arriving meanwhile wins: ``None``). When ingest took the key meanwhile the
    conversion becomes that key's duplicate. Returns what was written."""
    revision = conversion.revision
    try:
        return _write(conversion.id, revision, after, diff)
    except IntegrityError:
        db.session.rollback()
        holder = _key_holder(after["dedupe_key"], conversion.id)
        after = {**after, "attribution": "duplicate", "dedupe_key": None, "duplicate_of_id": holder}
        diff["attribution"] = [diff.get("attribution", [None])[0], "duplicate"]
        return _write(conversion.id, revision, after, diff)


def _write(
    conversion_id: int, revision: int, after: dict[str, Any], diff: dict[str, Any]
) -> dict[str, Any] | None:
    written = db.session.execute(
        update(Conversion)
        .where(Conversion.id == conversion_id, Conversion.revision == revision)
        .values(
            **after,
            updated_at=utcnow(),
            revision=revision + 1,
            dispatch_pending=after["attribution"] != "duplicate",
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if written != 1:
        db.session.rollback()
        return None
    db.session.add(Remap(conversion_id=conversion_id, changes=diff))
    db.session.commit()
    return after


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value
