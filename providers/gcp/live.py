"""Live, read-only collection from Google Cloud: projects from Resource Manager, resources from Cloud Asset.

``collect(options)`` yields, in this order:

1. a ``Gap`` for each part of the hierarchy that could not be walked;
2. an ``Account`` per project in scope (project id, display name, parent ``folders/N`` or
   ``organizations/N``), from Resource Manager v3;
3. every resource of every project as ``RawRecord("gcp-asset", asset)``: the Cloud Asset API's
   ``ListAssets`` (``contentType=RESOURCE``, all pages) per project, in parallel, each Asset in the
   API's JSON form (camelCase, as ``gcloud asset list --format=json`` writes it), so that
   ``providers.gcp.files.RAW_TRANSFORMS`` turns them into the same items as an exported file;
4. a ``Gap`` per project whose listing failed or stopped (``access-denied``, ``api-disabled``,
   ``throttled``, ``unreachable``, ``error``), naming the project and the API: one project that
   cannot be reached does not stop the others.

Records come as one uninterrupted run (gaps of step 4 are held until the end), so that one
transform call sees them all and learns every project's number → id from the Project assets.

Scope (:class:`providers.gcp.options.GcpSettings`): ``organization`` and/or ``folder`` walk the folder tree below them
(``ListFolders``, ``ListProjects`` per node); ``projects`` names projects (``GetProject``); with
none of them, every active project the credentials can see (``SearchProjects``). Cloud Asset
Inventory lists every location, so ``regions`` does not apply.

Credentials: Application Default Credentials with the read-only scope
``https://www.googleapis.com/auth/cloud-platform.read-only``. Every client uses the REST transport
wrapped by :mod:`providers.gcp.guard`, which refuses any request that is not a ``GET``.
Throttling (HTTP 429) and unavailability (503) are retried with google-api-core's exponential
backoff; ``ListAssets`` allows 100 requests per minute per consumer project and 800 per minute per
organization (https://cloud.google.com/asset-inventory/docs/quota, checked 2026-11-30), so a large
organisation waits rather than fails. A connection that cannot be made is not retried for minutes:
it becomes a gap (``unreachable``) for the project or folder concerned at once.

Test hooks, in ``options.endpoints`` (the CLI never sets them): ``gcp`` is a base URL
(``http://127.0.0.1:PORT``) for both APIs, ``gcp_asset`` / ``gcp_resourcemanager`` override it per
API, and ``gcp_credentials: "anonymous"`` uses ``AnonymousCredentials`` instead of ADC. Tests may
also pass ``credentials=`` and ``retry=`` to :func:`collect`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import google.auth
import requests
import requests.adapters
from google.api_core import exceptions as gexc
from google.api_core.retry import Retry, if_exception_type
from google.auth import exceptions as auth_exc
from google.auth.credentials import AnonymousCredentials, Credentials
from google.cloud import asset_v1, resourcemanager_v3
from google.cloud.asset_v1.services.asset_service.transports.rest import AssetServiceRestTransport
from google.cloud.resourcemanager_v3.services.folders.transports.rest import FoldersRestTransport
from google.cloud.resourcemanager_v3.services.projects.transports.rest import ProjectsRestTransport

from providers.base import CollectionError, CredentialsError, ProviderError
from providers.gcp.guard import guarded_transport
from providers.gcp.normalize import PROVIDER
from providers.gcp.options import GcpSettings
from providers.live import LiveOptions, RawRecord, short_message
from providers.workers import DaemonPool
from scanner.model import Account, Gap

ASSET_KIND = "gcp-asset"
SOURCE = "live:gcp"
READ_ONLY_SCOPE = "https://www.googleapis.com/auth/cloud-platform.read-only"
#: ListAssets returns at most 1,000 assets a page (ListAssetsRequest.page_size,
#: https://cloud.google.com/asset-inventory/docs/reference/rest/v1/assets/list, checked 2026-11-30).
PAGE_SIZE = 1000
#: Seconds one HTTP call may take.
CALL_TIMEOUT = 60.0

_ASSET_API = "Cloud Asset API (cloudasset.googleapis.com)"
_CRM_API = "Resource Manager API (cloudresourcemanager.googleapis.com)"
_ASSET_ROLE = "grant roles/cloudasset.viewer on the project, a folder above it or the organization"
_CRM_ROLE = "grant roles/browser (or roles/resourcemanager.folderViewer) on the organization or folder"


def default_retry(initial: float = 1.0, maximum: float = 60.0, timeout: float = 300.0) -> Retry:
    """Exponential backoff on throttling and unavailability, by default for up to five minutes a call."""
    return Retry(
        predicate=if_exception_type(gexc.TooManyRequests, gexc.ServiceUnavailable, gexc.InternalServerError,
                                    gexc.GatewayTimeout),
        initial=initial, maximum=maximum, multiplier=2.0, timeout=timeout)


@dataclass(frozen=True)
class ProjectInfo:
    """A project in scope: what Resource Manager said about it (or just its id)."""

    project_id: str
    display_name: str | None = None
    parent: str | None = None


class _Failure(Exception):
    """A per-scope failure that becomes a gap: ``reason`` and a short description."""

    def __init__(self, reason: str, what: str):
        super().__init__(what)
        self.reason = reason
        self.what = what


def settings_of(options: LiveOptions) -> GcpSettings:
    settings = options.settings
    return settings if isinstance(settings, GcpSettings) else GcpSettings()


def _credentials(options: LiveOptions) -> Credentials:
    if options.endpoints.get("gcp_credentials") == "anonymous":
        return AnonymousCredentials()  # type: ignore[no-untyped-call]
    try:
        creds, _project = google.auth.default(scopes=[READ_ONLY_SCOPE])
    except auth_exc.DefaultCredentialsError:
        raise CredentialsError(
            "no Google Cloud credentials found: run `gcloud auth application-default login`, or set "
            "GOOGLE_APPLICATION_CREDENTIALS to a service-account key file") from None
    result: Credentials = creds
    return result


def _translate(exc: BaseException) -> _Failure | ProviderError:
    """An SDK error → a per-scope failure (a gap) or a provider error that ends the run."""
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, auth_exc.RefreshError | gexc.Unauthenticated):
        return CredentialsError(
            "Google Cloud credentials were refused or have expired: run "
            "`gcloud auth application-default login` again, or check GOOGLE_APPLICATION_CREDENTIALS")
    if isinstance(exc, gexc.RetryError):
        cause = exc.cause
        if isinstance(cause, gexc.TooManyRequests):
            return _Failure("throttled", "rate limit still exceeded after retrying with backoff")
        if isinstance(cause, requests.ConnectionError | requests.Timeout):
            return _Failure("unreachable", f"cannot reach the API: {_short(cause)}")
        if cause is not None:
            return _Failure("error", f"still failing after retrying: {_short(cause)}")
        return _Failure("error", f"retries exhausted: {_short(exc)}")
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return _Failure("unreachable", f"cannot reach the API: {_short(exc)}")
    if isinstance(exc, gexc.TooManyRequests):
        return _Failure("throttled", f"quota exhausted: {_short(exc)}")
    if isinstance(exc, gexc.Forbidden):
        text = str(exc)
        if exc.reason == "SERVICE_DISABLED" or "has not been used" in text or "is disabled" in text:
            return _Failure("api-disabled", f"API disabled: {_short(exc)}; enable it in the quota project")
        return _Failure("access-denied", f"permission denied: {_short(exc)}")
    if isinstance(exc, gexc.NotFound):
        return _Failure("error", f"not found: {_short(exc)}")
    if isinstance(exc, gexc.ServerError):
        return _Failure("error", f"server error: {_short(exc)}")
    if isinstance(exc, gexc.GoogleAPIError | auth_exc.GoogleAuthError | requests.RequestException):
        return CollectionError(f"Google Cloud collection failed: {_short(exc)}")
    raise exc


def _short(exc: BaseException) -> str:
    """The first line of an SDK message, without its details dump, HTML or full URLs."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return short_message(text, 300)


