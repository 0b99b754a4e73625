"""Live, read-only Azure collection: subscriptions, Resource Graph rows, SQL replication details.

``collect(options)`` yields raw records of kind ``azure-resource`` (ARM resource dicts, exactly the
rows an ``az graph query`` export holds), read by :data:`providers.azure.files.RAW_TRANSFORMS`, so
a live run and a saved inventory give the same items. Steps:

1. Subscriptions: ``GET /subscriptions`` (Subscriptions - List, api-version 2022-12-01, paged by
   ``nextLink``), narrowed to ``options.subscriptions`` when given.
2. Inventory: Resource Graph (``POST /providers/Microsoft.ResourceGraph/resources``) with
   ``Resources | union (ResourceContainers | where type =~ 'microsoft.resources/subscriptions')``
   in the object-array format, 1,000 rows a page, looping on ``$skipToken`` until it is empty; a
   row count short of ``totalRecords`` or ``resultTruncated`` becomes a ``truncated`` gap. The
   subscriptions are split into at most ``max_workers`` batches of at most 1,000 (the most one
   query accepts: learn.microsoft.com/azure/governance/resource-graph/troubleshoot/general,
   "Too many subscriptions", checked 2026-11-30), queried in parallel. The subscription rows
   give each subscription its display name and management group.
3. A batch refused on its first page is retried one subscription at a time; a subscription whose
   Resource Graph query is refused falls back to Resource Manager (``resources.list()``, which
   has no ``properties``: replication is then inferred from the SKU) and, if that is refused too,
   becomes a gap naming it.
4. For each SQL server, its failover groups, replication links and TDE protector (ARM ``GET``
   lists, Microsoft.Sql api-version 2021-11-01), which Resource Graph does not show in full. The
   server's row waits for them: a protector held in Key Vault becomes the server's ``keyId`` (the
   server property that names its customer-managed key) rather than a resource of its own.

Every client carries :class:`~providers.azure.guard.ReadOnlyGuard`; throttling is retried by
azure-core's ``RetryPolicy`` (which honours ``Retry-After`` on 429) with exponential backoff,
:data:`RETRY_TOTAL` times (``retry_status`` too: azure-core's own default would stop status retries
after 3).

Errors: missing or expired credentials raise ``CredentialsError``; access denied, an unregistered
resource provider, throttling that outlasts the retries, or a resource gone meanwhile become
``Gap`` items (reasons ``access-denied``, ``api-disabled``, ``throttled``, ``unreachable``,
``error``) naming the subscription and service (Resource Graph and Resource Manager are global: no
region), so one subscription that cannot be reached does not stop the others; anything else raises
``CollectionError``.

Test hooks: ``collect(options, credential=…)`` takes any azure-core ``TokenCredential`` instead of
``DefaultAzureCredential``; ``options.endpoints`` (never set by the CLI) may carry ``"azure"``,
a Resource Manager URL replacing ``https://management.azure.com``, ``"azure_ca"``, a CA bundle
to verify its TLS certificate with, and ``"azure_token"``, a static bearer token used instead of
``DefaultAzureCredential`` (so that end-to-end tests through the CLI need no directory).
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.rest import HttpRequest
from azure.mgmt.core.exceptions import ARMErrorFormat
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from providers.azure.files import RAW_RESOURCE
from providers.azure.guard import ReadOnlyGuard
from providers.azure.normalize import SUBSCRIPTION_TYPE
from providers.azure.options import AzureSettings
from providers.base import CollectionError, CredentialsError
from providers.live import LiveOptions, RawRecord, short_message
from providers.workers import DaemonPool
from scanner.model import Account, Gap

SOURCE = "live:azure"
ARM_ENDPOINT = "https://management.azure.com"
#: Subscriptions - List (learn.microsoft.com/rest/api/resources/subscriptions/list, checked 2026-11-30).
SUBSCRIPTIONS_API = "2022-12-01"
#: Microsoft.Sql GA version with failoverGroups, replicationLinks (list by server) and
#: encryptionProtector lists (learn.microsoft.com/rest/api/sql, checked 2026-11-30).
SQL_API = "2021-11-01"
#: ``QueryRequestOptions.top`` maximum (Resource Graph REST reference).
PAGE_ROWS = 1000
MAX_SUBSCRIPTIONS_PER_QUERY = 1000
#: azure-core ``RetryPolicy`` settings: 429 and 5xx are retried, honouring ``Retry-After``,
#: otherwise waiting ``backoff × 2^(n-1)`` seconds (Resource Graph allows about 15 queries per
#: 5 s per user: learn.microsoft.com/azure/governance/resource-graph/concepts/guidance-for-throttled-requests).
RETRY_TOTAL = 6
RETRY_BACKOFF = 0.8

QUERY = ("Resources\n"
         "| union (ResourceContainers | where type =~ 'microsoft.resources/subscriptions')")

SQL_SERVER_TYPE = "microsoft.sql/servers"
#: Child collections of a SQL server read with ARM GET: path segment → what it is, for messages.
SQL_CHILDREN = (
    ("failoverGroups", "failover groups"),
    ("replicationLinks", "replication links"),
    ("encryptionProtector", "TDE protector"),
)

#: ARM error codes that mean "this identity may not read this".
_DENIED_CODES = frozenset({"authorizationfailed", "linkedauthorizationfailed", "forbidden",
                           "invalidauthenticationtokentenant", "subscriptionnotfound"})
#: ARM error codes that mean the resource provider is not enabled for the subscription.
_DISABLED_CODES = frozenset({"missingsubscriptionregistration", "subscriptionnotregistered",
                             "disallowedprovider"})

_CREDENTIALS_HINT = ("sign in with 'az login' (add '--tenant TENANT' for another directory), or set "
                     "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal, "
                     "then run again")


# -- credentials ------------------------------------------------------------------------------
class _TenantCredential:
    """Asks every token for one tenant (``--tenant``), whatever the default directory is."""

    def __init__(self, inner: Any, tenant: str):
        self._inner = inner
        self._tenant = tenant

    def get_token(self, *scopes: str, claims: str | None = None, tenant_id: str | None = None,
                  enable_cae: bool = False, **kwargs: Any) -> AccessToken:
        token: AccessToken = self._inner.get_token(*scopes, claims=claims, tenant_id=tenant_id or self._tenant,
                                                   enable_cae=enable_cae, **kwargs)
        return token


class StaticTokenCredential:
    """A fixed bearer token (``options.endpoints["azure_token"]``, for tests against a local server)."""

    def __init__(self, token: str):
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)


def default_credential(tenant: str | None) -> TokenCredential:
    """``DefaultAzureCredential`` (environment, workload identity, managed identity, Azure CLI…).

    The chain logs each credential it tried at WARNING level when none works: a dozen lines before
    sovscan's own one-line error. A ``NullHandler`` on ``azure.identity`` keeps them off the terminal
    when logging is not configured (as Python's logging guide recommends for libraries); whoever
    configures logging still receives them.
    """
    from azure.identity import DefaultAzureCredential

    silent = logging.getLogger("azure.identity")
    if not any(isinstance(h, logging.NullHandler) for h in silent.handlers):
        silent.addHandler(logging.NullHandler())

    if not tenant:
        return DefaultAzureCredential()
    inner = DefaultAzureCredential(additionally_allowed_tenants=[tenant], shared_cache_tenant_id=tenant,
                                   visual_studio_code_tenant_id=tenant, workload_identity_tenant_id=tenant)
    return _TenantCredential(inner, tenant)


# -- clients ----------------------------------------------------------------------------------
def client_options(options: LiveOptions) -> dict[str, Any]:
    """Keyword arguments for every Azure client: endpoint, TLS, the guard, retries."""
    guard = ReadOnlyGuard()
    kwargs: dict[str, Any] = {
        "base_url": options.endpoints.get("azure", ARM_ENDPOINT),
        # Per call: refused before any other policy runs. Per retry: also sees requests made by
        # policies below RetryPolicy (ARM's resource-provider auto-registration POST).
        "per_call_policies": [guard],
        "per_retry_policies": [guard],
        "retry_total": RETRY_TOTAL,
        "retry_status": RETRY_TOTAL,  # azure-core stops status retries (429, 5xx) after 3 otherwise
        "retry_backoff_factor": RETRY_BACKOFF,
    }
    ca = options.endpoints.get("azure_ca")
    if ca:
        kwargs["connection_verify"] = ca
    return kwargs


@dataclass(frozen=True)
class Subscription:
    id: str  # lower-case GUID
    name: str | None
    tenant: str | None
    state: str | None

    @property
    def label(self) -> str:
        return f"subscription {self.id} ({self.name})" if self.name else f"subscription {self.id}"

    def record(self) -> dict[str, Any]:
        """A ``ResourceContainers`` subscription row, for subscriptions Resource Graph did not give."""
        return {"id": f"/subscriptions/{self.id}", "name": self.name, "type": SUBSCRIPTION_TYPE,
                "subscriptionId": self.id, "tenantId": self.tenant, "properties": {"state": self.state}}


# -- errors -----------------------------------------------------------------------------------
def _error_code(exc: AzureError) -> str:
    """The ARM error code (``AuthorizationFailed``…); errors raised through an SDK ``error_map``
    carry no parsed body, so read it from the response then."""
    code = getattr(getattr(exc, "error", None), "code", None)
    if code:
        return str(code)
    response = getattr(exc, "response", None)
    try:
        body = response.json() if response is not None else None
    except (ValueError, AttributeError):  # not JSON, or no body was read
        return ""
    error = body.get("error") if isinstance(body, Mapping) else None
    return str(error.get("code") or "") if isinstance(error, Mapping) else ""


def _status(exc: AzureError) -> int | None:
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def classify(exc: AzureError, scope: str, service: str) -> Gap:
    """An SDK error about one scope → a ``Gap``; raise for errors that end the collection."""
    status, code = _status(exc), _error_code(exc)
    lcode = code.lower()
    detail = f"HTTP {status} {code}".strip() if status else type(exc).__name__
    where = f"{scope}, region: all (global API), service: {service}"
    if isinstance(exc, ClientAuthenticationError) and lcode != "invalidauthenticationtokentenant":
        raise CredentialsError(f"Azure credentials are missing, expired or refused ({_first_line(exc)}): "
                               f"{_CREDENTIALS_HINT}") from None
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return Gap(SOURCE, f"{where}: cannot reach Azure Resource Manager ({_first_line(exc)}); its resources "
                   "are missing from the inventory", "unreachable")
    if status == 403 or lcode in _DENIED_CODES:
        return Gap(SOURCE, f"{where}: access denied ({detail}); grant the Reader role there "
                   "(docs/permissions/azure.md)", "access-denied")
    if lcode in _DISABLED_CODES:
        return Gap(SOURCE, f"{where}: the resource provider is not registered ({detail}); nothing to "
                   "read there, or ask an owner to register it", "api-disabled")
    if status == 429:
        return Gap(SOURCE, f"{where}: still throttled after {RETRY_TOTAL} retries ({detail}); run again "
                   "later or with fewer --max-workers", "throttled")
    if status == 404 or (status is not None and status >= 500):
        return Gap(SOURCE, f"{where}: not read ({detail}: {_first_line(exc)})", "error")
    raise CollectionError(f"Azure refused a request ({where}): {detail}: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return short_message(text.splitlines()[0], 200) if text else type(exc).__name__


# -- progress ---------------------------------------------------------------------------------
class _Progress:
    """A rich progress bar per batch of subscriptions on stderr, or nothing at all."""

    def __init__(self, enabled: bool):
        self._bar: Progress | None = None
        if enabled:
            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=Console(stderr=True), transient=False)

    def __enter__(self) -> _Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def add(self, description: str, total: float | None = None) -> TaskID | None:
        return self._bar.add_task(description, total=total) if self._bar is not None else None

    def update(self, task: TaskID | None, *, advance: float = 0, total: float | None = None) -> None:
        if self._bar is not None and task is not None:
            if total is not None:
                self._bar.update(task, total=total)
            self._bar.advance(task, advance)


# -- a bounded pool whose tasks stream items back -----------------------------------------------
class _Stopped(Exception):
    """The consumer went away: the task ends quietly."""


@dataclass(frozen=True)
class _Failed:
    exc: BaseException


_DONE = object()


class _Runner:
    """Runs tasks on a :class:`DaemonPool`; tasks may submit more tasks and emit items.

    Items go through a bounded queue to the consuming generator, so memory stays flat whatever
    the estate's size; the first task error is re-raised in the consumer.
    """

    def __init__(self, pool: DaemonPool, capacity: int = 4096):
        self._pool = pool
        self._queue: queue.Queue[object] = queue.Queue(capacity)
        self._pending = 0
        self._lock = threading.Lock()
        self.stopped = threading.Event()

    def submit(self, fn: Callable[..., None], *args: Any) -> None:
        with self._lock:
            self._pending += 1
        self._pool.submit(self._run, fn, args)

    def _run(self, fn: Callable[..., None], args: tuple[Any, ...]) -> None:
        try:
            fn(*args)
        except _Stopped:
            pass
        except BaseException as exc:  # handed to the consumer, which re-raises it
            self._put(_Failed(exc), final=True)
        finally:
            self._put(_DONE, final=True)

    def emit(self, item: RawRecord | Account | Gap) -> None:
        self._put(item, final=False)

    def _put(self, item: object, *, final: bool) -> None:
        while not self.stopped.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        if not final:
            raise _Stopped

    def drain(self) -> Iterator[RawRecord | Account | Gap]:
        while True:
            with self._lock:
                if self._pending == 0:
                    return
            item = self._queue.get()
            if item is _DONE:
                with self._lock:
                    self._pending -= 1
            elif isinstance(item, _Failed):
                self.stopped.set()
                raise item.exc
            else:
                yield item  # type: ignore[misc]  # only items, _DONE and _Failed are queued


def _protector_key(protector: Mapping[str, Any]) -> str | None:
    """The Key Vault key of a TDE protector held by the customer, or None for a service-managed one.

    learn.microsoft.com/rest/api/sql/encryption-protectors/get (``serverKeyType`` ``AzureKeyVault`` or
    ``ServiceManaged``, ``uri``), checked 2026-12-04.
    """
    props = protector.get("properties")
    if not isinstance(props, Mapping) or str(props.get("serverKeyType") or "").lower() != "azurekeyvault":
        return None
    uri = props.get("uri")
    return uri if isinstance(uri, str) and uri else None


# -- the collection ---------------------------------------------------------------------------
class _Collection:
    def __init__(self, options: LiveOptions, credential: TokenCredential):
        self.options = options
        self.credential = credential
        self.kwargs = client_options(options)
        self.graph = ResourceGraphClient(credential, **self.kwargs)
        self.seen_subscriptions: set[str] = set()

    # ARM GET through a guarded pipeline, following nextLink.
    def arm_list(self, url: str) -> Iterator[Mapping[str, Any]]:
        next_url: str | None = url
        while next_url:
            response = self.graph._send_request(HttpRequest("GET", next_url))
            if response.status_code != 200:
                error = (ClientAuthenticationError if response.status_code == 401 else HttpResponseError)
                raise error(response=response, error_format=ARMErrorFormat)
            body = response.json()
            if not isinstance(body, Mapping):
                raise CollectionError(f"unexpected answer to GET {url.split('?')[0]}: not a JSON object")
            for value in body.get("value") or ():
                if isinstance(value, Mapping):
                    yield value
            link = body.get("nextLink")
            next_url = link if isinstance(link, str) and link else None

    def subscriptions(self) -> tuple[list[Subscription], list[Gap]]:
        visible: dict[str, Subscription] = {}
        for row in self.arm_list(f"/subscriptions?api-version={SUBSCRIPTIONS_API}"):
            sid = str(row.get("subscriptionId") or "").lower()
            if sid:
                name, tenant, state = row.get("displayName"), row.get("tenantId"), row.get("state")
                visible[sid] = Subscription(sid, name if isinstance(name, str) else None,
                                            tenant if isinstance(tenant, str) else None,
                                            state if isinstance(state, str) else None)
        chosen: list[Subscription] = []
        gaps: list[Gap] = []
        chosen_ids = settings_of(self.options).subscriptions
        if not chosen_ids:
            if not visible:
                gaps.append(Gap(SOURCE, "no subscription is visible to these credentials: grant the "
                                "Reader role (docs/permissions/azure.md)", "access-denied"))
            return sorted(visible.values(), key=lambda s: s.id), gaps
        for sid in dict.fromkeys(s.strip().lower() for s in chosen_ids):
            if sid in visible:
                chosen.append(visible[sid])
            else:
                gaps.append(Gap(SOURCE, f"subscription {sid}: not visible to these credentials, not "
                                "collected (check the id and the Reader role, or pass --tenant)", "access-denied"))
        return chosen, gaps

    def run(self, subs: Sequence[Subscription], runner: _Runner, progress: _Progress) -> None:
        size = min(MAX_SUBSCRIPTIONS_PER_QUERY, max(1, math.ceil(len(subs) / max(1, self.options.max_workers))))
        for start in range(0, len(subs), size):
            runner.submit(self.query_batch, list(subs[start:start + size]), runner, progress)

    def query_batch(self, batch: list[Subscription], runner: _Runner, progress: _Progress) -> None:
        what = batch[0].label if len(batch) == 1 else f"{len(batch)} subscriptions"
        task = progress.add(f"Azure {what}")
        token: str | None = None
        rows = 0
        total: int | None = None
        truncated = False
        while True:
            request = QueryRequest(subscriptions=[s.id for s in batch], query=QUERY,
                                   options=QueryRequestOptions(result_format="objectArray", top=PAGE_ROWS,
                                                               skip_token=token))
            try:
                page = self.graph.resources(request)
            except AzureError as exc:
                if rows == 0 and len(batch) > 1 and _status(exc) != 429:
                    for sub in batch:  # find the subscription that refuses, keep the others
                        runner.submit(self.query_batch, [sub], runner, progress)
                    return
                gap = classify(exc, "; ".join(s.label for s in batch), "Resource Graph")
                if rows == 0 and gap.reason in ("access-denied", "api-disabled"):
                    self.fallback(batch[0], gap, runner)
                else:
                    runner.emit(gap if rows == 0 else Gap(
                        SOURCE, f"{gap.message} (after {rows} row(s): results incomplete)", gap.reason))
                return
            data: list[Any] = page.data if isinstance(page.data, list) else []
            if total is None and isinstance(page.total_records, int):
                total = page.total_records
                progress.update(task, total=total)
            for row in data:
                if isinstance(row, Mapping):
                    self.emit_row(row, runner)
                else:
                    runner.emit(RawRecord(RAW_RESOURCE, {"row": row}))  # counted as skipped by the transform
            rows += len(data)
            progress.update(task, advance=len(data))
            truncated = truncated or str(page.result_truncated).lower() == "true"
            token = page.skip_token or None
            if not token:
                break
        if truncated or (total is not None and rows < total):
            of = f" of {total}" if total is not None else ""
            runner.emit(Gap(SOURCE, f"{what}: Resource Graph returned {rows} row(s){of}; the rest could not "
                            "be paged (run again)", "truncated"))

    def emit_row(self, row: Mapping[str, Any], runner: _Runner) -> None:
        rtype = row.get("type")
        rtype = rtype.lower() if isinstance(rtype, str) else None
        if rtype == SQL_SERVER_TYPE and isinstance(row.get("id"), str):
            runner.submit(self.sql_children, row, runner)  # the row waits for its TDE protector
            return
        runner.emit(RawRecord(RAW_RESOURCE, row))
        if rtype == SUBSCRIPTION_TYPE:
            sid = row.get("subscriptionId")
            if isinstance(sid, str):
                self.seen_subscriptions.add(sid.lower())

    def sql_children(self, server: Mapping[str, Any], runner: _Runner) -> None:
        """A SQL server's failover groups and replication links, and its row with its TDE protector's key."""
        server_id = str(server["id"])
        subscription = str(server.get("subscriptionId") or "").lower()
        key_id: str | None = None
        for segment, what in SQL_CHILDREN:
            try:
                for child in self.arm_list(f"{server_id}/{segment}?api-version={SQL_API}"):
                    if segment == "encryptionProtector":
                        key_id = _protector_key(child) or key_id
                    else:
                        runner.emit(RawRecord(RAW_RESOURCE, child))
            except AzureError as exc:
                name = server_id.rsplit("/", 1)[-1]
                runner.emit(classify(exc, f"subscription {subscription}, SQL server {name}", f"Microsoft.Sql {what}"))
        props = server.get("properties")
        if key_id and not (isinstance(props, Mapping) and props.get("keyId")):
            server = {**server, "properties": {**(props if isinstance(props, Mapping) else {}), "keyId": key_id}}
        runner.emit(RawRecord(RAW_RESOURCE, server))

    def fallback(self, sub: Subscription, refused: Gap, runner: _Runner) -> None:
        """Resource Graph refused this subscription: list its resources through Resource Manager."""
        client = ResourceManagementClient(self.credential, sub.id, **self.kwargs)
        listed = 0
        try:
            for item in client.resources.list():
                runner.emit(RawRecord(RAW_RESOURCE, item.as_dict()))
                listed += 1
        except AzureError as exc:
            denied = classify(exc, sub.label, "Resource Manager resources.list")
            runner.emit(Gap(SOURCE, f"{refused.message}; {denied.message}; no resources collected for "
                            f"{sub.label}" + (f" beyond {listed}" if listed else ""), denied.reason))
            return
        runner.emit(Gap(SOURCE, f"{refused.message}; listed {listed} resource(s) through Resource Manager "
                        "instead, without their properties: replication and encryption are inferred from "
                        "the SKU or unknown", refused.reason))


def settings_of(options: LiveOptions) -> AzureSettings:
    settings = options.settings
    return settings if isinstance(settings, AzureSettings) else AzureSettings()


def collect(options: LiveOptions, *, credential: TokenCredential | None = None
            ) -> Iterator[RawRecord | Account | Gap]:
    """Collect the Azure estate that ``options`` names, read-only (see the module docstring)."""
    token = options.endpoints.get("azure_token")
    if credential is None:
        credential = StaticTokenCredential(token) if token else default_credential(settings_of(options).tenant)
    collection = _Collection(options, credential)
    try:
        subs, gaps = collection.subscriptions()
    except AzureError as exc:
        refused = classify(exc, "tenant", "Subscriptions - List")  # raises for credentials
        raise CollectionError(f"cannot list subscriptions: {refused.message}") from None
    yield from gaps
    if not subs:
        return
    pool = DaemonPool(options.max_workers, "sovscan-azure")
    runner = _Runner(pool)
    finished = False
    try:
        with _Progress(options.show_progress) as progress:
            collection.run(subs, runner, progress)
            yield from runner.drain()
        for sub in subs:
            if sub.id not in collection.seen_subscriptions:
                yield RawRecord(RAW_RESOURCE, sub.record())
        finished = True
    finally:
        runner.stopped.set()
        pool.shutdown(wait=finished)  # after Ctrl-C or an error, calls in flight are abandoned
