"""ARM export templates (``az group export``, the portal's "Export template") to ARM resource rows.

An export template describes one resource group without saying which: resource names are often
template expressions (``[parameters('storageAccounts_st_name')]``,
``[concat(parameters('servers_sql_name'), '/ehr')]``), locations are often
``[resourceGroup().location]``, and references to resources outside the group become
``…_externalid`` parameters whose default value is a full resource id. This module evaluates the
small part of the ARM template expression language that exports use (``parameters``,
``variables``, ``concat``, ``format``, ``toLower``/``toUpper``, ``resourceId``,
``resourceGroup()``, ``subscription()``, property access), builds each resource's id under
``/subscriptions/unknown/resourcegroups/unknown`` and hands the rows to the shared transform.
Anything it cannot evaluate stays unknown and is reported, never guessed.

Reference: "Template functions" and "Template structure" in the ARM documentation
(learn.microsoft.com/azure/azure-resource-manager/templates/template-functions,
…/syntax), checked 2026-11-30.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from providers.azure.normalize import RowShapeError, RowTally, canonical_id, resource_items
from providers.common import azure_region_of
from scanner.model import Flow, Gap, Item

UNKNOWN_SCOPE = "unknown"
_MAX_DEPTH = 20  # parameters and variables may refer to each other; stop runaway recursion


class _Sentinel:
    __slots__ = ("label",)

    def __init__(self, label: str):
        self.label = label

    def __repr__(self) -> str:
        return self.label


#: A value the template does not fix (a parameter without default, ``uniqueString()``…).
UNKNOWN = _Sentinel("<unknown>")
#: ``resourceGroup().location``: known at deployment only.
RG_LOCATION = _Sentinel("<resource group location>")

_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<id>[A-Za-z_][\w]*)"
                    r"|(?P<op>[(),.\[\]]))")


class _Unsupported(Exception):
    """The expression is not in the supported subset (or is malformed)."""


class Evaluator:
    """Evaluates ARM template expressions against one template's parameters and variables."""

    def __init__(self, template: Mapping[str, Any]):
        params = template.get("parameters")
        variables = template.get("variables")
        self.parameters: Mapping[str, Any] = params if isinstance(params, Mapping) else {}
        self.variables: Mapping[str, Any] = variables if isinstance(variables, Mapping) else {}
        self.depth = 0

    # -- public ------------------------------------------------------------------------------
    def value(self, raw: Any) -> Any:
        """Evaluate ``raw`` if it is an expression string; else return it unchanged."""
        if not isinstance(raw, str) or not (raw.startswith("[") and raw.endswith("]")):
            return raw
        if raw.startswith("[["):  # ``[[`` escapes a literal leading bracket
            return raw[1:]
        if self.depth > _MAX_DEPTH:
            return UNKNOWN
        self.depth += 1
        try:
            tokens = [(m.lastgroup or "", m.group(m.lastgroup or 0)) for m in _TOKEN.finditer(raw[1:-1])
                      if m.lastgroup]
            result, pos = self._expr(tokens, 0)
            if pos != len(tokens):
                raise _Unsupported("trailing tokens")
            return result
        except (_Unsupported, IndexError):
            return UNKNOWN
        finally:
            self.depth -= 1

    def tree(self, raw: Any) -> Any:
        """Evaluate every expression inside a JSON value; unknown values become ``None``."""
        if isinstance(raw, Mapping):
            return {k: self.tree(v) for k, v in raw.items()}
        if isinstance(raw, list):
            return [self.tree(v) for v in raw]
        value = self.value(raw)
        if isinstance(value, _Sentinel):
            return None
        if value is not raw and isinstance(value, Mapping | list):
            return self.tree(value)
        return value

    # -- parser ------------------------------------------------------------------------------
    def _expr(self, tokens: list[tuple[str, str]], pos: int) -> tuple[Any, int]:
        kind, text = tokens[pos]
        if kind == "str":
            value: Any = text[1:-1].replace("''", "'")
            pos += 1
        elif kind == "num":
            value = float(text) if "." in text else int(text)
            pos += 1
        elif kind == "id" and tokens[pos + 1] == ("op", "("):
            args: list[Any] = []
            pos += 2
            while tokens[pos] != ("op", ")"):
                arg, pos = self._expr(tokens, pos)
                args.append(arg)
                if tokens[pos] == ("op", ","):
                    pos += 1
            pos += 1
            value = self._call(text.lower(), args)
        else:
            raise _Unsupported(text)
        while pos < len(tokens) and tokens[pos] in (("op", "."), ("op", "[")):
            if tokens[pos] == ("op", "."):
                value = _member(value, tokens[pos + 1][1])
                pos += 2
            else:
                index, pos = self._expr(tokens, pos + 1)
                if tokens[pos] != ("op", "]"):
                    raise _Unsupported("unclosed index")
                pos += 1
                value = _member(value, index)
        return value, pos

    def _call(self, name: str, args: list[Any]) -> Any:
        if name in ("parameters", "variables"):
            table = self.parameters if name == "parameters" else self.variables
            entry = table.get(args[0]) if args and isinstance(args[0], str) else None
            if name == "parameters":
                entry = entry.get("defaultValue", UNKNOWN) if isinstance(entry, Mapping) else UNKNOWN
            return UNKNOWN if entry is None else self.value(entry)
        if any(isinstance(a, _Sentinel) for a in args):
            return UNKNOWN
        if name == "concat":
            if args and all(isinstance(a, list) for a in args):
                return [item for a in args for item in a]
            return "".join(_text(a) for a in args)
        if name == "format" and args and isinstance(args[0], str):
            return re.sub(r"\{(\d+)(?::[^}]*)?\}", lambda m: _text(args[int(m.group(1)) + 1]), args[0])
        if name in ("tolower", "toupper") and len(args) == 1 and isinstance(args[0], str):
            return args[0].lower() if name == "tolower" else args[0].upper()
        if name == "string" and len(args) == 1:
            return _text(args[0])
        if name == "resourcegroup":
            return {"location": RG_LOCATION, "name": UNKNOWN, "id": UNKNOWN}
        if name == "subscription":
            return {"subscriptionId": UNKNOWN, "id": UNKNOWN, "tenantId": UNKNOWN}
        if name == "resourceid":
            return _resource_id(args)
        return UNKNOWN  # uniqueString, guid, reference, copyIndex…: only known at deployment


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise _Unsupported("not text")


