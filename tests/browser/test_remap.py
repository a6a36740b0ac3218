"""Re-map history in the browser: Preview shows what a map change would undo, Apply does it."""

from playwright.sync_api import expect

from app.models import Conversion
from tests.browser.conftest import stored
from tests.remapping import demote_one


def test_preview_shows_a_demotion_and_apply_writes_it(
    page, log_in, client, operator_headers, source
):
    demoted = demote_one(client, operator_headers, source)
    log_in("admin")
    row = page.locator(f'tr[data-source="{source["id"]}"]')
    row.get_by_role("link", name="Re-map history").click()
    expect(page.get_by_role("heading", name=f"Re-map history of {source['name']}")).to_be_visible()

    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview: nothing is written yet")).to_be_visible()
    expect(page.get_by_text("1 matched conversion would no longer be matched")).to_be_visible()
    transition = page.get_by_role("table", name="Transitions").get_by_role("row").nth(1)
    expect(transition).to_have_text("attribution matched unmatched demotion 1")
    changed = page.get_by_role("table", name="Changed conversions")
    expect(changed).to_contain_text("T1")
    expect(changed).to_contain_text("attribution: matched → unmatched")
    assert stored(Conversion, id=demoted["conversion_id"]).attribution == "matched"

    page.get_by_role("button", name="Apply").click()
    expect(
        page.get_by_text(f"Re-mapped {source['name']}: 1 of 1 conversions changed")
    ).to_be_visible()
    expect(page.get_by_text("1 of them is no longer matched to a click.")).to_be_visible()
    expect(page.get_by_role("heading", name="Conversions changed")).to_be_visible()
    assert stored(Conversion, id=demoted["conversion_id"]).attribution == "unmatched"
