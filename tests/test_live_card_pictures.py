"""The live card's chart and sparklines, as the page and its 45-second refresh render them."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def traffic(client, source, fire):
    """Two clicks and one deposit, all just now."""
    for _ in range(2):
        assert client.get(source["track_path"]).status_code == 302
    fire(event="dep", transaction_id="t1", payout="10", currency="EUR")


def chart_of(html: str) -> str:
    return re.search(r'<svg class="chart".*?</svg>', html, re.S).group(0)


def test_the_card_draws_clicks_and_conversions_as_one_described_image(card, traffic):
    chart = chart_of(card("24h"))
    label = re.search(r'role="img" aria-label="([^"]+)"', chart).group(1)
    assert label.startswith("Clicks and conversions per hour over the last 24h, UTC:")
    assert "2 clicks (bars) and 1 conversion (line)" in label
    assert f"<title>{label}</title>" in chart
    assert chart.count('<rect class="bar"') == 1


def test_the_chart_has_a_legend_that_names_each_series_by_its_shape(card, traffic):
    html = card("24h")
    assert "Clicks: bars, left scale" in html
    assert "Conversions: line with dots, right scale" in html


def test_a_hidden_table_reads_the_chart_bucket_by_bucket(card, traffic):
    table = re.search(r'<table class="visually-hidden">.*?</table>', card("24h"), re.S).group(0)
    rows = re.findall(r'<tr><th scope="row">.*?</tr>', table, re.S)
    assert len(rows) == 25
    assert "<td>2</td><td>1</td>" in rows[-1]
    assert "<td>0</td><td>0</td>" in rows[0]


def test_a_week_is_charted_per_day(card, traffic):
    html = card("7d")
    assert "Clicks and conversions per day (UTC)" in html
    assert len(re.findall(r'<tr><th scope="row">', html)) == 8


def test_a_window_with_no_traffic_draws_a_flat_chart_that_says_so(card):
    chart = chart_of(card("1h"))
    assert ">No traffic in this window</text>" in chart
    assert "no traffic in this window" in re.search(r'aria-label="([^"]+)"', chart).group(1)


def test_every_figure_has_a_sparkline_hidden_from_screen_readers(card, traffic):
    html = card("24h")
    for metric in ("clicks", "conversions", "gross", "payout", "epc"):
        figure = re.search(rf'data-metric="{metric}".*?</div>', html, re.S).group(0)
        assert '<span class="trend" aria-hidden="true"><svg class="spark"' in figure, metric


def test_a_money_sparkline_names_its_currency_when_the_card_lists_several(card, fire):
    fire(event="dep", transaction_id="e", payout="10", currency="EUR")
    fire(event="dep", transaction_id="u", payout="30", currency="USD")
    payout = re.search(r'data-metric="payout".*?</div>', card("24h"), re.S).group(0)
    assert "<small>USD trend</small>" in payout


def test_a_single_currency_sparkline_needs_no_name(card, traffic):
    payout = re.search(r'data-metric="payout".*?</div>', card("24h"), re.S).group(0)
    assert "trend</small>" not in payout


def test_the_page_draws_the_same_card_and_links_its_styles(client, sign_in, traffic):
    sign_in()
    html = client.get("/postbacks?window=24h").get_data(as_text=True)
    assert "2 clicks (bars) and 1 conversion (line)" in chart_of(html)
    assert 'href="/static/charts.css"' in html


def test_without_a_database_the_card_draws_no_pictures(client, sign_in, database_fails):
    sign_in()
    with database_fails("SELECT"):
        answer = client.get("/postbacks/live?window=24h")
    assert answer.status_code == 503
    assert '<svg class="chart"' not in answer.get_data(as_text=True)
