"""The /postbacks page: the live card, the conversions table, filters, pages, drawer."""

import re

import pytest
from playwright.sync_api import expect

from app.services import users as user_service


@pytest.fixture
def conversions(fire):
    """60 conversions: 50 registrations then 10 deposits, 5 of them sent twice."""

    def make() -> None:
        for n in range(50):
            fire(click_id=f"c{n}", event="reg", transaction_id=f"r{n}", payout="1.50")
        for n in range(10):
            fire(click_id=f"d{n}", event="dep", transaction_id=f"d{n}", payout="20")
        for n in range(5):
            fire(click_id=f"d{n}", event="dep", transaction_id=f"d{n}", payout="20")

    return make


def rows(page):
    return page.locator("#conversions tbody tr")


def test_the_live_card_counts_by_event_and_money_per_currency(page, log_in, fire):
    fire(click_id="a", event="dep", transaction_id="1", payout="12.50", currency="EUR")
    fire(click_id="b", event="reg", transaction_id="2")
    fire(click_id="c", event="mystery", transaction_id="3")
    log_in()
    card = page.locator("#live-card")
    expect(card.locator('[data-metric="conversions"] .value')).to_have_text("3")
    expect(card.locator('[data-metric="payout"]')).to_contain_text("€12.50")
    expect(card.locator('[data-metric="epc"]')).to_contain_text("€0.00")
    expect(card.locator('[data-event="ftd"]')).to_contain_text("1")
    expect(card.locator('[data-event="unknown"]')).to_have_class(re.compile("warn"))


def test_epc_is_payout_per_click_in_each_currency(page, log_in, client, source, fire):
    for _ in range(4):
        assert client.get(source["track_path"]).status_code == 302
    fire(click_id="a", event="dep", transaction_id="1", payout="10", currency="EUR")
    log_in()
    epc = page.locator('#live-card [data-metric="epc"]')
    expect(epc).to_contain_text("€2.50")


def test_the_window_picker_puts_the_window_in_the_address(page, log_in):
    log_in()
    page.locator("#live-card").get_by_role("link", name="7d").click()
    page.wait_for_url("**/postbacks?window=7d")
    expect(page.locator("#live-card [aria-current=true]")).to_have_text("7d")


def test_fifty_rows_a_page_with_older_and_newer_and_the_back_button(page, log_in, conversions):
    conversions()
    log_in()
    expect(rows(page)).to_have_count(50)
    page.get_by_role("link", name="Older →").click()
    expect(rows(page)).to_have_count(15)
    assert "cursor=" in page.url
    page.get_by_role("link", name="← Newer").click()
    expect(rows(page)).to_have_count(50)
    page.go_back()
    expect(rows(page)).to_have_count(15)


def test_filter_chips_narrow_the_table_and_live_in_the_address(page, log_in, conversions):
    conversions()
    log_in()
    page.get_by_role("group", name="Filter by attribution").get_by_role(
        "link", name="duplicate"
    ).click()
    page.wait_for_url(re.compile(r"attribution=duplicate"))
    expect(rows(page)).to_have_count(5)
    page.get_by_role("group", name="Filter by event").get_by_role(
        "link", name="ftd", exact=True
    ).click()
    page.wait_for_url(
        re.compile(r"attribution=duplicate.*event=ftd|event=ftd.*attribution=duplicate")
    )
    expect(rows(page)).to_have_count(5)
    page.get_by_role("group", name="Filter by event").get_by_role(
        "link", name="registration", exact=True
    ).click()
    expect(page.get_by_text("No conversions match these filters.")).to_be_visible()
    page.go_back()
    expect(rows(page)).to_have_count(5)


def test_a_shared_link_opens_the_same_filtered_page(page, log_in, conversions):
    conversions()
    log_in()
    page.goto("/postbacks?event=registration")
    expect(rows(page)).to_have_count(50)
    expect(page.locator("#conversions")).not_to_contain_text("ftd")


def test_a_row_opens_the_drawer_with_fields_and_raw_request(page, log_in, fire):
    fire(click_id="clk-1", event="dep", transaction_id="tx-77", payout="9.99")
    log_in()
    rows(page).first.click()
    drawer = page.locator("#conversion-drawer")
    expect(drawer.get_by_role("heading", name=re.compile("Conversion #"))).to_be_visible()
    expect(drawer).to_contain_text("tx-77")
    expect(drawer.locator("[data-raw-request]")).to_contain_text('"transaction_id": "tx-77"')
    page.keyboard.press("Escape")
    expect(drawer).to_be_hidden()


