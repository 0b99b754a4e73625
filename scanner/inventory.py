"""Read inputs into one provider-neutral inventory: walk folders, sniff formats, merge records.

This is the per-file border of the importers. A file named on the command line must be readable:
if it is not, one :class:`InventoryFormatError` propagates (the CLI prints one line and exits 2).
Inside a folder, a bad file is reported as a coverage warning and on stderr, and the good files
beside it are still read; so are entries that are not files to read (FIFOs, devices, sockets,
dangling links, links to folders, folders that cannot be listed), reported as skipped and never
opened in a way that could block. Whatever goes wrong while one file is read (a parser error, a
value of the wrong JSON type deep in an importer, invalid UTF-8, a limit of
:class:`providers.base.ReadLimits`) becomes one line naming the file, never quoting its content.
Records describing the same resource in several exports (a Config snapshot and a tagging export,
say) are merged by id.
"""

from __future__ import annotations

import dataclasses
import math
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import ijson

from providers.base import (
    DEFAULT_LIMITS,
    FileFormat,
    InputFile,
    InventoryFormatError,
    ReadLimits,
    file_kind,
    json_error_reason,
)
from providers.live import LiveOptions
from providers.registry import sniff
from scanner.model import Account, Flow, Gap, Resource, SourceInfo

#: File name endings read when walking a folder (a file given explicitly is always read).
INVENTORY_SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".tfstate",
                      ".tfstate.gz", ".gz")


@dataclass
class Inventory:
    """Everything the sources said, merged."""

    resources: dict[str, Resource] = field(default_factory=dict)
    flows: list[Flow] = field(default_factory=list)
    accounts: dict[str, Account] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)
    sources: list[SourceInfo] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)

    def add_resource(self, res: Resource) -> bool:
        """Add or merge; returns True when the resource is new."""
        old = self.resources.get(res.id)
        if old is None:
            self.resources[res.id] = res
            return True
        self.resources[res.id] = merge_resources(old, res)
        return False


def merge_resources(old: Resource, new: Resource) -> Resource:
    """Combine two records of one resource: known facts win over unknown, tags are united."""
    changes: dict[str, Any] = {}
    for name in ("account", "region", "raw_region", "key", "size_gb", "tf_address"):
        if getattr(old, name) is None and getattr(new, name) is not None:
            changes[name] = getattr(new, name)
    if new.tags:
        changes["tags"] = {**old.tags, **new.tags}
    if new.attributes:
        changes["attributes"] = {**new.attributes, **old.attributes}
    if old.name in ("", old.id) and new.name:
        changes["name"] = new.name
    # a typed record (Config, ARM) is richer than an overlay's "service:type" form
    if ":" in old.native_type and "::" not in old.native_type and "::" in new.native_type:
        changes["native_type"] = new.native_type
    if new.source and new.source not in old.source.split(";"):
        changes["source"] = f"{old.source};{new.source}"
    return dataclasses.replace(old, **changes) if changes else old


@dataclass(frozen=True)
class SkippedEntry:
    """An entry of an input folder that is not read, and why (a FIFO, a dangling link…)."""

    display: str
    why: str


def expand_inputs(paths: Iterable[Path], ignored: list[str],
                  limits: ReadLimits = DEFAULT_LIMITS) -> Iterator[tuple[InputFile | SkippedEntry, bool]]:
    """Yield ``(file, explicit)``: files as given, and inventory files found below folders.

    Below folders, entries that cannot or should not be read come as :class:`SkippedEntry`;
    files whose names are not those of exports go to ``ignored``. A path given explicitly that
    cannot be read raises :class:`InventoryFormatError`.
    """
    for path in paths:
        display = str(path)
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            why = "dangling symbolic link" if os.path.islink(path) else "no such file or folder"
            raise InventoryFormatError(display, why, hint="check the --inventory path") from None
        except OSError as exc:
            raise InventoryFormatError(display, f"cannot be read ({exc.strerror})",
                                       hint="check the --inventory path and its permissions") from None
        if stat.S_ISDIR(mode):
            yield from ((entry, False) for entry in _walk(path, ignored, limits))
        elif stat.S_ISREG(mode):
            yield InputFile(path, display, limits), True
        else:
            raise InventoryFormatError(display, f"not a regular file ({file_kind(mode)})",
                                       hint="give an exported file or a folder of them")


