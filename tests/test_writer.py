"""Group commit: rows from many threads share statements and commits, never answers."""

import time
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.ingest import writer as writer_module
from app.ingest.writer import Taken, get_writer
from app.models import Conversion
from app.services.errors import Unavailable


@pytest.fixture
def inserts(app):
    """The INSERT statements the database received; the first one is held back a little
    so that the rows of the other threads queue up behind it."""
    seen = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO CONVERSIONS"):
            seen.append(statement)
            if len(seen) == 1:
                time.sleep(0.3)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def insert_together(app, rows):
    def one(row):
        with app.app_context():
            return get_writer().insert(row)

    with ThreadPoolExecutor(len(rows)) as pool:
        return list(pool.map(one, rows))


def test_rows_that_arrive_together_share_one_statement(app, row, inserts):
    ids = insert_together(app, [row(f"K{i}") for i in range(12)])
    assert all(isinstance(i, int) for i in ids)
    assert len(set(ids)) == 12
    assert len(inserts) <= 3
    assert db.session.scalar(select(func.count()).select_from(Conversion)) == 12


def test_the_same_key_twice_in_one_batch_is_stored_once(app, row, inserts):
    results = insert_together(app, [row("WARMUP")] + [row("SAME")] * 6)
    [stored] = [r for r in results[1:] if isinstance(r, int)]
    assert [r.holder.id for r in results if isinstance(r, Taken)] == [stored] * 5
    assert db.session.scalar(select(func.count()).select_from(Conversion)) == 2


def test_a_taken_key_comes_back_with_its_holder(app, row):
    first = get_writer().insert(row("HELD"))
    taken = get_writer().insert(row("HELD"))
    assert isinstance(taken, Taken)
    assert (taken.holder.id, taken.holder.status) == (first, "approved")


def test_duplicate_rows_get_their_own_ids_in_order(app, row, inserts):
    ids = insert_together(app, [row("HOLDER")] + [row(None) for _ in range(5)])
    assert all(isinstance(i, int) for i in ids)
    stored = dict(db.session.execute(select(Conversion.id, Conversion.dedupe_key)).all())
    assert [stored[i] for i in ids] == ["HOLDER"] + [None] * 5


def test_a_row_the_database_refuses_does_not_fail_its_neighbours(app, row, inserts):
    rows = [row("FIRST"), row("GOOD-1"), row("ORPHAN", source=999_999), row("GOOD-2")]
    results = insert_together(app, rows)
    assert results[2] == Taken(None)
    assert all(isinstance(r, int) for r in results[:2] + results[3:])


def test_a_lost_connection_reaches_every_waiting_caller(app, row, database_fails):
    with database_fails("INSERT INTO CONVERSIONS"), pytest.raises(OperationalError):
        get_writer().insert(row("LOST"))
    assert isinstance(get_writer().insert(row("AFTER")), int)


def test_an_idle_writer_gives_its_connection_back(app, row, monkeypatch):
    monkeypatch.setattr(writer_module, "IDLE_SECONDS", 0.05)
    before = db.engine.pool.checkedout()
    get_writer().insert(row("IDLE"))
    deadline = time.monotonic() + 5
    while db.engine.pool.checkedout() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert db.engine.pool.checkedout() == before
    assert get_writer()._thread is None


def test_a_failed_connect_fails_its_batch_and_the_next_row_is_written(app, row, monkeypatch):
    engine = db.engine
    real_connect = engine.connect
    calls = []

    def connect_once_broken():
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("connect", {}, Exception("database restarting"))
        return real_connect()

    monkeypatch.setattr(engine, "connect", connect_once_broken)
    monkeypatch.setattr(writer_module, "IDLE_SECONDS", 0.05)
    with pytest.raises(OperationalError):
        get_writer().insert(row("FIRST"))
    assert isinstance(get_writer().insert(row("SECOND")), int)


def write_batch(rows, deadline=None):
    """One batch through the writer as its thread writes it; each row's future."""
    batch = [(row, Future()) for row in rows]
    for _, future in batch:
        future.set_running_or_notify_cancel()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        get_writer()._write(connection, batch, deadline or time.monotonic() + 60)
    return [future for _, future in batch]


def test_keys_inserted_before_a_failed_holder_read_are_still_answered_stored(
    app, row, database_fails
):
    """The read of who holds taken keys fails after the batch's insert committed: the
    new rows are answered stored, only the taken key's caller hears the error."""
    db.session.execute(Conversion.__table__.insert(), row("HELD"))
    db.session.commit()
    with database_fails("SELECT CONVERSIONS.DEDUPE_KEY", times=1) as failed:
        futures = write_batch([row("NEW-1"), row("HELD"), row("NEW-2")])
    assert failed
    assert isinstance(futures[0].result(), int) and isinstance(futures[2].result(), int)
    assert isinstance(futures[1].exception(), OperationalError)
    assert set(db.session.scalars(select(Conversion.dedupe_key))) == {"HELD", "NEW-1", "NEW-2"}


def test_rows_a_late_batch_cannot_begin_fail_unstored(app, row):
    """A batch begins no statement past its deadline: the duplicates waiting behind a
    slow insert fail, and are not written after their callers gave up."""

    def slow(conn, cursor, statement, *args):
        if "ON CONFLICT" in statement.upper():
            time.sleep(0.3)

    event.listen(db.engine, "before_cursor_execute", slow)
    try:
        futures = write_batch(
            [row("SLOW")] + [row(None) for _ in range(3)], deadline=time.monotonic() + 0.1
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", slow)
    assert isinstance(futures[0].result(), int)
    assert all(isinstance(future.exception(), Unavailable) for future in futures[1:])
    assert list(db.session.scalars(select(Conversion.dedupe_key))) == ["SLOW"]


@pytest.mark.parametrize("database_uri", ["postgresql"], indirect=True)
def test_the_writers_statement_timeout_does_not_outlive_its_connection(app, row, monkeypatch):
    monkeypatch.setattr(writer_module, "IDLE_SECONDS", 0.05)
    get_writer().insert(row("TIMED"))
    deadline = time.monotonic() + 5
    while get_writer()._thread is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "0"
