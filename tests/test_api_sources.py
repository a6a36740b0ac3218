"""Sources over the JSON API."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Source


def test_creating_a_source_returns_the_token_and_urls_once(client, operator_headers):
    answer = client.post("/api/v1/sources", json={"name": "Alpha"}, headers=operator_headers)
    assert answer.status_code == 201
    body = answer.get_json()
    assert len(body["inbound_token"]) >= 43
    assert body["postback_url"] == "http://hub.test/pb/" + body["inbound_token"]
    assert body["track_url"] == "http://hub.test/t/" + body["public_id"]
    again = client.get(f"/api/v1/sources/{body['id']}", headers=operator_headers).get_json()
    assert "inbound_token" not in again and "postback_url" not in again


def test_the_inbound_token_is_stored_hashed_and_encrypted(client, source):
    row = db.session.scalars(select(Source)).one()
    assert source["inbound_token"] not in (row.token_digest + row.token_ciphertext)


def test_the_postback_url_can_be_shown_again(client, source, operator_headers):
    answer = client.get(f"/api/v1/sources/{source['id']}/postback-url", headers=operator_headers)
    assert answer.get_json()["postback_url"] == source["postback_url"]
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_new_source_gets_the_default_field_map_under_its_own_entries(make_source):
    source = make_source(field_map={"click_id": "subid", "external_user_id": ""})
    assert source["field_map"]["click_id"] == "subid"
    assert source["field_map"]["external_user_id"] == ""
    assert source["field_map"]["transaction_id"] == "transaction_id"


def test_invalid_fields_answer_422_naming_each_field(client, operator_headers):
    answer = client.post(
        "/api/v1/sources",
        json={
            "name": "",
            "default_currency": "dollars",
            "event_map": {"dep": "purchase"},
            "attribution_window_days": 0,
            "offer_url": "javascript:alert(1)",
            "field_map": {"nonsense": "x"},
        },
        headers=operator_headers,
    )
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {
        "name",
        "default_currency",
        "event_map",
        "attribution_window_days",
        "offer_url",
        "field_map",
    }


def test_a_body_that_is_not_a_json_object_answers_422(client, operator_headers):
    answer = client.post(
        "/api/v1/sources", data="[1]", content_type="application/json", headers=operator_headers
    )
    assert answer.status_code == 422


@pytest.mark.parametrize("kind", ["sources", "outbound-postbacks"])
def test_a_name_with_capitals_beyond_ascii_taken_again_is_a_conflict(
    client, operator_headers, kind
):
    """The database's lower() may leave Â as it is where Python's folds it: the same name
    twice is still a conflict, not a refused statement."""
    body = {"name": "Âgence Ωmega", "url_template": "https://crm.example/hook"}
    if kind == "sources":
        body.pop("url_template")
    first = client.post(f"/api/v1/{kind}", json=body, headers=operator_headers)
    second = client.post(f"/api/v1/{kind}", json=body, headers=operator_headers)
    assert (first.status_code, second.status_code) == (201, 409), second.get_json()


def test_names_are_unique_ignoring_case(client, source, operator_headers):
    answer = client.post(
        "/api/v1/sources", json={"name": source["name"].upper()}, headers=operator_headers
    )
    assert answer.status_code == 409
    assert answer.get_json()["error"]["fields"] == {
        "name": ["name is already taken by another source."]
    }


def test_update_changes_only_the_given_fields(client, source, operator_headers):
    answer = client.patch(
        f"/api/v1/sources/{source['id']}",
        json={"rate_limit_per_minute": 10},
        headers=operator_headers,
    )
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["rate_limit_per_minute"] == 10
    assert body["event_map"] == source["event_map"] and body["name"] == source["name"]


def test_pause_and_resume(client, source, operator_headers):
    paused = client.post(f"/api/v1/sources/{source['id']}/pause", headers=operator_headers)
    assert paused.get_json()["state"] == "paused"
    resumed = client.post(f"/api/v1/sources/{source['id']}/resume", headers=operator_headers)
    assert resumed.get_json()["state"] == "active"


def test_list_returns_every_source(client, make_source, operator_headers):
    make_source(name="b"), make_source(name="a")
    names = [
        s["name"]
        for s in client.get("/api/v1/sources", headers=operator_headers).get_json()["items"]
    ]
    assert names == ["a", "b"]


def test_delete_is_refused_while_conversions_exist_unless_archived(client, source, admin_headers):
    client.get(source["postback_path"] + "?transaction_id=1")
    path = f"/api/v1/sources/{source['id']}"
    refused = client.delete(path, headers=admin_headers)
    assert refused.status_code == 409
    client.patch(path, json={"state": "archived"}, headers=admin_headers)
    assert client.delete(path, headers=admin_headers).status_code == 204
    assert client.get(path, headers=admin_headers).status_code == 404


def test_an_unknown_source_answers_404_in_the_error_shape(client, operator_headers):
    answer = client.get("/api/v1/sources/999", headers=operator_headers)
    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "not_found"


def test_patching_the_field_map_merges_it_into_the_stored_one(client, source, operator_headers):
    answer = client.patch(
        f"/api/v1/sources/{source['id']}",
        json={"field_map": {"click_id": "subid", "external_user_id": ""}},
        headers=operator_headers,
    )
    field_map = answer.get_json()["field_map"]
    assert field_map["click_id"] == "subid" and field_map["external_user_id"] == ""
    assert field_map["payout_amount"] == source["field_map"]["payout_amount"]


def test_patching_the_event_map_replaces_it(client, source, operator_headers):
    answer = client.patch(
        f"/api/v1/sources/{source['id']}",
        json={"event_map": {"sale": "cpa"}},
        headers=operator_headers,
    )
    assert answer.get_json()["event_map"] == {"sale": "cpa"}


def test_the_create_answer_is_never_cached(client, operator_headers):
    answer = client.post("/api/v1/sources", json={"name": "Z"}, headers=operator_headers)
    assert answer.headers["Cache-Control"] == "no-store"
