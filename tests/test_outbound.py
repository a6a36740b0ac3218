"""Outbound postbacks: what is sent, to whom, signed how, retried when, and never lost.

Real HTTP receivers on loopback (pytest-httpserver); the clock is injected, so retry
schedules are checked without sleeping.
"""

import dataclasses
import json
import re
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select, text, update
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from werkzeug import Response

from app.extensions import db
from app.jobs.deliveries import sweep
from app.models import Conversion, Delivery, DeliveryAttempt, OutboundPostback
from app.models.types import utcnow
from app.outbound import dispatch
from app.outbound.ssrf import parse_allowed
from app.queue import get_queue


def deliveries():
    db.session.expire_all()
    return db.session.scalars(select(Delivery).order_by(Delivery.id)).all()


def attempts():
    return db.session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id)).all()


def test_a_get_postback_fills_every_macro_url_encoded(httpserver, outbound, convert, source):
    httpserver.expect_request("/hit").respond_with_data("ok")
    outbound(
        url_template=httpserver.url_for("/hit")
        + "?c={click_id}&e={event_type}&r={raw_event}&s={status}&t={transaction_id}"
        "&p={payout_amount}&pc={payout_currency}&src={source_name}&id={conversion_id}"
        "&x={param:note}"
    )
    conversion = convert(click_id="a&b=c", payout="12.50", note="hi there", transaction_id="T1")
    [request] = [r for r, _ in httpserver.log]
    query = parse_qs(request.query_string.decode())
    assert query["c"] == ["a&b=c"]
    assert (query["e"], query["r"], query["s"]) == (["ftd"], ["dep"], ["ftd"])
    assert (query["p"], query["pc"], query["t"]) == (["12.5"], ["USD"], ["T1"])
    assert query["src"] == [source["name"]]
    assert query["id"] == [str(conversion["conversion_id"])]
    assert query["x"] == ["hi there"]
    assert [d.state for d in deliveries()] == ["delivered"]


def test_a_post_form_body_headers_and_extra_params_are_sent(httpserver, outbound, convert):
    httpserver.expect_request("/form", method="POST").respond_with_data("ok")
    outbound(
        url_template=httpserver.url_for("/form"),
        method="POST",
        body_format="form",
        body_template="click={click_id}&amount={payout_amount}",
        headers={"X-Api-Key": "k-1", "X-Event": "{event_type}"},
        extra_params={"partner": "hub"},
    )
    convert(click_id="C9", payout="3")
    request = httpserver.log[0][0]
    assert request.form["click"] == "C9" and request.form["amount"] == "3"
    assert request.headers["X-Api-Key"] == "k-1" and request.headers["X-Event"] == "ftd"
    assert request.args["partner"] == "hub"


def test_a_json_template_escapes_values(httpserver, outbound, convert):
    httpserver.expect_request("/json", method="POST").respond_with_data("ok")
    outbound(
        url_template=httpserver.url_for("/json"),
        method="POST",
        body_format="json",
        body_template='{"click": "{click_id}", "event": "{event_type}"}',
    )
    convert(click_id='say "hi"\n')
    assert json.loads(httpserver.log[0][0].data) == {"click": 'say "hi"', "event": "ftd"}


@pytest.mark.parametrize(
    ("fields", "sent"),
    [
        ({"events": ["registration"]}, False),
        ({"events": ["ftd"]}, True),
        ({"attributions": ["matched"]}, False),
        ({"status_map": {"ftd": ""}}, False),
        ({"source_ids": [999]}, False),
        ({"countries": ["DE"]}, False),
        ({"state": "inactive"}, False),
    ],
)
def test_triggers_and_filters_decide_what_is_sent(httpserver, outbound, convert, fields, sent):
    httpserver.expect_request("/f").respond_with_data("ok")
    outbound(url_template=httpserver.url_for("/f"), **fields)
    convert()
    assert len(deliveries()) == (1 if sent else 0)