T = TypeVar("T")


class _Progress:
    """A rich progress display on stderr, or nothing at all."""

    def __init__(self, enabled: bool):
        self._progress: Any = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                      MofNCompleteColumn(), console=Console(stderr=True), transient=True)

    def __enter__(self) -> _Progress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def add(self, description: str, total: int | None = None) -> int | None:
        if self._progress is None:
            return None
        task: int = self._progress.add_task(description, total=total)
        return task

    def update(self, task: int | None, *, advance: int = 0, description: str | None = None) -> None:
        if self._progress is not None and task is not None:
            self._progress.update(task, advance=advance, description=description)

    def remove(self, task: int | None) -> None:
        if self._progress is not None and task is not None:
            self._progress.remove_task(task)


class _Collector:
    """One collection run: clients, scope, the worker pool and what it found."""

    def __init__(self, options: LiveOptions, credentials: Credentials, retry: Retry):
        self.options = options
        self.retry = retry
        endpoints = options.endpoints
        base = endpoints.get("gcp")

        def client_options(key: str) -> dict[str, str] | None:
            url = endpoints.get(key) or base
            return {"api_endpoint": url} if url else None

        self.assets = asset_v1.AssetServiceClient(
            credentials=credentials, transport=guarded_transport(AssetServiceRestTransport),
            client_options=client_options("gcp_asset"))
        crm = client_options("gcp_resourcemanager")
        self.projects = resourcemanager_v3.ProjectsClient(
            credentials=credentials, transport=guarded_transport(ProjectsRestTransport), client_options=crm)
        self.folders = resourcemanager_v3.FoldersClient(
            credentials=credentials, transport=guarded_transport(FoldersRestTransport), client_options=crm)
        self.workers = max(1, options.max_workers)
        for client in (self.assets, self.projects, self.folders):
            _size_pool(client.transport, self.workers)

    # ------------------------------------------------------------------ projects

    def _call(self, fn: Callable[[], T], scope: str, api: str, hint: str, gaps: list[Gap]) -> T | None:
        """Run one Resource Manager call; a per-scope failure becomes a gap."""
        try:
            return fn()
        except Exception as exc:
            failure = _translate(exc)
            if isinstance(failure, ProviderError):
                raise failure from None
            gaps.append(Gap(SOURCE, f"{scope} (all locations), {api}: {failure.what}; {hint}", failure.reason))
            return None

    def _project(self, p: Any) -> ProjectInfo:
        return ProjectInfo(p.project_id, p.display_name or None, p.parent or None)

    def _children(self, parent: str) -> tuple[list[ProjectInfo], list[str], list[Gap]]:
        """Active projects and folders directly below ``parent``."""
        gaps: list[Gap] = []
        found = self._call(lambda: [self._project(p) for p in self.projects.list_projects(
            parent=parent, retry=self.retry, timeout=CALL_TIMEOUT)], parent, f"{_CRM_API} ListProjects",
            _CRM_ROLE, gaps) or []
        folders = self._call(lambda: [f.name for f in self.folders.list_folders(
            parent=parent, retry=self.retry, timeout=CALL_TIMEOUT)], parent, f"{_CRM_API} ListFolders",
            _CRM_ROLE, gaps) or []
        return found, folders, gaps

    def _walk(self, roots: list[str], pool: DaemonPool, gaps: list[Gap]) -> list[ProjectInfo]:
        """Every project below the roots, the folder tree walked one level at a time in parallel."""
        found: list[ProjectInfo] = []
        level = roots
        seen = set(roots)
        while level:
            below: list[str] = []
            for projects, folders, level_gaps in pool.map(self._children, level):
                found.extend(projects)
                gaps.extend(level_gaps)
                below.extend(f for f in folders if f not in seen)
                seen.update(folders)
            level = below
        return found

    def _named(self, ref: str, gaps: list[Gap]) -> ProjectInfo:
        name = ref if ref.startswith("projects/") else f"projects/{ref}"
        p = self._call(lambda: self.projects.get_project(name=name, retry=self.retry, timeout=CALL_TIMEOUT),
                       f"project {ref}", f"{_CRM_API} GetProject",
                       "grant roles/browser on the project; its resources are still listed", gaps)
        return self._project(p) if p is not None else ProjectInfo(name[9:])

    def discover(self, pool: DaemonPool, gaps: list[Gap]) -> list[ProjectInfo]:
        """The projects in scope, each once, in a stable order."""
        opts = settings_of(self.options)
        roots = [f"organizations/{_bare(opts.organization, 'organizations/')}"] if opts.organization else []
        if opts.folder:
            roots.append(f"folders/{_bare(opts.folder, 'folders/')}")
        found: list[ProjectInfo] = []
        if roots:
            found.extend(self._walk(roots, pool, gaps))
        if opts.projects:
            found.extend(pool.map(lambda ref: self._named(ref, gaps), opts.projects))
        if not roots and not opts.projects:
            found.extend(self._call(lambda: [self._project(p) for p in self.projects.search_projects(
                query="state:ACTIVE", retry=self.retry, timeout=CALL_TIMEOUT)], "all visible projects",
                f"{_CRM_API} SearchProjects", "grant roles/browser", gaps) or [])
        unique: dict[str, ProjectInfo] = {}
        for info in found:
            unique.setdefault(info.project_id, info)
        return sorted(unique.values(), key=lambda p: p.project_id)

    # ------------------------------------------------------------------ assets

    def list_project(self, project: ProjectInfo, emit: Callable[[tuple[str, Any]], None],
                     progress: _Progress) -> None:
        """Every page of ``ListAssets`` for one project, emitted page by page."""
        task = progress.add(f"gcp {project.project_id}")
        count = 0
        try:
            pager = self.assets.list_assets(
                request={"parent": f"projects/{project.project_id}",
                         "content_type": asset_v1.ContentType.RESOURCE, "page_size": PAGE_SIZE},
                retry=self.retry, timeout=CALL_TIMEOUT)
            for page in pager.pages:
                records = [_asset_json(asset) for asset in page.assets]
                count += len(records)
                emit(("page", records))
                progress.update(task, description=f"gcp {project.project_id}: {count} assets")
        except _Stopped:
            raise
        except Exception as exc:
            failure = _translate(exc)
            if isinstance(failure, ProviderError):
                raise failure from None
            after = f" (listing stopped after {count} assets)" if count else ""
            emit(("gap", Gap(SOURCE, f"project {project.project_id} (all locations), {_ASSET_API} ListAssets: "
                                     f"{failure.what}{after}; {_ASSET_ROLE}", failure.reason)))
        finally:
            progress.remove(task)


