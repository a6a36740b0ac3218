"""hourly stats rollups, the dirty-hour log and its triggers

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 03:00:00

Existing rows are not rolled up here: every hour that holds one is logged dirty, and the
roll-up job (or ``pbhub stats rollup``) works through them after the upgrade. Until then
those hours are read from the raw rows, so figures are exact from the first request.
"""

import sqlalchemy as sa
from alembic import op

from app.models import stats_triggers

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

#: The columns the triggers watched in this revision's schema (0011 adds the countries).
WATCHED = {
    "clicks": ("clicked_at", ("clicked_at", "source_id")),
    "conversions": (
        "received_at",
        (
            "received_at",
            "source_id",
            "attribution",
            "status",
            "event_type",
            "payout_amount",
            "payout_currency",
            "gross_amount",
            "gross_currency",
        ),
    ),
}
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def _source_fk(table):
    return sa.ForeignKeyConstraint(
        ["source_id"],
        ["sources.id"],
        name=op.f(f"fk_{table}_source_id_sources"),
        ondelete="CASCADE",
    )


def upgrade():
    op.create_table(
        "stats_clicks_hourly",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("bucket", WHEN, nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        _source_fk("stats_clicks_hourly"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_clicks_hourly")),
    )
    op.create_index("ix_stats_clicks_hourly_bucket", "stats_clicks_hourly", ["bucket"])
    op.create_index(
        "ix_stats_clicks_hourly_source_id_bucket", "stats_clicks_hourly", ["source_id", "bucket"]
    )
    op.create_table(
        "stats_conversions_hourly",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("bucket", WHEN, nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payout_currency", sa.String(length=3), nullable=True),
        sa.Column("gross_currency", sa.String(length=3), nullable=True),
        *(
            sa.Column(name, sa.BigInteger(), nullable=False)
            for name in (
                "conversions",
                "payout_count",
                "payout_units",
                "payout_micros",
                "gross_count",
                "gross_units",
                "gross_micros",
            )
        ),
        _source_fk("stats_conversions_hourly"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_conversions_hourly")),
    )
    op.create_index("ix_stats_conversions_hourly_bucket", "stats_conversions_hourly", ["bucket"])
    op.create_index(
        "ix_stats_conversions_hourly_source_id_bucket",
        "stats_conversions_hourly",
        ["source_id", "bucket"],
    )
    op.create_table(
        "stats_dirty",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("bucket", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_dirty")),
    )
    op.create_index("ix_stats_dirty_bucket_kind", "stats_dirty", ["bucket", "kind"])
    op.create_table(
        "stats_state",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_stats_state")),
    )
    bind = op.get_bind()
    stats_triggers.install(bind, WATCHED)
    for kind, table, column in (
        ("clicks", "clicks", "clicked_at"),
        ("conversions", "conversions", "received_at"),
    ):
        hour = (
            f"date_trunc('hour', {column} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
            if bind.dialect.name == "postgresql"
            else f"strftime('%Y-%m-%d %H:00:00.000000', {column})"
        )
        op.execute(
            f"INSERT INTO stats_dirty (kind, bucket) SELECT DISTINCT '{kind}', {hour} FROM {table}"
        )


def downgrade():
    stats_triggers.uninstall(op.get_bind())
    for table in ("stats_state", "stats_dirty", "stats_conversions_hourly", "stats_clicks_hourly"):
        op.drop_table(table)
