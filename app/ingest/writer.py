"""Group commit for conversion rows: many request threads, one INSERT, one commit.

A commit waits for the disk, and on a busy hub every request thread would otherwise pay
for its own. Request threads hand their row to one writer thread per process and block
until it is committed; the writer takes everything that queued up while it was busy and
writes it as one multi-row INSERT. Nothing is answered before its row is durable, so the
2xx contract holds; under load the batches grow by themselves and at rest a row waits
for nothing but the thread hand-off.

Two statements, each with the ids it needs back:

* ``new``: ``INSERT ... ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key``.
  A key that comes back is ours; a key that does not was taken (by an earlier postback,
  or by an earlier row of the same batch), and one more statement of the batch reads
  the holders of all such keys for their callers to resolve.
* ``plain``: duplicates, which carry no key; their ids come back in row order.

When a batch fails for a reason that may be one row's fault, every row is retried on
its own so one bad row cannot fail its neighbours. A lost connection fails the batch,
and each caller sees the error as if it had run the statement itself.

**The answer is the outcome** (a 503 means "not stored" as surely as a 2xx means
"stored"). A caller waits ``write_timeout`` for the writer to take its row; a row not
taken by then is withdrawn and the caller answers 503. A row taken is in a statement
that the database itself cuts off after ``write_timeout`` (PostgreSQL's
``statement_timeout``, SQLite's busy timeout), rolling it back, and a batch begins no
statement once ``write_timeout`` has passed since it was taken (its rows not yet written
fail, unstored), so a taken row's outcome is known within ``TAKEN_WAITS`` timeouts and
its caller waits for it, whichever it is. Only a database that stops answering
altogether leaves an outcome unknown: its host cut off mid-statement (TCP keepalives
notice within a minute), or its disk stalled at the commit, which no statement timeout
covers. The caller then answers 503 after ``UNKNOWN_AFTER`` more seconds, and the
network's retry is deduplicated like any other.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from app.extensions import SQLITE_BUSY_MS, db
from app.ingest import writer_sql
from app.ingest.writer_sql import Holder
from app.services.errors import Unavailable

log = logging.getLogger(__name__)
MAX_BATCH = 200
#: Longer than any healthy commit; ``PBHUB_WRITE_TIMEOUT`` sets it.
WRITE_TIMEOUT = 10.0
#: Write timeouts within which a taken row's outcome is known: the batch's deadline, then
#: the last statement it began (an insert, and the read of who holds taken keys).
TAKEN_WAITS = 3
#: How much longer a taken row's caller waits for a database that stopped answering
#: altogether before it gives up on knowing the outcome.
UNKNOWN_AFTER = 30.0
IDLE_SECONDS = 1.0


@dataclass(frozen=True)
class Taken:
    """The row's dedupe key belongs to another conversion: that conversion (its id,
    status, attribution and received_at), or ``None`` if it let go of the key since."""

    holder: Holder | None


Result = int | Taken


class ConversionWriter:
    def __init__(
        self, app: Flask, *, max_batch: int = MAX_BATCH, write_timeout: float = WRITE_TIMEOUT
    ) -> None:
        self._app = app
        self._max_batch = max_batch
        self.write_timeout = write_timeout
        self._pending: deque[tuple[dict[str, Any], Future[Result]]] = deque()
        self._ready = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        self._closing = False

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, give the connection back and end the thread now rather
        than after ``IDLE_SECONDS`` (an app being torn down disposes its engine next,
        and a connection given back after that would stay open)."""
        with self._ready:
            thread = self._thread
            self._closing = True
            self._ready.notify_all()
        if thread is not None:
            thread.join(timeout)
        with self._ready:
            self._closing = False

    def insert(self, row: dict[str, Any]) -> Result:
        """The committed row's id, or who holds its dedupe key."""
        future: Future[Result] = Future()
        with self._ready:
            self._pending.append((row, future))
            if self._thread is None:
                # Started on demand: threads do not survive gunicorn's fork of the app,
                # and an idle writer gives its connection back and ends.
                self._thread = threading.Thread(
                    target=self._run, name="pbhub-conversions", daemon=True
                )
                self._thread.start()
            self._ready.notify()
        try:
            return future.result(timeout=self.write_timeout)
        except TimeoutError:
            if future.cancel():  # not taken: withdrawn, so nothing will be stored
                raise Unavailable("the database did not take the write in time") from None
        try:
            # Taken: the database ends its statements within their timeout either way.
            return future.result(timeout=TAKEN_WAITS * self.write_timeout + UNKNOWN_AFTER)
        except TimeoutError:
            log.error("the database stopped answering mid-write; a postback's outcome is unknown")
            raise Unavailable("the database stopped answering during the write") from None

    def _run(self) -> None:
        with self._app.app_context():
            engine = db.engine
        connection: Connection | None = None
        try:
            while (batch := self._next_batch()) is not None:
                if not batch:
                    continue
                deadline = time.monotonic() + self.write_timeout
                try:
                    if connection is None:
                        connection = self._connect(engine)
                    self._write(connection, batch, deadline)
                except BaseException as exc:  # the callers must hear of anything at all
                    log.exception("writing %d conversions failed", len(batch))
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                if connection is not None and connection.invalidated:
                    connection.close()
                    connection = None
        finally:
            if connection is not None:
                _release(connection)
            with self._ready:
                if self._thread is threading.current_thread():
                    self._thread = None  # whatever ended this thread, the next row starts one

    def _connect(self, engine: Engine) -> Connection:
        """A connection whose statements the database cuts off after ``write_timeout``."""
        connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        milliseconds = max(1, int(self.write_timeout * 1000))
        try:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SET statement_timeout = {milliseconds}")
            else:
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {milliseconds}")
        except BaseException:
            connection.close()
            raise
        return connection

    def _next_batch(self) -> list[tuple[dict[str, Any], Future[Result]]] | None:
        """What queued up since the last batch; ``None`` (and the thread retired) after
        ``IDLE_SECONDS`` without work, or at once when closing."""
        with self._ready:
            if not self._pending:
                self._ready.wait_for(lambda: bool(self._pending) or self._closing, IDLE_SECONDS)
            if not self._pending:
                self._thread = None
                return None
            count = min(len(self._pending), self._max_batch)
            batch = [self._pending.popleft() for _ in range(count)]
        # A caller that gave up waiting withdrew its row: it answered 503, so store nothing.
        return [item for item in batch if item[1].set_running_or_notify_cancel()]

    def _write(
        self,
        connection: Connection,
        batch: list[tuple[dict[str, Any], Future[Result]]],
        deadline: float,
    ) -> None:
        keyed = [item for item in batch if item[0]["dedupe_key"] is not None]
        plain = [item for item in batch if item[0]["dedupe_key"] is None]
        if keyed:
            self._guarded(connection, keyed, _insert_keyed, deadline)
        if plain:
            self._guarded(connection, plain, _insert_plain, deadline)

    def _guarded(self, connection: Connection, items: list, write, deadline: float) -> None:  # type: ignore[no-untyped-def,type-arg]
        if time.monotonic() > deadline:
            late = Unavailable("the database did not store the write in time")
            for _, future in items:
                future.set_exception(late)
            return
        try:
            results = write(connection, [row for row, _ in items])
        except (OperationalError, InterfaceError) as exc:
            for _, future in items:
                future.set_exception(exc)
            return
        except DBAPIError:
            if len(items) == 1:
                results = [_one(connection, items[0][0], write)]
            else:
                for item in items:
                    self._guarded(connection, [item], write, deadline)
                return
        for (_, future), result in zip(items, results, strict=True):
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)


