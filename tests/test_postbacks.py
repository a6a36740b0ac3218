"""The Postback URL: every answer code and every attribution state."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.core import cid
from app.extensions import db
from app.ingest import pipeline
from app.ingest.writer import Taken
from app.models import Conversion, RejectedPostback, StatusChange
from app.runtime import keyring


def fire(client, source, **params):
    return client.get(source["postback_path"], query_string=params)


def stored(conversion_id):
    db.session.expire_all()
    return db.session.get(Conversion, conversion_id)


def test_an_accepted_postback_answers_200_with_status_attribution_and_id(client, source, click_id):
    answer = fire(client, source, click_id=click_id, event="reg", transaction_id="A1")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body == {
        "status": "accepted",
        "attribution": "matched",
        "conversion_id": body["conversion_id"],
    }
    assert stored(body["conversion_id"]).event_type == "registration"


def test_post_form_and_json_bodies_are_read(client, source):
    form = client.post(source["postback_path"], data={"event": "dep", "transaction_id": "F"})
    as_json = client.post(source["postback_path"], json={"event": "reg", "transaction_id": "J"})
    assert stored(form.get_json()["conversion_id"]).event_type == "ftd"
    assert stored(as_json.get_json()["conversion_id"]).event_type == "registration"


def test_the_query_string_wins_over_the_body(client, source):
    answer = client.post(
        source["postback_path"] + "?event=reg", json={"event": "dep", "transaction_id": "Q"}
    )
    assert stored(answer.get_json()["conversion_id"]).event_type == "registration"


def test_the_token_may_come_as_a_header_or_as_pbtoken(client, source):
    token = source["inbound_token"]
    by_header = client.get("/pb?transaction_id=H", headers={"X-Postback-Token": token})
    by_param = client.get(f"/pb?_pbtoken={token}&transaction_id=P")
    assert by_header.status_code == by_param.status_code == 200
    conversion = stored(by_param.get_json()["conversion_id"])
    assert token not in str(conversion.raw_request)


def test_a_per_event_url_sets_the_event_when_the_payload_has_none(client, source):
    answer = client.get(source["postback_path"] + "/dep?transaction_id=E1")
    assert stored(answer.get_json()["conversion_id"]).event_type == "ftd"


def test_the_raw_request_is_stored_with_the_conversion(client, source):
    answer = client.post(
        source["postback_path"] + "?a=1",
        data="b=2",
        content_type="application/x-www-form-urlencoded",
        headers={"User-Agent": "NetworkBot/1.0"},
    )
    raw = stored(answer.get_json()["conversion_id"]).raw_request
    assert raw["method"] == "POST"
    assert raw["query"] == {"a": "1"}
    assert raw["body"] == "b=2"
    assert raw["headers"]["User-Agent"] == "NetworkBot/1.0"
    assert raw["path"].startswith("/pb/") and source["inbound_token"] not in raw["path"]


def test_unparseable_values_are_stored_as_null_with_parse_notes(client, source):
    answer = fire(client, source, payout="12.5.3", currency="ZZZ", transaction_id="N")
    assert answer.status_code == 200
    conversion = stored(answer.get_json()["conversion_id"])
    assert conversion.payout_amount is None and conversion.payout_currency is None
    assert len([n for n in conversion.parse_notes if "refused" in n]) == 2


# ---- attribution ---------------------------------------------------------------------


def test_a_valid_click_token_is_matched_and_dated(client, source, click_id):
    body = fire(client, source, click_id=click_id, transaction_id="M").get_json()
    assert body["attribution"] == "matched"
    assert stored(body["conversion_id"]).clicked_at is not None


def test_a_click_id_we_never_issued_is_unmatched(client, source):
    assert (
        fire(client, source, click_id="abc", transaction_id="U").get_json()["attribution"]
        == "unmatched"
    )


def test_a_click_token_with_a_broken_signature_is_unmatched(client, source, click_id):
    forged = click_id[:-2] + ("AA" if not click_id.endswith("AA") else "BB")
    body = fire(client, source, click_id=forged, transaction_id="F").get_json()
    assert body["attribution"] == "unmatched"


def test_a_click_token_of_another_source_is_unmatched(client, make_source, source, click_id):
    other = make_source()
    assert (
        fire(client, other, click_id=click_id, transaction_id="X").get_json()["attribution"]
        == "unmatched"
    )


def test_a_postback_later_than_the_attribution_window_is_expired(app, client, source):
    old = cid.mint(keyring().click_token, source["id"], datetime.now(UTC) - timedelta(days=31))
    body = fire(client, source, click_id=old, transaction_id="OLD").get_json()
    assert body["attribution"] == "expired"


def test_the_window_is_the_sources_own(app, client, make_source):
    source = make_source(attribution_window_days=60)
    old = cid.mint(keyring().click_token, source["id"], datetime.now(UTC) - timedelta(days=31))
    assert (
        fire(client, source, click_id=old, transaction_id="W").get_json()["attribution"]
        == "matched"
    )


def test_an_imported_click_id_is_matched(app, client, source):
    from app.models import Click

    db.session.add(
        Click(
            source_id=source["id"], click_id="kt-123", origin="import", clicked_at=datetime.now(UTC)
        )
    )
    db.session.commit()
    assert (
        fire(client, source, click_id="kt-123", transaction_id="I").get_json()["attribution"]
        == "matched"
    )


# ---- duplicates and status changes -----------------------------------------------------


def test_the_same_transaction_and_status_again_is_a_stored_duplicate(client, source):
    first = fire(client, source, event="dep", transaction_id="D1").get_json()
    again = fire(client, source, event="dep", transaction_id="D1").get_json()
    assert again["status"] == again["attribution"] == "duplicate"
    assert stored(again["conversion_id"]).duplicate_of_id == first["conversion_id"]


def test_the_same_transaction_for_another_event_is_a_new_conversion(client, source):
    fire(client, source, event="reg", transaction_id="D2")
    assert fire(client, source, event="dep", transaction_id="D2").get_json()["status"] == "accepted"


def test_pending_then_approved_is_a_status_change_kept_in_history(client, source):
    first = fire(client, source, event="dep", transaction_id="S1", status="pending").get_json()
    second = fire(client, source, event="dep", transaction_id="S1", status="approved").get_json()
    assert second == {**first, "status": "status_changed"}
    conversion = stored(first["conversion_id"])
    assert conversion.status == "approved"
    assert [(h.from_status, h.to_status) for h in conversion.history] == [("pending", "approved")]


@pytest.mark.parametrize(
    ("first", "then", "outcome"),
    [
        ("pending", "rejected", "status_changed"),
        ("approved", "rejected", "status_changed"),
        ("rejected", "approved", "duplicate"),
        ("approved", "pending", "duplicate"),
    ],
)
def test_only_forward_status_transitions_change_a_conversion(client, source, first, then, outcome):
    fire(client, source, transaction_id="S2", status=first)
    assert fire(client, source, transaction_id="S2", status=then).get_json()["status"] == outcome


def test_without_a_transaction_id_an_exact_repeat_is_a_duplicate(client, source):
    assert fire(client, source, click_id="x", event="reg").get_json()["status"] == "accepted"
    assert fire(client, source, click_id="x", event="reg").get_json()["status"] == "duplicate"
    assert fire(client, source, click_id="y", event="reg").get_json()["status"] == "accepted"


def test_without_a_transaction_id_a_repeat_after_24_hours_is_new(app, client, source):
    first = fire(client, source, click_id="x", event="reg").get_json()
    conversion = stored(first["conversion_id"])
    conversion.received_at = datetime.now(UTC) - timedelta(hours=25)
    db.session.commit()
    again = fire(client, source, click_id="x", event="reg").get_json()
    assert again["status"] == "accepted"
    assert again["conversion_id"] != first["conversion_id"]


# ---- refusals ----------------------------------------------------------------------


def test_an_unknown_token_is_refused_with_403_and_logged_masked(client, source):
    answer = client.get("/pb/NoSuchTokenAtAll123?transaction_id=1")
    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "invalid_token"
    row = db.session.scalars(select(RejectedPostback)).one()
    assert row.reason == "unknown token"
    assert "NoSuchTokenAtAll123" not in row.excerpt
    assert db.session.scalar(select(func.count()).select_from(Conversion)) == 0


def test_a_missing_token_is_refused_with_403(client):
    assert client.get("/pb?transaction_id=1").status_code == 403


def test_a_paused_source_refuses_postbacks(client, source, operator_headers):
    client.post(f"/api/v1/sources/{source['id']}/pause", headers=operator_headers)
    assert fire(client, source, transaction_id="P").status_code == 403
    assert db.session.scalars(select(RejectedPostback)).one().reason == "source is paused"


def test_a_body_over_the_limit_is_refused_with_413(app, client, source):
    answer = client.post(
        source["postback_path"],
        data="a=" + "x" * (70 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 413
    assert answer.get_json()["error"]["code"] == "payload_too_large"


def test_the_rate_limit_answers_429_past_the_limit(client, make_source):
    source = make_source(rate_limit_per_minute=3)
    codes = [fire(client, source, transaction_id=str(i)).status_code for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]


def test_a_database_failure_answers_503_and_stores_nothing(client, source, database_fails):
    with database_fails("INSERT INTO CONVERSIONS"):
        answer = fire(client, source, transaction_id="DOWN")
    assert answer.status_code == 503
    assert answer.headers["Retry-After"]
    assert db.session.scalar(select(func.count()).select_from(Conversion)) == 0


def test_a_status_change_is_recorded_with_its_raw_request(client, source):
    fire(client, source, transaction_id="H", status="pending")
    fire(client, source, transaction_id="H", status="approved", note="second")
    change = db.session.scalars(select(StatusChange)).one()
    assert change.raw_request["query"]["note"] == "second"


def test_the_follow_up_job_is_enqueued_after_commit_for_new_work_only(
    app, client, source, monkeypatch
):
    seen = []
    monkeypatch.setattr(
        "app.ingest.routes._enqueue", lambda conversion_id, kind: seen.append((conversion_id, kind))
    )
    first = fire(client, source, transaction_id="Q", status="pending").get_json()
    fire(client, source, transaction_id="Q", status="pending")
    fire(client, source, transaction_id="Q", status="approved")
    assert seen == [
        (first["conversion_id"], "accepted"),
        (first["conversion_id"], "status_changed"),
    ]


def test_dedupe_keys_are_per_source_event_and_transaction():
    from app.core.mapping import Canonical

    canon = Canonical(event_type="ftd", transaction_id="T")
    assert pipeline.dedupe_key(1, canon, "fp") == "tx:1:ftd:T"
    assert pipeline.dedupe_key(1, Canonical(), "fp") == "fp:1:fp"


def test_a_status_change_carrying_the_final_payout_updates_it(client, source):
    first = fire(client, source, transaction_id="PAY", status="pending", payout="0")
    fire(client, source, transaction_id="PAY", status="approved", payout="25.5")
    assert stored(first.get_json()["conversion_id"]).payout_amount == Decimal("25.5")


def test_head_requests_store_nothing(client, source):
    assert client.head(source["postback_path"] + "?transaction_id=1").status_code == 405
    assert db.session.scalar(select(func.count()).select_from(Conversion)) == 0


def test_an_insert_that_keeps_losing_races_answers_503(client, source, monkeypatch):
    monkeypatch.setattr(pipeline, "_insert_new", lambda row: Taken(None))
    answer = fire(client, source, transaction_id="RACE")
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "unavailable"


def test_a_connection_lost_before_the_insert_is_retried_once_on_a_fresh_one(
    client, source, database_fails
):
    with database_fails("INSERT INTO CONVERSIONS", times=1, invalidated=True) as failed:
        answer = fire(client, source, transaction_id="RETRY")
    assert len(failed) == 1
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "accepted"
    assert db.session.scalar(select(func.count()).select_from(Conversion)) == 1


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"payout": "12"}, (Decimal("12"), "EUR")),
        ({"currency": "GBP"}, (Decimal("10"), "EUR")),
        ({"payout": "9", "currency": "GBP"}, (Decimal("9"), "GBP")),
    ],
)
def test_a_status_change_relabels_money_only_with_an_amount_and_a_sent_currency(
    client, source, change, expected
):
    first = fire(
        client, source, transaction_id="CUR", status="pending", payout="10", currency="EUR"
    )
    fire(client, source, transaction_id="CUR", status="approved", **change)
    conversion = stored(first.get_json()["conversion_id"])
    assert (conversion.payout_amount, conversion.payout_currency) == expected


def test_a_forged_token_stays_unmatched_even_though_its_text_is_a_stored_click(
    client, source, click_id
):
    from app.models import Click

    forged = click_id[:-2] + ("AA" if not click_id.endswith("AA") else "BB")
    db.session.add(
        Click(source_id=source["id"], click_id=forged, origin="track", clicked_at=datetime.now(UTC))
    )
    db.session.commit()
    assert fire(client, source, click_id=forged, transaction_id="FG").get_json()["attribution"] == (
        "unmatched"
    )


def test_an_imported_click_of_another_source_does_not_match(client, source, make_source):
    from app.models import Click

    other = make_source()
    db.session.add(
        Click(source_id=other["id"], click_id="kt-9", origin="import", clicked_at=datetime.now(UTC))
    )
    db.session.commit()
    assert fire(client, source, click_id="kt-9", transaction_id="IO").get_json()["attribution"] == (
        "unmatched"
    )


def test_a_body_key_cannot_override_a_query_parameter_by_smuggling_a_nul(client, source):
    answer = client.post(
        source["postback_path"] + "?payout=5&transaction_id=NUL", json={"pay\u0000out": "500"}
    )
    assert stored(answer.get_json()["conversion_id"]).payout_amount == Decimal("5")


def test_a_value_the_database_refuses_answers_422_not_retry(app, client, source, monkeypatch):
    from sqlalchemy.exc import DataError

    def refuse(row):
        raise DataError("INSERT", {}, Exception("value out of range"))

    monkeypatch.setattr(pipeline, "_insert_new", refuse)
    answer = fire(client, source, transaction_id="BAD")
    assert answer.status_code == 422
    assert answer.get_json()["error"]["code"] == "unprocessable"


def test_a_database_behind_the_code_answers_503_so_the_network_retries(client, source, monkeypatch):
    from sqlalchemy.exc import ProgrammingError

    def missing_table(row):
        raise ProgrammingError("INSERT", {}, Exception('relation "conversions" does not exist'))

    monkeypatch.setattr(pipeline, "_insert_new", missing_table)
    answer = fire(client, source, transaction_id="LATER")
    assert answer.status_code == 503
    assert answer.headers["Retry-After"]


def test_the_exhausted_race_answer_says_when_to_retry(client, source, monkeypatch):
    monkeypatch.setattr(pipeline, "_insert_new", lambda row: Taken(None))
    assert fire(client, source, transaction_id="R2").headers["Retry-After"] == "30"


def test_a_flood_of_unknown_tokens_logs_at_most_30_rows_a_minute_per_address(client, source):
    for i in range(35):
        assert client.get(f"/pb/madeUpToken{i:04d}xx").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(RejectedPostback)) == 30
