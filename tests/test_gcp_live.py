"""Live Google Cloud collection against a local server, with the real google-cloud REST clients.

The server (``http.server`` on 127.0.0.1) answers Resource Manager v3 and Cloud Asset v1 REST
calls for a fictional organisation (``fixtures/gcp_live/estate.json``): a folder tree, four
projects, Assets served two per page, and failures injected per test (403, 429, disabled API, 401).
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import requests.adapters
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.exceptions import RefreshError
from google.cloud import asset_v1, resourcemanager_v3
from google.cloud.asset_v1.services.asset_service.transports.rest import AssetServiceRestTransport
from google.cloud.asset_v1.services.asset_service.transports.rest_base import _BaseAssetServiceRestTransport
from google.cloud.resourcemanager_v3.services.folders.transports.rest_base import _BaseFoldersRestTransport
from google.cloud.resourcemanager_v3.services.projects.transports.rest import ProjectsRestTransport
from google.cloud.resourcemanager_v3.services.projects.transports.rest_base import _BaseProjectsRestTransport

from providers.base import CollectionError, CredentialsError, InputFile
from providers.export import FORMATS as EXPORT_FORMATS
from providers.export import InventoryWriter, transform_stream
from providers.gcp import live
from providers.gcp.files import RAW_TRANSFORMS
from providers.gcp.guard import ReadOnlyAdapter, ReadOnlyViolation, check_request, guard_session, guarded_transport
from providers.gcp.options import GcpSettings
from providers.live import LiveOptions, RawRecord
from providers.registry import collector, raw_transforms
from scanner.model import Account, Flow, FlowKind, Gap, Item, KeyControl, KeyRef, Resource

ESTATE = json.loads((Path(__file__).parent / "fixtures" / "gcp_live" / "estate.json").read_text())
ORG = "905512347788"
PAGE = 2  # the server's page size, whatever the client asks for, so that paging is exercised
SOURCE = "live:gcp"
FAST_RETRY = live.default_retry(initial=0.01, maximum=0.05, timeout=0.5)

BUCKETS = "//storage.googleapis.com/projects/_/buckets/"
SQL = "//sqladmin.googleapis.com/projects/excare-prod/instances/"
NET = "//compute.googleapis.com/projects/"
SQL_KEY = "//cloudkms.googleapis.com/projects/excare-prod/locations/europe-west4/keyRings/db/cryptoKeys/sql"
WEB_KEY = "//cloudkms.googleapis.com/projects/excare-web/locations/asia-northeast1/keyRings/web/cryptoKeys/assets"


# --------------------------------------------------------------------------- the local server


def _error(code: int, status: str, message: str, reason: str | None = None, domain: str = "googleapis.com") -> Any:
    details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": domain,
                "metadata": {"service": "cloudasset.googleapis.com"}}] if reason else []
    return {"error": {"code": code, "message": message, "status": status, "details": details}}


DENIED = _error(403, "PERMISSION_DENIED", "The caller does not have permission", "IAM_PERMISSION_DENIED",
                "cloudasset.googleapis.com")
DISABLED = _error(403, "PERMISSION_DENIED", "Cloud Asset API has not been used in project 999 before or it is "
                  "disabled. Enable it by visiting https://console.developers.google.com/apis/api/"
                  "cloudasset.googleapis.com/overview?project=999 then retry.", "SERVICE_DISABLED")
THROTTLED = _error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'List assets requests'")
UNAUTHENTICATED = _error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")


@dataclass
class Estate:
    """What the server serves and which failures it injects; ``requests`` logs every request."""

    denied: set[str] = field(default_factory=lambda: {"excare-secret"})
    dropped: set[str] = field(default_factory=set)  # projects whose connection is cut without an answer
    disabled: set[str] = field(default_factory=set)
    throttle_once: set[tuple[str, str]] = field(default_factory=set)  # (project, page token)
    throttle_always: set[str] = field(default_factory=set)
    unauthenticated: bool = False
    hidden_parents: set[str] = field(default_factory=set)  # Resource Manager answers 403 below these
    requests: list[tuple[str, str, dict[str, list[str]]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def log(self, method: str, path: str, query: dict[str, list[str]]) -> None:
        with self.lock:
            self.requests.append((method, path, query))

    def calls(self, path: str) -> list[dict[str, list[str]]]:
        return [q for _, p, q in self.requests if p == path]


def _page(items: list[Any], query: dict[str, list[str]], key: str, extra: dict[str, Any] | None = None) -> Any:
    start = int(query.get("pageToken", ["0"])[0] or 0)
    body: dict[str, Any] = {key: items[start:start + PAGE], **(extra or {})}
    if start + PAGE < len(items):
        body["nextPageToken"] = str(start + PAGE)
    return body


def _project(ref: str) -> dict[str, Any] | None:
    for p in ESTATE["projects"]:
        if ref in (p["projectId"], p["name"][9:]):
            return dict(p)
    return None


class _Handler(BaseHTTPRequestHandler):
    """Resource Manager and Cloud Asset answers from the estate the test set up (``estate``)."""

    estate: Estate

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _write(self) -> None:
        url = urlsplit(self.path)
        self.estate.log(self.command, url.path, parse_qs(url.query))
        self._send(400, _error(400, "INVALID_ARGUMENT", "this test server only reads"))

    do_POST = do_PUT = do_PATCH = do_DELETE = _write

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)
        self.estate.log("GET", path, query)
        if self.estate.unauthenticated:
            return self._send(401, UNAUTHENTICATED)
        parent = query.get("parent", [""])[0]
        if parent in self.estate.hidden_parents:
            return self._send(403, _error(403, "PERMISSION_DENIED", f"Permission denied on {parent}"))
        if path == "/v3/folders":
            return self._send(200, _page([f for f in ESTATE["folders"] if f["parent"] == parent], query,
                                         "folders"))
        if path == "/v3/projects":
            return self._send(200, _page([p for p in ESTATE["projects"] if p["parent"] == parent], query,
                                         "projects"))
        if path == "/v3/projects:search":
            return self._send(200, _page(ESTATE["projects"], query, "projects"))
        parts = path.split("/")
        if len(parts) == 4 and parts[1:3] == ["v3", "projects"]:
            found = _project(parts[3])
            return self._send(200, found) if found else self._send(
                403, _error(403, "PERMISSION_DENIED", f"Permission denied on resource project {parts[3]}"))
        if len(parts) == 5 and parts[1:3] == ["v1", "projects"] and parts[4] == "assets":
            return self._assets(parts[3], query)
        return self._send(404, _error(404, "NOT_FOUND", f"no route {path}"))

    def _assets(self, project: str, query: dict[str, list[str]]) -> None:
        token = query.get("pageToken", [""])[0]
        if query.get("contentType") not in (["RESOURCE"], ["1"]):
            return self._send(400, _error(400, "INVALID_ARGUMENT", f"contentType {query.get('contentType')}"))
        if project in self.estate.dropped:
            self.close_connection = True
            self.connection.shutdown(2)  # the connection ends with no answer: a network failure
            return None
        if project in self.estate.denied:
            return self._send(403, DENIED)
        if project in self.estate.disabled:
            return self._send(403, DISABLED)
        if project in self.estate.throttle_always:
            return self._send(429, THROTTLED)
        with self.estate.lock:
            if (project, token) in self.estate.throttle_once:
                self.estate.throttle_once.discard((project, token))
                return self._send(429, THROTTLED)
        assets = ESTATE["assets"].get(project)
        if assets is None:
            return self._send(404, _error(404, "NOT_FOUND", f"project {project} not found"))
        return self._send(200, _page(assets, query, "assets", {"readTime": "2026-11-30T08:00:00Z"}))


def _handler(estate: Estate) -> type[BaseHTTPRequestHandler]:
    return type("Handler", (_Handler,), {"estate": estate})


@pytest.fixture
def estate() -> Iterator[tuple[Estate, str]]:
    state = Estate()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _options(url: str, **kw: Any) -> LiveOptions:
    workers = kw.pop("max_workers", 4)
    progress = kw.pop("show_progress", False)
    scope: dict[str, Any] = {"organization": ORG, **kw}
    return LiveOptions(provider="gcp", settings=GcpSettings(**scope), max_workers=workers, show_progress=progress,
                       endpoints={"gcp": url, "gcp_credentials": "anonymous"})


def _collect(url: str, **kw: Any) -> list[RawRecord | Account | Gap]:
    return list(live.collect(_options(url, **kw), retry=FAST_RETRY))


def _items(collected: list[RawRecord | Account | Gap]) -> list[Item]:
    return list(transform_stream(collected, SOURCE))


def _flows(items: list[Item]) -> set[tuple[str, str, FlowKind, str | None]]:
    return {(f.source, f.target, f.kind, f.target_region) for f in items if isinstance(f, Flow)}


def _resources(items: list[Item]) -> dict[str, Resource]:
    return {r.id: r for r in items if isinstance(r, Resource)}


def _gaps(items: list[Any]) -> set[tuple[str, str]]:
    """(reason, project named in the message) of every gap."""
    return {(g.reason, g.message.split(" ")[1]) for g in items if isinstance(g, Gap)}


# --------------------------------------------------------------------------- the estate


EXPECTED_RESOURCES = {
    # id: (native type, account, region, raw region, key)
    BUCKETS + "excare-phi-records": ("storage.googleapis.com/Bucket", "excare-prod", "eu", "EU",
                                     KeyRef(KeyControl.PROVIDER)),
    SQL + "excare-db": ("sqladmin.googleapis.com/Instance", "excare-prod", "europe-west4", "europe-west4",
                        KeyRef(KeyControl.CUSTOMER, SQL_KEY)),
    SQL + "excare-db-replica": ("sqladmin.googleapis.com/Instance", "excare-prod", "europe-west1", "europe-west1",
                                KeyRef(KeyControl.PROVIDER)),
    SQL_KEY: ("cloudkms.googleapis.com/CryptoKey", "excare-prod", "europe-west4", "europe-west4", None),
    NET + "excare-prod/global/networks/prod-vpc": ("compute.googleapis.com/Network", "excare-prod", "global",
                                                   "global", None),
    "//cloudresourcemanager.googleapis.com/projects/excare-prod": (
        "cloudresourcemanager.googleapis.com/Project", "excare-prod", "global", "global", None),
    "//bigquery.googleapis.com/projects/excare-analytics/datasets/claims": (
        "bigquery.googleapis.com/Dataset", "excare-analytics", "us", "US", KeyRef(KeyControl.PROVIDER)),
    NET + "excare-analytics/global/networks/analytics-vpc": ("compute.googleapis.com/Network", "excare-analytics",
                                                             "global", "global", None),
    "//cloudresourcemanager.googleapis.com/projects/excare-analytics": (
        "cloudresourcemanager.googleapis.com/Project", "excare-analytics", "global", "global", None),
    BUCKETS + "excare-web-assets": ("storage.googleapis.com/Bucket", "excare-web", "asia-northeast1",
                                    "ASIA-NORTHEAST1", KeyRef(KeyControl.CUSTOMER, WEB_KEY)),
    "//cloudresourcemanager.googleapis.com/projects/excare-web": (
        "cloudresourcemanager.googleapis.com/Project", "excare-web", "global", "global", None),
}

EXPECTED_FLOWS = {
    (BUCKETS + "excare-phi-records", BUCKETS + "excare-phi-records#europe-west1", FlowKind.REPLICATION,
     "europe-west1"),
    (BUCKETS + "excare-phi-records", BUCKETS + "excare-phi-records#europe-west4", FlowKind.REPLICATION,
     "europe-west4"),
    (SQL + "excare-db", SQL + "excare-db-replica", FlowKind.REPLICA, None),
    (SQL + "excare-db", SQL + "excare-db-replica", FlowKind.REPLICA, "europe-west1"),
    (SQL + "excare-db", SQL + "excare-db#backup", FlowKind.BACKUP, "eu"),
    (NET + "excare-prod/global/networks/prod-vpc", NET + "excare-analytics/global/networks/analytics-vpc",
     FlowKind.PEERING, None),
    (NET + "excare-analytics/global/networks/analytics-vpc", NET + "excare-prod/global/networks/prod-vpc",
     FlowKind.PEERING, None),
}

EXPECTED_ACCOUNTS = {
    ("excare-prod", "ExCare production", "folders/771234567890"),
    ("excare-analytics", "ExCare analytics", "folders/583920174655"),
    ("excare-web", "ExCare web", f"organizations/{ORG}"),
    ("excare-secret", "ExCare HR", f"organizations/{ORG}"),
}


def test_organization_is_walked_and_every_project_listed(estate: tuple[Estate, str]) -> None:
    state, url = estate
    collected = _collect(url)
    items = _items(collected)

    resources = _resources(items)
    assert {rid: (r.native_type, r.account, r.region, r.raw_region, r.key) for rid, r in resources.items()} \
        == EXPECTED_RESOURCES
    assert resources[SQL_KEY].attributes["key_control"] == KeyControl.EXTERNAL
    assert resources[SQL_KEY].attributes["protection_level"] == "EXTERNAL"
    assert all(r.provider == "gcp" and r.source == SOURCE for r in resources.values())
    assert _flows(items) == EXPECTED_FLOWS

    # Accounts come from Resource Manager before any record, the denied project included.
    accounts = [a for a in collected if isinstance(a, Account)]
    assert {(a.id, a.name, a.parent) for a in accounts} == EXPECTED_ACCOUNTS
    first_record = next(i for i, item in enumerate(collected) if isinstance(item, RawRecord))
    assert all(isinstance(item, Account) for item in collected[:first_record])

    # The project that answers 403 is a gap naming it and the API; the others are complete.
    gaps = [g for g in collected if isinstance(g, Gap)]
    assert _gaps(gaps) == {("access-denied", "excare-secret")}
    assert "Cloud Asset API (cloudasset.googleapis.com) ListAssets: permission denied" in gaps[0].message
    assert "roles/cloudasset.viewer" in gaps[0].message
    # Records are one uninterrupted run, gaps after it (one transform call sees every record).
    kinds = [type(item).__name__ for item in collected[first_record:]]
    assert kinds == ["RawRecord"] * 11 + ["Gap"]

    # Raw records are the API's camelCase Asset JSON.
    record = next(item.record for item in collected if isinstance(item, RawRecord)
                  and item.record["name"].endswith("excare-phi-records"))
    assert record == ESTATE["assets"]["excare-prod"][0]

    # Paging: excare-prod's six assets came in three pages, each asked with the previous token.
    pages = [q.get("pageToken", [""])[0] for q in state.calls("/v1/projects/excare-prod/assets")]
    assert pages == ["", "2", "4"]
    assert all(q["contentType"] in (["RESOURCE"], ["1"]) and q["pageSize"] == ["1000"]
               for q in state.calls("/v1/projects/excare-prod/assets"))
    # The folder tree was walked to the nested folder, and only reads were sent.
    assert {q["parent"][0] for q in state.calls("/v3/folders")} == {
        f"organizations/{ORG}", "folders/583920174655", "folders/771234567890"}
    assert {method for method, _, _ in state.requests} == {"GET"}


def test_folder_scope_lists_only_projects_below_it(estate: tuple[Estate, str]) -> None:
    _, url = estate
    collected = _collect(url, organization=None, folder="folders/583920174655", max_workers=16)
    assert {a.id for a in collected if isinstance(a, Account)} == {"excare-prod", "excare-analytics"}
    assert {r.account for r in _resources(_items(collected)).values()} == {"excare-prod", "excare-analytics"}
    assert not [g for g in collected if isinstance(g, Gap)]


def test_a_folder_that_cannot_be_walked_is_a_gap(estate: tuple[Estate, str]) -> None:
    state, url = estate
    state.hidden_parents.add("folders/771234567890")
    collected = _collect(url)
    gaps = [g for g in collected if isinstance(g, Gap)]
    assert {(g.reason, g.message.split(" ")[0]) for g in gaps} == {
        ("access-denied", "folders/771234567890"), ("access-denied", "project")}
    assert any("ListFolders" in g.message and "roles/browser" in g.message for g in gaps)
    assert any("ListProjects" in g.message for g in gaps)
    # excare-prod lives in that folder: not found, so not listed; the rest of the tree is.
    assert {a.id for a in collected if isinstance(a, Account)} == {"excare-analytics", "excare-web", "excare-secret"}


def test_named_projects_by_id_or_number(estate: tuple[Estate, str]) -> None:
    state, url = estate
    collected = _collect(url, organization=None, projects=("excare-web", "410987654322", "excare-gone"))
    accounts = {(a.id, a.name) for a in collected if isinstance(a, Account)}
    # A project Resource Manager will not describe is still listed by Cloud Asset, with a gap.
    assert accounts == {("excare-web", "ExCare web"), ("excare-analytics", "ExCare analytics"),
                        ("excare-gone", None)}
    assert _gaps(collected) == {("access-denied", "excare-gone"), ("error", "excare-gone")}
    assert {r.account for r in _resources(_items(collected)).values()} == {"excare-web", "excare-analytics"}
    assert not state.calls("/v3/folders")


def test_without_scope_every_visible_project_is_searched(estate: tuple[Estate, str]) -> None:
    state, url = estate
    collected = _collect(url, organization=None)
    assert {a.id for a in collected if isinstance(a, Account)} == {p[0] for p in EXPECTED_ACCOUNTS}
    searches = state.calls("/v3/projects:search")
    assert [q.get("pageToken", [""])[0] for q in searches] == ["", "2"]
    assert all(q["query"] == ["state:ACTIVE"] for q in searches)


def test_saved_inventory_reads_back_identically(estate: tuple[Estate, str], tmp_path: Path) -> None:
    _, url = estate
    options = _options(url)
    writer = InventoryWriter(tmp_path / "gcp.ndjson.gz", "gcp", {"organization": ORG})
    collected = list(collector("gcp")(options))  # the registry path, anonymous through endpoints
    for item in collected:
        writer.write(item)
    writer.finish()
    live_items = list(transform_stream(collected, writer.source))
    reread = list(EXPORT_FORMATS[0].read(InputFile(tmp_path / "gcp.ndjson.gz", "gcp.ndjson.gz")))
    # The saved file does not keep an account's source: the reader names the file's own.
    assert reread == [replace(i, source=writer.source) if isinstance(i, Account) else i for i in live_items]
    assert len(_resources(reread)) == len(EXPECTED_RESOURCES)


# --------------------------------------------------------------------------- failures


def test_a_throttled_page_is_retried(estate: tuple[Estate, str]) -> None:
    state, url = estate
    state.throttle_once.add(("excare-prod", "2"))
    items = _items(_collect(url))
    assert set(_resources(items)) == set(EXPECTED_RESOURCES)
    pages = [q.get("pageToken", [""])[0] for q in state.calls("/v1/projects/excare-prod/assets")]
    assert pages == ["", "2", "2", "4"]


def test_throttled_out_disabled_and_denied_projects_are_gaps(estate: tuple[Estate, str]) -> None:
    state, url = estate
    state.throttle_always.add("excare-web")
    state.disabled.add("excare-analytics")
    collected = _collect(url)
    assert _gaps(collected) == {("access-denied", "excare-secret"), ("throttled", "excare-web"),
                                ("api-disabled", "excare-analytics")}
    assert {r.account for r in _resources(_items(collected)).values()} == {"excare-prod"}
    assert len(state.calls("/v1/projects/excare-web/assets")) > 1  # retried before giving up


def test_throttled_mid_listing_keeps_the_pages_read(estate: tuple[Estate, str]) -> None:
    state, url = estate
    state.throttle_once.add(("excare-prod", "4"))
    retry = live.default_retry(initial=0.01, maximum=0.01, timeout=0.0)  # no time left to retry
    collected = list(live.collect(_options(url, projects=("excare-prod",), organization=None), retry=retry))
    gap = next(g for g in collected if isinstance(g, Gap))
    assert gap.reason == "throttled"
    assert "listing stopped after 4 assets" in gap.message
    assert sum(isinstance(item, RawRecord) for item in collected) == 4


class _ExpiredCredentials(Credentials):
    """User credentials whose refresh token was revoked: what ``google.auth`` raises then."""

    def __init__(self, token: str | None):
        super().__init__()  # type: ignore[no-untyped-call]
        self.token = token

    def refresh(self, request: Any) -> None:
        raise RefreshError(  # type: ignore[no-untyped-call]
            "Reauthentication is needed. Please run `gcloud auth application-default login`.")


@pytest.mark.parametrize("token", [None, "stale-token"])
def test_expired_or_refused_credentials_end_the_run(estate: tuple[Estate, str], token: str | None) -> None:
    state, url = estate
    state.unauthenticated = True  # a stale token is answered 401, and its refresh fails
    with pytest.raises(CredentialsError, match="gcloud auth application-default login"):
        list(live.collect(_options(url), credentials=_ExpiredCredentials(token), retry=FAST_RETRY))
    assert len(state.requests) == (0 if token is None else 1)


def test_missing_credentials_are_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    options = LiveOptions(provider="gcp", settings=GcpSettings(organization=ORG),
                          endpoints={"gcp": "http://127.0.0.1:9"})
    with pytest.raises(CredentialsError, match="no Google Cloud credentials found"):
        list(live.collect(options))


def test_an_unreachable_endpoint_is_a_gap_at_once() -> None:
    options = LiveOptions(provider="gcp", settings=GcpSettings(projects=("p",)),
                          endpoints={"gcp": "http://127.0.0.1:9", "gcp_credentials": "anonymous"})
    start = time.monotonic()
    collected = list(live.collect(options))  # the default retry: connection errors are not retried for minutes
    assert time.monotonic() - start < 10
    assert _gaps(collected) == {("unreachable", "p")}
    listing = next(g.message for g in collected if isinstance(g, Gap) and "ListAssets" in g.message)
    assert "cannot reach the API" in listing


def test_one_project_that_cannot_be_reached_is_a_gap_the_others_are_collected(estate: tuple[Estate, str]) -> None:
    state, url = estate
    state.dropped.add("excare-web")
    collected = _collect(url)
    assert _gaps(collected) == {("access-denied", "excare-secret"), ("unreachable", "excare-web")}
    assert {r.account for r in _resources(_items(collected)).values()} == {"excare-prod", "excare-analytics"}
    gap = next(g for g in collected if isinstance(g, Gap) and g.reason == "unreachable")
    assert "http" not in gap.message.split("cannot reach the API", 1)[1].split(";")[0].replace("http://127.0.0.1", "")


def test_nothing_is_printed_without_progress(estate: tuple[Estate, str], capsys: pytest.CaptureFixture[str]) -> None:
    _, url = estate
    _collect(url)
    assert capsys.readouterr() == ("", "")


def test_progress_draws_on_stderr_only(estate: tuple[Estate, str], capsys: pytest.CaptureFixture[str]) -> None:
    _, url = estate
    assert len(_resources(_items(_collect(url, show_progress=True)))) == len(EXPECTED_RESOURCES)
    assert capsys.readouterr().out == ""


# --------------------------------------------------------------------------- the read-only guard


def _clients(url: str) -> tuple[asset_v1.AssetServiceClient, resourcemanager_v3.ProjectsClient]:
    opts = ClientOptions(api_endpoint=url)
    creds = AnonymousCredentials()  # type: ignore[no-untyped-call]
    return (asset_v1.AssetServiceClient(credentials=creds, client_options=opts,
                                        transport=guarded_transport(AssetServiceRestTransport)),
            resourcemanager_v3.ProjectsClient(credentials=creds, client_options=opts,
                                              transport=guarded_transport(ProjectsRestTransport)))


def test_write_rpcs_are_refused_before_reaching_the_server(estate: tuple[Estate, str]) -> None:
    state, url = estate
    assets, projects = _clients(url)
    with pytest.raises(ReadOnlyViolation, match="refused POST"):
        assets.create_feed(request={"parent": "projects/excare-prod", "feed_id": "f",
                                    "feed": {"name": "projects/excare-prod/feeds/f"}})
    with pytest.raises(ReadOnlyViolation, match="refused DELETE"):
        projects.delete_project(name="projects/excare-prod")
    with pytest.raises(ReadOnlyViolation, match="refused PATCH"):
        projects.update_project(project=resourcemanager_v3.Project(name="projects/excare-prod", display_name="x"))
    # A read-only RPC that REST sends as POST is refused too: the collector has no use for it.
    with pytest.raises(ReadOnlyViolation, match="refused POST"):
        projects.get_iam_policy(resource="projects/excare-prod")
    assert state.requests == []
    # The same guarded clients still read.
    assert projects.get_project(name="projects/excare-prod").project_id == "excare-prod"
    assert [m for m, _, _ in state.requests] == ["GET"]


def test_the_operations_clients_are_guarded_too(estate: tuple[Estate, str]) -> None:
    """A long-running-operations client has a session of its own: DELETE and :cancel are refused there too."""
    state, url = estate
    run = live._Collector(_options(url), AnonymousCredentials(), FAST_RETRY)  # type: ignore[no-untyped-call]
    for client in (run.assets, run.projects, run.folders):
        operations: Any = client.transport.operations_client
        assert all(isinstance(a, ReadOnlyAdapter) for a in operations.transport._session.adapters.values())
        with pytest.raises(ReadOnlyViolation, match="refused DELETE"):
            operations.delete_operation(name="projects/excare-prod/operations/op1")
        with pytest.raises(ReadOnlyViolation, match="refused POST"):
            operations.cancel_operation(name="projects/excare-prod/operations/op1")
    assert state.requests == []
    # Without the guard, the same call leaves the process: the test would see a bypass.
    plain = asset_v1.AssetServiceClient(credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
                                        client_options=ClientOptions(api_endpoint=url), transport="rest")
    with pytest.raises(Exception):  # noqa: B017 - the test server refuses it; what matters is that it was sent
        plain.transport.operations_client.delete_operation(name="projects/excare-prod/operations/op1")
    assert [m for m, _, _ in state.requests] == ["DELETE"]


def test_the_collector_clients_are_guarded(estate: tuple[Estate, str]) -> None:
    state, url = estate
    run = live._Collector(_options(url), AnonymousCredentials(), FAST_RETRY)  # type: ignore[no-untyped-call]
    for client in (run.assets, run.projects, run.folders):
        transport: Any = client.transport
        session = transport._session
        assert all(isinstance(adapter, ReadOnlyAdapter) for adapter in session.adapters.values())
    with pytest.raises(ReadOnlyViolation):
        run.assets.delete_feed(name="projects/excare-prod/feeds/f")
    with pytest.raises(ReadOnlyViolation):
        run.folders.delete_folder(name="folders/583920174655")
    assert state.requests == []


def test_guard_checks_method_only_reads_pass() -> None:
    check_request("GET", "https://cloudasset.googleapis.com/v1/projects/p/assets")
    check_request("get", "https://cloudasset.googleapis.com/v1/projects/p/assets")
    for method in ("POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", None):
        with pytest.raises(ReadOnlyViolation):
            check_request(method, "https://cloudresourcemanager.googleapis.com/v3/projects/p")


class _Recording(requests.adapters.BaseAdapter):
    """Stands for an adapter the session already had (mTLS, retries): it must stay in the chain."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self.sent.append(f"{request.method} {request.url}")
        response = requests.Response()
        response.status_code = 200
        return response

    def close(self) -> None:
        pass


