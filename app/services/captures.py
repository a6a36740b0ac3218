"""Capture: learn a network's parameters from one live test postback.

The operator gets a one-time learn URL, pastes it in the network's panel and fires a
test. The first request is kept (names and sample values); the hub suggests a field map
from what the signatures know of those names and from the values' shapes; the operator
finalizes the maps onto the source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from app.core.keys import new_token, token_digest
from app.core.sample import Param, Sample
from app.core.shapes import value_shape
from app.core.vocabulary import MAPPABLE_FIELDS
from app.extensions import db
from app.models import Capture, Source
from app.models.types import utcnow
from app.services.errors import Conflict, NotFound
from app.services.sources import get_source
from plugins import Signature
from plugins.detection import detect

LIFETIME = timedelta(hours=24)
MAX_SHOWN_VALUE = 200


@dataclass(frozen=True)
class LearnUrl:
    url: str
    expires_at: datetime


def learn_url(base_url: str, token: str) -> str:
    return f"{base_url}/learn/{token}"


def start_capture(source: Source, base_url: str) -> LearnUrl:
    """A new learn URL for ``source``; any earlier unfinished one stops working."""
    now = utcnow()
    db.session.execute(
        update(Capture)
        .where(Capture.source_id == source.id, Capture.captured_at.is_(None))
        .values(expires_at=now)
    )
    token = new_token()
    capture = Capture(
        source_id=source.id, token_digest=token_digest(token), expires_at=now + LIFETIME
    )
    db.session.add(capture)
    db.session.commit()
    return LearnUrl(learn_url(base_url, token), capture.expires_at)


def record_learn_request(
    token: str, params: Mapping[str, str], raw_request: Mapping[str, Any]
) -> str:
    """Keep the first request to a learn URL. Answers ``captured``, or raises
    NotFound (unknown or expired) or Conflict (already used)."""
    now = utcnow()
    capture = db.session.scalar(select(Capture).where(Capture.token_digest == token_digest(token)))
    if capture is None or capture.expires_at <= now:
        raise NotFound("this learn URL is unknown or has expired; issue a new one")
    result = db.session.execute(
        update(Capture)
        .where(Capture.id == capture.id, Capture.captured_at.is_(None), Capture.expires_at > now)
        .values(captured_at=now, params=dict(params), raw_request=dict(raw_request))
    )
    db.session.commit()
    if result.rowcount != 1:
        raise Conflict("this learn URL already captured its test postback; issue a new one")
    return "captured"


def latest_capture(source: Source) -> Capture:
    capture = db.session.scalar(
        select(Capture).where(Capture.source_id == source.id).order_by(Capture.id.desc()).limit(1)
    )
    if capture is None:
        raise NotFound("this source has no capture; start one first")
    return capture


def capture_state(capture: Capture) -> str:
    if capture.finalized_at is not None:
        return "finalized"
    if capture.captured_at is not None:
        return "captured"
    return "expired" if capture.expires_at <= utcnow() else "waiting"


def describe(capture: Capture, signatures: list[Signature]) -> dict[str, Any]:
    """What the capture saw and what the hub suggests mapping."""
    state = capture_state(capture)
    answer: dict[str, Any] = {
        "state": state,
        "expires_at": capture.expires_at,
        "captured_at": capture.captured_at,
        "params": [],
        "suggested_field_map": {},
        "platform": None,
    }
    if capture.params is None:
        return answer
    sample = Sample(
        url="",
        path=(capture.raw_request or {}).get("path", ""),
        params=tuple(Param(name, value, ()) for name, value in capture.params.items()),
    )
    answer["params"] = [
        {"name": p.name, "value": p.value[:MAX_SHOWN_VALUE], "shape": value_shape(p.value)}
        for p in sample.params
    ]
    detection = detect(sample, signatures)
    suggested = detection.suggested_field_map
    if detection.outcome == "recognised" and detection.best is not None:
        answer["platform"] = detection.best.signature.id
        suggested = {**suggested, **detection.best.field_map}
    answer["suggested_field_map"] = suggested
    return answer


def finalize(source: Source, changes: Mapping[str, Any]) -> Source:
    """Save the chosen maps on the source. The field map merges like an edit: a field
    named takes its parameter (a blank one unmaps it), a field not named keeps its own,
    so a map chosen for two fields does not silently drop the other seven."""
    capture = latest_capture(source)
    if capture.captured_at is None:
        raise Conflict("nothing was captured yet; fire the test postback at the learn URL first")
    chosen = {
        name: (value or "").strip()
        for name, value in changes["field_map"].items()
        if name in MAPPABLE_FIELDS
    }
    source.field_map = {**(source.field_map or {}), **chosen}
    for name in ("event_map", "status_map"):
        if name in changes:
            setattr(source, name, dict(changes[name]))
    capture.finalized_at = utcnow()
    db.session.commit()
    return source


def get_source_capture(source_id: int) -> tuple[Source, Capture]:
    source = get_source(source_id)
    return source, latest_capture(source)
