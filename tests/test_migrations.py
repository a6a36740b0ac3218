"""The migrations build exactly the schema the models describe, on every backend."""

import json
from datetime import UTC, datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, Table, create_engine, inspect, text

from app import create_app
from app.extensions import db
from tests.conftest import insert_old_source


def old_conversion(source_id: int, now: datetime, **fields: object) -> dict:
    """A conversion row as a schema below head holds it."""
    return {
        "source_id": source_id,
        "received_at": now,
        "updated_at": now,
        "attribution": "matched",
        "event_type": "ftd",
        "status": "approved",
        "parse_notes": [],
        "raw_request": {},
        **fields,
    }


def test_migrations_upgrade_a_fresh_database_to_the_models_schema(fresh_database):
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database, "TESTING": True})
    with app.app_context():
        upgrade()
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext

        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        db.engine.dispose()
    engine = create_engine(fresh_database)
    assert "conversions" in inspect(engine).get_table_names()
    engine.dispose()


def test_the_upgrade_keeps_what_each_existing_conversion_owes(fresh_database):
    """Planned conversions stay planned, flagged ones owe their current revision only."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database, "TESTING": True})
    with app.app_context():
        upgrade(revision="0007")
        now = datetime.now(UTC)
        with db.engine.begin() as connection:
            tables = MetaData()
            conversions = Table("conversions", tables, autoload_with=connection)
            source_id = insert_old_source(connection, now)
            connection.execute(
                conversions.insert(),
                [
                    old_conversion(
                        source_id, now, id=id_, revision=revision, dispatch_pending=flagged
                    )
                    for id_, revision, flagged in (
                        (1, 0, False),
                        (2, 0, True),
                        (3, 2, False),
                        (4, 2, True),
                    )
                ],
            )
        upgrade()
        with db.engine.begin() as connection:
            planned = connection.execute(
                text("SELECT id, planned_revision FROM conversions ORDER BY id")
            ).all()
            connection.execute(
                text(
                    "INSERT INTO conversions (id, source_id, received_at, updated_at, attribution,"
                    " event_type, status, parse_notes, raw_request) VALUES"
                    " (5, :source, :now, :now, 'matched', 'ftd', 'approved', '[]', '{}')"
                ),
                {"source": source_id, "now": now},
            )
            new = connection.scalar(text("SELECT planned_revision FROM conversions WHERE id = 5"))
        db.engine.dispose()
    assert [tuple(row) for row in planned] == [(1, 0), (2, -1), (3, 2), (4, 1)]
    assert new == -1


TOKEN = "Secr3tTokenValue-0123456789abcdefghijklmnopqrstu"


def test_the_upgrade_masks_every_token_parameter_stored_before(fresh_database):
    """Tokens that earlier versions kept whole (in bodies, headers, the rejection log)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database, "TESTING": True})
    with app.app_context():
        upgrade(revision="0008")
        now = datetime.now(UTC)
        with db.engine.begin() as connection:
            tables = MetaData()
            conversions = Table("conversions", tables, autoload_with=connection)
            rejected = Table("rejected_postbacks", tables, autoload_with=connection)
            source_id = insert_old_source(connection, now)
            requests = [
                {"query": {"_pbtoken": TOKEN[:4] + "…"}, "body": f"tx=1&_pbtoken={TOKEN}"},
                {"query": {}, "body": json.dumps({"_pbtoken": TOKEN, "tx": "2"})},
                {"query": {"tx": "3"}, "body": "", "headers": {"Referer": f"?_pbtoken={TOKEN}"}},
                {"query": {"tx": "4"}, "body": "untouched", "path": "/pb/abcd…"},
                {"query": {}, "body": "", "headers": {"Referer": f"https://x.test/pb/{TOKEN}"}},
            ]
            connection.execute(
                conversions.insert(),
                [old_conversion(source_id, now, raw_request=raw) for raw in requests],
            )
            connection.execute(
                rejected.insert().values(
                    received_at=now,
                    reason="unknown token",
                    method="GET",
                    excerpt=f"GET /pb?_pbtoken=bogus&_pbtoken={TOKEN}",
                )
            )
        upgrade()
        with db.engine.begin() as connection:
            stored = [
                json.loads(raw) if isinstance(raw, str) else raw
                for raw in connection.scalars(
                    text("SELECT raw_request FROM conversions ORDER BY id")
                )
            ]
            excerpt = connection.scalar(text("SELECT excerpt FROM rejected_postbacks"))
        db.engine.dispose()
    assert TOKEN not in json.dumps(stored) + excerpt
    assert stored[0]["body"] == f"tx=1&_pbtoken={TOKEN[:4]}…"
    assert stored[3] == requests[3]
    assert excerpt == f"GET /pb?_pbtoken=bogu…&_pbtoken={TOKEN[:4]}…"


