"""``sovscan plan``: migration units, waves, costs and a re-scored before/after toward sovereign targets.

Takes the same inputs as ``sovscan run`` (exported files and folders, saved live inventories, or a
live read-only collection with ``--provider``), or a snapshot of the history (``--snapshot``,
re-assessed from the inventory stored with it); scans them with the same pipeline, plans with
:mod:`scanner.plan` and writes the plan as a terminal summary, Markdown, CSV, JSON (schema in
docs/plan.md) or the provider-level rows of a DORA register of information.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from providers.live import LiveOptions
from scanner.commands.common import (
    BillingOpt,
    load_billing,
    load_settings,
    open_output,
    parse_date,
    scan_inputs,
    to_terminal,
    write_output,
)
from scanner.commands.live_options import live_command
from scanner.errors import UsageError

if TYPE_CHECKING:
    from scanner.billing import Billing
    from scanner.config import Config
    from scanner.kb.loader import KnowledgeBase
    from scanner.plan.document import Plan
    from scanner.plan.planner import PlanOptions
    from scanner.result import ScanResult


class PlanFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    md = "md"
    dora_csv = "dora-csv"
    dora_register = "dora-register"
    dora_xbrl = "dora-xbrl"


def _parse_list(value: str) -> list[str]:
    return [v.strip().lower() for v in value.split(",") if v.strip()]


def _check_sources(inventory: list[Path], snapshot: int | None, live: LiveOptions | None) -> None:
    if not inventory and snapshot is None and live is None:
        raise UsageError("give at least one --inventory PATH, --provider aws|azure|gcp, or --snapshot ID")
    if snapshot is not None and (inventory or live is not None):
        raise UsageError("--snapshot plans from the history: leave out --inventory and --provider")


#: The formats written as their unit records are made, never all held at once (at a million
#: resources the records alone take gigabytes).
STREAMED = frozenset({PlanFormat.json, PlanFormat.csv, PlanFormat.md})


def _write_streamed(doc_plan: Any, fmt: PlanFormat, output: str) -> None:
    from scanner.plan.document import plan_document
    from scanner.plan.render import write_csv, write_json, write_markdown

    doc = plan_document(doc_plan, lazy_units=True)
    with open_output(output) as out:
        if fmt is PlanFormat.json:
            write_json(doc, out)
            return
        # Text encoded as write_output encodes it; no newline translation (as io.StringIO).
        text = io.TextIOWrapper(out, encoding="utf-8", errors="backslashreplace", newline="",
                                write_through=False)
        try:
            if fmt is PlanFormat.csv:
                write_csv(doc, text)
            else:
                write_markdown(doc, text)
            text.flush()
        finally:
            text.detach()  # the stream belongs to open_output


def _plan(
    target: Annotated[str, typer.Option(
        "--target", "-t", help="Target providers and/or 'open-source', comma-separated, in order of preference.")],
    inventory: Annotated[list[Path], typer.Option(
        "--inventory", "-i", help="Exported file or folder (repeatable); .gz accepted, format sniffed from content.")
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    require: Annotated[str | None, typer.Option(
        "--require", help="Certifications every data-holding resource's alternative must hold (e.g. hds,secnumcloud); "
                          "default: what each resource's data classes need.")] = None,
    bandwidth: Annotated[float, typer.Option(
        "--bandwidth", min=0.001, help="Bandwidth available for the transfer, in Mbit/s.")] = 1000.0,
    exit_date: Annotated[str | None, typer.Option(
        "--exit-date", help="Planned exit date, YYYY-MM-DD (default: today); from 2027-01-12 the EU Data Act "
                            "forbids switching charges.")] = None,
    usd_per_eur: Annotated[float | None, typer.Option(
        "--usd-per-eur", min=0.0001, help="Exchange rate for prices published in US dollars (default: the "
                                          "knowledge base's ECB reference rate).")] = None,
    fmt: Annotated[PlanFormat | None, typer.Option(
        "--format", "-f", help="Output format (default: table on a terminal, json otherwise).")] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="Write to this file; '-' = standard output.")] = "-",
    config: Annotated[Path | None, typer.Option(
        "--config", help="sovscan.toml (default: ./sovscan.toml when present).")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Date of the inventory, YYYY-MM-DD (default: today).")] = None,
    org: Annotated[str | None, typer.Option("--org", help="Organisation name shown in outputs.")] = None,
    snapshot: Annotated[int | None, typer.Option(
        "--snapshot", help="Plan from a snapshot of the history (its id in 'sovscan history list') instead of "
                           "--inventory.")] = None,
    db: Annotated[Path | None, typer.Option(
        "--db", help="History database for --snapshot (default: in the user's data directory).")] = None,
    billing: BillingOpt = None,
    entity_lei: Annotated[str | None, typer.Option(
        "--entity-lei", help="dora-xbrl: the LEI of the financial entity filing the register (entityID).")] = None,
    live: LiveOptions | None = None,
) -> None:
    """Plan the migration toward sovereign or open alternatives: units, waves, costs, before/after."""
    from scanner.gc_pause import gc_paused
    from scanner.plan.document import build_plan, plan_document

    _check_sources(inventory, snapshot, live)
    cfg = load_settings(config)
    options = _options(cfg.knowledge_base(), target, require, bandwidth, exit_date, usd_per_eur)
    chosen = fmt or (PlanFormat.table if to_terminal(output) else PlanFormat.json)
    with gc_paused():
        if snapshot is not None:
            result = _from_snapshot(snapshot, db, cfg, as_of, org, load_billing(billing))
        else:
            result = scan_inputs(inventory, config, as_of, org, live, billing=billing)
        doc_plan = build_plan(result, options, cfg, release=True)
        del result
        if chosen in STREAMED:
            _write_streamed(doc_plan, chosen, output)
            return
        doc = plan_document(doc_plan)
    if chosen in (PlanFormat.dora_xbrl, PlanFormat.dora_register):
        _write_register(doc_plan, chosen, output, entity_lei)
        return
    _write(doc, doc_plan, chosen, output)


#: The command: ``_plan`` with every provider's live options (``live`` is built from them).
plan = live_command(_plan)


def _options(kb: KnowledgeBase, target: str, require: str | None, bandwidth: float, exit_date: str | None,
             usd_per_eur: float | None) -> PlanOptions:
    from scanner.plan.planner import OPEN_SOURCE, PlanOptions

    targets = _parse_list(target)
    if not targets:
        raise UsageError("--target: give at least one provider id or 'open-source'")
    when = parse_date(exit_date, "--exit-date") or dt.date.today()
    unknown = [t for t in targets if t != OPEN_SOURCE and t not in kb.providers]
    if unknown:
        raise UsageError(f"--target: unknown provider(s) {', '.join(unknown)} "
                         f"(known: {', '.join(sorted(kb.providers))}, {OPEN_SOURCE})")
    required = frozenset(_parse_list(require)) if require is not None else None
    bad = sorted((required or frozenset()) - set(kb.schemes))
    if bad:
        raise UsageError(f"--require: unknown certification scheme(s) {', '.join(bad)} "
                         f"(known: {', '.join(sorted(kb.schemes))})")
    return PlanOptions(tuple(targets), required, bandwidth, when, usd_per_eur)


def _from_snapshot(snapshot: int, db: Path | None, cfg: Config, as_of: str | None, org: str | None,
                   billing: Billing | None = None) -> ScanResult:
    from scanner.history import inventory_of
    from scanner.pipeline import assess

    info, stored = inventory_of(snapshot, db)
    return assess(stored, cfg, as_of=as_of or info.as_of, organization=org or info.organization, billing=billing)


def _write_register(doc_plan: Plan, fmt: PlanFormat, output: str, entity_lei: str | None) -> None:
    """The DORA register: the xBRL-CSV package (with its two companion files) or the readable CSV."""
    from scanner.plan.register import build_register, write_companions, write_package, write_readable

    reg = build_register(doc_plan.before, doc_plan.planned.moving)
    if fmt is PlanFormat.dora_register:
        buf = io.StringIO()
        write_readable(reg, buf)
        write_output(output, buf.getvalue())
        return
    if output == "-":
        raise UsageError("--format dora-xbrl writes a zip and two companion files: give --output FILE.zip")
    if entity_lei is not None and not re.fullmatch(r"[A-Z0-9]{18}[0-9]{2}", entity_lei):
        raise UsageError(f"--entity-lei {entity_lei!r}: an LEI is 20 characters, 18 letters or digits then 2 digits")
    target = Path(output)
    name = target.name.removesuffix(".zip")
    ref = dt.date.fromisoformat(doc_plan.before.as_of)
    with open_output(output) as out:
        write_package(reg, out, ref, entity_lei, name)
    sources, empty = io.StringIO(), io.StringIO()
    write_companions(reg, sources, empty)
    write_output(str(target.with_name(f"{name}.sources.csv")), sources.getvalue())
    write_output(str(target.with_name(f"{name}.empty_cells.csv")), empty.getvalue())


def _write(doc: dict[str, object], doc_plan: Plan, fmt: PlanFormat, output: str) -> None:
    from rich.console import Console

    from scanner.plan import render
    from scanner.plan.exit import concentration, dora_rows, write_dora_csv

    if fmt is PlanFormat.table and output == "-":
        render.render_terminal(doc, Console())
        return
    buf = io.StringIO()
    if fmt is PlanFormat.table:
        render.render_terminal(doc, Console(file=buf, width=120, force_terminal=False))
    elif fmt is PlanFormat.csv:
        render.write_csv(doc, buf)
    elif fmt is PlanFormat.md:
        buf.write(render.render_markdown(doc))
    else:
        before = doc_plan.before
        write_dora_csv(dora_rows(before, doc_plan.planned.moving, concentration(before)), buf)
    write_output(output, buf.getvalue())
