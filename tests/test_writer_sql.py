"""The writer's statements through the driver store what SQLAlchemy would, on both backends."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from app.extensions import db
from app.ingest import writer_sql
from app.models import Conversion

KEPT = [c for c in Conversion.__table__.columns if c.name != "id"]


@pytest.fixture
def rich_row(row):
    """A row with a value of every kind a conversion holds: money, times, JSON, text."""

    def make(key):
        values = row(key)
        values.update(
            attribution="matched",
            click_id="c-1",
            clicked_at=values["received_at"] - timedelta(minutes=5),
            gross_amount=Decimal("12.345678"),
            gross_currency="EUR",
            payout_amount=Decimal("-0.5"),
            payout_currency="USD",
            country="DE",
            external_user_id="ü-42",
            parse_notes=["payout: read as 0.5"],
            raw_request={"query": {"tx": key, "nested": [1, None, "ä"]}, "body": ""},
        )
        return values

    return make


@pytest.fixture
def connection(app):
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        yield connection


def stored(dedupe_key):
    return db.session.execute(select(*KEPT).where(Conversion.dedupe_key == dedupe_key)).one()


def test_a_row_written_through_the_driver_reads_back_as_sqlalchemy_writes_it(connection, rich_row):
    written = rich_row("DRIVER")
    by_sqlalchemy = {**written, "dedupe_key": "ORM", "transaction_id": "ORM"}
    writer_sql.insert(connection, [written], keyed=True)
    connection.execute(insert(Conversion.__table__), by_sqlalchemy)
    driver, orm = stored("DRIVER")._asdict(), stored("ORM")._asdict()
    assert {**driver, "dedupe_key": None, "transaction_id": None} == {
        **orm,
        "dedupe_key": None,
        "transaction_id": None,
    }


def test_columns_a_row_leaves_out_take_their_defaults(connection, row):
    writer_sql.insert(connection, [row("DEFAULTS")], keyed=True)
    kept = stored("DEFAULTS")
    assert (kept.revision, kept.planned_revision, kept.dispatch_pending) == (0, -1, True)


def test_a_keyed_insert_returns_new_keys_and_skips_taken_ones(connection, row):
    writer_sql.insert(connection, [row("TAKEN")], keyed=True)
    answered = writer_sql.insert(connection, [row("FRESH"), row("TAKEN")], keyed=True)
    assert [key for _, key in answered] == ["FRESH"]


def test_a_plain_insert_returns_ids_in_row_order(connection, row):
    rows = [{**row(None), "raw_request": {"n": n}} for n in range(5)]
    ids = sorted(id_ for (id_,) in writer_sql.insert(connection, rows, keyed=False))
    order = db.session.execute(
        select(Conversion.raw_request).where(Conversion.id.in_(ids)).order_by(Conversion.id)
    ).scalars()
    assert [request["n"] for request in order] == list(range(5))


def test_holders_come_back_with_utc_times_and_without_keys_nobody_holds(connection, row):
    held = row("HELD")
    writer_sql.insert(connection, [held, row("ALSO")], keyed=True)
    found = writer_sql.holders(connection, ["HELD", "ALSO", "NOBODY"])
    assert set(found) == {"HELD", "ALSO"}
    holder = found["HELD"]
    assert holder.received_at == held["received_at"]
    assert holder.received_at.utcoffset() == timedelta(0)
    assert holder.id == db.session.scalar(
        select(Conversion.id).where(Conversion.dedupe_key == "HELD")
    )
    assert (holder.status, holder.attribution) == ("approved", "unmatched")
