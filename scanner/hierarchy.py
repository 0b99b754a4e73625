"""Children and their parents: placement inheritance and folding of configuration sub-resources.

Many exports list resources that live inside another one: a BigQuery table inside its dataset, a
Spanner database inside its instance, an App Engine version inside its service and application, an
Azure SQL database inside its server, an S3 bucket's inventory configuration beside the bucket. The
knowledge base says which types are children of which (``Service.parent``) and which of them only
configure their parent and hold no data of their own (``Service.fold``). This step, run before
assessment, uses those facts:

- a child whose export gives no location is placed where its parent is (its ``region`` becomes the
  parent's, ``attributes["placement_from"]`` names the parent, walking up to the first placed
  ancestor);
- a folded sub-resource is removed from the resources to assess; its flows become its parent's;
- a child found in its parent records the parent's id (``attributes["parent"]``), so that it
  inherits the data classes its parent holds (:mod:`scanner.enrich`).

Both are reported as coverage notes (one per input file), so a reader knows why a resource has a
location its export did not show and why the resource count is smaller than the record count.

A child finds its parent by ``attributes["parent"]`` when the importer set it (a Terraform
``bucket`` argument, say), else by its identifier: Azure resource ids and Cloud Asset full names are
paths in which a child is its parent's path plus ``/collection/name``. The parent found must be of
the parent type the knowledge base names, so a path that merely looks nested is never taken for one.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator

from scanner.inventory import Inventory
from scanner.kb.loader import KnowledgeBase
from scanner.kb.schema import Service
from scanner.model import Flow, Gap, Resource

#: How far up a chain of children the placement is looked for (version → service → application).
MAX_DEPTH = 4


def parent_id(res: Resource) -> str | None:
    """The id of the resource ``res`` belongs to, as the importer gave it or as its id shows it."""
    explicit = res.attributes.get("parent")
    if isinstance(explicit, str) and explicit:
        return explicit
    if res.id.startswith("/"):
        parts = res.id.rstrip("/").rsplit("/", 2)
        if len(parts) == 3 and parts[0].strip("/") and parts[2]:
            return parts[0]
    return None


class _Tree:
    """Look-ups of services and parents over one inventory."""

    def __init__(self, inventory: Inventory, kb: KnowledgeBase):
        self.resources = inventory.resources
        self.kb = kb
        self._services: dict[tuple[str, str], Service | None] = {}

    def service(self, res: Resource) -> Service | None:
        key = (res.provider, res.native_type)
        if key not in self._services:
            self._services[key] = self.kb.service(res.provider, res.native_type)
        return self._services[key]

    def parent(self, res: Resource, svc: Service) -> Resource | None:
        """The parent resource, if it is in the inventory and of the type the knowledge base names."""
        pid = parent_id(res)
        parent = self.resources.get(pid) if pid else None
        if parent is None or svc.parent is None:
            return None
        expected = self.kb.service(res.provider, svc.parent)
        return parent if expected is not None and self.service(parent) is expected else None

    def placed_ancestor(self, res: Resource, svc: Service) -> Resource | None:
        """The nearest ancestor whose region is known."""
        current, current_svc = res, svc
        for _ in range(MAX_DEPTH):
            parent = self.parent(current, current_svc)
            if parent is None:
                return None
            if parent.region is not None:
                return parent
            parent_svc = self.service(parent)
            if parent_svc is None or parent_svc.parent is None:
                return None
            current, current_svc = parent, parent_svc
        return None


def _source(res: Resource) -> str:
    return res.source.split(";", 1)[0] or "inventory"


def settle_children(inventory: Inventory, kb: KnowledgeBase) -> None:
    """Fold configuration sub-resources into their parents and place children at their parents'
    location; add one coverage note per input file saying what was done."""
    tree = _Tree(inventory, kb)
    resources = inventory.resources
    folded: Counter[tuple[str, str]] = Counter()
    orphans: Counter[str] = Counter()
    into: dict[str, str | None] = {}
    for rid, res in list(resources.items()):
        svc = tree.service(res)
        if svc is None or not svc.fold:
            continue
        parent = tree.parent(res, svc)
        into[rid] = parent.id if parent is not None else None
        folded[(_source(res), res.native_type)] += 1
        if parent is None:
            orphans[_source(res)] += 1
    for rid in into:
        del resources[rid]
    if into:
        inventory.flows = list(_refold_flows(inventory.flows, into))

    inherited: Counter[tuple[str, str]] = Counter()
    for rid, res in list(resources.items()):
        svc = tree.service(res)
        if svc is None or svc.parent is None:
            continue
        parent = tree.parent(res, svc)
        attributes = dict(res.attributes)
        if parent is not None:
            # The child holds part of what its parent holds (a table of a patient-records dataset):
            # enrichment reads this to hand the parent's data classes down.
            attributes["parent"] = parent.id
        region = res.region
        if region is None:
            ancestor = tree.placed_ancestor(res, svc)
            if ancestor is not None:
                region = ancestor.region
                attributes["placement_from"] = ancestor.id
                inherited[(_source(res), res.native_type)] += 1
        if region != res.region or attributes != res.attributes:
            resources[rid] = dataclasses.replace(res, region=region, attributes=attributes)

    inventory.gaps.extend(_notes(folded, orphans, inherited))


def _refold_flows(flows: list[Flow], into: dict[str, str | None]) -> Iterator[Flow]:
    """Flows of folded sub-resources, moved to their parents (dropped when the parent is absent)."""
    for flow in flows:
        source = into.get(flow.source, flow.source)  # None: folded into a parent that is not there
        target = into.get(flow.target, flow.target)
        if source is None or target is None or source == target:
            continue
        yield flow if (source, target) == (flow.source, flow.target) else dataclasses.replace(
            flow, source=source, target=target)


def _notes(folded: Counter[tuple[str, str]], orphans: Counter[str],
           inherited: Counter[tuple[str, str]]) -> Iterator[Gap]:
    for source in sorted({s for s, _ in folded}):
        types = sorted((t, n) for (s, t), n in folded.items() if s == source)
        total = sum(n for _, n in types)
        detail = ", ".join(f"{t} ({n})" for t, n in types)
        absent = f"; {orphans[source]} of them configure a resource that is not in the inventory" \
            if orphans[source] else ""
        yield Gap(source, f"{total} configuration sub-resource(s) that hold no data of their own were folded "
                          f"into the resource they configure: {detail}{absent}", "folded")
    for source in sorted({s for s, _ in inherited}):
        types = sorted((t, n) for (s, t), n in inherited.items() if s == source)
        total = sum(n for _, n in types)
        detail = ", ".join(f"{t} ({n})" for t, n in types)
        yield Gap(source, f"{total} resource(s) whose export gives no location were placed where their parent "
                          f"resource is: {detail}", "inherited")
