"""Writing a re-map's decisions: a handful of statements however many conversions change,
and memory that does not grow with them.

Why not one ``UPDATE`` per conversion. The first version wrote one ``UPDATE`` and one
``Remap`` insert per conversion: 77 s for 52,500 conversions on PostgreSQL without the
stats triggers, and with them a curve that broke (``bench/remap.py``,
``BENCH_REMAP_WRITE=each``): 4.7 s for 5,250 conversions, 9.4 s for 10,500, then 414 s
for 21,000 (17.6 s with the trigger disabled). The cause was the plan PL/pgSQL keeps for
the trigger's ``INSERT INTO stats_dirty ... FROM old_rows JOIN new_rows``, made at its
first firing on a connection and reused by every later statement: after the bulk
key-freeing ``UPDATE`` of more than about 11,000 keys it cost past ``jit_above_cost``,
and each one-row ``UPDATE`` that followed JIT-compiled it again, 19 ms each. A plan made
for one row failed the other way, a nested loop for the next big statement (the
set-based write's key-freeing ``UPDATE`` fires for no rows when no key moves: 6.8 s in
the trigger for 5,250 conversions). Migration 0013 runs the trigger functions without
JIT or nested loops, which is right at every size (``app/models/stats_triggers.py``);
even so, one statement per conversion costs a round trip and a trigger firing each.

So the decisions are staged, chunk by chunk as they are decided, in a temporary table
(COPY on PostgreSQL), and three statements at the end write them:

1. the conversions whose key moves give it up (``dedupe_key = NULL``), so keys may swap
   within the set without tripping the unique index;
2. one ``UPDATE conversions ... FROM staging`` on ``id`` *and* the revision each was
   decided at; if fewer rows are updated than planned, a postback changed one of them
   meanwhile and the caller rolls everything back;
3. one ``INSERT ... SELECT`` of the ``Remap`` history rows from the staging table.

The stats triggers then fire once per statement: PostgreSQL logs each touched hour
once; SQLite's per-row trigger logs an hour only when it is not logged yet.

Staging as decided keeps the process's memory flat: it holds the values of 500
conversions at a time, not of every changed one (peak RSS 296 MB at 525,000
conversions, 2,234 MB before). Nothing but the
temporary table is written until the end, so the conversions are neither locked nor
changed while deciding reads them and the keys they hold. SQLite is the exception: a
write opens its transaction, and the reads that follow would pin one snapshot, so any
postback stored meanwhile would fail the final write; there the staged rows are held in
memory and written at the end (SQLite installs are the small ones).

``EachWrite`` is the per-row write kept as the reference: the tests check that both
give the same rows, and the bench measures the old curve with it.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Protocol

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    Table,
    and_,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection

from app.extensions import db
from app.models import Conversion, Remap
from app.models.bulk import insert_rows
from app.models.types import utcnow

#: (conversion id, revision decided at, values before, values after, field -> [old, new])
Plan = tuple[int, int, dict[str, Any], dict[str, Any], dict[str, Any]]
STAGING = "remap_staging"


class RevisionMoved(Exception):
    """Fewer conversions were written than planned: one changed since it was decided."""


class Write(Protocol):
    """How a re-map's decisions reach the database, inside the session's transaction:
    ``stage`` each chunk's as soon as they are decided, ``finish`` once all are."""

    def stage(self, plans: list[Plan]) -> None: ...

    def finish(self) -> None: ...


def owed(after: dict[str, Any], revision: int) -> dict[str, Any]:
    """What the re-mapped conversion owes its outbound postbacks. The new revision is
    delivered anew (earlier ones still unplanned are planned with it); one that is now a
    duplicate owes nothing, not even the steps it had not sent yet."""
    if after["attribution"] == "duplicate":
        return {"dispatch_pending": False, "planned_revision": revision}
    return {"dispatch_pending": True}


@cache
def _staging(fields: tuple[str, ...]) -> Table:
    """The staging table for these fields; one ``Table`` object per field list, so the
    COPY plan ``insert_rows`` caches per table is made once."""
    conversions = Conversion.__table__
    return Table(
        STAGING,
        MetaData(),
        # No primary key: ``insert_rows`` leaves primary keys to the database.
        Column("id", conversions.c.id.type, nullable=False),
        Column("revision", Integer, nullable=False),
        Column("moves", Boolean, nullable=False),
        Column("dispatch_pending", Boolean, nullable=False),
        Column("planned_revision", Integer),
        Column("changes", Remap.__table__.c.changes.type, nullable=False),
        *(Column(name, conversions.c[name].type) for name in fields),
        prefixes=["TEMPORARY"],
    )


