"""The migrations build exactly the schema the models describe, on every backend."""

from datetime import UTC, datetime

from flask_migrate import upgrade
from sqlalchemy import MetaData, Table, create_engine, inspect, text

from app import create_app
from app.extensions import db


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
            sources = Table("sources", tables, autoload_with=connection)
            conversions = Table("conversions", tables, autoload_with=connection)
            source_id = connection.execute(
                sources.insert().values(
                    public_id="s1",
                    name="Network",
                    field_map={},
                    event_map={},
                    status_map={},
                    attribution_window_days=30,
                    state="active",
                    token_digest="d",
                    token_ciphertext="c",
                    created_at=now,
                    updated_at=now,
                )
            ).inserted_primary_key[0]
            connection.execute(
                conversions.insert(),
                [
                    {
                        "id": id_,
                        "source_id": source_id,
                        "received_at": now,
                        "updated_at": now,
                        "attribution": "matched",
                        "event_type": "ftd",
                        "status": "approved",
                        "revision": revision,
                        "dispatch_pending": flagged,
                        "parse_notes": [],
                        "raw_request": {},
                    }
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
