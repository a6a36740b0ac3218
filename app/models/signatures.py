from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import BigId, UTCDateTime, utcnow


class AdminSignature(db.Model):
    """A signature an admin wrote in the dashboard: parameter names, not code.

    Served to detection through the same plugin hook as the built-in ones; every process
    notices a change on its next detection (``updated_at`` is the cache stamp).
    """

    __tablename__ = "signatures"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    click_id_params: Mapped[list] = mapped_column(JSON, default=list)
    event_param: Mapped[str | None] = mapped_column(String(120))
    amount_param: Mapped[str | None] = mapped_column(String(120))
    currency_param: Mapped[str | None] = mapped_column(String(120))
    field_map: Mapped[dict] = mapped_column(JSON, default=dict)
    event_map: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Ticket(db.Model):
    """A pasted URL no signature recognised, for an admin to teach the hub.

    ``open_key`` is the sorted parameter-name set while the ticket is open and NULL once
    resolved: a unique index on it folds repeats of the same unknown shape into one open
    ticket, race-free, while a resolved ticket never swallows a new report.
    """

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="open")
    url: Mapped[str] = mapped_column(Text)
    keys: Mapped[list] = mapped_column(JSON, default=list)
    open_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    repeats: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Capture(db.Model):
    """A one-time learn URL of a source and the first request that reached it.

    The token is kept only as its SHA-256 digest: the URL is shown once, like a
    source's inbound token. ``captured_at`` is set by one compare-and-set UPDATE, so of
    two requests racing to the URL exactly one is kept.
    """

    __tablename__ = "captures"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    params: Mapped[dict | None] = mapped_column(JSON)
    raw_request: Mapped[dict | None] = mapped_column(JSON)
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Remap(db.Model):
    """What a re-map of history changed on one conversion, field by field."""

    __tablename__ = "conversion_remaps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversion_id: Mapped[int] = mapped_column(
        ForeignKey("conversions.id", ondelete="CASCADE"), index=True
    )
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changes: Mapped[dict] = mapped_column(JSON)
