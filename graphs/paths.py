"""Path queries on the jurisdiction graph: which laws reach a placement, by which tier, and how.

A law reaches a region when a path leads from the region to the law node:

- ``location``: ``region → located_in → country ← applies_in ← law``;
- ``control``: ``region → operated_by → entity → controlled_by* → parent ← reaches(control) ← law``;
- ``presence``: the same walk up the chain, ending at an entity a law reaches by presence (the
  residual tier), kept only when the law does not already reach the region by control or location.

Results are computed once per region node and cached, so scoring a million resources costs one
query per distinct placement plus dictionary look-ups. :meth:`LawQuery.copies` follows the flow
edges whose kind puts a copy of the bytes elsewhere, so a replica's placement counts for its source.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from graphs.build import Graph, in_edges, out_nodes
from graphs.schema import EdgeKind
from scanner.model import FlowKind
from scanner.result import Tier

_FLOWS_TO = EdgeKind.FLOWS_TO.value


@dataclass(frozen=True, slots=True)
class Reach:
    """One way a law reaches a node: the tier and the node path from the placement to the law."""

    law: str  # law id (without the ``law:`` prefix)
    tier: Tier
    via: tuple[str, ...]  # node ids, from the placement to the law node
    verified: bool  # every node and edge on the path is a verified fact


def key_of(node: str) -> str:
    """The key of a ``kind:key`` node id."""
    return node.split(":", 1)[1]


class LawQuery:
    """Cached law-reach queries over one graph."""

    def __init__(self, g: Graph[str]):
        self.g = g
        self._cache: dict[str, tuple[Reach, ...]] = {}

    def _verified(self, nodes: tuple[str, ...]) -> bool:
        nodes_data = self.g.nodes
        return all(nodes_data[n].get("verified", True) for n in nodes)

    def countries_of(self, region_node: str) -> tuple[str, ...]:
        return tuple(sorted(key_of(c) for c in out_nodes(self.g, region_node, EdgeKind.LOCATED_IN)))

    def _operator_node(self, region_node: str) -> str | None:
        """The region's named operator (not the edge to its group, see GraphBuilder._group_edge)."""
        for _, target, data in self.g.out_edges(region_node, data=True):
            if data["kind"] == EdgeKind.OPERATED_BY.value and not data.get("group"):
                return target
        return None

    def operator_of(self, region_node: str) -> str | None:
        """The entity running a region (its ``operated_by`` edge)."""
        node = self._operator_node(region_node)
        return key_of(node) if node is not None else None

    def controller_country(self, region_node: str) -> str | None:
        """Where the ultimate controller of a region's operator is run from (else incorporated)."""
        entity = self._operator_node(region_node)
        seen: set[str] = set()
        while entity is not None and entity not in seen:
            seen.add(entity)
            parent = next(out_nodes(self.g, entity, EdgeKind.CONTROLLED_BY), None)
            if parent is None:
                break
            entity = parent
        if entity is None:
            return None
        place = next(out_nodes(self.g, entity, EdgeKind.RUN_FROM), None) or next(
            out_nodes(self.g, entity, EdgeKind.INCORPORATED_IN), None)
        return key_of(place) if place is not None else None

    def reach_region(self, region_node: str) -> tuple[Reach, ...]:
        """Every law reaching a region, with the shortest explaining path per (law, tier)."""
        cached = self._cache.get(region_node)
        if cached is not None:
            return cached
        found: dict[tuple[str, Tier], Reach] = {}

        def add(law_node: str, tier: Tier, path: tuple[str, ...], edge_verified: bool = True) -> None:
            key = (law_node, tier)
            via = (*path, law_node)
            reach = Reach(key_of(law_node), tier, via, edge_verified and self._verified(via))
            old = found.get(key)
            # A verified path beats an unverified one; then the shorter explanation wins.
            if old is None or (reach.verified, -len(via)) > (old.verified, -len(old.via)):
                found[key] = reach

        for country in out_nodes(self.g, region_node, EdgeKind.LOCATED_IN):
            for law_node, _ in in_edges(self.g, country, EdgeKind.APPLIES_IN):
                add(law_node, Tier.LOCATION, (region_node, country))
        # The operator and each parent up the chain (breadth-first, cycle-safe).
        queue: deque[tuple[str, tuple[str, ...]]] = deque(
            (ent, (region_node, ent)) for ent in out_nodes(self.g, region_node, EdgeKind.OPERATED_BY))
        seen: set[str] = set()
        while queue:
            ent, path = queue.popleft()
            if ent in seen:
                continue
            seen.add(ent)
            for law_node, data in in_edges(self.g, ent, EdgeKind.REACHES):
                add(law_node, Tier(data["tier"]), path, bool(data.get("verified", True)))
            for parent in out_nodes(self.g, ent, EdgeKind.CONTROLLED_BY):
                queue.append((parent, (*path, parent)))
        stronger = {law for law, tier in found if tier is not Tier.PRESENCE}
        kept = (r for (law, tier), r in found.items() if tier is not Tier.PRESENCE or law not in stronger)
        result = tuple(sorted(kept, key=lambda r: (r.law, r.tier)))
        self._cache[region_node] = result
        return result

    def hosted_region(self, resource_node: str) -> str | None:
        return next(out_nodes(self.g, resource_node, EdgeKind.HOSTED_IN), None)

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
                if not key.startswith(_FLOWS_TO) or not FlowKind(data["flow"]).copies or target in seen:
                    continue
                seen.add(target)
                tpath = (*path, target)
                result.append((target, tpath))
                queue.append((target, tpath))
        return result
