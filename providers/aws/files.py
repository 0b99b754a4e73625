"""Offline AWS export formats: recognise each file and stream it into provider-neutral items.

Formats (shapes and pitfalls in ``reference/input-formats.md`` §1, §6, §7):

- ``aws-config-snapshot``: AWS Config snapshot / history files delivered to S3 (``fileVersion`` +
  ``configurationItems``), and the API dumps of ``get-resource-config-history`` /
  ``batch-get-resource-config`` (``configurationItems`` / ``baseConfigurationItems``).
- ``aws-config-select``: ``select-resource-config`` / ``select-aggregate-resource-config`` output
  (``Results`` of JSON strings + ``QueryInfo``), one page or a JSON array of pages.
- ``aws-tagging``: ``resourcegroupstaggingapi get-resources`` (``ResourceTagMappingList``), one page,
  a JSON array of pages, or the bare mapping list.
- ``aws-resource-explorer``: ``resource-explorer-2 search`` / ``list-resources`` (``Resources[]``).
- ``aws-organizations-accounts``: ``organizations list-accounts`` (``Accounts[]``): account names.

Every reader streams its records with ``iter_json_items``, whatever the file size, so a large
export is never held in memory; records it cannot use are counted and reported as one ``Gap``.
The record → item transforms are in ``normalize.py`` and shared with the live collector.
"""

from __future__ import annotations

import io
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import ijson
import orjson

from providers.aws.normalize import (
    SKIPPED_STATUSES,
    RecordError,
    transform_account,
    transform_config_item,
    transform_explorer_resource,
    transform_tag_mapping,
)
from providers.base import (
    HEAD_BYTES,
    FileFormat,
    InputFile,
    InventoryFormatError,
    Shape,
    iter_json_items,
    peek_shape,
)
from scanner.model import Gap, Item

PROVIDER = "aws"


# --- sniffing -----------------------------------------------------------------------------------

def sniff_config_snapshot(shape: Shape) -> bool:
    """Config delivery file (``fileVersion``/``configSnapshotId``) or API dump of Config items."""
    if shape.container != "object":
        return False
    for key in ("configurationItems", "baseConfigurationItems"):
        if key not in shape.keys:
            continue
        if "fileVersion" in shape.keys or "configSnapshotId" in shape.keys:
            return True
        nested = shape.nested.get(key, frozenset())
        if "resourceType" in nested and nested & {"awsAccountId", "accountId", "configurationItemStatus"}:
            return True
    return False


def sniff_config_select(shape: Shape) -> bool:
    """``Results`` + ``QueryInfo``, as an object or as the first page of a JSON array."""
    return shape.container in ("object", "array") and {"Results", "QueryInfo"} <= shape.keys


def sniff_tagging(shape: Shape) -> bool:
    """``ResourceTagMappingList`` (page or array of pages), or a bare list of tag mappings."""
    if shape.container == "object":
        return "ResourceTagMappingList" in shape.keys
    if shape.container == "array":
        return "ResourceTagMappingList" in shape.keys or {"ResourceARN", "Tags"} <= shape.keys
    return False


def sniff_resource_explorer(shape: Shape) -> bool:
    """``Resources[]`` with ``Arn`` + ``ResourceType`` items, or a page with ``ViewArn``.

    CloudFormation templates also have ``Resources``, but as a map (no list items, no ``ViewArn``).
    """
    if shape.container == "object":
        if "Resources" not in shape.keys:
            return False
        items = shape.nested.get("Resources", frozenset())
        return {"Arn", "ResourceType"} <= items or "ViewArn" in shape.keys
    if shape.container == "array":
        return ("Resources" in shape.keys and bool({"ViewArn", "Count"} & shape.keys)) or \
            {"Arn", "ResourceType", "OwningAccountId"} <= shape.keys
    return False


def sniff_organizations_accounts(shape: Shape) -> bool:
    """``Accounts[]`` whose items have ``Id`` and ``Arn`` (page, array of pages, or bare list)."""
    if shape.container == "object":
        if "Accounts" not in shape.keys:
            return False
        nested = shape.nested.get("Accounts")
        return {"Id", "Arn"} <= nested if nested else shape.keys <= {"Accounts", "NextToken"}
    if shape.container == "array":
        return ("Accounts" in shape.keys and shape.keys <= {"Accounts", "NextToken"}) or \
            {"Id", "Arn", "Email"} <= shape.keys
    return False


