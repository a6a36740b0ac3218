"""Stats from hourly rollups equal a plain aggregate over the raw rows, whatever arrived
late, changed status, was re-mapped, deleted or pruned, and whenever the roll-up ran."""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, text, update

from app.extensions import db
from app.models import (
    Click,
    ClickRollup,
    Conversion,
    ConversionRollup,
    DirtyHour,
    Source,
    StatsState,
)
from app.services import rollups, stats
from tests.conftest import insert_old_source
from tests.stats_reference import RANDOM_HISTORIES, empty_stats_tables, reference

NOW = datetime(2026, 11, 20, 14, 37, 12, 345678, tzinfo=UTC)
ids = itertools.count(1)


def assert_exact(source_ids: list[int], now: datetime = NOW) -> None:
    for window in stats.WINDOWS:
        for source_id in (None, *source_ids):
            assert stats.compute(window, source_id, now) == reference(window, source_id, now), (
                window,
                source_id,
            )


# Factories --------------------------------------------------------------------------------


def add_source(window_days: int = 30) -> int:
    n = next(ids)
    source = Source(
        name=f"Network {n}",
        public_id=f"pub{n}",
        token_digest=f"digest{n}",
        token_ciphertext="x",
        field_map={},
        event_map={},
        status_map={},
        attribution_window_days=window_days,
        offer_url="https://offer.test/lp",
    )
    db.session.add(source)
    db.session.commit()
    return source.id


def add_click(source_id: int | None, at: datetime) -> Click:
    click = Click(source_id=source_id, click_id=f"c{next(ids)}", clicked_at=at)
    db.session.add(click)
    db.session.commit()
    return click


def add_conversion(source_id: int, at: datetime, **fields) -> Conversion:
    n = next(ids)
    duplicate = fields.get("attribution") == "duplicate"
    values = {
        "attribution": "matched",
        "event_type": "ftd",
        "status": "approved",
        "payout_amount": Decimal("10.5"),
        "payout_currency": "USD",
        "raw_request": {},
        "dedupe_key": None if duplicate else f"k{n}",
        **fields,
    }
    conversion = Conversion(source_id=source_id, received_at=at, updated_at=at, **values)
    db.session.add(conversion)
    db.session.commit()
    return conversion


def hours_ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


@pytest.fixture
def two_sources(app) -> list[int]:
    return [add_source(), add_source()]


# Behaviour --------------------------------------------------------------------------------


def test_figures_are_exact_before_any_roll_up(two_sources):
    a, b = two_sources
    add_click(a, hours_ago(0.1))
    add_click(b, hours_ago(30))
    add_conversion(a, hours_ago(2.5), payout_amount=Decimal("3.25"))
    add_conversion(b, hours_ago(100), status="pending", payout_currency="EUR")
    assert_exact(two_sources)


def test_figures_are_exact_from_rolled_up_hours(two_sources):
    a, b = two_sources
    for hours in (0.2, 1.5, 5, 23.9, 24.1, 50, 167.9):
        add_click(a, hours_ago(hours))
        add_conversion(b, hours_ago(hours), gross_amount=Decimal("99.99"), gross_currency="GBP")
    assert rollups.roll_up(NOW) > 0
    assert db.session.scalar(select(func.count()).select_from(ConversionRollup)) > 0
    assert_exact(two_sources)


def test_the_current_hour_stays_dirty_after_a_roll_up(two_sources):
    a, _ = two_sources
    add_click(a, NOW - timedelta(minutes=1))
    add_click(a, hours_ago(3))
    rollups.roll_up(NOW)
    left = db.session.scalars(select(DirtyHour.bucket)).all()
    assert left == [rollups.hour_of(NOW)]


def test_a_status_change_in_a_rolled_up_hour_counts_at_once(two_sources):
    a, _ = two_sources
    conversion = add_conversion(a, hours_ago(10), status="pending")
    rollups.roll_up(NOW)
    conversion.status = "rejected"
    db.session.commit()
    assert stats.compute("24h", now=NOW).conversions == 0
    rollups.roll_up(NOW)
    assert_exact(two_sources)


def test_a_remap_in_a_rolled_up_hour_counts_at_once(two_sources):
    a, _ = two_sources
    conversion = add_conversion(a, hours_ago(10), event_type="unknown")
    rollups.roll_up(NOW)
    conversion.event_type = "registration"
    conversion.payout_amount = Decimal("1.000001")
    db.session.commit()
    assert stats.compute("24h", now=NOW).events["registration"] == 1
    assert_exact(two_sources)