def _size_pool(transport: Any, workers: int) -> None:
    """Let every worker keep its connection: urllib3 keeps 10 per host by default and, past that,
    closes connections and logs a warning for each one."""
    if workers <= requests.adapters.DEFAULT_POOLSIZE:
        return
    for adapter in transport._session.adapters.values():
        inner = getattr(adapter, "inner", adapter)
        if isinstance(inner, requests.adapters.HTTPAdapter):
            inner.init_poolmanager(workers, workers)


class _Stopped(Exception):
    """The consumer went away: a worker stops quietly."""


def _bare(value: str, prefix: str) -> str:
    return value[len(prefix):] if value.startswith(prefix) else value


def _asset_json(asset: asset_v1.Asset) -> dict[str, Any]:
    """An Asset message in the REST API's JSON form (camelCase names, enum names, no defaults)."""
    data: dict[str, Any] = asset_v1.Asset.to_dict(
        asset, use_integers_for_enums=False, preserving_proto_field_name=False,
        always_print_fields_with_no_presence=False)
    return data


def collect(options: LiveOptions, *, credentials: Credentials | None = None,
            retry: Retry | None = None) -> Iterator[RawRecord | Account | Gap]:
    """Collect every project in scope; see the module docstring for what is yielded, in which order."""
    creds = credentials if credentials is not None else _credentials(options)
    run = _Collector(options, creds, retry or default_retry())
    with DaemonPool(run.workers, "sovscan-gcp") as pool:
        gaps: list[Gap] = []
        projects = run.discover(pool, gaps)
        yield from gaps
        for info in projects:
            yield Account(info.project_id, PROVIDER, info.display_name, info.parent, SOURCE)
        yield from _assets(run, projects, pool)