def _release(connection: Connection) -> None:
    """Back to the pool as other users expect it: without the writer's timeout."""
    try:
        if not connection.invalidated:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("RESET statement_timeout")
            else:
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
    except DBAPIError:
        connection.invalidate()
    finally:
        connection.close()


def _one(connection: Connection, row: dict[str, Any], write) -> Result | BaseException:  # type: ignore[no-untyped-def]
    try:
        return write(connection, [row])[0]
    except IntegrityError:
        return Taken(None)  # refused outright (its source was just deleted): try again
    except DBAPIError as exc:
        return exc


def _insert_keyed(
    connection: Connection, rows: list[dict[str, Any]]
) -> list[Result | BaseException]:
    """Each row's id in order, or the holder of its key (also an earlier row of this
    batch: the database keeps the first and skips the rest)."""
    ids = {key: id_ for id_, key in writer_sql.insert(connection, rows, keyed=True)}
    claimed: set[str] = set()
    results: list[int | None] = []
    for row in rows:
        key = row["dedupe_key"]
        results.append(None if key in claimed else ids.get(key))
        claimed.add(key)
    taken = [row["dedupe_key"] for row, id_ in zip(rows, results, strict=True) if id_ is None]
    if not taken:
        return results  # type: ignore[return-value]
    try:
        holders = writer_sql.holders(connection, taken)
    except DBAPIError as exc:
        # The new rows are committed whatever happens to this read: their callers hear
        # so; only the callers of taken keys, whose rows stored nothing, hear the error.
        return [exc if id_ is None else id_ for id_ in results]
    return [
        Taken(holders.get(row["dedupe_key"])) if id_ is None else id_
        for row, id_ in zip(rows, results, strict=True)
    ]


def _insert_plain(connection: Connection, rows: list[dict[str, Any]]) -> list[Result]:
    return sorted(id_ for (id_,) in writer_sql.insert(connection, rows, keyed=False))


def init_app(app: Flask) -> None:
    app.extensions["pbhub.conversions"] = ConversionWriter(
        app, write_timeout=app.config["PBHUB_WRITE_TIMEOUT"]
    )


def get_writer() -> ConversionWriter:
    return current_app.extensions["pbhub.conversions"]
