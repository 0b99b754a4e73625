"""Offline Azure inventory formats: Resource Graph query results, ``az resource list``, ARM templates.

Each format recognises itself from the first bytes of a file and reads it into provider-neutral
items through the shared transform in :mod:`providers.azure.normalize`:

- ``azure-resource-graph``: ``az graph query`` output (``{count, data, skip_token,
  total_records}``), the Resource Graph REST response (``{totalRecords, count, data,
  resultTruncated, $skipToken}``), and the bare list of rows printed by old ``az graph``
  extensions and by ``Search-AzGraph | ConvertTo-Json``. ``ResourceContainers`` rows give the
  subscriptions (``Account``). A page that is not the whole result becomes a ``truncated`` gap.
- ``azure-resource-list``: ``az resource list`` (one subscription, ``properties`` null).
- ``azure-arm-template``: ARM export templates (``az group export``, portal "Export template").

``RAW_TRANSFORMS`` serves the live collector (:mod:`providers.azure.live`) and saved inventories:
its one raw-record kind, ``azure-resource``, is an ARM resource dict (a Resource Graph row, a
``ResourceContainers`` subscription row, or an ARM list item) read by the same code as the files.

Shapes and pitfalls: shared/reference/input-formats.md §2; ``az graph query`` options from the
Azure CLI reference (learn.microsoft.com/cli/azure/graph, checked 2026-11-30).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, Any

import ijson

from providers.azure.normalize import SUBSCRIPTION_TYPE, RowTally, rows_to_items
from providers.azure.template import template_items
from providers.base import (
    FileFormat,
    InputFile,
    InventoryFormatError,
    Shape,
    iter_json_items,
    json_error_reason,
    load_json,
    peek_shape,
)
from scanner.model import Gap, Item

_GRAPH_META = frozenset({"count", "skip_token", "total_records", "skipToken", "$skipToken",
                         "totalRecords", "resultTruncated"})
_TAIL_BYTES = 64 * 1024
_PAGING_HINT = ("rerun 'az graph query' with '--first 1000' and pass each returned skip_token to "
                "'--skip-token' until it is null, then give all the pages")


# -- sniffing ---------------------------------------------------------------------------------
def _is_arm_id(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(("/subscriptions/", "/providers/"))


def sniff_resource_graph(shape: Shape) -> bool:
    """``az graph query`` / REST object with ``data`` (rows, or a ``{columns, rows}`` table), a bare
    ``{columns, rows}`` table, or a bare list of Resource Graph rows."""
    if shape.container == "object":
        if {"columns", "rows"} <= shape.keys:
            return "name" in shape.nested.get("columns", frozenset({"name"}))
        data_keys = shape.nested.get("data")
        return ("data" in shape.keys and bool(shape.keys & _GRAPH_META)
                and (data_keys is None or "id" in data_keys))
    if shape.container == "array":
        # Resource Graph rows always carry the subscription (and tenant) as columns.
        return "subscriptionId" in shape.keys and _is_arm_id(shape.first.get("id"))
    return False


def sniff_resource_list(shape: Shape) -> bool:
    """``az resource list``: rows with ``resourceGroup`` but no ``subscriptionId``/``tenantId``."""
    return (shape.container == "array" and {"id", "type", "resourceGroup"} <= shape.keys
            and not shape.keys & {"subscriptionId", "tenantId"}
            and _is_arm_id(shape.first.get("id")))


_NEXT_LINK_KEYS = frozenset({"nextLink", "@odata.nextLink"})


def sniff_rest_list(shape: Shape) -> bool:
    """An ARM REST list page ``{"value": [...], "nextLink": ...}`` of resources or subscriptions
    (or a JSON array of such pages)."""
    if shape.container == "object":
        items = shape.nested.get("value")
        return "value" in shape.keys and shape.keys <= {"value", *_NEXT_LINK_KEYS} and (
            items is None or "id" in items)
    if shape.container == "array":
        return "value" in shape.keys and shape.keys <= {"value", *_NEXT_LINK_KEYS}
    return False


def sniff_arm_template(shape: Shape) -> bool:
    """An ARM deployment template: ``$schema`` …``deploymentTemplate.json#`` plus ``resources``."""
    schema = shape.first.get("$schema")
    return (shape.container == "object" and "resources" in shape.keys and isinstance(schema, str)
            and "deploymenttemplate.json" in schema.lower())


# -- reading ----------------------------------------------------------------------------------
def _container(inp: InputFile) -> str:
    return peek_shape(inp.head(4096)).container


def _rows_of_array(inp: InputFile, what: str) -> Iterator[Any]:
    if inp.is_large():
        return iter_json_items(inp, "item")
    doc = load_json(inp)
    if not isinstance(doc, list):
        raise InventoryFormatError(inp.display, f"expected a JSON list of {what}", "1:1",
                                   "give the command's JSON output unchanged")
    return iter(doc)


