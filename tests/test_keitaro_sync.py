"""Keitaro's clicks imported into the hub: windows, pages, idempotency, timezones,
attribution by sub id, stats, and the schedule that runs it."""

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.jobs import keitaro as keitaro_jobs
from app.keitaro.errors import Unauthorized, Unavailable
from app.models import (
    Click,
    Conversion,
    DirtyHour,
    KeitaroConnection,
    KeitaroObject,
    KeitaroSyncRun,
)
from app.models.types import utcnow
from app.runtime import keitaro_settings, keyring
from app.services import keitaro as connections
from app.services import keitaro_catalogue as catalogue
from app.services import keitaro_sync as sync

OVERLAP = timedelta(minutes=10)
BACKFILL = timedelta(hours=24)


@pytest.fixture
def connection(keitaro_connection):
    return keitaro_connection()


@pytest.fixture
def tracker(connection):
    return connections.client_for(connection, keyring(), keitaro_settings())


@pytest.fixture
def run_import(connection, tracker):
    def run(now=None, page_size=1000, **window):
        now = now or utcnow()
        span = sync.import_window(connection, now, overlap=OVERLAP, backfill=BACKFILL, **window)
        return sync.import_clicks(connection, tracker, span, page_size=page_size)

    return run


def imported():
    return db.session.scalars(select(Click).where(Click.origin == "keitaro")).all()


def test_clicks_of_the_window_are_imported_with_their_labels(fake_keitaro, run_import):
    fake_keitaro.add_click(
        "kt1",
        utcnow() - timedelta(hours=1),
        campaign_id=7,
        offer_id=9,
        ts_id=3,
        country="de",
        external_id="ext-1",
    )
    assert run_import().rows == 1
    (click,) = imported()
    assert (click.click_id, click.tracker_campaign_id, click.tracker_offer_id) == ("kt1", 7, 9)
    assert (click.tracker_traffic_source_id, click.country, click.external_id) == (3, "DE", "ext-1")


def test_tracker_times_without_offset_are_read_in_the_connection_timezone(fake_keitaro, run_import):
    moment = (utcnow() - timedelta(hours=2)).replace(microsecond=0)
    fake_keitaro.add_click("kt-tz", moment)
    run_import()
    (click,) = imported()
    assert click.clicked_at == moment


def test_every_page_is_read(fake_keitaro, run_import):
    start = utcnow() - timedelta(hours=3)
    for n in range(25):
        fake_keitaro.add_click(f"p{n}", start + timedelta(seconds=n))
    assert run_import(page_size=10).rows == 25
    pages = [r.body["offset"] for r in fake_keitaro.seen("clicks/log")]
    assert pages == [0, 10, 20]
    assert len(imported()) == 25


def test_importing_the_same_window_twice_changes_nothing(fake_keitaro, run_import):
    fake_keitaro.add_click("again", utcnow() - timedelta(minutes=30), offer_id=4)
    run_import()
    run_import(since=utcnow() - timedelta(hours=1))
    assert len(imported()) == 1


def test_a_second_run_starts_at_the_cursor_minus_the_overlap(fake_keitaro, connection, run_import):
    newest = (utcnow() - timedelta(minutes=5)).replace(microsecond=0)
    fake_keitaro.add_click("c1", newest)
    run_import()
    db.session.refresh(connection)
    assert connection.clicks_cursor == newest
    window = sync.import_window(connection, utcnow(), overlap=OVERLAP, backfill=BACKFILL)
    assert window.start == newest - OVERLAP


def test_a_late_click_inside_the_overlap_is_picked_up(fake_keitaro, connection, run_import):
    now = utcnow()
    fake_keitaro.add_click("first", now - timedelta(minutes=2))
    run_import(now=now)
    fake_keitaro.add_click("late", now - timedelta(minutes=4))
    run_import(now=now + timedelta(minutes=1))
    assert {c.click_id for c in imported()} == {"first", "late"}


def test_the_first_run_reads_back_the_backfill_period(connection):
    now = utcnow()
    window = sync.import_window(connection, now, overlap=OVERLAP, backfill=BACKFILL)
    assert (window.start, window.end) == (now - BACKFILL, now)


