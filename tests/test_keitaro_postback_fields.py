"""``pbhub keitaro postback create|update`` and the fields Keitaro does not store.

Keitaro keeps a campaign postback's url, method and statuses. The no-code Keitaro node
also passes a name, timeouts, retries, headers and more: refused, naming each, with
nothing sent; or, with ``--as-hub-outbound``, made the hub's own outbound postback, which
keeps them, again with nothing sent to Keitaro.
"""

import json

import pytest

from app.extensions import db
from app.models import OutboundPostback
from app.runtime import keyring
from app.services import outbound as outbound_service

API = "/admin_api/v1"
CAMPAIGN = {"id": 12, "alias": "autumn", "name": "Autumn", "postbacks": []}
NODE_POSTBACK = {
    "url": "https://network.example.com/pb?cid={subid}&status={status}&sum={payout}",
    "method": "GET",
    "name": "Network EU",
    "status": "active",
    "sale_status": "approved",
    "lead_status": "pending",
    "rejected_status": False,
    "timeout": 5,
    "retries": 3,
    "retryDelay": 30,
    "currency": "EUR",
    "countries": ["de", "AT"],
    "headers": [{"name": "X-Api-Key", "value": "k3y"}],
    "params": {"aff_id": "42", "tx": "{tid}"},
}


@pytest.fixture(autouse=True)
def no_connection_from_the_environment(monkeypatch):
    monkeypatch.delenv("PBHUB_KEITARO_CONNECTION", raising=False)


@pytest.fixture
def fake(fake_keitaro, keitaro_connection):
    keitaro_connection()
    fake_keitaro.campaigns[12] = json.loads(json.dumps(CAMPAIGN))
    return fake_keitaro


def keitaro(runner, *args):
    return runner.invoke(args=["keitaro", *args])


def envelope(result):
    return json.loads(result.stdout)


def writes(fake):
    """What reached the tracker's campaign beyond reading it."""
    return [r for r in fake.requests if r.method != "GET"]


# -- refused, naming each field ----------------------------------------------------------


def test_fields_keitaro_does_not_store_are_refused_in_a_sentence_and_nothing_is_sent(runner, fake):
    body = {"url": "https://n.example/pb", "name": "EU", "timeout": 5, "retries": 3}

    result = keitaro(
        runner, "postback", "create", "--campaign-id", "12", "--data", json.dumps(body)
    )

    assert result.exit_code == 2, result.output
    out = envelope(result)
    assert (out["resource"], out["operation"], out["success"]) == ("postback", "create", False)
    assert out["error"]["type"] == "InvalidRequest"
    assert out["error"]["message"] == (
        "postback create: name, timeout and retries are not stored by Keitaro's postbacks "
        "(it keeps url, method and statuses); they belong to the hub's own outbound "
        "postbacks: add --as-hub-outbound to create one, or see pbhub outbound create --help"
    )
    assert set(out["error"]["fields"]) == {"name", "timeout", "retries"}
    assert fake.requests == []
    assert fake.campaigns[12]["postbacks"] == []


def test_one_such_field_is_named_in_the_singular_and_camel_case_as_typed(runner, fake):
    body = {"url": "https://n.example/pb", "retryDelay": 30}

    result = keitaro(
        runner, "postback", "create", "--campaign-id", "12", "--data", json.dumps(body)
    )

    assert result.exit_code == 2
    message = envelope(result)["error"]["message"]
    assert "retryDelay is not stored by Keitaro's postbacks" in message
    assert "it belongs to the hub's own outbound postbacks" in message
    assert fake.requests == []


def test_an_update_with_such_fields_is_refused_too_and_changes_nothing(runner, fake):
    fake.campaigns[12]["postbacks"] = [{"id": 3, "url": "https://n.example/pb"}]

    result = keitaro(
        runner,
        "postback",
        "update",
        "--campaign-id",
        "12",
        "--id",
        "3",
        "--data",
        json.dumps({"headers": {"X-Api-Key": "k"}, "params": {"a": "1"}}),
    )

    assert result.exit_code == 2
    message = envelope(result)["error"]["message"]
    assert message.startswith("postback update: headers and params are not stored")
    assert "pbhub outbound update --help" in message
    assert writes(fake) == []


def test_fields_keitaro_stores_are_sent_as_before(runner, fake):
    body = {"url": "https://n.example/pb?cid={subid}", "method": "POST", "statuses": ["sale"]}

    result = keitaro(
        runner, "postback", "create", "--campaign-id", "12", "--data", json.dumps(body)
    )

    assert result.exit_code == 0, result.output
    [put] = writes(fake)
    assert (put.method, put.path) == ("PUT", f"{API}/campaigns/12")
    [sent] = put.body["postbacks"]
    assert {k: sent[k] for k in ("url", "method", "statuses")} == body
    assert envelope(result)["data"]["url"] == body["url"]
    assert db.session.query(OutboundPostback).count() == 0