def transform_resources(records: Iterable[Any], source: str) -> Iterator[Item]:
    """ARM resource dicts (Resource Graph rows, ARM list items) → items, then one gap per kind
    of unusable record. The raw-record transform of ``azure-resource``, shared by the readers."""
    tally = RowTally()
    yield from rows_to_items(records, source, tally)
    yield from tally.gaps(source)


def read_resource_graph(inp: InputFile) -> Iterator[Item]:
    """Read Resource Graph query output (object, table or bare list) into items."""
    if _container(inp) == "array":
        yield from transform_resources(_rows_of_array(inp, "Resource Graph rows"), inp.display)
        return
    tally = RowTally()
    meta: dict[str, Any] = {}
    if inp.is_large():
        shape = peek_shape(inp.head())
        if {"columns", "rows"} <= shape.keys or "columns" in shape.nested.get("data", frozenset()):
            prefix = "" if "columns" in shape.keys else "data."
            stream = table_rows(list(iter_json_items(inp, f"{prefix}columns.item")),
                                iter_json_items(inp, f"{prefix}rows.item"), inp.display)
            meta = {k: v for k, v in shape.first.items() if k in _GRAPH_META}
        else:
            stream = _stream_data_rows(inp, meta)
    else:
        doc = load_json(inp)
        if isinstance(doc, Mapping) and isinstance(doc.get("columns"), list):
            doc = {"data": doc}  # a bare table, as some tools save the REST response's 'data'
        data = doc.get("data") if isinstance(doc, Mapping) else None
        if isinstance(data, Mapping) and isinstance(data.get("columns"), list):
            stream = table_rows(data["columns"], data.get("rows"), inp.display)
        elif isinstance(data, list):
            stream = iter(data)
        else:
            raise InventoryFormatError(inp.display, "no 'data' list of Resource Graph rows", "1:1",
                                       "give the output of 'az graph query' unchanged")
        meta = {k: doc.get(k) for k in _GRAPH_META if k in doc}
    yield from rows_to_items(stream, inp.display, tally)
    yield from _truncation_gaps(inp.display, meta, tally.rows)
    yield from tally.gaps(inp.display)


def table_rows(columns: Any, rows: Any, source: str) -> Iterator[dict[str, Any]]:
    """Rows of the Resource Graph *table* result format as ``{column: value}`` objects.

    ``{"columns": [{"name", "type"}], "rows": [[...]]}`` is what the REST API returns with
    ``resultFormat: table`` (the default of API versions 2018-09-01-preview to 2019-04-01, still
    accepted by 2021-03-01; https://learn.microsoft.com/en-us/rest/api/azureresourcegraph/resourcegraph/resources/resources,
    checked 2026-12-04). Cells are in column order.
    """
    names = [c.get("name") if isinstance(c, Mapping) else None for c in columns or []]
    if "id" not in names:
        raise InventoryFormatError(source, "the Resource Graph table has no 'id' column", "1:1",
                                   "project at least id, name, type, location, tags in the query")
    for row in rows or []:
        if isinstance(row, list):
            yield {name: value for name, value in zip(names, row, strict=False) if isinstance(name, str)}
        else:
            yield row  # counted as not a JSON object row by the transform


def read_rest_list(inp: InputFile) -> Iterator[Item]:
    """Read ARM REST list pages (``GET /subscriptions/{id}/resources``, ``GET /subscriptions``).

    Items are ARM resources (``GenericResourceExpanded``: no ``properties`` unless the request asked
    for ``$expand``) or subscriptions, which become accounts. A page with a ``nextLink`` is one of
    several: https://learn.microsoft.com/en-us/rest/api/resources/resources/list (checked 2026-12-04).
    """
    doc = load_json(inp)
    pages = doc if isinstance(doc, list) else [doc]
    rows: list[Any] = []
    next_links = 0
    for page in pages:
        if not isinstance(page, Mapping) or not isinstance(page.get("value"), list):
            raise InventoryFormatError(inp.display, "expected ARM list pages with a 'value' list", "1:1",
                                       "give the JSON body of the REST response unchanged")
        rows.extend(subscription_row(row) for row in page["value"])
        if page.get("nextLink") or page.get("@odata.nextLink"):
            next_links += 1
    yield from transform_resources(rows, inp.display)
    # Concatenated pages each carry the link to the next one; only the last one's matters.
    last = pages[-1] if pages else {}
    if isinstance(last, Mapping) and (last.get("nextLink") or last.get("@odata.nextLink")):
        yield Gap(inp.display, "the listing is one page of several (nextLink is set): resources are missing; "
                  "follow each nextLink and give all the pages, or use 'az resource list'", "truncated")


_SUBSCRIPTION_ID = re.compile(r"^/subscriptions/[^/]+/?$", re.IGNORECASE)


def subscription_row(row: Any) -> Any:
    """A ``GET /subscriptions`` item (no ``type``, ``displayName``) in the Resource Graph row form."""
    if isinstance(row, Mapping) and not row.get("type") and _SUBSCRIPTION_ID.match(str(row.get("id") or "")):
        return {**row, "type": SUBSCRIPTION_TYPE, "name": row.get("displayName") or row.get("name")}
    return row


