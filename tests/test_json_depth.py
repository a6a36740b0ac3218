"""JSON nested deeper than the documented depth: never a 500. A postback keeps its body
and the rest of its parameters, with a note; the API refuses the request with a 400."""

import pytest

from app.core.json_limits import MAX_JSON_DEPTH
from app.models import Conversion
from tests.core.test_json_limits import nested

#: The deepest is an array: as many objects would not fit in the body size limit.
DEPTHS = [(MAX_JSON_DEPTH + 1, "object"), (980, "object"), (20_000, "array")]


@pytest.mark.parametrize(("levels", "kind"), DEPTHS)
def test_a_deep_json_postback_is_stored_with_a_note(app, client, source, levels, kind):
    body = nested(levels, kind)
    answer = client.post(
        source["postback_path"] + "?transaction_id=DEEP&event=dep",
        data=body,
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    conversion = app.extensions["sqlalchemy"].session.get(
        Conversion, answer.get_json()["conversion_id"]
    )
    assert (conversion.transaction_id, conversion.event_type) == ("DEEP", "ftd")
    assert any("nested deeper than 32" in note for note in conversion.parse_notes)
    assert body.startswith(conversion.raw_request["body"])


@pytest.mark.parametrize(("levels", "kind"), DEPTHS)
def test_a_deep_json_learn_request_is_captured(client, levels, kind):
    answer = client.post(
        "/learn/" + "x" * 32, data=nested(levels, kind), content_type="application/json"
    )
    assert answer.status_code < 500


def api_write_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            for method in sorted(rule.methods & {"POST", "PUT", "PATCH"}):
                yield method, rule.rule


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 980])
def test_no_api_write_route_answers_a_deep_body_with_a_server_error(
    app, client, admin_headers, source, outbound, levels
):
    """Every write route of the API, on a source and an outbound postback that exist (a
    route for a missing one answers 404 before it reads the body)."""
    postback = outbound(url="https://receiver.test/hook")
    refused = 0
    for method, rule in api_write_routes(app):
        path = rule.replace("<id:source_id>", str(source["id"]))
        path = path.replace("<id:postback_id>", str(postback["id"]))
        for variable in ("<id:", "<"):
            while variable in path:
                start = path.index(variable)
                path = path[:start] + "1" + path[path.index(">", start) + 1 :]
        answer = client.open(
            path,
            method=method,
            data=nested(levels),
            content_type="application/json",
            headers=admin_headers,
        )
        assert answer.status_code < 500, (method, rule, answer.get_data(as_text=True))
        if answer.status_code == 400:
            assert "nested deeper than 32 levels" in answer.get_json()["error"]["message"]
            refused += 1
    assert refused >= 13


def test_creating_a_source_with_a_deep_body_names_the_problem(client, operator_headers):
    answer = client.post(
        "/api/v1/sources",
        data=nested(980),
        content_type="application/json",
        headers=operator_headers,
    )
    assert answer.status_code == 400
    assert answer.get_json()["error"] == {
        "code": "json_too_deep",
        "message": "JSON nested deeper than 32 levels of arrays and objects is refused",
        "fields": {},
    }
