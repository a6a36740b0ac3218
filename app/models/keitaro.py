from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import BigId, UTCDateTime, utcnow


class KeitaroConnection(db.Model):
    """A Keitaro tracker the hub drives and syncs with.

    The API key and the postback key are encrypted at rest (Fernet, key derived from
    SECRET_KEY). ``timezone`` is the tracker's: its datetimes carry no offset.
    """

    __tablename__ = "keitaro_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    api_key_ciphertext: Mapped[str] = mapped_column(Text)
    postback_key_ciphertext: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    verify_tls: Mapped[bool] = mapped_column(default=True)
    is_default: Mapped[bool] = mapped_column(default=False)
    #: The hub source whose stats count imported clicks; ``source_map`` overrides it per
    #: Keitaro affiliate network id (as a string key).
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    source_map: Mapped[dict] = mapped_column(JSON, default=dict)
    outbound_postback_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbound_postbacks.id", ondelete="SET NULL")
    )
    sync_enabled: Mapped[bool] = mapped_column(default=True)
    #: Click import: newest click time seen, the next scheduled run, the running
    #: import's claim, and how the last run went.
    clicks_cursor: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clicks_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clicks_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Who holds the lease: an import writes its progress only while it still does.
    clicks_lease_token: Mapped[str | None] = mapped_column(String(32))
    clicks_last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clicks_last_error: Mapped[str | None] = mapped_column(Text)
    clicks_last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clicks_imported: Mapped[int] = mapped_column(BigInteger, default=0)
    metadata_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    metadata_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    metadata_last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class KeitaroObject(db.Model):
    """A cached campaign, offer, affiliate network or traffic source, for labels."""

    __tablename__ = "keitaro_objects"

    connection_id: Mapped[int] = mapped_column(
        ForeignKey("keitaro_connections.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    object_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    state: Mapped[str | None] = mapped_column(String(32))
    #: Links worth keeping (an offer's affiliate network, a campaign's traffic source).
    links: Mapped[dict] = mapped_column(JSON, default=dict)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KeitaroSyncRun(db.Model):
    """One run of a sync job: what it did, for the status page and the CLI."""

    __tablename__ = "keitaro_sync_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("keitaro_connections.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    range_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    range_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rows: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_keitaro_sync_runs_connection", "connection_id", "started_at"),)
