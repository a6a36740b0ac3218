"""Signing in and out, and what each role may open, in a real browser."""

from playwright.sync_api import expect

from tests.browser.conftest import sign_in_page


def test_signing_in_opens_the_postbacks_page(page, log_in):
    log_in()
    expect(page.get_by_role("heading", name="Postbacks", exact=True)).to_be_visible()


def test_a_wrong_password_says_so_and_stays_on_the_form(page, make_account):
    user = make_account()
    sign_in_page(page, user.email, "not the password")
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(page.get_by_label("Email")).to_have_value(user.email)


def test_a_deep_link_comes_back_after_signing_in(page, make_account):
    user = make_account()
    page.goto("/postbacks?attribution=matched")
    sign_in_page(page, user.email, go=False)
    page.wait_for_url("**/postbacks?attribution=matched")


def test_signing_out_returns_to_the_sign_in_page(page, log_in):
    log_in()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.goto("/postbacks")
    page.wait_for_url("**/login?next=/postbacks")


def test_an_operator_sees_no_admin_links_and_cannot_open_admin_pages(page, log_in):
    log_in("operator")
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="Users")).to_have_count(0)
    for path in ("/admin/users", "/admin/signatures", "/admin/tickets"):
        answer = page.goto(path)
        assert answer.status == 403
        expect(page.get_by_role("heading", name="Forbidden")).to_be_visible()


def test_an_admin_reaches_the_admin_pages_from_the_navigation(page, log_in):
    log_in("admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()


def test_the_root_address_opens_the_dashboard_in_a_browser(page, make_account):
    page.goto("/")
    page.wait_for_url("**/login?next=/postbacks")
