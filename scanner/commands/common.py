"""What every command shares: options, the scan helper, output writing, messages on standard error.

Commands import from here, never from :mod:`scanner.cli` (which only assembles them and maps
errors to exit codes). Nothing here imports an SDK or the pipeline at import time, so
``sovscan --help`` stays fast.

Outputs are written atomically (a temporary file in the target's folder, renamed over it once
complete: a full disk or an interruption leaves the previous file, never a truncated one) and never
over an input of the same command (``-i state.tfstate -o state.tfstate``). Messages on standard
error have their control characters made visible (:mod:`scanner.report.escape`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer
from typer._click.globals import get_current_context  # typer's own click: per-invocation storage

from scanner.errors import EmptyInventoryError, InputError, OutputError, UsageError
from scanner.report.escape import one_line

if TYPE_CHECKING:
    from providers.live import LiveOptions
    from scanner.billing import Billing
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
BaselineOpt = Annotated[str | None, typer.Option(
    "--baseline", help="A previous '--format json' result, or snapshot:ID of the history: report (SARIF, OCSF) and "
                       "gate (--fail-on) only on findings that are not in it.")]
BillingOpt = Annotated[Path | None, typer.Option(
    "--billing", help="A FOCUS 1.x cost and usage export (CSV, CSV.gz or Parquet): spend per provider, real data "
                      "volumes and transfer where it names resource ids.")]


def warn(message: str) -> None:
    typer.echo(f"sovscan: warning: {one_line(message)}", err=True)


def note(message: str) -> None:
    typer.echo(f"sovscan: {one_line(message)}", err=True)


def parse_date(value: str | None, option: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` option value, or a usage error naming the option."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} {value!r}: expected a date as YYYY-MM-DD") from None


def load_settings(config: Path | None) -> Config:
    """The configuration (``--config`` or ``./sovscan.toml``); which file was loaded is said once per command."""
    from scanner.config import load_config

    ctx = get_current_context(silent=True)
    meta = ctx.find_root().meta if ctx is not None else {}
    told: set[str] = meta.setdefault("sovscan.config-noted", set())

    def once(message: str) -> None:
        if message not in told:
            told.add(message)
            note(message)

    return load_config(config, once)


def load_baseline(value: str, db: Path | None) -> frozenset[str]:
    """The finding ids of ``--baseline`` (a JSON result file or ``snapshot:ID``)."""
    from scanner.report.baseline import load_baseline as load

    return load(value, db)


def load_billing(path: Path | None) -> Billing | None:
    """The FOCUS export of ``--billing``, read and summarised, or None."""
    if path is None:
        return None
    from scanner.billing import read_focus

    return read_focus(path)


def scan_inputs(inventory: list[Path], config: Path | None, as_of: str | None, org: str | None,
                live: LiveOptions | None = None, export_path: Path | None = None,
                allow_empty: bool = False, billing: Path | None = None) -> ScanResult:
    """Read the inputs (files, folders and/or a live collection) and assess them."""
    from scanner.pipeline import scan

    parse_date(as_of, "--as-of")
    settings = load_settings(config)
    costs = load_billing(billing)
    try:
        result = scan(inventory, settings, as_of=as_of, organization=org, warn=warn, live=live,
                      export_path=export_path, billing=costs)
    except OSError as exc:
        raise InputError(f"{exc.filename or 'input'}: {exc.strerror}") from None
    if not result.assessed and not allow_empty:
        raise_empty(result)
    return result


def raise_empty(result: ScanResult) -> None:
    """Nothing was read: say which inputs were refused or not recognised, and why."""
    inv = result.inventory
    live = [s for s in inv.sources if s.format.startswith("live-")]
    if live and not [s for s in inv.sources if s.resources]:
        from providers.live import incomplete_summary

        why = incomplete_summary(inv.gaps) or "no resource in the scope the credentials can see"
        raise EmptyInventoryError(f"the live collection from {live[0].provider} read no resource ({why}); check "
                                  "the permissions (docs/permissions/) and the scope options, or --allow-empty to "
                                  "accept an empty result")
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


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


#: Options whose values a command reads (besides its own ``inputs``): an output must not replace them.
_INPUT_OPTIONS = ("inventory", "config", "db", "plan")


def command_inputs() -> list[Path]:
    """The files and folders the running command reads, from its options (and their defaults).

    ``--inventory``, ``--config`` (or ``./sovscan.toml``), ``--db`` (or the default history
    database) and ``--plan``, for the command being run; nothing outside a command.
    """
    ctx = get_current_context(silent=True)
    if ctx is None:
        return []
    found: list[Path] = []
    for name in _INPUT_OPTIONS:
        if name not in ctx.params:
            continue
        value = ctx.params[name]
        if value is None and name == "config":
            value = Path("sovscan.toml")
        elif value is None and name == "db":
            from scanner.history import default_db

            value = default_db()
        values = value if isinstance(value, list | tuple) else [value]
        found.extend(Path(v) for v in values if isinstance(v, str | Path))
    return found


def _refuse_inputs(output: str, inputs: Iterable[Path]) -> None:
    """Refuse an output that is one of the inputs, or an existing file inside an input folder."""
    target = _identity(Path(output))
    if target is None:
        return
    real = os.path.realpath(output)
    for given in [*inputs, *command_inputs()]:
        if _identity(given) == target:
            raise OutputError(f"{output}: this is an input of the command (--inventory, --config, --db, --plan); "
                              "give another --output")
        if given.is_dir() and real.startswith(os.path.realpath(given) + os.sep):
            raise OutputError(f"{output}: this file is inside the input folder {given}; give another --output")


@contextmanager
def open_output(output: str, inputs: Iterable[Path] = ()) -> Iterator[IO[bytes]]:
    """A binary stream to the file ``output`` (written atomically), or to standard output when it is ``-``.

    ``inputs`` are input files and folders besides those of the running command's options
    (:func:`command_inputs`): an output that is one of them, or an existing file inside one of
    the folders, is refused before anything is written. The data goes
    to a temporary file beside the target, which replaces the target only once the caller is done
    (``os.replace``); on any error the temporary file is removed and the target is untouched. A
    target that is not a regular file (``/dev/null``, a FIFO) is written directly.
    """
    if output == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    _refuse_inputs(output, inputs)
    target = os.path.realpath(output)  # write through a symbolic link, as open() would
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise OutputError(f"{output}: cannot write ({exc.strerror})") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise OutputError(f"{output}: is a folder; give a file name")
    if mode is not None and not stat.S_ISREG(mode):
        with _direct(output) as fh:
            yield fh
        return
    folder = os.path.dirname(target) or "."
    try:
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{output}: cannot write ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates the file 0600; give it the mode open() would have: the target's, or the
        # default for new files under the umask.
        os.chmod(temporary, stat.S_IMODE(mode) if mode is not None else 0o666 & ~_umask())
        os.replace(temporary, target)
    except OSError as exc:
        _remove(temporary)
        raise OutputError(f"{output}: cannot write ({exc.strerror}); the previous content, if any, is "
                          "unchanged") from None
    except BaseException:
        _remove(temporary)
        raise


@contextmanager
def _direct(output: str) -> Iterator[IO[bytes]]:
    try:
        fh = open(output, "wb")  # noqa: SIM115 - closed below, after the caller wrote
    except OSError as exc:
        raise OutputError(f"{output}: cannot write ({exc.strerror})") from None
    try:
        with fh:
            yield fh
    except OSError as exc:
        raise OutputError(f"{output}: cannot write ({exc.strerror})") from None


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):  # already gone: nothing else to clean
        os.unlink(path)


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def write_output(output: str, data: str | bytes, inputs: Iterable[Path] = ()) -> None:
    """Write ``data`` (text is UTF-8 encoded) to the file ``output``, or to standard output for ``-``.

    See :func:`open_output` for ``inputs``, atomicity and modes.
    """
    with open_output(output, inputs) as out:
        # backslashreplace: a lone surrogate that escaped every filter is shown, not a crash
        out.write(data.encode("utf-8", "backslashreplace") if isinstance(data, str) else data)


def to_terminal(output: str) -> bool:
    """Whether the output goes to an interactive terminal (the table is then the default format)."""
    return output == "-" and sys.stdout.isatty()