def test_duplicates_are_never_delivered(httpserver, outbound, convert):
    httpserver.expect_request("/d").respond_with_data("ok")
    outbound(url_template=httpserver.url_for("/d"))
    convert(transaction_id="SAME")
    convert(transaction_id="SAME")
    assert len(deliveries()) == 1


def test_the_default_currency_fills_a_missing_one(httpserver, outbound, make_source, client, app):
    source = make_source()  # no default currency of its own
    httpserver.expect_request("/cur").respond_with_data("ok")
    outbound(
        url_template=httpserver.url_for("/cur") + "?c={payout_currency}", default_currency="EUR"
    )
    client.get(source["postback_path"], query_string={"event": "dep", "payout": "2"})
    get_queue(app).join()
    assert httpserver.log[0][0].args["c"] == "EUR"


def test_the_signed_webhook_verifies_with_standard_webhooks(httpserver, outbound, convert):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    created = outbound(preset="signed_webhook", url=httpserver.url_for("/hook"))
    convert(click_id="C1", payout="5")
    request = httpserver.log[0][0]
    headers = dict(request.headers)
    payload = Webhook(created["secret"]).verify(request.data, headers)
    assert payload["type"] == "conversion.accepted"
    assert payload["data"]["click_id"] == "C1"
    assert headers["X-Postback-Hub-Signature"] == headers["Webhook-Signature"]
    with pytest.raises(WebhookVerificationError):
        Webhook(created["secret"]).verify(request.data + b" ", headers)


def test_a_stale_signature_fails_verification(httpserver, outbound, convert, clock):
    httpserver.expect_request("/stale", method="POST").respond_with_data("ok")
    created = outbound(preset="signed_webhook", url=httpserver.url_for("/stale"))
    clock.advance(minutes=-10)
    convert()
    request = httpserver.log[0][0]
    with pytest.raises(WebhookVerificationError):
        Webhook(created["secret"]).verify(request.data, dict(request.headers))


def test_after_rotation_both_secrets_verify_during_the_grace(
    httpserver, outbound, convert, client, operator_headers
):
    httpserver.expect_request("/rot", method="POST").respond_with_data("ok")
    created = outbound(preset="signed_webhook", url=httpserver.url_for("/rot"))
    rotated = client.post(
        f"/api/v1/outbound-postbacks/{created['id']}/rotate-secret",
        json={"grace_hours": 24},
        headers=operator_headers,
    ).get_json()
    assert rotated["secret"] != created["secret"]
    convert()
    request = httpserver.log[0][0]
    for secret in (created["secret"], rotated["secret"]):
        Webhook(secret).verify(request.data, dict(request.headers))


def test_a_secret_is_shown_once_and_never_again(outbound, client, operator_headers):
    created = outbound(preset="signed_webhook", url="https://hooks.example.com/in")
    again = client.get(
        f"/api/v1/outbound-postbacks/{created['id']}", headers=operator_headers
    ).get_json()
    assert created["secret"].startswith("whsec_")
    assert "secret" not in again and again["signed"] is True


def test_a_failing_receiver_is_retried_on_schedule_then_delivered(
    send, httpserver, outbound, convert, clock
):
    httpserver.expect_ordered_request("/r").respond_with_data("down", status=503)
    httpserver.expect_ordered_request("/r").respond_with_data("ok")
    outbound(url_template=httpserver.url_for("/r"), retry_count=3, retry_delay_seconds=60)
    convert()
    [delivery] = deliveries()
    assert delivery.state == "retrying"
    wait = (delivery.next_attempt_at - clock.now).total_seconds()
    assert 48 <= wait <= 72
    sweep()
    assert deliveries()[0].attempts == 1  # not due yet: nothing sent
    clock.advance(seconds=73)
    send([delivery.id])
    assert deliveries()[0].state == "delivered"
    assert [a.outcome for a in attempts()] == ["retry", "delivered"]


