"""What each revision of a conversion said, read from its status history.

A conversion row holds its latest revision only. Each status change keeps what the
revision it superseded said (``StatusChange.from_*``), written in the transaction that
made the new revision, so every revision can be planned and sent as it was however late
it is: a step whose planning job was lost, or a delivery retried after the next status
arrived. Nothing here depends on a queued job having survived.

Re-maps and late click matches make revisions without a history row. The revision
before one of those is superseded by it (the same step, corrected), so it is not planned
on its own, and it reads as the next recorded status change kept it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Row, select

from app.extensions import db
from app.models import StatusChange
from app.models.conversions import STATUS_FIELDS

#: The rest of what outbound rendering reads of a conversion (``app.outbound.rules``):
#: the same at every revision, or corrected for all of them by a re-map.
SHARED_FIELDS = (
    "id",
    "source_id",
    "received_at",
    "attribution",
    "event_type",
    "raw_event",
    "click_id",
    "transaction_id",
    "external_user_id",
    "country",
    "raw_request",
)
_HISTORY_COLUMNS = (
    StatusChange.conversion_id,
    StatusChange.revision,
    *(getattr(StatusChange, f"from_{name}") for name in STATUS_FIELDS),
)

Changes = Sequence[Row[Any]]


def history(conversion_ids: Collection[int]) -> dict[int, Changes]:
    """The recorded status changes of these conversions, oldest first, by conversion
    (one query; none for no ids). Changes recorded without a revision are left out."""
    if not conversion_ids:
        return {}
    found: dict[int, list[Row[Any]]] = defaultdict(list)
    for change in db.session.execute(
        select(*_HISTORY_COLUMNS)
        .where(
            StatusChange.conversion_id.in_(list(conversion_ids)),
            StatusChange.revision.isnot(None),
        )
        .order_by(StatusChange.conversion_id, StatusChange.revision)
    ):
        found[change.conversion_id].append(change)
    return dict(found)


def to_plan(conversion: Any, changes: Changes) -> list[tuple[int, str]]:
    """The revisions of ``conversion`` to plan now, oldest first, each with its status:
    every revision above ``planned_revision`` that a status change superseded, then the
    current one. A flag raised without a new revision asks for the current one again
    (planned twice, it is created once)."""
    first = min(conversion.planned_revision + 1, conversion.revision)
    superseded = [
        (change.revision - 1, change.from_status)
        for change in changes
        if first <= change.revision - 1 < conversion.revision
    ]
    return [*superseded, (conversion.revision, conversion.status)]


def said(conversion: Any, revision: int, changes: Changes) -> dict[str, Any]:
    """What ``revision`` said: the values the first status change after it kept, or the
    conversion's own when none came after it."""
    for change in changes:
        if change.revision > revision:
            return {name: getattr(change, f"from_{name}") for name in STATUS_FIELDS}
    return {name: getattr(conversion, name) for name in STATUS_FIELDS}


def as_of(conversion: Any, revision: int, changes: Changes) -> SimpleNamespace:
    """The conversion as a delivery of ``revision`` renders it."""
    return SimpleNamespace(
        **{name: getattr(conversion, name) for name in SHARED_FIELDS},
        **said(conversion, revision, changes),
        revision=revision,
    )
