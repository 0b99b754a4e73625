"""Offline AWS export formats: recognise each file and stream it into provider-neutral items.

Formats (shapes and pitfalls in ``reference/input-formats.md`` §1, §6, §7):

- ``aws-config-snapshot``: AWS Config snapshot / history files delivered to S3 (``fileVersion`` +
  ``configurationItems``), and the API dumps of ``get-resource-config-history`` /
  ``batch-get-resource-config`` (``configurationItems`` / ``baseConfigurationItems``); a page
  that is not the last (``nextToken``) or ``unprocessedResourceKeys`` is said to be incomplete.
- ``aws-config-item`` and ``aws-config-notification``: bare items, change notifications and rule
  events (``config_events.py``).
- ``aws-config-select``: ``select-resource-config`` / ``select-aggregate-resource-config`` output
  (``Results`` of JSON strings + ``QueryInfo``), one page or a JSON array of pages; results that did
  not select the type, account or region take them from the resource's ARN.
- ``aws-tagging``: ``resourcegroupstaggingapi get-resources`` (``ResourceTagMappingList``), one page,
  a JSON array of pages, or the bare mapping list.
- ``aws-resource-explorer``: ``resource-explorer-2 search`` / ``list-resources`` (``Resources[]``).
- ``aws-organizations-accounts``: ``organizations list-accounts`` (``Accounts[]``): account names.

Readers stream their records with ``iter_json_items`` where a file can be large, so a large export
is never held in memory; records they cannot use are counted and reported as one ``Gap``. The
record → item transforms are in ``normalize.py`` and shared with the live collector; the shared
reading helpers in ``reading.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from providers.aws.config_events import (
    latest_versions,
    read_config_item,
    read_config_notification,
    sniff_config_item,
    sniff_config_notification,
)
from providers.aws.normalize import (
    RecordError,
    transform_account,
    transform_explorer_resource,
    transform_tag_mapping,
)
from providers.aws.reading import (
    bad_record_gaps,
    config_items,
    head_values,
    more_pages,
    open_checked,
    pages_prefix,
    truncated_gap,
)
from providers.base import FileFormat, InputFile, InventoryFormatError, Shape, iter_json_items, load_json
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


# --- readers ------------------------------------------------------------------------------------

def read_config_snapshot(inp: InputFile) -> Iterator[Item]:
    """Stream configuration items; deleted / unrecorded ones are counted into one ``Gap``.

    A snapshot holds one item per resource and is streamed. A history file or an API dump
    (``get-resource-config-history``, ``batch-get-resource-config``) can hold several versions of
    one resource: the latest one describes it (a deletion included), earlier ones are counted as
    superseded. An API page that is not the last (``nextToken``) or a batch with
    ``unprocessedResourceKeys`` is an incomplete export and says so.
    """
    shape, _ = open_checked(inp, sniff_config_snapshot, "an AWS Config snapshot or configuration-item dump")
    key = "configurationItems" if "configurationItems" in shape.keys else "baseConfigurationItems"
    if "configSnapshotId" in shape.keys or inp.is_large():
        # An API page holds at most 100 items, so a large file is a delivered or auto-paginated
        # one, whose paging keys (if any) say nothing about missing items.
        yield from config_items(iter_json_items(inp, f"{key}.item"), inp.display)
        return
    doc = load_json(inp)
    items = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise InventoryFormatError(inp.display, f"'{key}' is not a list of configuration items", "1:1",
                                   "give the command's JSON output unchanged")
    latest, superseded = latest_versions(items)
    yield from config_items(latest, inp.display)
    if superseded:
        yield Gap(inp.display, f"{superseded} earlier configuration item(s) of the same resources were "
                               "superseded by their latest version", "skipped")
    token = doc.get("nextToken") or doc.get("NextToken")
    if isinstance(token, str) and token:
        yield truncated_gap(inp, "nextToken", "aws configservice get-resource-config-history")
    unprocessed = doc.get("unprocessedResourceKeys")
    if isinstance(unprocessed, list) and unprocessed:
        yield Gap(inp.display, f"{len(unprocessed)} resource(s) were not returned (unprocessedResourceKeys): "
                               "run `aws configservice batch-get-resource-config` again for them", "truncated")


def read_config_select(inp: InputFile) -> Iterator[Item]:
    """Stream ``Results`` (JSON strings of the selected fields) through the Config transform."""
    shape, _ = open_checked(inp, sniff_config_select, "AWS Config select-resource-config output")
    yield from config_items(iter_json_items(inp, pages_prefix(shape, "Results")), inp.display, "query results")
    if more_pages(shape, "NextToken"):
        yield truncated_gap(inp, "NextToken", "aws configservice select-resource-config")


def read_tagging(inp: InputFile) -> Iterator[Item]:
    """Stream tag mappings; region and type come from each ARN."""
    shape, _ = open_checked(inp, sniff_tagging, "resourcegroupstaggingapi get-resources output")
    prefix = "item" if shape.container == "array" and "ResourceTagMappingList" not in shape.keys \
        else pages_prefix(shape, "ResourceTagMappingList")
    bad = 0
    for mapping in iter_json_items(inp, prefix):
        try:
            if not isinstance(mapping, dict):
                raise RecordError("not an object")
            yield transform_tag_mapping(mapping, inp.display)
        except RecordError:
            bad += 1
    if more_pages(shape, "PaginationToken"):
        yield truncated_gap(inp, "PaginationToken", "aws resourcegroupstaggingapi get-resources")
    yield from bad_record_gaps(inp, bad, "tag mappings")


def read_resource_explorer(inp: InputFile) -> Iterator[Item]:
    """Stream Resource Explorer resources; report the 1,000-result cap of ``search``."""
    shape, head = open_checked(inp, sniff_resource_explorer,
                                "resource-explorer-2 search/list-resources output")
    bare = shape.container == "array" and "Resources" not in shape.keys
    bad = 0
    for res in iter_json_items(inp, "item" if bare else pages_prefix(shape, "Resources")):
        try:
            if not isinstance(res, dict):
                raise RecordError("not an object")
            yield transform_explorer_resource(res, inp.display)
        except RecordError:
            bad += 1
    # `search` returns at most 1,000 resources and says Count.Complete = false when more match
    # (https://docs.aws.amazon.com/resource-explorer/latest/apireference/API_Search.html, checked
    # 2026-11-30). Search output is small by that cap, so the head holds its Count.
    complete = head_values(head, "Count.Complete" if shape.container == "object" else "item.Count.Complete")
    if False in complete:
        yield Gap(inp.display, "Resource Explorer search results were truncated at its 1,000-result cap; "
                               "export with `aws resource-explorer-2 list-resources` instead", "truncated")
    elif more_pages(shape, "NextToken"):
        yield truncated_gap(inp, "NextToken", "aws resource-explorer-2 list-resources")
    yield from bad_record_gaps(inp, bad, "resources")


def read_organizations_accounts(inp: InputFile) -> Iterator[Item]:
    """Stream accounts as ``Account`` items (id, name, organisation); e-mails are dropped."""
    shape, _ = open_checked(inp, sniff_organizations_accounts, "organizations list-accounts output")
    bare = shape.container == "array" and "Accounts" not in shape.keys
    bad = 0
    for acct in iter_json_items(inp, "item" if bare else pages_prefix(shape, "Accounts")):
        try:
            if not isinstance(acct, dict):
                raise RecordError("not an object")
            yield transform_account(acct, inp.display)
        except RecordError:
            bad += 1
    if more_pages(shape, "NextToken"):
        yield truncated_gap(inp, "NextToken", "aws organizations list-accounts")
    yield from bad_record_gaps(inp, bad, "accounts")


FORMATS: tuple[FileFormat, ...] = (
    FileFormat("aws-config-snapshot", PROVIDER,
               "AWS Config snapshot/history file or get-resource-config-history / "
               "batch-get-resource-config output", sniff_config_snapshot, read_config_snapshot),
    FileFormat("aws-config-item", PROVIDER,
               "AWS Config configuration item(s), bare: one, a JSON list, or one per line",
               sniff_config_item, read_config_item),
    FileFormat("aws-config-notification", PROVIDER,
               "AWS Config change notification, Config rule event, or EventBridge event from aws.config",
               sniff_config_notification, read_config_notification),
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
