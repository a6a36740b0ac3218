"""``pbhub dev seed``: realistic synthetic traffic, written in bulk."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core import cid
from app.extensions import db
from app.models import Click, Conversion, KeitaroConnection, Source, StatusChange
from app.models.types import utcnow
from app.runtime import keyring
from app.services import seed, stats


@pytest.fixture
def seeded(app):
    def run(clicks=2_000, conversions=400, days=3, sources=3):
        plan = seed.Plan(clicks, conversions, days, sources)
        steps = []
        result = seed.seed(plan, keyring(), "http://hub.test", utcnow(), steps.append)
        return result, steps

    return run


def count(*where, model=Conversion):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_it_writes_the_clicks_and_conversions_asked_for(seeded):
    result, steps = seeded()
    assert (result.clicks, result.conversions) == (2_000, 400)
    assert count(model=Click) == 2_000
    assert count(Conversion.attribution != "duplicate") == 400
    assert sum(steps) == 2_400


def test_it_mixes_events_statuses_currencies_attributions_and_origins(seeded):
    seeded()
    distinct = lambda column: set(db.session.scalars(select(column).distinct()))  # noqa: E731
    assert {"registration", "ftd", "deposit"} <= distinct(Conversion.event_type)
    assert distinct(Conversion.status) == {"approved", "pending", "rejected"}
    assert {"USD", "EUR"} <= distinct(Conversion.payout_currency)
    assert {"matched", "unmatched", "duplicate"} <= distinct(Conversion.attribution)
    assert distinct(Click.origin) == {"track", "keitaro"}


def test_duplicates_point_at_their_original_and_hold_no_dedupe_key(seeded):
    result, _ = seeded()
    assert result.duplicates == 20
    duplicate = db.session.scalars(
        select(Conversion).where(Conversion.attribution == "duplicate")
    ).first()
    assert duplicate.dedupe_key is None
    assert db.session.get(Conversion, duplicate.duplicate_of_id).dedupe_key is not None


def test_later_approvals_leave_history(seeded):
    result, _ = seeded()
    assert result.status_changes == count(model=StatusChange) == 24
    change = db.session.scalars(select(StatusChange)).first()
    conversion = db.session.get(Conversion, change.conversion_id)
    assert (conversion.status, conversion.revision) == ("approved", 1)


def test_track_clicks_carry_tokens_that_verify(seeded):
    seeded()
    click = db.session.scalars(select(Click).where(Click.origin == "track")).first()
    token = cid.verify(keyring().click_token, click.click_id)
    assert token is not None and token.source_id == click.source_id


def test_matched_conversions_come_back_on_a_seeded_click(seeded):
    seeded()
    conversion = db.session.scalars(
        select(Conversion).where(Conversion.attribution == "matched")
    ).first()
    assert count(Click.click_id == conversion.click_id, model=Click) == 1
    assert conversion.received_at >= conversion.clicked_at


def test_everything_lies_inside_the_days_asked_for(seeded):
    seeded(days=2)
    oldest = db.session.scalar(select(func.min(Click.clicked_at)))
    assert utcnow() - oldest <= timedelta(days=2, minutes=1)


def test_seeded_conversions_plan_no_deliveries(seeded):
    seeded()
    assert count(Conversion.dispatch_pending.is_(True)) == 0


def test_stats_count_seeded_conversions_like_received_ones(seeded):
    seeded(days=1)
    counted = count(
        Conversion.attribution != "duplicate",
        Conversion.status != "rejected",
        Conversion.received_at >= utcnow() - timedelta(days=7),
    )
    assert stats.compute("7d").conversions == counted


def test_seeding_twice_adds_rows_and_reuses_the_sources(seeded):
    seeded(clicks=100, conversions=10)
    seeded(clicks=100, conversions=10)
    assert count(model=Click) == 200
    assert count(Source.name.like("Seed network %"), model=Source) == 3


def test_the_cli_reports_what_it_wrote(runner):
    result = runner.invoke(args=["dev", "seed", "--clicks", "500", "--conversions", "50"])
    assert result.exit_code == 0, result.output
    assert "500 clicks, 50 conversions" in result.output


def test_seeded_moments_spread_over_the_days_without_piling_up_at_the_end():
    import random
    from datetime import UTC, datetime

    end = datetime(2026, 11, 24, 2, 30, tzinfo=UTC)
    start = end - timedelta(days=10)
    moments = seed._Moments(random.Random(3), start, end)
    drawn = [moments.next() for _ in range(20_000)]
    assert all(start <= at <= end for at in drawn)
    last_hour = sum(at > end - timedelta(hours=1) for at in drawn)
    assert last_hour < 20_000 / (10 * 24) * 3


def test_no_seeded_conversion_piles_up_at_the_moment_of_seeding(app):
    """A pile is many at the last instant. The last minute's share is not the test: at a
    busy hour, postbacks of the hour's clicks crowd it honestly (up to 17 of 2,000)."""
    now = utcnow()
    seed.seed(seed.Plan(2_000, 2_000, 2, 2, 11), keyring(), "http://hub.test", now, lambda _: None)
    assert count(Conversion.received_at >= now - timedelta(seconds=2)) < 5


def test_the_connection_counts_the_clicks_seeded_as_imported_from_it(seeded):
    seeded()
    seeded()
    connection = db.session.scalars(select(KeitaroConnection)).one()
    stored = count(Click.connection_id == connection.id, model=Click)
    assert connection.clicks_imported == stored > 0


def test_seeded_conversions_carry_their_clicks_country(seeded):
    seeded()
    matched = db.session.scalars(select(Conversion).where(Conversion.attribution == "matched"))
    for conversion in matched:
        click = db.session.scalars(select(Click).where(Click.click_id == conversion.click_id)).one()
        assert conversion.country == click.country is not None
    track = db.session.scalars(select(Click).where(Click.origin == "track")).first()
    assert cid.verify(keyring().click_token, track.click_id).country == track.country