def test_a_click_imported_late_into_a_rolled_up_hour_counts_at_once(two_sources):
    a, _ = two_sources
    add_click(a, hours_ago(30))
    rollups.roll_up(NOW)
    add_click(None, hours_ago(30))
    assert stats.compute("7d", now=NOW).clicks == 2
    assert_exact(two_sources)


def test_bookkeeping_updates_do_not_dirty_an_hour(two_sources):
    a, _ = two_sources
    conversion = add_conversion(a, hours_ago(10))
    rollups.roll_up(NOW)
    db.session.execute(
        update(Conversion)
        .where(Conversion.id == conversion.id)
        .values(dispatch_pending=False, revision=3, parse_notes=["x"])
    )
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(DirtyHour)) == 0


def test_deleting_a_source_takes_its_rollups_with_it(two_sources):
    a, b = two_sources
    add_click(a, hours_ago(5))
    add_conversion(a, hours_ago(5))
    add_conversion(b, hours_ago(5))
    rollups.roll_up(NOW)
    db.session.execute(delete(Source).where(Source.id == a))
    db.session.commit()
    assert stats.compute("24h", now=NOW).conversions == 1
    assert_exact([b])


def test_concurrent_roll_ups_never_count_an_hour_twice(two_sources):
    a, _ = two_sources
    add_conversion(a, hours_ago(5))
    db.session.add(DirtyHour(kind="conversions", bucket=rollups.hour_of(hours_ago(5))))
    db.session.commit()
    rollups.roll_up(NOW)
    rollups.roll_up(NOW)
    assert db.session.scalar(select(func.count()).select_from(ConversionRollup)) == 1
    assert_exact(two_sources)


def test_rebuild_recomputes_every_hour_from_raw_rows(two_sources):
    a, b = two_sources
    add_click(a, hours_ago(40))
    add_conversion(b, hours_ago(70))
    rollups.roll_up(NOW)
    db.session.execute(update(ClickRollup).values(clicks=1000))
    db.session.commit()
    assert rollups.rebuild(NOW) == 2
    assert_exact(two_sources)


@RANDOM_HISTORIES
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["click", "conversion", "change", "roll_up"]),
            st.integers(min_value=0, max_value=1),
            st.floats(min_value=0, max_value=200),
            st.sampled_from(["approved", "pending", "rejected"]),
            st.sampled_from([None, "USD", "EUR"]),
            st.sampled_from([None, Decimal("0.000001"), Decimal("12.5"), Decimal("-3")]),
            st.sampled_from(["matched", "unmatched", "duplicate"]),
            st.sampled_from(["ftd", "registration", "unknown"]),
        ),
        max_size=25,
    ),
    minutes=st.integers(min_value=0, max_value=600),
)
def test_any_history_reads_the_same_as_a_raw_aggregate(two_sources, rows, minutes):
    """Rows in any hour, status changes of any of them, roll-ups at any point, read at
    any later moment."""
    made: list[Conversion] = []
    for op, which, hours, status, currency, amount, attribution, event in rows:
        source_id = two_sources[which]
        at = hours_ago(hours)
        if op == "click":
            add_click(source_id if attribution != "unmatched" else None, at)
        elif op == "conversion":
            made.append(
                add_conversion(
                    source_id,
                    at,
                    status=status,
                    payout_currency=currency,
                    payout_amount=amount,
                    gross_amount=amount,
                    gross_currency=currency,
                    attribution=attribution,
                    event_type=event,
                )
            )
        elif op == "change" and made:
            made[int(hours) % len(made)].status = status
            db.session.commit()
        else:
            rollups.roll_up(NOW)
    assert_exact(two_sources, NOW + timedelta(minutes=minutes))
    empty_stats_tables()


# Retention --------------------------------------------------------------------------------


def test_pruning_deletes_only_clicks_older_than_the_retention(two_sources):
    a, _ = two_sources
    old, kept = add_click(a, NOW - timedelta(days=40)).id, add_click(a, NOW - timedelta(days=20)).id
    result = rollups.prune_clicks(30, now=NOW, batch=100)
    assert result.clicks == 1
    assert db.session.scalars(select(Click.id)).all() == [kept]
    assert old != kept


def test_pruned_hours_keep_counting_in_old_windows(two_sources):
    a, _ = two_sources
    for days in (40, 39.5, 35):
        add_click(a, NOW - timedelta(days=days))
        add_conversion(a, NOW - timedelta(days=days))
    then = rollups.hour_of(NOW - timedelta(days=34))
    before = stats.compute("7d", now=then)
    assert before.clicks == 3
    rollups.prune_clicks(30, now=NOW)
    assert db.session.scalar(select(func.count()).select_from(Click)) == 0
    assert stats.compute("7d", now=then) == before


