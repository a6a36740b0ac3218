"""A person's walk through every page, dialog and drawer, at a desktop's width and a
phone's, on a hub with a week of traffic.

The page is checked after every step, not only at the end: no console error, nothing shown
that carries ``hidden``, no card whose content overflows it (``assert_sound``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from app.models.types import utcnow
from app.runtime import keyring
from app.services import seed

#: CSS pixels: a laptop, and an iPhone 12-15 held upright.
VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}

pytestmark = pytest.mark.parametrize("database_uri", ["sqlite"], indirect=True)


@pytest.fixture(params=VIEWPORTS)
def walker(request: pytest.FixtureRequest, page: Any) -> Any:
    width, height = VIEWPORTS[request.param]
    page.set_viewport_size({"width": width, "height": height})
    return page


@pytest.fixture
def week_of_traffic(app: Any) -> seed.Seeded:
    """Three sources, a Keitaro connection, clicks and conversions over seven days."""
    plan = seed.Plan(clicks=600, conversions=120, days=7, sources=3)
    return seed.seed(plan, keyring(), "http://hub.test", utcnow(), lambda _: None)


def visit(page: Any, name: str) -> None:
    """Follow the main navigation's link, as a person would (by its visible name)."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def close_dialog(page: Any) -> None:
    page.keyboard.press("Escape")


def test_an_operator_walks_the_postbacks_page(walker, log_in, week_of_traffic, assert_sound):
    page = walker
    log_in("operator")
    expect(page.get_by_role("heading", name="Live")).to_be_visible()
    assert_sound("the postbacks page")
    for window in ("1h", "7d", "24h"):
        page.locator("#live-card").get_by_role("link", name=window, exact=True).click()
        expect(page.locator("#live-card")).to_have_attribute("data-window", window)
        assert_sound(f"the live card over {window}")

    page.get_by_role("button", name="Add source").click()
    wizard = page.locator("#wizard")
    for tab in ("Auto-detect", "Capture", "Manual"):
        wizard.get_by_role("tab", name=tab).click()
        assert_sound(f"the {tab} tab")
    close_dialog(page)

    page.get_by_role("row", name=re.compile(r"Conversion \d+: show details")).first.click()
    expect(page.get_by_role("heading", name=re.compile(r"Conversion #\d+"))).to_be_visible()
    assert_sound("a conversion's drawer")
    close_dialog(page)

    visit(page, "Outbound")
    page.get_by_role("button", name="New outbound postback").click()
    drawer = page.get_by_role("dialog")
    for kind in ("Keitaro", "Signed JSON webhook", "Any URL"):
        drawer.get_by_role("radio", name=re.compile(kind)).check()
        assert_sound(f"the new outbound postback drawer, {kind}")
    close_dialog(page)

    visit(page, "Keitaro")
    expect(page.locator("[data-clicks-today]")).to_contain_text("since connected")
    assert_sound("the Keitaro page")

    page.locator("a[href='/account']:visible").first.click()
    expect(page.get_by_role("heading", name="Account")).to_be_visible()
    assert_sound("the account page")


def test_an_admin_walks_the_admin_pages(walker, log_in, week_of_traffic, assert_sound):
    page = walker
    log_in("admin")
    for name, heading in (("Signatures", "Platform signatures"), ("Users", "Users")):
        visit(page, name)
        expect(page.get_by_role("heading", name=heading).first).to_be_visible()
        assert_sound(f"the {name} page")
    visit(page, "Signatures")
    page.get_by_role("button", name="Add signature").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert_sound("the add signature drawer")
    close_dialog(page)
    visit(page, "Tickets")
    assert_sound("the tickets page")

    visit(page, "Postbacks")
    page.get_by_role("link", name="Re-map history").first.click()
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview: nothing is written yet")).to_be_visible()
    assert_sound("a re-map preview")