def rollup_row(source_id: int, hour: datetime, country: str | None, **fields: object) -> dict:
    """A row of 0011's conversions rollup, which was kept per country as well."""
    return {
        "bucket": hour,
        "source_id": source_id,
        "event_type": "ftd",
        "status": "approved",
        "payout_currency": "USD",
        "gross_currency": None,
        "country": country,
        "conversions": 1,
        "payout_count": 1,
        "payout_units": 10,
        "payout_micros": 500_000,
        "gross_count": 0,
        "gross_units": 0,
        "gross_micros": 0,
        **fields,
    }


def rollups_at_0011(fresh_database: str, rows) -> object:
    """An app whose database stands at 0011 with ``rows(source_id, hour)`` rolled up."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database, "TESTING": True})
    with app.app_context():
        upgrade(revision="0011")
        hour = datetime(2026, 12, 1, 10, tzinfo=UTC)
        with db.engine.begin() as connection:
            rollup = Table("stats_conversions_hourly", MetaData(), autoload_with=connection)
            source_id = insert_old_source(connection, hour)
            connection.execute(rollup.insert(), rows(source_id, hour))
    return app


def rows_after_upgrade(app, query: str) -> list[tuple]:
    """What ``query`` reads once the database is upgraded to the newest revision."""
    with app.app_context():
        upgrade()
        with db.engine.begin() as connection:
            rows = [tuple(row) for row in connection.execute(text(query))]
        db.engine.dispose()
    return rows


def test_the_upgrade_sums_the_totals_rollup_down_to_one_row_per_key(fresh_database):
    app = rollups_at_0011(
        fresh_database,
        lambda source, hour: [rollup_row(source, hour, c) for c in ("DE", "FR", None)],
    )
    rows = rows_after_upgrade(
        app, "SELECT conversions, payout_units, payout_micros FROM stats_conversions_hourly"
    )
    assert rows == [(3, 30, 1_500_000)]


def test_the_upgrade_fills_the_country_rollup_with_counted_conversions(fresh_database):
    app = rollups_at_0011(
        fresh_database,
        lambda source, hour: [
            rollup_row(source, hour, "DE"),
            rollup_row(source, hour, "DE", event_type="registration"),
            rollup_row(source, hour, "FR", status="rejected"),
            rollup_row(source, hour, None, status="pending"),
        ],
    )
    rows = rows_after_upgrade(
        app, "SELECT country, status, conversions, payout_units FROM stats_countries_hourly"
    )
    assert sorted(rows, key=str) == [
        ("DE", "approved", 2, 20),
        (None, "pending", 1, 10),
    ]


def test_a_downgrade_to_0011_rolls_every_conversion_hour_up_anew(fresh_database):
    app = rollups_at_0011(fresh_database, lambda source, hour: [rollup_row(source, hour, "DE")])
    with app.app_context():
        upgrade()
        downgrade(revision="0011")
        with db.engine.begin() as connection:
            dirty = connection.execute(text("SELECT kind FROM stats_dirty")).scalars().all()
            tables = inspect(connection).get_table_names()
        db.engine.dispose()
    assert dirty == ["conversions"]
    assert "stats_countries_hourly" not in tables


def trigger_settings(connection) -> dict[str, list[str]]:
    rows = connection.execute(
        text("SELECT proname, proconfig FROM pg_proc WHERE proname LIKE 'pbhub_stats_%'")
    ).all()
    return {name: sorted(config or []) for name, config in rows}


@pytest.mark.parametrize("database_uri", ["postgresql"], indirect=True)
def test_the_upgrade_plans_the_stats_triggers_without_jit_or_nested_loops(fresh_database):
    """A plan kept from one statement's size must suit the next one's (migration 0013)."""
    planned = ["enable_nestloop=off", "jit=off"]
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database, "TESTING": True})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            assert trigger_settings(connection) == {
                "pbhub_stats_clicks_changed": planned,
                "pbhub_stats_conversions_changed": planned,
            }
        downgrade(revision="0012")
        with db.engine.connect() as connection:
            assert trigger_settings(connection) == {
                "pbhub_stats_clicks_changed": [],
                "pbhub_stats_conversions_changed": [],
            }
        db.engine.dispose()