def test_rows_without_a_usable_sub_id_or_time_are_skipped_not_fatal(fake_keitaro, run_import):
    fake_keitaro.add_click("", utcnow() - timedelta(minutes=3))
    fake_keitaro.add_click("x" * 200, utcnow() - timedelta(minutes=3))
    fake_keitaro.add_click("ok", utcnow() - timedelta(minutes=3))
    result = run_import()
    assert (result.rows, result.skipped) == (1, 2)


def test_a_failed_import_keeps_the_cursor_and_records_the_error(
    fake_keitaro, connection, run_import
):
    fake_keitaro.api_key = "rotated"
    with pytest.raises(Unauthorized):
        run_import()
    db.session.refresh(connection)
    assert connection.clicks_cursor is None
    assert "Unauthorized" in connection.clicks_last_error
    assert connection.clicks_lease_until is None
    run = db.session.scalar(select(KeitaroSyncRun))
    assert run.error and run.finished_at


def test_an_import_already_running_is_not_started_twice(connection, run_import):
    assert sync.claim(connection.id, utcnow())
    with pytest.raises(sync.Busy):
        run_import()


def test_an_expired_lease_is_taken_over(connection):
    assert sync.claim(connection.id, utcnow() - sync.LEASE - timedelta(minutes=1))
    assert sync.claim(connection.id, utcnow())


def test_a_postback_carrying_an_imported_sub_id_is_matched(
    fake_keitaro, run_import, client, source
):
    fake_keitaro.add_click("kt-match", utcnow() - timedelta(hours=1))
    run_import()
    answer = client.get(source["postback_path"], query_string={"click_id": "kt-match"})
    assert answer.get_json()["attribution"] == "matched"


def test_a_postback_with_an_unknown_sub_id_stays_unmatched(client, source):
    answer = client.get(source["postback_path"], query_string={"click_id": "kt-none"})
    assert answer.get_json()["attribution"] == "unmatched"


def test_imported_clicks_count_in_stats_and_epc(
    fake_keitaro, keitaro_connection, client, source, operator_headers
):
    row = keitaro_connection(source=source["name"])
    tracker = connections.client_for(row, keyring(), keitaro_settings())
    for n in range(4):
        fake_keitaro.add_click(f"s{n}", utcnow() - timedelta(minutes=20))
    span = sync.import_window(row, utcnow(), overlap=OVERLAP, backfill=BACKFILL)
    sync.import_clicks(row, tracker, span)
    client.get(source["postback_path"], query_string={"click_id": "s1", "payout": "2.00"})
    stats = client.get(
        "/api/v1/stats",
        query_string={"window": "1h", "source_id": source["id"]},
        headers=operator_headers,
    ).get_json()
    assert stats["clicks"] == 4
    assert Decimal(stats["payout"][0]["epc"]) == Decimal("0.5")


def test_clicks_of_a_mapped_affiliate_network_count_for_its_source(
    fake_keitaro, keitaro_connection, make_source
):
    first, second = make_source(), make_source()
    row = keitaro_connection(source=first["name"])
    connections.map_network(row, 12, second["name"])
    fake_keitaro.offers[9] = {"id": 9, "name": "Offer", "affiliate_network_id": "12"}
    fake_keitaro.add_click("net12", utcnow() - timedelta(minutes=5), offer_id=9)
    fake_keitaro.add_click("other", utcnow() - timedelta(minutes=5), offer_id=3)
    tracker = connections.client_for(row, keyring(), keitaro_settings())
    catalogue.refresh_metadata(row, tracker, utcnow())
    span = sync.import_window(row, utcnow(), overlap=OVERLAP, backfill=BACKFILL)
    sync.import_clicks(row, tracker, span)
    by_id = {c.click_id: c.source_id for c in imported()}
    assert by_id == {"net12": second["id"], "other": first["id"]}


def test_the_catalogue_is_cached_with_names_states_and_links(fake_keitaro, connection, tracker):
    fake_keitaro.campaigns[1] = {
        "id": 1,
        "name": "Spring",
        "state": "active",
        "traffic_source_id": "4",
    }
    fake_keitaro.offers[2] = {"id": "2", "name": "Casino", "affiliate_network_id": 5}
    fake_keitaro.networks[5] = {"id": 5, "name": "Net"}
    fake_keitaro.traffic_sources[4] = {"id": 4, "name": "Push"}
    counts = catalogue.refresh_metadata(connection, tracker, utcnow())
    assert counts == {"campaign": 1, "offer": 1, "affiliate_network": 1, "traffic_source": 1}
    assert catalogue.labels(connection.id)[("offer", 2)] == "Casino"
    assert catalogue.offer_networks(connection.id) == {2: 5}


