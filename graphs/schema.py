"""The graph schema, declared once: node kinds, edge kinds and which kinds each edge joins.

Builders add nodes and edges only through :class:`graphs.build.GraphBuilder`, which checks every
edge against :data:`EDGES`; the meta-tests walk this table. networkx stays behind this seam.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class NodeKind(StrEnum):
    RESOURCE = "resource"  # a cloud resource (id = its canonical id)
    ACCOUNT = "account"  # AWS account / Azure subscription / GCP project
    REGION = "region"  # a provider location (or a synthetic placement such as a CDN footprint)
    COUNTRY = "country"  # ISO 3166-1 alpha-2
    ZONE = "zone"  # EU, EEA
    ENTITY = "entity"  # a legal entity: a region's operator or one of its parents
    JURISDICTION = "jurisdiction"  # a legal order: a country, or the EU
    LAW = "law"  # a law that can compel access


class EdgeKind(StrEnum):
    IN_ACCOUNT = "in_account"
    HOSTED_IN = "hosted_in"
    LOCATED_IN = "located_in"
    MEMBER_OF = "member_of"
    OPERATED_BY = "operated_by"
    CONTROLLED_BY = "controlled_by"
    INCORPORATED_IN = "incorporated_in"
    RUN_FROM = "run_from"
    PRESENT_IN = "present_in"
    APPLIES_IN = "applies_in"
    REACHES = "reaches"
    FLOWS_TO = "flows_to"
    ENCRYPTED_BY = "encrypted_by"
    PART_OF = "part_of"


@dataclass(frozen=True)
class EdgeSpec:
    kind: EdgeKind
    sources: frozenset[NodeKind]
    targets: frozenset[NodeKind]
    description: str


def _spec(kind: EdgeKind, sources: set[NodeKind], targets: set[NodeKind], description: str) -> EdgeSpec:
    return EdgeSpec(kind, frozenset(sources), frozenset(targets), description)


N = NodeKind
EDGES: dict[EdgeKind, EdgeSpec] = {spec.kind: spec for spec in (
    _spec(EdgeKind.IN_ACCOUNT, {N.RESOURCE}, {N.ACCOUNT}, "resource belongs to an account"),
    _spec(EdgeKind.HOSTED_IN, {N.RESOURCE}, {N.REGION}, "the resource's bytes are in this region"),
    _spec(EdgeKind.LOCATED_IN, {N.REGION}, {N.COUNTRY}, "a region's datacentres are in this country"),
    _spec(EdgeKind.MEMBER_OF, {N.COUNTRY}, {N.ZONE}, "country is a member of EU / EEA"),
    _spec(EdgeKind.OPERATED_BY, {N.REGION, N.RESOURCE}, {N.ENTITY}, "legal entity running the region"),
    _spec(EdgeKind.CONTROLLED_BY, {N.ENTITY}, {N.ENTITY}, "entity is controlled by its parent"),
    _spec(EdgeKind.INCORPORATED_IN, {N.ENTITY}, {N.COUNTRY}, "entity's country of incorporation"),
    _spec(EdgeKind.RUN_FROM, {N.ENTITY}, {N.COUNTRY}, "an offshore holding is run from this country"),
    _spec(EdgeKind.PRESENT_IN, {N.ENTITY}, {N.COUNTRY}, "the group itself operates or serves customers there"),
    _spec(EdgeKind.APPLIES_IN, {N.LAW}, {N.COUNTRY}, "law applies to data on this territory"),
    _spec(EdgeKind.REACHES, {N.LAW}, {N.ENTITY}, "law can compel this entity (tier: control or presence)"),
    _spec(EdgeKind.FLOWS_TO, {N.RESOURCE}, {N.RESOURCE}, "bytes of the source also exist at the target"),
    _spec(EdgeKind.ENCRYPTED_BY, {N.RESOURCE}, {N.RESOURCE}, "resource is encrypted with this key"),
    _spec(EdgeKind.PART_OF, {N.LAW, N.COUNTRY}, {N.JURISDICTION}, "law or country belongs to a legal order"),
)}


def node_id(kind: NodeKind, key: str) -> str:
    """Graph node id: resources keep their own id; every other kind is ``kind:key``."""
    return key if kind is NodeKind.RESOURCE else f"{kind.value}:{key}"