def _member(value: Any, key: Any) -> Any:
    if isinstance(value, _Sentinel):
        return value
    if isinstance(value, Mapping) and isinstance(key, str):
        for k, v in value.items():
            if k.lower() == key.lower():  # ARM property access is case-insensitive
                return v
        return UNKNOWN
    if isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
        return value[key]
    return UNKNOWN


def _resource_id(args: list[Any]) -> Any:
    """``resourceId([subscriptionId], [resourceGroupName], type, name1, [name2]…)``."""
    if not all(isinstance(a, str) for a in args):
        return UNKNOWN
    type_at = next((i for i, a in enumerate(args) if "/" in a), None)
    if type_at is None or type_at > 2:
        return UNKNOWN
    scope = args[:type_at]
    sub = scope[0] if len(scope) == 2 else UNKNOWN_SCOPE
    group = scope[-1] if scope else UNKNOWN_SCOPE
    built = build_id(args[type_at], "/".join(args[type_at + 1:]), sub, group)
    return UNKNOWN if built is None else built


def build_id(rtype: str, name: str, subscription: str = UNKNOWN_SCOPE,
             group: str = UNKNOWN_SCOPE) -> str | None:
    """An ARM resource id from a full type and a ``parent/child`` name; None if they do not match."""
    types = rtype.strip("/").split("/")
    names = name.strip("/").split("/")
    if len(types) < 2 or len(names) != len(types) - 1 or not all(names):
        return None
    path = "/".join(f"{t}/{n}" for t, n in zip(types[1:], names, strict=True))
    return canonical_id(f"/subscriptions/{subscription}/resourcegroups/{group}/providers/{types[0]}/{path}")


def _flatten(resources: Any, parent_type: str | None = None,
             parent_name: Any = None) -> Iterator[tuple[Mapping[str, Any], str, Any]]:
    """Yield ``(resource, full type, name expression or value)``, expanding nested child resources."""
    # languageVersion 2.0 templates key resources by symbolic name instead of listing them.
    items = list(resources.values()) if isinstance(resources, Mapping) else resources
    for res in items if isinstance(items, list) else ():
        if not isinstance(res, Mapping):
            yield {}, "", None
            continue
        raw_type = res.get("type")
        rtype = raw_type if isinstance(raw_type, str) else ""
        name = res.get("name")
        if parent_type and rtype and "/" not in rtype:
            rtype = f"{parent_type}/{rtype}"
            name = (parent_name, name)  # joined once both parts are evaluated
        yield res, rtype, name
        children = res.get("resources")
        if children:
            yield from _flatten(children, rtype, name)


_Row = tuple[dict[str, Any], str | None, str | None]  # (resource row, region, location as written)


def template_items(template: Mapping[str, Any], source: str) -> Iterator[Item]:
    """All items of one ARM template: resources, flows and the gaps the template leaves open."""
    ev = Evaluator(template)
    tally = RowTally()
    unknown_location: Counter[str] = Counter()
    rows: list[_Row] = []
    for res, rtype, name_expr in _flatten(template.get("resources") or []):
        row = _template_row(ev, res, rtype, name_expr, tally)
        if row is not None:
            rows.append((row, *_location(ev, res.get("location"), unknown_location)))
    _apply_backup_storage_config(rows)
    rows = _inherit_parent_region(rows)
    yield from _row_items(rows, source, tally)
    if rows:
        yield Gap(source, "ARM templates do not name their subscription or resource group: resource "
                  "ids use 'unknown' there and will not merge with other exports (use "
                  "'az graph query' for a complete inventory)", "partial")
    for why, count in sorted(unknown_location.items()):
        yield Gap(source, f"{count} resource(s) take their location from {why}: region unknown "
                  "(give a Resource Graph export, or set the location parameters)", "unknown-region")
    yield from tally.gaps(source)


