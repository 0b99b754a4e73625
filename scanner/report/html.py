"""Self-contained HTML reports (and the shared Jinja2/gettext set-up of the quarterly report).

One template, ``templates/quarterly.html.j2``, renders both the quarterly works-council report and
the single-scan summary of ``sovscan run --format html`` (a report without history). The HTML
needs nothing from outside: styles are inline, charts are inline SVG (:mod:`scanner.report.charts`),
there is no script, and a Content-Security-Policy forbids any (defence in depth in case a value
ever slipped through unescaped). Autoescaping is on; inventory values are also stripped of
bidirectional-control characters and wrapped in ``<bdi>`` so a right-to-left name cannot reorder
the text around it (Unicode TR9, "Trojan Source", CVE-2021-42574).

Words come from the gettext catalogues in ``scanner/locale`` (``sovscan`` domain), loaded with
Babel; numbers and dates are formatted with Babel for the chosen language.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_decimal
from babel.support import Translations
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from scanner.errors import UsageError
from scanner.kb.loader import KnowledgeBase
from scanner.report import charts
from scanner.report.markdown import md_code, md_escape
from scanner.report.quarterly import QuarterlyReport, report_from_result
from scanner.result import ScanResult

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "sovscan"
LANGS = ("en", "fr")

# Bidirectional controls (embeddings, overrides, isolates, marks) and other invisible controls.
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c\x00-\x08\x0b-\x1f\x7f]")
MAX_VALUE = 120  # characters of an inventory value shown in a report


def clean(value: object, limit: int = MAX_VALUE) -> str:
    """An inventory value made safe to show: no bidi or control characters, at most ``limit`` chars."""
    text = _BIDI.sub("", "" if value is None else str(value)).replace("\n", " ").replace("\r", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


@lru_cache(maxsize=8)
def translations(lang: str) -> Translations:
    """The compiled catalogue of ``lang`` (``scanner/locale/<lang>/LC_MESSAGES/sovscan.mo``)."""
    if lang not in LANGS:
        raise UsageError(f"language {lang!r}: choose one of {', '.join(LANGS)}")
    found = Translations.load(str(LOCALE_DIR), [lang], domain=DOMAIN)
    if not isinstance(found, Translations) and lang != "en":
        raise FileNotFoundError(f"{LOCALE_DIR}/{lang}/LC_MESSAGES/{DOMAIN}.mo is missing: run 'make catalogs'")
    return found  # type: ignore[return-value]


def environment(lang: str, markdown: bool = False, kb: KnowledgeBase | None = None) -> Environment:
    """Jinja2 environment for the quarterly templates in ``lang`` (autoescaped unless ``markdown``)."""
    env = Environment(loader=PackageLoader("scanner.report", "templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False)
                      if not markdown else False,
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    locale = Locale.parse(lang)

    def num(value: float | int | None, digits: int = 1) -> str:
        if value is None:
            return "–"
        fmt = "#,##0" if digits == 0 or float(value).is_integer() else "#,##0." + "0" * digits
        return format_decimal(value, format=fmt, locale=locale)

    def signed(value: float | int | None) -> str:
        if value is None:
            return "–"
        text = num(abs(value))
        return f"+{text}" if value > 0 else (f"−{text}" if value < 0 else text)

    env.filters.update({
        "num": num, "signed": signed,
        "date": lambda iso: format_date(_date(iso), format="long", locale=locale) if iso else "–",
        "join_list": lambda items: format_list([str(i) for i in items], locale=locale) if items else "",
        "clean": clean,
        "md": lambda v: md_escape(clean(v)),
        "code": lambda v: md_code(clean(v)),
        # country code → its name in the report's language (the code itself when unknown)
        "country_name": lambda code: (getattr(kb.countries[code].name, lang)
                                      if kb is not None and code in kb.countries else code),
    })
    # a law's name (as stored in the report data, in English) → its name in the report's language
    french = {law.name: law.name_fr for law in kb.laws.values() if law.name_fr} if kb is not None else {}
    env.filters["law_label"] = (lambda name: french.get(name, name)) if lang == "fr" else (lambda name: name)
    env.globals.update({"lang": lang})
    return env


def _date(iso: str) -> Any:
    import datetime as dt

    return dt.date.fromisoformat(iso[:10])


def _labels(env: Environment, names: str, ids: list[str]) -> dict[str, str]:
    """Translated labels of ``ids`` from the template macro ``names`` (data classes, levels…)."""
    macros = env.get_template("quarterly.labels.j2").module
    macro = getattr(macros, names)
    return {i: str(macro(i)).strip() for i in ids}


def _charts(rep: QuarterlyReport, kb: KnowledgeBase, env: Environment, lang: str) -> dict[str, Markup]:
    _ = translations(lang).gettext
    # Every chart the template may show has a key: an empty or country-less result has none to draw.
    out: dict[str, Markup] = dict.fromkeys(("trend", "providers", "countries", "matrix"), Markup(""))
    if len(rep.trend) >= 2:
        out["trend"] = charts.trend_chart(
            [p.quarter for p in rep.trend],
            {_("Overall exposure (0–100)"): [p.exposure_score for p in rep.trend],
             _("Share of resources reachable by a foreign law (%)"):
                 [round(100 * p.exposed / p.resources, 1) if p.resources else 0 for p in rep.trend],
             _("Lock-in (0–100)"): [p.lockin_score for p in rep.trend]},
            _("Exposure and lock-in, quarter by quarter"))
    if rep.providers:
        out["providers"] = charts.bar_chart([(p.name, p.share_pct) for p in rep.providers],
                                            _("Share of resources per provider (%)"), " %")
    if rep.countries:
        out["countries"] = charts.bar_chart([(c.name.get(lang, c.code), c.resources) for c in rep.countries],
                                            _("Resources with a copy in each country"))
    laws = [row.id for row in rep.laws if row.id in {law for cells in rep.class_law.values() for law in cells}]
    rows = [c.data_class for c in rep.classes if rep.class_law.get(c.data_class)]
    if laws and rows:
        out["matrix"] = charts.matrix_chart(
            rows, laws, rep.class_law, _("Data classes reachable by each law (resources)"),
            _labels(env, "data_class", rows), {row.id: _short_law(kb, row.id) for row in rep.laws})
    return out


def _short_law(kb: KnowledgeBase, law: str) -> str:
    """A short chart label: the law id reads better on an axis than a full statute name."""
    rec = kb.laws.get(law)
    if rec is None:
        return law
    return f"{rec.jurisdiction} · {law.split('-', 1)[1].replace('-', ' ')}" if "-" in law else law


def render_quarterly_html(rep: QuarterlyReport, kb: KnowledgeBase, lang: str = "en") -> str:
    """The quarterly report as one self-contained HTML document."""
    env = environment(lang, kb=kb)
    return env.get_template("quarterly.html.j2").render(rep=rep, h=rep.headline, ch=rep.changes, kb=kb, lang=lang,
                                                        charts=_charts(rep, kb, env, lang))


def render_quarterly_markdown(rep: QuarterlyReport, kb: KnowledgeBase, lang: str = "en") -> str:
    """The quarterly report as Markdown (inventory values escaped, no charts: the tables carry the numbers)."""
    env = environment(lang, markdown=True, kb=kb)
    return env.get_template("quarterly.md.j2").render(rep=rep, h=rep.headline, ch=rep.changes, kb=kb, lang=lang,
                                                      charts={})


def render_html(result_or_report: ScanResult | QuarterlyReport, lang: str = "en",
                kb: KnowledgeBase | None = None) -> str:
    """HTML for ``sovscan run --format html`` (one scan, real names) or for a built quarterly report.

    A :class:`ScanResult` is shown as the current state with nothing to compare (identifiers as in
    the other formats of ``run``); a :class:`QuarterlyReport` needs ``kb`` for the law texts.
    """
    if isinstance(result_or_report, ScanResult):
        from providers.live import incomplete_gaps, incomplete_summary

        report = report_from_result(result_or_report)
        gaps = result_or_report.inventory.gaps
        summary = incomplete_summary(gaps)
        if summary:  # the headline says what this scan could not read
            report.coverage = {**report.coverage, "incomplete": {"count": len(incomplete_gaps(gaps)),
                                                                 "detail": summary}}
        return render_quarterly_html(report, result_or_report.kb, lang)
    if kb is None:
        raise ValueError("render_html(report, lang, kb): the knowledge base is needed for the law texts")
    return render_quarterly_html(result_or_report, kb, lang)