def _assets(run: _Collector, projects: list[ProjectInfo], pool: DaemonPool) -> Iterator[RawRecord | Gap]:
    """Fan the projects out to the pool; yield records as pages arrive, then the gaps."""
    # A bounded queue: workers wait when the consumer is slower, so memory stays at a few pages.
    results: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=4 * run.workers)
    stop = threading.Event()

    def emit(item: tuple[str, Any]) -> None:
        while not stop.is_set():
            try:
                results.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        raise _Stopped

    def work(project: ProjectInfo, progress: _Progress, overall: int | None) -> None:
        try:
            run.list_project(project, emit, progress)
        except _Stopped:
            return
        except BaseException as exc:
            emit(("error", exc))
        progress.update(overall, advance=1)
        emit(("done", project.project_id))

    gaps: list[Gap] = []
    with _Progress(run.options.show_progress) as progress:
        overall = progress.add("gcp projects", total=len(projects))
        futures = [pool.submit(work, project, progress, overall) for project in projects]
        remaining = len(futures)
        try:
            while remaining:
                kind, payload = results.get()
                if kind == "page":
                    for record in payload:
                        yield RawRecord(ASSET_KIND, record)
                elif kind == "gap":
                    gaps.append(payload)
                elif kind == "done":
                    remaining -= 1
                else:
                    raise payload
        finally:
            stop.set()
            for future in futures:
                future.cancel()
    yield from gaps

