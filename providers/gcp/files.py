"""Offline Google Cloud inventories: the Cloud Asset Inventory exports users already have.

Three formats, recognised from their first bytes:

``gcp-asset-export``
    ``gcloud asset export --content-type=resource --output-path=gs://…``: NDJSON, one Asset per
    line with proto field names (``asset_type``, ``update_time``); some tools write the same lines
    in camelCase, and both are read. Streamed line by line.
``gcp-asset-list``
    ``gcloud asset list --content-type=resource --format=json``: a JSON array of camelCase Assets
    (streamed), or the REST ``ListAssetsResponse`` ``{"assets": [...], "nextPageToken": …}``.
``gcp-asset-search``
    ``gcloud asset search-all-resources --format=json``: a JSON array of ``ResourceSearchResult``
    (no ``resource`` blob), or the REST ``{"results": [...], "nextPageToken": …}``.

A REST page with a non-empty ``nextPageToken`` is a truncated listing and yields a ``truncated``
gap. Lines or elements that hold no resource (policy content, deleted assets, other shapes) are
counted and reported as one ``skipped`` gap per reason. The transforms live in
``providers.gcp.normalize``; ``RAW_TRANSFORMS`` gives the live collector (``providers.gcp.live``)
and saved inventories the same transform for the Assets it lists (kind ``gcp-asset``, the API's
camelCase JSON), so that both produce the same items as these files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import orjson

from providers.base import (
    FileFormat,
    InputFile,
    InventoryFormatError,
    Shape,
    iter_json_items,
    iter_ndjson,
    load_json,
    peek_shape,
)
from providers.gcp.normalize import (
    PROVIDER,
    ProjectIds,
    SkipRecord,
    asset_items,
    search_result_items,
    settle_accounts,
)
from scanner.model import Gap, Item

Transform = Callable[[Mapping[str, Any], str, ProjectIds], list[Item]]

_ASSET_TYPE_KEYS = frozenset({"asset_type", "assetType"})
#: Keys only an Asset has (a search result has none of them).
_ASSET_ONLY_KEYS = frozenset({
    "resource", "ancestors", "iam_policy", "iamPolicy", "org_policy", "orgPolicy", "access_policy",
    "accessPolicy", "os_inventory", "osInventory", "update_time",
})
#: Keys only a search result has.
_SEARCH_ONLY_KEYS = frozenset({
    "project", "parentFullResourceName", "parentAssetType", "kmsKeys", "kmsKey", "folders",
    "organization", "additionalAttributes", "displayName", "labels", "location", "networkTags",
    "versionedResources", "attachedResources", "state",
})


def _full_name(shape: Shape) -> bool:
    """The first record's ``name`` is a full resource name, when the head shows it."""
    name = shape.first.get("name")
    return name is None or (isinstance(name, str) and name.startswith("//"))


def _is_asset(keys: frozenset[str]) -> bool:
    return "name" in keys and bool(keys & _ASSET_TYPE_KEYS) and bool(keys & _ASSET_ONLY_KEYS)


def _is_search_result(keys: frozenset[str]) -> bool:
    return ("name" in keys and "assetType" in keys and not keys & _ASSET_ONLY_KEYS
            and bool(keys & _SEARCH_ONLY_KEYS))


def sniff_export(shape: Shape) -> bool:
    """NDJSON (or a single object) whose first record is an Asset (or, NDJSON only, a search result)."""
    if shape.container == "ndjson" and _is_search_result(shape.keys):
        return _full_name(shape)
    return shape.container in ("ndjson", "object") and _is_asset(shape.keys) and _full_name(shape)


def sniff_list(shape: Shape) -> bool:
    """A JSON array of Assets, or a REST ``ListAssetsResponse``."""
    if shape.container == "array":
        return _is_asset(shape.keys) and _full_name(shape)
    if shape.container == "object" and "assets" in shape.keys and not shape.keys & _ASSET_TYPE_KEYS:
        return _is_asset(shape.nested.get("assets", frozenset()))
    return False


def sniff_search(shape: Shape) -> bool:
    """A JSON array of search results, or a REST ``SearchAllResourcesResponse``."""
    if shape.container == "array":
        return _is_search_result(shape.keys) and _full_name(shape)
    if shape.container == "object" and "results" in shape.keys:
        return _is_search_result(shape.nested.get("results", frozenset()))
    return False


class _Skips:
    """Counts records that held no resource, by reason, to report them as gaps."""

    def __init__(self, source: str, unit: str):
        self.source = source
        self.unit = unit
        self.counts: dict[str, list[Any]] = {}  # reason -> [count, first position]

    def add(self, reason: str, where: Any) -> None:
        seen = self.counts.get(reason)
        if seen is None:
            self.counts[reason] = [1, where]
        else:
            seen[0] += 1

    def gaps(self) -> Iterator[Gap]:
        for reason, (count, first) in self.counts.items():
            plural = "s" if count > 1 else ""
            message = f"{count} {self.unit}{plural} skipped: {reason} (first at {self.unit} {first})"
            yield Gap(self.source, message, "skipped")


def _transform_all(records: Iterable[tuple[Any, Any]], transform: Transform, source: str,
                   skips: _Skips, projects: ProjectIds) -> Iterator[Item]:
    for where, record in records:
        if not isinstance(record, dict):
            skips.add("not a JSON object", where)
            continue
        try:
            yield from transform(record, source, projects)
        except SkipRecord as skip:
            skips.add(skip.reason, where)


