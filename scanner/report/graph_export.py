"""The jurisdiction graph out: GraphML, node-link JSON, and a Cypher script for Neo4j-style databases.

The scan's graph holds only the resources that take part in a relation (graphs/estate.py); the
export adds every other resource, placed in its region and account, so the file describes the whole
estate. Every node carries its kind, a label, and its attributes; resources carry what the scan
concluded (data classes, countries holding a copy, operator, exposure). Lists are written as lists
in JSON and Cypher, and as space-separated strings in GraphML (GraphML values are scalars).

Labels follow Cartography where it has a node for the same thing, so that a Cartography user can
join the two graphs (on ``arn`` for AWS resources, ``id`` for accounts): ``AWSAccount``,
``AzureSubscription``, ``GCPProject``, ``S3Bucket``, ``EC2Instance``, ``EBSVolume``, ``RDSInstance``,
``DynamoDBTable``, ``KMSKey``, ``AWSLambda``, ``AzureStorageAccount``, ``AzureVirtualMachine``,
``AzureSQLServer``, ``AzureSQLDatabase``, ``AzureCosmosDBAccount``, ``GCPBucket``, ``GCPInstance``;
sovscan's own for the rest: ``CloudResource``, ``CloudAccount``, ``Region``, ``Country``, ``Zone``,
``LegalEntity``, ``Jurisdiction``, ``Law``. Relationship types are the edge kinds in upper case,
except the account edge, written as Cartography writes it: ``(account)-[:RESOURCE]->(resource)``.

The Cypher script is openCypher: ``CREATE`` for nodes and ``MATCH … CREATE`` for relationships,
which Neo4j, Memgraph and FalkorDB run as they are. The ``ladybug`` dialect prefixes the typed
node and relationship tables that LadybugDB (and Kùzu) need before data can be created.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from enum import StrEnum
from typing import IO, TYPE_CHECKING, Any

import orjson

from graphs.schema import EdgeKind, NodeKind, node_id

if TYPE_CHECKING:  # networkx is imported by the functions that write: every command imports this module's enums
    import networkx as nx

    from scanner.result import Assessed, ScanResult

#: Cartography's node labels for sovscan's service types (Cartography schema, legacy label names).
CARTOGRAPHY_LABELS = {
    "AWS::S3::Bucket": "S3Bucket", "AWS::EC2::Instance": "EC2Instance", "AWS::EC2::Volume": "EBSVolume",
    "AWS::RDS::DBInstance": "RDSInstance", "AWS::DynamoDB::Table": "DynamoDBTable", "AWS::KMS::Key": "KMSKey",
    "AWS::Lambda::Function": "AWSLambda",
    "microsoft.storage/storageaccounts": "AzureStorageAccount",
    "microsoft.compute/virtualmachines": "AzureVirtualMachine", "microsoft.sql/servers": "AzureSQLServer",
    "microsoft.sql/servers/databases": "AzureSQLDatabase",
    "microsoft.documentdb/databaseaccounts": "AzureCosmosDBAccount",
    "storage.googleapis.com/Bucket": "GCPBucket", "compute.googleapis.com/Instance": "GCPInstance",
}
ACCOUNT_LABELS = {"aws": "AWSAccount", "azure": "AzureSubscription", "gcp": "GCPProject"}
KIND_LABELS = {NodeKind.REGION.value: "Region", NodeKind.COUNTRY.value: "Country", NodeKind.ZONE.value: "Zone",
               NodeKind.ENTITY.value: "LegalEntity", NodeKind.JURISDICTION.value: "Jurisdiction",
               NodeKind.LAW.value: "Law", NodeKind.ACCOUNT.value: "CloudAccount",
               NodeKind.RESOURCE.value: "CloudResource"}
RESOURCE_REL = "RESOURCE"  # Cartography's (account)-[:RESOURCE]->(resource)


class GraphFormat(StrEnum):
    graphml = "graphml"
    cypher = "cypher"
    json = "json"


class Dialect(StrEnum):
    neo4j = "neo4j"
    ladybug = "ladybug"


def _resource_attrs(a: Assessed) -> dict[str, Any]:
    res = a.res
    attrs: dict[str, Any] = {
        "name": res.name, "provider": res.provider, "native_type": res.native_type,
        "service": a.service.type if a.service else None, "region": res.region, "placement": a.placement,
        "account": res.account, "country": a.country, "locations": list(a.locations),
        "data_classes": list(a.classes), "data_bearing": a.profile.data_bearing, "key_control": a.key_control,
        "operator": a.operator,
        "controller_country": a.controller_country, "exposure": a.exposure, "exposure_level": a.exposure_level,
        "lockin": a.lockin, "effort": a.effort, "size_gb": res.size_gb,
        "foreign_laws": sorted({h.law for h in a.hits if h.counts}),
        "residual_laws": sorted({h.law for h in a.hits if h.residual}),
        "tf_address": res.tf_address or res.attributes.get("tf_address"),
    }
    if res.provider == "aws" and res.id.startswith("arn:"):
        attrs["arn"] = res.id
    return {k: v for k, v in attrs.items() if v is not None}


def label_of(g: nx.MultiDiGraph[str], nid: str) -> str:
    data = g.nodes[nid]
    kind = data.get("kind", "")
    if kind == NodeKind.RESOURCE.value:
        return CARTOGRAPHY_LABELS.get(str(data.get("service") or ""), "CloudResource")
    if kind == NodeKind.ACCOUNT.value:
        return ACCOUNT_LABELS.get(str(data.get("provider") or ""), "CloudAccount")
    return KIND_LABELS.get(kind, "Node")


def export_graph(result: ScanResult) -> nx.MultiDiGraph[str]:
    """The whole graph: the scan's graph plus every resource, with attributes and labels."""
    import networkx as nx

    g: nx.MultiDiGraph[str] = nx.MultiDiGraph(result.graph) if result.graph is not None else nx.MultiDiGraph()
    for a in result.assessed:
        res = a.res
        rid = res.id
        if rid not in g:
            g.add_node(rid, kind=NodeKind.RESOURCE.value)
            region = node_id(NodeKind.REGION, f"{res.provider}:{a.placement or 'unknown'}")
            if region in g:
                g.add_edge(rid, region, key=EdgeKind.HOSTED_IN.value, kind=EdgeKind.HOSTED_IN.value)
            if res.account:
                account = node_id(NodeKind.ACCOUNT, f"{res.provider}:{res.account}")
                if account not in g:
                    g.add_node(account, kind=NodeKind.ACCOUNT.value)
                g.add_edge(rid, account, key=EdgeKind.IN_ACCOUNT.value, kind=EdgeKind.IN_ACCOUNT.value)
        g.nodes[rid].update(_resource_attrs(a))
    laws = result.kb.laws
    for nid, data in g.nodes(data=True):
        kind = data.get("kind")
        key = nid.split(":", 1)[1] if kind != NodeKind.RESOURCE.value and ":" in nid else nid
        if kind == NodeKind.ACCOUNT.value:
            provider, _, account = key.partition(":")
            data.setdefault("provider", provider)
            data.setdefault("account", account)
        elif kind == NodeKind.LAW.value and key in laws:
            data.setdefault("name", laws[key].name)
            data.setdefault("citation", " ".join(laws[key].citation.split()))
            data.setdefault("jurisdiction", laws[key].jurisdiction)
        elif kind in (NodeKind.COUNTRY.value, NodeKind.ZONE.value, NodeKind.JURISDICTION.value):
            data.setdefault("code", key)
        data["key"] = key
    for nid in g.nodes:
        g.nodes[nid]["label"] = label_of(g, nid)
    return g