def test_retry_after_is_honoured(httpserver, outbound, convert, clock):
    httpserver.expect_request("/ra").respond_with_response(
        Response("slow down", status=429, headers={"Retry-After": "600"})
    )
    outbound(url_template=httpserver.url_for("/ra"), retry_delay_seconds=5)
    convert()
    wait = (deliveries()[0].next_attempt_at - clock.now).total_seconds()
    assert wait >= 600


def test_a_client_error_fails_without_retry(httpserver, outbound, convert):
    httpserver.expect_request("/bad").respond_with_data("no", status=400)
    outbound(url_template=httpserver.url_for("/bad"))
    convert()
    [delivery] = deliveries()
    assert (delivery.state, delivery.next_attempt_at) == ("failed", None)


def test_410_disables_the_postback(httpserver, outbound, convert):
    httpserver.expect_request("/gone").respond_with_data("gone", status=410)
    created = outbound(url_template=httpserver.url_for("/gone"))
    convert()
    row = db.session.get(OutboundPostback, created["id"])
    db.session.refresh(row)
    assert row.state == "disabled" and "410" in row.disabled_reason


def test_spent_retries_make_a_delivery_dead_and_replay_sends_it(
    send, httpserver, outbound, convert, clock, client, operator_headers
):
    httpserver.expect_ordered_request("/dead").respond_with_data("x", status=500)
    httpserver.expect_ordered_request("/dead").respond_with_data("x", status=500)
    httpserver.expect_ordered_request("/dead").respond_with_data("ok")
    created = outbound(url_template=httpserver.url_for("/dead"), retry_count=1)
    convert()
    clock.advance(hours=1)
    send([deliveries()[0].id])
    assert deliveries()[0].state == "dead"
    answer = client.post(
        f"/api/v1/outbound-postbacks/{created['id']}/replay-dead", headers=operator_headers
    )
    assert answer.get_json() == {"replayed": 1, "superseded": 0}
    get_queue(client.application).join()
    assert deliveries()[0].state == "delivered"


def test_five_days_of_failures_disable_the_postback(send, httpserver, outbound, convert, clock):
    httpserver.expect_request("/sick").respond_with_data("x", status=500)
    created = outbound(url_template=httpserver.url_for("/sick"), retry_count=20)
    convert()
    clock.advance(days=5, minutes=1)
    db.session.execute(update(Delivery).values(next_attempt_at=clock.now))
    db.session.commit()
    send([deliveries()[0].id])
    row = db.session.get(OutboundPostback, created["id"])
    db.session.refresh(row)
    assert row.state == "disabled" and "five days" in row.disabled_reason


def test_a_status_change_is_delivered_again_with_the_new_status(httpserver, outbound, convert):
    httpserver.expect_request("/k").respond_with_data("ok")
    outbound(
        url_template=httpserver.url_for("/k") + "?status={status}&tid={transaction_id}",
        status_map={"pending": "lead", "ftd": "sale"},
    )
    convert(transaction_id="K1", status="pending")
    convert(transaction_id="K1", status="approved")
    assert [r.args["status"] for r, _ in httpserver.log] == ["lead", "sale"]
    assert [d.revision for d in deliveries()] == [0, 1]


def test_a_held_delivery_is_not_sent_twice_at_once(send, httpserver, outbound, convert, clock):
    httpserver.expect_request("/once").respond_with_data("x", status=503)
    outbound(url_template=httpserver.url_for("/once"))
    convert()
    delivery_id = deliveries()[0].id
    clock.advance(hours=2)
    db.session.execute(update(Delivery).values(lease_until=clock.now + timedelta(seconds=30)))
    db.session.commit()
    send([delivery_id])
    assert len(attempts()) == 1


