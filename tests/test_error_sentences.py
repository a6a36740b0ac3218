"""Error text a person reads: every refusal names the field as it was typed (the JSON key,
the command-line option, the form label), says what is wrong and what would be right, in
a sentence; never a Python repr or one of marshmallow's own messages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import click
import pytest
from marshmallow import Schema, ValidationError, fields, validate

from app.api.schemas import SourceInSchema
from app.core.field_errors import sentences
from app.keitaro import schemas as keitaro_schemas

EVENTS_TO_USE = "use one of registration, ftd, qftd, ngr, deposit, cpa or unknown"
#: What must never reach a person: a dict or list repr, marshmallow's own sentences.
UNREADABLE = re.compile(r"\{'|\['|Missing data for required field|Not a valid|Traceback")


def refused(schema: Schema, data: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        schema.load(data)
    return sentences(caught.value.messages, caught.value.data)


# -- the sentences ----------------------------------------------------------------------


def test_a_missing_field_is_named_and_said_to_be_required():
    assert refused(SourceInSchema(), {}) == {"name": ["name is required."]}


def test_a_map_value_names_its_key_the_value_and_the_events_to_use():
    answer = refused(SourceInSchema(), {"name": "N", "event_map": {"dep": "xyz"}})
    assert answer == {
        "event_map": [f"event_map: “dep” maps to “xyz”, which is not an event; {EVENTS_TO_USE}."]
    }


def test_a_map_key_is_quoted_as_typed():
    answer = refused(SourceInSchema(), {"name": "N", "field_map": {"clickid": "sub1"}})
    assert answer["field_map"][0].startswith(
        "field_map: the key “clickid” is not a canonical field; use one of click_id, event_type"
    )


def test_a_list_item_is_quoted_as_typed():
    class Countries(Schema):
        countries = fields.List(fields.String(validate=validate.Length(equal=2)))

    assert refused(Countries(), {"countries": ["DE", "USA"]}) == {
        "countries": ["countries: “USA” must be exactly 2 characters long."]
    }


def test_a_field_of_an_object_in_a_list_is_named_where_it_is():
    body = {"sort": [{"name": "clicks", "order": "up"}]}
    assert refused(keitaro_schemas.ClickLogQuery(), body) == {
        "sort": ["sort: item 1: order must be one of ASC, DESC."]
    }


def test_marshmallows_own_messages_are_replaced_by_predicates():
    class Everything(Schema):
        count = fields.Integer(required=True)
        ratio = fields.Float()
        on = fields.Boolean()
        at = fields.AwareDateTime()
        email = fields.Email()
        tags = fields.List(fields.String())
        size = fields.Integer(validate=validate.Range(min=1, max=9))
        kind = fields.String(validate=validate.OneOf(("a", "b")))

    answer = refused(
        Everything(),
        {
            "ratio": "x",
            "on": "maybe",
            "at": "2026-01-31T12:00:00",
            "email": "nobody",
            "tags": "t",
            "size": 10,
            "kind": "c",
            "extra": 1,
        },
    )
    assert answer == {
        "count": ["count is required."],
        "ratio": ["ratio must be a number."],
        "on": ["on must be true or false."],
        "at": ["at must include a UTC offset, such as 2026-01-31T12:00:00+00:00."],
        "email": ["email must be an email address, such as ana@example.com."],
        "tags": ["tags must be a list."],
        "size": ["size must be at least 1 and at most 9."],
        "kind": ["kind must be one of a, b."],
        "extra": ["extra is not a field this accepts; leave it out or check its spelling."],
    }


def test_a_sentence_written_to_stand_alone_is_kept_as_written():
    assert sentences({"since": ["Give either since or days."]}) == {
        "since": ["Give either since or days."]
    }


def test_control_characters_are_escaped_and_long_values_not_echoed():
    answer = sentences(
        {"headers": {"X-A": {"value": ["must be short"]}, "X-\n": {"key": ["is odd"]}}},
        {"headers": {"X-A": "secret-" * 20}},
    )
    assert answer == {
        "headers": [
            "headers: the value of “X-A” must be short.",
            "headers: the key “X-\\n” is odd.",
        ]
    }


# -- the API ------------------------------------------------------------------------------


def test_the_api_answers_a_sentence_per_field_named_by_its_json_key(client, operator_headers):
    body = {"event_map": {"dep": "xyz"}, "attribution_window_days": 0}
    answer = client.post("/api/v1/sources", json=body, headers=operator_headers)
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["fields"] == {
        "name": ["name is required."],
        "event_map": [f"event_map: “dep” maps to “xyz”, which is not an event; {EVENTS_TO_USE}."],
        "attribution_window_days": ["attribution_window_days must be at least 1 and at most 365."],
    }
    said = [sentence for [sentence] in error["fields"].values()]
    assert all(sentence in error["message"] for sentence in said)
    assert len(error["message"]) == len(" ".join(said))


def test_the_api_names_an_unknown_macro_and_the_macros_there_are(client, operator_headers):
    body = {
        "name": "Hook",
        "url_template": "https://x.example/pb?click={clik_id}",
        "headers": {"X-Event": "{evnt_type}"},
    }
    answer = client.post("/api/v1/outbound-postbacks", json=body, headers=operator_headers)
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    [url_error] = error["fields"]["url_template"]
    assert url_error.startswith(
        "url_template uses the unknown macro {clik_id} (did you mean {click_id}?); the macros "
        "are {click_id}, {event_type},"
    )
    assert url_error.endswith("{country} and {param:NAME} for any parameter of the postback.")
    assert error["fields"]["headers"][0].startswith(
        "headers: the value of “X-Event” uses the unknown macro {evnt_type} (did you mean "
        "{event_type}?)"
    )
    assert error["message"].startswith("url_template uses the unknown macro {clik_id}")
    assert "headers: the value of “X-Event” uses the unknown macro {evnt_type}" in error["message"]


def test_a_refusal_of_a_service_names_the_field_in_a_sentence(client, source, operator_headers):
    answer = client.post("/api/v1/sources", json={"name": source["name"]}, headers=operator_headers)
    assert answer.status_code == 409
    assert answer.get_json()["error"] == {
        "code": "conflict",
        "message": f"a source named “{source['name']}” exists",
        "fields": {"name": ["name is already taken by another source."]},
    }


# -- the command line ------------------------------------------------------------------------


def test_the_cli_prints_a_sentence_per_option_as_typed_and_exits_2(runner):
    result = runner.invoke(
        args=["sources", "create", "--name", " ", "--event-map", '{"dep": "xyz"}']
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: --name must not be blank.\n"
        f"error: --event-map: “dep” maps to “xyz”, which is not an event; {EVENTS_TO_USE}.\n"
    )


def test_the_cli_names_an_unknown_macro_and_its_option(runner):
    result = runner.invoke(
        args=["outbound", "create", "--name", "Hook", "--url-template", "https://x.example/{clik}"]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: --url-template uses the unknown macro {clik} (did you mean {click_id}?); the "
        "macros are {click_id},"
    )


def test_the_cli_names_an_argument_by_its_metavar(runner):
    result = runner.invoke(args=["users", "create", "not-an-address"])
    assert result.exit_code == 2
    assert result.stderr == "error: EMAIL must be an email address, such as ana@example.com.\n"


def test_the_cli_exits_1_for_what_it_could_not_do_with_good_input(runner):
    result = runner.invoke(args=["sources", "get", "99"])
    assert result.exit_code == 1
    assert result.stderr == "error: no source 99\n"


#: Bad values of every kind, one set per walk: too long, empty, out of range, not JSON.
BAD_INPUTS = (
    {"text": "x" * 300, "number": "-5", "json": '{"dep": "xyz"}'},
    {"text": "", "number": "0", "json": "[1, 2]"},
    {"text": "{clik_id}", "number": "1e99", "json": "{not json"},
)
#: Options left at their default: the connection the walk set up, how output looks.
KEPT = {"connection", "table", "as_json"}


def leaf_commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[Any]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from leaf_commands(command, (*path, name))
        else:
            yield (*path, name), command


def bad_arguments(command: click.Command, bad: dict[str, str]) -> list[str]:
    args: list[str] = []
    for param in command.params:
        if param.name in KEPT or getattr(param, "is_flag", False):
            continue
        if isinstance(param.type, click.Choice):
            value = str(param.type.choices[0])
        elif isinstance(param.type, click.types.IntParamType | click.types.FloatParamType):
            value = "999999" if isinstance(param, click.Argument) else bad["number"]
        elif "JSON" in (getattr(param, "help", None) or ""):
            value = bad["json"]
        else:
            value = bad["text"]
        args += [value] if isinstance(param, click.Argument) else [param.opts[0], value]
    return args


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=["long", "empty", "odd"])
def test_no_command_answers_bad_input_with_a_repr_or_a_library_message(
    app, runner, fake_keitaro, keitaro_connection, bad
):
    keitaro_connection()
    ours = ("users", "tokens", "sources", "signatures", "outbound", "keitaro", "stats", "dev")
    ours += ("countries", "db")
    #: Flask's and Flask-Migrate's development commands, under ``pbhub dev``, are theirs.
    theirs = {("dev", "db"), ("dev", "run"), ("dev", "shell"), ("dev", "routes")}
    walked = 0
    for name in ours:
        for path, command in leaf_commands(app.cli.commands[name], (name,)):
            if path[:2] in theirs:
                continue
            args = bad_arguments(command, bad)
            if not args:
                continue
            result = runner.invoke(args=[*path, *args], input="n\n")
            walked += 1
            shown = f"pbhub {' '.join(path)}: {result.output}"
            assert not UNREADABLE.search(result.output), shown
            assert result.exception is None or isinstance(result.exception, SystemExit), shown
    assert walked > 100


# -- the dashboard --------------------------------------------------------------------------


def test_the_invite_form_names_the_field_by_its_label(client, sign_in, csrf):
    sign_in("admin")
    answer = client.post(
        "/admin/users", data={"email": "nobody", "role": "operator", "csrf_token": csrf()}
    )
    assert answer.status_code == 422
    assert "Email must be an email address, such as ana@example.com." in answer.get_data(
        as_text=True
    )


def test_the_token_form_names_the_field_by_its_label(client, sign_in, csrf):
    sign_in()
    answer = client.post("/account/tokens", data={"name": "n" * 101, "csrf_token": csrf()})
    assert answer.status_code == 422
    assert "Name must be at most 100 characters long." in answer.get_data(as_text=True)


def test_the_signature_form_names_a_wrong_event_by_its_label_key_and_value(client, sign_in, csrf):
    sign_in("admin")
    form = {
        "id": "my_network",
        "name": "My network",
        "click_id_params": "clickid",
        "event_map": '{"dep": "xyz"}',
        "csrf_token": csrf(),
    }
    answer = client.post("/admin/signatures", data=form)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert (
        f"Default event map: “dep” maps to “xyz”, which is not an event; {EVENTS_TO_USE}." in html
    )
