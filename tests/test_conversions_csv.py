"""The conversions list as a CSV file: the list's filters and auth, every canonical field,
streamed a page at a time, safe to open in a spreadsheet; linked from the dashboard."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from app.core.vocabulary import CANONICAL_FIELDS
from app.extensions import db
from app.models import Conversion
from app.services import conversions as service

PATH = "/api/v1/conversions.csv"


def export(client, headers=None, path=PATH, **query) -> list[dict[str, str]]:
    answer = client.get(path, query_string=query or None, headers=headers or {})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True), newline="")))


@pytest.fixture
def fetches(monkeypatch) -> list[int]:
    """Pages of two rows, each read counted."""
    reads: list[int] = []
    read = service.list_conversions

    def counted(filters, limit=50):
        page = read(filters, limit=limit)
        reads.append(len(page.items))
        return page

    monkeypatch.setattr(service, "EXPORT_CHUNK", 2)
    monkeypatch.setattr(service, "list_conversions", counted)
    return reads


def test_the_header_names_every_canonical_field(client, operator_headers):
    answer = client.get(PATH, headers=operator_headers)
    header = answer.get_data(as_text=True).splitlines()[0].split(",")
    assert set(CANONICAL_FIELDS) <= set(header)
    assert header[:2] == ["id", "received_at"]


def test_each_conversion_is_a_row_newest_first_with_its_fields(
    client, fire, operator_headers, source
):
    first = fire(event="dep", transaction_id="T1", payout="12.50", currency="EUR", user_id="u1")
    second = fire(event="reg", transaction_id="T2")
    rows = export(client, operator_headers)
    assert [int(row["id"]) for row in rows] == [second, first]
    assert rows[1]["source_name"] == source["name"]
    assert rows[1]["event_type"] == "ftd" and rows[1]["raw_event"] == "dep"
    assert (rows[1]["payout_amount"], rows[1]["payout_currency"]) == ("12.5", "EUR")
    assert rows[1]["transaction_id"] == "T1"
    assert rows[1]["received_at"].endswith("+00:00")
    assert rows[0]["gross_amount"] == ""


def test_the_lists_filters_apply(client, fire, operator_headers, make_source):
    deposit = fire(event="dep", transaction_id="a")
    pending = fire(event="reg", transaction_id="b", status="pending")
    other = make_source()
    client.get(other["postback_path"] + "?transaction_id=c")

    def ids(**query):
        return [int(row["id"]) for row in export(client, operator_headers, **query)]

    assert ids(event_type="ftd") == [deposit]
    assert ids(status="pending") == [pending]
    assert pending not in ids(source_id=other["id"])
    assert ids(attribution="unmatched", event_type="registration") == [pending]


def test_the_time_range_applies(client, fire, operator_headers):
    old = fire(transaction_id="old")
    new = fire(transaction_id="new")
    db.session.execute(
        update(Conversion)
        .where(Conversion.id == old)
        .values(received_at=datetime.now(UTC) - timedelta(days=2))
    )
    db.session.commit()
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert [int(r["id"]) for r in export(client, operator_headers, since=since)] == [new]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"event_type": "purchase"}, "event_type"), ({"since": "yesterday"}, "since")],
)
def test_a_bad_filter_answers_422_naming_it(client, operator_headers, query, field):
    answer = client.get(PATH, query_string=query, headers=operator_headers)
    assert answer.status_code == 422
    assert field in answer.get_json()["error"]["fields"]


@pytest.mark.parametrize("paging", ["cursor", "limit"])
def test_paging_parameters_are_refused_since_an_export_holds_every_row(
    client, operator_headers, paging
):
    answer = client.get(PATH, query_string={paging: "1"}, headers=operator_headers)
    assert answer.status_code == 422
    assert paging in answer.get_json()["error"]["fields"]


def test_rows_are_read_a_page_at_a_time_as_the_file_is_sent(
    client, fire, operator_headers, fetches
):
    ids = [fire(transaction_id=str(n)) for n in range(5)]
    answer = client.get(PATH, headers=operator_headers)
    assert answer.is_streamed
    assert fetches == [2]  # the first page, read before answering
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True), newline="")))
    assert fetches == [2, 2, 1]
    assert [int(row["id"]) for row in rows] == ids[::-1]


def test_a_value_a_spreadsheet_would_run_is_written_as_text(client, fire, operator_headers):
    fire(transaction_id='=HYPERLINK("http://evil.test")', user_id="@admin")
    row = export(client, operator_headers)[0]
    assert row["transaction_id"] == '\'=HYPERLINK("http://evil.test")'
    assert row["external_user_id"] == "'@admin"


def test_text_is_utf8(client, make_source, operator_headers):
    network = make_source(name="Réseau 東京")
    client.get(network["postback_path"] + "?transaction_id=x")
    answer = client.get(PATH, headers=operator_headers)
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "Réseau 東京".encode() in answer.get_data()


def test_the_file_is_an_attachment_named_for_when_it_was_made(client, operator_headers):
    answer = client.get(PATH, headers=operator_headers)
    assert re.fullmatch(
        r'attachment; filename="conversions-\d{8}-\d{4}\.csv"',
        answer.headers["Content-Disposition"],
    )


def test_an_api_token_or_a_signed_in_session_is_required(client, sign_in):
    refused = client.get(PATH)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "unauthorized"
    sign_in()
    assert client.get(PATH).status_code == 200


def test_the_export_is_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/conversions.csv"]["get"]
    assert "text/csv" in operation["responses"]["200"]["content"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"attribution", "event_type", "status", "source_id", "since", "until"} <= names
    assert not names & {"cursor", "limit"}


def export_link(client, page: str) -> str:
    html = client.get(page).get_data(as_text=True)
    link = re.search(r'<a class="button" href="([^"]+)"[^>]*>Export CSV</a>', html).group(1)
    return link.replace("&amp;", "&")


def test_the_conversions_page_links_an_export_of_what_it_shows(client, sign_in, fire):
    deposit = fire(event="dep", transaction_id="a")
    fire(event="reg", transaction_id="b")
    sign_in()
    link = export_link(client, "/postbacks?event=ftd&attribution=unmatched")
    assert link.startswith(PATH + "?")
    assert "event_type=ftd" in link and "attribution=unmatched" in link
    assert [int(row["id"]) for row in export(client, path=link)] == [deposit]


@pytest.mark.parametrize("page", ["/postbacks", "/postbacks?event=ftd", "/postbacks?window=7d"])
def test_the_export_link_carries_only_the_filters_the_page_has(client, sign_in, page):
    sign_in()
    link = export_link(client, page)
    assert "=&" not in link + "&"
    assert client.get(link).status_code == 200