def test_an_attempt_has_the_postbacks_timeout_within_the_hubs_total_deadline(app, outbound):
    from app.outbound import dispatch
    from app.runtime import delivery_settings

    url = "https://receiver.example/pb"
    quick = db.session.get(OutboundPostback, outbound(url_template=url, timeout_seconds=5)["id"])
    slow = db.session.get(OutboundPostback, outbound(url_template=url, timeout_seconds=25)["id"])
    settings = dataclasses.replace(delivery_settings(), deadline=10.0)
    assert dispatch.attempt_deadline(quick, settings) == 5
    assert dispatch.attempt_deadline(slow, settings) == 10


def test_a_claim_lasts_the_attempts_deadline_and_the_time_to_record_it(
    httpserver, outbound, convert, clock
):
    from app.outbound import dispatch

    httpserver.expect_request("/a").respond_with_data("down", status=503)
    outbound(url_template=httpserver.url_for("/a"))
    convert()
    clock.advance(hours=1)
    delivery_id = deliveries()[0].id
    [delivery] = deliveries()
    wanted = {delivery.outbound_postback_id: dispatch.Wanted([delivery_id], 1, 7.5)}
    claimed, _ = dispatch.claim(wanted, clock.now)
    [delivery] = deliveries()
    assert claimed == {delivery.outbound_postback_id: [delivery_id]}
    assert delivery.lease_until == clock.now + timedelta(seconds=7.5) + dispatch.LEASE_MARGIN
    assert delivery.attempts == 2


def test_the_sweeper_plans_a_conversion_whose_job_was_lost(
    app, httpserver, outbound, convert, clock
):
    httpserver.expect_request("/lost").respond_with_data("ok")
    conversion_id = convert()["conversion_id"]
    outbound(url_template=httpserver.url_for("/lost"))
    db.session.execute(
        update(Conversion)
        .where(Conversion.id == conversion_id)
        .values(dispatch_pending=True, updated_at=clock.now - timedelta(minutes=5))
    )
    db.session.commit()
    assert sweep()["unplanned"] == 1
    get_queue(app).join()
    assert [d.state for d in deliveries()] == ["delivered"]


def test_the_sweeper_resends_a_delivery_whose_worker_died(
    app, httpserver, outbound, convert, clock
):
    httpserver.expect_request("/crash").respond_with_data("ok")
    outbound(url_template=httpserver.url_for("/crash"))
    convert()
    db.session.execute(
        update(Delivery).values(
            state="pending", lease_until=clock.now - timedelta(seconds=1), next_attempt_at=clock.now
        )
    )
    db.session.commit()
    assert sweep()["due"] == 1
    get_queue(app).join()
    assert deliveries()[0].state == "delivered"


def test_a_private_target_is_refused_unless_allowed(app, outbound, convert):
    settings = app.extensions["pbhub.delivery"]
    nothing = parse_allowed("")
    app.extensions["pbhub.delivery"] = dataclasses.replace(settings, allowed=nothing)
    outbound(url_template="http://127.0.0.1:9/x")
    convert()
    [delivery] = deliveries()
    assert delivery.state == "failed"
    assert "refused" in delivery.last_error


def test_the_keitaro_preset_masks_its_key_and_maps_statuses(httpserver, outbound, convert):
    httpserver.expect_request("/SECRETKEY123/postback").respond_with_data("ok")
    created = outbound(
        preset="keitaro", tracker_url=httpserver.url_for("/"), postback_key="SECRETKEY123"
    )
    assert "SECRETKEY123" not in json.dumps(created)
    convert(transaction_id="KT", status="pending", click_id="sub-1")
    request = httpserver.log[0][0]
    assert (request.args["status"], request.args["subid"]) == ("lead", "sub-1")
    assert "SECRETKEY123" not in attempts()[0].url


def test_a_url_secret_with_reserved_characters_is_masked_too(httpserver, outbound, convert):
    httpserver.expect_request(re.compile(".*/postback")).respond_with_data("ok")
    outbound(preset="keitaro", tracker_url=httpserver.url_for("/"), postback_key="K+/=SECRET99")
    convert(transaction_id="KR", click_id="sub-2")
    assert httpserver.log, "the postback was not sent"
    assert "SECRET99" not in attempts()[0].url


