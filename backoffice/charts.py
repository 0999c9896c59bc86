"""Charts for the back office, drawn on the server as SVG.

No chart library, no JavaScript: the SVG is part of the HTML, so it shows on a slow connection,
prints in black and white (every series also has a text label and a pattern of its own, not only a
colour), and screen readers get a `<title>` and a `<desc>` with the figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.safestring import mark_safe

INK = "#1f2933"
MUTED = "#52606d"
GRID = "#d9e2ec"
ACCENT = "#0b5cad"
WARN = "#b44d12"
FONT = "font-family='system-ui, sans-serif'"


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    note: str = ""  # shown after the value, e.g. "12%"
    highlight: bool = False  # drawn in the warning colour with a dashed outline (e.g. not invited)


def nice_ceiling(value: float) -> int:
    """The next "round" number at or above `value` (1, 2, 5 times a power of ten), for an axis."""
    if value <= 0:
        return 1
    exponent = math.floor(math.log10(value))
    for factor in (1, 2, 5, 10):
        candidate = factor * 10**exponent
        if candidate >= value:
            return int(math.ceil(candidate))
    return int(10 ** (exponent + 1))


def _svg(width: int, height: int, title: str, desc: str, body: list[str]) -> SafeString:
    # Every text that goes into the SVG is escaped by the chart functions.
    return mark_safe(
        f"<svg xmlns='http://www.w3.org/2000/svg' class='chart' role='img' "
        f"viewBox='0 0 {width} {height}' width='100%' preserveAspectRatio='xMinYMin meet' "
        f"aria-labelledby='chart-title chart-desc'>"
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>" + "".join(body) + "</svg>"
    )


def line_chart(
    points: Sequence[tuple[date, int]],
    *,
    title: str,
    target: int | None = None,
    target_label: str = "",
    width: int = 640,
    height: int = 240,
) -> SafeString:
    """A cumulative line over time (e.g. registered members by month), with an optional target
    drawn as a dashed line (e.g. everyone on the roster)."""
    left, right, top, bottom = 56, 16, 16, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max([value for _, value in points] + [target or 0, 1])
    y_max = nice_ceiling(highest)

    def x(index: int) -> float:
        return left + (plot_w * index / max(len(points) - 1, 1))

    def y(value: float) -> float:
        return top + plot_h - plot_h * value / y_max

    # 50 → 0, 10 … 50; 20 → 0, 5 … 20: gridlines on round figures.
    steps = 4 if str(y_max)[0] == "2" else 5
    body = []
    for step in range(steps + 1):
        value = y_max * step / steps
        body.append(
            f"<line x1='{left}' x2='{width - right}' y1='{y(value):.1f}' y2='{y(value):.1f}' "
            f"stroke='{GRID}' stroke-width='1'/>"
            f"<text x='{left - 6}' y='{y(value) + 4:.1f}' text-anchor='end' font-size='11' "
            f"fill='{MUTED}' {FONT}>{int(value):,}</text>"
        )
    if target:
        body.append(
            f"<line class='target' x1='{left}' x2='{width - right}' y1='{y(target):.1f}' "
            f"y2='{y(target):.1f}' stroke='{WARN}' stroke-width='2' stroke-dasharray='6 4'/>"
            f"<text x='{width - right}' y='{y(target) - 6:.1f}' text-anchor='end' font-size='12' "
            f"fill='{WARN}' {FONT}>{escape(target_label)} {target:,}</text>"
        )
    if points:
        path = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, (_, v) in enumerate(points))
        body.append(
            f"<polyline class='series' points='{path}' fill='none' stroke='{ACCENT}' "
            f"stroke-width='3' stroke-linejoin='round'/>"
        )
        label_every = max(1, math.ceil(len(points) / 8))
        for i, (day, _) in enumerate(points):
            if i % label_every == 0 or i == len(points) - 1:
                body.append(
                    f"<text x='{x(i):.1f}' y='{height - 14}' text-anchor='middle' font-size='11' "
                    f"fill='{MUTED}' {FONT}>{formats.date_format(day, 'M Y')}</text>"
                )
        last_value = points[-1][1]
        last_x = x(len(points) - 1)
        body.append(
            f"<circle cx='{last_x:.1f}' cy='{y(last_value):.1f}' r='4' fill='{ACCENT}'/>"
            f"<text x='{last_x - 8:.1f}' y='{y(last_value) - 8:.1f}' "
            f"text-anchor='end' font-size='12' font-weight='bold' fill='{INK}' {FONT}>"
            f"{last_value:,}</text>"
        )
    desc = (
        ", ".join(f"{formats.date_format(day, 'M Y')}: {value}" for day, value in points)
        or "no data yet"
    )
    if target:
        desc += f"; {target_label} {target}"
    return _svg(width, height, title, desc, body)


def bar_chart(
    bars: Sequence[Bar], *, title: str, width: int = 640, bar_height: int = 22
) -> SafeString:
    """Horizontal bars with their label on the left and the figure on the right of each bar."""
    figures = [f"{bar.value:,}" + (f" · {bar.note}" if bar.note else "") for bar in bars]
    # Room on the right for the longest figure (about 7 px a character at 12 px).
    label_w, gap = 170, 8
    value_w = max([90] + [7 * len(figure) + 12 for figure in figures])
    plot_w = width - label_w - value_w
    height = max(len(bars), 1) * (bar_height + gap) + gap
    highest = max([bar.value for bar in bars] + [1])
    body = []
    for index, bar in enumerate(bars):
        top = gap + index * (bar_height + gap)
        length = plot_w * bar.value / highest
        colour, dash = (WARN, " stroke-dasharray='4 3'") if bar.highlight else (ACCENT, "")
        figure = figures[index]
        body.append(
            f"<g class='bar'>"
            f"<text x='{label_w - 8}' y='{top + bar_height * 0.7:.1f}' text-anchor='end' "
            f"font-size='12' fill='{INK}' {FONT}>{escape(bar.label)}</text>"
            f"<rect x='{label_w}' y='{top}' width='{max(length, 1):.1f}' height='{bar_height}' "
            f"fill='{colour}' fill-opacity='0.85' stroke='{colour}'{dash}/>"
            f"<text x='{label_w + length + 6:.1f}' y='{top + bar_height * 0.7:.1f}' "
            f"font-size='12' fill='{INK}' {FONT}>{escape(figure)}</text></g>"
        )
    if not bars:
        body.append(
            f"<text x='{gap}' y='{gap + bar_height * 0.7}' font-size='12' fill='{MUTED}' {FONT}>"
            "No data yet</text>"
        )
    desc = "; ".join(
        f"{bar.label}: {bar.value}{' ' + bar.note if bar.note else ''}" for bar in bars
    )
    return _svg(width, height, title, desc or "no data yet", body)


def funnel_chart(stages: Sequence[tuple[str, int]], *, title: str, width: int = 640) -> SafeString:
    """Stages of a flow (invited, delivered, accepted) as bars, each with its share of the first."""
    first = stages[0][1] if stages else 0
    bars = [
        Bar(label, value, note=f"{value / first:.0%}" if first and index else "")
        for index, (label, value) in enumerate(stages)
    ]
    return bar_chart(bars, title=title, width=width)
