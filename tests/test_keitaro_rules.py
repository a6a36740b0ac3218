"""Request bodies checked against the rules derived from Keitaro's published document.

The client refuses, before sending, a body the tracker's own rules refuse, with a sentence
naming the field where it is and the fields the document lists there; the fake tracker
refuses the same bodies, so no test can pass by sending one. The rules file is what the
generator writes: checked here on a small made-up document, since Keitaro's is not in the
repository.
"""

import json
from pathlib import Path

import pytest
from marshmallow import fields as ma_fields
from marshmallow.validate import OneOf

from app.keitaro import errors, rules, schemas
from app.keitaro.client import Keitaro
from app.keitaro.derive_rules import derive, render, summary
from app.keitaro.operations import OPERATIONS, Operation, operation
from app.keitaro.transport import Transport

DATA = Path(__file__).parent / "data"
API = "/admin_api/v1"
COST = {
    "start_date": "2026-11-01",
    "end_date": "2026-11-02",
    "timezone": "UTC",
    "cost": "12.50",
    "currency": "USD",
}
TRIGGER = {"condition": "always", "action": "disable", "target": "stream", "stream_id": 1}

#: The made-up document's operations, as ``operations.py`` would list them.
SAMPLE_TABLE = (
    Operation(
        "widgets",
        "list",
        "GET",
        "widgets",
        "All",
        query=("kind", "limit"),
        required_query=("kind",),
    ),
    Operation("widgets", "create", "POST", "widgets", "Create", body="Widget"),
    Operation("widgets", "update", "PUT", "widgets/{id}", "Change", body="Widget"),
    Operation("widgets", "prices", "POST", "widgets/{id}/prices", "Prices", body="Prices"),
    Operation("widgets", "tag", "POST", "widgets/tag", "Tag", body="Tag"),
    Operation("widgets", "upload", "POST", "widgets/upload", "Upload"),
    Operation("widgets", "ping", "GET", "ping", "Ping"),
)


@pytest.fixture
def keitaro(fake_keitaro):
    fake_keitaro.campaigns[1] = {"id": 1, "alias": "spring", "name": "Spring", "postbacks": []}
    return Keitaro(fake_keitaro.url, fake_keitaro.api_key, sleep=lambda s: None)


def refused(call) -> errors.InvalidRequest:
    with pytest.raises(errors.InvalidRequest) as caught:
        call()
    return caught.value


# -- the three bodies Keitaro was known to refuse ---------------------------------------


def test_a_domain_created_without_is_ssl_is_refused_before_sending(fake_keitaro, keitaro):
    error = refused(lambda: keitaro.domains.create({"name": "track.example.com"}))

    assert error.message == (
        "domains create: is_ssl is required. The documented fields are name, is_ssl, "
        "allow_indexing, catch_not_found, default_campaign_id, notes, ssl_redirect, wildcard."
    )
    assert error.fields == {"is_ssl": ["is_ssl is required."]}
    assert fake_keitaro.requests == []


def test_update_costs_entries_without_timezone_and_currency_are_refused(fake_keitaro, keitaro):
    entry = {"start_date": "2026-11-01", "end_date": "2026-11-02", "cost": "12.50"}

    error = refused(lambda: keitaro.clicks.update_costs({"campaign_ids": [1], "costs": [entry]}))

    assert error.message == (
        "clicks update-costs: costs[0].timezone is required. costs[0].currency is required. "
        "The documented fields of costs[0] are start_date, end_date, timezone, cost, currency, "
        "filters."
    )
    assert fake_keitaro.requests == []


def test_a_stream_trigger_without_stream_id_is_refused(fake_keitaro, keitaro):
    trigger = {k: v for k, v in TRIGGER.items() if k != "stream_id"}

    error = refused(lambda: keitaro.streams.update(1, {"triggers": [trigger]}))

    assert error.message.startswith(
        "streams update: triggers[0].stream_id is required. The documented fields of "
        "triggers[0] are condition, action, target, stream_id, "
    )
    assert list(error.fields) == ["triggers[0].stream_id"]
    assert fake_keitaro.requests == []


def test_the_cli_prints_the_sentence_and_sends_nothing(runner, fake_keitaro, keitaro_connection):
    keitaro_connection()

    result = runner.invoke(args=["keitaro", "domain", "create", "--data", '{"name": "d.example"}'])

    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "InvalidRequest"
    assert error["message"].startswith("domains create: is_ssl is required. The documented")
    assert error["fields"] == {"is_ssl": ["is_ssl is required."]}
    assert fake_keitaro.requests == []


# -- what passes ------------------------------------------------------------------------


def test_a_valid_body_passes_and_reaches_the_tracker(fake_keitaro, keitaro):
    keitaro.clicks.update_costs({"campaign_ids": [1], "costs": [COST]})

    [sent] = fake_keitaro.requests
    assert (sent.method, sent.path) == ("POST", f"{API}/clicks/update_costs")
    assert sent.body == {"campaign_ids": [1], "costs": [COST]}


