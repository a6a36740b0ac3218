"""Detection, sources from a detection, admin signatures and tickets over the API."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.core.cid import mint
from app.extensions import db
from app.models import Conversion, Source
from app.models.types import utcnow
from app.runtime import keyring

CAKE = "https://hub.example.com/pb/T?click_id=#s2#&affiliate=#s1#&payout=#price#&lead_id=#leadid#"
TUNE = "https://hub.example.com/pb/T?transaction_id={sub1}"
UNKNOWN = "https://hub.example.com/pb/T?zork={frob}&quux={blarg}"
UNKNOWN_NETWORK = (
    "https://hub.example.com/pb/T?click_id=${click_id}&player_id=${player_id}"
    "&amount=${amount}&pb_id=${pb_id}&goal_alias=ftd"
)
CLICK_TOKEN = "AQAAAZTtpwg9A0Cgrd1LJHLovrsTPtiC6z8r57yvpQXa"
AMBIGUOUS = "https://hub.example.com/pb/T?acme_click=1&acme_amount=2"
ADMIN_SIGNATURE = {
    "id": "acme",
    "name": "Acme Leads",
    "click_id_params": ["acme_click"],
    "event_param": "acme_event",
    "amount_param": "acme_amount",
    "currency_param": "acme_cur",
    "event_map": {"signup": "registration"},
}


@pytest.fixture
def detect(client, operator_headers):
    def call(url, headers=operator_headers):
        return client.post("/api/v1/sources/detect", json={"url": url}, headers=headers)

    return call


@pytest.fixture
def from_detection(client, operator_headers):
    def call(url, **fields):
        body = {"url": url, "name": fields.pop("name", "From detection"), **fields}
        return client.post("/api/v1/sources/from-detection", json=body, headers=operator_headers)

    return call


@pytest.fixture
def admin_signature(client, admin_headers):
    def create(**changes):
        body = {**ADMIN_SIGNATURE, **changes}
        return client.post("/api/v1/admin/signatures", json=body, headers=admin_headers)

    return create


def test_a_recognised_url_answers_the_platform_and_its_maps(detect):
    answer = detect(CAKE).get_json()
    assert answer["outcome"] == "recognised"
    [candidate] = answer["candidates"]
    assert candidate["id"] == "cake"
    assert candidate["field_map"]["transaction_id"] == "lead_id"
    assert candidate["reasons"]
    assert answer["ticket_id"] is None


def test_detection_needs_an_api_token(detect):
    assert detect(CAKE, headers={}).status_code == 401


@pytest.mark.parametrize("body", [{}, {"url": ""}, {"url": 5}, {"url": "x" * 9000}])
def test_a_bad_detection_request_is_a_422(client, operator_headers, body):
    answer = client.post("/api/v1/sources/detect", json=body, headers=operator_headers)
    assert answer.status_code == 422
    assert "url" in answer.get_json()["error"]["fields"]


def test_an_unknown_url_opens_one_ticket_and_counts_repeats(detect, client, admin_headers):
    first = detect(UNKNOWN).get_json()
    again = detect(UNKNOWN.replace("{frob}", "{other}")).get_json()
    assert first["outcome"] == "unknown"
    assert first["ticket_id"] == again["ticket_id"]
    tickets = client.get("/api/v1/admin/tickets", headers=admin_headers).get_json()["items"]
    assert [(t["repeats"], t["keys"]) for t in tickets] == [(2, ["zork", "quux"])]


@pytest.mark.parametrize(
    "junk",
    ["hello", '{"url": "https://hub.example/pb"}', "https://hub.example/pb/postback"],
    ids=["a-word", "a-json-body", "a-url-without-parameters"],
)
def test_text_without_parameters_or_macros_is_refused_and_opens_no_ticket(
    detect, client, admin_headers, junk
):
    answer = detect(junk)
    assert answer.status_code == 422
    assert "with its parameters" in answer.get_json()["error"]["fields"]["url"][0]
    tickets = client.get("/api/v1/admin/tickets", headers=admin_headers).get_json()["items"]
    assert tickets == []


def test_a_macro_in_the_path_alone_is_enough_to_detect(detect):
    assert detect("https://hub.example/pb/{clickid}/{payout}").status_code == 200


def test_the_cli_refuses_junk_to_detect_with_the_reason(runner):
    result = runner.invoke(args=["signatures", "detect", "hello"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: URL has no parameters; paste the network's")


def test_a_resolved_ticket_does_not_swallow_a_new_report(detect, client, admin_headers):
    ticket_id = detect(UNKNOWN).get_json()["ticket_id"]
    resolved = client.post(f"/api/v1/admin/tickets/{ticket_id}/resolve", headers=admin_headers)
    assert resolved.get_json()["state"] == "resolved"
    assert detect(UNKNOWN).get_json()["ticket_id"] != ticket_id


def test_tickets_are_for_admins_only(client, operator_headers):
    assert client.get("/api/v1/admin/tickets", headers=operator_headers).status_code == 403


def test_a_ticket_drafts_a_signature_from_its_value_shapes(client, admin_headers, detect):
    url = "https://hub.example.com/pb/T?ref=AQAAAZTtpwg9A0Cgrd1LJHLovrsTPtiC6z8r57yvpQXa&commission=5.5"
    ticket_id = detect(url).get_json()["ticket_id"]
    draft = client.get(
        f"/api/v1/admin/tickets/{ticket_id}/draft-signature", headers=admin_headers
    ).get_json()
    assert draft["click_id_params"] == ["ref"]
    assert draft["amount_param"] == "commission"


def test_a_source_from_detection_gets_the_maps_and_names_every_field(from_detection):
    answer = from_detection(CAKE, name="My CAKE network", default_currency="usd")
    assert answer.status_code == 201, answer.get_json()
    source = answer.get_json()
    assert source["platform"] == "cake"
    assert source["inbound_token"] and source["postback_url"].endswith(source["inbound_token"])
    assert source["field_map"]["transaction_id"] == "lead_id"
    assert source["field_map"]["event_type"] == ""
    assert source["default_currency"] == "USD"


def test_a_tune_source_reads_transaction_id_as_the_click_and_nothing_else(
    app, client, from_detection
):
    source = from_detection(TUNE).get_json()
    token = mint(keyring().click_token, source["id"], utcnow())
    answer = client.get(f"/pb/{source['inbound_token']}", query_string={"transaction_id": token})
    assert answer.get_json()["attribution"] == "matched"
    conversion = db.session.scalars(select(Conversion)).one()
    assert (conversion.click_id, conversion.transaction_id) == (token, None)


@pytest.fixture
def two_readings(admin_signature):
    """Two networks that read the same parameters differently: an ambiguity."""
    admin_signature()
    admin_signature(
        id="acme_gross",
        name="Acme Gross",
        amount_param=None,
        field_map={"gross_amount": "acme_amount"},
    )


@pytest.fixture
def swapped_readings(admin_signature):
    """Two networks that swap the click id and the payout: values tell them apart."""
    admin_signature()
    admin_signature(
        id="acme_swapped",
        name="Acme Swapped",
        click_id_params=["acme_amount"],
        amount_param=None,
        field_map={"payout_amount": "acme_click"},
    )


def test_an_ambiguous_url_needs_a_signature_id(two_readings, from_detection, detect):
    detection = detect(AMBIGUOUS).get_json()
    assert detection["outcome"] == "ambiguous"
    refused = from_detection(AMBIGUOUS)
    assert refused.status_code == 422
    assert "signature_id" in refused.get_json()["error"]["fields"]
    chosen = detection["candidates"][1]["id"]
    created = from_detection(AMBIGUOUS, signature_id=chosen)
    assert (created.status_code, created.get_json()["platform"]) == (201, chosen)


def test_a_network_that_reads_the_url_like_the_chosen_one_can_be_named(
    admin_signature, from_detection
):
    admin_signature()
    admin_signature(id="acme_twin", name="Acme Twin")
    created = from_detection(AMBIGUOUS, signature_id="acme_twin").get_json()
    assert created["detection"]["candidates"][0]["agreeing"] == ["acme_twin"]
    assert created["platform"] == "acme_twin"


def test_a_url_with_nothing_readable_cannot_create_a_source(from_detection):
    answer = from_detection(UNKNOWN)
    assert answer.status_code == 422
    assert "url" in answer.get_json()["error"]["fields"]
    assert db.session.scalar(select(Source.id)) is None


def test_an_unknown_network_is_answered_with_the_generic_readers_map(detect):
    answer = detect(UNKNOWN_NETWORK).get_json()
    assert (answer["outcome"], answer["candidates"]) == ("unknown", [])
    assert answer["ticket_id"] is not None
    click = answer["reader"]["fields"]["click_id"]
    assert click["param"] == "click_id" and click["confidence"] > 0.5 and click["reason"]
    assert answer["previews"]["generic"]["event_map"] == {"ftd": "ftd"}


def test_an_unknown_network_creates_a_working_source(app, client, from_detection):
    source = from_detection(UNKNOWN_NETWORK).get_json()
    assert source["platform"] is None
    assert source["field_map"]["payout_amount"] == "amount"
    token = mint(keyring().click_token, source["id"], utcnow())
    query = {
        "click_id": token,
        "player_id": "p-7",
        "amount": "25.00",
        "pb_id": "77",
        "goal_alias": "ftd",
    }
    answer = client.get(f"/pb/{source['inbound_token']}", query_string=query)
    assert answer.get_json()["attribution"] == "matched"
    conversion = db.session.scalars(select(Conversion)).one()
    assert (conversion.event_type, conversion.transaction_id) == ("ftd", "77")
    assert (conversion.external_user_id, conversion.payout_amount) == ("p-7", Decimal("25"))


def test_the_operator_confirms_or_corrects_the_map_field_by_field(from_detection):
    source = from_detection(
        UNKNOWN_NETWORK, field_map={"payout_amount": "", "gross_amount": "amount"}
    ).get_json()
    assert (source["field_map"]["payout_amount"], source["field_map"]["gross_amount"]) == (
        "",
        "amount",
    )
    assert source["field_map"]["click_id"] == "click_id"


def test_a_sample_postback_decides_between_candidates(swapped_readings, client, operator_headers):
    arrived = f"https://hub.example.com/pb/T?acme_click={CLICK_TOKEN}&acme_amount=12.50"
    body = {"url": AMBIGUOUS, "sample_postback": arrived}
    answer = client.post("/api/v1/sources/detect", json=body, headers=operator_headers).get_json()
    assert (answer["outcome"], answer["candidates"][0]["id"]) == ("recognised", "acme")
    assert "acme_click" in answer["decided_by_sample"]


def test_a_signature_id_that_is_not_a_candidate_is_refused(from_detection):
    assert from_detection(CAKE, signature_id="affise").status_code == 422


def test_an_admin_signature_is_used_by_detection_at_once(admin_signature, detect):
    assert admin_signature().status_code == 201
    answer = detect("https://hub/pb/T?acme_click={x}&acme_amount={y}&acme_cur={z}").get_json()
    assert answer["outcome"] == "recognised"
    assert answer["candidates"][0]["id"] == "acme"
    assert answer["candidates"][0]["field_map"] == {
        "click_id": "acme_click",
        "payout_amount": "acme_amount",
        "payout_currency": "acme_cur",
    }


def test_an_edited_admin_signature_changes_detection_without_a_restart(
    admin_signature, client, admin_headers, detect
):
    admin_signature()
    client.patch(
        "/api/v1/admin/signatures/acme",
        json={"click_id_params": ["acme_ref"]},
        headers=admin_headers,
    )
    answer = detect("https://hub/pb/T?acme_ref={x}").get_json()
    assert answer["candidates"][0]["field_map"] == {"click_id": "acme_ref"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"field_map": {"clik_id": "c"}}, "field_map"),
        ({"event_map": {"signup": "signup"}}, "event_map"),
        ({"id": "Bad Id!"}, "id"),
        ({"click_id_params": []}, "click_id_params"),
    ],
)
def test_an_invalid_admin_signature_gets_field_errors(admin_signature, change, field):
    answer = admin_signature(**change)
    assert answer.status_code == 422
    assert field in answer.get_json()["error"]["fields"]


def test_an_admin_signature_cannot_take_a_built_in_id(admin_signature):
    assert admin_signature(id="cake").status_code == 409


def test_admin_signatures_are_for_admins_only(client, operator_headers):
    answer = client.post("/api/v1/admin/signatures", json=ADMIN_SIGNATURE, headers=operator_headers)
    assert answer.status_code == 403


def test_an_admin_signature_can_be_deleted(admin_signature, client, admin_headers, detect):
    admin_signature()
    assert client.delete("/api/v1/admin/signatures/acme", headers=admin_headers).status_code == 204
    assert detect("https://hub/pb/T?acme_click={x}").get_json()["outcome"] != "recognised"


def test_the_signature_list_shows_built_ins_and_admin_ones(
    admin_signature, client, operator_headers
):
    admin_signature()
    items = client.get("/api/v1/signatures", headers=operator_headers).get_json()["items"]
    origins = {s["id"]: s["origin"] for s in items}
    assert (origins["cake"], origins["acme"]) == ("built-in", "admin")


def test_the_cli_detects_like_the_api(runner, detect):
    import json

    result = runner.invoke(args=["signatures", "detect", CAKE, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == detect(CAKE).get_json()


def test_the_cli_explains_a_detection_in_words(runner):
    result = runner.invoke(args=["signatures", "detect", CAKE])
    assert "recognised" in result.output and "#leadid#" in result.output


def test_the_cli_shows_an_unknown_networks_map_with_reasons(runner):
    result = runner.invoke(args=["signatures", "detect", UNKNOWN_NETWORK])
    assert result.exit_code == 0, result.output
    assert "unknown: no signature fits this URL" in result.output
    assert "event_type         <- goal_alias" in result.output
    assert "the template fixes it to “ftd”" in result.output
    assert "support ticket #" in result.output


def test_the_cli_lets_a_sample_postback_decide(swapped_readings, runner):
    arrived = f"https://hub.example.com/pb/T?acme_click={CLICK_TOKEN}&acme_amount=12.50"
    result = runner.invoke(args=["signatures", "detect", AMBIGUOUS, "--sample-postback", arrived])
    assert result.output.startswith("recognised"), result.output
    assert "decided by the sample postback" in result.output


def test_the_cli_lists_every_signature(runner):
    result = runner.invoke(args=["signatures", "list"])
    assert "cake" in result.output and "CAKE" in result.output


def test_an_arrived_url_gets_a_map_suggested_from_its_values(detect):
    url = "https://hub/pb/T?r=AQAAAZTtpwg9A0Cgrd1LJHLovrsTPtiC6z8r57yvpQXa&amount=9.90&cur=EUR"
    answer = detect(url).get_json()
    assert answer["template"] is False
    assert answer["suggested_field_map"]["click_id"] == "r"
    assert answer["suggested_field_map"]["payout_currency"] == "cur"


@pytest.mark.parametrize("path", ["/api/v1/sources/detect", "/api/v1/sources"])
def test_a_lone_surrogate_in_json_is_a_422(client, operator_headers, path):
    body = b'{"url": "\\ud800?a=1", "name": "\\ud800"}'
    answer = client.post(
        path, data=body, headers={**operator_headers, "Content-Type": "application/json"}
    )
    assert answer.status_code == 422


def test_a_ticket_never_keeps_an_inbound_token(detect, client, admin_headers):
    token = "Zk3pQ9rT7vW2xY5aB8cD1eF4gH6jK0mN"
    detect(f"https://hub.example.com/pb/{token}?zork=1&_pbtoken={token}")
    [ticket] = client.get("/api/v1/admin/tickets", headers=admin_headers).get_json()["items"]
    assert token not in ticket["url"]
