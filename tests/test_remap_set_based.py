"""A re-map writes its decisions in a few statements: the same rows, history and conflicts
as one ``UPDATE`` per conversion, and each touched hour logged dirty for the rollups."""

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, update

from app.core.cid import mint
from app.extensions import db
from app.models import Conversion, DirtyHour, Remap, Source
from app.models.types import utcnow
from app.runtime import keyring
from app.services import reprocess as remapping
from app.services import reprocess_write, rollups, stats
from app.services.errors import Conflict
from tests.stats_reference import reference

#: What a write must not differ in: every column but the time it was written.
KEPT = [c for c in Conversion.__table__.columns if c.name != "updated_at"]


@pytest.fixture
def network(make_source):
    return make_source(event_map={"reg": "registration", "dep": "ftd"})


@pytest.fixture
def post(client, network):
    def send(**params):
        return client.get(network["postback_path"], query_string=params).get_json()

    return send


@pytest.fixture
def set_map(client, operator_headers, network):
    def change(**field_map):
        answer = client.patch(
            f"/api/v1/sources/{network['id']}",
            json={"field_map": field_map},
            headers=operator_headers,
        )
        assert answer.status_code == 200

    return change


@pytest.fixture
def run(network):
    def run():
        source = db.session.get(Source, network["id"])
        window = remapping.window({"days": 7})
        return remapping.reprocess(source, token_key=keyring().click_token, **window)

    return run


@pytest.fixture
def history(post, set_map, network, run):
    """Keys that move and swap (read from ``a``, then from ``b``), conversions that become
    matched, one that becomes a duplicate, and one left alone."""
    token = mint(keyring().click_token, network["id"], utcnow())
    post(event="reg", a="X", b="Y", sub=token)
    post(event="reg", a="Y", b="X")
    post(event="reg", a="Z", b="W", sub=token)
    post(event="reg", a="V", b="W")
    post(event="dep", a="U", b="U", state="rejected")
    set_map(transaction_id="a")
    run()
    set_map(transaction_id="b", click_id="sub", status="state")


def state():
    db.session.expire_all()
    conversions = db.session.execute(select(*KEPT).order_by(Conversion.id)).all()
    remaps = db.session.execute(
        select(Remap.conversion_id, Remap.changes).order_by(Remap.conversion_id)
    ).all()
    return [tuple(row) for row in conversions], [tuple(row) for row in remaps]


def restore(rows):
    """Put the conversions back as they were (keys freed first: some swapped)."""
    db.session.execute(update(Conversion).values(dedupe_key=None))
    for row in rows:
        values = dict(zip([c.name for c in KEPT], row, strict=True))
        db.session.execute(
            update(Conversion).where(Conversion.id == values.pop("id")).values(**values)
        )
    db.session.commit()


def spread_over_hours(hours):
    """Each conversion received in an hour of its own, the newest one hour ago."""
    ids = db.session.scalars(select(Conversion.id).order_by(Conversion.id)).all()
    now = utcnow()
    for n, conversion_id in enumerate(ids):
        db.session.execute(
            update(Conversion)
            .where(Conversion.id == conversion_id)
            .values(received_at=now - timedelta(hours=1 + (n % hours)))
        )
    db.session.commit()
    return ids


def test_the_set_based_write_gives_what_the_per_row_write_gave(history, run, monkeypatch):
    before, _ = state()
    remaps_before = db.session.scalar(select(func.count()).select_from(Remap))
    monkeypatch.setattr(remapping, "write", reprocess_write.write_each)
    per_row = run()
    per_row_state = state()
    db.session.execute(Remap.__table__.delete().where(Remap.id > remaps_before))
    restore(before)
    assert state()[0] == before
    monkeypatch.setattr(remapping, "write", reprocess_write.write_set)
    set_based = run()
    assert state() == per_row_state
    assert set_based.as_dict() == per_row.as_dict()
    assert set_based.follow_ups == per_row.follow_ups
    assert set_based.changed == 5 and set_based.now_duplicate == 1
    first, second = per_row_state[0][:2]
    assert (
        first[KEPT.index(Conversion.__table__.c.transaction_id)],
        second[KEPT.index(Conversion.__table__.c.transaction_id)],
    ) == ("Y", "X")


def test_a_conversion_changed_meanwhile_aborts_everything(history, run, monkeypatch):
    before = state()

    def racing(plans, *args):
        last = plans[-1][0]  # the others would be written first
        db.session.execute(
            update(Conversion).where(Conversion.id == last).values(revision=Conversion.revision + 1)
        )
        return reprocess_write.write_set(plans, *args)

    monkeypatch.setattr(remapping, "write", racing)
    with pytest.raises(Conflict, match="postbacks changed some of these conversions"):
        run()
    assert state() == before


def test_a_key_taken_by_a_new_postback_meanwhile_aborts_everything(
    history, run, network, monkeypatch
):
    before = state()

    def racing(plans, *args):
        taken = next(after["dedupe_key"] for _, _, _, after, _ in plans if after["dedupe_key"])
        with db.engine.begin() as other:
            other.execute(
                insert(Conversion.__table__).values(
                    source_id=network["id"],
                    received_at=utcnow(),
                    updated_at=utcnow(),
                    attribution="unmatched",
                    event_type="registration",
                    dedupe_key=taken,
                    raw_request={},
                    parse_notes=[],
                )
            )
        return reprocess_write.write_set(plans, *args)

    monkeypatch.setattr(remapping, "write", racing)
    with pytest.raises(Conflict, match="a new postback took one of these keys"):
        run()
    conversions, remaps = state()
    assert (conversions[: len(before[0])], remaps) == before


def test_the_rollups_read_as_a_plain_aggregate_afterwards(history, run, network):
    spread_over_hours(3)
    rollups.catch_up()
    run()
    rollups.catch_up()
    now = utcnow()
    for window in ("1h", "24h", "7d"):
        for source_id in (None, network["id"]):
            assert stats.compute(window, source_id, now) == reference(window, source_id, now)


def test_each_hour_touched_is_logged_dirty_once(history, run):
    ids = spread_over_hours(3)
    db.session.execute(DirtyHour.__table__.delete())
    db.session.commit()
    touched = {
        rollups.hour_of(at)
        for at in db.session.scalars(select(Conversion.received_at).where(Conversion.id.in_(ids)))
    }
    report = run()
    assert report.changed >= len(touched)
    logged = db.session.scalars(
        select(DirtyHour.bucket).where(DirtyHour.kind == "conversions")
    ).all()
    assert sorted(logged) == sorted(touched)
