"""The Add source wizard's three tabs, the Edit drawer and the Reveal modal."""

import re

import pytest
import requests
from playwright.sync_api import expect

from app.models import Conversion, Source
from tests.browser.conftest import stored

KEITARO_URL = "https://hub.example/pb/t?subid={subid}&status={status}&payout={payout}"
AMBIGUOUS_URL = "https://hub.example/pb/t?acme_click={x}&acme_amount={y}"
UNKNOWN_URL = "https://hub.example/pb/t?foo={bar}&zip={zap}"
UNKNOWN_NETWORK_URL = (
    "https://hub.example/pb/t?click_id=${click_id}&amount=${amount}&operation=deposit"
)


@pytest.fixture
def two_readings(app):
    """Two networks that read the same parameters differently: an ambiguity."""
    from app.extensions import db
    from app.models import AdminSignature

    db.session.add_all(
        [
            AdminSignature(
                id="acme", name="Acme", click_id_params=["acme_click"], amount_param="acme_amount"
            ),
            AdminSignature(
                id="acme_gross",
                name="Acme Gross",
                click_id_params=["acme_click"],
                field_map={"gross_amount": "acme_amount"},
            ),
        ]
    )
    db.session.commit()


def open_wizard(page, tab="Auto-detect"):
    page.get_by_role("button", name="Add source").click()
    wizard = page.locator("#wizard")
    wizard.get_by_role("tab", name=tab).click()
    return wizard


def detect(page, name, url):
    wizard = open_wizard(page)
    panel = wizard.locator("#panel-detect")
    panel.get_by_label("Name").fill(name)
    panel.get_by_label("Sample postback URL").fill(url)
    panel.get_by_role("button", name="Detect").click()
    return wizard


def revealed(page, key):
    return page.locator(f'#reveal [data-reveal="{key}"]').input_value()


