"""The Keitaro request bodies: what they refuse before sending, and what they pass through."""

import json

import pytest
from marshmallow import ValidationError

from app.keitaro import schemas
from app.keitaro.schemas import BODIES


def errors_of(schema: type[schemas.Body], data: dict) -> dict:
    with pytest.raises(ValidationError) as caught:
        schema().load(data)
    return caught.value.messages


def required_keys(schema: type[schemas.Body]) -> set[str]:
    return {field.data_key or name for name, field in schema().fields.items() if field.required}


@pytest.mark.parametrize(
    ("schema", "missing"),
    [
        (schemas.CampaignCreate, {"alias", "name"}),
        (schemas.GroupCreate, {"name", "type"}),
        (schemas.StreamCreate, {"campaign_id", "schema", "type", "name", "action_type"}),
        (schemas.UserCreate, {"login", "type", "new_password", "new_password_confirmation"}),
        (schemas.BotListValue, {"value"}),
        (schemas.CampaignCosts, {"start_date", "end_date", "timezone", "cost", "currency"}),
        (schemas.CleanStats, {"start_date", "end_date"}),
        (schemas.ClickCosts, {"campaign_ids", "costs"}),
        (schemas.LabelsUpdate, {"campaign_id", "ref_name", "items"}),
        (schemas.FacebookCampaignLink, {"campaign_id"}),
        (schemas.AffiliateNetworkCreate, {"name"}),
        (schemas.LandingCreate, {"name"}),
        (schemas.OfferCreate, {"name"}),
        (schemas.DomainCreate, {"name", "is_ssl"}),
    ],
)
def test_a_body_without_its_required_fields_names_each_of_them(schema, missing):
    messages = errors_of(schema, {})
    assert set(messages) == missing
    assert all(msgs == ["is required"] for msgs in messages.values())


def test_a_domain_is_created_with_is_ssl_and_takes_it_as_a_boolean():
    assert "is_ssl" in errors_of(schemas.DomainCreate, {"name": "example.com"})
    assert schemas.DomainCreate().load({"name": "example.com", "is_ssl": "true"})["is_ssl"] is True
    assert "is_ssl" in errors_of(schemas.DomainCreate, {"name": "example.com", "is_ssl": "maybe"})


@pytest.mark.parametrize("name", sorted(BODIES))
def test_an_empty_body_is_refused_only_for_its_required_fields(name):
    schema = BODIES[name]
    required = required_keys(schema)
    if not required:
        assert schema().load({}) == {}
        return
    assert set(errors_of(schema, {})) == required


UPDATES = sorted(name.replace("Create", "Update") for name in BODIES if name.endswith("Create"))


@pytest.mark.parametrize("name", UPDATES)
def test_an_update_body_requires_nothing(name):
    assert BODIES[name]().load({}) == {}


def test_a_wrong_type_is_refused_with_the_field_name():
    messages = errors_of(schemas.CampaignUpdate, {"traffic_source_id": "abc"})
    assert messages == {"traffic_source_id": ["must be a whole number"]}


def test_a_wrong_type_inside_a_nested_list_is_refused_at_its_place():
    body = {"landings": [{"landing_id": 3, "share": 50}, {"landing_id": 4, "share": "half"}]}
    assert errors_of(schemas.StreamUpdate, body) == {
        "landings": {1: {"share": ["must be a whole number"]}}
    }


def test_a_value_outside_an_enum_is_refused():
    messages = errors_of(schemas.CampaignCreate, {"alias": "a", "name": "n", "type": "random"})
    assert messages == {"type": ["must be one of position, weight"]}


def test_a_postback_status_outside_the_enum_is_refused():
    messages = errors_of(schemas.S2SPostback, {"statuses": ["lead", "refund"]})
    assert messages == {"statuses": {1: ["must be one of lead, sale, rejected, rebill"]}}


def test_unknown_fields_pass_through_untouched():
    body = {"alias": "a", "name": "n", "uniqueness_method": "ip_ua", "x": {"deep": [1, None]}}
    assert schemas.CampaignCreate().load(body) == body


def test_unknown_fields_of_nested_objects_pass_through_too():
    body = {"postbacks": [{"url": "https://n.example/pb", "method": "GET", "secret": "s"}]}
    assert schemas.CampaignUpdate().load(body) == body


def test_only_the_keys_given_come_out():
    assert schemas.OfferCreate().load({"name": "Offer"}) == {"name": "Offer"}


def test_a_numeric_string_id_loads_as_an_integer():
    assert schemas.OfferUpdate().load({"group_id": "7"}) == {"group_id": 7}


@pytest.mark.parametrize("schema", [schemas.CampaignUpdate, schemas.LandingUpdate])
def test_a_group_id_the_document_types_as_text_is_sent_as_text(schema):
    assert schema().load({"group_id": 7}) == {"group_id": "7"}
    assert schema().load({"group_id": "7"}) == {"group_id": "7"}
    assert errors_of(schema, {"group_id": "seven"}) == {
        "group_id": ["must be a whole number (an id)"]
    }


