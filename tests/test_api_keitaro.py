"""Keitaro connections, sync and reconciliation over the JSON API."""

from datetime import timedelta

import pytest

from app.models.types import utcnow
from app.queue import get_queue

BASE = "/api/v1/keitaro/connections"


@pytest.fixture
def add(client, admin_headers, fake_keitaro):
    def create(**fields):
        body = {
            "name": "main",
            "url": fake_keitaro.url,
            "api_key": fake_keitaro.api_key,
            "postback_key": fake_keitaro.postback_key,
            "timezone": fake_keitaro.timezone,
            **fields,
        }
        return client.post(BASE, json=body, headers=admin_headers)

    return create


def test_an_admin_adds_a_connection_and_its_keys_come_back_masked(add, fake_keitaro):
    answer = add()
    assert answer.status_code == 201
    body = answer.get_json()
    assert body["api_key"].endswith("…") and fake_keitaro.api_key not in answer.get_data(True)
    assert fake_keitaro.postback_key not in answer.get_data(True)
    assert (body["timezone"], body["default"]) == ("Europe/Moscow", True)


def test_an_operator_may_not_add_a_connection(client, operator_headers, fake_keitaro):
    body = {"name": "x", "url": fake_keitaro.url, "api_key": "k"}
    assert client.post(BASE, json=body, headers=operator_headers).status_code == 403


def test_an_operator_lists_connections_without_keys(add, client, operator_headers, fake_keitaro):
    add()
    answer = client.get(BASE, headers=operator_headers)
    assert [c["name"] for c in answer.get_json()["items"]] == ["main"]
    assert fake_keitaro.api_key not in answer.get_data(True)


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"url": "ftp://t.example"}, "url"), ({"api_key": ""}, "api_key"), ({"name": ""}, "name")],
)
def test_a_bad_connection_is_refused_with_field_errors(add, fields, field):
    answer = add(**fields)
    assert answer.status_code == 422
    assert field in answer.get_json()["error"]["fields"]


@pytest.mark.parametrize("url", ["https://t.example/?sub=1", "https://t.example/#top"])
def test_a_tracker_url_with_a_query_or_a_fragment_is_refused(add, url):
    """The Admin API's path goes after the tracker's address: after a query it would
    join the query, and no call would reach the API."""
    answer = add(url=url)
    assert answer.status_code == 422
    assert "without a query or a fragment" in answer.get_json()["error"]["fields"]["url"][0]


def test_an_unknown_timezone_is_refused(add):
    answer = add(timezone="Mars/Olympus")
    assert answer.status_code == 422
    assert "timezone" in answer.get_json()["error"]["fields"]


def test_a_second_connection_with_the_same_name_conflicts(add):
    add()
    assert add().status_code == 409


@pytest.fixture
def private_hosts_refused(app_config):
    app_config["PBHUB_OUTBOUND_ALLOWED_HOSTS"] = ""


def test_a_tracker_on_a_private_address_needs_the_allow_list(private_hosts_refused, add):
    answer = add()
    assert answer.status_code == 422
    assert "PBHUB_OUTBOUND_ALLOWED_HOSTS" in answer.get_json()["error"]["message"]


def test_testing_a_connection_reports_what_the_tracker_said(add, client, admin_headers):
    connection = add().get_json()
    answer = client.post(f"{BASE}/{connection['id']}/test", headers=admin_headers)
    assert answer.get_json() == {"ok": True, "campaigns": 0, "tracker_timezone": "Europe/Moscow"}


def test_a_refused_key_is_a_bad_gateway_with_the_reason(add, client, admin_headers, fake_keitaro):
    connection = add().get_json()
    fake_keitaro.api_key = "rotated-elsewhere"
    answer = client.post(f"{BASE}/{connection['id']}/test", headers=admin_headers)
    assert answer.status_code == 502
    error = answer.get_json()["error"]
    assert error["code"] == "keitaro_unauthorized"
    assert "API key" in error["message"] and "fake-api-key" not in error["message"]


def test_a_timezone_mismatch_is_warned_about(add, client, admin_headers):
    connection = add(timezone="UTC").get_json()
    answer = client.post(f"{BASE}/{connection['id']}/test", headers=admin_headers)
    assert "Europe/Moscow" in answer.get_json()["warning"]


def test_patching_changes_only_what_is_sent(add, client, admin_headers):
    connection = add().get_json()
    answer = client.patch(
        f"{BASE}/{connection['id']}", json={"verify_tls": False}, headers=admin_headers
    )
    assert (answer.get_json()["verify_tls"], answer.get_json()["timezone"]) == (
        False,
        "Europe/Moscow",
    )


