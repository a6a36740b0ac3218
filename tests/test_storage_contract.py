"""The Postback URL's promise, both ways: a 2xx only when the conversion is stored, and a
503 only when it is not, also when the database holds the write back past every timeout.

The table is locked from another connection (``LOCK TABLE`` on PostgreSQL, a write
transaction on SQLite) for three times the write timeout while postbacks arrive; then
every answer is held against what the database kept."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, select, text

from app.extensions import db
from app.models import Conversion

WRITE_TIMEOUT = 1.0
LOCKED_FOR = 3 * WRITE_TIMEOUT


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PBHUB_WRITE_TIMEOUT": WRITE_TIMEOUT}


def lock_conversions(uri: str, seconds: float, locked: threading.Event) -> None:
    engine = create_engine(uri)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("LOCK TABLE conversions IN ACCESS EXCLUSIVE MODE"))
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            connection.exec_driver_sql("DELETE FROM conversions WHERE id < 0")
        locked.set()
        time.sleep(seconds)
        connection.rollback()
    engine.dispose()


def fire_while_locked(app, source, count: int) -> dict[str, int]:
    """Each transaction id's answer, fired a little apart while the table is locked."""
    locked = threading.Event()
    holder = threading.Thread(
        target=lock_conversions,
        args=(app.config["SQLALCHEMY_DATABASE_URI"], LOCKED_FOR, locked),
    )
    holder.start()
    assert locked.wait(10)

    def fire(n: int) -> tuple[str, int]:
        time.sleep(n * LOCKED_FOR / count / 2)
        tx = f"LOCKED-{n}"
        answer = app.test_client().get(
            source["postback_path"], query_string={"transaction_id": tx, "event": "ftd"}
        )
        return tx, answer.status_code

    with ThreadPoolExecutor(count) as pool:
        answers = dict(pool.map(fire, range(count)))
    holder.join()
    return answers


def stored_transactions() -> set[str]:
    db.session.remove()
    return set(db.session.scalars(select(Conversion.transaction_id)))


def test_every_answer_during_a_table_lock_tells_the_truth(app, source):
    answers = fire_while_locked(app, source, count=8)
    time.sleep(WRITE_TIMEOUT)  # anything still on its way has landed or failed by now
    stored = stored_transactions()
    assert set(answers.values()) <= {200, 503}
    assert 503 in answers.values(), "the lock outlasted no write: the test proved nothing"
    for tx, status in answers.items():
        assert (tx in stored) == (status == 200), f"{tx} answered {status}"


def test_postbacks_refused_during_a_lock_are_stored_once_when_the_network_retries(app, source):
    answers = fire_while_locked(app, source, count=4)
    for tx in answers:
        retry = app.test_client().get(
            source["postback_path"], query_string={"transaction_id": tx, "event": "ftd"}
        )
        expected = "duplicate" if answers[tx] == 200 else "accepted"
        assert retry.get_json()["status"] == expected, tx
    assert stored_transactions() == set(answers)
