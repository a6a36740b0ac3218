"""Every status change is delivered: each revision of a conversion, in order, with its own
status and amounts, planned from the stored history whatever the queue lost.

The receiver is a Keitaro tracker on loopback (the Keitaro preset: ``pending`` is sent as
``lead``, an approved deposit as ``sale``). "Planning lost" drops the follow-up jobs
ingest enqueues, as a Redis flush or a crash would.
"""

import json

import pytest
from sqlalchemy import select
from werkzeug import Request, Response

from app.core.cid import mint
from app.extensions import db
from app.jobs.deliveries import sweep
from app.models import Conversion, Delivery, StatusChange
from app.models.types import utcnow
from app.outbound import dispatch
from app.queue import get_queue
from app.runtime import keyring


class Tracker:
    """What the tracker was sent, in order; it fails the steps it is told to fail."""

    def __init__(self):
        self.requests = []
        self.failing = set()

    def __call__(self, request: Request) -> Response:
        self.requests.append(dict(request.args))
        if request.args["status"] in self.failing:
            return Response("busy", status=503)
        return Response("ok")

    def sent(self):
        return [(r["status"], r["payout"]) for r in self.requests]


@pytest.fixture
def keitaro(httpserver, outbound):
    """Keitaro's postback preset, retrying an hour after a failure."""
    tracker = Tracker()
    httpserver.expect_request("/KEY/postback").respond_with_handler(tracker)

    def create(**fields):
        fields.setdefault("retry_delay_seconds", 3600)
        return outbound(
            preset="keitaro", tracker_url=httpserver.url_for("/"), postback_key="KEY", **fields
        )

    tracker.create = create
    return tracker


@pytest.fixture
def planning_lost(monkeypatch):
    """Postbacks are stored, but their follow-up jobs never reach a worker."""
    monkeypatch.setattr("app.ingest.routes._enqueue", lambda conversion_id, kind: None)


@pytest.fixture
def pending_then_approved(convert):
    """The transaction T1 arrives pending with a payout of 5, then approved with 12."""

    def fire():
        convert(transaction_id="T1", status="pending", payout="5")
        return convert(transaction_id="T1", status="approved", payout="12")["conversion_id"]

    return fire


def swept(app, clock):
    """The sweeper's round once the planning grace has passed, and the jobs it queued."""
    clock.advance(seconds=dispatch.PLAN_GRACE.total_seconds() + 60)
    result = sweep()
    get_queue(app).join()
    return result


def deliveries():
    db.session.expire_all()
    return db.session.scalars(select(Delivery).order_by(Delivery.revision, Delivery.id)).all()


def test_the_pending_step_is_delivered_when_its_planning_was_lost_before_the_approval(
    app, keitaro, pending_then_approved, planning_lost, clock
):
    keitaro.create()
    pending_then_approved()
    assert keitaro.sent() == []
    swept(app, clock)
    assert keitaro.sent() == [("lead", "5"), ("sale", "12")]
    assert [(d.revision, d.state) for d in deliveries()] == [(0, "delivered"), (1, "delivered")]


def test_a_pending_delivery_retried_after_the_approval_still_says_pending(
    app, keitaro, pending_then_approved, clock
):
    keitaro.create()
    keitaro.failing = {"lead"}
    pending_then_approved()
    keitaro.failing = set()
    clock.advance(hours=2)
    sweep()
    get_queue(app).join()
    assert keitaro.sent() == [("lead", "5"), ("lead", "5"), ("sale", "12")]


def test_a_later_revision_waits_while_the_earlier_one_is_retrying(
    app, keitaro, pending_then_approved, clock
):
    keitaro.create()
    keitaro.failing = {"lead"}
    pending_then_approved()
    clock.advance(minutes=30)  # past the planning grace, before the retry is due
    assert sweep()["due"] == 0
    get_queue(app).join()
    assert keitaro.sent() == [("lead", "5")]
    assert [(d.state, d.attempts) for d in deliveries()] == [("retrying", 1), ("pending", 0)]


def test_a_later_revision_goes_as_soon_as_the_earlier_one_is_delivered(
    send, keitaro, pending_then_approved, clock
):
    keitaro.create()
    keitaro.failing = {"lead"}
    pending_then_approved()
    keitaro.failing = set()
    clock.advance(hours=2)
    send([deliveries()[0].id])  # the retry alone, no sweep
    assert [d.state for d in deliveries()] == ["delivered", "delivered"]
    assert keitaro.sent()[-2:] == [("lead", "5"), ("sale", "12")]


@pytest.fixture
def dead_pending_step(send, keitaro, pending_then_approved, clock):
    """The pending step died while the tracker refused it; the approval then got through."""
    keitaro.create(retry_count=1)
    keitaro.failing = {"lead"}
    pending_then_approved()
    clock.advance(hours=2)
    send([deliveries()[0].id])
    keitaro.failing = set()
    return keitaro


def test_a_later_revision_goes_once_the_earlier_one_is_dead(dead_pending_step):
    assert [d.state for d in deliveries()] == ["dead", "delivered"]
    assert dead_pending_step.sent() == [("lead", "5"), ("lead", "5"), ("sale", "12")]


