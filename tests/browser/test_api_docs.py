"""``/api/docs`` in a real browser, with every host but the hub unreachable: the vendored
viewer renders the document, fetches nothing elsewhere and breaks none of the page's policy
(a violation is a console error, which fails the test)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

#: The page reads no table: one backend is enough.
pytestmark = pytest.mark.parametrize("database_uri", ["sqlite"], indirect=True)


@pytest.fixture
def elsewhere(page: Any, live_server: str) -> list[str]:
    """The URLs the page asked of any other host, each refused as a closed network would."""
    asked: list[str] = []

    def route(route: Any) -> None:
        if route.request.url.startswith(live_server + "/"):
            route.continue_()
        else:
            asked.append(route.request.url)
            route.abort("internetdisconnected")

    page.context.route("**/*", route)
    return asked


def test_the_document_renders_from_the_hub_alone(page, elsewhere, assert_sound):
    page.goto("/api/docs")
    expect(page.get_by_role("heading", name=re.compile(r"^Postback Hub API"))).to_be_visible()
    operation = page.get_by_text(re.compile(r"^Create a source")).first
    expect(operation).to_be_visible()
    operation.click()
    expect(page).to_have_url(re.compile(r"/api/docs#/.+"))
    expect(page.get_by_text("Request body", exact=True).first).to_be_visible()
    # A page to read: nothing offers to send a request or to take a token.
    expect(page.get_by_role("button", name="Try it out")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Authorize"))).to_have_count(0)
    assert_sound("an operation opened")
    assert elsewhere == []


def test_the_account_page_leads_to_it_from_the_keyboard(page, log_in, elsewhere):
    log_in()
    page.goto("/account")
    link = page.get_by_role("main").get_by_role("link", name="API reference")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/api/docs")
    expect(page.get_by_role("heading", name=re.compile(r"^Postback Hub API"))).to_be_visible()
    assert elsewhere == []
