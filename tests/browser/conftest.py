"""Fixtures for tests in a real browser (see ``harness.py``), on each database backend.

Every page fails its test on an uncaught JavaScript error, and on an element left showing
although it carries ``hidden``.
"""

from __future__ import annotations

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


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    shown = page.evaluate(SHOWN_THOUGH_HIDDEN) if not page.is_closed() else []
    context.close()
    assert not errors, f"JavaScript errors: {errors}"
    assert not shown, f"shown although they carry hidden: {shown}"


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
