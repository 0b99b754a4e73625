"""Build the jurisdiction graph from an enriched inventory and the knowledge base.

The skeleton (regions → countries → zones; regions → operating entities → parents; laws →
countries they apply in and entities they reach) is added once per distinct region, entity and
law; resources hang off it by ``hosted_in`` and ``in_account`` edges, with ``flows_to`` and
``encrypted_by`` edges between them. Every edge goes through :meth:`GraphBuilder.edge`, which
checks it against :mod:`graphs.schema`.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from graphs.schema import EDGES, EdgeKind, NodeKind, node_id
from scanner.kb.loader import KnowledgeBase
from scanner.kb.schema import Region, Trigger

_RESOURCE = NodeKind.RESOURCE.value
_HOSTED_IN = EdgeKind.HOSTED_IN.value
_IN_ACCOUNT = EdgeKind.IN_ACCOUNT.value
# ``attach`` adds these two edge kinds between fixed node kinds without a per-edge check.
assert {NodeKind.RESOURCE} <= EDGES[EdgeKind.HOSTED_IN].sources
assert {NodeKind.REGION} <= EDGES[EdgeKind.HOSTED_IN].targets
assert {NodeKind.RESOURCE} <= EDGES[EdgeKind.IN_ACCOUNT].sources
assert {NodeKind.ACCOUNT} <= EDGES[EdgeKind.IN_ACCOUNT].targets


class SchemaError(Exception):
    """An edge between node kinds the schema does not allow (a programming error)."""


class GraphBuilder:
    """Adds nodes and schema-checked edges to a networkx ``MultiDiGraph``."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.g: Any = nx.MultiDiGraph()
        self._regions_done: set[str] = set()
        self._entities_done: set[str] = set()

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
        the node kinds are fixed here, so the schema is checked once in ``__init__``, not per edge)."""
        g = self.g
        g.add_node(resource, kind=_RESOURCE)
        g.add_edge(resource, region_node, key=_HOSTED_IN, kind=_HOSTED_IN)
        if account_node is not None:
            g.add_edge(resource, account_node, key=_IN_ACCOUNT, kind=_IN_ACCOUNT)

    # ------------------------------------------------------------------ skeleton
    def add_laws(self) -> None:
        """Laws, the countries they apply in, and the entities they reach by control/presence."""
        kb = self.kb
        for country in kb.countries.values():
            cid = self.node(NodeKind.COUNTRY, country.code)
            self.edge(EdgeKind.PART_OF, cid, self.node(NodeKind.JURISDICTION, country.code))
            if country.eu:
                self.edge(EdgeKind.MEMBER_OF, cid, self.node(NodeKind.ZONE, "EU"))
            if country.eea:
                self.edge(EdgeKind.MEMBER_OF, cid, self.node(NodeKind.ZONE, "EEA"))
        for ent in kb.entities.values():
            self.add_entity(ent.id)
        for law in kb.laws.values():
            lid = self.node(NodeKind.LAW, law.id)
            self.edge(EdgeKind.PART_OF, lid, self.node(NodeKind.JURISDICTION, law.jurisdiction))
            if Trigger.LOCATION in law.triggers:
                places = law.applies_in or ([law.jurisdiction] if law.jurisdiction != "EU" else
                                            [c.code for c in kb.countries.values() if c.eu])
                for code in places:
                    self.edge(EdgeKind.APPLIES_IN, lid, self.node(NodeKind.COUNTRY, code))
            if Trigger.CONTROL in law.triggers:
                for ent in kb.entities.values():
                    if law.jurisdiction in (ent.country, ent.controlled_from) or (
                            law.jurisdiction == "EU" and kb.countries.get(
                            ent.country) is not None and kb.countries[ent.country].eu):
                        self.edge(EdgeKind.REACHES, lid, node_id(NodeKind.ENTITY, ent.id), via="incorporation")
                    elif ent.presence_in(law.jurisdiction) is not None:
                        self.edge(EdgeKind.REACHES, lid, node_id(NodeKind.ENTITY, ent.id), via="presence")

    def add_entity(self, entity_id: str) -> str:
        nid = node_id(NodeKind.ENTITY, entity_id)
        if entity_id in self._entities_done:
            return nid
        self._entities_done.add(entity_id)
        ent = self.kb.entities[entity_id]
        self.node(NodeKind.ENTITY, entity_id, name=ent.name)
        self.edge(EdgeKind.INCORPORATED_IN, nid, self.node(NodeKind.COUNTRY, ent.country))
        for pres in ent.presence:
            self.edge(EdgeKind.PRESENT_IN, nid, self.node(NodeKind.COUNTRY, pres.country))
        if ent.parent and ent.parent in self.kb.entities:
            self.edge(EdgeKind.CONTROLLED_BY, nid, self.add_entity(ent.parent))
        return nid

    def add_region(self, provider: str, code: str | None) -> tuple[str, Region | None]:
        """The region node for a provider location (known or not), with its country and operator."""
        key = f"{provider}:{code or 'unknown'}"
        nid = node_id(NodeKind.REGION, key)
        region = self.kb.region(provider, code)
        if key in self._regions_done:
            return nid, region
        self._regions_done.add(key)
        self.node(NodeKind.REGION, key, provider=provider, code=code, known=region is not None)
        if region is not None:
            for country in self.kb.region_countries(region):
                self.edge(EdgeKind.LOCATED_IN, nid, self.node(NodeKind.COUNTRY, country))
        operator = self.kb.operator_of(provider, region, code)
        if operator is not None and operator in self.kb.entities:
            self.edge(EdgeKind.OPERATED_BY, nid, self.add_entity(operator))
        return nid, region

    def add_alternatives(self) -> None:
        for (provider, typ), svc in self.kb.services.items():
            sid = self.node(NodeKind.SERVICE, f"{provider}:{typ}", name=svc.name)
            for alt in svc.alternatives:
                if alt in self.kb.alternatives:
                    self.edge(EdgeKind.ALTERNATIVE_FOR, self.node(NodeKind.ALTERNATIVE, alt), sid)