def _walk(root: Path, ignored: list[str], limits: ReadLimits) -> Iterator[InputFile | SkippedEntry]:
    """The entries below ``root`` in path order, hidden ones left out, symbolic links to folders not followed."""
    found: list[tuple[str, InputFile | SkippedEntry | None]] = []

    def unreadable(exc: OSError) -> None:
        where = exc.filename or str(root)
        found.append((str(where), SkippedEntry(str(where), f"folder cannot be read ({exc.strerror})")))

    for folder, dirs, files in os.walk(root, onerror=unreadable):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.startswith("."):
                continue
            child = Path(folder) / name
            found.append((str(child), _entry(child, limits)))
        # os.walk lists symbolic links to folders among the folders and does not follow them
        for name in dirs:
            child = Path(folder) / name
            if child.is_symlink():
                found.append((str(child), SkippedEntry(str(child), "symbolic link to a folder, not followed")))
    for display, entry in sorted(found, key=lambda e: e[0]):
        if entry is None:
            ignored.append(display)
        else:
            yield entry


def _entry(child: Path, limits: ReadLimits) -> InputFile | SkippedEntry | None:
    """What to do with a file found in a folder: read it, skip it (and say why), or ignore it (None)."""
    display = str(child)
    try:
        mode = os.stat(child).st_mode
    except FileNotFoundError:
        return SkippedEntry(display, "dangling symbolic link")
    except OSError as exc:
        return SkippedEntry(display, f"cannot be read ({exc.strerror})")
    if not stat.S_ISREG(mode):
        return SkippedEntry(display, f"not a regular file ({file_kind(mode)})")
    if child.name.lower().endswith(INVENTORY_SUFFIXES):
        return InputFile(child, display, limits)
    return None


def load_inventory(paths: Iterable[Path], warn: Callable[[str], None] | None = None,
                   limits: ReadLimits = DEFAULT_LIMITS) -> Inventory:
    """Read every input into one :class:`Inventory`, each file within ``limits``."""
    from scanner.report.escape import one_line

    warn = warn or (lambda msg: print(f"warning: {one_line(msg)}", file=sys.stderr))
    inv = Inventory()
    for entry, explicit in expand_inputs(paths, inv.ignored_files, limits):
        if isinstance(entry, SkippedEntry):
            inv.gaps.append(Gap(entry.display, f"skipped: {entry.why}", "bad-file"))
            warn(f"skipped {entry.display}: {entry.why}")
            continue
        try:
            _read_file(inv, entry)
        except InventoryFormatError as exc:
            if explicit:
                raise
            inv.gaps.append(Gap(entry.display, f"file not read: {exc}", "bad-file"))
            warn(f"skipped {exc}")
    return inv


def load_live(options: LiveOptions, export_path: Path | None = None) -> Inventory:
    """Collect live (read-only) and transform exactly as a saved inventory would be re-read.

    Raw records are reduced to the fields the analysis reads (secret-looking tag values redacted)
    before they are transformed or saved. The saved inventory is marked complete only when the
    collection ran to its end; after Ctrl-C or an error it is marked ``complete: false`` with the
    reason, and Ctrl-C becomes :class:`CollectionInterrupted` (exit 130, one line).
    """
    from providers.export import InventoryWriter, minimize, transform_stream
    from providers.live import CollectionInterrupted, short_message
    from providers.registry import collector, missing_dependency, provider

    collect = collector(options.provider)  # a missing SDK extra is reported before any file is created
    inv = Inventory()
    writer = InventoryWriter(export_path, options.provider, options.scope) if export_path else None
    source = writer.source if writer else f"live:{options.provider}"
    raw = collect(options)
    counts = {"records": 0, "resources": 0, "bad_sizes": 0}

    def teed() -> Iterator[Any]:
        for item in minimize(raw):
            if writer is not None:
                writer.write(item)
            yield item

    try:
        for item in transform_stream(teed(), source):
            counts["records"] += 1
            if isinstance(item, Resource):
                item, bad = _checked_size(item)
                counts["bad_sizes"] += bad
                counts["resources"] += 1 if inv.add_resource(item) else 0
            else:
                _add_other(inv, item)
    except KeyboardInterrupt:
        kept = f"{counts['resources']} resource(s) read"
        if writer is not None:
            writer.abort(f"interrupted (Ctrl-C) after {writer.counts['records']} record(s)")
            kept += f"; {export_path} is saved marked incomplete (complete: false)"
        raise CollectionInterrupted(f"interrupted: the live collection stopped ({kept})") from None
    except BaseException as exc:
        if writer is not None:
            writer.abort(f"failed: {short_message(exc)}")
        missing = missing_dependency(provider(options.provider), exc) if isinstance(exc, ModuleNotFoundError) else None
        if missing is not None:
            raise missing from None  # an SDK module imported while collecting
        raise
    finally:
        close = getattr(raw, "close", None)
        if callable(close):
            close()  # the collector's own clean-up (worker threads and processes) runs now
    if writer is not None:
        writer.finish()
    if counts["bad_sizes"]:
        inv.gaps.append(_bad_size_gap(source, counts["bad_sizes"]))
    inv.sources.append(SourceInfo(source, f"live-{options.provider}", options.provider, counts["records"],
                                  counts["resources"]))
    return inv


