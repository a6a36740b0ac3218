from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class Source(db.Model):
    """One affiliate network's inbound configuration.

    The inbound token is kept twice: a SHA-256 digest for lookup on the hot path, and a
    Fernet ciphertext (key derived from SECRET_KEY) so the Postback URL can be shown again.
    """

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    platform: Mapped[str | None] = mapped_column(String(80))
    field_map: Mapped[dict] = mapped_column(JSON, default=dict)
    event_map: Mapped[dict] = mapped_column(JSON, default=dict)
    status_map: Mapped[dict] = mapped_column(JSON, default=dict)
    default_currency: Mapped[str | None] = mapped_column(String(3))
    attribution_window_days: Mapped[int] = mapped_column(default=30)
    rate_limit_per_minute: Mapped[int | None] = mapped_column()
    offer_url: Mapped[str | None] = mapped_column(Text)
    outbound_target_url: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="active")
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    token_ciphertext: Mapped[str] = mapped_column(Text)
    #: The token before the last rotation, accepted until ``previous_token_until``.
    previous_token_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    previous_token_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