def test_a_body_that_is_not_an_object_is_refused_in_a_sentence(runner, fake):
    result = keitaro(runner, "postback", "create", "--campaign-id", "12", "--data", "[1, 2]")

    assert result.exit_code == 2
    assert "must be a JSON object" in envelope(result)["error"]["message"]
    assert fake.requests == []


# -- --as-hub-outbound ---------------------------------------------------------------------


def test_as_hub_outbound_creates_the_hubs_postback_with_every_field_mapped(runner, fake):
    result = keitaro(
        runner,
        "postback",
        "create",
        "--campaign-id",
        "12",
        "--as-hub-outbound",
        "--data",
        json.dumps(
            {**NODE_POSTBACK, "key": "s3cret-key"} | {"url": NODE_POSTBACK["url"] + "&k={key}"}
        ),
    )

    assert result.exit_code == 0, result.output
    out = envelope(result)
    assert (out["resource"], out["operation"], out["success"]) == ("postback", "create", True)
    assert out["request"] is None
    data = out["data"]
    assert (data["action"], data["name"], data["sent_to_keitaro"]) == (
        "created",
        "Network EU",
        False,
    )
    assert data["mapped"]["retryDelay"] == "retry_delay_seconds"
    assert data["macros"] == {
        "{subid}": "{click_id}",
        "{payout}": "{payout_amount}",
        "{tid}": "{transaction_id}",
    }
    assert "not tied to Keitaro campaign 12" in data["note"]
    assert "s3cret-key" not in result.stdout
    assert fake.requests == []

    row = outbound_service.get_outbound(data["id"])
    assert row.url_template == (
        "https://network.example.com/pb?cid={click_id}&status={status}&sum={payout_amount}"
        "&k={url_secret}&aff_id=42&tx={transaction_id}"
    )
    assert keyring().decrypt(row.url_secret_ciphertext) == "s3cret-key"
    assert (row.method, row.state, row.default_currency) == ("GET", "active", "EUR")
    assert (row.timeout_seconds, row.retry_count, row.retry_delay_seconds) == (5, 3, 30)
    assert row.countries == ["AT", "DE"]
    assert row.headers == {"X-Api-Key": "k3y"}
    # Sales (approved FTD, QFTD, CPA, NGR) say "approved", leads "pending"; rejected
    # conversions, registrations and deposits are not sent.
    assert {k: row.status_map[k] for k in ("ftd", "qftd", "cpa", "ngr")} == dict.fromkeys(
        ("ftd", "qftd", "cpa", "ngr"), "approved"
    )
    assert row.status_map["pending"] == "pending"
    assert row.status_map["rejected"] == row.status_map["registration"] == ""
    assert row.status_map["deposit"] == ""
    assert row.events == []


def test_the_hubs_postback_is_seen_through_its_api(runner, fake, client, operator_headers):
    body = {"url": "https://n.example/pb?cid={subid}", "name": "API check", "retries": 2}
    result = keitaro(
        runner,
        "postback",
        "create",
        "--campaign-id",
        "12",
        "--as-hub-outbound",
        "--data",
        json.dumps(body),
    )
    postback_id = envelope(result)["data"]["id"]

    shown = client.get(f"/api/v1/outbound-postbacks/{postback_id}", headers=operator_headers)

    assert shown.status_code == 200
    answer = shown.get_json()
    assert (answer["name"], answer["retry_count"]) == ("API check", 2)
    assert answer["url_template"] == "https://n.example/pb?cid={click_id}"
    assert answer["preset"] is None


def test_sale_and_registration_only_become_the_events_that_trigger_it(runner, fake):
    body = {"url": "https://n.example/pb", "sale_status": True, "registration_status": "reg"}

    result = keitaro(
        runner,
        "postback",
        "create",
        "--campaign-id",
        "12",
        "--as-hub-outbound",
        "--data",
        json.dumps(body),
    )

    assert result.exit_code == 0, result.output
    row = outbound_service.get_outbound(envelope(result)["data"]["id"])
    assert row.events == ["registration", "ftd", "qftd", "ngr", "cpa"]
    assert (row.status_map["ftd"], row.status_map["registration"]) == ("sale", "reg")
    assert row.status_map["pending"] == row.status_map["rejected"] == ""


def test_keitaros_statuses_become_the_status_filter(runner, fake):
    body = {"url": "https://n.example/pb", "statuses": ["sale", "rejected"]}

    result = keitaro(
        runner,
        "postback",
        "create",
        "--campaign-id",
        "12",
        "--as-hub-outbound",
        "--data",
        json.dumps(body),
    )

    assert result.exit_code == 0, result.output
    row = outbound_service.get_outbound(envelope(result)["data"]["id"])
    assert (row.status_map["ftd"], row.status_map["rejected"]) == ("sale", "rejected")
    assert row.status_map["pending"] == row.status_map["registration"] == ""
    assert row.events == []


