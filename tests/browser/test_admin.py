"""Admin pages in the browser: inviting a user, writing a signature, working a ticket."""

from playwright.sync_api import expect

from app.services import signatures as signature_service
from tests.conftest import PASSWORD


def test_an_invited_user_follows_the_link_and_is_signed_in(page, log_in, browser):
    log_in("admin")
    page.goto("/admin/users")
    page.get_by_label("Email").fill("new.operator@example.test")
    page.get_by_role("button", name="Invite").click()
    link = page.locator("#invite-link").inner_text()
    expect(page.locator('tr[data-user="new.operator@example.test"]')).to_contain_text("operator")

    invited = browser.new_context().new_page()
    invited.goto(link)
    invited.get_by_label("New password").fill(PASSWORD)
    invited.get_by_label("Repeat it").fill(PASSWORD)
    invited.get_by_role("button", name="Set password and sign in").click()
    invited.wait_for_url("**/postbacks")
    expect(invited.get_by_text("Your password is set.")).to_be_visible()
    invited.context.close()


def test_a_disabled_user_is_marked_and_can_be_enabled_again(page, log_in, make_account):
    user = make_account()
    log_in("admin")
    page.goto("/admin/users")
    row = page.locator(f'tr[data-user="{user.email}"]')
    row.get_by_role("button", name="Disable").click()
    expect(row).to_contain_text("disabled")
    row.get_by_role("button", name="Enable").click()
    expect(row).to_contain_text("active")


def test_the_signature_drawer_keeps_the_input_and_names_the_wrong_field(page, log_in):
    log_in("admin")
    page.goto("/admin/signatures")
    page.get_by_role("button", name="Add signature").click()
    drawer = page.locator("#signature-drawer")
    drawer.locator('[name="id"]').fill("my_net")
    drawer.locator('[name="name"]').fill("My Net")
    drawer.locator('[name="click_id_params"]').fill("clickid")
    drawer.locator('[name="event_map"]').fill('{"dep": "deposited"}')
    drawer.get_by_role("button", name="Save signature").click()
    expect(drawer).to_be_visible()
    expect(drawer.locator('[data-error-for="event_map"]')).to_contain_text(
        "Default event map: “dep” maps to “deposited”, which is not an event; use one of"
    )
    expect(drawer.locator('[name="name"]')).to_have_value("My Net")
    drawer.locator('[name="event_map"]').fill('{"dep": "deposit"}')
    drawer.get_by_role("button", name="Save signature").click()
    expect(page.locator('tr[data-signature="my_net"]')).to_contain_text("admin")


def test_a_ticket_becomes_a_signature_and_is_resolved(page, log_in):
    sample = signature_service.parse_sample("https://net.example/pb?aff_click=abcdef123456&sum=9.5")
    ticket = signature_service.report_unknown(sample)
    log_in("admin")
    page.goto("/admin/tickets")
    page.locator(f'tr[data-ticket="{ticket.id}"]').get_by_role(
        "link", name="Draft signature"
    ).click()
    drawer = page.locator("#signature-drawer")
    expect(drawer).to_be_visible()
    expect(drawer.locator('[name="id"]')).to_have_value(f"ticket_{ticket.id}")
    drawer.locator('[name="click_id_params"]').fill("aff_click")
    drawer.get_by_role("button", name="Save signature").click()
    page.goto("/admin/tickets")
    expect(page.get_by_text("No open tickets.")).to_be_visible()