def fire_at(url, **params):
    answer = requests.get(url, params=params, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_auto_detect_recognises_a_network_and_saves_its_maps(page, log_in):
    log_in()
    wizard = detect(page, "Tracker one", KEITARO_URL)
    outcome = wizard.locator('[data-outcome="recognised"]')
    expect(outcome).to_contain_text("Recognised: Keitaro")
    expect(outcome.get_by_role("table", name="Field map")).to_contain_text("subid")
    outcome.get_by_role("button", name="Save").click()
    expect(page.locator("#reveal")).to_be_visible()
    assert revealed(page, "postback_url").startswith("http://127.0.0.1:")
    source = stored(Source, name="Tracker one")
    assert source.platform == "keitaro"
    assert source.field_map["click_id"] == "subid"


def test_auto_detect_lists_the_candidates_of_an_ambiguous_url(page, log_in, two_readings):
    log_in()
    wizard = detect(page, "Which one", AMBIGUOUS_URL)
    outcome = wizard.locator('[data-outcome="ambiguous"]')
    expect(outcome.get_by_role("radio")).to_have_count(2)
    outcome.get_by_role("radio", name=re.compile("Acme Gross")).check()
    expect(outcome.get_by_label("Parameter for gross_amount")).to_have_value("acme_amount")
    outcome.get_by_role("button", name="Save with this network").click()
    expect(page.locator("#reveal")).to_be_visible()
    source = stored(Source, name="Which one")
    assert (source.platform, source.field_map["gross_amount"]) == ("acme_gross", "acme_amount")


def test_an_unknown_network_is_mapped_by_the_generic_reader_and_confirmed_field_by_field(
    page, log_in
):
    log_in()
    wizard = detect(page, "New network", UNKNOWN_NETWORK_URL)
    outcome = wizard.locator('[data-outcome="unknown"]')
    expect(outcome).to_contain_text("No signature knows this network")
    expect(outcome.get_by_label("Parameter for click_id")).to_have_value("click_id")
    expect(outcome.get_by_label("Parameter for event_type")).to_have_value("operation")
    outcome.get_by_label("Parameter for payout_amount").select_option("")
    outcome.get_by_label("Parameter for gross_amount").select_option("amount")
    outcome.get_by_role("button", name="Save").click()
    expect(page.locator("#reveal")).to_be_visible()
    source = stored(Source, name="New network")
    assert source.field_map["click_id"] == "click_id"
    assert (source.field_map["payout_amount"], source.field_map["gross_amount"]) == ("", "amount")
    assert source.event_map == {"deposit": "deposit"}


def test_an_ambiguous_url_can_go_to_the_manual_tab(page, log_in, two_readings):
    log_in()
    wizard = detect(page, "By hand", AMBIGUOUS_URL)
    wizard.get_by_role("button", name="Map it by hand").click()
    expect(wizard.get_by_role("tab", name="Manual")).to_have_attribute("aria-selected", "true")
    expect(wizard.locator("#panel-manual").get_by_label("Name")).to_have_value("By hand")


def test_an_unknown_url_opens_a_ticket_and_offers_capture(page, log_in):
    log_in()
    wizard = detect(page, "Mystery", UNKNOWN_URL)
    outcome = wizard.locator('[data-outcome="unknown"]')
    expect(outcome).to_contain_text(re.compile(r"support ticket #\d+"))
    outcome.get_by_role("button", name="Capture a test postback").click()
    expect(wizard.get_by_role("tab", name="Capture")).to_have_attribute("aria-selected", "true")
    expect(wizard.locator("#panel-capture").get_by_label("Name")).to_have_value("Mystery")


def test_detect_without_a_url_names_the_field(page, log_in):
    log_in()
    wizard = detect(page, "Empty", "")
    expect(wizard.locator('#panel-detect [data-error-for="url"]')).not_to_be_empty()


def test_capture_waits_for_a_real_test_postback_then_finalizes(page, log_in, client):
    log_in()
    wizard = open_wizard(page, "Capture")
    panel = wizard.locator("#panel-capture")
    panel.get_by_label("Name").fill("Captured network")
    panel.get_by_role("button", name="Generate learn URL").click()
    learn = panel.get_by_label("Learn URL")
    expect(learn).to_have_value(re.compile("/learn/"))
    expect(panel.locator("[data-capture-state]")).to_have_text("Waiting for the test postback…")

    fire_at(learn.input_value(), aff_click="abc123def456", amount="12.50", cur="USD", tx="T-1")

    result = panel.locator("[data-capture-result]")
    expect(result.get_by_role("cell", name="aff_click")).to_be_visible()
    result.locator('[data-map-field="click_id"]').fill("aff_click")
    result.locator('[data-map-field="transaction_id"]').fill("tx")
    result.get_by_role("button", name="Add mapping").click()
    result.locator("[data-event-label]").fill("sale")
    result.locator("[data-event-value]").select_option("cpa")
    result.get_by_role("button", name="Finalize").click()
    expect(page.locator("#reveal")).to_be_visible()

    source = stored(Source, name="Captured network")
    assert source.field_map["click_id"] == "aff_click"
    assert source.event_map == {"sale": "cpa"}


def test_manual_creates_a_source_with_its_maps(page, log_in):
    log_in()
    panel = open_wizard(page, "Manual").locator("#panel-manual")
    panel.get_by_label("Name").fill("Hand made")
    panel.get_by_label("Platform").fill("custom")
    panel.get_by_label("Rate limit (postbacks a minute)").fill("120")
    panel.get_by_label("Attribution window (days)").fill("7")
    panel.locator('[data-map-field="click_id"]').fill("sub_id")
    panel.get_by_role("button", name="Add mapping").click()
    panel.locator("[data-event-label]").fill("dep")
    panel.locator("[data-event-value]").select_option("ftd")
    panel.get_by_role("button", name="Create source").click()
    expect(page.locator("#reveal")).to_be_visible()
    source = stored(Source, name="Hand made")
    assert (source.platform, source.rate_limit_per_minute) == ("custom", 120)
    assert source.attribution_window_days == 7
    assert source.field_map["click_id"] == "sub_id"
    assert source.event_map == {"dep": "ftd"}


def test_manual_shows_the_apis_field_errors(page, log_in, make_source):
    make_source(name="Taken")
    log_in()
    panel = open_wizard(page, "Manual").locator("#panel-manual")
    panel.get_by_label("Name").fill("Taken")
    panel.get_by_label("Default currency").fill("XXZ")
    panel.get_by_role("button", name="Create source").click()
    expect(panel.locator('[data-error-for="default_currency"]')).to_have_text(
        "Default currency must be an ISO 4217 currency code, such as USD or EUR."
    )
    expect(panel.get_by_label("Default currency")).to_have_attribute("aria-invalid", "true")


def test_a_target_url_reveals_the_outbound_secret_once(page, log_in):
    log_in()
    panel = open_wizard(page, "Manual").locator("#panel-manual")
    panel.get_by_label("Name").fill("Signed")
    panel.get_by_label("Outbound target URL").fill("https://platform.example/hooks")
    panel.get_by_role("button", name="Create source").click()
    expect(page.locator("#reveal")).to_contain_text("not shown again")
    assert revealed(page, "outbound_secret").startswith("whsec_")
    with page.expect_navigation():
        page.locator("#reveal").get_by_role("button", name="Done").click()
    expect(page.locator("#reveal")).to_be_hidden()


def open_edit(page, source):
    page.locator(f'[data-edit-source="{source["id"]}"]').click()
    drawer = page.locator("#edit-drawer")
    expect(drawer.get_by_label("Name")).to_have_value(source["name"])
    return drawer


def test_edited_maps_apply_to_the_next_postback(page, log_in, source, live_server):
    log_in()
    drawer = open_edit(page, source)
    drawer.locator('[data-map-field="click_id"]').fill("visit")
    drawer.locator('[data-map-field="event_type"]').fill("goal")
    drawer.get_by_role("button", name="Add mapping").click()
    drawer.locator("[data-event-label]").last.fill("signup")
    drawer.locator("[data-event-value]").last.select_option("registration")
    drawer.get_by_role("button", name="Save").click()
    expect(page.locator("#reveal")).to_contain_text("is saved")

    answer = fire_at(live_server + source["postback_path"], visit="v-1", goal="SignUp")
    conversion = stored(Conversion, id=answer["conversion_id"])
    assert (conversion.click_id, conversion.event_type) == ("v-1", "registration")


def test_a_deleted_event_mapping_no_longer_applies(page, log_in, source, live_server):
    log_in()
    drawer = open_edit(page, source)
    row = drawer.locator("[data-event-row]").filter(has=page.locator("[data-event-label]")).first
    expect(drawer.locator("[data-event-row]")).to_have_count(2)
    row.get_by_role("button", name="Delete mapping").click()
    drawer.get_by_role("button", name="Save").click()
    expect(page.locator("#reveal")).to_be_visible()
    assert len(stored(Source, id=source["id"]).event_map) == 1


def test_rotating_the_inbound_token_reveals_the_new_one_once(page, log_in, source, live_server):
    log_in()
    page.on("dialog", lambda dialog: dialog.accept())
    drawer = open_edit(page, source)
    drawer.get_by_role("button", name="Rotate inbound token").click()
    reveal = page.locator("#reveal")
    expect(reveal).to_contain_text("new inbound token")
    token = revealed(page, "inbound_token")
    assert token and token != source["inbound_token"]
    assert token in revealed(page, "postback_url")
    with page.expect_navigation():
        reveal.get_by_role("button", name="Done").click()
    expect(page.locator("#reveal")).to_be_hidden()
    assert token not in page.content()
    assert fire_at(f"{live_server}/pb/{token}", click_id="a")["conversion_id"]


def test_rotating_the_outbound_hmac_reveals_the_new_secret(page, log_in, make_source):
    source = make_source(outbound_target_url="https://platform.example/hooks")
    log_in()
    page.on("dialog", lambda dialog: dialog.accept())
    open_edit(page, source).get_by_role("button", name="Rotate outbound HMAC").click()
    expect(page.locator("#reveal")).to_contain_text("new outbound HMAC secret")
    assert revealed(page, "outbound_secret").startswith("whsec_")


def test_the_postback_url_can_be_shown_again(page, log_in, source):
    log_in()
    open_edit(page, source).get_by_role("button", name="Show Postback URL").click()
    assert revealed(page, "postback_url").endswith(source["postback_path"])
    expect(page.locator("[data-reveal-warning]")).to_be_hidden()


def test_pausing_a_source_in_the_drawer_shows_in_the_list(page, log_in, source):
    log_in()
    drawer = open_edit(page, source)
    drawer.locator('[name="state"]').select_option("paused")
    drawer.get_by_role("button", name="Save").click()
    with page.expect_navigation():
        page.locator("#reveal").get_by_role("button", name="Done").click()
    expect(page.locator(f'#sources tr[data-source="{source["id"]}"]')).to_contain_text("paused")


def test_an_admin_deletes_a_source_without_conversions(page, log_in, source):
    log_in("admin")
    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        open_edit(page, source).get_by_role("button", name="Delete source").click()
    expect(page.locator(f'#sources tr[data-source="{source["id"]}"]')).to_have_count(0)


def test_a_source_with_conversions_is_not_deleted_and_says_why(page, log_in, source, fire):
    fire(click_id="a")
    log_in("admin")
    page.on("dialog", lambda dialog: dialog.accept())
    drawer = open_edit(page, source)
    drawer.get_by_role("button", name="Delete source").click()
    expect(drawer.get_by_role("alert")).to_contain_text("archive it first")


def test_an_operator_has_no_delete_button(page, log_in, source):
    log_in("operator")
    expect(open_edit(page, source).get_by_role("button", name="Delete source")).to_have_count(0)


def test_each_revealed_value_has_a_copy_button_that_copies_it(page, log_in, source):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in()
    open_edit(page, source).get_by_role("button", name="Show Postback URL").click()
    url = revealed(page, "postback_url")
    page.locator("#reveal .secret-row").filter(
        has=page.locator('[data-reveal="postback_url"]')
    ).get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == url
