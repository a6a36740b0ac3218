"""Each receiver apart: its own limit of attempts at once, its own circuit, and a stalled
or failing receiver never holds back a healthy one."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs.deliveries import sweep
from app.models import Delivery, OutboundPostback
from app.outbound import circuit, dispatch
from app.queue import get_queue
from tests.receivers import Gauge


def deliveries_to(postback_id):
    db.session.expire_all()
    return db.session.scalars(
        select(Delivery).where(Delivery.outbound_postback_id == postback_id).order_by(Delivery.id)
    ).all()


def postback(postback_id):
    db.session.expire_all()
    return db.session.get(OutboundPostback, postback_id)


@pytest.fixture
def conversions(fire):
    """Store ``n`` conversions (their deliveries are planned and handed to the engine)."""

    def store(n, prefix="T"):
        return [
            fire(event="dep", transaction_id=f"{prefix}-{i}-{time.monotonic_ns()}")
            for i in range(n)
        ]

    return store


@pytest.fixture
def settle(app):
    def wait():
        get_queue(app).join()

    return wait


def test_a_stalled_receiver_does_not_hold_back_a_healthy_one(make_receiver, outbound, conversions):
    stalled, healthy = make_receiver(hang=True), make_receiver()
    outbound(name="stalled", url_template=stalled.url, timeout_seconds=5)
    outbound(name="healthy", url_template=healthy.url)
    started = time.monotonic()
    conversions(20)
    assert healthy.wait_for(20, timeout=4)
    assert time.monotonic() - started < 4
    assert stalled.in_flight > 0  # its attempts still hang meanwhile


def test_a_receiver_gets_at_most_its_concurrency_at_once(
    make_receiver, outbound, conversions, settle
):
    slow = make_receiver(delay=0.1)
    outbound(url_template=slow.url, concurrency=2)
    conversions(8)
    settle()
    assert (slow.count, slow.most_at_once) == (8, 2)


@pytest.fixture
def three_threads(app_config):
    app_config["PBHUB_DELIVERY_THREADS"] = 3


def test_a_worker_makes_at_most_its_threads_attempts_at_once(
    three_threads, make_receiver, outbound, conversions, settle
):
    both = Gauge()
    first, second = make_receiver(delay=0.1, gauge=both), make_receiver(delay=0.1, gauge=both)
    outbound(url_template=first.url, concurrency=8)
    outbound(url_template=second.url, concurrency=8)
    conversions(6)
    settle()
    assert first.count == second.count == 6
    assert both.most_at_once == 3


@pytest.fixture
def failing(make_receiver, outbound, conversions, settle, clock):
    """A receiver answering 503, sent one attempt at a time, after seven conversions."""
    receiver = make_receiver(status=503)
    created = outbound(url_template=receiver.url, concurrency=1, retry_count=10)
    conversions(circuit.FAILURES_TO_OPEN + 2)
    settle()
    return receiver, created["id"]


def test_failures_in_a_row_open_the_circuit_and_hold_the_rest_without_spending_retries(
    failing, clock
):
    receiver, postback_id = failing
    row = postback(postback_id)
    assert receiver.count == circuit.FAILURES_TO_OPEN
    assert row.circuit_state == "open"
    assert row.circuit_next_probe_at == clock.now + circuit.FIRST_PAUSE
    held = [d for d in deliveries_to(postback_id) if d.attempts == 0]
    assert [d.state for d in held] == ["pending", "pending"]


def test_the_sweeper_leaves_an_open_circuits_deliveries_alone_until_the_probe(failing, clock):
    receiver, _ = failing
    clock.advance(seconds=10)
    assert sweep()["due"] == 0
    assert receiver.count == circuit.FAILURES_TO_OPEN


def test_the_probe_goes_alone_and_an_answer_closes_the_circuit(failing, clock, settle, app):
    receiver, postback_id = failing
    receiver.status, receiver.hang = 200, True
    db.session.execute(
        OutboundPostback.__table__.update()
        .where(OutboundPostback.id == postback_id)
        .values(concurrency=8)
    )
    db.session.commit()
    clock.advance(seconds=31)
    for delivery in deliveries_to(postback_id):
        delivery.next_attempt_at = clock.now  # the failed ones are due again too
    db.session.commit()
    sweep()
    assert receiver.wait_for(circuit.FAILURES_TO_OPEN + 1)
    time.sleep(0.3)
    assert receiver.count == circuit.FAILURES_TO_OPEN + 1  # the probe, alone
    assert postback(postback_id).circuit_state == "half_open"
    receiver.release()
    settle()
    assert postback(postback_id).circuit_state == "closed"
    assert {d.state for d in deliveries_to(postback_id)} == {"delivered"}


def test_a_failed_probe_opens_the_circuit_for_twice_as_long(failing, clock, settle):
    receiver, postback_id = failing
    clock.advance(seconds=31)
    sweep()
    settle()
    row = postback(postback_id)
    assert receiver.count == circuit.FAILURES_TO_OPEN + 1
    assert (row.circuit_state, row.circuit_trips) == ("open", 2)
    assert row.circuit_next_probe_at == clock.now + 2 * circuit.FIRST_PAUSE


def test_a_client_error_is_an_answer_and_keeps_the_circuit_closed(
    make_receiver, outbound, conversions, settle
):
    refusing = make_receiver(status=400)
    created = outbound(url_template=refusing.url, concurrency=1)
    conversions(circuit.FAILURES_TO_OPEN + 2)
    settle()
    assert refusing.count == circuit.FAILURES_TO_OPEN + 2
    assert postback(created["id"]).circuit_state == "closed"


def test_one_receivers_backlog_does_not_hide_anothers_due_retries(
    make_receiver, outbound, conversions, settle, clock
):
    busy, other = make_receiver(status=503), make_receiver(status=503)
    first = outbound(url_template=busy.url, retry_count=5)["id"]
    second = outbound(url_template=other.url, retry_count=5)["id"]
    conversions(4)
    settle()
    clock.advance(hours=1)
    due = dispatch.due(clock.now, per_receiver=2)
    receivers = [db.session.get(Delivery, id_).outbound_postback_id for id_ in due]
    assert sorted(receivers) == [first, first, second, second]


def test_the_api_shows_each_receivers_circuit_and_limit(failing, client, operator_headers):
    _, postback_id = failing
    shown = client.get(f"/api/v1/outbound-postbacks/{postback_id}", headers=operator_headers)
    body = shown.get_json()
    assert body["concurrency"] == 1
    assert body["circuit"]["state"] == "open"
    assert body["circuit"]["failures_in_a_row"] == circuit.FAILURES_TO_OPEN
    assert body["circuit"]["open_since"] and body["circuit"]["next_probe_at"]


def test_probe_now_ends_the_pause(failing, client, operator_headers, clock):
    _, postback_id = failing
    answer = client.post(
        f"/api/v1/outbound-postbacks/{postback_id}/probe", headers=operator_headers
    )
    assert answer.status_code == 200
    assert postback(postback_id).circuit_next_probe_at == clock.now
    assert sweep()["due"] >= 1


def test_probing_a_closed_circuit_is_a_conflict(make_receiver, outbound, client, operator_headers):
    created = outbound(url_template=make_receiver().url)
    answer = client.post(
        f"/api/v1/outbound-postbacks/{created['id']}/probe", headers=operator_headers
    )
    assert answer.status_code == 409
    assert "closed" in answer.get_json()["error"]["message"]


def test_setting_a_postback_active_again_closes_its_circuit(failing, client, operator_headers):
    _, postback_id = failing
    client.patch(
        f"/api/v1/outbound-postbacks/{postback_id}",
        json={"state": "inactive"},
        headers=operator_headers,
    )
    client.patch(
        f"/api/v1/outbound-postbacks/{postback_id}",
        json={"state": "active"},
        headers=operator_headers,
    )
    assert postback(postback_id).circuit_state == "closed"


def test_the_cli_lists_each_receivers_circuit(failing, runner, clock):
    listed = runner.invoke(args=["outbound", "list"])
    assert listed.exit_code == 0
    assert "circuit open since" in listed.output
    assert "next probe" in listed.output and "(in 30 s)" in listed.output
    assert "up to 1 at once" in listed.output


def test_the_cli_probes_an_open_circuit(failing, runner):
    _, postback_id = failing
    probed = runner.invoke(args=["outbound", "probe", str(postback_id)])
    assert probed.exit_code == 0, probed.output
    assert "probing with the next delivery due" in probed.output


def test_the_dashboard_shows_a_paused_receiver(failing, sign_in, client):
    _, postback_id = failing
    sign_in()
    listing = client.get("/outbound").get_data(as_text=True)
    assert 'data-circuit="open"' in listing
    page = client.get(f"/outbound/{postback_id}").get_data(as_text=True)
    assert "data-circuit-banner" in page and "Probe now" in page
    assert f"failed {circuit.FAILURES_TO_OPEN} times in a row" in page


@pytest.mark.parametrize(
    ("trips", "seconds"), [(1, 30), (2, 60), (3, 120), (5, 480), (6, 600), (12, 600)]
)
def test_each_reopening_doubles_the_pause_up_to_ten_minutes(trips, seconds):
    assert circuit.pause(trips) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("result", "error", "counted"),
    [
        ("retry", "ReadTimeout: no answer", True),
        ("retry", None, True),
        ("delivered", None, False),
        ("failed", None, False),
        ("gone", None, False),
        ("failed", "refused: host x resolves to 127.0.0.1", None),
    ],
)
def test_what_counts_against_a_receiver(result, error, counted):
    assert circuit.failed(result, error) is counted
