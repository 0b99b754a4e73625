"""Enrichment: each resource's service, placement, key control and own data classes, from the knowledge base.

This is the first step of an assessment (enrich → graph → reach → score → summarise). It reads
the knowledge base only, never the graph: a resource's *placement* is the provider location its
bytes are in (the export's region, or the knowledge base's placement for region-less services);
its *key control* comes from its own record, refined by the key's record when the key is
inventoried too; its *classes* come from its tags and name (copies inherit their source's classes
later, on the graph). Look-ups repeat across an estate, so each one is cached here, per step.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from graphs.schema import NodeKind, node_id
from scanner.classify import Classifier
from scanner.inventory import Inventory
from scanner.kb.loader import KnowledgeBase
from scanner.kb.schema import DataClass, Region, Service
from scanner.model import KeyControl, Resource

_MISSING = object()
#: Canonical order of data classes in outputs: most sensitive first.
CLASS_ORDER = {str(c): i for i, c in enumerate(DataClass)}


def ordered_classes(classes: set[str] | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(classes, key=lambda c: CLASS_ORDER.get(c, len(CLASS_ORDER))))


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a resource's bytes are: a provider location, known to the knowledge base or not."""

    provider: str
    code: str | None  # the location code used (a global service's placement for region-less ones)
    region: Region | None  # the knowledge base's record, None when the code is unknown or missing
    #: The region node on the graph (derived from ``provider`` and ``code``, computed once).
    node: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "node", node_id(NodeKind.REGION, f"{self.provider}:{self.code or 'unknown'}"))

    @property
    def known(self) -> bool:
        return self.region is not None


@dataclass(slots=True)
class Facts:
    """What the knowledge base says about one resource before the graph is consulted."""

    res: Resource
    service: Service | None
    placement: Placement
    classes: tuple[str, ...]
    class_source: str
    key_control: str


@dataclass
class Enrichment:
    """The enriched resources, in inventory order, and what could not be mapped or placed."""

    facts: list[Facts] = field(default_factory=list)
    unmapped: Counter[str] = field(default_factory=Counter)
    unknown_regions: Counter[str] = field(default_factory=Counter)

    def __iter__(self) -> Iterator[Facts]:
        return iter(self.facts)


class Enricher:
    """Resolves services, placements, key control and classes, caching each knowledge-base look-up."""

    def __init__(self, kb: KnowledgeBase, classifier: Classifier):
        self.kb = kb
        self.classifier = classifier
        self._services: dict[tuple[str, str], Service | None] = {}
        self._placements: dict[tuple[str, str | None], Placement] = {}
        self._globals: dict[tuple[str, str, str | None], object] = {}

    def service(self, res: Resource) -> Service | None:
        key = (res.provider, res.native_type)
        try:
            return self._services[key]
        except KeyError:
            svc = self._services[key] = self.kb.service(res.provider, res.native_type)
            return svc

    def placement(self, res: Resource, svc: Service | None) -> Placement:
        code = res.region
        if code in (None, "global") and svc is not None:
            # Region-less services run where the knowledge base places them in the resource's
            # partition (an IAM role of aws-cn in Beijing, of aws-eusc in eusc-de-east-1).
            partition = res.attributes.get("partition")
            key = (res.provider, svc.type, partition if isinstance(partition, str) else None)
            found_code = self._globals.get(key, _MISSING)
            if found_code is _MISSING:
                found_code = self._globals[key] = self.kb.global_placement(*key)
            code = found_code if isinstance(found_code, str) else code
        key2 = (res.provider, code)
        found = self._placements.get(key2)
        if found is None:
            region = self.kb.region(res.provider, code)
            found = self._placements[key2] = Placement(res.provider, code, region)
        return found

    def enrich(self, inventory: Inventory) -> Enrichment:
        out = Enrichment()
        facts, unmapped, unknown_regions = out.facts, out.unmapped, out.unknown_regions
        resources = inventory.resources
        unknown_key = KeyControl.UNKNOWN.value
        classifier = self.classifier
        answer = classifier.answer
        # Per native type: its service and whether names count for it, looked up once.
        kinds: dict[tuple[str, str], tuple[Service | None, bool]] = {}
        by_id: dict[str, Facts] = {}
        children: list[tuple[Facts, object]] = []
        for res in resources.values():
            provider = res.provider
            kind_key = (provider, res.native_type)
            kind = kinds.get(kind_key)
            if kind is None:
                svc = self.service(res)
                kind = kinds[kind_key] = (svc, classifier.names_apply(svc, res.native_type))
            svc, names = kind
            if svc is None:
                unmapped[res.native_type] += 1
            placement = self.placement(res, svc)
            if not placement.known:
                unknown_regions[f"{provider}:{placement.code or '(not in export)'}"] += 1
            found = answer(res.tags, res.name, names)
            fact = by_id[res.id] = Facts(res, svc, placement, found.classes, found.source,
                                         _key_control(res, resources) or unknown_key)
            facts.append(fact)
            parent = res.attributes.get("parent")
            if parent:
                children.append((fact, parent))
        _inherit_classes(children, by_id)
        return out


def _key_control(res: Resource, resources: Mapping[str, Resource]) -> str | None:
    """A key's own control, or the control of the key a resource uses (refined by that key's record)."""
    control = res.attributes.get("key_control")
    if control:
        return str(control)
    if res.key is None:
        return None
    key_res = resources.get(res.key.key_id) if res.key.key_id else None
    if key_res is not None and key_res.attributes.get("key_control"):
        return str(key_res.attributes["key_control"])
    return res.key.control.value


def _inherit_classes(children: list[tuple[Facts, object]], by_id: Mapping[str, Facts]) -> None:
    """A child holds part of what its parent holds (a table of a patient-records dataset, a database
    of a server): it gains its parent's classes, walking up to the root (parents before children).
    ``children`` are the facts whose resource names a parent, with that parent's id, in inventory order."""

    def classes_of(f: Facts, depth: int = 0) -> set[str]:
        own = {c for c in f.classes if c != "unknown"}
        parent = by_id.get(str(f.res.attributes.get("parent", ""))) if depth < 8 else None
        return own | (classes_of(parent, depth + 1) if parent is not None else set())

    for f, pid in children:
        parent = by_id.get(str(pid))
        if parent is None or (f.service is not None and f.res.id.rsplit("/", 1)[-1].lower() in f.service.system_names):
            continue
        merged = classes_of(f)
        if merged and merged != set(f.classes):
            f.classes = ordered_classes(merged)
            if f.class_source == "default":
                f.class_source = f"parent:{parent.res.id}"
