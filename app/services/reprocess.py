"""Re-map history: apply a source's current maps to the postbacks it already stored.

Networks cannot be asked to fire again, so fixing a map must fix the past. Each stored
postback is translated again from its raw request, attributed and deduplicated as ingest
would (oldest first, so the earliest postback of a key keeps it), with the status
changes it received replayed on top. A conversion that comes out different is updated
and keeps a ``Remap`` entry with every field's old and new value.

A map change can take as well as give: the report counts every transition of the fields
an operator reads a conversion by (a ``matched`` conversion turned ``unmatched`` shows as
such, not only the ones that became matched), and lists the changed conversions with
their old and new values, so a dry run shows what applying it would do.

Repeats without a transaction id are not re-timed: ingest's 24-hour repeat window
decides at arrival and is not replayed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.core.attribution import is_status_change
from app.core.mapping import translate
from app.extensions import db
from app.ingest.pipeline import conversion_row, released_key, status_change_values
from app.ingest.request_data import MULTIPART_BODY, stored_params
from app.ingest.sources_cache import SourceSnapshot
from app.models import Conversion, Source, StatusChange
from app.models.types import utcnow
from app.services.errors import Conflict
from app.services.reprocess_write import Plan, RevisionMoved, SetWrite, Write

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
    "country",
    "dedupe_key",
    "duplicate_of_id",
)
CHUNK = 500
#: The fields whose every ``from -> to`` is counted: the ones a conversion is read by.
COUNTED = ("attribution", "event_type", "status")
#: How many changed conversions a report lists; the others are only counted.
LISTED = 100
#: How the decisions are written (``reprocess_write.EachWrite`` is the per-row reference).
write: Callable[[tuple[str, ...]], Write] = SetWrite


@dataclass
class Report:
    examined: int = 0
    changed: int = 0
    unchanged: int = 0
    now_matched: int = 0
    now_duplicate: int = 0
    #: Demotions: conversions that were matched and no longer are.
    no_longer_matched: int = 0
    no_longer_duplicate: int = 0
    #: Stored truncated or as multipart: nothing to re-read.
    skipped: int = 0
    dry_run: bool = False
    #: Compared field -> how many changed conversions it changed on.
    fields_changed: Counter[str] = field(default_factory=Counter)
    #: (field, old value, new value) -> conversions, for the ``COUNTED`` fields.
    transitions: Counter[tuple[str, str | None, str | None]] = field(default_factory=Counter)
    #: The first ``LISTED`` changed conversions, oldest first; ``changes_more`` counts the rest.
    changes: list[dict[str, Any]] = field(default_factory=list)
    changes_more: int = 0
    #: (conversion id, kind) of changed conversions whose new result asks for deliveries.
    follow_ups: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The report as the API, the CLI and the dashboard show it: each field's
        transitions in ``COUNTED`` order, the most frequent first."""
        transitions = sorted(
            self.transitions.items(),
            key=lambda item: (COUNTED.index(item[0][0]), -item[1], str(item[0][1:])),
        )
        return {
            "examined": self.examined,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "now_matched": self.now_matched,
            "now_duplicate": self.now_duplicate,
            "no_longer_matched": self.no_longer_matched,
            "no_longer_duplicate": self.no_longer_duplicate,
            "skipped": self.skipped,
            "dry_run": self.dry_run,
            "fields_changed": {
                name: self.fields_changed[name] for name in COMPARED if self.fields_changed[name]
            },
            "transitions": [
                {
                    "field": name,
                    "from": old,
                    "to": new,
                    "count": count,
                    "demotion": is_demotion(name, old, new),
                }
                for (name, old, new), count in transitions
            ],
            "changes": self.changes,
            "changes_listed": len(self.changes),
            "changes_more": self.changes_more,
        }


def is_demotion(name: str, old: Any, new: Any) -> bool:
    """A conversion credited to a click that a re-map takes the credit from: the one
    change an operator must not miss."""
    return name == "attribution" and old == "matched" and new != "matched"


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
    return db.session.scalar(
        select(func.count()).select_from(_ids_query(source, **filters).subquery())
    )


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
    """Re-map the source's conversions received in ``[since, until)``.

    Decided oldest conversion first, with the keys the set itself claims taking
    precedence over their current holders inside the set; each chunk's decisions are
    staged as soon as they are made (a decision is never revised, and nothing but the
    staging is written before the end, so later chunks read the keys as they stood),
    then written in the same transaction. A conversion that a postback changed meanwhile
    (its revision moved) aborts the whole run with a Conflict: nothing half-done is kept.
    A dry run stages nothing.
    """
    snapshot = SourceSnapshot.of(source)
    report = Report(dry_run=dry_run)
    ids = list(
        db.session.scalars(
            _ids_query(
                source, since=since, until=until, attribution=attribution, event_type=event_type
            )
        )
    )
    decide = _Decider(snapshot, token_key, set(ids), report)
    writer = None if dry_run else write(COMPARED)
    follow_ups: list[tuple[int, str]] = []
    try:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            plans = decide(chunk)
            if writer is not None and plans:
                writer.stage(plans)
                follow_ups += _follow_ups(plans)
            if progress:
                progress(len(chunk))
        if writer is None or not report.changed:
            db.session.rollback()
            return report
        _finish(writer)
    except BaseException:
        db.session.rollback()
        raise
    report.follow_ups = follow_ups
    return report