@pytest.mark.parametrize(
    "fields",
    [
        {"url_template": "https://x.example/?c={clik_id}"},
        {"url_template": "https://x.example/", "headers": {"X": "{nope}"}},
        {"url_template": "ftp://x.example/"},
        {"preset": "keitaro", "tracker_url": "https://k.example"},
    ],
)
def test_a_bad_outbound_postback_is_refused_with_field_errors(client, operator_headers, fields):
    answer = client.post(
        "/api/v1/outbound-postbacks", json={"name": "bad", **fields}, headers=operator_headers
    )
    assert answer.status_code == 422
    assert answer.get_json()["error"]["fields"]


def test_the_test_endpoint_shows_the_request_and_the_answer(
    httpserver, outbound, client, operator_headers
):
    httpserver.expect_request("/t").respond_with_data("pong", status=202)
    created = outbound(url_template=httpserver.url_for("/t") + "?c={click_id}")
    answer = client.post(
        f"/api/v1/outbound-postbacks/{created['id']}/test", headers=operator_headers
    ).get_json()
    assert answer["request"]["url"].endswith("?c=TEST-CLICK-ID")
    assert answer["response"] == {"status_code": 202, "body": "pong"}


def test_a_source_target_url_creates_its_signed_webhook(
    httpserver, make_source, client, app, operator_headers
):
    httpserver.expect_request("/own", method="POST").respond_with_data("ok")
    source = make_source(outbound_target_url=httpserver.url_for("/own"))
    assert source["outbound_secret"].startswith("whsec_")
    client.get(source["postback_path"], query_string={"event": "dep", "transaction_id": "S1"})
    get_queue(app).join()
    request = httpserver.log[0][0]
    Webhook(source["outbound_secret"]).verify(request.data, dict(request.headers))
    client.patch(
        f"/api/v1/sources/{source['id']}",
        json={"outbound_target_url": None},
        headers=operator_headers,
    )
    [row] = db.session.scalars(select(OutboundPostback)).all()
    assert (row.owner_source_id, row.state) == (source["id"], "inactive")


def test_a_source_named_as_long_as_allowed_gets_its_webhook(make_source):
    """The webhook is named after the source, and fits its column however long that is."""
    source = make_source(name="N" * 120, outbound_target_url="https://crm.example/hook")
    assert source["webhook_id"] is not None
    [row] = db.session.scalars(select(OutboundPostback)).all()
    assert row.name == "N" * 112 + " webhook"


def test_a_source_created_from_a_detection_gets_its_webhook(client, operator_headers):
    body = {
        "name": "Detected",
        "url": "https://hub.example/pb?clickid={clickid}&payout={payout}",
        "outbound_target_url": "https://crm.example/hook",
    }
    answer = client.post("/api/v1/sources/from-detection", json=body, headers=operator_headers)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["outbound_secret"].startswith("whsec_")
    assert answer.get_json()["webhook_id"] is not None


def test_the_cli_creates_tests_and_lists_outbound_postbacks(runner, httpserver):
    httpserver.expect_request("/cli").respond_with_data("fine")
    created = runner.invoke(
        args=["outbound", "create", "--name", "cli", "--url-template", httpserver.url_for("/cli")]
    )
    assert created.exit_code == 0, created.output
    postback_id = json.loads(created.output)["id"]
    tested = runner.invoke(args=["outbound", "test", str(postback_id)])
    assert json.loads(tested.output)["response"]["status_code"] == 200
    assert "cli" in runner.invoke(args=["outbound", "list"]).output
    rotated = runner.invoke(args=["outbound", "rotate-secret", str(postback_id)])
    assert json.loads(rotated.output)["secret"].startswith("whsec_")
    rotated_again = runner.invoke(args=["outbound", "rotate-secret", str(postback_id)])
    assert rotated_again.exit_code == 0, rotated_again.output
    assert db.session.get(OutboundPostback, postback_id).previous_secret_ciphertext
    ended = runner.invoke(args=["outbound", "end-grace", str(postback_id)])
    assert ended.exit_code == 0, ended.output
    db.session.expire_all()
    assert db.session.get(OutboundPostback, postback_id).previous_secret_ciphertext is None


