"""Outbound postbacks in the browser: create, edit, test, deliveries with attempts, replay."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from app.extensions import db
from app.models import Delivery, OutboundPostback
from app.models.types import utcnow
from app.runtime import keyring
from app.services import outbound as outbound_service
from tests.browser.conftest import stored


def field(drawer, name):
    return drawer.locator(f'[name="{name}"]')


def new_outbound(page):
    page.goto("/outbound")
    page.get_by_role("button", name="New outbound postback").click()
    return page.locator("#outbound-drawer")


def test_a_url_template_postback_is_created_with_every_field(page, log_in, source, receiver):
    log_in()
    drawer = new_outbound(page)
    field(drawer, "name").fill("My platform")
    field(drawer, "url_template").fill(receiver.url_for("/hook") + "?c={click_id}")
    field(drawer, "method").select_option("POST")
    field(drawer, "body_format").select_option("json")
    drawer.get_by_label("ftd", exact=True).check()
    drawer.get_by_label(source["name"], exact=True).check()
    field(drawer, "countries").fill("de, at")
    drawer.get_by_role("button", name="Add header").click()
    drawer.locator('[data-pairs="headers"] [data-pair-key]').fill("X-Team")
    drawer.locator('[data-pairs="headers"] [data-pair-value]').fill("growth")
    field(drawer, "retry_count").fill("3")
    field(drawer, "schedule").fill("5, 60")
    drawer.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/outbound/\d+$"))
    expect(page.get_by_role("heading", name=re.compile("My platform"))).to_be_visible()
    row = stored(OutboundPostback, name="My platform")
    assert (row.method, row.body_format, row.events) == ("POST", "json", ["ftd"])
    assert row.source_ids == [source["id"]]
    assert row.countries == ["AT", "DE"]
    assert row.headers == {"X-Team": "growth"}
    assert (row.retry_count, row.schedule) == (3, [5.0, 60.0])


def test_a_signed_webhook_reveals_its_secret_once(page, log_in):
    log_in()
    drawer = new_outbound(page)
    field(drawer, "name").fill("Signed")
    drawer.get_by_text("Signed JSON webhook").click()
    field(drawer, "url").fill("https://platform.example/hooks")
    drawer.get_by_role("button", name="Save").click()
    reveal = page.locator("#reveal")
    expect(reveal).to_contain_text("not shown again")
    assert reveal.locator('[data-reveal="outbound_secret"]').input_value().startswith("whsec_")
    reveal.get_by_role("button", name="Done").click()
    page.wait_for_url(re.compile(r"/outbound/\d+$"))


def test_errors_from_the_api_show_beside_their_fields_named_by_their_label(page, log_in):
    log_in()
    drawer = new_outbound(page)
    field(drawer, "name").fill("Broken")
    field(drawer, "url_template").fill("https://x.example/?a={clik_id}")
    drawer.get_by_role("button", name="Save").click()
    expect(drawer.locator('[data-error-for="url_template"]')).to_contain_text(
        "URL template uses the unknown macro {clik_id} (did you mean {click_id}?); the macros "
        "are {click_id}, {event_type}"
    )
    expect(drawer.get_by_role("alert")).to_have_text("Fix the fields marked below.")


def edit_outbound(page, postback_id):
    page.goto(f"/outbound/{postback_id}")
    page.get_by_role("button", name="Edit").click()
    drawer = page.locator("#outbound-drawer")
    expect(field(drawer, "name")).to_have_value("Hook")
    return drawer


def test_editing_changes_the_stored_postback(page, log_in, hook):
    log_in()
    drawer = edit_outbound(page, hook)
    field(drawer, "name").fill("Hook two")
    field(drawer, "state").select_option("inactive")
    drawer.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile("Hook two"))).to_be_visible()
    assert stored(OutboundPostback, id=hook).state == "inactive"


def test_send_test_shows_the_request_and_the_response(page, log_in, hook):
    log_in()
    page.goto(f"/outbound/{hook}")
    page.get_by_role("button", name="Send test").click()
    result = page.locator("#test-result")
    expect(result.locator("[data-test-request]")).to_contain_text("GET http://localhost:")
    expect(result).to_contain_text("HTTP 200")
    expect(result.locator("[data-test-response]")).to_have_text("thanks")


def test_deliveries_list_every_attempt_and_can_be_replayed(page, log_in, hook, convert, receiver):
    convert(click_id="abc")
    log_in()
    page.goto(f"/outbound/{hook}")
    row = page.locator("#deliveries tr[data-delivery]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("delivered")
    page.get_by_text("1 attempt").click()
    expect(page.locator("[data-attempt]")).to_contain_text("HTTP 200")
    row.get_by_role("button", name="Replay").click()
    expect(page.get_by_text("Queued again")).to_be_visible()


def test_a_flagged_postback_says_since_when(page, log_in, hook):
    row = db.session.get(OutboundPostback, hook)
    row.failing_since = utcnow()
    db.session.commit()
    log_in()
    page.goto("/outbound")
    expect(page.locator(f'tr[data-outbound="{hook}"]')).to_contain_text("flagged")
    page.goto(f"/outbound/{hook}")
    expect(page.get_by_role("status").filter(has_text="Flagged")).to_be_visible()


def test_a_paused_receiver_says_when_it_probes_and_can_be_probed_now(page, log_in, hook):
    row = db.session.get(OutboundPostback, hook)
    now = utcnow()
    row.circuit_state, row.circuit_failures, row.circuit_trips = "open", 5, 1
    row.circuit_opened_at, row.circuit_next_probe_at = now, now + timedelta(minutes=5)
    db.session.commit()
    log_in()
    page.goto("/outbound")
    expect(page.locator(f'tr[data-outbound="{hook}"] [data-circuit="open"]')).to_have_text("paused")
    page.goto(f"/outbound/{hook}")
    banner = page.locator("[data-circuit-banner]")
    expect(banner).to_contain_text("failed 5 times in a row")
    expect(banner).to_contain_text("The next probe (one delivery) goes")
    banner.get_by_role("button", name="Probe now").click()
    expect(page.get_by_text("The next delivery due goes now, as the probe")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(OutboundPostback, hook).circuit_next_probe_at <= utcnow()


def test_the_form_sets_how_many_attempts_go_at_once(page, log_in, hook):
    log_in()
    page.goto(f"/outbound/{hook}")
    page.get_by_role("button", name="Edit").click()
    drawer = page.locator("#outbound-drawer")
    field(drawer, "concurrency").fill("3")
    drawer.get_by_role("button", name="Save").click()
    expect(page.locator("[data-circuit-state]")).to_contain_text("up to 3 at once per worker")


def test_a_disabled_postback_shows_why(page, log_in, hook):
    row = db.session.get(OutboundPostback, hook)
    row.state, row.disabled_reason = "disabled", "the receiver answered 410 Gone"
    db.session.commit()
    log_in()
    page.goto(f"/outbound/{hook}")
    expect(page.get_by_role("alert")).to_contain_text("410 Gone")


def test_dead_deliveries_are_replayed_together(page, log_in, hook, convert):
    convert(click_id="abc")
    delivery = db.session.scalars(db.select(Delivery)).one()
    delivery.state = "dead"
    db.session.commit()
    log_in()
    page.goto(f"/outbound/{hook}")
    page.get_by_role("button", name="Replay 1 dead").click()
    expect(page.get_by_text("Dead deliveries queued again")).to_be_visible()


def test_rotating_the_secret_reveals_it_and_the_old_one_can_be_stopped(page, log_in, receiver):
    created = outbound_service.create_outbound(
        {"name": "Signed", "preset": "signed_webhook", "url": receiver.url_for("/hook")},
        keyring(),
    )
    log_in()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"/outbound/{created.postback.id}")
    page.get_by_role("button", name="Rotate secret").click()
    secret = page.locator('#reveal [data-reveal="outbound_secret"]').input_value()
    assert secret.startswith("whsec_") and secret != created.secret
    with page.expect_navigation():
        page.locator("#reveal").get_by_role("button", name="Done").click()
    page.get_by_role("button", name="Stop now").click()
    expect(page.get_by_role("button", name="Stop now")).to_have_count(0)
    assert stored(OutboundPostback, id=created.postback.id).previous_secret_until is None
