"""country rollup: the figures by country from a rollup of their own

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 07:00:00

0011 kept the conversions rollup per country as well, which nearly tripled its rows and
slowed every week's totals. The totals rollup loses its country again (its rows are summed
down to one per key), and a narrow ``stats_countries_hourly`` (country, status, payout
currency: counted conversions only) is filled from the rows it had. Both are exact for
every clean hour; dirty hours stay dirty and are rolled up as usual.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PAYOUT_MEASURES = ("conversions", "payout_count", "payout_units", "payout_micros")


def upgrade() -> None:
    op.create_table(
        "stats_countries_hourly",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("bucket", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payout_currency", sa.String(length=3), nullable=True),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in PAYOUT_MEASURES),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_stats_countries_hourly_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_countries_hourly")),
    )
    op.create_index("ix_stats_countries_hourly_bucket", "stats_countries_hourly", ["bucket"])
    op.create_index(
        "ix_stats_countries_hourly_source_id_bucket",
        "stats_countries_hourly",
        ["source_id", "bucket"],
    )
    op.execute(
        "INSERT INTO stats_countries_hourly (bucket, source_id, country, status, "
        "payout_currency, conversions, payout_count, payout_units, payout_micros) "
        "SELECT bucket, source_id, country, status, payout_currency, sum(conversions), "
        "sum(payout_count), sum(payout_units), sum(payout_micros) "
        "FROM stats_conversions_hourly WHERE status <> 'rejected' "
        "GROUP BY bucket, source_id, country, status, payout_currency"
    )
    op.execute(
        "CREATE TABLE stats_conversions_summed AS SELECT bucket, source_id, event_type, "
        "status, payout_currency, gross_currency, sum(conversions) AS conversions, "
        "sum(payout_count) AS payout_count, sum(payout_units) AS payout_units, "
        "sum(payout_micros) AS payout_micros, sum(gross_count) AS gross_count, "
        "sum(gross_units) AS gross_units, sum(gross_micros) AS gross_micros "
        "FROM stats_conversions_hourly "
        "GROUP BY bucket, source_id, event_type, status, payout_currency, gross_currency"
    )
    op.execute("DELETE FROM stats_conversions_hourly")
    with op.batch_alter_table("stats_conversions_hourly") as batch:
        batch.drop_column("country")
    columns = (
        "bucket, source_id, event_type, status, payout_currency, gross_currency, "
        "conversions, payout_count, payout_units, payout_micros, "
        "gross_count, gross_units, gross_micros"
    )
    op.execute(
        f"INSERT INTO stats_conversions_hourly ({columns}) "
        f"SELECT {columns} FROM stats_conversions_summed"
    )
    op.drop_table("stats_conversions_summed")


def downgrade() -> None:
    """0011's rollup by country is made again by rolling every conversion hour up anew."""
    op.drop_table("stats_countries_hourly")
    with op.batch_alter_table("stats_conversions_hourly") as batch:
        batch.add_column(sa.Column("country", sa.String(2), nullable=True))
    op.execute(
        "INSERT INTO stats_dirty (kind, bucket) "
        "SELECT DISTINCT 'conversions', bucket FROM stats_conversions_hourly"
    )
