"""The ``sovscan`` command line: thin typer commands, the only place that maps errors to exit codes.

Exit codes: 0 done; 1 the ``--fail-on`` severity was reached; 2 bad usage or unreadable input
(one line naming the file and, where known, the position); 3 live collection incomplete under
``--strict``.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from scanner import __version__
from scanner.commands.live_options import (
    LIVE,
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

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Whose laws can reach your cloud data, and how hard would it be to leave?")
kb_app = typer.Typer(no_args_is_help=True, help="Inspect and validate the knowledge base.")
app.add_typer(kb_app, name="kb")


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    md = "md"
    html = "html"


class Lang(StrEnum):
    en = "en"
    fr = "fr"


class Level(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"sovscan: error: {message}", err=True)
    raise typer.Exit(code)


InventoryOpt = Annotated[list[Path], typer.Option(
    "--inventory", "-i", help="Exported file or folder (repeatable); .gz accepted, format sniffed from content.")]
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", help="sovscan.toml (default: ./sovscan.toml when present).")]


def _scan(inventory: list[Path], config: Path | None, as_of: str | None, org: str | None,  # type: ignore[no-untyped-def]
          live: Any = None, export_path: Path | None = None):
    from providers.base import ProviderError
    from scanner.config import ConfigError, load_config
    from scanner.kb.loader import KnowledgeBaseError
    from scanner.pipeline import scan

    if as_of is not None:
        try:
            dt.date.fromisoformat(as_of)
        except ValueError:
            _fail(f"--as-of {as_of!r}: expected a date as YYYY-MM-DD")
    try:
        cfg = load_config(config)
        return scan(inventory, cfg, as_of=as_of, organization=org,
                    warn=lambda msg: typer.echo(f"sovscan: warning: {msg}", err=True),
                    live=live, export_path=export_path)
    except (ProviderError, ConfigError, KnowledgeBaseError) as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{exc.filename or 'output'}: {exc.strerror}")


@app.command()
def run(
    inventory: InventoryOpt = [],  # noqa: B006 - typer reads the default, never mutates it
    fmt: Annotated[Format | None, typer.Option(
        "--format", "-f", help="Output format (default: table on a terminal, json otherwise).")] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="Write to this file; '-' = standard output.")] = "-",
    config: ConfigOpt = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Date of the inventory, YYYY-MM-DD (default: today).")] = None,
    org: Annotated[str | None, typer.Option("--org", help="Organisation name shown in outputs.")] = None,
    fail_on: Annotated[Level | None, typer.Option(
        "--fail-on", help="Exit 1 when a finding of this severity or worse exists.")] = None,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the HTML output.")] = Lang.en,
    save: Annotated[bool, typer.Option(
        "--save", help="Store this scan as a snapshot in the history database (for quarterly reports).")] = False,
    db: Annotated[Path | None, typer.Option(
        "--db", help="History database (default: in the user's data directory).")] = None,
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
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit 3 when the live collection was incomplete (access denied, API disabled…).",
        rich_help_panel=LIVE)] = False,
    export_inventory: Annotated[Path | None, typer.Option(
        "--export-inventory", help="Also save the collected raw inventory (gzip NDJSON) for offline use.",
        rich_help_panel=LIVE)] = None,
) -> None:
    """Scan exported inventories (offline) or collect live, read-only; report exposure, lock-in and migration."""
    if not inventory and provider is None:
        _fail("give at least one --inventory PATH, or --provider aws|azure|gcp")
    if export_inventory is not None and provider is None:
        _fail("--export-inventory saves a live collection: give --provider too")
    live = live_options(provider, profile, regions, org_accounts, role_name, external_id, via, aggregator, tenant,
                        subscription, organization, folder, project, max_workers)
    from scanner.pipeline import gc_paused

    to_stdout = output == "-"
    chosen = fmt or (Format.table if to_stdout and sys.stdout.isatty() else Format.json)
    with gc_paused():
        result = _scan(inventory, config, as_of, org, live, export_inventory)
        try:
            _write(result, chosen, output, lang.value)
        except OSError as exc:
            _fail(f"{output}: cannot write ({exc.strerror})")
    if save:
        from scanner.history import HistoryError
        from scanner.history import save as save_snapshot

        try:
            info = save_snapshot(result, db)
        except HistoryError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"{exc.filename or db}: cannot write the history database ({exc.strerror})")
        typer.echo(f"sovscan: saved snapshot {info.id} of {info.organization or 'the organisation'} "
                   f"as of {info.as_of}", err=True)
    if strict and live is not None:
        from scanner.pipeline import INCOMPLETE_REASONS

        missing = [g for g in result.inventory.gaps if g.reason in INCOMPLETE_REASONS]
        if missing:
            typer.echo(f"sovscan: collection incomplete ({len(missing)} gap(s), see coverage.warnings); "
                       "--strict", err=True)
            raise typer.Exit(3)
    if fail_on is not None:
        from scanner.scoring.findings import SEVERITY_ORDER

        threshold = SEVERITY_ORDER[fail_on.value]
        if any(SEVERITY_ORDER[f.severity] >= threshold for f in result.findings):
            raise typer.Exit(1)


def _write(result, fmt: Format, output: str, lang: str = "en") -> None:  # type: ignore[no-untyped-def]
    if fmt is Format.json:
        from scanner.report.json_out import write_json

        if output == "-":
            buffer = sys.stdout.buffer
            write_json(result, buffer)
            buffer.flush()
        else:
            with open(output, "wb") as fh:
                write_json(result, fh)
        return
    if fmt is Format.table:
        if output == "-":
            from scanner.report.terminal import render_terminal

            render_terminal(result, Console())
        else:
            from scanner.report.terminal import render_terminal

            with open(output, "w", encoding="utf-8") as fh:
                render_terminal(result, Console(file=fh, width=120, force_terminal=False))
        return
    text_io = io.StringIO()
    if fmt is Format.html:
        from scanner.report.html import render_html

        text_io.write(render_html(result, lang))
    elif fmt is Format.csv:
        from scanner.report.csv_out import write_csv

        write_csv(result, text_io)
    else:
        from scanner.report.markdown import render_markdown

        text_io.write(render_markdown(result))
    if output == "-":
        sys.stdout.write(text_io.getvalue())
    else:
        with open(output, "w", encoding="utf-8", newline="") as fh:
            fh.write(text_io.getvalue())


@app.command()
def explain(
    resource_id: Annotated[str, typer.Argument(help="Resource id (ARN, Azure id, GCP full name) or name.")],
    inventory: InventoryOpt,
    config: ConfigOpt = None,
) -> None:
    """Print the paths from one resource to each law that reaches it, in words."""
    from scanner.explain import explain_lines

    result = _scan(inventory, config, None, None)
    found = result.by_id(resource_id)
    if found is None:
        matches = [a for a in result.assessed if a.res.name == resource_id]
        if len(matches) > 1:
            _fail(f"{resource_id}: {len(matches)} resources have this name; give the full id")
        found = matches[0] if matches else None
    if found is None:
        _fail(f"{resource_id}: no such resource in the inventory (ids are listed by 'sovscan run --format csv')")
    typer.echo("\n".join(explain_lines(result, found)))


@kb_app.command("validate")
def kb_validate(config: ConfigOpt = None) -> None:
    """Validate every knowledge-base table and the references between them."""
    from scanner.config import ConfigError, load_config
    from scanner.kb.loader import KnowledgeBaseError

    try:
        kb = load_config(config).knowledge_base()
    except (ConfigError, KnowledgeBaseError) as exc:
        _fail(str(exc))
    problems = kb.validate()
    counts = ", ".join(f"{n} {name}" for name, n in kb.counts().items())
    if problems:
        for p in problems:
            typer.echo(f"invalid: {p}", err=True)
        _fail(f"knowledge base has {len(problems)} problem(s)")
    typer.echo(f"knowledge base {kb.version} is valid: {counts}")


@kb_app.command("show")
def kb_show(
    what: Annotated[str, typer.Argument(
        help="laws | providers | regions | services | alternatives | countries | entities")] = "laws",
    config: ConfigOpt = None,
) -> None:
    """List knowledge-base records with their source and date."""
    from scanner.config import ConfigError, load_config
    from scanner.kb.loader import KnowledgeBaseError

    try:
        kb = load_config(config).knowledge_base()
    except (ConfigError, KnowledgeBaseError) as exc:
        _fail(str(exc))
    tables = {"laws": kb.laws, "providers": kb.providers, "regions": kb.regions, "services": kb.services,
              "alternatives": kb.alternatives, "countries": kb.countries, "entities": kb.entities}
    if what not in tables:
        _fail(f"kb show {what!r}: choose one of {', '.join(tables)}")
    for key, rec in tables[what].items():  # type: ignore[attr-defined]
        label = "/".join(key) if isinstance(key, tuple) else key
        typer.echo(f"{label}\t{getattr(rec, 'name', '')}\t{rec.source}\t{rec.as_of}")


from scanner.commands.plan import plan as _plan_command  # noqa: E402 - registered here, defined apart

app.command(name="plan")(_plan_command)


from scanner.commands import history_app, report  # noqa: E402 - commands of the quarterly report

app.command("report")(report)
app.add_typer(history_app, name="history")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sovscan {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Show the version.")] = False,
) -> None:
    """sovscan: whose laws can reach your cloud data, and how hard would it be to leave?"""


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
