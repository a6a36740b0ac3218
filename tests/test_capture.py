"""Capture: a one-time learn URL keeps the first request and suggests a field map."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import Capture, Conversion
from app.models.types import utcnow

CLICK = "AQAAAZTtpwg9A0Cgrd1LJHLovrsTPtiC6z8r57yvpQXa"


@pytest.fixture
def capture(client, operator_headers, source):
    """Start a capture on ``source``; returns the learn path and a reader of its state."""
    answer = client.post(f"/api/v1/sources/{source['id']}/capture", headers=operator_headers)
    assert answer.status_code == 201
    path = answer.get_json()["learn_url"].removeprefix("http://hub.test")

    class Handle:
        learn_path = path

        @staticmethod
        def state():
            return client.get(
                f"/api/v1/sources/{source['id']}/capture", headers=operator_headers
            ).get_json()

        @staticmethod
        def finalize(body):
            return client.post(
                f"/api/v1/sources/{source['id']}/capture/finalize",
                json=body,
                headers=operator_headers,
            )

    return Handle


def test_a_new_capture_waits_for_its_test_postback(capture):
    assert capture.state()["state"] == "waiting"
    assert capture.state()["params"] == []


def test_the_first_request_is_kept_with_names_values_and_shapes(client, capture):
    query = {"ref": CLICK, "commission": "12.50", "cur": "EUR", "act": "reg"}
    assert client.get(capture.learn_path, query_string=query).status_code == 200
    state = capture.state()
    assert state["state"] == "captured"
    shapes = {p["name"]: (p["value"], p["shape"]) for p in state["params"]}
    assert shapes["ref"] == (CLICK, "click_token")
    assert shapes["commission"] == ("12.50", "decimal")
    assert state["suggested_field_map"]["click_id"] == "ref"
    assert state["suggested_field_map"]["payout_currency"] == "cur"


@pytest.mark.parametrize(
    "send",
    [
        lambda c, p: c.post(p, data={"ref": CLICK}),
        lambda c, p: c.post(p, json={"ref": CLICK}),
        lambda c, p: c.put(p, query_string={"ref": CLICK}),
    ],
)
def test_any_method_and_body_shape_is_captured(client, capture, send):
    assert send(client, capture.learn_path).status_code == 200
    assert capture.state()["params"][0]["name"] == "ref"


def test_later_requests_to_a_used_learn_url_are_refused(client, capture):
    client.get(capture.learn_path, query_string={"a": "1"})
    second = client.get(capture.learn_path, query_string={"b": "2"})
    assert second.status_code == 409
    assert [p["name"] for p in capture.state()["params"]] == ["a"]


def test_an_expired_learn_url_is_refused(client, capture):
    db.session.execute(update(Capture).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert client.get(capture.learn_path, query_string={"a": "1"}).status_code == 404
    assert capture.state()["state"] == "expired"


def test_a_head_request_captures_nothing(client, capture):
    assert client.head(capture.learn_path).status_code == 405
    assert capture.state()["state"] == "waiting"


def test_an_unknown_learn_token_is_a_404(client):
    assert client.get("/learn/nope").status_code == 404


def test_a_recognised_network_fills_the_suggestion(client, capture):
    client.get(capture.learn_path, query_string={"subid": CLICK, "status": "sale", "tid": "T-1"})
    state = capture.state()
    assert state["platform"] == "keitaro"
    assert state["suggested_field_map"]["transaction_id"] == "tid"


def test_finalize_saves_the_maps_and_postbacks_use_them(client, capture, source):
    client.get(capture.learn_path, query_string={"ref": "abc", "commission": "3"})
    answer = capture.finalize(
        {"field_map": {"click_id": "ref", "payout_amount": "commission"}, "event_map": {"x": "ftd"}}
    )
    assert answer.status_code == 200
    assert capture.state()["state"] == "finalized"
    client.get(source["postback_path"], query_string={"ref": "R1", "commission": "4.5"})
    conversion = db.session.scalars(select(Conversion)).one()
    assert (conversion.click_id, conversion.payout_amount) == ("R1", Decimal("4.5"))


def test_finalize_merges_the_chosen_fields_into_the_map_like_an_edit(client, capture, source):
    """The README's example: fields it does not name keep their mapping, so the next
    postback's event, transaction id and currency are still read."""
    client.get(capture.learn_path, query_string={"ref": "abc", "commission": "3"})
    answer = capture.finalize(
        {
            "field_map": {"click_id": "ref", "payout_amount": "commission"},
            "event_map": {"dep": "ftd"},
        }
    )
    assert answer.get_json()["field_map"]["transaction_id"] == "transaction_id"
    client.get(
        source["postback_path"],
        query_string={
            "ref": "R1",
            "commission": "4.5",
            "event": "dep",
            "transaction_id": "T1",
            "currency": "EUR",
        },
    )
    conversion = db.session.scalars(select(Conversion)).one()
    assert (conversion.event_type, conversion.transaction_id, conversion.payout_currency) == (
        "ftd",
        "T1",
        "EUR",
    )


def test_finalize_unmaps_a_field_named_blank(capture, client):
    client.get(capture.learn_path, query_string={"ref": "abc"})
    answer = capture.finalize({"field_map": {"click_id": "ref", "transaction_id": ""}})
    assert answer.get_json()["field_map"]["transaction_id"] == ""
    assert answer.get_json()["field_map"]["event_type"] == "event"


def test_a_value_sent_for_a_field_finalize_unmapped_is_stored_with_a_note(client, capture, source):
    client.get(capture.learn_path, query_string={"ref": "abc"})
    capture.finalize({"field_map": {"click_id": "ref", "transaction_id": ""}})
    client.get(source["postback_path"], query_string={"ref": "R1", "transaction_id": "T1"})
    conversion = db.session.scalars(select(Conversion)).one()
    assert conversion.transaction_id is None
    assert any("“transaction_id=T1” was sent but ignored" in n for n in conversion.parse_notes)


def test_finalize_before_anything_arrived_is_a_conflict(capture):
    assert capture.finalize({"field_map": {"click_id": "x"}}).status_code == 409


def test_a_source_without_a_mapped_click_id_still_stores_postbacks(client, make_source):
    source = make_source(field_map={"click_id": ""})
    answer = client.get(source["postback_path"], query_string={"whatever": "1"})
    assert answer.status_code == 200
    assert answer.get_json()["attribution"] == "unmatched"


def test_a_learn_token_is_masked_in_the_stored_request(client, capture):
    client.get(capture.learn_path, query_string={"a": "1"})
    raw = db.session.scalars(select(Capture)).one().raw_request
    assert capture.learn_path.rsplit("/", 1)[1] not in raw["path"]


def test_of_requests_racing_to_a_learn_url_exactly_one_is_kept(app, capture):
    from concurrent.futures import ThreadPoolExecutor

    def one(n):
        with app.test_client() as client:
            return client.get(capture.learn_path, query_string={f"p{n}": str(n)}).status_code

    with ThreadPoolExecutor(10) as pool:
        codes = sorted(pool.map(one, range(10)))
    assert codes == [200] + [409] * 9
    assert len(capture.state()["params"]) == 1


@pytest.mark.parametrize(
    "body", [{}, {"field_map": {"clik_id": "x"}}, {"field_map": {}, "event_map": {"a": "signup"}}]
)
def test_a_bad_finalize_is_a_422(client, capture, body):
    client.get(capture.learn_path, query_string={"a": "1"})
    assert capture.finalize(body).status_code == 422
