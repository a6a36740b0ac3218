"""A short-lived, per-process cache of sources by token digest and public id.

The postback path must not pay a database round trip to learn what it learnt a second
ago, nor hold a session connection for it (lookups use a short-lived Core connection).
Entries live ``PBHUB_SOURCE_CACHE_SECONDS`` (default 2 s), so a paused source or an
edited map reaches every process on every host within that time without any signalling.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace

from sqlalchemy import Row, and_, or_, select
from sqlalchemy.exc import DBAPIError

from app.core.mapping import Rules
from app.core.offer import UnusableOfferURL, offer_parts
from app.extensions import db
from app.models import Source
from app.models.types import utcnow

SOURCES = Source.__table__
MAX_ENTRIES = 10_000
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceSnapshot:
    id: int
    name: str
    state: str
    rules: Rules
    attribution_window_days: int
    rate_limit_per_minute: int | None
    offer_parts: tuple[str, ...] | None
    #: Found by the token it had before a rotation (still in its grace period).
    previous_token: bool = False

    @classmethod
    def of(cls, source: Source | Row) -> SourceSnapshot:
        return cls(
            id=source.id,
            name=source.name,
            state=source.state,
            rules=Rules(
                field_map=dict(source.field_map or {}),
                event_map=dict(source.event_map or {}),
                status_map=dict(source.status_map or {}),
                default_currency=source.default_currency,
            ),
            attribution_window_days=source.attribution_window_days,
            rate_limit_per_minute=source.rate_limit_per_minute,
            offer_parts=_offer_parts(source),
        )


def _offer_parts(source: Source | Row) -> tuple[str, ...] | None:
    """``None`` when there is no offer URL, or one saved before it was checked that no
    redirect can be built from: the Track URL answers 404, postbacks are unaffected."""
    if not source.offer_url:
        return None
    try:
        return offer_parts(source.offer_url)
    except UnusableOfferURL as exc:
        log.warning("source %s: offer URL unusable, its Track URL answers 404: %s", source.id, exc)
        return None


def _matching(column: str, value: str):  # type: ignore[no-untyped-def]
    """A source by public id, or by its token, or by its previous token within the grace."""
    if column != "token_digest":
        return SOURCES.c[column] == value
    return or_(
        SOURCES.c.token_digest == value,
        and_(
            SOURCES.c.previous_token_digest == value,
            SOURCES.c.previous_token_until > utcnow(),
        ),
    )


class SourceCache:
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[tuple[str, str], tuple[float, SourceSnapshot | None]] = {}
        self._misses: dict[tuple[str, str], tuple[float, SourceSnapshot | None]] = {}
        self._lock = threading.Lock()

    def by_token_digest(self, digest: str) -> SourceSnapshot | None:
        return self._get("token_digest", digest)

    def by_public_id(self, public_id: str) -> SourceSnapshot | None:
        return self._get("public_id", public_id)

    def _get(self, column: str, value: str) -> SourceSnapshot | None:
        key = (column, value)
        now = time.monotonic()
        hit = self._entries.get(key) or self._misses.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        try:
            with db.engine.connect() as connection:
                row = connection.execute(select(SOURCES).where(_matching(column, value))).first()
        except DBAPIError:
            if hit is not None and hit[1] is not None:
                log.warning("database unreachable; serving a cached source past its time")
                return hit[1]
            raise
        snapshot = None
        if row is not None:
            snapshot = SourceSnapshot.of(row)
            if column == "token_digest" and row.token_digest != value:
                snapshot = replace(snapshot, previous_token=True)
        if self.ttl > 0:
            # Unknown tokens are remembered apart and bounded, so a flood of made-up tokens
            # can neither grow memory nor evict the real sources.
            entries = self._entries if snapshot is not None else self._misses
            with self._lock:
                if len(entries) >= MAX_ENTRIES:
                    entries.clear()
                entries[key] = (now + self.ttl, snapshot)
        return snapshot

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._misses.clear()