# --- helpers ------------------------------------------------------------------------------------

def _head(inp: InputFile) -> bytes:
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


def _open_checked(inp: InputFile, sniff: Callable[[Shape], bool], what: str) -> tuple[Shape, bytes]:
    """Sniff again before reading, so a wrong or empty file fails with a clear message."""
    head = _head(inp)
    shape = peek_shape(head)
    if shape.container == "empty":
        raise InventoryFormatError(inp.display, "file is empty", hint="export the inventory again")
    if not sniff(shape):
        raise InventoryFormatError(inp.display, f"not {what}", "1:1",
                                   "check that the file is the unmodified JSON output of that command")
    return shape, head


def _head_values(head: bytes, prefix: str) -> list[Any]:
    """Scalar values found at ``prefix`` in the first bytes of a file (page markers, counts)."""
    values: list[Any] = []
    try:
        for path, event, value in ijson.parse(io.BytesIO(head), use_float=True):  # C parser: no huge ints
            if path == prefix and event in ("string", "boolean", "number", "null"):
                values.append(value)
    except (ijson.JSONError, ijson.IncompleteJSONError):
        pass  # the head ends mid-document; what was seen is what we can tell
    return values


def _gaps(inp: InputFile, bad: int, what: str) -> Iterator[Gap]:
    if bad:
        yield Gap(inp.display, f"{bad} {what} of an unknown shape were skipped", "bad-record")


def _pages(shape: Shape, list_key: str) -> str:
    """The ijson prefix of the records: one page (object) or an array of pages."""
    return f"{list_key}.item" if shape.container == "object" else f"item.{list_key}.item"


def _more_pages(shape: Shape, token_key: str) -> bool:
    token = shape.first.get(token_key) if shape.container == "object" else None
    return isinstance(token, str) and bool(token)


def _truncated_gap(inp: InputFile, token_key: str, command: str) -> Gap:
    return Gap(inp.display,
               f"the export has a {token_key}: later pages are missing; re-run `{command}` without "
               "--max-items / --no-paginate", "truncated")


# --- readers ------------------------------------------------------------------------------------

def config_items(records: Iterable[Any], source: str, what: str = "configuration items") -> Iterator[Item]:
    """Configuration items (dicts, or the JSON strings of select results) → items, then the gaps.

    Items of deleted or unrecorded resources are counted into one ``skipped`` gap, records that
    cannot be identified into one ``bad-record`` gap. Shared by the file readers and by live
    collection (``RAW_TRANSFORMS``), so a collected inventory and a re-read one give the same items.
    """
    skipped: Counter[str] = Counter()
    bad = 0
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
            yield from transform_config_item(ci, source)
        except RecordError:
            bad += 1
    if skipped:
        detail = ", ".join(f"{status}: {n}" for status, n in sorted(skipped.items()))
        yield Gap(source, f"skipped {skipped.total()} configuration items of deleted or unrecorded "
                          f"resources ({detail})", "skipped")
    if bad:
        yield Gap(source, f"{bad} {what} of an unknown shape were skipped", "bad-record")


def read_config_snapshot(inp: InputFile) -> Iterator[Item]:
    """Stream configuration items; deleted / unrecorded ones are counted into one ``Gap``."""
    shape, _ = _open_checked(inp, sniff_config_snapshot, "an AWS Config snapshot or configuration-item dump")
    key = "configurationItems" if "configurationItems" in shape.keys else "baseConfigurationItems"
    yield from config_items(iter_json_items(inp, f"{key}.item"), inp.display)


def read_config_select(inp: InputFile) -> Iterator[Item]:
    """Stream ``Results`` (JSON strings of the selected fields) through the Config transform."""
    shape, _ = _open_checked(inp, sniff_config_select, "AWS Config select-resource-config output")
    yield from config_items(iter_json_items(inp, _pages(shape, "Results")), inp.display, "query results")
    if _more_pages(shape, "NextToken"):
        yield _truncated_gap(inp, "NextToken", "aws configservice select-resource-config")