def test_unknown_fields_pass_untouched_at_every_level(fake_keitaro, keitaro):
    body = {
        "name": "Spring",
        "uniqueness_method": "ip_ua",
        "postbacks": [{"url": "https://n.example/pb", "secret": {"any": [1, None]}}],
    }

    keitaro.campaigns.update(1, body)

    assert fake_keitaro.requests[-1].body == body


def test_null_passes_for_an_optional_field_but_not_a_required_one(fake_keitaro, keitaro):
    keitaro.campaigns.update(1, {"bind_visitors": None})
    assert fake_keitaro.requests[-1].body == {"bind_visitors": None}

    error = refused(lambda: keitaro.domains.create({"name": "d.example", "is_ssl": None}))
    assert error.fields == {"is_ssl": ["is_ssl must not be null."]}


def test_what_the_schemas_convert_is_judged_after_converting(fake_keitaro, keitaro):
    keitaro.clicks.log({"sort": [{"name": "datetime", "order": "desc"}], "limit": "5"})

    assert fake_keitaro.requests[-1].body == {
        "sort": [{"name": "datetime", "order": "DESC"}],
        "limit": 5,
    }


# -- enums and types --------------------------------------------------------------------


def test_a_value_outside_a_documented_enum_is_refused(fake_keitaro, keitaro):
    access = {"access_data": {"offers_access_type": "everything"}}

    error = refused(lambda: keitaro.users.access(3, access))

    assert error.fields == {
        "access_data.offers_access_type": [
            "access_data.offers_access_type must be one of full_access, read_only, "
            "to_groups_and_selected, created_by_user_groups_and_selected, not “everything”."
        ]
    }
    assert "The documented fields of access_data are " in error.message
    assert fake_keitaro.requests == []


@pytest.mark.parametrize(
    ("call", "where", "sentence"),
    [
        (
            lambda k: k.users.access(3, {"access_data": {"reports": ["clicks", 7]}}),
            "access_data.reports[1]",
            "access_data.reports[1] must be text, not a whole number.",
        ),
        (
            lambda k: k.landings.create({"name": "L", "action_payload": 5}),
            "action_payload",
            "action_payload must be text or a JSON object, not a whole number.",
        ),
        (
            lambda k: k.campaigns.update(1, {"traffic_source_id": "six"}),
            "traffic_source_id",
            "traffic_source_id must be a whole number.",
        ),
        (
            lambda k: k.conversions.log({"filters": [{"name": "status", "operator": "EQUALS"}, 3]}),
            "filters[1]",
            "filters[1]: Send a JSON object of named fields.",
        ),
    ],
    ids=["item of a nested list", "one of two types", "schema type", "list item"],
)
def test_a_value_of_the_wrong_type_is_refused_where_it_is(
    fake_keitaro, keitaro, call, where, sentence
):
    error = refused(lambda: call(keitaro))

    assert error.fields == {where: [sentence]}
    assert fake_keitaro.requests == []


def test_an_item_of_an_array_of_objects_is_checked_field_by_field(fake_keitaro, keitaro):
    costs = [COST, {**COST, "currency": None}, {k: v for k, v in COST.items() if k != "currency"}]

    error = refused(lambda: keitaro.clicks.update_costs({"campaign_ids": [1], "costs": costs}))

    assert list(error.fields) == ["costs[1].currency", "costs[2].currency"]
    assert error.fields["costs[2].currency"] == ["costs[2].currency is required."]
    # The documented fields of an array's items are listed once, not once per item.
    assert error.message.count("The documented fields") == 1


def test_a_parameter_outside_its_enum_is_refused_before_sending(fake_keitaro, keitaro):
    error = refused(lambda: keitaro.logs.get("everything"))

    assert error.message == (
        "logs get: the parameter type must be one of system, traffic, postbacks, ssl, "
        "sent_postbacks, not “everything”. The documented parameters are limit, offset, "
        "query, type."
    )
    assert fake_keitaro.requests == []


# -- the fake tracker refuses what the rules refuse -----------------------------------


def test_the_fake_tracker_answers_422_naming_a_field_the_rules_refuse(fake_keitaro):
    bare = Transport(fake_keitaro.url, fake_keitaro.api_key, sleep=lambda s: None)
    entry = {k: v for k, v in COST.items() if k != "timezone"}

    with pytest.raises(errors.FieldErrors) as caught:
        bare.request("POST", "clicks/update_costs", body={"campaign_ids": [1], "costs": [entry]})

    assert caught.value.status == 422
    assert list(caught.value.fields) == ["costs[0].timezone"]


