from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import BigId, UTCDateTime


class Click(db.Model):
    """A redirect we issued (``origin='track'``) or one imported from a tracker."""

    __tablename__ = "clicks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: Empty for an imported click no hub source claims (it still attributes and counts
    #: in unfiltered stats).
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    click_id: Mapped[str] = mapped_column(String(128))
    origin: Mapped[str] = mapped_column(String(16), default="track")
    clicked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip_hash: Mapped[str | None] = mapped_column(String(32))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    referrer: Mapped[str | None] = mapped_column(String(1024))
    params: Mapped[dict | None] = mapped_column(JSON)
    #: Imported from Keitaro: the connection, and the tracker's labels of the click.
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("keitaro_connections.id", ondelete="CASCADE")
    )
    tracker_campaign_id: Mapped[int | None] = mapped_column(BigInteger)
    tracker_offer_id: Mapped[int | None] = mapped_column(BigInteger)
    tracker_traffic_source_id: Mapped[int | None] = mapped_column(BigInteger)
    country: Mapped[str | None] = mapped_column(String(8))
    external_id: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (
        Index("ix_clicks_click_id", "click_id"),
        Index("ix_clicks_clicked_at", "clicked_at"),
        Index("ix_clicks_source_id_clicked_at", "source_id", "clicked_at"),
        Index(
            "uq_clicks_connection_click_id",
            "connection_id",
            "click_id",
            unique=True,
            postgresql_where=text("connection_id IS NOT NULL"),
            sqlite_where=text("connection_id IS NOT NULL"),
        ),
    )
