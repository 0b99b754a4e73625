"""Live Azure collection against a local HTTPS server speaking ARM and Resource Graph.

The real azure-mgmt clients (azure-core pipeline, requests transport, TLS verified against a
throw-away ``trustme`` CA) talk to ``ThreadingHTTPServer`` on 127.0.0.1, which serves
recorded-shape responses from ``tests/fixtures/azure_live``: a paged subscription list, Resource
Graph pages (``$skipToken``), ARM lists of SQL server children, and refusals. Five subscriptions:

- prod (westeurope): RA-GRS storage with a secondary, SQL server + database + failover group,
  Cosmos DB in three regions, a peered VNet, a premium Key Vault;
- dr (northeurope): the partner SQL server, the peer VNet, LRS storage; its first query is throttled;
- bulk (francecentral): 2,499 disks + its subscription row = 2,500 rows over three pages;
- restricted: 403 on Resource Graph and on resource listing;
- legacy: 403 on Resource Graph, resource listing allowed.
"""

from __future__ import annotations

import base64
import json
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import trustme
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from azure.core.rest import HttpRequest
from azure.mgmt.resource.resources import ResourceManagementClient

import providers.azure.live as live
from providers.azure.files import RAW_TRANSFORMS, read_resource_graph
from providers.azure.guard import ReadOnlyViolation, check, is_read
from providers.azure.options import AzureSettings
from providers.base import CollectionError, CredentialsError, InputFile
from providers.live import LiveOptions, RawRecord
from providers.registry import collector, raw_transforms
from scanner.model import Account, Flow, FlowKind, Gap, KeyControl, KeyRef, Resource

FIXTURES = Path(__file__).parent / "fixtures" / "azure_live"
TENANT = "d5c1a0b2-6e4f-4c3a-8b7d-2f9e0a1c3b5d"
PROD = "0f4c2a7e-3b1d-4e8f-9a6c-5d2e1b7f8a90"
DR = "7a1e9c3d-2b4f-4a6e-8c1d-3e5f7a9b1c2d"
BULK = "c3b2a190-8d7e-4f6a-9b5c-1d2e3f4a5b6c"
RESTRICTED = "d4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70"
LEGACY = "e5f6a7b8-c9d0-4e1f-9a2b-3c4d5e6f7a81"
BULK_DISKS = 2499
GRAPH_PATH = "/providers/microsoft.resourcegraph/resources"


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def _bulk_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [{
        "id": f"/subscriptions/{BULK}", "name": "excare-bulk", "type": "microsoft.resources/subscriptions",
        "tenantId": TENANT, "subscriptionId": BULK, "properties": {"state": "Enabled"}}]
    for i in range(BULK_DISKS):
        rows.append({
            "id": f"/subscriptions/{BULK}/resourceGroups/rg-bulk/providers/Microsoft.Compute/disks/disk-{i:04d}",
            "name": f"disk-{i:04d}", "type": "microsoft.compute/disks", "location": "francecentral",
            "subscriptionId": BULK, "tenantId": TENANT, "sku": {"name": "StandardSSD_LRS"},
            "properties": {"diskSizeGB": 128, "encryption": {"type": "EncryptionAtRestWithPlatformKey"}}})
    return rows


def _arm_error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


