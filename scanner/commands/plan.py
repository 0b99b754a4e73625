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
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from scanner.commands.live_options import (
    AggregatorOpt,
    ExternalIdOpt,
    FolderOpt,
    MaxWorkersOpt,
    OrgAccountsOpt,
    OrganizationOpt,
    ProfileOpt,
    ProjectOpt,
    ProviderOpt,
    RegionsOpt,
    RoleNameOpt,
    SubscriptionOpt,
    TenantOpt,
    Via,
    ViaOpt,
    live_options,
)


class PlanFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    md = "md"
    dora_csv = "dora-csv"


def _parse_list(value: str) -> list[str]:
    return [v.strip().lower() for v in value.split(",") if v.strip()]


def plan(
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
    provider: ProviderOpt = None,
    profile: ProfileOpt = None,
    regions: RegionsOpt = None,
    org_accounts: OrgAccountsOpt = False,
    role_name: RoleNameOpt = "SovscanReadOnly",
    external_id: ExternalIdOpt = None,
    via: ViaOpt = Via.api,
    aggregator: AggregatorOpt = None,
    tenant: TenantOpt = None,
    subscription: SubscriptionOpt = [],  # noqa: B006 - typer reads the default, never mutates it
    organization: OrganizationOpt = None,
    folder: FolderOpt = None,
    project: ProjectOpt = [],  # noqa: B006
    max_workers: MaxWorkersOpt = 8,
    snapshot: Annotated[int | None, typer.Option(
        "--snapshot", help="Plan from a snapshot of the history (its id in 'sovscan history list') instead of "
                           "--inventory.")] = None,
    db: Annotated[Path | None, typer.Option(
        "--db", help="History database for --snapshot (default: in the user's data directory).")] = None,
) -> None:
    """Plan the migration toward sovereign or open alternatives: units, waves, costs, before/after."""
    from scanner.cli import _fail, _scan
    from scanner.config import ConfigError, load_config
    from scanner.kb.loader import KnowledgeBaseError
    from scanner.pipeline import gc_paused
    from scanner.plan.document import build_plan, plan_document
    from scanner.plan.planner import OPEN_SOURCE, PlanOptions

    live = live_options(provider, profile, regions, org_accounts, role_name, external_id, via, aggregator, tenant,
                        subscription, organization, folder, project, max_workers)
    if not inventory and snapshot is None and live is None:
        _fail("give at least one --inventory PATH, --provider aws|azure|gcp, or --snapshot ID")
    if snapshot is not None and (inventory or live is not None):
        _fail("--snapshot plans from the history: leave out --inventory and --provider")
    targets = _parse_list(target)
    if not targets:
        _fail("--target: give at least one provider id or 'open-source'")
    try:
        when = dt.date.fromisoformat(exit_date) if exit_date else dt.date.today()
    except ValueError:
        _fail(f"--exit-date {exit_date!r}: expected a date as YYYY-MM-DD")
    try:
        cfg = load_config(config)
        kb = cfg.knowledge_base()
    except (ConfigError, KnowledgeBaseError) as exc:
        _fail(str(exc))
    unknown = [t for t in targets if t != OPEN_SOURCE and t not in kb.providers]
    if unknown:
        _fail(f"--target: unknown provider(s) {', '.join(unknown)} (known: {', '.join(sorted(kb.providers))}, "
              f"{OPEN_SOURCE})")
    required = frozenset(_parse_list(require)) if require is not None else None
    if required:
        bad = sorted(required - set(kb.schemes))
        if bad:
            _fail(f"--require: unknown certification scheme(s) {', '.join(bad)} "
                  f"(known: {', '.join(sorted(kb.schemes))})")
    options = PlanOptions(tuple(targets), required, bandwidth, when, usd_per_eur)
    to_stdout = output == "-"
    chosen = fmt or (PlanFormat.table if to_stdout and sys.stdout.isatty() else PlanFormat.json)
    with gc_paused():
        if snapshot is not None:
            from scanner.history import HistoryError, inventory_of
            from scanner.pipeline import assess

            try:
                info, stored = inventory_of(snapshot, db)
            except HistoryError as exc:
                _fail(str(exc))
            result = assess(stored, cfg, as_of=as_of or info.as_of, organization=org or info.organization)
        else:
            result = _scan(inventory, config, as_of, org, live)
        doc_plan = build_plan(result, options, cfg)
        doc = plan_document(doc_plan)
    try:
        _write(doc, doc_plan, chosen, output)
    except OSError as exc:
        _fail(f"{output}: cannot write ({exc.strerror})")


def _write(doc: dict[str, object], doc_plan: object, fmt: PlanFormat, output: str) -> None:
    from scanner.plan import render
    from scanner.plan.document import Plan
    from scanner.plan.exit import concentration, dora_rows, write_dora_csv

    if fmt is PlanFormat.table:
        if output == "-":
            render.render_terminal(doc, Console())
        else:
            with open(output, "w", encoding="utf-8") as fh:
                render.render_terminal(doc, Console(file=fh, width=120, force_terminal=False))
        return
    buf = io.StringIO()
    if fmt is PlanFormat.json:
        render.write_json(doc, buf)
    elif fmt is PlanFormat.csv:
        render.write_csv(doc, buf)
    elif fmt is PlanFormat.md:
        buf.write(render.render_markdown(doc))
    else:
        assert isinstance(doc_plan, Plan)
        before = doc_plan.before
        write_dora_csv(dora_rows(before, doc_plan.planned.moving, concentration(before)), buf)
    if output == "-":
        sys.stdout.write(buf.getvalue())
    else:
        with open(output, "w", encoding="utf-8", newline="") as fh:
            fh.write(buf.getvalue())
