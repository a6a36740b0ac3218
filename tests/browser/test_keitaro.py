"""Keitaro connections in the browser: add, test, sync status, forwarding, reconcile, remove."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import KeitaroConnection
from app.models.types import utcnow
from app.runtime import keitaro_settings, keyring
from app.services import keitaro as connections
from app.services import keitaro_sync


@pytest.fixture
def connection(keitaro_connection):
    return keitaro_connection()


def card(page, row):
    return page.locator(f'[data-connection="{row.id}"]')


def test_a_connection_is_added_and_its_api_key_never_shown_again(page, log_in, fake_keitaro):
    log_in("admin")
    page.goto("/keitaro")
    page.get_by_role("button", name="Add connection").click()
    drawer = page.locator("#keitaro-drawer")
    drawer.locator('[name="name"]').fill("main")
    drawer.locator('[name="url"]').fill(fake_keitaro.url)
    drawer.locator('[name="api_key"]').fill(fake_keitaro.api_key)
    drawer.locator('[name="timezone"]').fill(fake_keitaro.timezone)
    drawer.get_by_role("button", name="Add connection").click()
    expect(page.get_by_role("heading", name=re.compile("main"))).to_be_visible()
    assert fake_keitaro.api_key not in page.content()
    assert fake_keitaro.api_key[:4] in page.content()


def test_a_wrong_tracker_url_is_named_beside_its_field(page, log_in):
    log_in("admin")
    page.goto("/keitaro")
    page.get_by_role("button", name="Add connection").click()
    drawer = page.locator("#keitaro-drawer")
    drawer.locator('[name="name"]').fill("bad")
    drawer.locator('[name="url"]').fill("not a url")
    drawer.locator('[name="api_key"]').fill("k")
    drawer.get_by_role("button", name="Add connection").click()
    expect(drawer.locator('[data-error-for="url"]')).not_to_be_empty()


def test_test_says_how_many_campaigns_the_tracker_has(page, log_in, connection):
    log_in("admin")
    page.goto("/keitaro")
    card(page, connection).get_by_role("button", name="Test").click()
    expect(card(page, connection).get_by_role("status")).to_contain_text("Connected")


def test_sync_status_shows_the_last_import_and_todays_clicks(
    page, log_in, connection, fake_keitaro
):
    fake_keitaro.add_click("kt-1", utcnow() - timedelta(minutes=5))
    fake_keitaro.add_click("kt-2", utcnow() - timedelta(minutes=4))
    tracker = connections.client_for(connection, keyring(), keitaro_settings())
    span = keitaro_sync.import_window(
        connection, utcnow(), overlap=timedelta(minutes=10), backfill=timedelta(hours=24)
    )
    keitaro_sync.import_clicks(connection, tracker, span)
    log_in()
    page.goto("/keitaro")
    status = card(page, connection).locator("[data-sync-status]")
    expect(status.locator("[data-clicks-today]")).to_contain_text("2 since connected")
    expect(status).not_to_contain_text("never")


def test_sync_now_queues_an_import(page, log_in, connection):
    log_in()
    page.goto("/keitaro")
    card(page, connection).get_by_role("button", name="Sync now").click()
    expect(card(page, connection).get_by_role("status")).to_contain_text("queued")


def test_forwarding_is_set_up_in_one_click(page, log_in, connection):
    log_in("admin")
    page.goto("/keitaro")
    card(page, connection).get_by_role("button", name="Set up forwarding").click()
    page.wait_for_url(re.compile(r"/outbound/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Keitaro")
    page.goto("/keitaro")
    expect(card(page, connection).get_by_role("link", name="Forwarding")).to_be_visible()


def test_the_reconciliation_report_lists_what_only_keitaro_has(
    page, log_in, connection, fake_keitaro
):
    connections.setup_forwarding(connection, keyring())
    fake_keitaro.add_conversion("only-there", "t-9", "sale", "4.5", utcnow() - timedelta(hours=1))
    log_in()
    page.goto("/keitaro")
    card(page, connection).get_by_role("button", name="Compare with Keitaro").click()
    page.wait_for_url(re.compile(r"/reconcile\?since=24h"))
    expect(page.get_by_role("heading", name="The sides differ")).to_be_visible()
    expect(page.locator('[data-reconcile="missing_in_hub"]')).to_contain_text("only-there")


def test_a_malformed_range_is_explained(page, log_in, connection):
    log_in()
    answer = page.goto(f"/keitaro/{connection.id}/reconcile?since=yesterday")
    assert answer.status == 422
    expect(page.get_by_role("alert")).to_contain_text("24h")


def test_a_connection_is_removed_after_confirming(page, log_in, connection):
    connection_id = connection.id
    log_in("admin")
    page.goto("/keitaro")
    page.on("dialog", lambda dialog: dialog.accept())
    card(page, connection).get_by_role("button", name="Remove").click()
    expect(page.get_by_text("No Keitaro connection yet.")).to_be_visible()
    db.session.expunge_all()
    assert db.session.get(KeitaroConnection, connection_id) is None


def test_an_operator_reads_status_and_reconciles_but_changes_nothing(page, log_in, connection):
    log_in("operator")
    page.goto("/keitaro")
    expect(page.get_by_role("button", name="Add connection")).to_have_count(0)
    expect(card(page, connection).get_by_role("button", name="Remove")).to_have_count(0)
    expect(card(page, connection).get_by_role("button", name="Sync now")).to_be_visible()
    expect(
        card(page, connection).get_by_role("button", name="Compare with Keitaro")
    ).to_be_visible()