def test_replaying_dead_deliveries_leaves_a_step_a_later_status_overtook(
    client, operator_headers, dead_pending_step
):
    postback_id = deliveries()[0].outbound_postback_id
    answer = client.post(
        f"/api/v1/outbound-postbacks/{postback_id}/replay-dead", headers=operator_headers
    )
    assert answer.get_json() == {"replayed": 0, "superseded": 1}
    assert [d.state for d in deliveries()] == ["dead", "delivered"]
    assert dead_pending_step.sent()[-1] == ("sale", "12")


def test_replaying_one_overtaken_step_is_refused_with_the_reason(
    client, operator_headers, dead_pending_step
):
    dead = deliveries()[0]
    answer = client.post(f"/api/v1/deliveries/{dead.id}/replay", headers=operator_headers)
    assert answer.status_code == 409
    assert "would leave the receiver on the older status" in answer.get_json()["error"]["message"]


def test_the_sweeper_plans_an_unplanned_revision_of_an_already_planned_conversion(
    app, keitaro, convert, monkeypatch, clock
):
    keitaro.create()
    convert(transaction_id="T1", status="pending", payout="5")
    monkeypatch.setattr("app.ingest.routes._enqueue", lambda conversion_id, kind: None)
    convert(transaction_id="T1", status="approved", payout="12")
    assert swept(app, clock)["unplanned"] == 1
    assert keitaro.sent() == [("lead", "5"), ("sale", "12")]


def test_a_revision_whose_status_the_map_leaves_unsent_is_not_planned(
    app, keitaro, pending_then_approved, planning_lost, clock
):
    keitaro.create(status_map={"pending": ""})
    pending_then_approved()
    swept(app, clock)
    assert keitaro.sent() == [("sale", "12")]
    assert [d.revision for d in deliveries()] == [1]


def test_planning_again_never_plans_a_revision_twice(app, keitaro, convert, planning_lost, clock):
    keitaro.create()
    conversion_id = convert(transaction_id="T1", status="pending", payout="5")["conversion_id"]
    convert(transaction_id="T1", status="approved", payout="12")
    dispatch.plan_many([conversion_id], clock.now)
    assert dispatch.plan_many([conversion_id], clock.now) == []
    assert swept(app, clock)["unplanned"] == 0
    assert [d.revision for d in deliveries()] == [0, 1]


def test_a_status_change_keeps_its_revision_and_what_the_previous_revision_said(convert):
    convert(transaction_id="T1", status="pending", payout="5", currency="EUR")
    convert(transaction_id="T1", status="approved", payout="12", currency="USD")
    change = db.session.scalars(select(StatusChange)).one()
    assert change.revision == 1
    assert (change.from_status, str(change.from_payout_amount), change.from_payout_currency) == (
        "pending",
        "5",
        "EUR",
    )


def test_a_signed_webhook_of_an_earlier_revision_describes_that_revision(
    app, httpserver, outbound, pending_then_approved, planning_lost, clock
):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    outbound(preset="signed_webhook", url=httpserver.url_for("/hook"))
    pending_then_approved()
    swept(app, clock)
    bodies = [json.loads(request.data) for request, _ in httpserver.log]
    assert [
        (b["type"], b["data"]["revision"], b["data"]["status"], b["data"]["payout_amount"])
        for b in bodies
    ] == [("conversion.accepted", 0, "pending", "5"), ("conversion.updated", 1, "approved", "12")]


def test_a_conversion_planned_in_full_is_no_longer_owed(keitaro, convert):
    keitaro.create()
    convert(transaction_id="T1", status="pending", payout="5")
    conversion_id = convert(transaction_id="T1", status="approved", payout="12")["conversion_id"]
    db.session.expire_all()
    conversion = db.session.get(Conversion, conversion_id)
    assert (conversion.planned_revision, conversion.revision) == (1, 1)
    assert not conversion.dispatch_pending


def test_a_re_map_delivers_the_steps_left_unplanned_then_the_corrected_conversion(
    app, client, operator_headers, source, keitaro, convert, planning_lost, clock
):
    keitaro.create()
    token = mint(keyring().click_token, source["id"], utcnow())
    convert(transaction_id="T1", status="pending", payout="5", sub=token)
    convert(transaction_id="T1", status="approved", payout="12", sub=token)
    client.patch(
        f"/api/v1/sources/{source['id']}",
        json={"field_map": {"click_id": "sub"}},
        headers=operator_headers,
    )
    answer = client.post(
        f"/api/v1/sources/{source['id']}/reprocess", json={"days": 1}, headers=operator_headers
    )
    assert answer.get_json()["changed"] == 1
    swept(app, clock)
    assert keitaro.sent() == [("lead", "5"), ("sale", "12")]
    assert [r["subid"] for r in keitaro.requests] == [token, token]
    assert [d.revision for d in deliveries()] == [0, 2]


def test_the_cli_says_which_dead_steps_it_left_dead(runner, dead_pending_step):
    postback_id = deliveries()[0].outbound_postback_id
    result = runner.invoke(args=["outbound", "replay-dead", str(postback_id)])
    assert result.exit_code == 0, result.output
    assert "replayed 0 deliveries" in result.output
    assert "left 1 dead: a later status of their conversions already reached" in result.output
