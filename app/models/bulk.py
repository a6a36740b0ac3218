"""Bulk writes: ``COPY ... FROM STDIN`` on PostgreSQL, values bound as SQLAlchemy would.

COPY is the cheapest way into a PostgreSQL table, for the server as much as for Python:
one statement however many rows, so statement triggers fire once (the stats triggers
log one dirty hour for a whole batch rather than one per row). Used by the click buffer,
the Keitaro import's staging table and the seed; other databases take an ordinary
multi-row insert.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from sqlalchemy import Column, Table, insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import JSON, TypeDecorator

Bind = Callable[[Any], Any]
Field = tuple[str, Any, Bind]


def insert_rows(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Write ``rows`` (column name -> value; a missing column takes its scalar default,
    else NULL, as in an INSERT that leaves it out): one COPY on PostgreSQL, an
    ``executemany`` INSERT elsewhere. Database errors arrive wrapped as SQLAlchemy's, as
    from ``execute``."""
    dialect = connection.dialect
    if dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    statement, fields = _copy_plan(table, dialect)
    with (
        driver_errors(connection, statement),
        connection.connection.cursor() as cursor,
        cursor.copy(statement) as stream,
    ):
        for row in rows:
            stream.write_row(
                [bind(row[name]) if name in row else default for name, default, bind in fields]
            )


@contextmanager
def driver_errors(connection: Connection, statement: str) -> Iterator[None]:
    """The driver's errors as SQLAlchemy's, for work done on the connection's driver
    connection directly: wrapped as ``execute`` would wrap them, and a lost connection
    invalidated so the pool drops it."""
    dialect = connection.dialect
    try:
        yield
    except dialect.loaded_dbapi.Error as exc:
        lost = dialect.is_disconnect(exc, connection.connection.dbapi_connection, None)
        if lost:
            connection.invalidate(exc)
        raise DBAPIError.instance(
            statement, None, exc, dialect.loaded_dbapi.Error, connection_invalidated=lost
        ) from exc


@cache
def _copy_plan(table: Table, dialect: Dialect) -> tuple[str, list[Field]]:
    from psycopg.types.json import Json

    columns = [c for c in table.columns if not c.primary_key]
    fields = [
        (c.name, _default(c), _json(c, Json) if _is_json(c) else _bind(c, dialect)) for c in columns
    ]
    names = ", ".join(f'"{c.name}"' for c in columns)
    return f'COPY "{table.name}" ({names}) FROM STDIN', fields


def _is_json(column: Column[Any]) -> bool:
    return isinstance(column.type, JSON)


def _bind(column: Column[Any], dialect: Dialect) -> Bind:
    kind = column.type
    if isinstance(kind, TypeDecorator):
        return lambda value: kind.process_bind_param(value, dialect)
    return _same


def _json(column: Column[Any], wrap: Bind) -> Bind:
    """``None`` stored as SQLAlchemy's JSON type stores it: JSON ``null`` unless the
    column says ``none_as_null``, so COPY writes what an INSERT would."""
    if column.type.none_as_null:
        return lambda value: None if value is None else wrap(value)
    return wrap


def _same(value: Any) -> Any:
    return value


def _default(column: Column[Any]) -> Any:
    default = column.default
    if default is None or not default.is_scalar:
        return None
    return default.arg
