"""countries: the conversion's country, and the rollups by country

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 03:00:00

Conversions gain an ISO 3166 ``country``; both hourly rollups are kept per country too,
and the stats triggers watch the country columns. Clicks imported from Keitaro already
carry a country, so every click hour whose rollup can still be recomputed is logged dirty
and rolled up again by country after the upgrade (readers stay exact meanwhile).
Conversions stored before have no country until a re-map fills it.
"""

import sqlalchemy as sa
from alembic import op

from app.models import stats_triggers

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversions") as batch:
        batch.add_column(sa.Column("country", sa.String(2), nullable=True))
    with op.batch_alter_table("stats_clicks_hourly") as batch:
        batch.add_column(sa.Column("country", sa.String(8), nullable=True))
    with op.batch_alter_table("stats_conversions_hourly") as batch:
        batch.add_column(sa.Column("country", sa.String(2), nullable=True))
    stats_triggers.install(op.get_bind())
    op.execute(
        "INSERT INTO stats_dirty (kind, bucket) SELECT DISTINCT 'clicks', bucket "
        "FROM stats_clicks_hourly WHERE bucket >= coalesce("
        "(SELECT value FROM stats_state WHERE name = 'clicks_frozen_before'), bucket)"
    )


def downgrade() -> None:
    for table in ("stats_conversions_hourly", "stats_clicks_hourly", "conversions"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("country")
    stats_triggers.install(
        op.get_bind(),
        {
            "clicks": ("clicked_at", ("clicked_at", "source_id")),
            "conversions": (
                "received_at",
                tuple(c for c in stats_triggers.CONVERSION_COLUMNS if c != "country"),
            ),
        },
    )