def _add_other(inv: Inventory, item: Flow | Account | Gap) -> None:
    if isinstance(item, Flow):
        inv.flows.append(item)
    elif isinstance(item, Account):
        inv.accounts.setdefault(f"{item.provider}:{item.id}", item)
    else:
        inv.gaps.append(item)


#: Errors that a file's content can cause inside an importer (a value of another JSON type than the
#: format has, a missing key, a number out of range, invalid text, a structure nested too deep): at
#: the per-file border they become one line naming the file, like any other unreadable input.
_DATA_ERRORS = (TypeError, ValueError, AttributeError, LookupError, ArithmeticError, RecursionError, ijson.JSONError)


def _read_file(inv: Inventory, inp: InputFile) -> None:
    """Read one file into the inventory, all of it or nothing; every failure an :class:`InventoryFormatError`."""
    fmt_name = "the format it was recognised as"
    try:
        fmt, _shape = sniff(inp)
        fmt_name = fmt.name
        _stage_file(inv, inp, fmt)
    except InventoryFormatError:
        raise
    except OSError as exc:
        raise InventoryFormatError(inp.display, f"cannot be read ({exc.strerror or type(exc).__name__})",
                                   hint="check the file is readable and complete") from None
    except _DATA_ERRORS as exc:
        raise _content_error(inp, exc, fmt_name) from None


def _content_error(inp: InputFile, exc: BaseException, fmt_name: str) -> InventoryFormatError:
    """One line for an error the file's content caused, saying where in sovscan but never quoting the file."""
    if isinstance(exc, UnicodeError):
        return InventoryFormatError(inp.display, "invalid UTF-8 text", hint="exports are UTF-8 JSON; export again")
    if isinstance(exc, ijson.JSONError):
        return InventoryFormatError(inp.display, f"invalid JSON: {json_error_reason(exc)}",
                                    hint="check the file was not edited or mixed with other output")
    if isinstance(exc, RecursionError):
        return InventoryFormatError(inp.display, "structures nested too deeply to read",
                                    hint="check the file is an unmodified export")
    return InventoryFormatError(
        inp.display, f"unexpected content for {fmt_name}: a value of another type or shape than that format has "
                     f"({type(exc).__name__} in {_where(exc.__traceback__)})",
        hint="check the file is the unmodified output of the export command")


def _where(tb: TracebackType | None) -> str:
    """The innermost function of sovscan's own code in a traceback, as ``module:function``."""
    where = "the reader"
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        if module.split(".", 1)[0] in ("providers", "scanner", "graphs"):
            where = f"{module}:{tb.tb_frame.f_code.co_name}"
        tb = tb.tb_next
    return where


def _stage_file(inv: Inventory, inp: InputFile, fmt: FileFormat) -> None:
    records = resources = 0
    # Items go straight into the inventory: a bad record late in a file raises after earlier
    # items were added, so stage them per file and commit only when the whole file was read.
    staged_res: list[Resource] = []
    staged_other: list[Flow | Account | Gap] = []
    bad_sizes = 0
    for item in fmt.read(inp):
        records += 1
        if isinstance(item, Resource):
            item, bad = _checked_size(item)
            bad_sizes += bad
            staged_res.append(item)
        else:
            staged_other.append(item)
    if bad_sizes:
        staged_other.append(_bad_size_gap(inp.display, bad_sizes))
    for res in staged_res:
        if inv.add_resource(res):
            resources += 1
    for other in staged_other:
        _add_other(inv, other)
    inv.sources.append(SourceInfo(inp.display, fmt.name, fmt.provider, records, resources))


def _checked_size(res: Resource) -> tuple[Resource, int]:
    """A resource whose size is negative, not finite or not a number gets an unknown size (and counts 1)."""
    size = res.size_gb
    if size is None:
        return res, 0
    try:
        usable = isinstance(size, int | float) and not isinstance(size, bool) and math.isfinite(size) and size >= 0
    except OverflowError:  # an integer too large for a float
        usable = False
    return (res, 0) if usable else (dataclasses.replace(res, size_gb=None), 1)


def _bad_size_gap(source: str, count: int) -> Gap:
    return Gap(source, f"{count} resource(s) with a negative or unusable size: their size is treated as unknown",
               "bad-value")
