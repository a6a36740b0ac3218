"""The root page, the health check and proxy handling."""

import pytest

from app import create_app
from app.extensions import db
from app.version import VERSION


def test_health_answers_200_while_the_database_answers(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert (answer.get_json()["database"], answer.get_json()["version"]) == ("up", VERSION)


def test_health_answers_503_when_the_database_does_not(client, database_fails):
    with database_fails("SELECT 1"):
        answer = client.get("/healthz")
    assert answer.status_code == 503


def test_the_root_page_points_at_the_api(client):
    answer = client.get("/").get_json()
    assert (answer["openapi"], answer["docs"]) == ("/api/v1/openapi.json", "/api/docs")


@pytest.mark.parametrize(("trusted_hops", "stored_address"), [(1, "198.51.100.7"), (0, "10.0.0.2")])
def test_forwarded_addresses_are_believed_only_from_trusted_proxies(
    app_config, source, trusted_hops, stored_address
):
    from app.models import Conversion

    client = create_app({**app_config, "PBHUB_TRUSTED_PROXIES": trusted_hops}).test_client()
    answer = client.get(
        source["postback_path"] + "?transaction_id=px",
        headers={"X-Forwarded-For": "198.51.100.7"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    conversion = db.session.get(Conversion, answer.get_json()["conversion_id"])
    assert conversion.raw_request["remote_addr"] == stored_address
