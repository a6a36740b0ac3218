"""Hourly rollups behind the live figures, and the log that says which hours moved.

An hour's rollup row is exact until a raw row of that hour changes; database triggers
(``app.models.stats_triggers``) then log the hour in ``stats_dirty`` in the same
transaction, and readers take that hour from the raw rows until the roll-up job has
recomputed it. See ``app.services.rollups``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models import stats_triggers
from app.models.types import BigId, UTCDateTime


class ClickRollup(db.Model):
    """Clicks per hour, source and country (no source: imported clicks no hub source claims)."""

    __tablename__ = "stats_clicks_hourly"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bucket: Mapped[datetime] = mapped_column(UTCDateTime)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    country: Mapped[str | None] = mapped_column(String(8))
    clicks: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_stats_clicks_hourly_bucket", "bucket"),
        Index("ix_stats_clicks_hourly_source_id_bucket", "source_id", "bucket"),
    )


class ConversionRollup(db.Model):
    """Conversions that are not duplicates, per hour of arrival, source, event, status and
    currency pair. Amounts are kept as whole units plus the sum of the millionths, the
    split ``app.services.stats`` uses to stay exact and inside 64 bits on SQLite."""

    __tablename__ = "stats_conversions_hourly"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bucket: Mapped[datetime] = mapped_column(UTCDateTime)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    payout_currency: Mapped[str | None] = mapped_column(String(3))
    gross_currency: Mapped[str | None] = mapped_column(String(3))
    conversions: Mapped[int] = mapped_column(BigInteger)
    payout_count: Mapped[int] = mapped_column(BigInteger)
    payout_units: Mapped[int] = mapped_column(BigInteger)
    payout_micros: Mapped[int] = mapped_column(BigInteger)
    gross_count: Mapped[int] = mapped_column(BigInteger)
    gross_units: Mapped[int] = mapped_column(BigInteger)
    gross_micros: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_stats_conversions_hourly_bucket", "bucket"),
        Index("ix_stats_conversions_hourly_source_id_bucket", "source_id", "bucket"),
    )


class CountryRollup(db.Model):
    """Counted conversions (neither duplicates nor rejected) per hour of arrival, source,
    country, status and payout currency: what the figures by country need, and no more.

    Kept apart from ``ConversionRollup`` because a country multiplies an hour's rows: one
    table keyed by both event and country held nearly a row per conversion, and every
    week's totals paid for it. Rolled up from the same dirty hours."""

    __tablename__ = "stats_countries_hourly"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bucket: Mapped[datetime] = mapped_column(UTCDateTime)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    country: Mapped[str | None] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16))
    payout_currency: Mapped[str | None] = mapped_column(String(3))
    conversions: Mapped[int] = mapped_column(BigInteger)
    payout_count: Mapped[int] = mapped_column(BigInteger)
    payout_units: Mapped[int] = mapped_column(BigInteger)
    payout_micros: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_stats_countries_hourly_bucket", "bucket"),
        Index("ix_stats_countries_hourly_source_id_bucket", "source_id", "bucket"),
    )


class DirtyHour(db.Model):
    """An hour whose raw ``kind`` rows ('clicks' or 'conversions') changed after its
    rollup was computed. Append-only on PostgreSQL, so concurrent writers never wait on
    each other; the roll-up job deletes the rows it has accounted for."""

    __tablename__ = "stats_dirty"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    bucket: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_stats_dirty_bucket_kind", "bucket", "kind"),)


class StatsState(db.Model):
    """Named instants the stats machinery keeps: ``clicks_frozen_before`` (click rows
    older than this may have been pruned; their rollups are final), ``retention_next_at``
    (when the pruning job is next due) and ``rollup`` (a row to lock while rolling up)."""

    __tablename__ = "stats_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[datetime | None] = mapped_column(UTCDateTime)


stats_triggers.attach(db.metadata)