def _numbered(items: Iterable[Any]) -> Iterator[tuple[int, Any]]:
    return enumerate(items, start=1)


def _truncated(inp: InputFile, token: Any) -> Iterator[Gap]:
    if isinstance(token, str) and token:
        yield Gap(inp.display, "the listing is one page of several (nextPageToken is set): resources are "
                  "missing; export with gcloud, which follows every page", "truncated")


def _transform_file(records: Iterable[tuple[Any, Any]], transform: Transform, source: str,
                    unit: str) -> Iterator[Item]:
    """Records (with their position) → items, then one ``skipped`` gap per reason."""
    skips = _Skips(source, unit)
    projects = ProjectIds()
    yield from settle_accounts(_transform_all(records, transform, source, skips, projects), projects)
    yield from skips.gaps()


def transform_assets(records: Iterable[Mapping[str, Any]], source: str) -> Iterator[Item]:
    """Assets as the Cloud Asset API returns them (live or saved) → items.

    One call sees every record of a collection, so that the project number → id map learnt from
    the Project assets names the account of every resource.
    """
    yield from _transform_file(_numbered(records), asset_items, source, "record")


def _read_records(inp: InputFile, transform: Transform, list_key: str, shape: Shape) -> Iterator[Item]:
    """Read a JSON array of records, or a REST page ``{list_key: [...], nextPageToken}``."""
    if shape.container == "empty":
        raise InventoryFormatError(inp.display, "file is empty", hint="export the inventory again")
    if shape.container == "array":
        yield from _transform_file(_numbered(iter_json_items(inp, "item")), transform, inp.display, "element")
    elif inp.is_large():
        # A REST page holds at most a few hundred records; a large one is streamed all the
        # same, and the page token is read from the head where the serialiser usually puts it.
        records = _numbered(iter_json_items(inp, f"{list_key}.item"))
        yield from _transform_file(records, transform, inp.display, "element")
        yield from _truncated(inp, shape.first.get("nextPageToken"))
    else:
        doc = load_json(inp)
        if not isinstance(doc, dict) or not isinstance(doc.get(list_key), list):
            raise InventoryFormatError(inp.display, f"expected an object with a {list_key!r} list",
                                       hint="give the JSON output of gcloud or of the REST API unchanged")
        yield from _transform_file(_numbered(doc[list_key]), transform, inp.display, "element")
        yield from _truncated(inp, doc.get("nextPageToken"))


def _pretty_printed(head: bytes) -> bool:
    """Whether a document that starts with ``{`` spans lines (rather than being NDJSON)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    while text[:1] == b"#":  # comment lines before the first record (see read_export)
        text = text.partition(b"\n")[2].lstrip(b" \t\r\n")
    first, newline, _ = text.partition(b"\n")
    if not newline:
        return False  # the first line does not even end within the head: a long NDJSON line
    try:
        return not isinstance(orjson.loads(first), dict)
    except orjson.JSONDecodeError:
        return True


def read_export(inp: InputFile) -> Iterator[Item]:
    """Stream a CAI export (NDJSON), one Asset per line."""
    shape = peek_shape(inp.head())
    if shape.container == "empty":
        raise InventoryFormatError(inp.display, "file is empty", hint="export the inventory again")
    # One asset written over several lines is read whole; otherwise NDJSON ("object" here means
    # one line, or a first line longer than the sniffed head).
    pretty = shape.container == "object" and _pretty_printed(inp.head())
    # '#' comment lines (a header some scripts write) are not JSON: they are skipped and named in
    # one warning, so the records around them are still read.
    comments: list[int] = []
    lines: Iterable[tuple[Any, Any]] = [(1, load_json(inp))] if pretty else iter_ndjson(inp, comments.append)
    # Lines written by a search-results pipeline (``jq -c '.[]'``) are read as such.
    transform: Transform = search_result_items if _is_search_result(shape.keys) else asset_items
    yield from _transform_file(lines, transform, inp.display, "line")
    if comments:
        shown = ", ".join(str(n) for n in comments[:10]) + (", …" if len(comments) > 10 else "")
        yield Gap(inp.display, f"{len(comments)} comment line(s) skipped (line {shown}: starts with '#', "
                               "which JSON has no place for)", "skipped")


def read_list(inp: InputFile) -> Iterator[Item]:
    """Read ``gcloud asset list --format=json`` (streamed) or a REST ``ListAssetsResponse``."""
    yield from _read_records(inp, asset_items, "assets", peek_shape(inp.head()))


def read_search(inp: InputFile) -> Iterator[Item]:
    """Read ``gcloud asset search-all-resources --format=json`` or a REST search response."""
    yield from _read_records(inp, search_result_items, "results", peek_shape(inp.head()))


FORMATS: tuple[FileFormat, ...] = (
    FileFormat("gcp-asset-export", PROVIDER,
               "Cloud Asset Inventory export (gcloud asset export), NDJSON, snake_case or camelCase",
               sniff_export, read_export),
    FileFormat("gcp-asset-list", PROVIDER,
               "gcloud asset list --format=json (JSON array of Assets) or the REST ListAssets response",
               sniff_list, read_list),
    FileFormat("gcp-asset-search", PROVIDER,
               "gcloud asset search-all-resources --format=json, or the REST SearchAllResources response",
               sniff_search, read_search),
)

#: Raw-record kind → transform, for live collection and saved inventories (``providers.live``).
RAW_TRANSFORMS: dict[str, Callable[[Iterable[Mapping[str, Any]], str], Iterator[Item]]] = {
    "gcp-asset": transform_assets,
}
