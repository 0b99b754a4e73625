"""``sovscan report`` (the quarterly report) and ``sovscan history list|show|forget``.

Errors map to exit code 2 with one line on standard error, as in :mod:`scanner.cli`. Output paths
come from ``--output`` or from the quarter and language, never from inventory values.
"""

from __future__ import annotations

import dataclasses
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

history_app = typer.Typer(no_args_is_help=True, help="Stored scan snapshots (the history quarterly reports compare).")


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    md = "md"


class Lang(StrEnum):
    en = "en"
    fr = "fr"


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"sovscan: error: {message}", err=True)
    raise typer.Exit(code)


DbOpt = Annotated[Path | None, typer.Option(
    "--db", help="History database (default: sovscan/history.sqlite3 in the user's data directory).")]


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
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the report.")] = Lang.en,
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
    """Quarterly exposure report for works councils: state, changes since last quarter, trends."""
    from scanner.config import ConfigError, load_config
    from scanner.history import HistoryError, default_db, list_snapshots
    from scanner.history import save as save_snapshot
    from scanner.kb.loader import KnowledgeBaseError
    from scanner.pseudonym import PseudonymKeyError
    from scanner.report.html import render_quarterly_html, render_quarterly_markdown
    from scanner.report.pdf import PdfError, html_to_pdf
    from scanner.report.quarterly import Quarter, report_from_history

    if save and not inventory:
        _fail("--save stores a scan: give --inventory PATH too")
    path = db or default_db()
    result = None
    try:
        if inventory:
            from scanner.cli import _scan  # the scan and its error handling, shared with 'run'

            result = _scan(inventory, config, as_of, org)
            if save:
                info = save_snapshot(result, path)
                typer.echo(f"sovscan: saved snapshot {info.id} ({info.organization or '(no organisation)'}, "
                           f"{info.as_of}) in {path}", err=True)
            kb = result.kb
        else:
            kb = load_config(config).knowledge_base()
        if quarter is not None:
            chosen = Quarter.parse(quarter)
        elif result is not None:
            chosen = Quarter.of(result.as_of)
        else:
            stored = [i for i in list_snapshots(path) if org is None or i.organization == org]
            if not stored:
                _fail(f"{path}: no stored snapshot{' for ' + repr(org) if org else ''}; give --inventory PATH "
                      "(and --save to keep it)")
            chosen = Quarter.of(max(i.as_of for i in stored))
        rep = report_from_history(kb, chosen, org, path, pseudonymize, result)
        if plan is not None:
            from scanner.report.quarterly import plan_section

            rep = dataclasses.replace(rep, plan=plan_section(plan))
        if fmt is ReportFormat.md:
            text = render_quarterly_markdown(rep, kb, lang.value)
        else:
            text = render_quarterly_html(rep, kb, lang.value)
        target = output or f"sovscan-report-{chosen}-{lang.value}.{fmt.value}"
        if fmt is ReportFormat.pdf:
            if target == "-":
                sys.stdout.buffer.write(html_to_pdf(text))
            else:
                html_to_pdf(text, Path(target))
        elif target == "-":
            sys.stdout.write(text)
        else:
            Path(target).write_text(text, encoding="utf-8")
    except (HistoryError, ValueError, PdfError, PseudonymKeyError, ConfigError, KnowledgeBaseError) as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{exc.filename or output}: {exc.strerror}")
    if target != "-":
        typer.echo(f"sovscan: wrote {target}", err=True)


@history_app.command("list")
def history_list(
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation.")] = None,
    db: DbOpt = None,
) -> None:
    """List stored snapshots, oldest first."""
    from scanner.history import HistoryError, list_snapshots
    from scanner.report.quarterly import Quarter

    try:
        infos = list_snapshots(db, org)
    except HistoryError as exc:
        _fail(str(exc))
    if not infos:
        typer.echo("no stored snapshot")
        return
    typer.echo("id\torganisation\tas_of\tquarter\tresources\treachable\tsensitive_reachable\texposure\tpseudonymised")
    for i in infos:
        typer.echo(f"{i.id}\t{i.organization or '-'}\t{i.as_of}\t{Quarter.of(i.as_of)}\t{i.resources}\t"
                   f"{i.exposed_resources}\t{i.sensitive_exposed}\t{i.exposure_score}\t"
                   f"{'yes' if i.pseudonymized else 'no'}")


@history_app.command("show")
def history_show(
    snapshot_id: Annotated[int, typer.Argument(help="Snapshot id (see 'sovscan history list').")],
    db: DbOpt = None,
) -> None:
    """Show one snapshot's key numbers."""
    from scanner.history import HistoryError, load

    try:
        snap = load(snapshot_id, db)
    except HistoryError as exc:
        _fail(str(exc))
    i, s = snap.info, snap.summary
    lines = [
        f"snapshot {i.id}: {i.organization or '(no organisation)'}, inventory of {i.as_of} "
        f"(scanned {i.generated_at}, sovscan {i.tool_version}, knowledge base {i.kb_version})",
        f"resources: {i.resources}; reachable by a foreign law: {i.exposed_resources}; "
        f"sensitive and reachable: {i.sensitive_exposed}",
        f"exposure: {i.exposure_score} ({s['exposure']['level']}); lock-in: {i.lockin_score} "
        f"({s['lockin']['level']}); migration effort: {i.effort} points",
        "findings: " + ", ".join(f"{n} {sev}" for sev, n in s["findings"].items()),
        "providers: " + ", ".join(f"{p} {100 * v['share']:.1f} %" for p, v in s["exposure"]["by_provider"].items()),
        f"identifiers: {'pseudonymised' if i.pseudonymized else 'as in the exports'}",
    ]
    typer.echo("\n".join(lines))


@history_app.command("forget")
def history_forget(
    snapshot_id: Annotated[int | None, typer.Argument(help="Snapshot id to delete.")] = None,
    org: Annotated[str | None, typer.Option("--org", help="Organisation whose snapshots to delete.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Only the snapshot of this date.")] = None,
    all_dates: Annotated[bool, typer.Option("--all", help="Every snapshot of --org.")] = False,
    db: DbOpt = None,
) -> None:
    """Delete stored snapshots (one by id, one by --org and --as-of, or all of --org with --all)."""
    from scanner.history import HistoryError, forget

    if snapshot_id is None and (org is None or (as_of is None and not all_dates)):
        _fail("say what to forget: a snapshot id, --org ORG --as-of DATE, or --org ORG --all")
    try:
        gone = forget(db, snapshot_id, org, as_of)
    except HistoryError as exc:
        _fail(str(exc))
    if not gone:
        _fail("no such snapshot (see 'sovscan history list')")
    for i in gone:
        typer.echo(f"forgot snapshot {i.id} ({i.organization or '(no organisation)'}, {i.as_of})")