@dataclass
class FakeArm:
    """What the local server serves, and what it was asked."""

    subscriptions: list[dict[str, Any]] = field(default_factory=lambda: _load("subscriptions.json")["value"])
    rows: list[dict[str, Any]] = field(default_factory=lambda: _load("resource_graph_rows.json") + _bulk_rows())
    sql: dict[str, dict[str, list[Any]]] = field(default_factory=lambda: _load("sql_children.json"))
    legacy: dict[str, Any] = field(default_factory=lambda: _load("resource_list_legacy.json"))
    graph_denied: set[str] = field(default_factory=lambda: {RESTRICTED, LEGACY})
    list_denied: set[str] = field(default_factory=lambda: {RESTRICTED})
    #: subscription → how many Resource Graph queries naming it get a 429 first.
    throttle: dict[str, int] = field(default_factory=lambda: {DR: 1})
    retry_after: str = "1"
    answer_401: bool = False
    #: subscriptions whose Resource Graph queries get no answer: the connection is cut (a network failure).
    dropped: set[str] = field(default_factory=set)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    auth_headers: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, method: str, target: str, body: Any) -> tuple[int, dict[str, str], Any]:
        url = urlsplit(target)
        path, query = url.path.lower().rstrip("/"), parse_qs(url.query)
        if self.answer_401:
            return 401, {}, _arm_error("ExpiredAuthenticationToken", "The access token expiry UTC time has passed.")
        if method == "POST" and path == GRAPH_PATH:
            return self.graph(body)
        if method != "GET":
            return 405, {}, _arm_error("MethodNotAllowed", "this test server only reads")
        if path == "/subscriptions":
            start = int(query.get("$skiptoken", ["0"])[0])
            page = self.subscriptions[start:start + 3]
            out: dict[str, Any] = {"value": page}
            if start + 3 < len(self.subscriptions):
                out["nextLink"] = f"{self.base}/subscriptions?api-version=2022-12-01&$skiptoken={start + 3}"
            return 200, {}, out
        parts = path.split("/")
        if len(parts) == 4 and parts[1] == "subscriptions" and parts[3] == "resources":
            if parts[2] in self.list_denied:
                return 403, {}, _arm_error("AuthorizationFailed", f"The client does not have authorization to "
                                           f"perform action 'Microsoft.Resources/resources/read' over scope "
                                           f"'/subscriptions/{parts[2]}'.")
            return 200, {}, self.legacy if parts[2] == LEGACY else {"value": []}
        server, _, child = path.rpartition("/")
        if server in self.sql and child in ("failovergroups", "replicationlinks", "encryptionprotector"):
            key = {"failovergroups": "failoverGroups", "replicationlinks": "replicationLinks",
                   "encryptionprotector": "encryptionProtector"}[child]
            return 200, {}, {"value": self.sql[server][key]}
        if path.endswith("/providers/microsoft.unregistered/things"):
            return 409, {}, _arm_error("MissingSubscriptionRegistration", "The subscription is not registered to "
                                       "use namespace 'Microsoft.Unregistered'.")
        return 404, {}, _arm_error("ResourceNotFound", f"no {path}")

    def graph(self, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        subs = [s.lower() for s in body.get("subscriptions", [])]
        if self.dropped & set(subs):
            return 0, {}, None  # the handler cuts the connection
        with self.lock:
            for sub in subs:
                if self.throttle.get(sub, 0) > 0:
                    self.throttle[sub] -= 1
                    return 429, {"Retry-After": self.retry_after}, _arm_error("RateLimiting", "Please try again later.")
        denied = [s for s in subs if s in self.graph_denied]
        if denied:
            return 403, {}, _arm_error("AuthorizationFailed", f"no read access to subscription {denied[0]}")
        options = body.get("options") or {}
        assert options.get("resultFormat") == "objectArray"
        matching = [r for r in self.rows if r["subscriptionId"].lower() in subs]
        token = options.get("$skipToken")
        start = int(base64.b64decode(token)) if token else 0
        size = min(int(options.get("$top", 100)), 1000)
        page = matching[start:start + size]
        out = {"totalRecords": len(matching), "count": len(page), "data": page, "facets": [],
               "resultTruncated": "false"}
        if start + size < len(matching):
            out["$skipToken"] = base64.b64encode(str(start + size).encode()).decode()
        return 200, {}, out

    base: str = ""


class _Handler(BaseHTTPRequestHandler):
    arm: FakeArm

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        arm = self.server.arm  # type: ignore[attr-defined]
        with arm.lock:
            arm.requests.append((self.command, self.path, body))
            arm.auth_headers.add(self.headers.get("Authorization", ""))
        status, headers, payload = arm.handle(self.command, self.path, body)
        if status == 0:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass


@dataclass
class Env:
    arm: FakeArm
    options: LiveOptions
    credential: Any


class StaticCredential:
    """A ``TokenCredential`` that needs no directory."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("static-test-token", int(time.time()) + 3600)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path]:
    ca = trustme.CA()
    bundle = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return ca, bundle


@pytest.fixture
def env(tls: tuple[trustme.CA, Path]) -> Iterator[Env]:
    ca, bundle = tls
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    arm = FakeArm()
    arm.base = f"https://127.0.0.1:{server.server_address[1]}"
    server.arm = arm  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    options = LiveOptions(provider="azure", endpoints={"azure": arm.base, "azure_ca": str(bundle)})
    try:
        yield Env(arm, options, StaticCredential())
    finally:
        server.shutdown()
        server.server_close()


def _collect(env: Env, subscriptions: tuple[str, ...] = (), **changes: Any) -> list[RawRecord | Account | Gap]:
    options = LiveOptions(**{**env.options.__dict__, "settings": AzureSettings(subscriptions=subscriptions),
                             **changes})
    return list(live.collect(options, credential=env.credential))


def _transform(collected: list[RawRecord | Account | Gap]) -> list[Any]:
    records = [c.record for c in collected if isinstance(c, RawRecord)]
    assert {c.kind for c in collected if isinstance(c, RawRecord)} == {"azure-resource"}
    return list(RAW_TRANSFORMS["azure-resource"](records, "live:azure"))


def _graph_queries(arm: FakeArm, sub: str) -> list[Any]:
    return [b for m, p, b in arm.requests if m == "POST" and sub in [s.lower() for s in b["subscriptions"]]]


def _ids(items: list[Any]) -> set[str]:
    return {i.id for i in items if isinstance(i, Resource)}


def _rid(sub: str, group: str, rest: str) -> str:
    return f"/subscriptions/{sub}/resourcegroups/{group}/providers/{rest}"


SQL_A = _rid(PROD, "rg-excare-sql-weu", "microsoft.sql/servers/sql-excare-weu")
SQL_B = _rid(DR, "rg-excare-sql-neu", "microsoft.sql/servers/sql-excare-neu")
VNET_A = _rid(PROD, "rg-excare-net-weu", "microsoft.network/virtualnetworks/vnet-excare-weu")
VNET_B = _rid(DR, "rg-excare-net-neu", "microsoft.network/virtualnetworks/vnet-excare-neu")
ST_A = _rid(PROD, "rg-excare-phi-weu", "microsoft.storage/storageaccounts/stexcarephiweu")
COSMOS = _rid(PROD, "rg-excare-data-weu", "microsoft.documentdb/databaseaccounts/cosmos-excare")
ST_LEGACY = _rid(LEGACY, "rg-legacy", "microsoft.storage/storageaccounts/stexcarelegacy")
LINK_A = f"{SQL_A}/databases/ehr/replicationlinks/fb92de60-eb87-4a58-b250-3362d0cfdf26"

EXPECTED_FLOWS = {
    (ST_A, f"{ST_A}#secondary", FlowKind.REPLICATION, "northeurope"),
    (f"{SQL_A}/databases/ehr", f"{SQL_A}/databases/ehr#geo-backup", FlowKind.BACKUP, None),
    (SQL_A, SQL_B, FlowKind.FAILOVER, "northeurope"),
    (f"{SQL_A}/databases/ehr", f"{SQL_B}/databases/ehr", FlowKind.FAILOVER, "northeurope"),
    (f"{SQL_A}/databases/ehr", f"{SQL_A}/databases/ehr#partner/sql-excare-neu/ehr", FlowKind.REPLICA, "northeurope"),
    (COSMOS, f"{COSMOS}#northeurope", FlowKind.MULTI_REGION, "northeurope"),
    (COSMOS, f"{COSMOS}#eastus", FlowKind.MULTI_REGION, "eastus"),
    (VNET_A, VNET_B, FlowKind.PEERING, None),
    (VNET_B, VNET_A, FlowKind.PEERING, None),
    (ST_LEGACY, f"{ST_LEGACY}#secondary", FlowKind.REPLICATION, None),
}


def test_collects_a_multi_subscription_estate(env: Env) -> None:
    start = time.monotonic()
    collected = _collect(env)
    elapsed = time.monotonic() - start
    items = _transform(collected) + [c for c in collected if not isinstance(c, RawRecord)]
    resources = {i.id: i for i in items if isinstance(i, Resource)}

    # Every row of every readable subscription, plus SQL children, and nothing twice.
    assert len(resources) == len([i for i in items if isinstance(i, Resource)])
    disks = {r for r in resources if r.startswith(f"/subscriptions/{BULK}/")}
    assert len(disks) == BULK_DISKS
    assert {resources[d].region for d in disks} == {"francecentral"}
    assert _ids(items) - disks == {
        ST_A, SQL_A, f"{SQL_A}/databases/ehr", COSMOS, VNET_A,
        _rid(PROD, "rg-excare-sec-weu", "microsoft.keyvault/vaults/kv-excare-weu"),
        f"{SQL_A}/failovergroups/fog-excare",
        SQL_B, VNET_B, _rid(DR, "rg-excare-logs-neu", "microsoft.storage/storageaccounts/stexcarelogsneu"),
        ST_LEGACY, _rid(LEGACY, "rg-legacy", "microsoft.compute/disks/disk-legacy-os"),
    }
    regions = {rid: r.region for rid, r in resources.items() if rid not in disks}
    assert regions[ST_A] == "westeurope" and regions[SQL_B] == "northeurope" and regions[ST_LEGACY] == "westeurope"
    assert regions[f"{SQL_A}/failovergroups/fog-excare"] == "westeurope"  # "West Europe" squashed
    assert resources[ST_A].key == KeyRef(KeyControl.CUSTOMER, "https://kv-excare-weu.vault.azure.net/keys/st-phi-cmk")
    # The TDE protector is not a resource: its customer-managed key reaches its server. A replication
    # link is not one either: it is the database's replica flow (EXPECTED_FLOWS).
    assert resources[SQL_A].key == KeyRef(KeyControl.CUSTOMER, "https://kv-excare-weu.vault.azure.net/keys/sql-tde/0a1b2c")
    assert resources[SQL_B].key is None  # service-managed: not a customer key, and not shown otherwise
    assert not [r for r in resources if "/encryptionprotector/" in r or "/replicationlinks/" in r]
    assert resources[ST_A].account == PROD and resources[ST_A].tags == {"DataClassification": "PHI"}

    flows = {(f.source, f.target, f.kind, f.target_region) for f in items if isinstance(f, Flow)}
    assert flows == EXPECTED_FLOWS

    accounts = {a.id: (a.name, a.parent) for a in items if isinstance(a, Account)}
    assert accounts == {
        PROD: ("excare-prod", "/providers/microsoft.management/managementgroups/mg-excare-prod"),
        DR: ("excare-dr", "/providers/microsoft.management/managementgroups/mg-excare-dr"),
        BULK: ("excare-bulk", None),
        RESTRICTED: ("excare-restricted", None),  # from the subscription list: Resource Graph refused
        LEGACY: ("excare-legacy", None),
    }

    gaps = [g for g in items if isinstance(g, Gap)]
    assert sorted((g.reason, g.message.split(":")[0]) for g in gaps) == [
        ("access-denied", f"subscription {RESTRICTED} (excare-restricted), region"),
        ("access-denied", f"subscription {LEGACY} (excare-legacy), region"),
    ]
    restricted = next(g for g in gaps if RESTRICTED in g.message)
    assert "Resource Graph" in restricted.message and "resources.list" in restricted.message
    assert "no resources collected" in restricted.message and "region: all" in restricted.message
    legacy = next(g for g in gaps if LEGACY in g.message)
    assert "listed 2 resource(s) through Resource Manager" in legacy.message

    # 2,500 rows over three pages of at most 1,000: no truncation at 100 or 1,000.
    bulk_queries = _graph_queries(env.arm, BULK)
    assert [q["options"].get("$skipToken") is None for q in bulk_queries] == [True, False, False]
    assert all(q["options"]["$top"] == 1000 and q["query"] == live.QUERY for q in bulk_queries)
    # The dr subscription was throttled once (429, Retry-After: 1) and retried.
    assert len(_graph_queries(env.arm, DR)) == 2
    assert elapsed >= 1.0

    # Read-only: only GETs and Resource Graph queries left the client, all with the token.
    assert {(m, urlsplit(p).path.lower() == GRAPH_PATH) for m, p, _ in env.arm.requests} == {
        ("GET", False), ("POST", True)}
    assert env.arm.auth_headers == {"Bearer static-test-token"}


def test_one_batch_is_split_to_find_the_refusing_subscription(env: Env) -> None:
    env.arm.throttle.clear()
    parallel = _collect(env)
    env.arm.requests.clear()
    batched = _collect(env, max_workers=1)
    first = env.arm.requests[2]  # after the two subscription-list pages
    assert first[0] == "POST" and len(first[2]["subscriptions"]) == 5
    key = lambda c: repr(c)  # noqa: E731
    assert sorted(map(key, batched)) == sorted(map(key, parallel))


def test_chosen_subscriptions_and_invisible_ones(env: Env) -> None:
    env.arm.throttle.clear()
    collected = _collect(env, subscriptions=(DR.upper(), "00000000-0000-0000-0000-000000000000"))
    items = _transform(collected) + [c for c in collected if not isinstance(c, RawRecord)]
    assert {i.account for i in items if isinstance(i, Resource)} == {DR}
    assert {a.id for a in items if isinstance(a, Account)} == {DR}
    assert [(g.reason, g.message.split(":")[0]) for g in items if isinstance(g, Gap)] == [
        ("access-denied", "subscription 00000000-0000-0000-0000-000000000000")]


def test_throttled_out_is_a_gap(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "RETRY_TOTAL", 1)
    env.arm.throttle = {DR: 5}
    env.arm.retry_after = "0"
    gaps = [g for g in _collect(env, subscriptions=(DR,)) if isinstance(g, Gap)]
    assert [g.reason for g in gaps] == ["throttled"]
    assert DR in gaps[0].message and "Resource Graph" in gaps[0].message
    assert len(_graph_queries(env.arm, DR)) == 2  # the query and one retry


def test_throttling_is_retried_as_often_as_documented(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    # RETRY_TOTAL (6) retries of a 429, as docs/permissions/azure.md says: azure-core alone stops at 3.
    monkeypatch.setattr(live, "RETRY_BACKOFF", 0.001)
    env.arm.throttle = {DR: 100}
    env.arm.retry_after = "0"
    gaps = [g for g in _collect(env, subscriptions=(DR,)) if isinstance(g, Gap)]
    assert [g.reason for g in gaps] == ["throttled"] and f"after {live.RETRY_TOTAL} retries" in gaps[0].message
    assert len(_graph_queries(env.arm, DR)) == 1 + live.RETRY_TOTAL == 7


def test_one_subscription_that_cannot_be_reached_is_a_gap(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "RETRY_BACKOFF", 0.01)  # connection errors are retried too
    env.arm.throttle.clear()
    env.arm.dropped = {DR}
    collected = _collect(env)
    gaps = [g for g in collected if isinstance(g, Gap)]
    assert sorted((g.reason, g.message.split(" (")[0]) for g in gaps) == [
        ("access-denied", f"subscription {RESTRICTED}"), ("access-denied", f"subscription {LEGACY}"),
        ("unreachable", f"subscription {DR}")]
    accounts = {r.account for r in _transform(collected) if isinstance(r, Resource)}
    assert accounts == {PROD, BULK, LEGACY}  # the others are collected


def test_missing_credentials_are_one_clear_error(env: Env) -> None:
    class NoCredential:
        def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")

    with pytest.raises(CredentialsError, match="az login"):
        list(live.collect(env.options, credential=NoCredential()))
    assert env.arm.requests == []


def test_expired_token_is_a_credentials_error(env: Env) -> None:
    env.arm.answer_401 = True
    with pytest.raises(CredentialsError, match="az login"):
        _collect(env)


def test_unreachable_endpoint_is_a_collection_error(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "RETRY_BACKOFF", 0.01)  # connection errors are retried too
    options = LiveOptions(provider="azure", endpoints={"azure": "https://127.0.0.1:9", **{
        "azure_ca": env.options.endpoints["azure_ca"]}})
    with pytest.raises(CollectionError, match="cannot reach Azure Resource Manager"):
        list(live.collect(options, credential=env.credential))


# -- the read-only guard ------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "url", "allowed"), [
    ("GET", "https://management.azure.com/subscriptions?api-version=2022-12-01", True),
    ("POST", "https://management.azure.com/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01", True),
    ("post", "https://management.azure.com/providers/microsoft.resourcegraph/resources/", True),
    ("PUT", "https://management.azure.com/subscriptions/s/resourcegroups/rg?api-version=2021-04-01", False),
    ("PATCH", "https://management.azure.com/subscriptions/s/resourcegroups/rg?api-version=2021-04-01", False),
    ("DELETE", "https://management.azure.com/subscriptions/s/resourcegroups/rg?api-version=2021-04-01", False),
    ("HEAD", "https://management.azure.com/subscriptions/s/resourcegroups/rg?api-version=2021-04-01", False),
    ("POST", "https://management.azure.com/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/"
             "storageAccounts/st/listKeys?api-version=2023-01-01", False),
    ("POST", "https://management.azure.com/subscriptions/s/providers/Microsoft.Sql/register?api-version=2016-02-01",
     False),
    ("POST", "https://management.azure.com/providers/Microsoft.ResourceGraph/resourcesHistory", False),
    ("POST", "https://management.azure.com/x/../providers/Microsoft.ResourceGraph/resources", False),
])
def test_guard_allows_only_reads(method: str, url: str, allowed: bool) -> None:
    assert is_read(method, url) is allowed
    if not allowed:
        with pytest.raises(ReadOnlyViolation, match="only reads"):
            check(method, url)


def test_writes_through_a_guarded_client_never_leave(env: Env) -> None:
    client = ResourceManagementClient(env.credential, PROD, **live.client_options(env.options))
    with pytest.raises(ReadOnlyViolation, match="PUT"):
        client.resource_groups.create_or_update("rg-new", {"location": "westeurope"})
    with pytest.raises(ReadOnlyViolation, match="DELETE"):
        client.resources.begin_delete_by_id(f"{ST_A}", api_version="2023-01-01").result()
    with pytest.raises(ReadOnlyViolation, match="PATCH"):
        client.send_request(HttpRequest("PATCH", f"/subscriptions/{PROD}/resourcegroups/rg?api-version=2021-04-01",
                                         json={"tags": {}}))
    assert env.arm.requests == []  # refused before anything was sent


def test_a_write_made_inside_the_pipeline_is_refused(env: Env) -> None:
    # azure-mgmt-core answers MissingSubscriptionRegistration by POSTing …/register: the guard
    # after the retry policy sees it too.
    client = ResourceManagementClient(env.credential, PROD, **live.client_options(env.options))
    with pytest.raises(ReadOnlyViolation, match="register"):
        client.send_request(HttpRequest(
            "GET", f"/subscriptions/{PROD}/providers/Microsoft.Unregistered/things?api-version=2020-01-01"))
    assert [m for m, _, _ in env.arm.requests] == ["GET"]


# -- contract with the rest of sovscan ----------------------------------------------------------
def test_registry_and_transforms_are_wired() -> None:
    assert collector("azure") is live.collect
    assert raw_transforms()["azure-resource"] is RAW_TRANSFORMS["azure-resource"]


def test_live_rows_read_like_a_resource_graph_export(env: Env, tmp_path: Path) -> None:
    env.arm.throttle.clear()
    collected = _collect(env, subscriptions=(PROD,))
    rows = [c.record for c in collected if isinstance(c, RawRecord)]
    export = tmp_path / "arg.json"
    export.write_text(json.dumps({"count": len(rows), "data": rows, "skip_token": None, "total_records": len(rows)}))
    from_file = list(read_resource_graph(InputFile(export, "arg.json")))
    from_live = list(RAW_TRANSFORMS["azure-resource"](rows, "arg.json"))
    assert from_live == from_file


def test_saved_inventory_reads_back_identically(env: Env, tmp_path: Path) -> None:
    from scanner.inventory import load_inventory, load_live

    env.arm.throttle.clear()
    options = LiveOptions(provider="azure", settings=AzureSettings(), max_workers=3,
                          endpoints={**env.options.endpoints, "azure_token": "static-test-token"})
    saved = tmp_path / "azure.ndjson.gz"
    collected = load_live(options, saved)
    reread = load_inventory([saved])
    assert len(collected.resources) == BULK_DISKS + 12
    assert reread.resources == collected.resources
    assert sorted(map(repr, reread.flows)) == sorted(map(repr, collected.flows))
    assert reread.accounts.keys() == collected.accounts.keys() and len(collected.accounts) == 5
    assert [(g.reason, g.message) for g in reread.gaps] == [(g.reason, g.message) for g in collected.gaps]
    assert env.arm.auth_headers == {"Bearer static-test-token"}


def test_progress_only_when_asked(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    env.arm.throttle.clear()
    _collect(env, subscriptions=(PROD,))
    assert capsys.readouterr() == ("", "")
    _collect(env, subscriptions=(PROD,), show_progress=True)
    err = capsys.readouterr().err
    assert "Azure subscription" in err and "excare-prod" in err


def test_the_credential_chain_log_stays_off_the_terminal() -> None:
    """DefaultAzureCredential logs each credential it tried: sovscan's one error line must stand alone."""
    import subprocess
    import sys

    code = ("import logging; from providers.azure.live import default_credential; {setup}"
            "logging.getLogger('azure.identity._credentials.chained').warning('DefaultAzureCredential failed')")
    plain = subprocess.run([sys.executable, "-c", code.format(setup="")], capture_output=True, text=True, check=True)
    assert "DefaultAzureCredential failed" in plain.stderr  # Python's last-resort handler prints it…
    quiet = subprocess.run([sys.executable, "-c", code.format(setup="default_credential(None); ")],
                           capture_output=True, text=True, check=True)
    assert quiet.stderr == ""  # …unless sovscan built the credential
