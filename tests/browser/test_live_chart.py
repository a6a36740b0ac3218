"""The live card's chart in a browser, and the conversions export the page links."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import expect


def test_the_live_card_shows_its_chart_with_a_legend(page, log_in, client, source, fire):
    assert client.get(source["track_path"]).status_code == 302
    fire(click_id="a", event="dep", transaction_id="1", payout="5", currency="EUR")
    log_in()
    card = page.locator("#live-card")
    chart = card.get_by_role("img", name=re.compile(r"^Clicks and conversions per hour"))
    expect(chart).to_be_visible()
    expect(chart).to_have_accessible_name(re.compile(r"1 click \(bars\) and 1 conversion"))
    legend = card.get_by_role("list", name="Legend")
    expect(legend.get_by_text("Clicks: bars, left scale")).to_be_visible()
    expect(legend.get_by_text("Conversions: line with dots, right scale")).to_be_visible()


def test_the_export_link_downloads_the_filtered_conversions_as_csv(page, log_in, fire):
    fire(click_id="a", event="dep", transaction_id="deposit")
    fire(click_id="b", event="reg", transaction_id="registration")
    log_in()
    page.get_by_role("group", name="Filter by event").get_by_role(
        "link", name="ftd", exact=True
    ).click()
    page.wait_for_url(re.compile(r"event=ftd"))
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Export CSV").click()
    download = downloading.value
    assert re.fullmatch(r"conversions-\d{8}-\d{4}\.csv", download.suggested_filename)
    text = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [row["transaction_id"] for row in rows] == ["deposit"]