#: Resources a template declares but does not deploy itself: (test, reason they are skipped).
_NOT_DEPLOYED: tuple[tuple[Callable[[Mapping[str, Any], str], bool], str], ...] = (
    (lambda res, rtype: not rtype, "template resource without a type"),
    (lambda res, rtype: res.get("existing") is True, "reference to an existing resource, not part of this template"),
    (lambda res, rtype: rtype.lower() == "microsoft.resources/deployments",
     "nested deployment (its inner template is not expanded)"),
)


def _template_row(ev: Evaluator, res: Mapping[str, Any], rtype: str, name_expr: Any,
                  tally: RowTally) -> dict[str, Any] | None:
    """The export-shaped row of one template resource, or None (counted in ``tally``) when it is skipped."""
    for skipped, why in _NOT_DEPLOYED:
        if skipped(res, rtype):
            tally.skipped[why] += 1
            return None
    name = _name(ev, name_expr)
    rid = build_id(rtype, name) if name else None
    if rid is None:
        tally.skipped["name is an expression that cannot be resolved without deploying"] += 1
        return None
    return {"id": rid, "name": name, "type": rtype, "sku": ev.tree(res.get("sku")),
            "kind": ev.tree(res.get("kind")), "tags": ev.tree(res.get("tags")),
            "properties": ev.tree(res.get("properties"))}


def _location(ev: Evaluator, raw_location: Any, unknown: Counter[str]) -> tuple[str | None, str | None]:
    """(region, location as written) of a resource; locations that stay unknown are counted by cause."""
    location = ev.value(raw_location)
    region = None
    if location is RG_LOCATION:
        unknown["resourceGroup().location"] += 1
    elif isinstance(location, str):
        region = azure_region_of(location)
    elif raw_location is not None:
        unknown["an expression without a default value"] += 1
    raw_region = location if isinstance(location, str) else (  # keep the expression for reports
        raw_location if isinstance(raw_location, str) else None)
    return region, raw_region


def _row_items(rows: list[_Row], source: str, tally: RowTally) -> Iterator[Item]:
    """Resources and flows of the rows, through the transform shared with exports; each flow once."""
    seen: set[tuple[str, str, str]] = set()
    for row, region, raw_region in rows:
        try:
            items = resource_items(row, source, region=region, raw_region=raw_region,
                                   unknown_subscription=True)
        except RowShapeError as exc:  # pragma: no cover - ids are always built above
            tally.skipped[str(exc)] += 1
            continue
        for item in items:
            if isinstance(item, Flow):
                # Exports list a peering both inside the VNet and as a child resource.
                key = (item.source, item.target, item.kind.value)
                if key in seen:
                    continue
                seen.add(key)
            yield item


def _name(ev: Evaluator, expr: Any) -> str | None:
    if isinstance(expr, tuple):
        parent, child = _name(ev, expr[0]), _name(ev, expr[1])
        return f"{parent}/{child}" if parent and child else None
    value = ev.value(expr)
    return value if isinstance(value, str) and value else None


def _apply_backup_storage_config(rows: list[_Row]) -> None:
    """Fold ``vaults/backupstorageconfig`` children into their vault's ``redundancySettings``.

    Export templates set a Recovery Services vault's storage redundancy on that child resource
    (``properties.storageModelType``); the shared transform reads it on the vault itself.
    """
    vaults = {row["id"]: row for row, _, _ in rows
              if row["type"].lower() == "microsoft.recoveryservices/vaults"}
    for row, _, _ in rows:
        if row["type"].lower() != "microsoft.recoveryservices/vaults/backupstorageconfig":
            continue
        props = row["properties"] if isinstance(row["properties"], Mapping) else {}
        kind = props.get("storageModelType") or props.get("storageType")
        vault = vaults.get(row["id"].rsplit("/", 2)[0])
        if vault is not None and isinstance(kind, str):
            vault_props = dict(vault["properties"]) if isinstance(vault["properties"], Mapping) else {}
            settings = dict(vault_props.get("redundancySettings") or {})
            settings.setdefault("standardTierStorageRedundancy", kind)
            vault_props["redundancySettings"] = settings
            vault["properties"] = vault_props


def _inherit_parent_region(rows: list[_Row]) -> list[_Row]:
    """Child resources declared without ``location`` (databases' firewall rules, failover groups,
    peerings) live where their parent lives; give them the parent's region when it is known."""
    regions = {row["id"]: region for row, region, _ in rows}
    out = []
    for row, region, raw_region in rows:
        if region is None and raw_region is None:
            parent = row["id"]
            while region is None and "/providers/" in parent:
                parent = parent.rsplit("/", 2)[0]
                region = regions.get(parent)
        out.append((row, region, raw_region))
    return out
