"""No inbound token is stored in plain text: not in a conversion's raw request (query,
body in any shape, headers), not in a refused postback's excerpt, however many times and
in whatever form it was sent. The API shows what is stored, so it shows none either."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Conversion, RejectedPostback


@pytest.fixture
def token(source):
    return source["inbound_token"]


def stored_request(answer) -> str:
    conversion = db.session.get(Conversion, answer.get_json()["conversion_id"])
    return json.dumps(conversion.raw_request, ensure_ascii=False)


def excerpts() -> str:
    return "\n".join(db.session.scalars(select(RejectedPostback.excerpt)))


def test_a_valid_token_after_a_bogus_one_is_masked_in_the_rejection_log(client, token):
    answer = client.get(f"/pb?_pbtoken=bogus-token-1234&_pbtoken={token}&transaction_id=1")
    assert answer.status_code == 403
    assert "_pbtoken=" in excerpts()
    assert token not in excerpts()


def test_a_token_header_and_a_body_token_are_masked_in_the_rejection_log(client, token):
    client.post(
        "/pb",
        data=f"_pbtoken={token}&transaction_id=1",
        content_type="application/x-www-form-urlencoded",
        headers={"X-Postback-Token": "x" * 40},
    )
    assert token not in excerpts() and "x" * 40 not in excerpts()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("transaction_id=1&_pbtoken={token}", "application/x-www-form-urlencoded"),
        ("transaction_id=1&%5Fpbtoken={token}", "application/x-www-form-urlencoded"),
        ('{{"transaction_id": "1", "_pbtoken": "{token}"}}', "application/json"),
        ('{{"transaction_id": "1", "nested": {{"token": "{token}"}}}}', "application/json"),
        ("free text carrying {token} somewhere", "text/plain"),
    ],
    ids=["form", "form-percent-encoded", "json", "json-elsewhere", "text"],
)
def test_a_token_in_the_body_is_stored_masked(client, source, token, body, content_type):
    answer = client.post(
        source["postback_path"], data=body.format(token=token), content_type=content_type
    )
    assert answer.status_code == 200
    assert token not in stored_request(answer)
    assert token[:4] + "…" in stored_request(answer)


def test_a_token_in_the_query_twice_or_in_another_parameter_is_stored_masked(client, token):
    answer = client.get(f"/pb?_pbtoken={token}&_pbtoken={token}&next=/pb/{token}&tx=1")
    assert answer.status_code == 200
    assert token not in stored_request(answer)


def test_a_token_in_a_kept_header_is_stored_masked(client, source, token):
    answer = client.get(
        source["postback_path"] + "?transaction_id=1",
        headers={"Referer": f"https://network.test/panel?url=/pb/{token}", "User-Agent": token},
    )
    assert token not in stored_request(answer)


def test_the_api_shows_no_token_of_a_stored_postback(client, source, token, operator_headers):
    answer = client.post(source["postback_path"], json={"transaction_id": "1", "_pbtoken": token})
    shown = client.get(
        f"/api/v1/conversions/{answer.get_json()['conversion_id']}", headers=operator_headers
    )
    assert shown.status_code == 200
    assert token not in shown.get_data(as_text=True)
