"""Sources: create, change, pause, delete, and the URLs an operator pastes elsewhere."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import exists, func, or_, select

from app.core.keys import Keyring, new_token, token_digest
from app.core.vocabulary import DEFAULT_FIELD_MAP
from app.extensions import db
from app.models import Conversion, Source
from app.models.types import utcnow
from app.services import rollups
from app.services.errors import Conflict, Invalid, NotFound

#: The longest a rotated-out token or secret may stay valid.
MAX_GRACE = timedelta(days=7)


@dataclass(frozen=True)
class SourceUrls:
    postback_url: str
    track_url: str
    inbound_token: str


def postback_url(base_url: str, token: str) -> str:
    return f"{base_url}/pb/{token}"


def track_url(base_url: str, source: Source) -> str:
    return f"{base_url}/t/{quote(source.public_id)}"


def _name_taken(name: str, exclude_id: int | None = None) -> bool:
    """Names compare case-insensitively. The database's ``lower`` may fold only ASCII
    letters (SQLite; PostgreSQL in the C locale), so the exact name is matched too: a
    name taken is then a conflict, never a unique-constraint error."""
    same = or_(Source.name == name, func.lower(Source.name) == name.lower())
    query = select(Source.id).where(same)
    if exclude_id is not None:
        query = query.where(Source.id != exclude_id)
    return db.session.scalar(query) is not None


def _name_taken_error(name: str) -> Conflict:
    return Conflict(
        f"a source named “{name}” exists", {"name": ["is already taken by another source"]}
    )


def create_source(
    data: Mapping[str, Any], keyring: Keyring, base_url: str
) -> tuple[Source, SourceUrls]:
    """Create a source with a fresh inbound token; the token is returned only here."""
    if _name_taken(data["name"]):
        raise _name_taken_error(data["name"])
    token = new_token()
    fields = dict(data)
    fields["field_map"] = {**DEFAULT_FIELD_MAP, **(data.get("field_map") or {})}
    source = Source(
        **fields,
        public_id=secrets.token_urlsafe(9),
        token_digest=token_digest(token),
        token_ciphertext=keyring.encrypt(token),
    )
    db.session.add(source)
    db.session.commit()
    return source, SourceUrls(postback_url(base_url, token), track_url(base_url, source), token)


def get_source(source_id: int) -> Source:
    source = db.session.get(Source, source_id)
    if source is None:
        raise NotFound(f"no source {source_id}")
    return source


def list_sources() -> list[Source]:
    return list(db.session.scalars(select(Source).order_by(Source.name)))


@dataclass(frozen=True)
class Activity:
    last_conversion_at: datetime | None = None
    conversions_today: int = 0


def activity(day_start: datetime, now: datetime | None = None) -> dict[int, Activity]:
    """Per source: when its latest conversion arrived (one index probe per source), and
    how many it has had since ``day_start`` (from the stats rollups; duplicates are stored
    but never counted)."""
    latest = dict(
        db.session.execute(
            select(
                Source.id,
                select(func.max(Conversion.received_at))
                .where(Conversion.source_id == Source.id)
                .scalar_subquery(),
            )
        ).all()
    )
    end = now or utcnow()
    reading = rollups.plan(day_start, end, rollups.dirty_hours(day_start, end)["conversions"])
    today: dict[int, int] = {}
    for row in rollups.conversion_rows(reading, by_source=True):
        today[row.source_id] = today.get(row.source_id, 0) + int(row.conversions)
    return {
        source_id: Activity(at, today.get(source_id, 0))
        for source_id, at in latest.items()
        if at is not None or source_id in today
    }


def update_source(source: Source, changes: Mapping[str, Any]) -> Source:
    """Change the given fields. A ``field_map`` is merged into the stored one (``""`` skips
    a field), as on create; event and status maps are replaced whole, so labels can be
    removed."""
    if "name" in changes and _name_taken(changes["name"], exclude_id=source.id):
        raise _name_taken_error(changes["name"])
    for key, value in changes.items():
        if key == "field_map":
            value = {**(source.field_map or {}), **value}
        setattr(source, key, value)
    db.session.commit()
    return source


def set_state(source: Source, state: str) -> Source:
    source.state = state
    db.session.commit()
    return source


def has_conversions(source: Source) -> bool:
    return bool(db.session.scalar(select(exists().where(Conversion.source_id == source.id))))


def delete_source(source: Source) -> None:
    """Delete a source; with conversions, only once it is archived (they go with it)."""
    if source.state != "archived" and has_conversions(source):
        raise Conflict(
            "this source has conversions; archive it first (state 'archived'), then delete it"
        )
    db.session.delete(source)
    db.session.commit()


def reveal_urls(source: Source, keyring: Keyring, base_url: str) -> SourceUrls:
    token = keyring.decrypt(source.token_ciphertext)
    if token is None:
        raise Conflict(
            "the inbound token was encrypted under another SECRET_KEY and cannot be shown; "
            "restore the SECRET_KEY it was created with"
        )
    return SourceUrls(postback_url(base_url, token), track_url(base_url, source), token)


def rotate_token(
    source: Source, keyring: Keyring, base_url: str, now: datetime, grace: timedelta
) -> SourceUrls:
    """A new inbound token, returned once; the old one keeps working until
    ``now + grace`` (networks update their panels slowly), its postbacks noted as such."""
    if grace < timedelta(0) or grace > MAX_GRACE:
        raise Invalid(
            "the grace period is 0 to 7 days", {"grace_hours": ["must be 0 to 168 hours"]}
        )
    token = new_token()
    source.previous_token_digest = source.token_digest
    source.previous_token_until = now + grace
    source.token_digest = token_digest(token)
    source.token_ciphertext = keyring.encrypt(token)
    db.session.commit()
    return SourceUrls(postback_url(base_url, token), track_url(base_url, source), token)


def end_token_grace(source: Source) -> Source:
    source.previous_token_digest = None
    source.previous_token_until = None
    db.session.commit()
    return source
