"""conversion listing indexes: one per filter, in page order, built without blocking writes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 03:50:00

Each filter of the conversions table (source, attribution, event, status) gets an index
on (filter, received_at, id), so a page is an index range in the order it is shown; on
PostgreSQL the other filters are included, so a rare combination is screened inside the
index. They replace the two-column indexes. PostgreSQL builds them concurrently: ingest
keeps flowing, and an interrupted build is dropped and redone by running the upgrade again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FILTERS = ("source_id", "attribution", "event_type", "status")
REPLACED = {
    "source_id": "ix_conversions_source_id_received_at",
    "attribution": "ix_conversions_attribution_received_at",
    "event_type": "ix_conversions_event_type_received_at",
}


def _name(column):
    return f"ix_conversions_{column}_received_at_id"


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if not postgres:
        for column in FILTERS:
            op.create_index(_name(column), "conversions", [column, "received_at", "id"])
        for old in REPLACED.values():
            op.drop_index(old, table_name="conversions")
        return
    with op.get_context().autocommit_block():
        for column in FILTERS:
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {_name(column)}")
            op.create_index(
                _name(column),
                "conversions",
                [column, "received_at", "id"],
                postgresql_include=[other for other in FILTERS if other != column],
                postgresql_concurrently=True,
            )
        for old in REPLACED.values():
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {old}")


def downgrade():
    for column, old in REPLACED.items():
        op.create_index(old, "conversions", [column, "received_at"])
    for column in FILTERS:
        op.drop_index(_name(column), table_name="conversions")
