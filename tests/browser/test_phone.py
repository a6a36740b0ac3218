"""The dashboard on a phone, 390 CSS pixels wide: figures fit, times stay on one line,
every page is one tap away, and a wide table keeps its URLs readable."""

import re

import pytest
from playwright.sync_api import expect

from app.services import signatures as signature_service

#: The metric cards whose content reaches past their right edge.
OVERFLOWING_CARDS = """() => [...document.querySelectorAll('#live-card .metric')]
    .filter((card) => {
        const edge = card.getBoundingClientRect().right;
        const values = [...card.querySelectorAll('.value')];
        return card.scrollWidth > card.clientWidth
            || values.some((value) => value.getBoundingClientRect().right > edge);
    })
    .map((card) => card.dataset.metric)"""

#: The text of every time in the conversions table that takes more than one line.
WRAPPED_TIMES = """() => [...document.querySelectorAll('#conversions time')]
    .filter((time) => time.getClientRects().length > 1)
    .map((time) => time.textContent)"""


#: Payouts of seven digits and more, in currencies of 0, 2 and 3 decimals.
LARGE_PAYOUTS = [("1234567.891", "USD"), ("98765432.5", "JPY"), ("1234.5678", "KWD")]


@pytest.fixture
def large_payouts(fire):
    for n, (payout, currency) in enumerate(LARGE_PAYOUTS):
        fire(click_id=f"p{n}", transaction_id=f"P{n}", payout=payout, currency=currency)


def test_money_stays_inside_its_metric_card(phone, log_in, large_payouts):
    log_in()
    expect(phone.locator('#live-card [data-metric="payout"]')).to_contain_text("US$1,234,567.89")
    assert phone.evaluate(OVERFLOWING_CARDS) == []


def test_times_in_the_conversions_table_take_one_line(phone, log_in, large_payouts):
    log_in()
    expect(phone.locator("#conversions time").first).to_have_attribute("title", re.compile("Z$"))
    assert phone.evaluate(WRAPPED_TIMES) == []


def test_the_account_page_is_one_tap_away(phone, log_in):
    log_in()
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Account").click()
    phone.wait_for_url("**/account")
    expect(phone.get_by_role("heading", name="Your account")).to_be_visible()


def test_every_nav_link_shows_without_scrolling_the_nav_sideways(phone, log_in):
    log_in("admin")
    nav = phone.get_by_role("navigation", name="Main")
    for name in ("Postbacks", "Users", "Signatures", "Tickets", "Account"):
        expect(nav.get_by_role("link", name=name)).to_be_in_viewport(ratio=1)
    assert nav.evaluate("(nav) => nav.scrollWidth <= nav.clientWidth")


def test_a_long_ticket_url_keeps_a_readable_column(phone, log_in):
    url = (
        "https://very-long-partner-network-hostname.example/postback/endpoint/v2"
        "?visit_identifier=abc123&goal_name=deposit&amount=12.50&currency=EUR"
    )
    signature_service.report_unknown(signature_service.parse_sample(url))
    log_in("admin")
    phone.goto("/admin/tickets")
    cell = phone.get_by_role("cell", name=re.compile("very-long-partner"))
    expect(cell).to_be_visible()
    assert cell.bounding_box()["width"] >= 120
