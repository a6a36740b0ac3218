"""Keitaro's long lists read transparently, and its numbers read exactly."""

import json
from decimal import Decimal

import pytest
from werkzeug import Response

from app.keitaro.client import Keitaro
from app.keitaro.pages import number, report_rows
from app.keitaro.transport import Transport


@pytest.fixture
def tracker(httpserver):
    return Transport(httpserver.url_for("/"), "key", sleep=lambda s: None)


def test_report_rows_are_read_page_by_page_until_the_total(httpserver, tracker):
    rows = [{"sub_id": str(n)} for n in range(5)]

    def page(request):
        body = json.loads(request.data)
        chunk = rows[body["offset"] : body["offset"] + body["limit"]]
        return Response(
            json.dumps({"rows": chunk, "total": len(rows)}), content_type="application/json"
        )

    httpserver.expect_request("/admin_api/v1/clicks/log", method="POST").respond_with_handler(page)
    got = list(report_rows(tracker, "clicks/log", {"columns": ["sub_id"]}, page_size=2))
    assert got == rows
    assert len(httpserver.log) == 3


def test_a_report_stops_on_a_short_page_without_a_total(httpserver, tracker):
    httpserver.expect_request("/admin_api/v1/report/build", method="POST").respond_with_json(
        {"rows": [{"a": 1}]}
    )
    assert list(report_rows(tracker, "report/build", {}, page_size=10)) == [{"a": 1}]


def test_only_report_endpoints_are_paginated_as_reports(tracker):
    with pytest.raises(ValueError, match="not a paginated report"):
        list(report_rows(tracker, "campaigns", {}))


def test_log_entries_follow_limit_and_offset(httpserver, tracker):
    httpserver.expect_ordered_request(
        "/admin_api/v1/logs/postbacks", query_string="limit=2&offset=0"
    ).respond_with_json([{"n": 1}, {"n": 2}])
    httpserver.expect_ordered_request(
        "/admin_api/v1/logs/postbacks", query_string="limit=2&offset=2"
    ).respond_with_json([{"n": 3}])
    client = Keitaro("", "", transport=tracker)
    assert [e["n"] for e in client.logs.iter("postbacks", page_size=2)] == [1, 2, 3]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.50", Decimal("12.50")),
        ("3", 3),
        (7, 7),
        (1.5, Decimal("1.5")),
        ("", None),
        (None, None),
    ],
)
def test_numbers_arrive_as_strings_or_numbers_and_are_read_exactly(value, expected):
    assert number(value) == expected


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity", True])
def test_a_value_that_is_not_a_number_is_refused(value):
    with pytest.raises(ValueError):
        number(value)