def test_a_refresh_replaces_what_the_tracker_no_longer_has(fake_keitaro, connection, tracker):
    fake_keitaro.networks[5] = {"id": 5, "name": "Net"}
    catalogue.refresh_metadata(connection, tracker, utcnow())
    del fake_keitaro.networks[5]
    catalogue.refresh_metadata(connection, tracker, utcnow())
    assert db.session.scalar(select(func.count()).select_from(KeitaroObject)) == 0


def test_status_reports_cursor_success_and_clicks_today(fake_keitaro, connection, run_import):
    trackers_midnight = datetime.now(fake_keitaro.zone).replace(
        hour=0, minute=0, second=1, microsecond=0
    )
    fake_keitaro.add_click("today", trackers_midnight)
    fake_keitaro.add_click("yesterday", trackers_midnight - timedelta(seconds=2))
    run_import(since=trackers_midnight - timedelta(hours=1))
    db.session.refresh(connection)
    status = sync.status(connection, utcnow())
    assert status["clicks"]["clicks_today"] == 1
    assert status["clicks"]["imported_total"] == 2
    assert status["clicks"]["last_success_at"] is not None
    assert status["clicks"]["last_run"]["rows"] == 2


def test_the_schedule_enqueues_each_slot_once(app, connection, monkeypatch):
    queued = []
    monkeypatch.setattr(keitaro_jobs, "enqueue", lambda job, *args: queued.append((job, args)))
    keitaro_jobs.schedule()
    keitaro_jobs.schedule()
    assert sorted(queued) == sorted(
        [(keitaro_jobs.IMPORT_JOB, (connection.id,)), (keitaro_jobs.METADATA_JOB, (connection.id,))]
    )


def test_a_connection_with_sync_off_is_not_scheduled(app, connection, monkeypatch):
    connection.sync_enabled = False
    db.session.commit()
    queued = []
    monkeypatch.setattr(keitaro_jobs, "enqueue", lambda job, *args: queued.append(job))
    keitaro_jobs.schedule()
    assert queued == []


def test_the_import_job_refreshes_the_catalogue_first_and_imports(fake_keitaro, connection):
    fake_keitaro.networks[1] = {"id": 1, "name": "N"}
    fake_keitaro.add_click("job", utcnow() - timedelta(minutes=1))
    assert keitaro_jobs.import_clicks(connection.id) == 1
    row = db.session.get(KeitaroConnection, connection.id)
    assert row.metadata_refreshed_at is not None


def test_the_import_job_logs_a_tracker_error_and_returns(fake_keitaro, connection):
    fake_keitaro.licensed = False
    assert keitaro_jobs.import_clicks(connection.id) is None
    assert "LicenceRequired" in db.session.get(KeitaroConnection, connection.id).clicks_last_error


@pytest.mark.parametrize("job", ["refresh_metadata", "import_clicks"])
def test_a_job_whose_connection_is_removed_meanwhile_stops_quietly(
    connection, monkeypatch, caplog, job
):
    """The API removes a connection while its sync job waits on a tracker that does not
    answer: the job has no row left to record the failure on, and ends without an error."""

    class Gone:
        def list(self, *_, **__):
            with db.engine.begin() as other:
                other.execute(
                    text("DELETE FROM keitaro_connections WHERE id = :id"), {"id": connection.id}
                )
            raise Unavailable("Keitaro did not answer")

    class Tracker:
        campaigns = offers = affiliate_networks = traffic_sources = Gone()

    monkeypatch.setattr(connections, "client_for", lambda *_: Tracker())
    assert getattr(keitaro_jobs, job)(connection.id) is None
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_removing_a_connection_removes_its_imported_clicks(fake_keitaro, connection, run_import):
    fake_keitaro.add_click("gone", utcnow() - timedelta(minutes=1))
    run_import()
    assert connections.remove_connection(connection) == 1
    assert imported() == []


def test_aware_times_from_the_tracker_keep_their_offset(tracker):
    assert tracker.parse_time("2026-11-23T10:00:00+02:00") == datetime(2026, 11, 23, 8, tzinfo=UTC)


