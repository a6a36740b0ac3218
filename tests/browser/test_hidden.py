"""What carries ``hidden`` is not shown, whatever the stylesheet says of its class."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SHOWN_THOUGH_HIDDEN
from tests.browser.test_outbound import edit_outbound, new_outbound
from tests.browser.test_sources import open_edit, open_wizard

#: What the page shows does not depend on the database behind it.
pytestmark = pytest.mark.parametrize("database_uri", ["sqlite"], indirect=True)


def shown_though_hidden(page) -> list[str]:
    return page.evaluate(SHOWN_THOUGH_HIDDEN)


def test_the_capture_tab_shows_nothing_of_a_learn_url_before_one_is_generated(page, log_in):
    log_in()
    panel = open_wizard(page, "Capture").locator("#panel-capture")
    assert shown_though_hidden(page) == []
    assert not panel.get_by_label("Learn URL").is_visible()
    assert not panel.get_by_role("button", name="Finalize").is_visible()


def test_the_outbound_drawer_shows_only_the_chosen_kinds_fields(page, log_in):
    log_in()
    drawer = new_outbound(page)
    assert shown_though_hidden(page) == []
    assert not drawer.get_by_label("Tracker URL").is_visible()
    drawer.get_by_text("Keitaro", exact=True).click()
    assert shown_though_hidden(page) == []
    assert drawer.get_by_label("Tracker URL").is_visible()
    assert not drawer.get_by_label("URL template", exact=True).is_visible()


def test_the_edit_drawer_shows_no_create_only_field(page, log_in, source):
    log_in()
    open_edit(page, source)
    assert shown_though_hidden(page) == []


def test_the_outbound_edit_drawer_shows_no_create_only_field(page, log_in, hook):
    log_in()
    drawer = edit_outbound(page, hook)
    assert shown_though_hidden(page) == []
    assert not drawer.get_by_text("Sign with a new HMAC secret").is_visible()


def test_finalizing_a_capture_before_generating_says_what_to_do_first(page, log_in):
    """Finalize is hidden until a postback is captured; sent anyway (Enter in a field),
    it says what comes first instead of failing in the page."""
    log_in()
    panel = open_wizard(page, "Capture").locator("#panel-capture")
    panel.locator("[data-capture-result]").evaluate("(form) => form.requestSubmit()")
    expect(page.locator("#toast")).to_have_text(
        "Generate a learn URL and fire the network's test postback at it first."
    )