def test_a_range_keeps_from_as_its_key():
    body = {"from": "2024-05-01", "to": "2024-05-31", "timezone": "UTC"}
    assert schemas.Range().load(body) == body


def test_a_range_takes_an_interval_of_any_shape():
    assert schemas.Range().load({"interval": "last_monday"}) == {"interval": "last_monday"}


def test_a_report_in_the_documented_dialect_is_kept():
    body = {"range": {"interval": "today"}, "grouping": ["campaign"], "metrics": ["clicks"]}
    assert schemas.ReportQuery().load(body) == body


def test_a_report_in_the_older_dialect_is_sent_in_the_documented_one():
    body = {"range": {"interval": "yesterday"}, "dimensions": ["sub_id"], "measures": ["clicks"]}
    assert schemas.ReportQuery().load(body) == {
        "range": {"interval": "yesterday"},
        "grouping": ["sub_id"],
        "metrics": ["clicks"],
    }


@pytest.mark.parametrize(
    "body",
    [
        {"grouping": ["campaign"], "measures": ["clicks"]},
        {"dimensions": ["campaign"], "metrics": ["clicks"]},
        {"grouping": ["campaign"], "dimensions": ["campaign"]},
    ],
)
def test_a_report_mixing_the_two_dialects_is_refused(body):
    messages = errors_of(schemas.ReportQuery, body)
    assert list(messages) == ["_schema"]
    assert "not both" in messages["_schema"][0]


def test_a_report_refuses_a_negative_offset():
    assert "offset" in errors_of(schemas.ReportQuery, {"offset": -1})


def test_a_lowercase_sort_order_is_sent_upper_case():
    body = {"sort": [{"name": "clicks", "order": "desc"}, {"name": "sub_id", "order": "Asc"}]}
    assert schemas.ReportQuery().load(body)["sort"] == [
        {"name": "clicks", "order": "DESC"},
        {"name": "sub_id", "order": "ASC"},
    ]


def test_a_sort_order_that_is_no_order_is_refused():
    messages = errors_of(schemas.ClickLogQuery, {"sort": [{"name": "clicks", "order": "up"}]})
    assert messages == {"sort": {0: {"order": ["must be one of ASC, DESC"]}}}


def test_a_filter_needs_a_name_and_an_operator():
    messages = errors_of(schemas.ConversionLogQuery, {"filters": [{"expression": 3}]})
    assert set(messages["filters"][0]) == {"name", "operator"}


def test_a_password_confirmation_that_differs_is_refused():
    body = {"login": "ann", "type": "USER", "new_password": "a1", "new_password_confirmation": "b2"}
    messages = errors_of(schemas.UserCreate, body)
    assert messages == {"new_password_confirmation": ["Does not match new_password."]}


def test_a_password_change_alone_is_accepted_on_update():
    assert schemas.UserUpdate().load({"new_password": "a1"}) == {"new_password": "a1"}


def test_a_matching_password_confirmation_is_accepted():
    body = {"login": "ann", "type": "ADMIN", "new_password": "a", "new_password_confirmation": "a"}
    assert schemas.UserCreate().load(body) == body


@pytest.mark.parametrize(
    ("schema", "body"),
    [
        (
            schemas.CampaignCreate,
            {
                "alias": "a",
                "name": "n",
                "cost_value": "0.25",
                "cost_auto": 1,
                "parameters": {"sub_id_1": {"name": "zone", "placeholder": "{zone}"}},
                "postbacks": [{"method": "POST", "statuses": ["sale"], "url": "https://x/pb"}],
            },
        ),
        (
            schemas.OfferCreate,
            {"name": "o", "payout_value": 1.5, "daily_cap": "10", "country": ["US"]},
        ),
        (
            schemas.ReportQuery,
            {
                "range": {"from": "2024-05-01", "to": "2024-05-02", "timezone": "UTC"},
                "dimensions": ["day"],
                "measures": ["revenue"],
                "filters": [{"name": "revenue", "operator": "GREATER_THAN", "expression": 0.5}],
                "limit": "100",
                "summary": "true",
            },
        ),
        (
            schemas.ClickCosts,
            {
                "campaign_ids": ["1", 2],
                "costs": [
                    {
                        "start_date": "a",
                        "end_date": "b",
                        "cost": "1.2",
                        "timezone": "UTC",
                        "currency": "USD",
                    }
                ],
                "only_campaign_uniques": 1,
            },
        ),
        (
            schemas.StreamCreate,
            {
                "campaign_id": 1,
                "schema": "landings",
                "type": "regular",
                "name": "s",
                "action_type": "http",
                "weight": 50,
                "filters": [{"name": "country", "mode": "accept", "payload": ["US"]}],
                "triggers": [
                    {"condition": "always", "action": "disable", "target": "stream", "stream_id": 1}
                ],
                "offers": [{"offer_id": 3, "share": 100, "state": "active"}],
            },
        ),
    ],
)
def test_a_loaded_body_is_plain_json(schema, body):
    loaded = schema().load(body)
    assert json.loads(json.dumps(loaded)) == loaded
