"""Build the jurisdiction graph from the knowledge base and an enriched inventory.

The skeleton is added once per scan: countries (with the legal orders and zones they belong to),
legal entities (where each is incorporated or run from, where the group is present, who controls
it), and laws (the countries they apply in; the entities they reach, derived from the skeleton's
own edges: by control, an entity incorporated in or run from the law's jurisdiction; by presence,
for laws with a documented reach over foreign groups, an entity present there). Every country
where bytes may sit and that no location-triggered law record covers gets a generic law node
(``law:unlisted-law:XX``), so that every law reached is a node and every path ends at a law.

Regions are added once per distinct placement, resources only when they take part in a relation
(a flow or an inventoried key): every other resource is described by its placement alone. Every
edge goes through :meth:`GraphBuilder.edge`, which checks it against :mod:`graphs.schema`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import networkx as nx

from graphs.schema import EDGES, EdgeKind, NodeKind, node_id
from scanner.kb.loader import KnowledgeBase
from scanner.kb.schema import Law, Region, Trigger
from scanner.result import UNLISTED, Tier

_RESOURCE = NodeKind.RESOURCE.value
_HOSTED_IN = EdgeKind.HOSTED_IN.value
_IN_ACCOUNT = EdgeKind.IN_ACCOUNT.value
# ``attach`` adds these two edge kinds between fixed node kinds without a per-edge check.
assert {NodeKind.RESOURCE} <= EDGES[EdgeKind.HOSTED_IN].sources
assert {NodeKind.REGION} <= EDGES[EdgeKind.HOSTED_IN].targets
assert {NodeKind.RESOURCE} <= EDGES[EdgeKind.IN_ACCOUNT].sources
assert {NodeKind.ACCOUNT} <= EDGES[EdgeKind.IN_ACCOUNT].targets

Graph = nx.MultiDiGraph  # the graph type; nodes are str ids (graphs.schema.node_id)


class SchemaError(Exception):
    """An edge between node kinds the schema does not allow (a programming error)."""


def out_nodes(g: Graph[str], node: str, kind: EdgeKind) -> Iterator[str]:
    """Targets of ``node``'s outgoing edges of one kind."""
    for _, target, data in g.out_edges(node, data=True):
        if data["kind"] == kind.value:
            yield target


def in_edges(g: Graph[str], node: str, kind: EdgeKind) -> Iterator[tuple[str, dict[str, Any]]]:
    """Sources and attributes of ``node``'s incoming edges of one kind."""
    for source, _, data in g.in_edges(node, data=True):
        if data["kind"] == kind.value:
            yield source, data


