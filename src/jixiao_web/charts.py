"""Charts drawn on the server as SVG: no script, no library, nothing fetched; every text escaped.

The page shows the same numbers as a table beside the chart (the chart is ``aria-hidden``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

#: Geometry in SVG user units; the picture scales to the page's width.
LABEL_WIDTH = 130
BAR_WIDTH = 200
VALUE_WIDTH = 90
ROW_HEIGHT = 30
BAR_HEIGHT = 18


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    count: int
    percent: Decimal
    #: A CSS class for its colour (``state-submitted`` …).
    kind: str = ""
    #: What is written after the bar (default: ``count（percent%）``).
    text: str = ""


def bar_chart(bars: Sequence[Bar], title: str, label_width: int = LABEL_WIDTH) -> SafeString:
    """Horizontal bars, one per ``bars`` item, long in proportion to its share (``percent``), with
    ``label_width`` units for the labels on their left."""
    width = label_width + BAR_WIDTH + VALUE_WIDTH
    height = ROW_HEIGHT * len(bars) + 10
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for index, bar in enumerate(bars):
        top = 5 + index * ROW_HEIGHT
        middle = top + ROW_HEIGHT / 2
        length = round(BAR_WIDTH * float(min(max(bar.percent, Decimal(0)), Decimal(100))) / 100, 1)
        value = bar.text or f"{bar.count}（{bar.percent}%）"
        parts.append(
            f'<text x="{label_width - 8}" y="{middle}" text-anchor="end" dominant-baseline="middle" '
            f'class="label">{escape(bar.label)}</text>'
            f'<rect x="{label_width}" y="{middle - BAR_HEIGHT / 2}" width="{BAR_WIDTH}" height="{BAR_HEIGHT}" '
            f'class="track" fill="#eef1f5"/>'
            f'<rect x="{label_width}" y="{middle - BAR_HEIGHT / 2}" width="{length}" height="{BAR_HEIGHT}" '
            f'class="bar {escape(bar.kind)}" fill="#5b6675"/>'
            f'<text x="{label_width + BAR_WIDTH + 8}" y="{middle}" dominant-baseline="middle" '
            f'class="value">{escape(value)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


@dataclass(frozen=True, slots=True)
class Point:
    """One department's figure on a :func:`dot_chart` (a percentage), with its colour's CSS class
    and the text written after it (the figure and its colour's word: never the colour alone)."""

    label: str
    percent: Decimal
    kind: str
    text: str


#: Geometry of :func:`dot_chart`: rows are lower than bars, a city has a hundred departments.
DOT_ROW_HEIGHT = 20
DOT_RADIUS = 5


def dot_chart(
    points: Sequence[Point],
    title: str,
    line_at: Decimal,
    line_label: str,
    label_width: int = LABEL_WIDTH,
) -> SafeString:
    """One row per point: a dot at its percentage on a scale from 0 to the largest of 100, the
    line and the points (rounded up to a multiple of 20), and a vertical line at ``line_at``
    (e.g. 序时进度) labelled ``line_label`` above the first row."""
    top_margin = 22
    width = label_width + BAR_WIDTH + VALUE_WIDTH + 20
    height = top_margin + DOT_ROW_HEIGHT * len(points) + 6
    largest = max([Decimal(100), line_at, *(p.percent for p in points)])
    scale_end = ((largest + 19) // 20) * 20

    def x(value: Decimal) -> float:
        clamped = min(max(value, Decimal(0)), scale_end)
        return round(label_width + BAR_WIDTH * float(clamped / scale_end), 1)

    line_x = x(line_at)
    parts = [
        f'<svg class="chart dot-chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="{label_width}" y="12" class="axis">0%</text>'
        f'<text x="{label_width + BAR_WIDTH}" y="12" text-anchor="end" class="axis">{scale_end}%</text>',
    ]
    for index, point in enumerate(points):
        middle = top_margin + index * DOT_ROW_HEIGHT + DOT_ROW_HEIGHT / 2
        parts.append(
            f'<text x="{label_width - 8}" y="{middle}" text-anchor="end" dominant-baseline="middle" '
            f'class="label">{escape(point.label)}</text>'
            f'<line x1="{label_width}" y1="{middle}" x2="{label_width + BAR_WIDTH}" y2="{middle}" '
            f'class="track" stroke="#eef1f5"/>'
            f'<circle cx="{x(point.percent)}" cy="{middle}" r="{DOT_RADIUS}" class="dot {escape(point.kind)}" '
            f'fill="#5b6675"/>'
            f'<text x="{label_width + BAR_WIDTH + 10}" y="{middle}" dominant-baseline="middle" '
            f'class="value">{escape(point.text)}</text>'
        )
    bottom = top_margin + DOT_ROW_HEIGHT * len(points)
    parts.append(
        f'<line x1="{line_x}" y1="{top_margin - 4}" x2="{line_x}" y2="{bottom}" class="progress-line" '
        f'stroke="#1e6fd0" stroke-width="2" stroke-dasharray="4 3"/>'
        f'<text x="{line_x}" y="{top_margin - 8}" text-anchor="middle" class="line-label">'
        f"{escape(line_label)}</text>"
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))
