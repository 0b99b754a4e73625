"""Reading helpers shared by the AWS file readers: checked opening, paging facts, and the transform
of configuration items (Config snapshots, dumps, query results, notifications, live collection)."""

from __future__ import annotations

import io
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import ijson
import orjson

from providers.aws.normalize import SKIPPED_STATUSES, RecordError, transform_config_item
from providers.base import HEAD_BYTES, InputFile, InventoryFormatError, Shape, peek_shape
from scanner.model import Gap, Item

#: The fields an advanced query must select for sovscan to identify, place and relate each resource
#: (the query live collection runs with ``--via config``, docs/formats.md).
SELECT_FIELDS = ("accountId, awsRegion, resourceType, resourceId, resourceName, arn, tags, configuration, "
                 "supplementaryConfiguration, configurationItemStatus")


def decompressed_head(inp: InputFile) -> bytes:
    """The decompressed head; for a gzip cut short, as much as decompresses.

    ``InputFile.head`` refuses a truncated gzip without a position; decoding what is there lets
    the streaming read report the byte where the data stops.
    """
    try:
        return inp.head()
    except InventoryFormatError:
        with inp.path.open("rb") as fh:
            raw = fh.read(HEAD_BYTES)
        try:
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, HEAD_BYTES)
        except zlib.error:
            raise InventoryFormatError(inp.display, "corrupt gzip data", "byte 0",
                                       "re-download or re-export the file") from None


def open_checked(inp: InputFile, sniff: Callable[[Shape], bool], what: str) -> tuple[Shape, bytes]:
    """Sniff again before reading, so a wrong or empty file fails with a clear message."""
    head = decompressed_head(inp)
    shape = peek_shape(head)
    if shape.container == "empty":
        raise InventoryFormatError(inp.display, "file is empty", hint="export the inventory again")
    if not sniff(shape):
        raise InventoryFormatError(inp.display, f"not {what}", "1:1",
                                   "check that the file is the unmodified JSON output of that command")
    return shape, head


def head_values(head: bytes, prefix: str) -> list[Any]:
    """Scalar values found at ``prefix`` in the first bytes of a file (page markers, counts)."""
    values: list[Any] = []
    try:
        for path, event, value in ijson.parse(io.BytesIO(head)):
            if path == prefix and event in ("string", "boolean", "number", "null"):
                values.append(value)
    except (ijson.JSONError, ijson.IncompleteJSONError):
        pass  # the head ends mid-document; what was seen is what we can tell
    return values


def bad_record_gaps(inp: InputFile, bad: int, what: str) -> Iterator[Gap]:
    if bad:
        yield Gap(inp.display, f"{bad} {what} of an unknown shape were skipped", "bad-record")


def pages_prefix(shape: Shape, list_key: str) -> str:
    """The ijson prefix of the records: one page (object) or an array of pages."""
    return f"{list_key}.item" if shape.container == "object" else f"item.{list_key}.item"


def more_pages(shape: Shape, token_key: str) -> bool:
    token = shape.first.get(token_key) if shape.container == "object" else None
    return isinstance(token, str) and bool(token)


def truncated_gap(inp: InputFile, token_key: str, command: str) -> Gap:
    return Gap(inp.display,
               f"the export has a {token_key}: later pages are missing; re-run `{command}` without "
               "--max-items / --no-paginate", "truncated")


def config_items(records: Iterable[Any], source: str, what: str = "configuration items") -> Iterator[Item]:
    """Configuration items (dicts, or the JSON strings of select results) → items, then the gaps.

    Items of deleted or unrecorded resources are counted into one ``skipped`` gap, records that
    cannot be identified into one ``bad-record`` gap. Shared by the file readers and by live
    collection (``RAW_TRANSFORMS``), so a collected inventory and a re-read one give the same items.
    """
    skipped: Counter[str] = Counter()
    derived: Counter[str] = Counter()
    bad = unidentified = 0
    for ci in records:
        if isinstance(ci, str | bytes):
            try:
                ci = orjson.loads(ci)
            except orjson.JSONDecodeError:
                bad += 1
                continue
        if not isinstance(ci, dict):
            bad += 1
            continue
        status = ci.get("configurationItemStatus")
        if status in SKIPPED_STATUSES:
            skipped[str(status)] += 1
            continue
        try:
            yield from transform_config_item(ci, source, derived)
        except RecordError:
            unidentified += 1
    if skipped:
        detail = ", ".join(f"{status}: {n}" for status, n in sorted(skipped.items()))
        yield Gap(source, f"skipped {skipped.total()} configuration items of deleted or unrecorded "
                          f"resources ({detail})", "skipped")
    query = what == "query results"
    if derived:
        detail = ", ".join(f"{name} in {n}" for name, n in sorted(derived.items()))
        hint = f" (select {SELECT_FIELDS} to have them from AWS Config itself)" if query else ""
        yield Gap(source, f"{what} lacked identifying fields, taken from each resource's ARN instead: "
                          f"{detail}{hint}", "partial")
    if unidentified:
        hint = f"; select at least {SELECT_FIELDS}" if query else ""
        yield Gap(source, f"{unidentified} {what} could not be identified (no resourceType and no ARN, "
                          f"or no account and resource id) and were skipped{hint}", "bad-record")
    if bad:
        yield Gap(source, f"{bad} {what} of an unknown shape were skipped", "bad-record")
