"""every revision delivered: how far each conversion is planned, what each status change superseded

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 05:00:00

Planning now takes every revision above ``conversions.planned_revision``, each with the
values the status history recorded for it. Existing conversions keep owing what they
owed: one planned in full is planned up to its revision, one still flagged owes its
current revision only, as before (what its earlier revisions said was never recorded).

Only rows whose value differs from the column's first default are written. On
PostgreSQL the column starts at 0 (a conversion planned at its first revision, the common
case), which it adds without rewriting the table; new rows then default to -1. SQLite
cannot change a default without rebuilding the table (which would drop its stats
triggers), so there the column starts at -1 and the planned rows are written.

Status changes recorded before now keep ``revision`` null: nothing older than a
conversion's current revision is planned from them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: What each status change keeps of the revision it superseded (``from_status`` exists).
SUPERSEDED = {
    "from_raw_status": sa.String(length=255),
    "from_gross_amount": sa.BigInteger(),
    "from_gross_currency": sa.String(length=3),
    "from_payout_amount": sa.BigInteger(),
    "from_payout_currency": sa.String(length=3),
}


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    op.add_column(
        "conversions",
        sa.Column(
            "planned_revision",
            sa.Integer(),
            server_default="0" if postgres else "-1",
            nullable=False,
        ),
    )
    op.execute(
        "UPDATE conversions"
        " SET planned_revision = revision - CASE WHEN dispatch_pending THEN 1 ELSE 0 END"
        " WHERE planned_revision <> revision - CASE WHEN dispatch_pending THEN 1 ELSE 0 END"
    )
    if postgres:
        op.alter_column("conversions", "planned_revision", server_default="-1")

    op.add_column("conversion_status_changes", sa.Column("revision", sa.Integer(), nullable=True))
    for name, type_ in SUPERSEDED.items():
        op.add_column("conversion_status_changes", sa.Column(name, type_, nullable=True))


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+): a batch rebuild would drop the stats triggers.
    for name in ("revision", *SUPERSEDED):
        op.drop_column("conversion_status_changes", name)
    op.drop_column("conversions", "planned_revision")
