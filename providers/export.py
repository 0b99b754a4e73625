"""The saved-inventory format: what a live collection gathered, for people who have no credentials.

``sovscan run --provider … --export-inventory FILE`` writes gzip-compressed NDJSON, version 1:

- line 1, the header: ``{"sovscan_inventory": 1, "provider": "aws", "collected_at": ISO-8601,
  "tool_version": …, "source": "live:aws:<collected_at>", "scope": {…non-secret options…}}``;
- then one line per item, in collection order: ``{"kind": KIND, "record": {…}}`` for a raw record
  (the cloud's own shape: an AWS Config configuration item, an Azure Resource Graph row, a Cloud
  Asset…), ``{"account": {"id", "provider", "name", "parent"}}``, or ``{"gap": {"source",
  "message", "reason"}}``;
- last line, the trailer: ``{"end": {"records": N, "accounts": N, "gaps": N}}``. A file without it
  was cut short and is refused.

``sovscan run --inventory FILE`` reads it back through the very transforms the live run used, in
the same order, so the resources, flows and coverage are the same as those of the live run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson

from providers.base import FileFormat, InputFile, InventoryFormatError, Shape, iter_ndjson
from providers.live import RawRecord, raw_transforms
from scanner import __version__
from scanner.model import Account, Gap, Item

FORMAT_VERSION = 1
FORMAT_NAME = "sovscan-inventory"


class InventoryWriter:
    """Streams a collection into a saved-inventory file."""

    def __init__(self, path: Path, provider: str, scope: Mapping[str, Any]):
        self.collected_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        self.source = f"live:{provider}:{self.collected_at}"
        self._fh: gzip.GzipFile = gzip.GzipFile(path, "wb")  # closed in close()
        self.counts = {"records": 0, "accounts": 0, "gaps": 0}
        self._line({"sovscan_inventory": FORMAT_VERSION, "provider": provider, "collected_at": self.collected_at,
                    "tool_version": __version__, "source": self.source, "scope": dict(scope)})

    def _line(self, obj: Mapping[str, Any]) -> None:
        self._fh.write(orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS) + b"\n")

    def write(self, item: RawRecord | Account | Gap) -> None:
        if isinstance(item, RawRecord):
            self._line({"kind": item.kind, "record": item.record})
            self.counts["records"] += 1
        elif isinstance(item, Account):
            self._line({"account": {"id": item.id, "provider": item.provider, "name": item.name,
                                    "parent": item.parent}})
            self.counts["accounts"] += 1
        else:
            self._line({"gap": {"source": item.source, "message": item.message, "reason": item.reason}})
            self.counts["gaps"] += 1

    def close(self) -> None:
        self._line({"end": self.counts})
        self._fh.close()


def transform_stream(stream: Iterable[RawRecord | Account | Gap], source: str) -> Iterator[Item]:
    """Turn collected items into provider-neutral items: runs of raw records of one kind go, in order,
    through that kind's transform; accounts and gaps pass through."""
    transforms = raw_transforms()

    def key(item: RawRecord | Account | Gap) -> str:
        return item.kind if isinstance(item, RawRecord) else ""

    for kind, group in itertools.groupby(stream, key=key):
        if not kind:
            # Accounts are attributed to the collection as a whole, live or re-read.
            yield from (dataclasses.replace(item, source=source) if isinstance(item, Account) else item
                        for item in group if not isinstance(item, RawRecord))
            continue
        transform = transforms.get(kind)
        if transform is None:
            raise InventoryFormatError(source, f"unknown raw record kind {kind!r}",
                                       hint="the file was written by a newer sovscan; upgrade to read it")
        yield from transform((rec.record for rec in group if isinstance(rec, RawRecord)), source)


def _sniff(shape: Shape) -> bool:
    return shape.container in ("ndjson", "object") and "sovscan_inventory" in shape.keys


def _read(inp: InputFile) -> Iterator[Item]:
    lines = iter_ndjson(inp)
    first = next(lines, None)
    if first is None:
        raise InventoryFormatError(inp.display, "file is empty", hint="export the inventory again")
    _, header = first
    version = header.get("sovscan_inventory") if isinstance(header, dict) else None
    if version != FORMAT_VERSION:
        raise InventoryFormatError(inp.display, f"saved-inventory version {version!r} is not supported", "1:1",
                                   f"this sovscan reads version {FORMAT_VERSION}")
    source = str(header.get("source") or inp.display)
    trailer: dict[str, Any] = {}
    last_line = 1

    def items() -> Iterator[RawRecord | Account | Gap]:
        nonlocal last_line
        for lineno, obj in lines:
            last_line = lineno
            if not isinstance(obj, dict):
                raise InventoryFormatError(inp.display, "expected one JSON object per line", f"{lineno}:1")
            if "kind" in obj:
                yield RawRecord(str(obj["kind"]), obj.get("record") or {})
            elif "account" in obj:
                yield Account(source=source, **obj["account"])
            elif "gap" in obj:
                yield Gap(**obj["gap"])
            elif "end" in obj:
                trailer.update(obj["end"])
            else:
                raise InventoryFormatError(inp.display, f"unknown line with keys {sorted(obj)[:5]}", f"{lineno}:1")

    yield from transform_stream(items(), source)
    if not trailer:
        raise InventoryFormatError(inp.display, "saved inventory is incomplete (no end line)",
                                   f"after line {last_line}", "the collection was interrupted; collect again")


FORMATS = (FileFormat(FORMAT_NAME, "multi", "inventory saved by sovscan run --export-inventory (gzip NDJSON)",
                      _sniff, _read),)


def scope_of(options: Any) -> dict[str, Any]:
    """The non-secret parts of live options, recorded in the header for the reader's information."""
    data = asdict(options)
    data.pop("endpoints", None)
    data.pop("show_progress", None)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}
