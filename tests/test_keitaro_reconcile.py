"""Forwarding the hub's conversions to Keitaro through the preset, and reconciling what
Keitaro recorded with what the hub forwarded."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.api.schemas import ReconcileReportSchema
from app.extensions import db
from app.models import Conversion, Delivery, OutboundPostback
from app.models.types import utcnow
from app.runtime import keitaro_settings, keyring
from app.services import keitaro as connections
from app.services import keitaro_reconcile
from app.services.errors import Invalid


@pytest.fixture
def forwarding(keitaro_connection):
    row = keitaro_connection()
    connections.setup_forwarding(row, keyring())
    return row


@pytest.fixture
def reconcile(forwarding):
    def run(since=timedelta(hours=1)):
        tracker = connections.client_for(forwarding, keyring(), keitaro_settings())
        now = utcnow()
        return keitaro_reconcile.reconcile(
            forwarding, tracker, now - since, now + timedelta(minutes=1)
        )

    return run


def test_setup_creates_the_keitaro_preset_once(keitaro_connection):
    row = keitaro_connection()
    first, created = connections.setup_forwarding(row, keyring())
    again, created_again = connections.setup_forwarding(row, keyring())
    assert (created, created_again, first.id) == (True, False, again.id)
    assert first.preset == "keitaro"
    assert "pbkey123" not in first.url_template


def test_setup_without_a_postback_key_says_where_to_find_it(keitaro_connection):
    row = keitaro_connection(postback_key=None)
    with pytest.raises(Invalid, match="postback key"):
        connections.setup_forwarding(row, keyring())


def test_a_conversion_the_hub_accepts_lands_in_keitaro(fake_keitaro, forwarding, convert):
    convert(click_id="kt-sub-1", transaction_id="T1", payout="3.50")
    (received,) = fake_keitaro.postbacks_received
    assert (received["subid"], received["tid"], received["status"]) == ("kt-sub-1", "T1", "sale")
    assert Decimal(received["payout"]) == Decimal("3.50")


def test_removing_the_connection_disables_its_forwarding(forwarding):
    postback_id = forwarding.outbound_postback_id
    connections.remove_connection(forwarding)
    assert db.session.get(OutboundPostback, postback_id).state == "disabled"


def test_forwarded_conversions_that_keitaro_recorded_match(fake_keitaro, convert, reconcile):
    convert(click_id="a", transaction_id="T1", payout="1.00")
    convert(click_id="b", transaction_id="T2", payout="2.00")
    report = reconcile()
    assert (report.hub, report.keitaro, report.matches) == (2, 2, True)


def test_reconciliation_finds_every_planted_difference(fake_keitaro, convert, reconcile):
    for n in range(4):
        convert(click_id=f"s{n}", transaction_id=f"T{n}", payout="1.00")
    by_key = {(c["sub_id"], c["tid"]): c for c in fake_keitaro.conversions}
    fake_keitaro.conversions.remove(by_key[("s0", "T0")])
    by_key[("s1", "T1")]["status"] = "rejected"
    by_key[("s2", "T2")]["revenue"] = "0.40"
    fake_keitaro.add_conversion("stray", "TX", "lead", "5", utcnow())
    report = reconcile()
    assert [i["sub_id"] for i in report.missing_in_keitaro] == ["s0"]
    assert [(i["sub_id"], i["keitaro_status"]) for i in report.status_differs] == [
        ("s1", "rejected")
    ]
    assert [(i["sub_id"], i["keitaro_payout"]) for i in report.payout_differs] == [
        ("s2", Decimal("0.40"))
    ]
    assert [i["sub_id"] for i in report.missing_in_hub] == ["stray"]
    assert not report.matches


def test_a_conversion_keitaro_redated_is_still_matched_by_subid_and_tid(
    fake_keitaro, convert, reconcile
):
    convert(click_id="moved", transaction_id="TM", payout="1.00")
    fake_keitaro.conversions[0]["at"] = utcnow() - timedelta(hours=20)
    assert reconcile().matches


def test_a_tracker_conversion_older_than_the_window_is_not_reported_missing(
    fake_keitaro, reconcile
):
    fake_keitaro.add_conversion("old", "TO", "sale", "1", utcnow() - timedelta(hours=5))
    assert reconcile().missing_in_hub == []


def test_a_conversion_not_yet_delivered_is_listed_apart(fake_keitaro, convert, reconcile):
    fake_keitaro.postback_status = 503
    convert(click_id="slow", transaction_id="TS", payout="1.00")
    report = reconcile()
    assert [i["sub_id"] for i in report.not_yet_delivered] == ["slow"]
    assert report.missing_in_keitaro == []


def test_a_forwarding_not_delivered_is_a_difference_with_its_state_and_error(
    fake_keitaro, convert, reconcile
):
    fake_keitaro.postback_status = 503
    answer = convert(click_id="slow", transaction_id="TS", payout="1.00")
    report = reconcile()
    assert not report.matches
    [item] = report.forwarding_pending
    assert (item["conversion_id"], item["delivery_state"]) == (answer["conversion_id"], "retrying")
    assert (item["attempts"], item["last_error"]) == (1, "the tracker answered 503")
    assert report.forwarding_failed == []
    assert report.as_dict()["matches"] is False


def test_a_forwarding_the_tracker_refused_is_a_failed_one(fake_keitaro, convert, reconcile):
    fake_keitaro.postback_status = 400
    convert(click_id="refused", transaction_id="TR", payout="1.00")
    report = reconcile()
    assert not report.matches
    assert [(i["sub_id"], i["delivery_state"]) for i in report.forwarding_failed] == [
        ("refused", "failed")
    ]
    assert report.forwarding_pending == []


# -- the command -------------------------------------------------------------------------


@pytest.fixture
def reconcile_cli(runner, forwarding, monkeypatch):
    monkeypatch.delenv("PBHUB_KEITARO_CONNECTION", raising=False)

    def run(*args):
        return runner.invoke(args=["keitaro", "reconcile", "--since", "1h", *args])

    return run


def test_reconcile_fails_on_a_failed_forwarding_with_a_line_naming_it(
    fake_keitaro, convert, reconcile_cli
):
    fake_keitaro.postback_status = 400
    answer = convert(click_id="kt-dead", transaction_id="TD", payout="2.00")

    result = reconcile_cli()

    assert result.exit_code == 1, result.output
    assert "forwarding failed: 1" in result.stdout
    assert "not yet delivered: 0" in result.stdout
    assert (
        f"  conversion={answer['conversion_id']} subid=kt-dead tid=TD status=sale "
        "payout=$2.00 delivery=failed attempts=1 last_error=the tracker answered 400"
    ) in result.stdout.splitlines()
    assert result.stdout.rstrip().endswith("differences found")
    assert "everything matches" not in result.stdout


def test_reconcile_fails_on_a_dead_forwarding(fake_keitaro, convert, reconcile_cli, forwarding):
    postback = db.session.get(OutboundPostback, forwarding.outbound_postback_id)
    postback.retry_count = 0
    db.session.commit()
    fake_keitaro.postback_status = 503
    convert(click_id="kt-gone", transaction_id="TG", payout="1.00")

    result = reconcile_cli()

    assert result.exit_code == 1, result.output
    assert "forwarding failed: 1" in result.stdout
    assert "subid=kt-gone tid=TG" in result.stdout
    assert "delivery=dead attempts=1 last_error=the tracker answered 503" in result.stdout


def test_reconcile_fails_on_a_pending_forwarding_with_a_line_naming_it(
    fake_keitaro, convert, reconcile_cli
):
    fake_keitaro.postback_status = 503
    answer = convert(click_id="kt-slow", transaction_id="TP", payout="1.00")

    result = reconcile_cli()

    assert result.exit_code == 1, result.output
    assert "not yet delivered: 1" in result.stdout
    assert "forwarding failed: 0" in result.stdout
    assert (
        f"  conversion={answer['conversion_id']} subid=kt-slow tid=TP status=sale "
        "payout=$1.00 delivery=retrying attempts=1 last_error=the tracker answered 503"
    ) in result.stdout.splitlines()
    assert result.stdout.rstrip().endswith("differences found")


def test_reconcile_names_a_forwarding_not_attempted_yet(fake_keitaro, convert, reconcile_cli):
    fake_keitaro.postback_status = 503
    convert(click_id="kt-new", transaction_id="TN", payout="1.00")
    delivery = db.session.scalars(select(Delivery)).one()
    delivery.state, delivery.attempts = "pending", 0
    delivery.last_status_code = delivery.last_error = None
    db.session.commit()

    result = reconcile_cli("--json")

    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["matches"] is False
    [item] = report["not_yet_delivered"]
    assert (item["sub_id"], item["delivery_state"], item["last_error"]) == (
        "kt-new",
        "pending",
        None,
    )


def test_reconcile_exits_zero_when_everything_is_delivered_and_matches(
    fake_keitaro, convert, reconcile_cli
):
    convert(click_id="kt-ok", transaction_id="TK1", payout="1.00")
    convert(click_id="kt-ok2", transaction_id="TK2", payout="3.00")

    result = reconcile_cli()

    assert result.exit_code == 0, result.output
    assert "forwarding failed: 0" in result.stdout
    assert "not yet delivered: 0" in result.stdout
    assert result.stdout.rstrip().endswith("everything matches")


def test_reconciling_a_connection_that_forwards_nothing_says_how_to_start(keitaro_connection):
    row = keitaro_connection()
    tracker = connections.client_for(row, keyring(), keitaro_settings())
    with pytest.raises(Invalid, match="forward setup"):
        keitaro_reconcile.reconcile(row, tracker, utcnow() - timedelta(hours=1), utcnow())


@pytest.mark.parametrize(("text", "hours"), [("90m", 1.5), ("24h", 24), ("7d", 168)])
def test_the_window_reads_minutes_hours_and_days(text, hours):
    now = utcnow()
    start, end = keitaro_reconcile.window(text, now)
    assert (end - start, end) == (timedelta(hours=hours), now)


@pytest.mark.parametrize("text", ["", "24", "0h", "h", "1w"])
def test_a_bad_window_is_refused(text):
    with pytest.raises(Invalid):
        keitaro_reconcile.window(text, utcnow())


def test_a_new_postback_key_reaches_the_forwarding_postback(fake_keitaro, forwarding, convert):
    connections.update_connection(
        forwarding, {"postback_key": "newkey99"}, keyring(), keitaro_settings()
    )
    fake_keitaro.postback_key = "newkey99"
    convert(click_id="rekeyed", transaction_id="TK")
    assert [p["subid"] for p in fake_keitaro.postbacks_received] == ["rekeyed"]


def test_payouts_in_another_currency_than_the_trackers_are_not_compared(
    fake_keitaro, convert, reconcile
):
    convert(click_id="eur", transaction_id="TE", payout="9.00", currency="EUR")
    fake_keitaro.conversions[0]["revenue"] = "10.12"
    report = reconcile()
    assert report.payout_differs == []
    assert report.matches


def test_a_window_past_the_calendar_is_refused():
    with pytest.raises(Invalid):
        keitaro_reconcile.window("99999999999d", utcnow())


def test_a_conversion_changed_in_the_window_is_checked_though_received_before(
    fake_keitaro, convert, reconcile
):
    answer = convert(click_id="older", transaction_id="TO2", payout="1.00")
    conversion = db.session.get(Conversion, answer["conversion_id"])
    conversion.received_at = utcnow() - timedelta(hours=3)
    db.session.commit()
    fake_keitaro.conversions[0]["status"] = "rejected"
    report = reconcile()
    assert [i["sub_id"] for i in report.status_differs] == ["older"]


def test_moving_to_another_host_forgets_the_postback_key_and_pauses_forwarding(forwarding):
    connections.update_connection(
        forwarding, {"url": "http://localhost:9", "api_key": "k2"}, keyring(), keitaro_settings()
    )
    postback = db.session.get(OutboundPostback, forwarding.outbound_postback_id)
    assert forwarding.postback_key_ciphertext is None
    assert postback.state == "disabled" and "no postback key" in postback.disabled_reason


def test_a_postback_key_given_again_resumes_forwarding_to_the_new_host(forwarding):
    connections.update_connection(
        forwarding, {"url": "http://localhost:9", "api_key": "k2"}, keyring(), keitaro_settings()
    )
    connections.update_connection(
        forwarding, {"postback_key": "fresh"}, keyring(), keitaro_settings()
    )
    postback = db.session.get(OutboundPostback, forwarding.outbound_postback_id)
    assert (postback.state, postback.url_template.split("/{url_secret}")[0]) == (
        "active",
        "http://localhost:9",
    )
    assert keyring().decrypt(postback.url_secret_ciphertext) == "fresh"


def test_the_apis_report_carries_a_forwardings_attempts_and_last_error(
    fake_keitaro, convert, reconcile
):
    fake_keitaro.postback_status = 503
    convert(click_id="slow", transaction_id="TS", payout="1.00")
    [item] = ReconcileReportSchema().dump(reconcile().as_dict())["not_yet_delivered"]
    assert (item["attempts"], item["last_error"]) == (1, "the tracker answered 503")
    assert item["delivery_id"] is not None
