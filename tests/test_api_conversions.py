"""Conversions over the JSON API: filters, keyset pages, details."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import Conversion


def listing(client, headers, **query):
    answer = client.get("/api/v1/conversions", query_string=query, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_conversions_are_listed_newest_first_with_source_and_times(
    client, fire, operator_headers, source
):
    ids = [fire(transaction_id=str(i)) for i in range(3)]
    items = listing(client, operator_headers)["items"]
    assert [c["id"] for c in items] == ids[::-1]
    assert items[0]["source_name"] == source["name"]
    assert items[0]["received_at"].endswith("+00:00")


def test_pages_hold_50_and_the_cursors_walk_both_ways(client, fire, operator_headers):
    ids = [fire(transaction_id=str(i)) for i in range(120)][::-1]
    first = listing(client, operator_headers)
    assert [c["id"] for c in first["items"]] == ids[:50]
    assert first["prev_cursor"] is None
    second = listing(client, operator_headers, cursor=first["next_cursor"])
    assert [c["id"] for c in second["items"]] == ids[50:100]
    third = listing(client, operator_headers, cursor=second["next_cursor"])
    assert [c["id"] for c in third["items"]] == ids[100:]
    assert third["next_cursor"] is None
    back = listing(client, operator_headers, cursor=third["prev_cursor"])
    assert [c["id"] for c in back["items"]] == ids[50:100]
    assert listing(client, operator_headers, cursor=back["prev_cursor"])["prev_cursor"] is None


def test_rows_sharing_a_timestamp_are_neither_skipped_nor_repeated(client, fire, operator_headers):
    ids = [fire(transaction_id=str(i)) for i in range(7)]
    db.session.execute(update(Conversion).values(received_at=datetime.now(UTC)))
    db.session.commit()
    seen, cursor = [], None
    while True:
        page = listing(client, operator_headers, limit=3, **({"cursor": cursor} if cursor else {}))
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))


def test_filters_by_attribution_event_status_and_source(
    client, fire, operator_headers, click_id, make_source
):
    matched = fire(click_id=click_id, event="dep", transaction_id="a")
    unmatched = fire(event="reg", transaction_id="b", status="pending")
    other = make_source()
    client.get(other["postback_path"] + "?transaction_id=c")

    def ids(**query):
        return [c["id"] for c in listing(client, operator_headers, **query)["items"]]

    assert ids(attribution="matched") == [matched]
    assert ids(event_type="registration") == [unmatched]
    assert ids(status="pending") == [unmatched]
    assert set(ids(source_id=other["id"])).isdisjoint({matched, unmatched})


def test_filters_by_time_range(client, fire, operator_headers):
    old = fire(transaction_id="old")
    new = fire(transaction_id="new")
    db.session.execute(
        update(Conversion)
        .where(Conversion.id == old)
        .values(received_at=datetime.now(UTC) - timedelta(days=2))
    )
    db.session.commit()
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert [c["id"] for c in listing(client, operator_headers, since=since)["items"]] == [new]
    assert [c["id"] for c in listing(client, operator_headers, until=since)["items"]] == [old]


@pytest.mark.parametrize(
    "query",
    [
        {"attribution": "maybe"},
        {"event_type": "purchase"},
        {"since": "yesterday"},
        {"cursor": "garbage!"},
        {"limit": "0"},
    ],
)
def test_bad_filters_answer_422(client, operator_headers, query):
    answer = client.get("/api/v1/conversions", query_string=query, headers=operator_headers)
    assert answer.status_code == 422
    assert answer.get_json()["error"]["fields"]


def test_one_conversion_in_full_has_its_raw_request_and_history(client, fire, operator_headers):
    conversion_id = fire(transaction_id="h", status="pending", payout="3")
    fire(transaction_id="h", status="approved", payout="3")
    body = client.get(f"/api/v1/conversions/{conversion_id}", headers=operator_headers).get_json()
    assert body["raw_request"]["query"]["payout"] == "3"
    assert body["payout_amount"] == "3"
    assert [(h["from_status"], h["to_status"]) for h in body["history"]] == [
        ("pending", "approved")
    ]


def test_an_unknown_conversion_answers_404(client, operator_headers):
    assert client.get("/api/v1/conversions/12345", headers=operator_headers).status_code == 404


def _cursor(raw):
    import base64

    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "query",
    [
        {"cursor": _cursor("next|2024-01-01T00:00:00|1")},
        {"cursor": _cursor("next|2024-01-01T00:00:00+00:00|99999999999999999999")},
        {"cursor": _cursor("sideways|2024-01-01T00:00:00+00:00|1")},
        {"source_id": str(2**64)},
        {"since": "0001-01-01T00:00:00+01:00"},
        {"until": "9999-12-31T23:59:59-01:00"},
        {"since": "2024-01-01T00:00:00"},
    ],
)
def test_out_of_range_or_hand_made_values_answer_422_not_500(client, operator_headers, query):
    answer = client.get("/api/v1/conversions", query_string=query, headers=operator_headers)
    assert answer.status_code == 422, answer.get_data(as_text=True)


@pytest.mark.parametrize("path", [f"/api/v1/conversions/{2**64}", f"/api/v1/sources/{2**64}"])
def test_ids_beyond_64_bits_answer_404(client, operator_headers, path):
    assert client.get(path, headers=operator_headers).status_code == 404


def test_on_sqlite_the_rarest_filter_drives_the_listing(app, make_source, client, operator_headers):
    from app.services import conversions

    source = make_source()
    for n in range(6):
        client.get(source["postback_path"], query_string={"transaction_id": f"t{n}"})
    conversions._counts.clear()
    chosen = conversions._driving_filter({"status": "approved", "source_id": 999})
    if db.engine.dialect.name == "sqlite":
        assert chosen == "source_id"
    else:
        assert chosen is None
    page = client.get(
        "/api/v1/conversions",
        query_string={"status": "approved", "source_id": source["id"]},
        headers=operator_headers,
    ).get_json()
    assert len(page["items"]) == 6


def test_steering_counts_stop_at_their_cap_and_their_cache_stays_bounded(
    app, make_source, client, monkeypatch
):
    from app.services import conversions

    source = make_source()
    for n in range(5):
        client.get(source["postback_path"], query_string={"transaction_id": f"c{n}"})
    monkeypatch.setattr(conversions, "COUNT_CAP", 3)
    monkeypatch.setattr(conversions, "COUNTS_KEPT", 2)
    conversions._counts.clear()
    assert conversions._value_count("status", "approved") == 3
    assert conversions._value_count("source_id", source["id"]) == 3
    assert conversions._value_count("event_type", "ftd") == 0
    assert len(conversions._counts) <= 2
