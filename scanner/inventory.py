"""Read inputs into one provider-neutral inventory: walk folders, sniff formats, merge records.

A file named on the command line must be readable: if it is not, the error propagates (the CLI
prints one line and exits 2). Inside a folder, a bad file is reported as a coverage warning and on
stderr, and the good files beside it are still read. Records describing the same resource in
several exports (a Config snapshot and a tagging export, say) are merged by id.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from providers.base import InputFile, InventoryFormatError
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


def expand_inputs(paths: Iterable[Path], ignored: list[str]) -> Iterator[tuple[InputFile, bool]]:
    """Yield ``(file, explicit)``: files as given, and inventory files found below folders."""
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                rel = child.relative_to(path)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                if child.name.lower().endswith(INVENTORY_SUFFIXES):
                    yield InputFile(child, str(child)), False
                else:
                    ignored.append(str(child))
        elif path.is_file():
            yield InputFile(path, str(path)), True
        else:
            raise InventoryFormatError(str(path), "no such file or folder", hint="check the --inventory path")


def load_inventory(paths: Iterable[Path], warn: Callable[[str], None] | None = None) -> Inventory:
    """Read every input into one :class:`Inventory`."""
    warn = warn or (lambda msg: print(f"warning: {msg}", file=sys.stderr))
    inv = Inventory()
    for inp, explicit in expand_inputs(paths, inv.ignored_files):
        try:
            _read_file(inv, inp)
        except InventoryFormatError as exc:
            if explicit:
                raise
            inv.gaps.append(Gap(inp.display, f"file not read: {exc}", "bad-file"))
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
    counts = {"records": 0, "resources": 0}

    def teed() -> Iterator[Any]:
        for item in minimize(raw):
            if writer is not None:
                writer.write(item)
            yield item

    try:
        for item in transform_stream(teed(), source):
            counts["records"] += 1
            if isinstance(item, Resource):
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


def _read_file(inv: Inventory, inp: InputFile) -> None:
    fmt, _shape = sniff(inp)
    records = resources = 0
    # Items go straight into the inventory: a bad record late in a file raises after earlier
    # items were added, so stage them per file and commit only when the whole file was read.
    staged_res: list[Resource] = []
    staged_other: list[Flow | Account | Gap] = []
    for item in fmt.read(inp):
        records += 1
        if isinstance(item, Resource):
            staged_res.append(item)
        else:
            staged_other.append(item)
    for res in staged_res:
        if inv.add_resource(res):
            resources += 1
    for other in staged_other:
        _add_other(inv, other)
    inv.sources.append(SourceInfo(inp.display, fmt.name, fmt.provider, records, resources))
