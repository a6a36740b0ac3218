"""stats triggers planned for any size: no JIT, no nested loop in their queries

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 19:00:00

PL/pgSQL keeps the plan of a trigger's query for the connection, made at its first firing
for that statement's transition tables. A plan made for a big ``UPDATE`` JIT-compiled the
query again at every later one-row firing (20 to 35 ms each); a plan made for one row
joined a later big statement's tables in a nested loop (44 s for 20,000 rows). The
functions now run with JIT and nested loops off, right at every size (see
``app/models/stats_triggers.py``). SQLite's row triggers have no such plan.
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

FUNCTIONS = ("pbhub_stats_clicks_changed()", "pbhub_stats_conversions_changed()")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for function in FUNCTIONS:
            op.execute(f"ALTER FUNCTION {function} SET jit = off SET enable_nestloop = off")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for function in FUNCTIONS:
            op.execute(f"ALTER FUNCTION {function} RESET jit RESET enable_nestloop")