def test_guard_wraps_the_adapters_a_session_already_has() -> None:
    session = requests.Session()
    inner = _Recording()
    session.mount("https://", inner)
    guard_session(session)
    guard_session(session)  # idempotent: no guard around a guard
    adapter = session.adapters["https://"]
    assert isinstance(adapter, ReadOnlyAdapter) and adapter.inner is inner
    assert isinstance(session.adapters["http://"], ReadOnlyAdapter)
    assert session.get("https://cloudasset.googleapis.com/v1/projects/p/assets").status_code == 200
    with pytest.raises(ReadOnlyViolation):
        session.post("https://cloudasset.googleapis.com/v1/projects/p/feeds", json={})
    assert inner.sent == ["GET https://cloudasset.googleapis.com/v1/projects/p/assets"]


def test_a_transport_without_a_session_is_refused() -> None:
    class NoSession:
        def __init__(self, **kwargs: Any):
            pass

    with pytest.raises(CollectionError, match="refuses to run unguarded"):
        guarded_transport(NoSession)()


@pytest.mark.parametrize(("base", "rpc"), [
    (_BaseAssetServiceRestTransport, "_BaseListAssets"),
    (_BaseProjectsRestTransport, "_BaseGetProject"),
    (_BaseProjectsRestTransport, "_BaseListProjects"),
    (_BaseProjectsRestTransport, "_BaseSearchProjects"),
    (_BaseFoldersRestTransport, "_BaseListFolders"),
])
def test_every_rpc_the_collector_makes_is_a_get(base: Any, rpc: str) -> None:
    # The libraries' own REST transcoding rules: what the guard must let through.
    options = getattr(base, rpc)._get_http_options()
    assert [o["method"] for o in options] == ["get"]


def test_the_raw_kind_is_registered_for_the_cli() -> None:
    transforms = raw_transforms()
    assert transforms[live.ASSET_KIND] is RAW_TRANSFORMS[live.ASSET_KIND]
    items = list(transforms[live.ASSET_KIND]([ESTATE["assets"]["excare-web"][0], {"name": "x"}], SOURCE))
    assert [type(i).__name__ for i in items] == ["Resource", "Gap"]
    assert items[1] == Gap(SOURCE, "1 record skipped: not a Cloud Asset record (no full name or asset type) "
                                   "(first at record 2)", "skipped")


def test_saved_inventory_is_gzip_ndjson(estate: tuple[Estate, str], tmp_path: Path) -> None:
    _, url = estate
    writer = InventoryWriter(tmp_path / "inv.gz", "gcp", {})
    for item in _collect(url):
        writer.write(item)
    writer.finish()
    lines = [json.loads(line) for line in gzip.decompress((tmp_path / "inv.gz").read_bytes()).splitlines()]
    assert {line["kind"] for line in lines if "kind" in line} == {"gcp-asset"}
    assert lines[-1]["end"] == {"records": 11, "accounts": 4, "gaps": 1, "complete": True}