def test_a_click_landing_in_a_pruned_hour_is_not_logged(two_sources):
    a, _ = two_sources
    rollups.prune_clicks(30, now=NOW)
    add_click(a, NOW - timedelta(days=45))
    assert db.session.scalar(select(func.count()).select_from(DirtyHour)) == 0


def test_pruning_goes_in_batches(two_sources):
    a, _ = two_sources
    for n in range(7):
        add_click(a, NOW - timedelta(days=40, minutes=n))
    seen = []
    result = rollups.prune_clicks(30, now=NOW, batch=3, progress=seen.append)
    assert (result.clicks, result.batches, seen) == (7, 3, [3, 3, 1])


def test_pruning_stops_at_its_time_budget_and_resumes(two_sources):
    a, _ = two_sources
    for n in range(4):
        add_click(a, NOW - timedelta(days=40, minutes=n))
    rollups.catch_up(NOW)
    first = rollups.prune_clicks(30, now=NOW, batch=2, max_seconds=0)
    assert (first.clicks, first.finished) == (2, False)
    assert rollups.prune_clicks(30, now=NOW, batch=2).clicks == 2


def test_pruning_is_refused_below_the_longest_attribution_window(two_sources):
    add_source(window_days=60)
    with pytest.raises(rollups.RetentionRefused, match="60 days"):
        rollups.prune_clicks(30, now=NOW)


def test_the_freeze_mark_only_moves_forward(two_sources):
    rollups.prune_clicks(30, now=NOW)
    rollups.prune_clicks(30, now=NOW - timedelta(days=5))
    mark = db.session.get(StatsState, rollups.FROZEN).value
    assert mark == rollups.hour_of(NOW - timedelta(days=30))


@pytest.mark.parametrize("database_uri", ["postgresql"], indirect=True)
def test_a_write_committed_while_its_hour_is_recomputed_keeps_the_hour_dirty(
    app, two_sources, monkeypatch
):
    """The race an append-only log must survive: another transaction commits a row into
    an hour between the roll-up's recompute and its commit. (PostgreSQL only: SQLite
    runs one writer at a time, so the other write waits for the roll-up.)"""
    a, _ = two_sources
    hour = hours_ago(3)
    add_conversion(a, hour)
    recompute = rollups._recompute_conversions

    def recompute_then_race(bucket):
        recompute(bucket)
        with ThreadPoolExecutor(1) as pool:
            pool.submit(write_elsewhere).result()

    def write_elsewhere():
        with app.app_context():
            add_conversion(a, hour + timedelta(minutes=5))
            db.session.remove()

    monkeypatch.setattr(rollups, "_recompute_conversions", recompute_then_race)
    rollups.roll_up(NOW)
    monkeypatch.setattr(rollups, "_recompute_conversions", recompute)
    db.session.expire_all()
    assert stats.compute("24h", now=NOW).conversions == 2
    rollups.roll_up(NOW)
    assert db.session.scalar(select(func.count()).select_from(DirtyHour)) == 0
    assert_exact(two_sources)


# Scheduling, command line, upgrade ---------------------------------------------------------


def test_the_periodic_round_rolls_up_and_queues_pruning_once_an_hour(app, two_sources, monkeypatch):
    from app.jobs import stats as stats_jobs

    queued = []
    monkeypatch.setattr(stats_jobs, "enqueue", queued.append)
    add_conversion(two_sources[0], rollups.hour_of(datetime.now(UTC)) - timedelta(hours=2))
    first, second = stats_jobs.schedule(), stats_jobs.schedule()
    assert first == {"hours_rolled_up": 1, "prune_queued": 1}
    assert second == {"hours_rolled_up": 0, "prune_queued": 0}
    assert queued == [stats_jobs.PRUNE_JOB]


def test_the_pruning_job_prunes_with_the_configured_retention(app, two_sources):
    from app.jobs import stats as stats_jobs

    add_click(two_sources[0], datetime.now(UTC) - timedelta(days=91))
    add_click(two_sources[0], datetime.now(UTC) - timedelta(days=89))
    assert stats_jobs.prune_clicks() == 1


def test_the_pruning_job_refuses_and_says_why(app, two_sources, caplog):
    from app.jobs import stats as stats_jobs

    add_source(window_days=120)
    add_click(two_sources[0], datetime.now(UTC) - timedelta(days=100))
    assert stats_jobs.prune_clicks() is None
    assert "longest attribution window of a source (120 days)" in caplog.text
    assert db.session.scalar(select(func.count()).select_from(Click)) == 1


