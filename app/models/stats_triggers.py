"""Triggers that log, in ``stats_dirty``, every hour whose click or conversion rows change.

Triggers rather than application code because every path must be seen: ingest, status
changes, re-maps, Keitaro imports and late matches, cascading deletes, the seed loader and
whatever is written next. PostgreSQL logs once per statement from its transition tables
(a batch of 5,000 clicks in one hour adds one row); SQLite logs per row but only when the
hour is not logged yet, which is safe there because SQLite runs one writer at a time.

Click rows older than ``stats_state.clicks_frozen_before`` are never logged: they are
being pruned and their rollups are final.

``install(connection)`` is idempotent; migrations call it, and so does ``create_all``.
"""

from __future__ import annotations

from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import Connection

#: Columns whose change moves a row's figures (or the hour it counts in).
CLICK_COLUMNS = ("clicked_at", "source_id", "country")
CONVERSION_COLUMNS = (
    "received_at",
    "source_id",
    "attribution",
    "status",
    "event_type",
    "payout_amount",
    "payout_currency",
    "gross_amount",
    "gross_currency",
    "country",
)
TABLES = {
    "clicks": ("clicked_at", CLICK_COLUMNS),
    "conversions": ("received_at", CONVERSION_COLUMNS),
}
FROZEN = "(SELECT value FROM stats_state WHERE name = 'clicks_frozen_before')"
#: PL/pgSQL plans the trigger's queries once per connection, at the first firing, for that
#: statement's transition tables, and reuses the plan whatever the next statement's size.
#: Without statistics on transition tables the planner puts the update join at N * N / 200
#: rows: a plan made for a 20,000-row ``UPDATE`` costs past ``jit_above_cost``, so every
#: one-row ``UPDATE`` after it JIT-compiled the query again (20 to 35 ms instead of 0.2);
#: a plan made for one row is a nested loop, and a 20,000-row ``UPDATE`` after it spent
#: 44 s in the trigger instead of 0.1 s. A hash join without JIT is right at every size.
PLANNING = "SET jit = off SET enable_nestloop = off"


Watched = dict[str, tuple[str, tuple[str, ...]]]


def _pg_function(table: str, watched: Watched) -> str:
    time_column, columns = watched[table]
    hour = f"date_trunc('hour', {{0}}.{time_column} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
    keep = f"AND ({{0}}.{time_column} >= frozen OR frozen IS NULL)" if table == "clicks" else ""
    old = ", ".join(f"o.{c}" for c in columns)
    new = ", ".join(f"n.{c}" for c in columns)
    return f"""
CREATE OR REPLACE FUNCTION pbhub_stats_{table}_changed() RETURNS trigger
LANGUAGE plpgsql {PLANNING} AS $$
DECLARE
    frozen timestamptz := {FROZEN if table == "clicks" else "NULL"};
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO stats_dirty (kind, bucket)
        SELECT DISTINCT '{table}', {hour.format("n")} FROM new_rows n WHERE true {keep.format("n")};
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO stats_dirty (kind, bucket)
        SELECT DISTINCT '{table}', {hour.format("o")} FROM old_rows o WHERE true {keep.format("o")};
    ELSE
        INSERT INTO stats_dirty (kind, bucket)
        SELECT DISTINCT '{table}', moved.bucket FROM (
            SELECT {hour.format("o")} AS bucket, o.{time_column} AS at
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE ({old}) IS DISTINCT FROM ({new})
            UNION ALL
            SELECT {hour.format("n")}, n.{time_column}
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE ({old}) IS DISTINCT FROM ({new})
        ) moved WHERE moved.at >= frozen OR frozen IS NULL;
    END IF;
    RETURN NULL;
END
$$"""  # noqa: S608 (table and column names are constants)


def _pg(table: str, watched: Watched) -> list[str]:
    function = f"pbhub_stats_{table}_changed()"
    statements = [_pg_function(table, watched)]
    for action, referencing in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    ):
        name = f"stats_{table}_{action.lower()}"
        statements += [
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"CREATE TRIGGER {name} AFTER {action} ON {table} REFERENCING {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}",
        ]
    return statements


def _sqlite(table: str, watched: Watched) -> list[str]:
    time_column, columns = watched[table]

    def log(row: str) -> str:
        hour = f"strftime('%Y-%m-%d %H:00:00.000000', {row}.{time_column})"
        frozen = f" AND {row}.{time_column} >= coalesce({FROZEN}, '')" if table == "clicks" else ""
        return (
            f"INSERT INTO stats_dirty (kind, bucket) SELECT '{table}', {hour} "  # noqa: S608
            f"WHERE NOT EXISTS (SELECT 1 FROM stats_dirty WHERE bucket = {hour} "
            f"AND kind = '{table}'){frozen};"
        )

    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
    triggers = {
        "insert": f"AFTER INSERT ON {table} BEGIN {log('NEW')} END",
        "update": (
            f"AFTER UPDATE OF {', '.join(columns)} ON {table} WHEN {changed} "
            f"BEGIN {log('OLD')} {log('NEW')} END"
        ),
        "delete": f"AFTER DELETE ON {table} BEGIN {log('OLD')} END",
    }
    statements = []
    for action, body in triggers.items():
        name = f"stats_{table}_{action}"
        statements += [f"DROP TRIGGER IF EXISTS {name}", f"CREATE TRIGGER {name} {body}"]
    return statements


def statements(dialect: str, watched: Watched = TABLES) -> list[str]:
    build = _pg if dialect == "postgresql" else _sqlite
    return [statement for table in watched for statement in build(table, watched)]


def install(connection: Connection, watched: Watched = TABLES) -> None:
    """``watched`` lets a migration install the triggers of its own schema, not today's."""
    for statement in statements(connection.dialect.name, watched):
        connection.execute(text(statement))


def uninstall(connection: Connection) -> None:
    """PostgreSQL drops the triggers with their functions."""
    for table in TABLES:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text(f"DROP FUNCTION IF EXISTS pbhub_stats_{table}_changed() CASCADE")
            )
        else:
            for action in ("insert", "update", "delete"):
                connection.execute(text(f"DROP TRIGGER IF EXISTS stats_{table}_{action}"))


def attach(metadata: MetaData) -> None:
    """``create_all`` (tests, throwaway databases) installs the triggers too."""
    event.listen(metadata, "after_create", lambda _target, connection, **_: install(connection))
    event.listen(metadata, "after_drop", lambda _target, connection, **_: uninstall(connection))
