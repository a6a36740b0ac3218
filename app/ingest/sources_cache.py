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
from dataclasses import dataclass

from sqlalchemy import Row, select
from sqlalchemy.exc import DBAPIError

from app.core.mapping import Rules
from app.core.offer import offer_parts
from app.extensions import db
from app.models import Source

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
            offer_parts=offer_parts(source.offer_url) if source.offer_url else None,
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
                row = connection.execute(select(SOURCES).where(SOURCES.c[column] == value)).first()
        except DBAPIError:
            if hit is not None and hit[1] is not None:
                log.warning("database unreachable; serving a cached source past its time")
                return hit[1]
            raise
        snapshot = SourceSnapshot.of(row) if row is not None else None
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