class GraphBuilder:
    """Adds nodes and schema-checked edges to a networkx ``MultiDiGraph``."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.g: Graph[str] = nx.MultiDiGraph()
        self._regions_done: set[str] = set()

    # ------------------------------------------------------------------ primitives
    def node(self, kind: NodeKind, key: str, **attrs: Any) -> str:
        nid = node_id(kind, key)
        if nid not in self.g:
            self.g.add_node(nid, kind=kind.value, **attrs)
        return nid

    def edge(self, kind: EdgeKind, source: str, target: str, key: str | None = None, **attrs: Any) -> None:
        spec = EDGES[kind]
        skind = self.g.nodes[source]["kind"]
        tkind = self.g.nodes[target]["kind"]
        if skind not in spec.sources or tkind not in spec.targets:
            raise SchemaError(f"{kind} cannot join {skind} → {tkind}")
        self.g.add_edge(source, target, key=key or kind.value, kind=kind.value, **attrs)

    def attach(self, resource: str, region_node: str, account_node: str | None) -> None:
        """A resource node with its ``hosted_in`` and ``in_account`` edges (the per-resource hot path:
        the node kinds are fixed here, so the schema is checked once at import, not per edge)."""
        g = self.g
        g.add_node(resource, kind=_RESOURCE)
        g.add_edge(resource, region_node, key=_HOSTED_IN, kind=_HOSTED_IN)
        if account_node is not None:
            g.add_edge(resource, account_node, key=_IN_ACCOUNT, kind=_IN_ACCOUNT)

    def external(self, resource: str, region_node: str) -> None:
        """A flow's destination that is not in the inventory, placed where the export says it is."""
        if resource not in self.g:
            self.g.add_node(resource, kind=_RESOURCE, external=True)
        if not any(True for _ in out_nodes(self.g, resource, EdgeKind.HOSTED_IN)):
            self.edge(EdgeKind.HOSTED_IN, resource, region_node)

    # ------------------------------------------------------------------ skeleton
    def add_skeleton(self) -> None:
        """Countries, entities and laws, with the edges that say which law reaches which entity."""
        self._add_countries()
        for entity_id in self.kb.entities:
            self._add_entity(entity_id)
        for law in self.kb.laws.values():
            self._add_law(law)
        self._add_unlisted_laws()

    def _add_countries(self) -> None:
        for country in self.kb.countries.values():
            cid = self.node(NodeKind.COUNTRY, country.code, verified=country.verified)
            self.edge(EdgeKind.PART_OF, cid, self.node(NodeKind.JURISDICTION, country.code))
            for zone, member in (("EU", country.eu), ("EEA", country.eea)):
                if member:
                    self.edge(EdgeKind.MEMBER_OF, cid, self.node(NodeKind.ZONE, zone))

    def _add_entity(self, entity_id: str) -> str:
        nid = node_id(NodeKind.ENTITY, entity_id)
        if nid in self.g:
            return nid
        ent = self.kb.entities[entity_id]
        self.node(NodeKind.ENTITY, entity_id, name=ent.name, verified=ent.verified)
        self.edge(EdgeKind.INCORPORATED_IN, nid, self._country(ent.country))
        if ent.controlled_from:
            self.edge(EdgeKind.RUN_FROM, nid, self._country(ent.controlled_from))
        for presence in ent.presence:
            self.edge(EdgeKind.PRESENT_IN, nid, self._country(presence.country), verified=presence.verified)
        if ent.parent and ent.parent in self.kb.entities:
            self.edge(EdgeKind.CONTROLLED_BY, nid, self._add_entity(ent.parent))
        return nid

    def _country(self, code: str) -> str:
        return self.node(NodeKind.COUNTRY, code)

    def _jurisdiction_countries(self, jurisdiction: str) -> set[str]:
        """Country nodes of a legal order: the country itself, or every member of the EU."""
        if jurisdiction == "EU":
            return {c for c, _ in in_edges(self.g, node_id(NodeKind.ZONE, "EU"), EdgeKind.MEMBER_OF)}
        return {node_id(NodeKind.COUNTRY, jurisdiction)}

    def _add_law(self, law: Law) -> None:
        verified = law.verified
        lid = self.node(NodeKind.LAW, law.id, verified=verified)
        self.edge(EdgeKind.PART_OF, lid, self.node(NodeKind.JURISDICTION, law.jurisdiction))
        countries = self._jurisdiction_countries(law.jurisdiction)
        if Trigger.LOCATION in law.triggers:
            places = ({node_id(NodeKind.COUNTRY, c) for c in law.applies_in} if law.applies_in else countries)
            for country in sorted(places):
                self.edge(EdgeKind.APPLIES_IN, lid, self._country(country.split(":", 1)[1]))
        if Trigger.CONTROL in law.triggers:
            for country in sorted(countries):
                for edge_kind in (EdgeKind.INCORPORATED_IN, EdgeKind.RUN_FROM):
                    for ent, _ in in_edges(self.g, country, edge_kind):
                        self.edge(EdgeKind.REACHES, lid, ent, key=f"reaches:{Tier.CONTROL}", tier=Tier.CONTROL.value,
                                  verified=verified)
        if law.presence_reach is not None:
            reach_verified = verified and law.presence_reach.verified
            for country in sorted(countries):
                for ent, _ in in_edges(self.g, country, EdgeKind.PRESENT_IN):
                    self.edge(EdgeKind.REACHES, lid, ent, key=f"reaches:{Tier.PRESENCE}", tier=Tier.PRESENCE.value,
                              verified=reach_verified, country=country.split(":", 1)[1])

    def _add_unlisted_laws(self) -> None:
        """A generic law node for each country outside the EEA that no location-triggered law covers."""
        covered = {country for _, country, data in self.g.edges(data=True) if data["kind"] == EdgeKind.APPLIES_IN.value}
        for country in self.kb.countries.values():
            cid = node_id(NodeKind.COUNTRY, country.code)
            if country.eea or cid in covered:
                continue
            lid = self.node(NodeKind.LAW, f"{UNLISTED}{country.code}", verified=False, generic=True)
            self.edge(EdgeKind.PART_OF, lid, self.node(NodeKind.JURISDICTION, country.code))
            self.edge(EdgeKind.APPLIES_IN, lid, cid)

    # ------------------------------------------------------------------ placements
    def add_region(self, provider: str, code: str | None) -> tuple[str, Region | None]:
        """The region node for a provider location (known or not), with its countries and operator."""
        key = f"{provider}:{code or 'unknown'}"
        nid = node_id(NodeKind.REGION, key)
        region = self.kb.region(provider, code)
        if key in self._regions_done:
            return nid, region
        self._regions_done.add(key)
        self.node(NodeKind.REGION, key, provider=provider, code=code, known=region is not None,
                  # An unknown location asserts no fact: it adds no country, and the operator of a
                  # region the knowledge base does not know is the provider's default one.
                  verified=region.verified if region is not None else True)
        if region is not None:
            for country in self.kb.region_countries(region):
                self.edge(EdgeKind.LOCATED_IN, nid, self._country(country))
        operator = self.kb.operator_of(provider, region, code)
        if operator is not None and operator in self.kb.entities:
            self.edge(EdgeKind.OPERATED_BY, nid, self._add_entity(operator))
            self._group_edge(provider, nid, operator)
        return nid, region

    def _group_edge(self, provider: str, region_node: str, operator: str) -> None:
        """When the named operator is not a verified fact but the provider's group is, a second,
        verified ``operated_by`` edge says what is known: a company of that group runs the region."""
        prov = self.kb.providers.get(provider)
        group = prov.group if prov is not None else None
        if group is None or not group.verified or group.entity == operator:
            return
        chain = self.kb.entity_chain(operator)
        if all(e.verified for e in chain) or group.entity not in {e.id for e in chain}:
            return
        self.edge(EdgeKind.OPERATED_BY, region_node, self._add_entity(group.entity), key="operated_by:group",
                  group=True)
