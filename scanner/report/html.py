"""Self-contained HTML reports, the Markdown edition, and the shared Jinja2/gettext set-up.

One template, ``templates/quarterly.html.j2``, renders both the quarterly report for staff
representatives and the single-scan summary of ``sovscan run --format html`` (a report without
history). The HTML needs nothing from outside: styles are inline, charts are inline SVG
(:mod:`scanner.report.charts`), there is no script, and a Content-Security-Policy forbids any
(defence in depth in case a value ever slipped through unescaped). Autoescaping is on; inventory
values are also stripped of bidirectional-control characters and wrapped in ``<bdi>`` so a
right-to-left name cannot reorder the text around it (Unicode TR9, "Trojan Source",
CVE-2021-42574).

Words come from the gettext catalogues in ``scanner/locale`` through :class:`scanner.report.i18n.Words`
(English, French, German); numbers, dates and units are formatted with Babel for the chosen
language, and the language's typography is applied last (:func:`scanner.report.i18n.typeset_html`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_eval_context, select_autoescape
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

from scanner.kb.loader import KnowledgeBase
from scanner.report import charts
from scanner.report.i18n import (
    DOMAIN,
    LANGS,
    LOCALE_DIR,
    MAX_VALUE,
    Words,
    clean,
    translations,
    typeset_html,
    typeset_markdown,
    typeset_text,
    word_filters,
)
from scanner.report.jinja import BYTECODE
from scanner.report.markdown import md_code, md_escape
from scanner.report.phrases import INDICATORS, event, finding, sentence, step_label
from scanner.report.quarterly import QuarterlyReport, report_from_result
from scanner.report.questions import render as render_question
from scanner.result import ScanResult

__all__ = ["DOMAIN", "LANGS", "LOCALE_DIR", "MAX_VALUE", "clean", "environment", "render_html",
           "render_quarterly_html", "render_quarterly_markdown", "translations"]

#: Glossary entries shown in every report (their wording is in the catalogues).
GLOSSARY = ("application", "foreign-law", "control", "location", "presence", "eea", "adequacy", "region",
            "provider", "sensitive-data", "encryption-keys", "replication", "exposure", "lock-in",
            "migration-effort", "verified", "pseudonym", "secnumcloud", "hds")


def _gettext(w: Words) -> tuple[Callable[..., str], Callable[..., str]]:
    """``_`` and ``ngettext`` for the templates: Babel-formatted ``num``, values escaped once in HTML."""

    @pass_eval_context
    def gettext(ctx: EvalContext, message: str, **params: Any) -> str:
        text = w.t.gettext(message)
        if ctx.autoescape:
            return escape(text) % params if params else Markup(escape(text))
        return text % params if params else text

    @pass_eval_context
    def ngettext(ctx: EvalContext, singular: str, plural: str, n: int, **params: Any) -> str:
        text = w.t.ngettext(singular, plural, n)
        values = {"num": w.integer(n), **params}
        return escape(text) % values if ctx.autoescape else text % values

    return gettext, ngettext


def environment(lang: str, markdown: bool = False, kb: KnowledgeBase | None = None) -> Environment:
    """Jinja2 environment for the quarterly templates in ``lang`` (autoescaped unless ``markdown``)."""
    w = Words(lang, "md" if markdown else "html", kb)
    env = Environment(loader=PackageLoader("scanner.report", "templates"), undefined=StrictUndefined,
                      bytecode_cache=BYTECODE,
                      autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False)
                      if not markdown else False,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    gettext, ngettext = _gettext(w)
    env.filters.update(word_filters(w))
    def few(items: Any, limit: int = 4) -> str:
        return w.few(list(items), limit)

    env.filters.update({
        "signed": w.signed, "few": few,
        "clean": clean, "md": lambda v: md_escape(clean(v)), "code": lambda v: md_code(clean(v)),
    })
    env.globals.update({
        "_": gettext, "gettext": gettext, "ngettext": ngettext, "lang": lang, "w": w, "glossary": GLOSSARY,
        "sentence": lambda s: sentence(w, s), "event": lambda e: event(w, e),
        "question": lambda q: render_question(w, q), "finding": lambda f: finding(w, f.template, f.resource),
        "step_label": lambda s: step_label(w, s),
        "indicator": lambda key: w.own(w.label(INDICATORS, key)),
        "where": lambda v: _where(w, v),
        "unlisted_ids": lambda rep: [law.id for law in rep.laws if law.id.startswith("unlisted-law:")],
    })
    return env


def _where(w: Words, view: Any) -> str:
    """Where an application's bytes are: the home country, then countries outside the EU/EEA (where
    other laws apply), then the rest of the EU/EEA."""
    kb = w.kb
    home = w.home

    def rank(code: str) -> tuple[int, str]:
        inside = kb is not None and kb.in_eea(code)
        return (0 if code == home else 1 if not inside else 2, w.country(code))

    codes = sorted(view.acc.locations, key=rank)
    if not codes:
        return w.own(w._("unknown"))
    return w.few([w.country(c) for c in codes], 4)


def _names(rep: QuarterlyReport, w: Words) -> Callable[[Sequence[str]], str]:
    names = {v.id: v.name for v in rep.apps}
    if rep.changes is not None:
        names.update({e.app: e.name for e in rep.changes.events if e.app is not None})
    return lambda ids: w.few([w.quoted(names.get(i, i)) for i in ids], 4)


def _charts(rep: QuarterlyReport, w: Words) -> dict[str, Any]:
    # Every chart the template may show has a key: an empty or country-less result has none to draw.
    out: dict[str, Any] = dict.fromkeys(("trend", "providers", "countries"), "")
    sensitive = [c for c in rep.countries if c.sensitive][:15]
    def labelled(name: str, value: str) -> str:
        return typeset_text(f"{name}: {value}", w.lang)

    if sensitive:
        out["countries"] = charts.bars([(labelled(w.country(c.code), w.integer(c.sensitive)), c.sensitive,
                                         charts.GROUP_COLOURS[c.group]) for c in sensitive],
                                       w._("Resources holding sensitive data with a copy in each country"),
                                       lambda v: w.integer(int(v)), "countries")
    if rep.providers:
        out["providers"] = charts.bars([(labelled(w.provider(p.id), w.pct(p.share_pct)), p.share_pct, charts.BLUE)
                                        for p in rep.providers],
                                       w._("Share of resources per provider"), lambda v: w.pct(v), "providers")
    trend = []
    if len(rep.trend) >= 2:
        quarters = [w.quarter_short(p.quarter.year, p.quarter.number) for p in rep.trend]
        known = all(p.indicators is not None for p in rep.trend)
        series: list[tuple[str, list[float | None], str, float | None]] = []
        if known:
            series += [
                (w._("Applications with sensitive data reachable through the provider's control"),
                 [p.indicators.apps_by_control if p.indicators else None for p in rep.trend], charts.VERMILION, None),
                (w._("Applications with sensitive data reachable through a copy abroad"),
                 [p.indicators.apps_by_location if p.indicators else None for p in rep.trend], charts.ORANGE, None)]
        series += [
            (w._("Resources with sensitive data reachable by a foreign law"),
             [p.sensitive_exposed for p in rep.trend], charts.PURPLE, None),
            (w._("Exposure index (0–100)"), [p.exposure_score for p in rep.trend], charts.BLUE, 100.0),
            (w._("Lock-in index (0–100)"), [p.lockin_score for p in rep.trend], charts.GREEN, 100.0)]
        for n, (caption, values, colour, maximum) in enumerate(series, 1):
            fmt: Callable[[float], str] = (lambda v: w.num(v)) if maximum else (lambda v: w.integer(int(v)))
            trend.append({"svg": charts.small_multiple(quarters, values, caption, fmt, f"trend-{n}", colour, maximum),
                          "caption": caption})
    out["trend"] = trend
    return out


def _context(rep: QuarterlyReport, kb: KnowledgeBase, env: Environment, markdown: bool) -> dict[str, Any]:
    w: Words = env.globals["w"]  # type: ignore[assignment]
    env.globals["names"] = _names(rep, w)
    w.home = rep.home_country
    groups: dict[str, list[Any]] = {}
    for row in rep.resources:
        groups.setdefault(row.app, []).append(row)
    return {"rep": rep, "ch": rep.changes, "kb": kb, "charts": {} if markdown else _charts(rep, w),
            "annex": list(groups.items())}


def render_quarterly_html(rep: QuarterlyReport, kb: KnowledgeBase, lang: str = "en") -> str:
    """The quarterly report as one self-contained HTML document."""
    env = environment(lang, kb=kb)
    html = env.get_template("quarterly.html.j2").render(**_context(rep, kb, env, False))
    return typeset_html(html, lang)


def render_quarterly_markdown(rep: QuarterlyReport, kb: KnowledgeBase, lang: str = "en") -> str:
    """The quarterly report as Markdown (inventory values escaped, no charts: the tables carry the numbers)."""
    env = environment(lang, markdown=True, kb=kb)
    text = env.get_template("quarterly.md.j2").render(**_context(rep, kb, env, True))
    return typeset_markdown(text, lang)


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
