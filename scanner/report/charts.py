"""Charts of the quarterly report as inline SVG, drawn with pygal (no browser, no script).

pygal renders SVG on the server side; its interactive JavaScript is turned off (``js=[]``) so the
report stays self-contained and prints the same everywhere, WeasyPrint included. Labels arrive
already translated; they come from the knowledge base and the catalogues, and pygal writes them
through ElementTree, which escapes them. Each chart is wrapped for assistive technologies
(``role="img"`` and a label) and the report always shows the same numbers in a table next to it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pygal
from markupsafe import Markup, escape
from pygal.style import Style

#: Colours chosen to stay distinguishable in greyscale print and for common colour-vision deficiencies
#: (Okabe–Ito palette, https://jfly.uni-koeln.de/color/).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")

_STYLE = Style(
    background="#ffffff", plot_background="#ffffff", foreground="#222222", foreground_strong="#111111",
    foreground_subtle="#bbbbbb", colors=PALETTE, font_family="DejaVu Sans, Arial, sans-serif",
    label_font_size=12, major_label_font_size=12, legend_font_size=12, title_font_size=15,
    value_font_size=11, tooltip_font_size=11, opacity=".9", opacity_hover=".9", transition="none",
)

_COMMENT = re.compile(r"<!--.*?-->", re.S)
# pygal always writes a small configuration <script> (window.pygal.config), even with js=[]: the
# report runs no script (its Content-Security-Policy would block and log it), so it is removed.
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>|<script\b[^>]*/>", re.S)
_ROOT = re.compile(r"^<svg ")


def _common(title: str, width: int, height: int, **extra: object) -> dict[str, object]:
    return {**extra, "title": title, "width": width, "height": height, "style": _STYLE, "js": [], "css": [
        "file://style.css", "file://graph.css"], "disable_xml_declaration": True,
        "show_y_guides": True, "show_x_guides": False, "legend_at_bottom": True, "legend_at_bottom_columns": 1,
        "truncate_legend": -1, "truncate_label": 30, "margin": 12, "explicit_size": False}


def _finish(chart: pygal.graph.graph.Graph, label: str) -> Markup:
    svg = chart.render(is_unicode=True)
    svg = _SCRIPT.sub("", _COMMENT.sub("", svg))
    # role/aria-label: screen readers announce the chart by its label instead of reading every tick.
    svg = _ROOT.sub(f'<svg role="img" aria-label="{escape(label)}" focusable="false" ', svg, count=1)
    return Markup(svg)


def trend_chart(quarters: Sequence[str], series: Mapping[str, Sequence[float | None]], title: str) -> Markup:
    """Scores (0–100) per quarter, one line per series."""
    chart = pygal.Line(**_common(title, 720, 340, range=(0, 100), dots_size=4, stroke_style={"width": 3},
                               allow_interruptions=True))
    chart.x_labels = list(quarters)
    for name, values in series.items():
        chart.add(name, list(values))
    return _finish(chart, title)


def bar_chart(items: Sequence[tuple[str, float]], title: str, value_suffix: str = "") -> Markup:
    """Horizontal bars, largest first (shares per provider, resources per country)."""
    top = list(items)[:12]
    chart = pygal.HorizontalBar(**_common(title, 720, 110 + 28 * max(len(top), 1), show_legend=False,
                                        print_values=True, formatter=lambda v: f"{v:g}{value_suffix}"))
    chart.x_labels = [label for label, _ in reversed(top)]
    chart.add(title, [value for _, value in reversed(top)])
    return _finish(chart, title)


def matrix_chart(rows: Sequence[str], columns: Sequence[str], values: Mapping[str, Mapping[str, int]],
                 title: str, row_labels: Mapping[str, str], column_labels: Mapping[str, str]) -> Markup:
    """Data classes × laws: a dot per cell, its size the number of resources."""
    chart = pygal.Dot(**_common(title, 720, 140 + 40 * max(len(rows), 1), show_legend=False,
                              x_label_rotation=25))
    chart.x_labels = [column_labels.get(c, c) for c in columns]
    for row in rows:
        cells = values.get(row, {})
        chart.add(row_labels.get(row, row), [cells.get(c, 0) for c in columns])
    return _finish(chart, title)
