"""The migrations build exactly the schema the models describe, on every backend."""

from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect

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
