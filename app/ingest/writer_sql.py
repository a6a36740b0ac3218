"""The group-commit writer's statements, in the driver's own terms.

Through SQLAlchemy a batch of conversions cost more of the web process's CPU than the
database spent storing it: a cache key and an execution context per statement, every
parameter bound by name, the multi-row statement re-split per batch, then every
placeholder parsed again by psycopg. Here the statement text is built once per batch
size, each row becomes a tuple bound with the very processors SQLAlchemy uses for these
columns (so the stored values do not differ by a byte), and on PostgreSQL the statement
goes out with numbered placeholders that the driver sends as they are (psycopg prepares
a statement on the server once it has run it a few times, as before). Who holds taken
keys is asked with one placeholder per key: ``= ANY($1)`` with an array cost PostgreSQL
more than the ``IN (...)`` SQLAlchemy wrote, enough to eat the gain.

Rows keep the shape ``pipeline.conversion_row`` gives them (column name -> value); a
column a row leaves out takes its default, as an INSERT through SQLAlchemy would. The
read of who holds taken keys comes back as ``Holder`` tuples, its times read with the
column's own result processor.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy.engine import Connection, Dialect

from app.models import Conversion
from app.models.bulk import driver_errors

CONVERSIONS = Conversion.__table__
#: Columns every insert names, in the order their values are bound.
COLUMNS = tuple(c for c in CONVERSIONS.columns if not c.primary_key)

Bind = Callable[[Any], Any] | None
Missing = Callable[[], Any]


class Holder(NamedTuple):
    """The conversion that holds a dedupe key, as much of it as a taken key's caller needs."""

    dedupe_key: str
    id: int
    status: str
    attribution: str
    received_at: datetime


@cache
def _binding(dialect: Dialect) -> tuple[tuple[str, Bind, Missing], ...]:
    """For each column: its name, SQLAlchemy's bind processor for this dialect, and how
    a row that leaves it out fills it (its default, else NULL)."""
    return tuple(
        (column.name, column.type._cached_bind_processor(dialect), _missing(column))
        for column in COLUMNS
    )


def _missing(column: Any) -> Missing:
    default = column.default
    if default is None:
        return lambda: None
    if default.is_scalar:
        value = default.arg
        return lambda: value
    return lambda: default.arg(None)  # SQLAlchemy wraps a plain callable to take a context


def bound(dialect: Dialect, rows: list[dict[str, Any]]) -> list[Any]:
    """Every row's values, in column order, one flat list as the placeholders number them."""
    values: list[Any] = []
    append = values.append
    binding = _binding(dialect)
    for row in rows:
        for name, bind, missing in binding:
            value = row[name] if name in row else missing()
            append(value if bind is None or value is None else bind(value))
    return values


@cache
def statement(dialect_name: str, rows: int, keyed: bool) -> str:
    """``rows`` rows of VALUES: a keyed insert skips taken keys and returns each new id
    with its key; a plain one returns the ids (in row order once sorted: the sequence
    numbers the rows as the VALUES list orders them)."""
    width = len(COLUMNS)
    if dialect_name == "postgresql":
        groups = (
            "(" + ", ".join(f"${row * width + i + 1}" for i in range(width)) + ")"
            for row in range(rows)
        )
    else:
        one = "(" + ", ".join("?" * width) + ")"
        groups = (one for _ in range(rows))
    names = ", ".join(column.name for column in COLUMNS)
    text = f"INSERT INTO {CONVERSIONS.name} ({names}) VALUES {', '.join(groups)}"  # noqa: S608 (the table's own names)
    if keyed:
        return f"{text} ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key"
    return f"{text} RETURNING id"


def insert(connection: Connection, rows: list[dict[str, Any]], *, keyed: bool) -> list[Any]:
    """Insert ``rows``; the result rows (see ``statement``)."""
    dialect = connection.dialect
    sql = statement(dialect.name, len(rows), keyed)
    return _run(connection, sql, bound(dialect, rows))


def holders(connection: Connection, keys: list[str]) -> dict[str, Holder]:
    """Who holds each of ``keys`` now; a key let go of since is absent."""
    dialect = connection.dialect
    found = _run(connection, _holders_statement(dialect.name, len(keys)), keys)
    read = _received_at(dialect)
    return {row[0]: Holder(*row[:4], read(row[4]) if read else row[4]) for row in found}


#: Qualified as SQLAlchemy would write them, so the statement reads the same in any log.
_HELD = ", ".join(f"{CONVERSIONS.name}.{name}" for name in Holder._fields)
_HOLDERS = f"SELECT {_HELD} FROM {CONVERSIONS.name} WHERE {CONVERSIONS.name}.dedupe_key "  # noqa: S608


@cache
def _holders_statement(dialect_name: str, keys: int) -> str:
    """One placeholder per key, as SQLAlchemy expands a list."""
    if dialect_name == "postgresql":
        return f"{_HOLDERS}IN ({', '.join(f'${i + 1}' for i in range(keys))})"
    return f"{_HOLDERS}IN ({', '.join('?' * keys)})"


@cache
def _received_at(dialect: Dialect) -> Callable[[Any], Any] | None:
    return CONVERSIONS.c.received_at.type._cached_result_processor(dialect, None)


def _run(connection: Connection, sql: str, values: list[Any]) -> list[Any]:
    """``sql`` on the connection's own driver connection; its result rows. Database
    errors arrive as SQLAlchemy's, as from ``Connection.execute``, and the engine's
    cursor events see the statement as they see every other."""
    driver = connection.connection.driver_connection
    with driver_errors(connection, sql):
        if connection.dialect.name == "postgresql":
            from psycopg import RawCursor

            with RawCursor(driver) as cursor:
                _announce(connection, cursor, sql, values)
                cursor.execute(sql, values)
                return cursor.fetchall()
        cursor = driver.cursor()
        try:
            _announce(connection, cursor, sql, values)
            return cursor.execute(sql, values).fetchall()
        finally:
            cursor.close()


def _announce(connection: Connection, cursor: Any, sql: str, values: list[Any]) -> None:
    if connection._has_events or connection.engine._has_events:
        connection.dispatch.before_cursor_execute(connection, cursor, sql, values, None, False)
