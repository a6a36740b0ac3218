"""receiver circuits: each outbound postback's concurrency limit and circuit state

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 08:00:00

Deliveries to one receiver no longer wait for another's: each outbound postback has its
own limit of attempts in flight per worker, and a circuit that holds its deliveries while
the receiver keeps failing. Every existing postback starts closed, with the default limit.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_postbacks") as batch:
        batch.add_column(sa.Column("concurrency", sa.Integer(), nullable=False, server_default="8"))
        batch.add_column(
            sa.Column("circuit_state", sa.String(16), nullable=False, server_default="closed")
        )
        batch.add_column(
            sa.Column("circuit_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("circuit_trips", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("circuit_opened_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("circuit_next_probe_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("outbound_postbacks") as batch:
        for name in (
            "circuit_next_probe_at",
            "circuit_opened_at",
            "circuit_trips",
            "circuit_failures",
            "circuit_state",
            "concurrency",
        ):
            batch.drop_column(name)
