"""Path queries on the jurisdiction graph: which laws reach a placement, and how.

A law reaches a region when a path leads from the region to the law: through location
(``region → located_in → country ← applies_in ← law``) or through control
(``region → operated_by → entity → controlled_by* → parent ← reaches ← law``). Results are
computed once per region node and cached, so scoring a million resources costs one query per
distinct placement plus dictionary look-ups. Flow closure follows ``flows_to`` edges of the kinds
that copy bytes, so a replica's placement counts for its source.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphs.schema import EdgeKind

#: Flow kinds that put a copy of the bytes somewhere else (peering and trust are access paths,
#: recorded as flows but not counted as copies).
COPY_KINDS = frozenset({"replication", "replica", "failover", "backup", "logs", "cdn", "multi-region"})


@dataclass(frozen=True, slots=True)
class Reach:
    """One way a law reaches a node: the trigger and the node path from the start to the law."""

    law: str  # law id (without the ``law:`` prefix)
    trigger: str  # control | presence | location
    via: tuple[str, ...]  # node ids, from the placement to the law node


def _out(g: Any, node: str, kind: EdgeKind) -> Iterator[str]:
    for _, target, key in g.out_edges(node, keys=True):
        if key == kind.value:
            yield target


def _in(g: Any, node: str, kind: EdgeKind) -> Iterator[tuple[str, dict[str, Any]]]:
    for source, _, key, data in g.in_edges(node, keys=True, data=True):
        if key == kind.value:
            yield source, data


class LawQuery:
    """Cached law-reach queries over one graph."""

    def __init__(self, g: Any):
        self.g = g
        self._cache: dict[str, tuple[Reach, ...]] = {}

    def countries_of(self, region_node: str) -> list[str]:
        return sorted(c.split(":", 1)[1] for c in _out(self.g, region_node, EdgeKind.LOCATED_IN))

    def reach_region(self, region_node: str) -> tuple[Reach, ...]:
        """Every law reaching a region, with the shortest explaining path per (law, trigger)."""
        cached = self._cache.get(region_node)
        if cached is not None:
            return cached
        found: dict[tuple[str, str], Reach] = {}

        def add(law_node: str, trigger: str, path: tuple[str, ...]) -> None:
            key = (law_node, trigger)
            if key not in found or len(path) < len(found[key].via):
                found[key] = Reach(law_node.split(":", 1)[1], trigger, (*path, law_node))

        for country in _out(self.g, region_node, EdgeKind.LOCATED_IN):
            for law_node, _ in _in(self.g, country, EdgeKind.APPLIES_IN):
                add(law_node, "location", (region_node, country))
        # Control: the operator and each parent up the chain (breadth-first, cycle-safe).
        queue: deque[tuple[str, tuple[str, ...]]] = deque(
            (ent, (region_node, ent)) for ent in _out(self.g, region_node, EdgeKind.OPERATED_BY))
        seen: set[str] = set()
        while queue:
            ent, path = queue.popleft()
            if ent in seen:
                continue
            seen.add(ent)
            for law_node, data in _in(self.g, ent, EdgeKind.REACHES):
                add(law_node, "control" if data.get("via") == "incorporation" else "presence", path)
            for parent in _out(self.g, ent, EdgeKind.CONTROLLED_BY):
                queue.append((parent, (*path, parent)))
        result = tuple(sorted(found.values(), key=lambda r: (r.law, r.trigger)))
        self._cache[region_node] = result
        return result

    def hosted_region(self, resource_node: str) -> str | None:
        for region in _out(self.g, resource_node, EdgeKind.HOSTED_IN):
            return region
        return None

    def copies(self, resource_node: str) -> list[tuple[str, tuple[str, ...]]]:
        """Resources holding copies of this one's bytes (transitively), each with the flow path."""
        result: list[tuple[str, tuple[str, ...]]] = []
        if not self.g.out_degree(resource_node):
            return result
        seen = {resource_node}
        queue: deque[tuple[str, tuple[str, ...]]] = deque([(resource_node, (resource_node,))])
        while queue:
            node, path = queue.popleft()
            for _, target, key, data in self.g.out_edges(node, keys=True, data=True):
                if not key.startswith(EdgeKind.FLOWS_TO.value) or data.get("flow") not in COPY_KINDS:
                    continue
                if target in seen:
                    continue
                seen.add(target)
                tpath = (*path, target)
                result.append((target, tpath))
                queue.append((target, tpath))
        return result
