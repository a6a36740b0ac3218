"""Races: many identical postbacks at once must produce exactly one conversion."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from app.extensions import db
from app.models import Conversion

THREADS = 20


def fire_together(app, path, params_list):
    def one(params):
        with app.test_client() as client:
            return client.get(path, query_string=params)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(one, params_list))


def counts_by_attribution():
    db.session.expire_all()
    rows = db.session.execute(
        select(Conversion.attribution, func.count()).group_by(Conversion.attribution)
    ).all()
    return dict(rows)


def test_twenty_identical_postbacks_at_once_count_once(app, source):
    params = {"event": "dep", "transaction_id": "RACE-1", "payout": "5"}
    answers = fire_together(app, source["postback_path"], [params] * THREADS)
    assert [a.status_code for a in answers] == [200] * THREADS
    statuses = sorted(a.get_json()["status"] for a in answers)
    assert statuses == ["accepted"] + ["duplicate"] * (THREADS - 1)
    assert counts_by_attribution() == {"unmatched": 1, "duplicate": THREADS - 1}


def test_identical_postbacks_without_transaction_id_race_safely(app, source):
    params = {"event": "reg", "click_id": "same"}
    answers = fire_together(app, source["postback_path"], [params] * THREADS)
    statuses = sorted(a.get_json()["status"] for a in answers)
    assert statuses == ["accepted"] + ["duplicate"] * (THREADS - 1)


def test_concurrent_status_changes_apply_once(app, client, source):
    client.get(
        source["postback_path"], query_string={"transaction_id": "RACE-2", "status": "pending"}
    )
    params = {"transaction_id": "RACE-2", "status": "approved"}
    answers = fire_together(app, source["postback_path"], [params] * THREADS)
    statuses = sorted(a.get_json()["status"] for a in answers)
    assert statuses == ["duplicate"] * (THREADS - 1) + ["status_changed"]
    db.session.expire_all()
    conversion = db.session.scalars(
        select(Conversion).where(Conversion.dedupe_key.is_not(None))
    ).one()
    assert conversion.status == "approved"
    assert len(conversion.history) == 1
