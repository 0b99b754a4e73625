"""``sovscan report``: the quarterly report for staff representatives, compared with the previous quarter.

Output paths come from ``--output`` or from the quarter and language, never from inventory values.
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from scanner.commands.common import DbOpt, Lang, load_settings, note, scan_inputs, write_output
from scanner.errors import UsageError

if TYPE_CHECKING:
    from scanner.kb.loader import KnowledgeBase
    from scanner.report.quarterly import Quarter, QuarterlyReport
    from scanner.result import ScanResult


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    md = "md"


def report(
    quarter: Annotated[str | None, typer.Option(
        "--quarter", "-q", help="Quarter to report on, e.g. 2026-Q4 (default: that of the scan, or the latest stored).")
    ] = None,
    inventory: Annotated[list[Path], typer.Option(
        "--inventory", "-i", help="Scan these exports now and report on them as the quarter's state (repeatable).")
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    save: Annotated[bool, typer.Option("--save", help="Store the scan given with --inventory in the history.")] = False,
    org: Annotated[str | None, typer.Option("--org", help="Organisation (as stored in the history).")] = None,
    db: DbOpt = None,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the report: en, fr or de.")] = Lang.en,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="html, pdf or md.")] = ReportFormat.html,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="File to write; '-' = standard output (html, md). Default: "
        "sovscan-report-<quarter>-<lang>.<format>.")] = None,
    pseudonymize: Annotated[bool, typer.Option(
        "--pseudonymize/--no-pseudonymize", help="Replace ids, names and accounts by stable keyed pseudonyms.")
    ] = True,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date of the inventory given with --inventory.")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="sovscan.toml.")] = None,
    plan: Annotated[Path | None, typer.Option(
        "--plan", help="Add the summary of an exit plan (the JSON of 'sovscan plan --format json').")] = None,
) -> None:
    """Quarterly exposure report for staff representatives: applications, the quarter's events, trends."""
    from scanner.gc_pause import gc_paused
    from scanner.history import default_db
    from scanner.report.quarterly import report_from_history

    if save and not inventory:
        raise UsageError("--save stores a scan: give --inventory PATH too")
    path = db or default_db()
    with gc_paused():
        settings = load_settings(config)
        result = _scan_now(inventory, config, as_of, org, save, path) if inventory else None
        kb = result.kb if result is not None else settings.knowledge_base()
        chosen = _quarter(quarter, result, org, path)
        rep = report_from_history(kb, chosen, org, path, pseudonymize, result,
                                  show_names=settings.applications.show_names)
        if plan is not None:
            from scanner.report.quarterly import plan_section

            rep = dataclasses.replace(rep, plan=plan_section(plan))
        target = output or f"sovscan-report-{chosen}-{lang.value}.{fmt.value}"
        write_output(target, _render(rep, kb, lang.value, fmt))
    if target != "-":
        note(f"wrote {target}")


def _scan_now(inventory: list[Path], config: Path | None, as_of: str | None, org: str | None, save: bool,
              path: Path) -> ScanResult:
    result = scan_inputs(inventory, config, as_of, org)
    if save:
        from scanner.history import save as save_snapshot

        info = save_snapshot(result, path)
        note(f"saved snapshot {info.id} ({info.organization or '(no organisation)'}, {info.as_of}) in {path}")
    return result


def _quarter(quarter: str | None, result: ScanResult | None, org: str | None, path: Path) -> Quarter:
    from scanner.history import list_snapshots
    from scanner.report.quarterly import Quarter

    if quarter is not None:
        return Quarter.parse(quarter)
    if result is not None:
        return Quarter.of(result.as_of)
    stored = [i for i in list_snapshots(path) if org is None or i.organization == org]
    if not stored:
        raise UsageError(f"{path}: no stored snapshot{' for ' + repr(org) if org else ''}; give --inventory PATH "
                         "(and --save to keep it)")
    return Quarter.of(max(i.as_of for i in stored))


def _render(rep: QuarterlyReport, kb: KnowledgeBase, lang: str, fmt: ReportFormat) -> str | bytes:
    from scanner.report.html import render_quarterly_html, render_quarterly_markdown

    if fmt is ReportFormat.md:
        return render_quarterly_markdown(rep, kb, lang)
    text = render_quarterly_html(rep, kb, lang)
    if fmt is ReportFormat.pdf:
        from scanner.report.pdf import html_to_pdf

        return html_to_pdf(text)
    return text