def test_sync_now_imports_clicks_and_status_shows_it(
    add, app, client, admin_headers, operator_headers, fake_keitaro
):
    connection = add().get_json()
    fake_keitaro.add_click("api-click", utcnow() - timedelta(minutes=3))
    answer = client.post(f"{BASE}/{connection['id']}/sync", headers=operator_headers)
    assert answer.status_code == 202
    get_queue(app).join()
    status = client.get(f"{BASE}/{connection['id']}/sync", headers=operator_headers).get_json()
    assert status["clicks"]["imported_total"] == 1
    assert status["clicks"]["last_success_at"] and status["metadata"]["refreshed_at"]


def test_forwarding_is_set_up_once(add, client, admin_headers):
    connection = add().get_json()
    first = client.post(f"{BASE}/{connection['id']}/forwarding", headers=admin_headers)
    second = client.post(f"{BASE}/{connection['id']}/forwarding", headers=admin_headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["id"] == second.get_json()["id"]


def test_the_forwarding_of_a_connection_named_as_long_as_allowed_fits_its_name(
    add, client, admin_headers
):
    connection = add(name="K" * 120).get_json()
    answer = client.post(f"{BASE}/{connection['id']}/forwarding", headers=admin_headers)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["name"] == "Keitaro: " + "K" * 111


def test_the_reconciliation_report_is_served(add, client, admin_headers, operator_headers):
    connection = add().get_json()
    client.post(f"{BASE}/{connection['id']}/forwarding", headers=admin_headers)
    answer = client.get(
        f"{BASE}/{connection['id']}/reconcile",
        query_string={"since": "2h"},
        headers=operator_headers,
    )
    body = answer.get_json()
    assert (answer.status_code, body["matches"], body["hub_forwarded"]) == (200, True, 0)


def test_a_bad_reconciliation_window_is_a_field_error(add, client, operator_headers):
    connection = add().get_json()
    answer = client.get(
        f"{BASE}/{connection['id']}/reconcile",
        query_string={"since": "soon"},
        headers=operator_headers,
    )
    assert answer.status_code == 422
    assert "since" in answer.get_json()["error"]["fields"]


def test_removing_a_connection_reports_the_clicks_that_went_with_it(add, client, admin_headers):
    connection = add().get_json()
    answer = client.delete(f"{BASE}/{connection['id']}", headers=admin_headers)
    assert answer.get_json() == {"removed": True, "imported_clicks_removed": 0}
    assert client.delete(f"{BASE}/{connection['id']}", headers=admin_headers).status_code == 404


@pytest.fixture
def browser_agent(app_config):
    app_config["PBHUB_KEITARO_USER_AGENT"] = "Mozilla/5.0 (compatible; ops)"


def test_the_user_agent_is_configurable_for_cloudflare_fronted_trackers(
    browser_agent, add, client, admin_headers, fake_keitaro
):
    connection = add().get_json()
    client.post(f"{BASE}/{connection['id']}/test", headers=admin_headers)
    assert fake_keitaro.requests[-1].headers["User-Agent"] == "Mozilla/5.0 (compatible; ops)"


def test_moving_a_connection_to_another_host_needs_the_api_key_again(
    add, client, admin_headers, fake_keitaro
):
    connection = add().get_json()
    moved = {"url": "http://localhost:9/"}
    answer = client.patch(f"{BASE}/{connection['id']}", json=moved, headers=admin_headers)
    assert answer.status_code == 422
    assert "api_key" in answer.get_json()["error"]["fields"]
    rekeyed = {**moved, "api_key": "new-key"}
    answer = client.patch(f"{BASE}/{connection['id']}", json=rekeyed, headers=admin_headers)
    assert answer.status_code == 200


def test_the_same_host_with_the_api_path_needs_no_key(add, client, admin_headers, fake_keitaro):
    connection = add().get_json()
    same = {"url": fake_keitaro.url + "/admin_api/v1"}
    answer = client.patch(f"{BASE}/{connection['id']}", json=same, headers=admin_headers)
    assert answer.status_code == 200


def test_a_tracker_that_now_resolves_privately_is_refused_at_call_time(
    add, app, client, admin_headers, fake_keitaro
):
    import dataclasses

    from app.outbound.ssrf import parse_allowed

    connection = add().get_json()
    settings = app.extensions["pbhub.delivery"]
    app.extensions["pbhub.delivery"] = dataclasses.replace(settings, allowed=parse_allowed(""))
    answer = client.post(f"{BASE}/{connection['id']}/test", headers=admin_headers)
    assert answer.status_code == 502
    assert "PBHUB_OUTBOUND_ALLOWED_HOSTS" in answer.get_json()["error"]["message"]
    assert fake_keitaro.requests == []