def test_the_cli_test_of_a_refused_postback_exits_non_zero(runner, outbound):
    created = outbound(name="private", url_template="http://10.0.0.1/pb?c={click_id}")
    tested = runner.invoke(args=["outbound", "test", str(created["id"])])
    assert tested.exit_code == 1
    assert "the test postback was not accepted: refused:" in tested.output


def test_the_cli_test_of_a_failing_receiver_exits_non_zero(runner, httpserver, outbound):
    httpserver.expect_request("/down").respond_with_data("no", status=500)
    created = outbound(name="down", url_template=httpserver.url_for("/down"))
    tested = runner.invoke(args=["outbound", "test", str(created["id"])])
    assert tested.exit_code == 1
    assert "the receiver answered 500" in tested.output


def test_a_cli_replay_that_is_not_delivered_exits_non_zero(
    runner, httpserver, outbound, convert, clock
):
    httpserver.expect_request("/flaky").respond_with_data("no", status=503)
    outbound(name="flaky", url_template=httpserver.url_for("/flaky"))
    convert()
    [delivery] = db.session.scalars(select(Delivery)).all()
    replayed = runner.invoke(args=["outbound", "replay", str(delivery.id)])
    assert replayed.exit_code == 1
    assert f"delivery {delivery.id} was not delivered (retrying)" in replayed.output


def test_every_attempt_is_signed_afresh_under_the_same_webhook_id(
    send, httpserver, outbound, convert, clock
):
    httpserver.expect_ordered_request("/again", method="POST").respond_with_data("x", status=503)
    httpserver.expect_ordered_request("/again", method="POST").respond_with_data("ok")
    created = outbound(preset="signed_webhook", url=httpserver.url_for("/again"))
    convert()
    clock.advance(minutes=1)
    send([deliveries()[0].id])
    first, second = (dict(r.headers) for r, _ in httpserver.log)
    assert first["Webhook-Id"] == second["Webhook-Id"]
    assert int(second["Webhook-Timestamp"]) - int(first["Webhook-Timestamp"]) >= 60
    assert first["Webhook-Signature"] != second["Webhook-Signature"]
    for request, _ in httpserver.log:
        Webhook(created["secret"]).verify(request.data, dict(request.headers))


def test_a_secret_that_no_longer_decrypts_fails_the_attempt_instead_of_sending_unsigned(
    httpserver, outbound, convert
):
    httpserver.expect_request("/hook").respond_with_data("ok")
    created = outbound(preset="signed_webhook", url=httpserver.url_for("/hook"))
    row = db.session.get(OutboundPostback, created["id"])
    row.secret_ciphertext = "gAAAAA-written-under-another-SECRET_KEY"
    db.session.commit()
    convert(transaction_id="LOST")
    assert httpserver.log == []
    [attempt] = attempts()
    assert attempt.outcome == "failed" and "cannot be decrypted" in attempt.error


def test_the_previous_secret_signs_only_while_its_grace_lasts(app):
    from app.outbound.dispatch import signing_secrets
    from app.runtime import keyring

    now = utcnow()
    row = OutboundPostback(
        secret_ciphertext=keyring().encrypt("whsec_new"),
        previous_secret_ciphertext=keyring().encrypt("whsec_old"),
        previous_secret_until=now + timedelta(hours=1),
    )
    assert signing_secrets(row, keyring(), now) == ("whsec_new", "whsec_old")
    assert signing_secrets(row, keyring(), now + timedelta(hours=2)) == ("whsec_new",)