def test_a_name_is_made_up_when_none_is_given(runner, fake):
    body = {"url": "https://n.example/pb"}
    args = (
        "postback",
        "create",
        "--campaign-id",
        "12",
        "--as-hub-outbound",
        "--data",
        json.dumps(body),
    )

    first = envelope(keitaro(runner, *args))["data"]["name"]
    second = envelope(keitaro(runner, *args))["data"]["name"]

    assert (first, second) == ("Keitaro campaign 12 postback", "Keitaro campaign 12 postback 2")


def test_campaigns_have_no_home_in_the_hubs_postback_and_are_refused(runner, fake):
    body = {"url": "https://n.example/pb", "campaigns": [12, 13], "timeout": 5}

    result = keitaro(
        runner,
        "postback",
        "create",
        "--campaign-id",
        "12",
        "--as-hub-outbound",
        "--data",
        json.dumps(body),
    )

    assert result.exit_code == 2
    error = envelope(result)["error"]
    assert "campaigns cannot filter the hub's outbound postbacks" in error["message"]
    assert "give sources" in error["message"]
    assert list(error["fields"]) == ["campaigns"]
    assert db.session.query(OutboundPostback).count() == 0
    assert fake.requests == []


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (
            {"url": "https://n.example/pb?c={campaign_id}"},
            "url uses the unknown macro {campaign_id}",
        ),
        ({"url": "https://n.example/pb", "key": "k"}, "key has no place in the URL"),
        ({"url": "https://n.example/pb", "timeout": 5000}, "timeout must be at least 0.5"),
        ({"url": "https://n.example/pb", "status": "sometimes"}, "status is “sometimes”"),
        ({"url": "https://n.example/pb", "trigger": "click"}, "trigger holds “click”"),
        ({"url": "https://n.example/pb", "sources": ["Nowhere"]}, "names “Nowhere”"),
        ({"url": "https://n.example/pb", "colour": "red"}, "colour has no place"),
        ({"name": "No URL"}, "url is required"),
    ],
)
def test_what_has_no_home_or_is_wrong_is_refused_naming_the_field_as_typed(
    runner, fake, body, said
):
    result = keitaro(
        runner,
        "postback",
        "create",
        "--campaign-id",
        "12",
        "--as-hub-outbound",
        "--data",
        json.dumps(body),
    )

    assert result.exit_code == 2, result.output
    assert said in envelope(result)["error"]["message"]
    assert db.session.query(OutboundPostback).count() == 0
    assert fake.requests == []


def test_as_hub_outbound_update_changes_the_given_fields_of_that_postback(runner, fake):
    created = keitaro(
        runner,
        "postback",
        "create",
        "--campaign-id",
        "12",
        "--as-hub-outbound",
        "--data",
        json.dumps({"url": "https://n.example/pb?cid={subid}", "name": "EU", "retries": 3}),
    )
    postback_id = envelope(created)["data"]["id"]

    result = keitaro(
        runner,
        "postback",
        "update",
        "--campaign-id",
        "12",
        "--id",
        str(postback_id),
        "--as-hub-outbound",
        "--data",
        json.dumps({"timeout": 7, "status": "inactive", "statuses": ["sale"]}),
    )

    assert result.exit_code == 0, result.output
    assert envelope(result)["data"]["action"] == "updated"
    row = db.session.get(OutboundPostback, postback_id)
    db.session.refresh(row)
    assert (row.name, row.retry_count, row.timeout_seconds, row.state) == ("EU", 3, 7, "inactive")
    assert row.url_template == "https://n.example/pb?cid={click_id}"
    assert row.status_map["pending"] == ""
    assert fake.requests == []


def test_as_hub_outbound_update_leaves_a_preset_alone(runner, fake):
    keitaro(runner, "forward", "setup")
    forwarding = db.session.query(OutboundPostback).one()

    result = keitaro(
        runner,
        "postback",
        "update",
        "--campaign-id",
        "12",
        "--id",
        str(forwarding.id),
        "--as-hub-outbound",
        "--data",
        json.dumps({"timeout": 7}),
    )

    assert result.exit_code == 2
    assert "pbhub outbound update" in envelope(result)["error"]["message"]
    db.session.refresh(forwarding)
    assert forwarding.timeout_seconds != 7


def test_a_name_another_outbound_postback_has_is_a_conflict(runner, fake, outbound):
    outbound(name="Taken", url_template="https://x.example/cb?c={click_id}")

    result = keitaro(
        runner,
        "postback",
        "create",
        "--campaign-id",
        "12",
        "--as-hub-outbound",
        "--data",
        json.dumps({"url": "https://n.example/pb", "name": "Taken"}),
    )

    assert result.exit_code == 1
    assert "“Taken” exists" in envelope(result)["error"]["message"]
