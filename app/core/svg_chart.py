"""Charts drawn on the server as inline SVG: no script, no library, nothing to load.

Two pictures: a bar-and-line chart (one series as bars on the left scale, the other as a
line with dots on the right scale, so they differ in shape, not only in colour) and a
sparkline. Colours come from classes styled in ``static/charts.css``; the presentation
attributes alone still draw a readable picture. Every piece is a ``Markup`` template that
escapes what is put into it, so callers pass plain strings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from math import ceil, floor, log10

from markupsafe import Markup

WIDTH, HEIGHT = 960, 230
LEFT, RIGHT, TOP, BOTTOM = 52, 52, 22, 40
#: At most this many time labels under the axis, so they never overlap.
MAX_LABELS = 9
SPARK_WIDTH, SPARK_HEIGHT = 100, 24

Number = float | int | Decimal


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Number]


def nice_ceiling(value: float) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (1 at least):
    a scale top whose half and whole read as round numbers."""
    if value <= 1:
        return 1
    power = 10 ** floor(log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def _n(value: float) -> str:
    """A coordinate with at most two decimals: small markup, exact enough on any screen."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def bars_and_line(
    *,
    bars: Series,
    line: Series,
    labels: Sequence[str],
    label: str,
    x_title: str,
    note: str | None = None,
    ticks: Callable[[int], str] = str,
) -> Markup:
    """``bars`` against the left scale, ``line`` against the right one, one slot per
    label. ``label`` is what a screen reader hears (the picture is one ``role=img``);
    ``note``, when given, is written across the middle (an empty window says so)."""
    bar_values = [float(value) for value in bars.values]
    line_values = [float(value) for value in line.values]
    slots = max(len(labels), 1)
    width, height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot, base = width / slots, TOP + height
    bar_top = nice_ceiling(max(bar_values, default=0))
    line_top = nice_ceiling(max(line_values, default=0))
    parts = [
        Markup(
            '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}"><title>{}</title>'
        ).format(WIDTH, HEIGHT, label, label)
    ]
    for share in (0, 0.5, 1):
        y = _n(base - share * height)
        parts.append(
            Markup('<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}" stroke="#e2e6ec" />').format(
                LEFT, LEFT + width, y, y
            )
        )
        for top, x, anchor, kind in (
            (bar_top, LEFT - 6, "end", "bars"),
            (line_top, LEFT + width + 6, "start", "line"),
        ):
            if float(top * share).is_integer():
                parts.append(
                    Markup(
                        '<text class="tick tick-{}" x="{}" y="{}" dy="0.32em" '
                        'text-anchor="{}">{}</text>'
                    ).format(kind, x, y, anchor, ticks(int(top * share)))
                )
    parts.append(
        Markup(
            '<text class="scale" x="{}" y="{}" text-anchor="start">{}</text>'
            '<text class="scale" x="{}" y="{}" text-anchor="end">{}</text>'
        ).format(LEFT, TOP - 9, bars.name, LEFT + width, TOP - 9, line.name)
    )
    inset = slot * 0.15
    for n, value in enumerate(bar_values):
        if value > 0:
            tall = value / bar_top * height
            parts.append(
                Markup(
                    '<rect class="bar" x="{}" y="{}" width="{}" height="{}" fill="#c9d7fb" '
                    'stroke="#2456d6" stroke-width="1" />'
                ).format(
                    _n(LEFT + n * slot + inset), _n(base - tall), _n(slot - 2 * inset), _n(tall)
                )
            )
    points = [
        (_n(LEFT + (n + 0.5) * slot), _n(base - value / line_top * height))
        for n, value in enumerate(line_values)
    ]
    if points:
        parts.append(
            Markup(
                '<polyline class="line" points="{}" fill="none" stroke="#1c2330" '
                'stroke-width="2" stroke-linejoin="round" />'
            ).format(" ".join(f"{x},{y}" for x, y in points))
        )
        parts.extend(
            Markup(
                '<circle class="dot" cx="{}" cy="{}" r="3" fill="#fff" stroke="#1c2330" '
                'stroke-width="1.5" />'
            ).format(x, y)
            for x, y in points
        )
    every = ceil(slots / MAX_LABELS)
    parts.extend(
        Markup('<text class="time" x="{}" y="{}" text-anchor="middle">{}</text>').format(
            _n(LEFT + (n + 0.5) * slot), base + 16, text
        )
        for n, text in enumerate(labels)
        if n % every == 0
    )
    parts.append(
        Markup(
            '<line class="axis" x1="{}" x2="{}" y1="{}" y2="{}" stroke="#5d6778" />'
            '<text class="axis-title" x="{}" y="{}" text-anchor="end">{}</text>'
        ).format(LEFT, LEFT + width, base, base, LEFT + width, HEIGHT - 4, x_title)
    )
    if note:
        parts.append(
            Markup('<text class="note" x="{}" y="{}" text-anchor="middle">{}</text>').format(
                _n(LEFT + width / 2), _n(TOP + height / 2), note
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def sparkline(values: Sequence[Number]) -> Markup:
    """A small trend line over its own range (and zero); hidden from screen readers,
    since the figure beside it is the truth."""
    numbers = [float(value) for value in values] or [0.0]
    if len(numbers) == 1:
        numbers.append(numbers[0])
    low, high = min(*numbers, 0.0), max(*numbers, 0.0)
    span = (high - low) or 1.0
    step = SPARK_WIDTH / (len(numbers) - 1)
    line = " ".join(
        f"{_n(n * step)},{_n(SPARK_HEIGHT - 1 - (value - low) / span * (SPARK_HEIGHT - 2))}"
        for n, value in enumerate(numbers)
    )
    return Markup(
        '<svg class="spark" viewBox="0 0 {w} {h}" preserveAspectRatio="none" '
        'aria-hidden="true" focusable="false">'
        '<polygon class="spark-area" points="0,{h} {line} {w},{h}" fill="#e8eefc" />'
        '<polyline class="spark-line" points="{line}" fill="none" stroke="#2456d6" '
        'stroke-width="1.5" vector-effect="non-scaling-stroke" />'
        "</svg>"
    ).format(w=SPARK_WIDTH, h=SPARK_HEIGHT, line=line)