def test_conversions_of_imported_clicks_carry_keitaros_names(
    fake_keitaro, connection, tracker, run_import, client, source, operator_headers
):
    fake_keitaro.campaigns[7] = {"id": 7, "name": "Spring"}
    fake_keitaro.offers[9] = {"id": 9, "name": "Casino"}
    catalogue.refresh_metadata(connection, tracker, utcnow())
    fake_keitaro.add_click(
        "lab", utcnow() - timedelta(minutes=5), campaign_id=7, offer_id=9, ts_id=2, country="fr"
    )
    run_import()
    conversion_id = client.get(
        source["postback_path"], query_string={"click_id": "lab"}
    ).get_json()["conversion_id"]
    page = client.get("/api/v1/conversions", headers=operator_headers).get_json()
    detail = client.get(f"/api/v1/conversions/{conversion_id}", headers=operator_headers)
    expected = {"campaign": "Spring", "offer": "Casino", "traffic_source": "#2", "country": "FR"}
    assert page["items"][0]["tracker"] == expected
    assert detail.get_json()["tracker"] == expected


def test_one_failing_periodic_task_leaves_the_others_running(app, monkeypatch):
    from app.jobs import deliveries, periodic

    ran = []

    def broken():
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(deliveries, "sweep", broken)
    monkeypatch.setattr(keitaro_jobs, "schedule", lambda: ran.append("keitaro"))
    periodic.tick()
    assert ran == ["keitaro"]


def test_a_postback_that_came_before_its_click_is_matched_when_the_click_arrives(
    fake_keitaro, run_import, client, source, operator_headers
):
    answer = client.get(source["postback_path"], query_string={"click_id": "early"}).get_json()
    assert answer["attribution"] == "unmatched"
    fake_keitaro.add_click("early", utcnow() - timedelta(minutes=30))
    assert run_import().matched_late == 1
    conversion = client.get(
        f"/api/v1/conversions/{answer['conversion_id']}", headers=operator_headers
    ).get_json()
    assert conversion["attribution"] == "matched"
    assert "imported after the postback" in conversion["parse_notes"][-1]


def test_a_click_older_than_the_sources_window_makes_a_waiting_conversion_expired(
    fake_keitaro, run_import, client, make_source
):
    source = make_source(attribution_window_days=1)
    answer = client.get(source["postback_path"], query_string={"click_id": "old"}).get_json()
    fake_keitaro.add_click("old", utcnow() - timedelta(days=3))
    run_import(since=utcnow() - timedelta(days=4))
    assert db.session.get(Conversion, answer["conversion_id"]).attribution == "expired"


def test_an_import_cut_short_keeps_the_batches_it_wrote(
    fake_keitaro, connection, run_import, monkeypatch
):
    monkeypatch.setattr(sync, "WRITE_BATCH", 10)
    start = (utcnow() - timedelta(hours=2)).replace(microsecond=0)
    for n in range(30):
        fake_keitaro.add_click(f"cut{n:02d}", start + timedelta(minutes=n))
    fake_keitaro.clicks_pages_before_failure = 2
    with pytest.raises(Unavailable, match="500"):
        run_import(page_size=10)
    db.session.refresh(connection)
    assert len(imported()) == 20
    assert connection.clicks_cursor == start + timedelta(minutes=19)
    assert connection.clicks_imported == 20


def test_an_import_that_lost_its_lease_stops_writing(fake_keitaro, connection, tracker):
    fake_keitaro.add_click("stolen", utcnow() - timedelta(minutes=3))
    span = sync.import_window(connection, utcnow(), overlap=OVERLAP, backfill=BACKFILL)

    def another_process_takes_over(total):
        assert sync.claim(connection.id, utcnow() + sync.LEASE + timedelta(minutes=1))

    with pytest.raises(sync.LeaseLost):
        sync.import_clicks(connection, tracker, span, on_total=another_process_takes_over)
    db.session.refresh(connection)
    assert connection.clicks_cursor is None
    assert connection.clicks_lease_token is not None  # the new holder's lease stands


def test_re_reading_clicks_counts_only_the_new_ones(fake_keitaro, connection, run_import):
    fake_keitaro.add_click("once", utcnow() - timedelta(minutes=2))
    run_import()
    again = run_import(since=utcnow() - timedelta(hours=1))
    assert (again.rows, again.seen) == (0, 1)
    db.session.refresh(connection)
    assert connection.clicks_imported == 1


