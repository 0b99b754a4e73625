"""What every command shares: options, the scan helper, output writing, messages on standard error.

Commands import from here, never from :mod:`scanner.cli` (which only assembles them and maps
errors to exit codes). Nothing here imports an SDK or the pipeline at import time, so
``sovscan --help`` stays fast.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

from scanner.errors import EmptyInventoryError, InputError, OutputError, UsageError

if TYPE_CHECKING:
    from providers.live import LiveOptions
    from scanner.config import Config
    from scanner.result import ScanResult


class Lang(StrEnum):
    en = "en"
    fr = "fr"
    de = "de"


class Level(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


InventoryOpt = Annotated[list[Path], typer.Option(
    "--inventory", "-i", help="Exported file or folder (repeatable); .gz accepted, format sniffed from content.")]
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", help="sovscan.toml (default: ./sovscan.toml when present).")]
OutputOpt = Annotated[str, typer.Option("--output", "-o", help="Write to this file; '-' = standard output.")]
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", help="Date of the inventory, YYYY-MM-DD (default: today).")]
OrgOpt = Annotated[str | None, typer.Option("--org", help="Organisation name shown in outputs.")]
DbOpt = Annotated[Path | None, typer.Option(
    "--db", help="History database (default: sovscan/history.sqlite3 in the user's data directory).")]
AllowEmptyOpt = Annotated[bool, typer.Option(
    "--allow-empty", help="Accept inputs from which no resource at all was read (default: exit 2).")]


def warn(message: str) -> None:
    typer.echo(f"sovscan: warning: {message}", err=True)


def note(message: str) -> None:
    typer.echo(f"sovscan: {message}", err=True)


def parse_date(value: str | None, option: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` option value, or a usage error naming the option."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} {value!r}: expected a date as YYYY-MM-DD") from None


def load_settings(config: Path | None) -> Config:
    from scanner.config import load_config

    return load_config(config)


def scan_inputs(inventory: list[Path], config: Path | None, as_of: str | None, org: str | None,
                live: LiveOptions | None = None, export_path: Path | None = None,
                allow_empty: bool = False) -> ScanResult:
    """Read the inputs (files, folders and/or a live collection) and assess them."""
    from scanner.pipeline import scan

    parse_date(as_of, "--as-of")
    settings = load_settings(config)
    try:
        result = scan(inventory, settings, as_of=as_of, organization=org, warn=warn, live=live,
                      export_path=export_path)
    except OSError as exc:
        raise InputError(f"{exc.filename or 'input'}: {exc.strerror}") from None
    if not result.assessed and not allow_empty:
        raise_empty(result)
    return result


def raise_empty(result: ScanResult) -> None:
    """Nothing was read: say which inputs were refused or not recognised, and why."""
    inv = result.inventory
    parts: list[str] = []
    refused = [g for g in inv.gaps if g.reason == "bad-file"]
    if refused:
        shown = "; ".join(g.message.removeprefix("file not read: ") for g in refused[:3])
        more = f" and {len(refused) - 3} more" if len(refused) > 3 else ""
        parts.append(f"{len(refused)} file(s) refused ({shown}{more})")
    if inv.ignored_files:
        parts.append(f"{len(inv.ignored_files)} file(s) not inventory exports by their name, e.g. "
                     f"{inv.ignored_files[0]}")
    read = [s.path for s in inv.sources]
    if read:
        parts.append(f"{len(read)} input(s) read but holding no resource ({', '.join(read[:3])})")
    detail = "; ".join(parts) if parts else "no input file found"
    raise EmptyInventoryError(f"no resource was read: {detail}; give exports that list resources "
                              "(docs/formats.md), or --allow-empty to accept an empty result")


@contextmanager
def open_output(output: str) -> Iterator[IO[bytes]]:
    """A binary stream to the file ``output``, or to standard output when it is ``-``."""
    if output == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    try:
        fh = open(output, "wb")  # noqa: SIM115 - closed below, after the caller wrote
    except OSError as exc:
        raise OutputError(f"{output}: cannot write ({exc.strerror})") from None
    try:
        with fh:
            yield fh
    except OSError as exc:
        raise OutputError(f"{output}: cannot write ({exc.strerror})") from None


def write_output(output: str, data: str | bytes) -> None:
    """Write ``data`` (text is UTF-8 encoded) to the file ``output``, or to standard output for ``-``."""
    with open_output(output) as out:
        out.write(data.encode("utf-8") if isinstance(data, str) else data)


def to_terminal(output: str) -> bool:
    """Whether the output goes to an interactive terminal (the table is then the default format)."""
    return output == "-" and sys.stdout.isatty()