def test_cli_rolls_up_prunes_and_reports(app, runner, two_sources):
    add_click(two_sources[0], datetime.now(UTC) - timedelta(days=100))
    add_conversion(two_sources[1], datetime.now(UTC) - timedelta(days=2))
    assert '"dirty_hours": 2' in runner.invoke(args=["stats", "status"]).output
    rolled = runner.invoke(args=["stats", "rollup"])
    assert rolled.exit_code == 0 and "2 hours rolled up" in rolled.output
    pruned = runner.invoke(args=["stats", "prune"])
    assert pruned.exit_code == 0 and "1 clicks older than" in pruned.output
    status = runner.invoke(args=["stats", "status"]).output
    assert '"dirty_hours": 0' in status and '"click_retention_days": 90' in status


def test_cli_prune_refuses_below_the_longest_window(app, runner, two_sources):
    add_source(window_days=365)
    result = runner.invoke(args=["stats", "prune"])
    assert result.exit_code == 1 and "365 days" in result.output


def test_upgrading_logs_every_hour_that_already_holds_rows(fresh_database):
    from flask_migrate import upgrade

    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database, "TESTING": True})
    with app.app_context():
        upgrade(revision="0005")
        with db.engine.begin() as connection:
            source_id = insert_old_source(connection, NOW)
            connection.execute(
                Click.__table__.insert(),
                [
                    {
                        "source_id": source_id,
                        "click_id": f"c{n}",
                        "origin": "track",
                        "clicked_at": NOW - timedelta(hours=n),
                    }
                    for n in (1, 1, 5)
                ],
            )
        upgrade()
        hours = db.session.scalars(select(DirtyHour.bucket).order_by(DirtyHour.bucket)).all()
        assert hours == [
            rollups.hour_of(NOW - timedelta(hours=5)),
            rollups.hour_of(NOW - timedelta(hours=1)),
        ]
        rollups.catch_up(NOW)
        assert stats.compute("24h", now=NOW).clicks == 3
        db.session.remove()
        db.engine.dispose()


def test_pruning_rolls_up_waiting_old_hours_first_within_its_time_budget(two_sources):
    a, _ = two_sources
    add_click(a, NOW - timedelta(days=40))
    waiting = rollups.prune_clicks(30, now=NOW, max_seconds=0)
    assert (waiting.clicks, waiting.finished) == (0, False)
    assert rollups.frozen_before() is None
    done = rollups.prune_clicks(30, now=NOW)
    assert (done.clicks, done.finished) == (1, True)
    then = rollups.hour_of(NOW - timedelta(days=39))
    assert stats.compute("7d", now=then).clicks == 1


def test_rebuild_forgets_rollups_of_hours_whose_rows_are_gone(two_sources):
    a, _ = two_sources
    add_conversion(a, hours_ago(30))
    rollups.roll_up(NOW)
    db.session.execute(delete(Conversion))
    db.session.execute(delete(DirtyHour))
    db.session.commit()
    rollups.rebuild(NOW)
    assert db.session.scalar(select(func.count()).select_from(ConversionRollup)) == 0


def test_hours_are_utc_hours_whatever_the_offset_given():
    from datetime import timezone

    india = datetime(2026, 11, 20, 20, 10, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert rollups.hour_of(india) == datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize("database_uri", ["postgresql"], indirect=True)
def test_a_big_update_after_a_one_row_update_stays_fast(two_sources):
    """PL/pgSQL keeps the trigger's plan from its first firing on a connection; one made
    for a single row once joined a later 20,000-row update in a nested loop (44 s)."""
    a, _ = two_sources
    db.session.execute(
        text(
            "INSERT INTO conversions (source_id, received_at, updated_at, attribution, "
            "event_type, status, raw_request, parse_notes) SELECT :source, "
            "now() - make_interval(mins => i), now(), 'unmatched', 'ftd', 'approved', "
            "'{}', '[]' FROM generate_series(1, 8000) AS i"
        ),
        {"source": a},
    )
    db.session.commit()
    first = db.session.scalar(select(func.min(Conversion.id)))
    db.session.execute(update(Conversion).where(Conversion.id == first).values(status="pending"))
    started = time.perf_counter()
    db.session.execute(update(Conversion).values(status="rejected"))
    assert time.perf_counter() - started < 2  # a nested loop takes about 7 s here
    db.session.commit()
    assert_exact([a])
