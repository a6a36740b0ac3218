"""indexes for imported clicks and late matches, built without blocking writes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 23:30:00

On PostgreSQL both indexes are built concurrently, outside a transaction, so Track URL
clicks and postbacks keep flowing while a large table is indexed. A build that was
interrupted leaves an invalid index behind; each is dropped first, so running the
upgrade again finishes the job.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEXES = (
    (
        "clicks",
        "uq_clicks_connection_click_id",
        ["connection_id", "click_id"],
        True,
        "connection_id IS NOT NULL",
    ),
    (
        "conversions",
        "ix_conversions_unmatched_click_id",
        ["click_id"],
        False,
        "attribution = 'unmatched'",
    ),
)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        for table, name, columns, unique, where in INDEXES:
            op.create_index(name, table, columns, unique=unique, sqlite_where=sa.text(where))
        return
    with op.get_context().autocommit_block():
        for table, name, columns, unique, where in INDEXES:
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            op.create_index(
                name,
                table,
                columns,
                unique=unique,
                postgresql_where=sa.text(where),
                postgresql_concurrently=True,
            )


def downgrade():
    for table, name, *_ in INDEXES:
        op.drop_index(name, table_name=table)
