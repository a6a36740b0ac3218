"""Server-drawn charts: what they draw, what they say to a screen reader, and an empty
window drawn flat with a note rather than left out."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from app.core.svg_chart import BOTTOM, HEIGHT, Series, bars_and_line, nice_ceiling, sparkline


def chart(**overrides):
    arguments = {
        "bars": Series("Clicks (bars)", [4, 0, 10]),
        "line": Series("Conversions (line)", [1, 0, 2]),
        "labels": ["12:00", "13:00", "14:00"],
        "label": "Clicks and conversions per hour",
        "x_title": "Time (UTC)",
        **overrides,
    }
    return str(bars_and_line(**arguments))


def test_the_chart_is_one_image_named_by_its_summary():
    svg = chart(label="3 clicks & 2 conversions")
    assert svg.startswith('<svg class="chart"')
    assert 'role="img" aria-label="3 clicks &amp; 2 conversions"' in svg
    assert "<title>3 clicks &amp; 2 conversions</title>" in svg


def test_one_series_is_bars_and_the_other_a_line_with_dots():
    svg = chart()
    assert svg.count('<rect class="bar"') == 2  # a zero draws no bar
    assert svg.count('<circle class="dot"') == 3
    assert len(re.findall(r'<polyline class="line" points="[^"]+"', svg)) == 1


def test_each_series_has_its_own_scale_titled_by_its_name():
    svg = chart()
    assert ">Clicks (bars)</text>" in svg and ">Conversions (line)</text>" in svg
    assert 'class="tick tick-bars"' in svg and ">10</text>" in svg
    assert 'class="tick tick-line"' in svg and ">2</text>" in svg


def test_the_time_axis_says_its_labels_are_utc():
    svg = chart()
    assert ">12:00</text>" in svg and ">14:00</text>" in svg
    assert ">Time (UTC)</text>" in svg


def test_long_series_label_only_every_few_slots():
    labels = [f"{hour:02}:00" for hour in range(25)]
    svg = chart(bars=Series("b", [1] * 25), line=Series("l", [1] * 25), labels=labels)
    assert len(re.findall(r'<text class="time"', svg)) <= 9


def test_an_empty_window_is_drawn_flat_with_its_note():
    svg = chart(
        bars=Series("b", [0, 0, 0]), line=Series("l", [0, 0, 0]), note="No traffic in this window"
    )
    assert '<rect class="bar"' not in svg
    assert set(re.findall(r'<circle class="dot" cx="[^"]+" cy="([^"]+)"', svg)) == {
        str(HEIGHT - BOTTOM)
    }
    assert ">No traffic in this window</text>" in svg


def test_text_is_escaped():
    svg = chart(labels=["<b>", "x", "y"], label='"quoted" <tag>')
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert 'aria-label="&#34;quoted&#34; &lt;tag&gt;"' in svg


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (100, 100), (101, 200)]
)
def test_scales_top_out_at_round_numbers(value, top):
    assert nice_ceiling(value) == top


def test_a_sparkline_is_hidden_from_screen_readers_and_holds_no_text():
    svg = str(sparkline([1, 5, 2]))
    assert 'aria-hidden="true"' in svg and 'focusable="false"' in svg
    assert "<text" not in svg and "<title" not in svg


def test_a_sparkline_rises_where_its_values_do():
    svg = str(sparkline([Decimal("0"), Decimal("2.5"), Decimal("5")]))
    points = re.search(r'<polyline class="spark-line" points="([^"]+)"', svg).group(1)
    heights = [float(point.split(",")[1]) for point in points.split()]
    assert heights[0] > heights[1] > heights[2]


@pytest.mark.parametrize("values", [[], [0, 0, 0], [7]])
def test_a_sparkline_without_a_trend_is_a_flat_line(values):
    svg = str(sparkline(values))
    points = re.search(r'<polyline class="spark-line" points="([^"]+)"', svg).group(1)
    assert len({point.split(",")[1] for point in points.split()}) == 1
