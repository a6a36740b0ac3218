"""Bulk writes store what an INSERT would on every backend; COPY fails as execute would."""

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from app.models import Click
from app.models.bulk import insert_rows
from app.models.types import utcnow


@pytest.fixture
def click(source):
    def make(**fields):
        return {"source_id": source["id"], "click_id": "c", "clicked_at": utcnow(), **fields}

    return make


def stored_params():
    return db.session.execute(
        select(text("params IS NULL"), text("CAST(params AS TEXT)")).select_from(Click)
    ).one()


def test_a_none_in_a_json_column_is_stored_as_json_null_as_an_insert_would(app, click):
    with db.engine.begin() as connection:
        insert_rows(connection, Click.__table__, [click(params=None)])
    assert tuple(stored_params()) == (False, "null")


def test_a_column_left_out_takes_its_default_or_null(app, click):
    with db.engine.begin() as connection:
        insert_rows(connection, Click.__table__, [click()])
    stored = db.session.scalars(select(Click)).one()
    assert stored.origin == "track"
    assert tuple(stored_params()) == (True, None)


@pytest.mark.parametrize("database_uri", ["postgresql"], indirect=True)
def test_a_connection_lost_during_the_copy_is_dropped_from_the_pool(app, click):
    with pytest.raises(DBAPIError) as failure, db.engine.begin() as connection:
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with db.engine.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
        insert_rows(connection, Click.__table__, [click()])
    assert failure.value.connection_invalidated
    with db.engine.begin() as connection:
        insert_rows(connection, Click.__table__, [click(click_id="after")])
    assert db.session.scalars(select(Click.click_id)).all() == ["after"]