def test_a_click_the_tracker_relabels_is_updated_and_not_counted_again(fake_keitaro, run_import):
    at = utcnow() - timedelta(minutes=2)
    fake_keitaro.add_click("moved", at, offer_id=4)
    run_import()
    fake_keitaro.clicks.clear()
    fake_keitaro.add_click("moved", at, offer_id=5)
    again = run_import(since=utcnow() - timedelta(hours=1))
    assert (again.rows, again.seen) == (0, 1)
    [click] = imported()
    assert click.tracker_offer_id == 5


def test_a_click_listed_twice_while_pages_shift_is_written_and_counted_once(
    fake_keitaro, run_import
):
    at = utcnow() - timedelta(minutes=2)
    fake_keitaro.add_click("twice", at, offer_id=4)
    fake_keitaro.add_click("other", at)
    fake_keitaro.add_click("twice", at, offer_id=4)
    assert run_import().rows == 2
    assert sorted(c.click_id for c in imported()) == ["other", "twice"]


def test_an_imported_batch_marks_its_hour_for_the_stats_once(fake_keitaro, run_import):
    db.session.query(DirtyHour).delete()
    db.session.commit()
    at = utcnow().replace(minute=30) - timedelta(hours=2)
    for n in range(40):
        fake_keitaro.add_click(f"h{n}", at + timedelta(seconds=n))
    assert run_import().rows == 40
    assert db.session.scalar(select(func.count()).select_from(DirtyHour)) == 1


def test_the_staging_columns_are_what_an_imported_click_writes(connection, tracker):
    item = {"sub_id": "s1", "datetime": "2026-01-01 10:00:00", "campaign_id": "3"}
    click = sync._click(sync._Target.of(connection), tracker, item)
    assert tuple(click) == sync.IMPORTED_COLUMNS


@pytest.mark.parametrize("database_uri", ["postgresql"], indirect=True)
def test_the_staging_table_empties_in_place_batch_after_batch(
    fake_keitaro, run_import, monkeypatch
):
    monkeypatch.setattr(sync, "WRITE_BATCH", 10)
    start = utcnow() - timedelta(hours=2)
    for n in range(200):
        fake_keitaro.add_click(f"s{n}", start + timedelta(seconds=n))
    assert run_import().rows == 200
    sizes = db.session.scalars(
        text("SELECT pg_relation_size(oid) FROM pg_class WHERE relname = 'keitaro_click_stage'")
    ).all()
    assert sizes and set(sizes) == {0}


def test_a_mapping_to_a_deleted_source_falls_back_to_the_connections_source(
    fake_keitaro, keitaro_connection, make_source, client, admin_headers
):
    kept, doomed = make_source(), make_source()
    row = keitaro_connection(source=kept["name"])
    connections.map_network(row, 12, doomed["name"])
    client.delete(f"/api/v1/sources/{doomed['id']}", headers=admin_headers)
    fake_keitaro.add_click("orphan", utcnow() - timedelta(minutes=5), affiliate_network_id=12)
    tracker = connections.client_for(row, keyring(), keitaro_settings())
    span = sync.import_window(row, utcnow(), overlap=OVERLAP, backfill=BACKFILL)
    assert sync.import_clicks(row, tracker, span).rows == 1
    assert [c.source_id for c in imported()] == [kept["id"]]


def test_a_conversion_matched_late_is_delivered_to_matched_only_postbacks(
    app, fake_keitaro, connection, client, source, outbound, httpserver
):
    from app.queue import get_queue

    httpserver.expect_request("/matched").respond_with_data("ok")
    outbound(
        url_template=httpserver.url_for("/matched") + "?c={click_id}", attributions=["matched"]
    )
    client.get(source["postback_path"], query_string={"click_id": "waits"})
    get_queue(app).join()
    assert httpserver.log == []
    fake_keitaro.add_click("waits", utcnow() - timedelta(minutes=2))
    keitaro_jobs.import_clicks(connection.id)
    get_queue(app).join()
    assert [r.args["c"] for r, _ in httpserver.log] == ["waits"]


def test_a_conversion_re_mapped_to_duplicate_is_left_alone(run_import, client, source):
    answer = client.get(source["postback_path"], query_string={"click_id": "dup"}).get_json()
    conversion = db.session.get(Conversion, answer["conversion_id"])
    conversion.attribution = "duplicate"
    db.session.commit()
    assert sync.rematch([("dup", utcnow(), None)], utcnow()) == []
    db.session.refresh(conversion)
    assert conversion.attribution == "duplicate"
