"""Stats reads can go to a read replica (``PBHUB_STATS_DATABASE_URL``); writes never do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine

from app import create_app
from app.config import ConfigError, stats_database_uri
from app.extensions import db
from app.models.types import utcnow
from app.services import stats


@pytest.fixture
def replica(fresh_database):
    """A second database standing in for a replica: same schema, its own rows."""
    engine = create_engine(fresh_database)
    db.metadata.create_all(engine)
    yield fresh_database, engine
    engine.dispose()


@pytest.mark.parametrize("database_uri", ["postgresql"], indirect=True)
def test_stats_read_through_the_replica_and_writes_stay_on_the_primary(
    app, app_config, replica, make_source, client
):
    url, engine = replica
    source = make_source()
    client.get(source["postback_path"], query_string={"transaction_id": "on-primary"})
    routed = create_app({**app_config, "PBHUB_STATS_DATABASE_URL": url})
    with routed.app_context():
        assert stats.compute("1h").conversions == 0  # the replica has no rows yet
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO sources (id, public_id, name, field_map, event_map, status_map, "
                "attribution_window_days, state, token_digest, token_ciphertext, created_at, "
                "updated_at) VALUES (1, 'p', 'n', '{}', '{}', '{}', 30, 'active', 'd', 'x', "
                "now(), now())"
            )
            connection.exec_driver_sql(
                "INSERT INTO conversions (source_id, received_at, updated_at, attribution, "
                "event_type, status, revision, dispatch_pending, parse_notes, raw_request) "
                "VALUES (1, now(), now(), 'matched', 'ftd', 'approved', 0, false, '[]', '{}')"
            )
        assert stats.compute("1h").conversions == 1
        assert stats.compute("1h", now=utcnow() + timedelta(minutes=1)).events["ftd"] == 1
        db.session.remove()
        routed.extensions["pbhub.stats_engine"].dispose()


def test_a_replica_url_must_be_postgresql():
    assert stats_database_uri({}) is None
    assert stats_database_uri({"PBHUB_STATS_DATABASE_URL": "postgres://r/hub"}).startswith(
        "postgresql+psycopg://"
    )
    with pytest.raises(ConfigError, match="PBHUB_STATS_DATABASE_URL"):
        stats_database_uri({"PBHUB_STATS_DATABASE_URL": "sqlite:///x"})
