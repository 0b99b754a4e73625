"""``sovscan run``: scan exported inventories (offline) or collect live, read-only, and write the result."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from providers.live import LiveOptions
from scanner.commands.common import (
    AllowEmptyOpt,
    AsOfOpt,
    BaselineOpt,
    BillingOpt,
    ConfigOpt,
    DbOpt,
    InventoryOpt,
    Lang,
    Level,
    OrgOpt,
    OutputOpt,
    load_baseline,
    note,
    open_output,
    scan_inputs,
    to_terminal,
)
from scanner.commands.live_options import LIVE, live_command
from scanner.errors import EXIT_FAIL_ON, IncompleteCollectionError, UsageError
from scanner.report.outputs import Format

if TYPE_CHECKING:
    from scanner.result import ScanResult


def _run(
    inventory: InventoryOpt = [],  # noqa: B006 - typer reads the default, never mutates it
    fmt: Annotated[Format | None, typer.Option(
        "--format", "-f", help="Output format (default: table on a terminal, json otherwise).")] = None,
    output: OutputOpt = "-",
    config: ConfigOpt = None,
    as_of: AsOfOpt = None,
    org: OrgOpt = None,
    fail_on: Annotated[Level | None, typer.Option(
        "--fail-on", help="Exit 1 when a finding of this severity or worse exists (with --baseline: a new one).")
    ] = None,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the HTML output.")] = Lang.en,
    save: Annotated[bool, typer.Option(
        "--save", help="Store this scan as a snapshot in the history database (for quarterly reports).")] = False,
    db: DbOpt = None,
    allow_empty: AllowEmptyOpt = False,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit 3 when the collection was incomplete (access denied, API disabled, interrupted…), "
                         "live or read from a saved inventory.",
        rich_help_panel=LIVE)] = False,
    export_inventory: Annotated[Path | None, typer.Option(
        "--export-inventory", help="Also save the collected raw inventory (gzip NDJSON) for offline use.",
        rich_help_panel=LIVE)] = None,
    baseline: BaselineOpt = None,
    billing: BillingOpt = None,
    live: LiveOptions | None = None,
) -> None:
    """Scan exported inventories (offline) or collect live, read-only; report exposure, lock-in and migration."""
    if not inventory and live is None:
        raise UsageError("give at least one --inventory PATH, or --provider aws|azure|gcp")
    if export_inventory is not None and live is None:
        raise UsageError("--export-inventory saves a live collection: give --provider too")
    from scanner.gc_pause import gc_paused

    chosen = fmt or (Format.table if to_terminal(output) else Format.json)
    known = load_baseline(baseline, db) if baseline is not None else None
    with gc_paused():
        result = scan_inputs(inventory, config, as_of, org, live, export_inventory, allow_empty, billing)
        result.baseline = known
        _write(result, chosen, output, lang.value)
    if save:
        _save(result, db)
    if strict:
        _check_complete(result)
    if fail_on is not None and _reaches(result, fail_on):
        raise typer.Exit(EXIT_FAIL_ON)


#: The command: ``_run`` with every provider's live options (``live`` is built from them).
run = live_command(_run)


def _write(result: ScanResult, fmt: Format, output: str, lang: str) -> None:
    if fmt is Format.table and output == "-":
        from rich.console import Console

        from scanner.report.terminal import render_terminal

        render_terminal(result, Console())
        return
    from scanner.report.outputs import render

    with open_output(output) as out:
        render(result, fmt, out, lang)


def _save(result: ScanResult, db: Path | None) -> None:
    from scanner.history import save

    info = save(result, db)
    note(f"saved snapshot {info.id} of {info.organization or 'the organisation'} as of {info.as_of}")


def _check_complete(result: ScanResult) -> None:
    from providers.live import incomplete_gaps

    missing = incomplete_gaps(result.inventory.gaps)
    if missing:
        raise IncompleteCollectionError(
            f"collection incomplete ({len(missing)} gap(s), see coverage.warnings); --strict")


def _reaches(result: ScanResult, level: Level) -> bool:
    from scanner.scoring.findings import SEVERITY_ORDER

    threshold = SEVERITY_ORDER[level.value]
    return any(SEVERITY_ORDER[f.severity] >= threshold for f in result.new_findings())
