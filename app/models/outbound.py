from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import BigId, UTCDateTime, utcnow


class OutboundPostback(db.Model):
    """Where accepted conversions are re-delivered, and how.

    The signing secret is kept encrypted (Fernet, key derived from SECRET_KEY), the
    previous one too while its rotation grace period lasts.
    """

    __tablename__ = "outbound_postbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    preset: Mapped[str | None] = mapped_column(String(32))
    #: The source whose "outbound target URL" created this postback (signed webhook).
    owner_source_id: Mapped[int | None] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), unique=True
    )
    url_template: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(8), default="GET")
    body_format: Mapped[str | None] = mapped_column(String(16))
    body_template: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="active")
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    events: Mapped[list] = mapped_column(JSON, default=list)
    attributions: Mapped[list] = mapped_column(JSON, default=lambda: ["matched", "unmatched"])
    status_map: Mapped[dict] = mapped_column(JSON, default=dict)
    default_currency: Mapped[str | None] = mapped_column(String(3))
    timeout_seconds: Mapped[float] = mapped_column(default=10.0)
    retry_count: Mapped[int] = mapped_column(default=5)
    retry_delay_seconds: Mapped[float] = mapped_column(default=60.0)
    retry_max_delay_seconds: Mapped[float] = mapped_column(default=6 * 3600.0)
    #: Explicit delays before each retry (seconds), overriding count and delay.
    schedule: Mapped[list | None] = mapped_column(JSON)
    source_ids: Mapped[list] = mapped_column(JSON, default=list)
    countries: Mapped[list] = mapped_column(JSON, default=list)
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    extra_params: Mapped[dict] = mapped_column(JSON, default=dict)
    #: A secret inside the URL (Keitaro's postback key), filled in as ``{url_secret}``.
    url_secret_ciphertext: Mapped[str | None] = mapped_column(Text)
    secret_ciphertext: Mapped[str | None] = mapped_column(Text)
    previous_secret_ciphertext: Mapped[str | None] = mapped_column(Text)
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Start of the current run of failed attempts (auto-disable after five days).
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Most attempts to this receiver one worker makes at once.
    concurrency: Mapped[int] = mapped_column(default=8, server_default="8")
    #: The receiver's circuit (``app.outbound.circuit``): ``closed`` sends freely, ``open``
    #: holds every delivery until ``circuit_next_probe_at``, ``half_open`` has one probe
    #: in flight. ``circuit_failures`` counts failed attempts in a row; ``circuit_trips``
    #: how often it opened since it last closed (each pause doubles).
    circuit_state: Mapped[str] = mapped_column(
        String(16), default="closed", server_default="closed"
    )
    circuit_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    circuit_trips: Mapped[int] = mapped_column(default=0, server_default="0")
    circuit_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    circuit_next_probe_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def circuit(self) -> Circuit:
        return Circuit(
            self.circuit_state or "closed",
            self.circuit_failures or 0,
            self.circuit_opened_at,
            self.circuit_next_probe_at,
        )


@dataclass(frozen=True)
class Circuit:
    """A receiver's circuit as the API, the CLI and the dashboard show it."""

    state: str
    failures_in_a_row: int
    open_since: datetime | None
    next_probe_at: datetime | None


class Delivery(db.Model):
    """One conversion (at one revision) owed to one outbound postback.

    Unique per (conversion, postback, revision): planning twice creates nothing new, and
    a status change (a new revision) is delivered again, after the earlier revisions and
    as its revision said it. ``lease_until`` is the claim of the worker sending it: no
    two attempts of one delivery run at once.
    """

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversion_id: Mapped[int] = mapped_column(ForeignKey("conversions.id", ondelete="CASCADE"))
    outbound_postback_id: Mapped[int] = mapped_column(
        ForeignKey("outbound_postbacks.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(default=0)
    message_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    outbound_postback = relationship("OutboundPostback", lazy="joined", innerjoin=True)
    attempt_log: Mapped[list[DeliveryAttempt]] = relationship(
        order_by="DeliveryAttempt.id", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        UniqueConstraint("conversion_id", "outbound_postback_id", "revision"),
        Index("ix_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
    )


class DeliveryAttempt(db.Model):
    """One HTTP request we made for a delivery, as sent (secrets masked) and answered."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    method: Mapped[str] = mapped_column(String(8))
    url: Mapped[str] = mapped_column(Text)
    status_code: Mapped[int | None] = mapped_column()
    latency_ms: Mapped[float | None] = mapped_column()
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
