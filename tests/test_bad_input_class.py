"""Bad input is the client's mistake, answered as such (400, 404 or 422 with the field
named), never "the database refused a value" with a traceback in the log: ids beyond
their column's range, NUL characters in text."""

from __future__ import annotations

import logging

import pytest
from werkzeug.routing import IntegerConverter

from app.extensions import db
from app.models.types import MAX_BIGINT, MAX_INTEGER
from app.request import route_converters

#: The table each id in a URL names. A new id variable must be added here, so that its
#: converter's range is held against its column's.
ID_TABLES = {
    "source_id": "sources",
    "conversion_id": "conversions",
    "connection_id": "keitaro_connections",
    "postback_id": "outbound_postbacks",
    "delivery_id": "deliveries",
    "ticket_id": "tickets",
    "token_id": "api_tokens",
    "user_id": "users",
}


def column_max(table: str) -> int:
    column = db.metadata.tables[table].c.id
    return MAX_BIGINT if column.type.compile(dialect=db.engine.dialect) == "BIGINT" else MAX_INTEGER


def id_routes(app):
    for rule in app.url_map.iter_rules():
        for name, converter in route_converters(rule).items():
            if isinstance(converter, IntegerConverter):
                yield rule, name, converter


@pytest.fixture
def no_errors_logged(caplog):
    caplog.set_level(logging.WARNING)
    yield
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("database_uri", ["postgresql"], indirect=True)
def test_each_id_in_a_url_reaches_exactly_as_far_as_its_column(app):
    for rule, name, converter in id_routes(app):
        assert name in ID_TABLES, f"{rule.rule}: which table does <{name}> name?"
        assert converter.max == column_max(ID_TABLES[name]), rule.rule


@pytest.mark.parametrize("offset", [0, 1], ids=["largest", "one-beyond"])
def test_an_id_at_or_beyond_its_columns_range_names_no_row(
    app, client, admin_headers, no_errors_logged, offset
):
    for rule, _name, converter in id_routes(app):
        if not rule.rule.startswith("/api/"):
            continue
        path = rule.rule.replace(
            rule.rule[rule.rule.index("<") : rule.rule.index(">") + 1],
            str(converter.max + offset),
        )
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answer = client.open(path, method=method, json={}, headers=admin_headers)
            # Beyond the range the id names no row, whatever the method (never the 405
            # werkzeug answers where the same path has a rule for another method). A
            # route may check its body before the id. Never a database error.
            expected = {404, 422} if offset == 0 else {404}
            assert answer.status_code in expected, (method, path, answer.get_json())
            assert answer.get_json()["error"]["code"] != "unprocessable", (method, path)


@pytest.mark.parametrize("path", ["/api/v1/stats", "/api/v1/conversions"])
def test_a_source_id_beyond_its_column_is_a_field_error(
    client, operator_headers, no_errors_logged, path
):
    answer = client.get(path, query_string={"source_id": MAX_INTEGER + 1}, headers=operator_headers)
    assert answer.status_code == 422
    assert "source_id" in answer.get_json()["error"]["fields"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": "\u0000"}, {"name": ["name must not contain the NUL character (\\u0000)."]}),
        (
            {"name": "N", "field_map": {"click_id": "sub\u00001"}},
            {
                "field_map": [
                    "field_map: “click_id” maps to “sub\\u00001”, which must not contain the "
                    "NUL character (\\u0000)."
                ]
            },
        ),
        (
            {"name": "N", "event_map": {"de\u0000p": "ftd"}},
            {
                "event_map": [
                    "event_map: the key “de\\u0000p” must not contain the NUL character (\\u0000)."
                ]
            },
        ),
    ],
    ids=["top-level", "nested-value", "nested-key"],
)
def test_a_nul_character_in_a_json_field_is_a_field_error(
    client, operator_headers, no_errors_logged, body, fields
):
    answer = client.post("/api/v1/sources", json=body, headers=operator_headers)
    assert answer.status_code == 422
    assert answer.get_json()["error"]["fields"] == fields


def test_a_nul_character_in_a_query_field_is_a_bad_request(
    client, operator_headers, no_errors_logged
):
    answer = client.get("/api/v1/conversions?cursor=ab%00c", headers=operator_headers)
    assert answer.status_code == 400
    assert "the field 'cursor' contains the NUL character" in answer.get_json()["error"]["message"]


def test_a_nul_character_in_a_sign_in_form_is_a_bad_request_page(client, no_errors_logged):
    answer = client.post("/login", data={"email": "a\u0000@b.test", "password": "x"})
    assert answer.status_code == 400
    assert "the field &#39;email&#39; contains the NUL character" in answer.get_data(as_text=True)


def test_a_ticket_id_beyond_its_column_in_a_dashboard_link_is_not_found(
    client, sign_in, no_errors_logged
):
    sign_in("admin")
    answer = client.get(f"/admin/signatures?draft={MAX_INTEGER + 1}")
    assert answer.status_code == 404