def _truncation_gaps(source: str, meta: Mapping[str, Any], rows: int) -> Iterator[Gap]:
    token = meta.get("skip_token") or meta.get("skipToken") or meta.get("$skipToken")
    total = meta.get("total_records", meta.get("totalRecords"))
    flagged = str(meta.get("resultTruncated", "")).lower() == "true"
    total_n = int(total) if isinstance(total, int | float) and not isinstance(total, bool) else None
    if token or flagged or (total_n is not None and total_n > rows):
        of = f" of {total_n}" if total_n is not None else ""
        yield Gap(source, f"Resource Graph results truncated: {rows} row(s){of} in this file "
                  f"({_PAGING_HINT})", "truncated")


def read_resource_list(inp: InputFile) -> Iterator[Item]:
    """Read ``az resource list`` output into items (no replication or encryption details)."""
    yield from transform_resources(_rows_of_array(inp, "resources"), inp.display)


def read_arm_template(inp: InputFile) -> Iterator[Item]:
    """Read an ARM export template into items, with gaps for what the template leaves open."""
    doc = load_json(inp)  # templates are small (one resource group) and need random access
    if not isinstance(doc, Mapping) or not isinstance(doc.get("resources"), list | Mapping):
        raise InventoryFormatError(inp.display, "no 'resources' in this ARM template", "1:1",
                                   "give the template produced by 'az group export'")
    yield from template_items(doc, inp.display)


# -- streaming the object form ----------------------------------------------------------------
class _TailKeeper:
    """A file wrapper that remembers the last bytes read, to find the trailer after ``data``.

    ``az graph query`` prints keys sorted (``count``, ``data``, ``skip_token``,
    ``total_records``), so the paging facts of a large file come after a very long list; keeping
    the tail avoids a second parse.
    """

    def __init__(self, inner: IO[bytes]):
        self.inner = inner
        self.offset = 0
        self.tail = b""

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        self.offset += len(data)
        self.tail = (self.tail + data)[-_TAIL_BYTES:]
        return data


_TRAILER = re.compile(rb'"(skip_token|skipToken|\$skipToken|total_records|totalRecords|count|'
                      rb'resultTruncated)"\s*:\s*("(?:[^"\\]|\\.)*"|[\w.+-]+)')
_END_OF_ROWS = re.compile(rb"\}\s*\]")


def _trailer(head_meta: Mapping[str, Any], tail: bytes) -> dict[str, Any]:
    meta = dict(head_meta)
    ends = list(_END_OF_ROWS.finditer(tail))
    region = tail[ends[-1].end():] if ends else tail
    for key, raw in _TRAILER.findall(region):
        text = raw.decode("utf-8", "replace")
        value: Any = text.strip('"') if text.startswith('"') else (
            None if text == "null" else int(text) if text.isdigit() else text)
        meta[key.decode()] = value
    return meta


def _stream_data_rows(inp: InputFile, meta: dict[str, Any]) -> Iterator[Any]:
    """Stream ``data.item`` rows; fill ``meta`` with the paging keys once the file is read."""
    head = peek_shape(inp.head()).first
    keeper: _TailKeeper | None = None
    try:
        with inp.open() as fh:
            keeper = _TailKeeper(fh)
            yield from ijson.items(keeper, "data.item", use_float=True)
    except ijson.IncompleteJSONError as exc:
        truncated = "premature EOF" in str(exc)
        raise InventoryFormatError(
            inp.display, "truncated JSON" if truncated else f"invalid JSON: {json_error_reason(exc)}",
            f"byte {keeper.offset if keeper else 0}",
            "the export is incomplete; export it again" if truncated
            else "check the file was not edited or mixed with other output") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise InventoryFormatError(inp.display, f"corrupt or truncated gzip data: {exc}",
                                   f"byte {keeper.offset if keeper else 0}",
                                   "re-download or re-export the file") from None
    meta.update(_trailer({k: v for k, v in head.items() if k in _GRAPH_META}, keeper.tail))


FORMATS: tuple[FileFormat, ...] = (
    FileFormat("azure-resource-graph", "azure",
               "Azure Resource Graph query results (az graph query, Search-AzGraph)",
               sniff_resource_graph, read_resource_graph),
    FileFormat("azure-resource-list", "azure", "az resource list output (one subscription)",
               sniff_resource_list, read_resource_list),
    FileFormat("azure-arm-template", "azure", "ARM export template (az group export)",
               sniff_arm_template, read_arm_template),
    FileFormat("azure-rest-list", "azure",
               "ARM REST list page {value, nextLink} of resources or subscriptions (az rest)",
               sniff_rest_list, read_rest_list),
)


#: Raw-record kind of the live collector: one ARM resource dict.
RAW_RESOURCE = "azure-resource"

RAW_TRANSFORMS: dict[str, Callable[[Iterable[Mapping[str, Any]], str], Iterator[Item]]] = {
    RAW_RESOURCE: transform_resources,
}