def test_the_fake_tracker_answers_400_to_a_body_that_is_not_an_object(fake_keitaro):
    bare = Transport(fake_keitaro.url, fake_keitaro.api_key, sleep=lambda s: None)

    with pytest.raises(errors.KeitaroError) as caught:
        bare.request("POST", "domains", body=["d.example"])

    assert caught.value.status == 400


# -- coverage of the operations table ---------------------------------------------------


def test_every_operation_has_rules_or_is_listed_as_not_in_the_document():
    derived = rules.rules()
    missing = set(derived["not_in_document"])
    for op in OPERATIONS:
        entry = rules.for_operation(op)
        assert (entry is None) == (op.key in missing), op.key
        if entry is not None:
            assert (entry["method"], entry["path"]) == (op.method, op.path), op.key
            assert ("body" in entry) == (op.body is not None), op.key
    assert missing == {"settings.get"}


def test_the_tables_parameters_are_the_documents():
    for op in OPERATIONS:
        params = (rules.for_operation(op) or {}).get("params") or {}
        query = {name for name, p in params.items() if p["in"] == "query"}
        required = {name for name in query if params[name]["required"]}
        in_path = {name for name, p in params.items() if p["in"] == "path"}
        if rules.for_operation(op):
            assert (query, required, in_path) == (
                set(op.query),
                set(op.required_query),
                set(op.path_params),
            ), op.key


def test_the_schemas_agree_with_the_rules_so_the_cli_examples_send_what_they_require():
    """The schemas' required flags make the command line's examples; their enums refuse
    before the rules do. Where either differs from the document, the rules would refuse
    what an example or a schema lets through."""
    disagreements = []

    def compare(schema, rule, where):
        required = {f.data_key or n for n, f in schema.fields.items() if f.required}
        if required != set(rule.get("required") or ()):
            disagreements.append((where, "required", sorted(required)))
        for name, field in schema.fields.items():
            key = field.data_key or name
            compare_field(field, (rule.get("fields") or {}).get(key) or {}, f"{where}.{key}")

    def compare_field(field, rule, where):
        choices = [c for v in field.validators if isinstance(v, OneOf) for c in v.choices]
        if choices and "enum" in rule and choices != rule["enum"]:
            disagreements.append((where, "enum", choices))
        if isinstance(field, ma_fields.Nested):
            compare(field.schema, rule, where)
        if isinstance(field, ma_fields.List):
            compare_field(field.inner, rule.get("items") or {}, f"{where}[]")

    for op in OPERATIONS:
        entry = rules.for_operation(op)
        if op.body and entry:
            compare(getattr(schemas, op.body)(), entry["body"], op.key)
    assert disagreements == []


def test_every_cli_example_body_passes_the_rules():
    from app.cli.keitaro_api import COMMANDS, example_body

    for command in COMMANDS:
        if command.body and command.resource != "postback":
            op = next(op for op in OPERATIONS if op.body == command.body)
            loaded = getattr(schemas, command.body)().load(example_body(command.body))
            rules.check_body(op, loaded)


# -- the generator ----------------------------------------------------------------------


def test_the_generator_derives_the_expected_rules_from_a_sample_document():
    document = json.loads((DATA / "keitaro_openapi_sample.json").read_text())
    expected = (DATA / "keitaro_rules_expected.json").read_text()

    assert render(derive(document, SAMPLE_TABLE)) == expected


def test_the_generator_summary_names_what_either_side_lacks():
    document = json.loads((DATA / "keitaro_openapi_sample.json").read_text())

    said = summary(derive(document, SAMPLE_TABLE), SAMPLE_TABLE)

    assert "Rules for 6 of the 7 operations" in said
    assert "not in the document: widgets.ping" in said
    assert "not in operations.py: DELETE widgets/{id}" in said


def test_the_committed_rules_are_in_the_form_the_generator_writes():
    committed = rules.RULES_PATH.read_text(encoding="utf-8")

    assert render(json.loads(committed)) == committed


RULE_KEYS = {"type", "enum", "items", "fields", "required", "extra", "values", "any_of"}


def test_the_rules_are_checks_only_without_the_documents_prose_or_examples():
    def keys_of(rule):
        assert set(rule) <= RULE_KEYS | {"in"}, sorted(set(rule) - RULE_KEYS)
        for inner in (rule.get("fields") or {}).values():
            keys_of(inner)
        for inner in [rule.get("items"), rule.get("values"), *(rule.get("any_of") or ())]:
            if inner:
                keys_of(inner)

    for key, entry in rules.rules()["operations"].items():
        assert set(entry) <= {"method", "path", "params", "body"}, key
        keys_of(entry.get("body") or {})
        for param in (entry.get("params") or {}).values():
            keys_of(param)


def test_an_operation_the_document_lacks_is_sent_unchecked(fake_keitaro, keitaro):
    assert rules.for_operation(operation("settings", "get")) is None

    assert keitaro.settings.get()["currency"] == "USD"