def _staged(plan: Plan) -> dict[str, Any]:
    """One staging row: the values to write, the revision to check and the history."""
    conversion_id, revision, before, after, diff = plan
    return {
        "id": conversion_id,
        "revision": revision,
        "moves": before["dedupe_key"] != after["dedupe_key"],
        "planned_revision": None,
        "changes": diff,
        **after,
        **owed(after, revision + 1),
    }


class SetWrite:
    """Stages each chunk's decisions, then writes them all in three statements."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        self.fields = fields
        self.staging = _staging(fields)
        self.planned = 0
        self.created = False
        #: Staged rows not yet in the staging table (SQLite keeps them until ``finish``).
        self.held: list[dict[str, Any]] = []

    def stage(self, plans: list[Plan]) -> None:
        """A dry run never calls this, so it creates nothing, not even the table."""
        rows = [_staged(plan) for plan in plans]
        connection = db.session.connection()
        if connection.dialect.name != "postgresql":
            self.held += rows
        else:
            self._insert(connection, rows)
        self.planned += len(rows)

    def finish(self) -> None:
        """Raises ``RevisionMoved`` (or the database's ``IntegrityError``) and leaves the
        rollback to the caller."""
        connection = db.session.connection()
        if self.held:
            self._insert(connection, self.held)
            self.held = []
        if not self.planned:
            return
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"ANALYZE {STAGING}"))
        now = utcnow()
        self._free_moving_keys(connection)
        written = self._update(connection, now)
        if written != self.planned:
            raise RevisionMoved
        remaps = Remap.__table__
        connection.execute(
            insert(remaps).from_select(
                ["conversion_id", "changed_at", "changes"],
                select(
                    self.staging.c.id,
                    literal(now, remaps.c.changed_at.type),
                    self.staging.c.changes,
                ),
            )
        )
        _drop(connection)

    def _insert(self, connection: Connection, rows: list[dict[str, Any]]) -> None:
        if not self.created:
            _drop(connection)  # a run rolled back on SQLite may leave it behind
            self.staging.create(connection)
            self.created = True
        insert_rows(connection, self.staging, rows)

    def _free_moving_keys(self, connection: Connection) -> None:
        conversions = Conversion.__table__
        connection.execute(
            update(conversions)
            .where(conversions.c.id == self.staging.c.id, self.staging.c.moves)
            .values(dedupe_key=None)
        )

    def _update(self, connection: Connection, now: Any) -> int:
        """The compare-and-set on each conversion's revision; how many it wrote."""
        conversions, staging = Conversion.__table__, self.staging
        return connection.execute(
            update(conversions)
            .where(
                and_(conversions.c.id == staging.c.id, conversions.c.revision == staging.c.revision)
            )
            .values(
                {name: staging.c[name] for name in self.fields}
                | {
                    "updated_at": now,
                    "revision": staging.c.revision + 1,
                    "dispatch_pending": staging.c.dispatch_pending,
                    # Only a conversion now a duplicate has its planned revision moved.
                    "planned_revision": func.coalesce(
                        staging.c.planned_revision, conversions.c.planned_revision
                    ),
                }
            )
        ).rowcount


def _drop(connection: Connection) -> None:
    schema = "pg_temp" if connection.dialect.name == "postgresql" else "temp"
    connection.execute(text(f"DROP TABLE IF EXISTS {schema}.{STAGING}"))


class EachWrite:
    """The per-row write: one ``UPDATE`` and one ``Remap`` insert per conversion, after
    one ``UPDATE`` freeing the moving keys. It holds every plan until ``finish`` and is
    slow; kept as the reference the set-based write is tested and measured against."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        del fields
        self.plans: list[Plan] = []

    def stage(self, plans: list[Plan]) -> None:
        self.plans += plans

    def finish(self) -> None:
        now = utcnow()
        moving = [
            cid
            for cid, _, before, after, _ in self.plans
            if before["dedupe_key"] != after["dedupe_key"]
        ]
        if moving:
            db.session.execute(
                update(Conversion)
                .where(Conversion.id.in_(moving))
                .values(dedupe_key=None)
                .execution_options(synchronize_session=False)
            )
        for conversion_id, revision, _, after, diff in self.plans:
            written = db.session.execute(
                update(Conversion)
                .where(Conversion.id == conversion_id, Conversion.revision == revision)
                .values(**after, updated_at=now, revision=revision + 1, **owed(after, revision + 1))
                .execution_options(synchronize_session=False)
            ).rowcount
            if written != 1:
                raise RevisionMoved
            db.session.add(Remap(conversion_id=conversion_id, changed_at=now, changes=diff))
        db.session.flush()
