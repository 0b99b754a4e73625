"""Charts of the quarterly report as inline SVG, drawn with pygal (no browser, no script).

pygal renders SVG on the server side; its interactive JavaScript is turned off (``js=[]``) so the
report stays self-contained and prints the same everywhere, WeasyPrint included. Every chart
prints its values next to its bars, formatted by Babel in the report's language (a decimal comma
in French and German, the unit after the number), and has one measure only: one chart per index,
small multiples rather than three lines on one 0–100 axis. Labels arrive already translated; pygal
writes them through ElementTree, which escapes them. Each chart is wrapped for assistive
technologies (``role="img"`` and a label) and the report always shows the same numbers in a table.
pygal gives each chart a random id (a UUID4, which its CSS is scoped by); the caller names each chart
instead, so that the same report is the same bytes every time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import pygal
from markupsafe import Markup, escape
from pygal.style import Style

#: Colours chosen to stay distinguishable in greyscale print and for common colour-vision deficiencies
#: (Okabe–Ito palette, https://jfly.uni-koeln.de/color/).
BLUE, VERMILION, GREEN, PURPLE, ORANGE, SKY = "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"
#: Countries: in the EU/EEA, covered by an adequacy decision (fully or partly), other third countries.
GROUP_COLOURS = {"eea": BLUE, "adequacy": ORANGE, "other": VERMILION}

_COMMENT = re.compile(r"<!--.*?-->", re.S)
# pygal always writes a small configuration <script> (window.pygal.config), even with js=[]: the
# report runs no script (its Content-Security-Policy would block and log it), so it is removed.
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>|<script\b[^>]*/>", re.S)
_ROOT = re.compile(r"^<svg ")


def _style(colours: Sequence[str], font: int = 15) -> Style:
    # Font sizes in SVG pixels: a 720-pixel chart printed 170 mm wide shows 15 px as about 10 pt.
    return Style(background="#ffffff", plot_background="#ffffff", foreground="#222222", foreground_strong="#111111",
                 foreground_subtle="#cccccc", colors=tuple(colours), font_family="DejaVu Sans, Arial, sans-serif",
                 label_font_size=font, major_label_font_size=font, legend_font_size=font, title_font_size=font + 1,
                 value_font_size=font, tooltip_font_size=font, opacity="1", opacity_hover="1", transition="none")


def _common(width: int, height: int, colours: Sequence[str], font: int = 15, **extra: object) -> dict[str, object]:
    return {"width": width, "height": height, "style": _style(colours, font), "js": [],
            "css": ["file://style.css", "file://graph.css"], "disable_xml_declaration": True,
            "show_legend": False, "truncate_label": -1, "truncate_legend": -1, "margin": 8, "explicit_size": False,
            "print_values": True, "show_y_guides": False, "show_x_guides": False, **extra}


def _finish(chart: pygal.graph.graph.Graph, label: str, chart_id: str) -> Markup:
    # pygal draws a uuid4 per chart in its constructor and scopes the chart's CSS by it (`#chart-<uuid>`);
    # a name unique within the document keeps the scoping and makes the output reproducible.
    chart.uuid = chart_id
    svg = chart.render(is_unicode=True)
    svg = _SCRIPT.sub("", _COMMENT.sub("", svg))
    # role/aria-label: screen readers announce the chart by its label instead of reading every tick.
    svg = _ROOT.sub(f'<svg role="img" aria-label="{escape(label)}" focusable="false" ', svg, count=1)
    return Markup(svg)


def bars(items: Sequence[tuple[str, float, str]], label: str, fmt: Callable[[float], str], chart_id: str,
         width: int = 720) -> Markup:
    """Horizontal bars, one per item ``(label, value, colour)``, largest first; each label already
    carries its value ("United States: 16", formatted by the caller), so no value is printed over
    a bar where it could be hidden. ``chart_id`` names the chart (unique within the document)."""
    top = list(items)
    chart = pygal.HorizontalBar(**_common(width, 40 + 30 * max(len(top), 1), [BLUE], formatter=fmt,
                                          value_formatter=fmt, show_x_labels=False, print_values=False))
    chart.x_labels = [name for name, _, _ in reversed(top)]
    chart.add(label, [{"value": value, "color": colour} for _, value, colour in reversed(top)])
    return _finish(chart, label, chart_id)


def small_multiple(quarters: Sequence[str], values: Sequence[float | None], label: str,
                   fmt: Callable[[float], str], chart_id: str, colour: str = BLUE,
                   maximum: float | None = None) -> Markup:
    """One measure per quarter, as columns with their values printed (one chart per measure);
    ``chart_id`` names the chart (unique within the document)."""
    top = max([v for v in values if v is not None] or [0])
    chart = pygal.Bar(**_common(340, 210, [colour], font=17, formatter=fmt, value_formatter=fmt, show_y_labels=False,
                                range=(0, maximum if maximum is not None else max(top * 1.25, 1)),
                                print_values_position="top", x_label_rotation=0))
    chart.x_labels = list(quarters)
    chart.add(label, [None if v is None else v for v in values])
    return _finish(chart, label, chart_id)