def test_the_keyboard_moves_through_rows_and_opens_the_drawer(page, log_in, fire):
    fire(click_id="a", transaction_id="first")
    fire(click_id="b", transaction_id="second")
    log_in()
    rows(page).first.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#conversion-drawer")).to_contain_text("first")


def test_markup_in_a_payload_shows_as_text_and_never_runs(page, log_in, fire):
    payload = '<script>window.__owned = 1</script><img src=x onerror="window.__owned = 2">'
    fire(click_id="x", transaction_id="xss", note=payload)
    log_in()
    rows(page).first.click()
    raw = page.locator("#conversion-drawer [data-raw-request]")
    expect(raw).to_contain_text("<script>window.__owned = 1</script>")
    assert page.locator("#conversion-drawer script, #conversion-drawer img").count() == 0
    assert page.evaluate("window.__owned") is None


def _live_requests(page):
    seen = []
    page.on("request", lambda request: "/postbacks/live" in request.url and seen.append(request))
    return seen


#: Makes the page believe its tab was hidden or shown, as switching tabs does.
SET_VISIBILITY = """state => {
    const define = (name, value) =>
        Object.defineProperty(document, name, {configurable: true, get: () => value});
    define("visibilityState", state);
    define("hidden", state === "hidden");
    document.dispatchEvent(new Event("visibilitychange"));
}"""


def _set_visibility(page, state):
    page.evaluate(SET_VISIBILITY, state)


def test_the_live_card_refreshes_every_45_seconds_while_visible(page, log_in, fire):
    page.clock.install()
    log_in()
    seen = _live_requests(page)
    page.clock.run_for(44_000)
    assert seen == []
    fire(click_id="late", transaction_id="late")
    page.clock.run_for(2_000)
    expect(page.locator('#live-card [data-metric="conversions"] .value')).to_have_text("1")
    assert len(seen) == 1


def test_a_hidden_tab_pauses_the_refresh_and_coming_back_refreshes_at_once(page, log_in):
    page.clock.install()
    log_in()
    seen = _live_requests(page)
    _set_visibility(page, "hidden")
    expect(page.locator("[data-refresh-state]")).to_have_text("paused while this tab is hidden")
    page.clock.run_for(200_000)
    assert seen == []
    with page.expect_request("**/postbacks/live?**"):
        _set_visibility(page, "visible")
    expect(page.locator("[data-refresh-state]")).to_have_text(re.compile("refreshes every 45 s"))
    with page.expect_request("**/postbacks/live?**"):
        page.clock.run_for(46_000)
    assert len(seen) == 2


def test_the_sources_list_shows_state_platform_and_todays_count(page, log_in, source, fire):
    fire(click_id="a", transaction_id="1")
    fire(click_id="a", transaction_id="1")
    log_in()
    row = page.locator(f'#sources tr[data-source="{source["id"]}"]')
    expect(row).to_contain_text(source["name"])
    expect(row).to_contain_text("active")
    expect(row.locator("td.num")).to_have_text("1")


def test_the_page_fits_a_phone_without_sideways_scrolling(page, log_in, conversions):
    conversions()
    log_in()
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(page.get_by_role("button", name="Add source")).to_be_in_viewport()


def test_pages_forbid_inline_scripts_and_framing(page, log_in):
    log_in()
    answer = page.goto("/postbacks")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_the_refreshed_card_keeps_the_tables_filters(page, log_in):
    page.clock.install()
    log_in()
    page.goto("/postbacks?attribution=matched&window=1h")
    with page.expect_request("**/postbacks/live?**") as request:
        page.clock.run_for(46_000)
    assert "attribution=matched" in request.value.url
    link = page.locator("#live-card").get_by_role("link", name="7d")
    expect(link).to_have_attribute("href", re.compile("attribution=matched"))


def test_a_lapsed_session_sends_the_drawer_to_sign_in(page, log_in, fire):
    fire(click_id="a")
    user = log_in()
    user_service.reset_password(user)
    rows(page).first.click()
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fpostbacks"), timeout=10_000)


def test_choosing_a_country_filters_the_table_and_clearing_shows_all(page, log_in, fire):
    fire(click_id="a", event="dep", transaction_id="1", country="DE")
    fire(click_id="b", event="dep", transaction_id="2", country="Brazil")
    log_in()
    expect(rows(page)).to_have_count(2)
    page.get_by_label("Country", exact=True).select_option("BR")
    page.wait_for_url(re.compile(r"country=BR"))
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("BR")
    page.get_by_role("link", name="clear").click()
    expect(rows(page)).to_have_count(2)
