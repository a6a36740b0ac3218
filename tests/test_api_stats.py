"""Live stats: counts, money per currency, EPC, events, window edges."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from app.core.vocabulary import EVENTS
from app.extensions import db
from app.models import Click, Conversion
from app.services import stats


def get_stats(client, headers, **query):
    answer = client.get("/api/v1/stats", query_string=query, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_empty_stats_have_every_event_at_zero_and_no_money(client, operator_headers):
    body = get_stats(client, operator_headers, window="15m")
    assert body["clicks"] == 0 and body["conversions"] == 0
    assert body["events"] == dict.fromkeys(EVENTS, 0)
    assert body["payout"] == [] and body["gross"] == []


def test_money_is_summed_per_currency_and_split_approved_pending(client, fire, operator_headers):
    fire(transaction_id="1", payout="10.10", currency="USD")
    fire(transaction_id="2", payout="0.20", currency="USD", status="pending")
    fire(transaction_id="3", payout="5", currency="EUR", amount="100", amount_currency="EUR")
    body = get_stats(client, operator_headers, window="1h")
    assert body["payout"] == [
        {
            "currency": "EUR",
            "approved": "5.000000",
            "pending": "0.000000",
            "total": "5.000000",
            "epc": "0.000000",
        },
        {
            "currency": "USD",
            "approved": "10.100000",
            "pending": "0.200000",
            "total": "10.300000",
            "epc": "0.000000",
        },
    ]
    assert body["gross"] == [
        {"currency": "EUR", "approved": "100.000000", "pending": "0.000000", "total": "100.000000"}
    ]


def test_duplicates_and_rejected_conversions_are_not_counted(client, fire, operator_headers):
    fire(transaction_id="1", payout="1", event="dep")
    fire(transaction_id="1", payout="1", event="dep")
    fire(transaction_id="2", payout="7", status="rejected")
    body = get_stats(client, operator_headers)
    assert body["conversions"] == 1
    assert body["events"]["ftd"] == 1
    assert body["payout"][0]["total"] == "1.000000"


def test_a_status_change_moves_money_from_pending_to_approved(client, fire, operator_headers):
    fire(transaction_id="1", payout="4", status="pending")
    fire(transaction_id="1", payout="4", status="approved")
    row = get_stats(client, operator_headers)["payout"][0]
    assert (row["approved"], row["pending"]) == ("4.000000", "0.000000")


def test_epc_is_payout_per_click_per_currency(client, source, fire, operator_headers):
    for _ in range(4):
        client.get(source["track_path"])
    fire(transaction_id="1", payout="1", currency="USD")
    body = get_stats(client, operator_headers)
    assert body["clicks"] == 4
    assert body["payout"][0]["epc"] == "0.250000"


def test_stats_filter_by_source(client, make_source, operator_headers):
    a, b = make_source(), make_source()
    client.get(a["postback_path"] + "?transaction_id=1")
    client.get(a["track_path"])
    client.get(b["postback_path"] + "?transaction_id=1")
    body = get_stats(client, operator_headers, source_id=a["id"])
    assert (body["clicks"], body["conversions"], body["source_id"]) == (1, 1, a["id"])


def test_window_edges_are_inclusive_of_the_start_and_exact(app, client, fire, source):
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    inside, outside = fire(transaction_id="in"), fire(transaction_id="out")
    db.session.execute(
        update(Conversion)
        .where(Conversion.id == inside)
        .values(received_at=now - timedelta(hours=1))
    )
    db.session.execute(
        update(Conversion)
        .where(Conversion.id == outside)
        .values(received_at=now - timedelta(hours=1, microseconds=1))
    )
    db.session.add(
        Click(source_id=source["id"], click_id="k", clicked_at=now - timedelta(minutes=15))
    )
    db.session.commit()
    result = stats.compute("1h", now=now)
    assert result.conversions == 1
    assert stats.compute("15m", now=now).clicks == 1
    assert stats.compute("15m", now=now + timedelta(microseconds=1)).clicks == 0


def test_an_unknown_window_answers_422(client, operator_headers):
    answer = client.get("/api/v1/stats?window=2h", headers=operator_headers)
    assert answer.status_code == 422
    assert "window" in answer.get_json()["error"]["fields"]


def test_sums_of_very_large_amounts_stay_exact(client, fire, operator_headers):
    for i in range(12):
        fire(transaction_id=f"big{i}", payout="999999999999.999999", currency="USD")
    fire(transaction_id="neg", payout="-0.5", currency="USD")
    row = get_stats(client, operator_headers)["payout"][0]
    assert row["approved"] == "11999999999999.499988"
