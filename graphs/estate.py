"""The estate on the graph: the skeleton, every placement, and the resources that take part in a relation.

Second step of an assessment (enrich → graph → reach → score → summarise). Resources that take
part in a relation (a flow, or a key that is itself inventoried) become nodes with their
``hosted_in`` and ``in_account`` edges; every other resource is fully described by its placement,
whose region node carries its paths to the laws, so a million unrelated resources cost dictionary
look-ups, not graph nodes. Flows become ``flows_to`` edges; a destination outside the inventory is
placed where the export says it is (or, for geo-redundant storage, in the region's documented
pair). Copies then hand their source's data classes on, along the graph's copy edges.
"""

from __future__ import annotations

from graphs.build import Graph, GraphBuilder
from graphs.schema import EdgeKind, NodeKind
from scanner.enrich import Enrichment, Facts, ordered_classes
from scanner.inventory import Inventory
from scanner.kb.loader import KnowledgeBase
from scanner.model import Flow, FlowKind

_FLOWS_TO = EdgeKind.FLOWS_TO.value


def build_estate_graph(kb: KnowledgeBase, inventory: Inventory, enrichment: Enrichment,
                       warnings: list[str]) -> tuple[Graph[str], list[Flow]]:
    """The graph of one estate, and the flows it holds (deduplicated, destinations placed)."""
    builder = GraphBuilder(kb)
    builder.add_skeleton()
    resources = inventory.resources
    related = {f.source for f in inventory.flows} | {f.target for f in inventory.flows if f.target in resources}
    keyed = [(rid, res.key.key_id) for rid, res in resources.items()
             if res.key is not None and res.key.key_id and res.key.key_id in resources]
    for rid, key_id in keyed:
        related.update((rid, key_id))
    accounts: dict[tuple[str, str], str] = {}
    for facts in enrichment:
        placement = facts.placement
        if placement.node not in builder.g:
            builder.add_region(placement.provider, placement.code)
        res = facts.res
        if res.id in related:
            account = None
            if res.account:
                account = accounts.get((res.provider, res.account))
                if account is None:
                    account = accounts[(res.provider, res.account)] = builder.node(
                        NodeKind.ACCOUNT, f"{res.provider}:{res.account}")
            builder.attach(res.id, placement.node, account)
    flows = _add_flows(builder, inventory, warnings)
    for rid, key_id in keyed:
        builder.edge(EdgeKind.ENCRYPTED_BY, rid, key_id)
    return builder.g, flows


def _unique_flows(flows: list[Flow]) -> list[Flow]:
    """The same flow is often shown by both ends (a primary lists its replica, the replica names its
    primary): keep one per (source, target, kind), preferring the record that knows the region."""
    unique: dict[tuple[str, str, str], Flow] = {}
    for flow in flows:
        key = (flow.source, flow.target, str(flow.kind))
        old = unique.get(key)
        if old is None or (old.target_region is None and flow.target_region is not None):
            unique[key] = flow
    return list(unique.values())


def _add_flows(builder: GraphBuilder, inventory: Inventory, warnings: list[str]) -> list[Flow]:
    kb = builder.kb
    resources = inventory.resources
    resolved: list[Flow] = []
    for flow in _unique_flows(inventory.flows):
        source = resources.get(flow.source)
        if source is None:
            warnings.append(f"{flow.kind} flow from {flow.source} ignored: source not in the inventory")
            continue
        if flow.target_region is None and source.attributes.get("geo_pair_needed") and source.region:
            region = kb.region(source.provider, source.region)
            if region is not None and region.paired:
                flow = Flow(flow.source, flow.target, flow.kind, f"{flow.evidence}; pair of {source.region} "
                            f"({region.source})", flow.target_provider or source.provider, region.paired)
        if flow.target not in resources:
            provider = flow.target_provider or source.provider
            region_node, region = builder.add_region(provider, flow.target_region)
            if flow.target_region is None:
                warnings.append(f"{flow.kind} flow {flow.source} → {flow.target}: destination location "
                                "not in the inventory")
            elif region is None:
                warnings.append(f"{flow.kind} flow {flow.source} → {flow.target}: unknown region "
                                f"{provider}:{flow.target_region}")
            builder.external(flow.target, region_node)
        builder.edge(EdgeKind.FLOWS_TO, flow.source, flow.target, key=f"{_FLOWS_TO}:{flow.kind}",
                     flow=str(flow.kind), evidence=flow.evidence)
        resolved.append(flow)
    return resolved


def propagate_classes(g: Graph[str], facts: dict[str, Facts]) -> None:
    """A copy holds what its source holds: each copy gains the classes of every resource it copies,
    transitively (the descendants of a resource along copy edges).

    The copy edges are read once into an adjacency list: a search per source over a filtered view
    of the whole graph costs the size of the graph each time (networkx measures a view's length by
    walking it), which made this step quadratic in the number of related resources.
    """
    copies: dict[str, list[str]] = {}
    for u, v, k, data in g.edges(keys=True, data=True):
        if k.startswith(_FLOWS_TO) and FlowKind(data["flow"]).copies:
            copies.setdefault(u, []).append(v)
    sources = [n for n in g.nodes if n in copies and n in facts]  # graph order, as before
    for source in sources:
        src = facts[source]
        own = {c for c in src.classes if c != "unknown"}
        if not own:
            continue
        for target in _descendants(copies, source):
            tgt = facts.get(target)
            if tgt is None:
                continue
            merged = own | {c for c in tgt.classes if c != "unknown"}
            if merged != set(tgt.classes):
                tgt.classes = ordered_classes(merged)
                if tgt.class_source == "default":
                    tgt.class_source = f"flow:{source}"


def _descendants(adjacency: dict[str, list[str]], source: str) -> set[str]:
    """Nodes reachable from ``source`` along the adjacency lists (``source`` itself only on a cycle)."""
    seen: set[str] = set()
    stack = list(adjacency.get(source, ()))
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(adjacency.get(node, ()))
    seen.discard(source)
    return seen