def read_tagging(inp: InputFile) -> Iterator[Item]:
    """Stream tag mappings; region and type come from each ARN."""
    shape, _ = _open_checked(inp, sniff_tagging, "resourcegroupstaggingapi get-resources output")
    prefix = "item" if shape.container == "array" and "ResourceTagMappingList" not in shape.keys \
        else _pages(shape, "ResourceTagMappingList")
    bad = 0
    for mapping in iter_json_items(inp, prefix):
        try:
            if not isinstance(mapping, dict):
                raise RecordError("not an object")
            yield transform_tag_mapping(mapping, inp.display)
        except RecordError:
            bad += 1
    if _more_pages(shape, "PaginationToken"):
        yield _truncated_gap(inp, "PaginationToken", "aws resourcegroupstaggingapi get-resources")
    yield from _gaps(inp, bad, "tag mappings")


def read_resource_explorer(inp: InputFile) -> Iterator[Item]:
    """Stream Resource Explorer resources; report the 1,000-result cap of ``search``."""
    shape, head = _open_checked(inp, sniff_resource_explorer,
                                "resource-explorer-2 search/list-resources output")
    bare = shape.container == "array" and "Resources" not in shape.keys
    bad = 0
    for res in iter_json_items(inp, "item" if bare else _pages(shape, "Resources")):
        try:
            if not isinstance(res, dict):
                raise RecordError("not an object")
            yield transform_explorer_resource(res, inp.display)
        except RecordError:
            bad += 1
    # `search` returns at most 1,000 resources and says Count.Complete = false when more match
    # (https://docs.aws.amazon.com/resource-explorer/latest/apireference/API_Search.html, checked
    # 2026-11-30). Search output is small by that cap, so the head holds its Count.
    complete = _head_values(head, "Count.Complete" if shape.container == "object" else "item.Count.Complete")
    if False in complete:
        yield Gap(inp.display, "Resource Explorer search results were truncated at its 1,000-result cap; "
                               "export with `aws resource-explorer-2 list-resources` instead", "truncated")
    elif _more_pages(shape, "NextToken"):
        yield _truncated_gap(inp, "NextToken", "aws resource-explorer-2 list-resources")
    yield from _gaps(inp, bad, "resources")


def read_organizations_accounts(inp: InputFile) -> Iterator[Item]:
    """Stream accounts as ``Account`` items (id, name, organisation); e-mails are dropped."""
    shape, _ = _open_checked(inp, sniff_organizations_accounts, "organizations list-accounts output")
    bare = shape.container == "array" and "Accounts" not in shape.keys
    bad = 0
    for acct in iter_json_items(inp, "item" if bare else _pages(shape, "Accounts")):
        try:
            if not isinstance(acct, dict):
                raise RecordError("not an object")
            yield transform_account(acct, inp.display)
        except RecordError:
            bad += 1
    if _more_pages(shape, "NextToken"):
        yield _truncated_gap(inp, "NextToken", "aws organizations list-accounts")
    yield from _gaps(inp, bad, "accounts")


FORMATS: tuple[FileFormat, ...] = (
    FileFormat("aws-config-snapshot", PROVIDER,
               "AWS Config snapshot/history file or get-resource-config-history / "
               "batch-get-resource-config output", sniff_config_snapshot, read_config_snapshot),
    FileFormat("aws-config-select", PROVIDER,
               "aws configservice select-(aggregate-)resource-config output", sniff_config_select,
               read_config_select),
    FileFormat("aws-tagging", PROVIDER, "aws resourcegroupstaggingapi get-resources output",
               sniff_tagging, read_tagging),
    FileFormat("aws-resource-explorer", PROVIDER, "aws resource-explorer-2 search / list-resources output",
               sniff_resource_explorer, read_resource_explorer),
    FileFormat("aws-organizations-accounts", PROVIDER, "aws organizations list-accounts output",
               sniff_organizations_accounts, read_organizations_accounts),
)


def _config_item_records(records: Iterable[Mapping[str, Any]], source: str) -> Iterator[Item]:
    return config_items(records, source)


def _select_result_records(records: Iterable[Mapping[str, Any]], source: str) -> Iterator[Item]:
    return config_items(records, source, "query results")


#: Raw-record kinds of live collection (``providers/aws/live.py``) → the transform that reads them.
#: ``aws-config-item``: configuration items built from Describe/List calls; ``aws-config-select-result``:
#: the parsed ``Results`` of AWS Config advanced query (``--via config``).
RAW_TRANSFORMS: dict[str, Callable[[Iterable[Mapping[str, Any]], str], Iterator[Item]]] = {
    "aws-config-item": _config_item_records,
    "aws-config-select-result": _select_result_records,
}