@dataclass
class _Decider:
    """Decides chunk after chunk, remembering the keys earlier chunks claimed."""

    snapshot: SourceSnapshot
    token_key: bytes
    members: set[int]
    report: Report
    claimed: dict[str, int] = field(default_factory=dict)

    def __call__(self, chunk: list[int]) -> list[Plan]:
        """The plans of the chunk's changed conversions, oldest first."""
        conversions = db.session.scalars(
            select(Conversion)
            .options(selectinload(Conversion.history))
            .where(Conversion.id.in_(chunk))
            .order_by(Conversion.received_at, Conversion.id)
        ).all()
        rows = [
            _translated(conversion, self.snapshot, self.token_key) for conversion in conversions
        ]
        holders = _key_holders([row["dedupe_key"] for row in rows if row is not None])
        plans = []
        for conversion, row in zip(conversions, rows, strict=True):
            plan = _decide(conversion, row, holders, self.members, self.claimed, self.report)
            if plan is not None:
                plans.append(plan)
        return plans


def _follow_ups(plans: list[Plan]) -> list[tuple[int, str]]:
    """The changed conversions whose new result asks for deliveries."""
    return [
        (cid, "remapped") for cid, _, _, after, _ in plans if after["attribution"] != "duplicate"
    ]


def _finish(writer: Write) -> None:
    """Compare-and-set on each conversion's revision, so a postback that changed one
    meanwhile undoes it all (see ``reprocess_write``); the caller rolls back on error."""
    try:
        writer.finish()
        db.session.commit()
    except IntegrityError:
        raise Conflict(
            "a new postback took one of these keys while they were re-mapped; nothing was "
            "changed, run the re-map again"
        ) from None
    except RevisionMoved:
        raise Conflict(
            "postbacks changed some of these conversions while they were re-mapped; "
            "nothing was changed, run the re-map again"
        ) from None


def _ids_query(
    source: Source,
    *,
    since: datetime,
    until: datetime,
    attribution: str | None = None,
    event_type: str | None = None,
) -> Select[tuple[int]]:
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
    return query


def _translated(
    conversion: Conversion, source: SourceSnapshot, token_key: bytes
) -> dict[str, Any] | None:
    """The conversion as ingest would store it today, its status changes replayed;
    ``None`` when what was stored cannot be read again."""
    raw = conversion.raw_request or {}
    if raw.get("body_truncated") or raw.get("body") == MULTIPART_BODY:
        return None  # what was stored is not all that arrived: nothing to re-read
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
    if conversion.dedupe_key == released_key(row["dedupe_key"], conversion.id):
        row["dedupe_key"] = conversion.dedupe_key  # released after 24 h: keep it
    return row


def _decide(
    conversion: Conversion,
    row: dict[str, Any] | None,
    holders: dict[str, int],
    members: set[int],
    claimed: dict[str, int],
    report: Report,
) -> Plan | None:
    """What re-mapping makes of one conversion: ``None`` when nothing changes.
    ``holders`` is who holds each key of the chunk today, asked in one query."""
    report.examined += 1
    if row is None:
        report.skipped += 1
        return None
    key = row["dedupe_key"]
    holder = claimed.get(key)
    if holder is None:
        outside = holders.get(key) if key is not None else None
        holder = outside if outside not in members else None  # itself is a member too
    if holder is not None:
        row.update(attribution="duplicate", dedupe_key=None, duplicate_of_id=holder)
    else:
        claimed[key] = conversion.id
    before = {name: getattr(conversion, name) for name in COMPARED}
    after = {name: row[name] for name in COMPARED}
    diff = {
        name: [_plain(before[name]), _plain(after[name])]
        for name in COMPARED
        if before[name] != after[name]
    }
    if not diff:
        report.unchanged += 1
        return None
    _count(report, conversion, before, diff)
    return conversion.id, conversion.revision, before, after, diff


def _count(
    report: Report, conversion: Conversion, before: dict[str, Any], diff: dict[str, list[Any]]
) -> None:
    """Counts one changed conversion under every field it changed on, so each field's
    transitions add up to the conversions that field changed on."""
    report.changed += 1
    report.fields_changed.update(diff.keys())
    for name in COUNTED:
        if name in diff:
            report.transitions[(name, *diff[name])] += 1
    if "attribution" in diff:
        old, new = diff["attribution"]
        report.now_matched += new == "matched"
        report.now_duplicate += new == "duplicate"
        report.no_longer_matched += old == "matched"
        report.no_longer_duplicate += old == "duplicate"
    if len(report.changes) >= LISTED:
        report.changes_more += 1
        return
    report.changes.append(
        {
            "conversion_id": conversion.id,
            "transaction_id": before["transaction_id"],
            "click_id": before["click_id"],
            "received_at": _plain(conversion.received_at),
            "fields": [
                {"field": name, "from": old, "to": new} for name, (old, new) in diff.items()
            ],
        }
    )


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


def _key_holders(keys: list[str | None]) -> dict[str, int]:
    wanted = [key for key in keys if key is not None]
    if not wanted:
        return {}
    found = db.session.execute(
        select(Conversion.dedupe_key, Conversion.id).where(Conversion.dedupe_key.in_(wanted))
    )
    return {key: conversion_id for key, conversion_id in found}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value