@pytest.mark.parametrize("database_uri", ["sqlite"], indirect=True)
def test_settling_planned_conversions_finds_them_by_key_on_sqlite(app):
    statement = dispatch._planned([(1, 0), (2, 3)]).compile(
        dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}
    )
    plan = db.session.execute(text(f"EXPLAIN QUERY PLAN {statement}")).all()
    assert any("USING INTEGER PRIMARY KEY" in step[-1] for step in plan)
    assert not any(step[-1].startswith("SCAN conversions") for step in plan)


def test_the_list_page_counts_each_delivery_state_under_its_own_name(
    httpserver, outbound, convert, client, sign_in
):
    """The list says "failed" where the detail page does: a refusal is not a death."""
    httpserver.expect_request("/bad").respond_with_data("no", status=400)
    outbound(url_template=httpserver.url_for("/bad"))
    convert()
    sign_in()
    html = client.get("/outbound").get_data(as_text=True)
    header = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    assert re.findall(r'class="num">(\w+)</th>', header) == [
        "Pending",
        "Retrying",
        "Delivered",
        "Failed",
        "Dead",
    ]
    assert re.search(r'data-count="failed"><a [^>]*>1</a>', html)
    assert '<td class="num" data-count="dead">0</td>' in html


def copies_of(conversion_id: int, count: int, state: str) -> None:
    """``count`` more conversions like this one, each owed to the same postbacks in
    ``state``: a table the size a backlog makes, built in two statements."""
    names = [c.name for c in Conversion.__table__.columns if c.name not in ("id", "dedupe_key")]
    columns = ", ".join(names)
    base = db.session.execute(text("SELECT coalesce(max(id), 0) FROM conversions")).scalar()
    db.session.execute(
        text(
            f"INSERT INTO conversions ({columns}, dedupe_key) "  # noqa: S608 (the model's names)
            f"SELECT {columns}, dedupe_key || '-' || g || '-' || :base "
            "FROM conversions, generate_series(1, :count) AS g WHERE id = :id"
        ),
        {"id": conversion_id, "count": count, "base": base},
    )
    db.session.execute(
        text(
            "INSERT INTO deliveries (conversion_id, outbound_postback_id, revision, message_id,"
            " state, attempts, next_attempt_at, created_at, updated_at) "
            "SELECT c.id, p.id, c.revision, md5(c.id || '-' || p.id), :state, 0, now(), now(),"
            " now() FROM conversions c, outbound_postbacks p WHERE c.id > :base"
        ),
        {"state": state, "base": base},
    )
    db.session.commit()


def plan_of(statement) -> str:  # type: ignore[no-untyped-def]
    """What PostgreSQL would do for ``statement``, as EXPLAIN prints it."""
    compiled = statement.compile(
        dialect=db.engine.dialect, compile_kwargs={"render_postcompile": True}
    )
    rows = db.session.connection().exec_driver_sql(f"EXPLAIN {compiled.string}", compiled.params)
    return "\n".join(line for [line] in rows)


@pytest.mark.parametrize("database_uri", ["postgresql"], indirect=True)
def test_a_claim_in_a_backlog_finds_its_deliveries_by_key_whatever_the_statistics_say(
    app, outbound, convert
):
    """Statistics taken while every delivery was delivered say nothing is owed; a claim
    planned on that belief once scanned the whole backlog for each delivery claimed."""
    outbound(url_template="http://127.0.0.1:9/down")
    conversion_id = convert()["conversion_id"]
    copies_of(conversion_id, 3000, "delivered")
    db.session.execute(text("ANALYZE deliveries"))
    copies_of(conversion_id, 3000, "pending")
    owed = db.session.scalars(
        select(Delivery.id).where(Delivery.state == "pending").order_by(Delivery.id).limit(8)
    ).all()
    plan = plan_of(dispatch.claiming(list(owed), utcnow(), utcnow()))
    assert "pk_deliveries" in plan
    assert "ix_deliveries_state_next_attempt_at" not in plan
    assert "Seq Scan on deliveries" not in plan