# --------------------------------------------------------------------------- GraphML and JSON


def _scalar(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return value


def write_graphml(g: nx.MultiDiGraph[str], out: IO[bytes]) -> None:
    """GraphML (networkx reads it back); list attributes as space-separated strings."""
    import networkx as nx

    flat: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    for nid, data in g.nodes(data=True):
        flat.add_node(nid, **{k: _scalar(v) for k, v in data.items() if v is not None})
    for u, v, k, data in g.edges(keys=True, data=True):
        flat.add_edge(u, v, key=k, **{key: _scalar(val) for key, val in data.items() if val is not None})
    nx.write_graphml(flat, out, encoding="utf-8", prettyprint=True, named_key_ids=True)


def write_json(g: nx.MultiDiGraph[str], out: IO[bytes]) -> None:
    """networkx node-link JSON (``nodes``, ``edges``), readable with ``nx.node_link_graph(…, edges="edges")``."""
    import networkx as nx

    data = nx.node_link_data(g, edges="edges")
    out.write(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    out.write(b"\n")


# --------------------------------------------------------------------------- Cypher


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "null"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(str(v)) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    return f"'{text}'"


def _map(props: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"`{k}`: {_literal(v)}" for k, v in props.items() if v is not None) + "}"


def _rel_type(kind: str) -> str:
    return RESOURCE_REL if kind == EdgeKind.IN_ACCOUNT.value else kind.upper()


def _node_props(nid: str, data: Mapping[str, Any]) -> dict[str, Any]:
    props = {"id": nid}
    props.update((k, v) for k, v in sorted(data.items()) if k not in ("label", "id") and v is not None)
    return props


def _edges(g: nx.MultiDiGraph[str]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(from, to, relationship type, properties); the account edge turned round as Cartography has it."""
    for u, v, data in g.edges(data=True):
        kind = str(data.get("kind", ""))
        props = {k: val for k, val in sorted(data.items()) if k != "kind" and val is not None}
        if kind == EdgeKind.IN_ACCOUNT.value:
            yield v, u, RESOURCE_REL, props
        else:
            yield u, v, _rel_type(kind), props


def _type_of(values: Iterable[Any]) -> str:
    kinds = {("list" if isinstance(v, list | tuple) else "bool" if isinstance(v, bool) else
              "int" if isinstance(v, int) else "float" if isinstance(v, float) else "str") for v in values}
    if kinds == {"bool"}:
        return "BOOLEAN"
    if kinds == {"int"}:
        return "INT64"
    if kinds <= {"int", "float"} and kinds:
        return "DOUBLE"
    if kinds == {"list"}:
        return "STRING[]"
    return "STRING"


def _ladybug_schema(g: nx.MultiDiGraph[str]) -> list[str]:
    columns: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for nid, data in g.nodes(data=True):
        for k, v in _node_props(nid, data).items():
            columns[data["label"]][k].append(v)
    out = []
    for label in sorted(columns):
        cols = ", ".join(f"`{k}` {_type_of(vals) if k != 'id' else 'STRING'}"
                         for k, vals in sorted(columns[label].items()))
        out.append(f"CREATE NODE TABLE {label}({cols}, PRIMARY KEY(id));")
    pairs: dict[str, set[tuple[str, str]]] = defaultdict(set)
    rel_cols: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for u, v, rel, props in _edges(g):
        pairs[rel].add((g.nodes[u]["label"], g.nodes[v]["label"]))
        for k, val in props.items():
            rel_cols[rel][k].append(val)
    for rel in sorted(pairs):
        ends = ", ".join(f"FROM {a} TO {b}" for a, b in sorted(pairs[rel]))
        cols = "".join(f", `{k}` {_type_of(vals)}" for k, vals in sorted(rel_cols[rel].items()))
        out.append(f"CREATE REL TABLE {rel}({ends}{cols});")
    return out


def cypher_statements(g: nx.MultiDiGraph[str], dialect: Dialect = Dialect.neo4j) -> Iterator[str]:
    """The statements of the Cypher script, one per node and per relationship (schema first)."""
    labels = sorted({data["label"] for _, data in g.nodes(data=True)})
    if dialect is Dialect.ladybug:
        yield from _ladybug_schema(g)
    else:
        for label in labels:
            yield f"CREATE CONSTRAINT IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE;"
    for nid, data in g.nodes(data=True):
        yield f"CREATE (:{data['label']} {_map(_node_props(nid, data))});"
    for u, v, rel, props in _edges(g):
        lu, lv = g.nodes[u]["label"], g.nodes[v]["label"]
        rel_props = f" {_map(props)}" if props else ""
        yield (f"MATCH (a:{lu} {{id: {_literal(u)}}}), (b:{lv} {{id: {_literal(v)}}}) "
               f"CREATE (a)-[:{rel}{rel_props}]->(b);")


def write_cypher(g: nx.MultiDiGraph[str], out: IO[bytes], dialect: Dialect = Dialect.neo4j) -> None:
    out.write(f"// sovscan jurisdiction graph: {g.number_of_nodes()} nodes, {g.number_of_edges()} relationships; "
              f"dialect {dialect.value}\n".encode())
    for statement in cypher_statements(g, dialect):
        out.write(statement.encode("utf-8") + b"\n")


def write_graph(result: ScanResult, fmt: GraphFormat, out: IO[bytes], dialect: Dialect = Dialect.neo4j) -> None:
    g = export_graph(result)
    if fmt is GraphFormat.graphml:
        write_graphml(g, out)
    elif fmt is GraphFormat.json:
        write_json(g, out)
    else:
        write_cypher(g, out, dialect)
