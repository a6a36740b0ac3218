"""A re-map writes its decisions in a few statements: the same rows, history and conflicts
as one ``UPDATE`` per conversion, each touched hour logged dirty for the rollups, and the
decisions staged chunk by chunk rather than all held until the write."""

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, inspect, select, update

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
        select(Remap.conversion_id, Remap.changes).order_by(Remap.conversion_id, Remap.id)
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
    remaps_before = db.session.scalar(select(func.max(Remap.id)))
    monkeypatch.setattr(remapping, "write", reprocess_write.EachWrite)
    per_row = run()
    per_row_state = state()
    db.session.execute(Remap.__table__.delete().where(Remap.id > remaps_before))
    restore(before)
    assert state()[0] == before
    monkeypatch.setattr(remapping, "write", reprocess_write.SetWrite)
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

    class Racing(reprocess_write.SetWrite):
        def stage(self, plans):
            super().stage(plans)
            self.last = plans[-1][0]  # the others would be written first

        def finish(self):
            db.session.execute(
                update(Conversion)
                .where(Conversion.id == self.last)
                .values(revision=Conversion.revision + 1)
            )
            super().finish()

    monkeypatch.setattr(remapping, "write", Racing)
    with pytest.raises(Conflict, match="postbacks changed some of these conversions"):
        run()
    assert state() == before


def test_a_key_taken_by_a_new_postback_meanwhile_aborts_everything(
    history, run, network, monkeypatch
):
    before = state()

    class Racing(reprocess_write.SetWrite):
        def stage(self, plans):
            super().stage(plans)
            self.taken = next(after["dedupe_key"] for *_, after, _ in plans if after["dedupe_key"])

        def finish(self):
            take(self.taken)
            super().finish()

    def take(key):
        with db.engine.begin() as other:
            other.execute(
                insert(Conversion.__table__).values(
                    source_id=network["id"],
                    received_at=utcnow(),
                    updated_at=utcnow(),
                    attribution="unmatched",
                    event_type="registration",
                    dedupe_key=key,
                    raw_request={},
                    parse_notes=[],
                )
            )

    monkeypatch.setattr(remapping, "write", Racing)
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


class Spy(reprocess_write.SetWrite):
    """Records how many plans each ``stage`` got and how many it left in memory, and
    which database connection staged them."""

    def stage(self, plans):
        super().stage(plans)
        staged.append((len(plans), len(self.held)))
        connections.append(db.session.connection().connection.dbapi_connection)


staged: list[tuple[int, int]] = []
connections: list = []


@pytest.fixture
def spy(monkeypatch):
    staged.clear()
    connections.clear()
    monkeypatch.setattr(remapping, "write", Spy)


def staging_rows(dbapi_connection):
    """Rows in that connection's staging table; ``None`` when it has none."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"SELECT count(*) FROM {reprocess_write.STAGING}")  # noqa: S608
        return cursor.fetchone()[0]
    except db.engine.dialect.loaded_dbapi.Error:
        return None
    finally:
        cursor.close()
        dbapi_connection.rollback()


def test_a_re_map_across_chunks_gives_what_one_chunk_gives(history, run, spy, monkeypatch):
    """One conversion a chunk: the keys swap and the duplicate is found across chunks
    (``claimed``), and no chunk's decisions wait in memory on PostgreSQL."""
    before, _ = state()
    remaps_before = db.session.scalar(select(func.max(Remap.id)))
    one_chunk = run()
    one_chunk_state = state()
    assert [size for size, _ in staged] == [5]
    db.session.execute(Remap.__table__.delete().where(Remap.id > remaps_before))
    restore(before)
    staged.clear()
    monkeypatch.setattr(remapping, "CHUNK", 1)
    chunked = run()
    assert state() == one_chunk_state
    assert chunked.as_dict() == one_chunk.as_dict()
    assert chunked.follow_ups == one_chunk.follow_ups
    assert chunked.now_duplicate == 1
    assert [size for size, _ in staged] == [1] * 5
    if db.engine.dialect.name == "postgresql":
        assert [held for _, held in staged] == [0] * 5


def test_a_conflict_in_the_last_chunk_leaves_no_staging_no_history_no_change(
    history, run, spy, monkeypatch
):
    before = state()

    class Racing(Spy):
        def finish(self):
            db.session.execute(  # the last chunk's last conversion
                update(Conversion)
                .where(Conversion.id == self.last)
                .values(revision=Conversion.revision + 1)
            )
            super().finish()

        def stage(self, plans):
            super().stage(plans)
            self.last = plans[-1][0]

    monkeypatch.setattr(remapping, "CHUNK", 2)
    monkeypatch.setattr(remapping, "write", Racing)
    with pytest.raises(Conflict, match="postbacks changed some of these conversions"):
        run()
    assert len(staged) == 3
    assert state() == before
    assert staging_rows(connections[-1]) in (None, 0)
    if db.engine.dialect.name == "postgresql":
        assert staging_rows(connections[-1]) is None  # the table went with the rollback


def test_a_dry_run_stages_nothing(history, network, monkeypatch):
    before = state()

    def no_writer(fields):
        raise AssertionError("a dry run must not write")

    monkeypatch.setattr(remapping, "write", no_writer)
    source = db.session.get(Source, network["id"])
    window = remapping.window({"days": 7})
    report = remapping.reprocess(source, token_key=keyring().click_token, dry_run=True, **window)
    assert report.changed == 5
    assert state() == before
    assert not inspect(db.engine).has_table(reprocess_write.STAGING)
