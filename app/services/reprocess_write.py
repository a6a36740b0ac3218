"""Writing a re-map's decisions: a handful of statements however many conversions change.

The first version wrote one ``UPDATE`` and one ``Remap`` insert per conversion: 77 s for
52,500 conversions on PostgreSQL without the stats triggers, and with them a curve that
breaks. Each one-row ``UPDATE`` fires the statement-level trigger once and logs one
``stats_dirty`` row, so 21,000 conversions log 21,000 rows for 169 hours. Measured
(``bench/remap.py``, ``BENCH_REMAP_WRITE=each``): the write took 4.7 s for 5,250
conversions and 9.4 s for 10,500, linear, then 414 s for 21,000, where the same write
without the trigger took 17.6 s. A bare table with the same kind of trigger (transition
tables, one log row per statement) stays linear to 20,000 statements in one transaction
(1.5 s), so the trigger machinery alone does not explain the break; what does, past
roughly 10,000 logged rows in one transaction, is not pinned down. Whatever it is grows
with statements per transaction, and a write in a few statements never reaches it.

So the decisions go into a temporary staging table in bulk (COPY on PostgreSQL, an
``executemany`` on SQLite), and three statements write them:

1. the conversions whose key moves give it up (``dedupe_key = NULL``), so keys may swap
   within the set without tripping the unique index;
2. one ``UPDATE conversions ... FROM staging`` on ``id`` *and* the revision each was
   decided at; if fewer rows are updated than planned, a postback changed one of them
   meanwhile and the caller rolls everything back;
3. the ``Remap`` history rows, in one COPY (or one ``executemany``).

The stats triggers then fire once: PostgreSQL logs each touched hour once; SQLite's
per-row trigger logs an hour only when it is not logged yet.

``write_each`` is the per-row write kept as the reference: the tests check that both
give the same rows, and the bench measures the old curve with it.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Boolean, Column, Integer, MetaData, Table, and_, func, text, update
from sqlalchemy.engine import Connection

from app.extensions import db
from app.models import Conversion, Remap
from app.models.bulk import insert_rows

#: (conversion id, revision decided at, values before, values after, field -> [old, new])
Plan = tuple[int, int, dict[str, Any], dict[str, Any], dict[str, Any]]
STAGING = "remap_staging"


class RevisionMoved(Exception):
    """Fewer conversions were written than planned: one changed since it was decided."""


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
        *(Column(name, conversions.c[name].type) for name in fields),
        prefixes=["TEMPORARY"],
    )


def write_set(plans: list[Plan], fields: tuple[str, ...], now: datetime) -> None:
    """Write ``plans`` in a few statements inside the session's transaction; raises
    ``RevisionMoved`` (or the database's ``IntegrityError``) and leaves the rollback to
    the caller."""
    connection = db.session.connection()
    staging = _staging(fields)
    _drop(connection)  # a run rolled back on SQLite may leave it behind
    staging.create(connection)
    insert_rows(
        connection,
        staging,
        [
            {
                "id": conversion_id,
                "revision": revision,
                "moves": before["dedupe_key"] != after["dedupe_key"],
                "planned_revision": None,
                **after,
                **owed(after, revision + 1),
            }
            for conversion_id, revision, before, after, _ in plans
        ],
    )
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"ANALYZE {STAGING}"))
    conversions = Conversion.__table__
    connection.execute(
        update(conversions)
        .where(conversions.c.id == staging.c.id, staging.c.moves)
        .values(dedupe_key=None)
    )
    written = connection.execute(
        update(conversions)
        .where(and_(conversions.c.id == staging.c.id, conversions.c.revision == staging.c.revision))
        .values(
            {name: staging.c[name] for name in fields}
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
    if written != len(plans):
        raise RevisionMoved
    insert_rows(
        connection,
        Remap.__table__,
        [
            {"conversion_id": conversion_id, "changed_at": now, "changes": diff}
            for conversion_id, _, _, _, diff in plans
        ],
    )
    _drop(connection)


def _drop(connection: Connection) -> None:
    schema = "pg_temp" if connection.dialect.name == "postgresql" else "temp"
    connection.execute(text(f"DROP TABLE IF EXISTS {schema}.{STAGING}"))


def write_each(plans: list[Plan], fields: tuple[str, ...], now: datetime) -> None:
    """The per-row write: one ``UPDATE`` and one ``Remap`` insert per conversion. Slow,
    and with the stats triggers on PostgreSQL no longer linear past about 10,000
    conversions; kept as the reference the set-based write is tested and measured
    against."""
    del fields
    moving = [
        cid for cid, _, before, after, _ in plans if before["dedupe_key"] != after["dedupe_key"]
    ]
    if moving:
        db.session.execute(
            update(Conversion)
            .where(Conversion.id.in_(moving))
            .values(dedupe_key=None)
            .execution_options(synchronize_session=False)
        )
    for conversion_id, revision, _, after, diff in plans:
        written = db.session.execute(
            update(Conversion)
            .where(Conversion.id == conversion_id, Conversion.revision == revision)
            .values(**after, updated_at=now, revision=revision + 1, **owed(after, revision + 1))
            .execution_options(synchronize_session=False)
        ).rowcount
        if written != 1:
            raise RevisionMoved
        db.session.add(Remap(conversion_id=conversion_id, changes=diff))
    db.session.flush()
