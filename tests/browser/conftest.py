"""Fixtures for tests in a real browser (see ``harness.py``), on each database backend.

Every page fails its test on a console error, an element left showing although it carries
``hidden``, and a card whose content overflows it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.harness import CHROMIUM, LiveServer, launch
from tests.conftest import PASSWORD, REQUIRE_SERVICES

#: Elements that carry ``hidden`` and yet take up room on the page.
SHOWN_THOUGH_HIDDEN = """() => [...document.querySelectorAll('[hidden]')]
    .filter((element) => element.getClientRects().length > 0)
    .map((element) => element.outerHTML.slice(0, 120))"""


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    with LiveServer(app) as server:
        yield server.url


#: Cards (and the metrics inside them) whose content is wider than they are.
CARDS_OVERFLOWING = """() => [...document.querySelectorAll('.card, .metric')]
    .filter((card) => card.getClientRects().length > 0 && card.scrollWidth > card.clientWidth + 1)
    .map((card) => `${card.className}: ${card.scrollWidth} > ${card.clientWidth} px: `
        + card.textContent.trim().replace(/\\s+/g, ' ').slice(0, 80))"""


def console_error(message: Any) -> str | None:
    """A console error worth failing for. An answer of 4xx to the page's own request is
    the page at work (a refused form shows its errors); static files must all load."""
    if message.type != "error":
        return None
    if re.match(r"Failed to load resource: the server responded with a status of 4", message.text):
        url = message.location.get("url", "")
        return f"{message.text} ({url})" if "/static/" in url else None
    return message.text


def problems(page: Any, errors: list[str]) -> list[str]:
    """What is wrong with the page as it stands: console errors so far, elements shown
    although they carry ``hidden``, cards whose content overflows them."""
    found = [f"console: {error}" for error in errors]
    if not page.is_closed():
        found += [f"shown although hidden: {html}" for html in page.evaluate(SHOWN_THOUGH_HIDDEN)]
        found += [f"overflows its card: {card}" for card in page.evaluate(CARDS_OVERFLOWING)]
    return found


@pytest.fixture
def browser_errors() -> list[str]:
    return []


@pytest.fixture
def page(browser: Any, live_server: str, browser_errors: list[str]) -> Iterator[Any]:
    """A signed-out page at 1280 px. The test fails on any of ``problems`` as the page
    stands when it ends (``assert_sound`` checks in between)."""
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("pageerror", lambda error: browser_errors.append(str(error)))
    page.on("console", lambda message: browser_errors.append(console_error(message) or ""))
    yield page
    found = problems(page, [error for error in browser_errors if error])
    context.close()
    assert not found, "\n".join(found)


@pytest.fixture
def assert_sound(page: Any, browser_errors: list[str]) -> Callable[[str], None]:
    """``assert_sound("after opening the drawer")``: fail now if the page has a problem."""

    def check(step: str) -> None:
        found = problems(page, [error for error in browser_errors if error])
        assert not found, f"{step}:\n" + "\n".join(found)

    return check


@pytest.fixture
def receiver(httpserver: Any) -> Any:
    """A receiver of outbound postbacks at ``/hook`` that answers every one."""
    httpserver.expect_request("/hook").respond_with_data("thanks")
    return httpserver


@pytest.fixture
def hook(receiver: Any, app: Any) -> int:
    """An outbound postback named Hook that sends every conversion to the receiver."""
    from app.runtime import keyring
    from app.services import outbound as outbound_service

    created = outbound_service.create_outbound(
        {"name": "Hook", "url_template": receiver.url_for("/hook") + "?c={click_id}"},
        keyring(),
    )
    return created.postback.id


def stored(model: Any, **filters: Any) -> Any:
    """The row as the server thread left it, not as this thread's session remembers it."""
    from app.extensions import db

    db.session.expire_all()
    return model.query.filter_by(**filters).one()


def sign_in_page(page: Any, email: str, password: str = PASSWORD, *, go: bool = True) -> None:
    """Fill in the sign-in form: on /login, or (``go=False``) where the page already is."""
    if go:
        page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def log_in(page: Any, make_account: Callable[..., Any]) -> Callable[..., Any]:
    """``log_in("admin")``: a new user of that role, signed in on ``page``."""

    def log_in(role: str = "operator") -> Any:
        user = make_account(role)
        sign_in_page(page, user.email)
        page.wait_for_url("**/postbacks")
        return user

    return log_in


@pytest.fixture
def phone(page: Any) -> Any:
    """``page`` the size of a phone (390 by 844 CSS pixels), with the same checks."""
    page.set_viewport_size({"width": 390, "height": 844})
    return page
