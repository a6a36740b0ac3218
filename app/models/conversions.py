from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, String, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import BigId, Money, UTCDateTime, utcnow

#: The conversions table filters on any combination of these, newest first.
LISTING_FILTERS = ("source_id", "attribution", "event_type", "status")
#: What a status change may alter, and so what one revision may say that another does
#: not: each status change keeps these as the revision it supersedes had them.
STATUS_FIELDS = (
    "status",
    "raw_status",
    "gross_amount",
    "gross_currency",
    "payout_amount",
    "payout_currency",
)


def listing_index(column: str) -> Index:
    """A page of one filter is a range of its index, in page order. On PostgreSQL the
    other filters ride along in the index, so a rare combination is screened there
    without a heap read per skipped row."""
    return Index(
        f"ix_conversions_{column}_received_at_id",
        column,
        "received_at",
        "id",
        postgresql_include=[other for other in LISTING_FILTERS if other != column],
    )


class Conversion(db.Model):
    """One accepted postback in canonical form.

    ``dedupe_key`` carries the uniqueness rule: (source, event, transaction id), or a
    fingerprint of the parameters when no transaction id is mapped. A unique index on it
    makes the duplicate decision race-safe; duplicates are stored with the key left null.
    """

    __tablename__ = "conversions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attribution: Mapped[str] = mapped_column(String(16))
    event_type: Mapped[str] = mapped_column(String(16))
    raw_event: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="approved")
    raw_status: Mapped[str | None] = mapped_column(String(255))
    click_id: Mapped[str | None] = mapped_column(String(255))
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    transaction_id: Mapped[str | None] = mapped_column(String(255))
    gross_amount: Mapped[Decimal | None] = mapped_column(Money)
    gross_currency: Mapped[str | None] = mapped_column(String(3))
    payout_amount: Mapped[Decimal | None] = mapped_column(Money)
    payout_currency: Mapped[str | None] = mapped_column(String(3))
    external_user_id: Mapped[str | None] = mapped_column(String(255))
    #: ISO 3166 alpha-2: the network's own value when its postback carries one, else
    #: the country of the click it is attributed to.
    country: Mapped[str | None] = mapped_column(String(2))
    dedupe_key: Mapped[str | None] = mapped_column(String(400), unique=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversions.id", ondelete="SET NULL")
    )
    #: Bumped by every status change and re-map: each revision is delivered anew.
    revision: Mapped[int] = mapped_column(default=0, server_default="0")
    #: The highest revision whose deliveries are planned (-1: none yet). Planning takes
    #: every revision above it, so a step planned late is still delivered.
    planned_revision: Mapped[int] = mapped_column(default=-1, server_default="-1")
    #: The outbox flag: a revision above ``planned_revision`` is owed. Set on insert and
    #: on every revision, cleared by planning together with ``planned_revision``; its
    #: partial index is how the sweeper finds what a lost job left unplanned.
    dispatch_pending: Mapped[bool] = mapped_column(default=True, server_default=true())
    parse_notes: Mapped[list] = mapped_column(JSON, default=list)
    raw_request: Mapped[dict] = mapped_column(JSON)

    source = relationship("Source", lazy="joined", innerjoin=True)
    history: Mapped[list[StatusChange]] = relationship(
        order_by="StatusChange.id", cascade="all, delete-orphan", passive_deletes=True
    )
    remaps = relationship(
        "Remap", order_by="Remap.id", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        Index("ix_conversions_received_at_id", "received_at", "id"),
        *(listing_index(column) for column in LISTING_FILTERS),
        Index(
            "ix_conversions_dispatch_pending",
            "id",
            postgresql_where=text("dispatch_pending"),
            sqlite_where=text("dispatch_pending"),
        ),
        # Unmatched conversions by click id: a Keitaro click imported after its postback
        # finds the conversions it should have matched.
        Index(
            "ix_conversions_unmatched_click_id",
            "click_id",
            postgresql_where=text("attribution = 'unmatched'"),
            sqlite_where=text("attribution = 'unmatched'"),
        ),
    )


class StatusChange(db.Model):
    """A repeated transaction that moved its conversion to a new status.

    Written in the transaction that made ``revision``, with the ``from_*`` values the
    revision before it had (``STATUS_FIELDS``): the stored record of what each revision
    says, so a revision planned or retried after the next one arrived is still sent as
    it was. Rows written before revisions were recorded have ``revision`` null.
    """

    __tablename__ = "conversion_status_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversion_id: Mapped[int] = mapped_column(
        ForeignKey("conversions.id", ondelete="CASCADE"), index=True
    )
    #: Found through ``conversion_id``: statuses only move forward, so a conversion has
    #: two changes at most.
    revision: Mapped[int | None] = mapped_column()
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    raw_status: Mapped[str | None] = mapped_column(String(255))
    from_raw_status: Mapped[str | None] = mapped_column(String(255))
    from_gross_amount: Mapped[Decimal | None] = mapped_column(Money)
    from_gross_currency: Mapped[str | None] = mapped_column(String(3))
    from_payout_amount: Mapped[Decimal | None] = mapped_column(Money)
    from_payout_currency: Mapped[str | None] = mapped_column(String(3))
    raw_request: Mapped[dict] = mapped_column(JSON)


class RejectedPostback(db.Model):
    """A refused postback, kept so an operator can answer "the network says it fires"."""

    __tablename__ = "rejected_postbacks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(64))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(8))
    token_hint: Mapped[str | None] = mapped_column(String(16))
    excerpt: Mapped[str | None] = mapped_column(String(2048))
