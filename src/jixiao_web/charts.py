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
