"""AWS live, read-only collection: one account or a whole organisation, every enabled region.

``collect(options)`` yields the same raw records as the offline AWS Config importers
(``RawRecord("aws-config-item", …)``, or ``aws-config-select-result`` with ``--via config``),
``Account`` items for the members of an organisation, and a ``Gap`` for every account, region or
service that could not be read (access denied, region not enabled, throttled out, unreachable),
naming the account, region and service. Missing or expired credentials raise ``CredentialsError``;
unknown ``--regions`` a ``UsageError``; anything that is not one of those named cases raises
``CollectionError``.

How it works:

- Sessions come from one factory, :func:`make_session`, given a picklable :class:`SessionRecipe`:
  a botocore session of the ``--profile`` (or the default chain), so that the profile's settings
  (``region``, ``endpoint_url``, ``ca_bundle``, ``use_fips_endpoint``, ``retry_mode``…) apply to
  every account and every worker process, with other credentials put in when needed. Every session
  gets the read-only guard (``guard.py``) before any client is made, and every client botocore's
  *adaptive* retry mode (client-side rate limiting plus exponential backoff on throttling;
  https://boto3.amazonaws.com/v1/documentation/api/latest/guide/retries.html, checked 2026-11-30).
- ``--org-accounts``: ``organizations:ListAccounts`` from the caller's (management or delegated
  admin) account, then ``sts:AssumeRole`` into ``--role-name`` (optional external id) in each
  active member, as *refreshable* credentials: botocore assumes the role again before the session
  expires, so an organisation walk longer than the role's session keeps working.
- Regions: ``--regions`` (checked against botocore's region list of the account's partition, a
  region not enabled for an account skipped with a note), or the regions enabled for each account
  (``ec2:DescribeRegions`` with ``AllRegions=False``). A service is skipped in a region where
  botocore's endpoint data says it is not offered. Global services (S3 listing, IAM, CloudFront,
  Route 53, Aurora global databases, WAF for CloudFront, Global Accelerator) run once per account.
- Tags that a listing does not carry come from the region's ``tag:GetResources`` index, read once
  per account and region when a collector first asks (:class:`TagIndex`).
- Account × region × service tasks run on a pool of daemon threads (``max_workers``); boto3 clients
  are thread-safe once created, sessions are not, so clients are created under a per-account lock.
- Creating a boto3 client costs about 10 ms of CPU, and an estate needs one per service and region:
  large collections shard their regions over worker processes (one per CPU, up to 4), each
  building its session from the account's recipe (the profile and credentials frozen when the shard
  is handed over) with its own thread pool.
- Ctrl-C or an error stops the collection at once: no new request starts, worker processes are
  terminated, threads still waiting on the network are abandoned (daemon threads).
- ``options.endpoints["aws"]``: an endpoint URL given to every client (tests and benchmarks point it
  at a local moto server). It is never set by the command line; a profile's ``endpoint_url`` is
  the way to do the same for real.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import boto3  # type: ignore[import-untyped]
import botocore.session  # type: ignore[import-untyped]
import orjson
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.credentials import CredentialProvider, RefreshableCredentials  # type: ignore[import-untyped]
from botocore.exceptions import (  # type: ignore[import-untyped]
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
    SSOError,
    TokenRetrievalError,
)

from providers.aws.guard import install_guard
from providers.aws.normalize import RecordError, transform_account
from providers.aws.options import AwsSettings
from providers.aws.services import GLOBAL_SERVICES, REGIONAL_SERVICES, Scope, ServiceSpec
from providers.base import CollectionError, CredentialsError, ProviderError
from providers.common import normalize_tags
from providers.live import LiveOptions, RawRecord, short_message
from providers.workers import CollectionStopped, DaemonPool, Stop
from scanner.errors import UsageError
from scanner.model import Account, Gap

SOURCE = "aws-live"
CONFIG_ITEM = "aws-config-item"
SELECT_RESULT = "aws-config-select-result"
#: Home region for global services and the organisation / STS calls when the profile sets none.
DEFAULT_REGION = "us-east-1"
#: Seconds an assumed member-account session lasts (the AssumeRole default); botocore assumes the
#: role again from 15 minutes before it ends (its advisory refresh window).
ASSUME_DURATION = 3600

#: Error codes that mean "this identity may not do this here".
ACCESS_DENIED = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
    "AuthorizationErrorException", "UnauthorizedException", "Forbidden", "403",
})
#: Error codes of a region that is not enabled for the account or a service it is not subscribed to
#: (https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html, checked 2026-11-30).
API_DISABLED = frozenset({
    "OptInRequired", "SubscriptionRequiredException", "UnrecognizedClientException", "InvalidClientTokenId",
    "AuthFailure", "NotSubscribed",
})
#: Credentials that are no longer valid anywhere: the run stops with one line.
EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
#: Network failures: the endpoint could not be reached or stopped answering.
UNREACHABLE = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)


def _throttling_codes() -> frozenset[str]:
    """botocore's own list of throttling error codes (the ones its retry modes back off on)."""
    from botocore.retries.standard import ThrottledRetryableChecker  # type: ignore[import-untyped]

    codes = getattr(ThrottledRetryableChecker, "_THROTTLED_ERROR_CODES", ())
    return frozenset(codes) | {"Throttling", "ThrottlingException", "TooManyRequestsException", "SlowDown"}


THROTTLED = _throttling_codes()


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code") or exc.response.get("ResponseMetadata", {})
               .get("HTTPStatusCode") or "unknown")


def gap_reason(exc: Exception) -> str:
    """The ``Gap.reason`` for an SDK error raised while reading one scope."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        if code in ACCESS_DENIED or "AccessDenied" in code:
            return "access-denied"
        if code in API_DISABLED:
            return "api-disabled"
        if code in THROTTLED:
            return "throttled"
    if isinstance(exc, UNREACHABLE):
        return "unreachable"
    return "error"


def _credentials_message(detail: str) -> str:
    return (f"AWS credentials are missing, expired or invalid ({short_message(detail, 160)}); sign in again "
            "(e.g. `aws sso login` or `aws configure`) or pick a profile with --profile")


_WHAT = {"access-denied": "access denied", "api-disabled": "region or service not enabled",
         "throttled": "throttled after all retries", "unreachable": "endpoint unreachable", "error": "request failed"}


def _scope_gap(exc: Exception, account: str, region: str, service: str) -> Gap:
    """A ``Gap`` naming what could not be read, or a raise for errors that are not per-scope."""
    if isinstance(exc, ClientError) and error_code(exc) in EXPIRED:
        raise CredentialsError(_credentials_message(error_code(exc))) from None
    reason = gap_reason(exc)
    if isinstance(exc, ClientError):
        detail = f"{error_code(exc)}: {exc.response.get('Error', {}).get('Message', '')}".rstrip(": ")
    else:
        detail = f"{type(exc).__name__}: {exc}"
    return Gap(SOURCE, f"account {account}, region {region}, service {service}: {_WHAT[reason]} "
                       f"({short_message(detail)}); its resources are missing from the inventory", reason)


# --- sessions and clients -----------------------------------------------------------------------

def client_config(options: LiveOptions) -> Any:
    """Adaptive retries (10 attempts) and a connection pool sized for the worker pool."""
    extra: dict[str, Any] = {}
    if options.endpoints.get("aws"):
        extra["s3"] = {"addressing_style": "path"}  # a local endpoint has no bucket sub-domains
    return Config(retries={"mode": "adaptive", "max_attempts": 10},
                  max_pool_connections=max(10, options.max_workers * 2),
                  connect_timeout=10, read_timeout=60, user_agent_extra="sovscan", **extra)


@dataclass(frozen=True)
class SessionRecipe:
    """How to build one account's guarded session, in this process or a worker (picklable).

    ``profile`` keeps the profile's configuration whatever the credentials; ``credentials``
    (access key, secret key, token), when given, replace the profile's own.
    """

    profile: str | None = None
    credentials: tuple[str, str, str | None] | None = None


class _Fixed(CredentialProvider):  # type: ignore[misc]
    """Puts given credentials first in a botocore session's provider chain."""

    METHOD = "sovscan-assumed-role"

    def __init__(self, credentials: Any):
        super().__init__()
        self._credentials = credentials

    def load(self) -> Any:
        return self._credentials


def _stop_hook(stop: Stop) -> Callable[..., None]:
    def check(**_: Any) -> None:
        stop.check()

    return check


def make_session(recipe: SessionRecipe, stop: Stop | None = None, credentials: Any = None) -> Any:
    """A boto3 session of the recipe's profile, guarded, with the recipe's (or given) credentials."""
    try:
        core = botocore.session.Session(profile=recipe.profile)
        core.get_scoped_config()  # an unknown profile fails here, not at the first call
    except ProfileNotFound as exc:
        raise CredentialsError(f"AWS profile not found: {exc}; check --profile and ~/.aws/config") from None
    if credentials is not None:
        resolver = core.get_component("credential_provider")
        resolver.insert_before(resolver.providers[0].METHOD, _Fixed(credentials))
    elif recipe.credentials is not None:
        core.set_credentials(*recipe.credentials)
    session = boto3.Session(botocore_session=core)
    install_guard(session)
    if stop is not None:
        session.events.register("before-call", _stop_hook(stop), unique_id="sovscan-stop")
    return session


def prepare_session(session: Any) -> Any:
    """Install the read-only guard on a session made elsewhere (before any client of it exists)."""
    install_guard(session)
    return session


@dataclass
class TagIndex:
    """The tags of one account and region, from ``tag:GetResources``, read once on first use."""

    ctx: AccountContext
    region: str
    _tags: dict[str, dict[str, str]] | None = None
    _gap: Gap | None = None
    _reported: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, arn: str) -> dict[str, str] | None:
        with self._lock:
            if self._tags is None:
                self._tags = self._load()
        return self._tags.get(arn)

    def _load(self) -> dict[str, dict[str, str]]:
        tags: dict[str, dict[str, str]] = {}
        try:
            client = self.ctx.client("resourcegroupstaggingapi", self.region)
            for page in client.get_paginator("get_resources").paginate(ResourcesPerPage=100):
                for mapping in page.get("ResourceTagMappingList") or ():
                    if isinstance(mapping.get("ResourceARN"), str):
                        tags[mapping["ResourceARN"]] = normalize_tags(mapping.get("Tags"))
        except (ClientError, BotoCoreError) as exc:
            gap = _scope_gap(exc, self.ctx.account, self.region, "tag (Resource Groups Tagging API)")
            self._gap = Gap(SOURCE, gap.message.replace("its resources are missing from the inventory",
                                                        "resources there are collected without the tags "
                                                        "their listing does not show"), gap.reason)
        return tags

    def take_gap(self) -> Gap | None:
        """The index's failure, once (the first service that used it reports it)."""
        with self._lock:
            if self._gap is None or self._reported:
                return None
            self._reported = True
            return self._gap


@dataclass
class AccountContext:
    """One account's guarded session, its cached clients and tag indexes."""

    account: str
    session: Any
    options: LiveOptions
    config: Any
    partition: str = "aws"
    recipe: SessionRecipe = field(default_factory=SessionRecipe)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)
    _indexes: dict[str, TagIndex] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:  # boto3 sessions are not thread-safe; clients are
            found = self._clients.get(key)
            if found is None:
                found = self.session.client(service, region_name=region, config=self.config,
                                            endpoint_url=self.options.endpoints.get("aws") or None)
                self._clients[key] = found
            return found

    def tags(self, region: str) -> TagIndex:
        with self._lock:
            index = self._indexes.get(region)
            if index is None:
                index = self._indexes[region] = TagIndex(self, region)
            return index

    def offers(self, service: str, region: str) -> bool:
        """False when botocore's endpoint data says the service does not exist in the region (also
        when an endpoint override points every client elsewhere: the service still exists or not)."""
        with self._lock:
            known = self.session.get_available_regions(service, partition_name=self.partition)
        return not known or region in known

    def frozen(self) -> SessionRecipe:
        """This account's recipe with its current credentials (refreshed first if they are near their end)."""
        creds = self.session.get_credentials().get_frozen_credentials()
        return SessionRecipe(self.recipe.profile, (creds.access_key, creds.secret_key, creds.token))


def settings_of(options: LiveOptions) -> AwsSettings:
    settings = options.settings
    return settings if isinstance(settings, AwsSettings) else AwsSettings()


def _home_region(session: Any) -> str:
    return str(session.region_name or DEFAULT_REGION)


def whoami(ctx: AccountContext, region: str) -> dict[str, Any]:
    """``sts:GetCallerIdentity``: proves the credentials work, and gives account and partition."""
    try:
        identity: dict[str, Any] = ctx.client("sts", region).get_caller_identity()
    except (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError, TokenRetrievalError,
            SSOError, NoRegionError) as exc:
        raise CredentialsError(_credentials_message(str(exc))) from None
    except ClientError as exc:
        if exc.operation_name == "AssumeRole":  # the profile's role_arn, assumed by botocore itself
            raise CredentialsError(
                f"the role of profile {ctx.recipe.profile or '(default)'} could not be assumed ({error_code(exc)}: "
                f"{short_message(exc.response.get('Error', {}).get('Message', ''), 160)}); check the profile's "
                "role_arn and source_profile, and the role's trust policy") from None
        raise CredentialsError(_credentials_message(error_code(exc))) from None
    except UNREACHABLE as exc:
        raise CollectionError(f"cannot reach AWS STS: {short_message(exc)}") from None
    except BotoCoreError as exc:
        raise CollectionError(f"AWS STS call failed: {short_message(exc)}") from None
    return identity


def check_regions(ctx: AccountContext, regions: tuple[str, ...]) -> None:
    """Refuse region names that are not regions of the account's partition (botocore's region data)."""
    known = set(ctx.session.get_available_regions("ec2", partition_name=ctx.partition))
    unknown = [r for r in regions if r not in known]
    if unknown:
        import botocore

        shown = ", ".join(sorted(known)[:40])
        raise UsageError(f"--regions: {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not "
                         f"{'a region' if len(unknown) == 1 else 'regions'} of the {ctx.partition} partition "
                         f"(known to botocore {botocore.__version__}: {shown}); check the name, or upgrade boto3 "
                         "for a region opened since")


# --- the collection ------------------------------------------------------------------------------

def _assume(base: AccountContext, account: str, home: str, stop: Stop) -> AccountContext:
    """A member account's session with refreshable credentials of ``--role-name``."""
    settings = settings_of(base.options)
    params: dict[str, Any] = {
        "RoleArn": f"arn:{base.partition}:iam::{account}:role/{settings.role_name}",
        "RoleSessionName": "sovscan-read-only",
        "DurationSeconds": ASSUME_DURATION,
    }
    if settings.external_id:
        params["ExternalId"] = settings.external_id
    sts = base.client("sts", home)

    def fetch() -> dict[str, Any]:
        creds = sts.assume_role(**params)["Credentials"]
        return {"access_key": creds["AccessKeyId"], "secret_key": creds["SecretAccessKey"],
                "token": creds["SessionToken"], "expiry_time": creds["Expiration"].isoformat()}

    credentials = RefreshableCredentials.create_from_metadata(fetch(), refresh_using=fetch,
                                                             method=_Fixed.METHOD)
    session = make_session(base.recipe, stop, credentials=credentials)
    return AccountContext(account, session, base.options, base.config, base.partition, base.recipe)


def enabled_regions(ctx: AccountContext, home: str) -> list[str]:
    """The regions enabled for the account (``AllRegions=False`` leaves out opt-in regions not enabled)."""
    regions = ctx.client("ec2", home).describe_regions(AllRegions=False).get("Regions") or ()
    return sorted(str(r["RegionName"]) for r in regions)


def _run_service(ctx: AccountContext, spec: ServiceSpec, region: str) -> list[RawRecord | Gap]:
    client_region = spec.home or region
    tag_region = (DEFAULT_REGION if ctx.partition == "aws" else region) if spec.is_global else region
    index = ctx.tags(tag_region)
    settings = settings_of(ctx.options)
    scope = Scope(ctx.account, client_region, ctx.partition, lambda name: ctx.client(name, client_region),
                  frozenset(settings.regions) if settings.regions else None, index.get)
    where = "global" if spec.is_global else region
    out: list[RawRecord | Gap] = []
    try:
        out = [RawRecord(CONFIG_ITEM, record) for record in spec.collect(scope)]
    except CollectionStopped:
        return []
    except (ClientError, BotoCoreError) as exc:
        out = [_scope_gap(exc, ctx.account, where, spec.name)]
    except ProviderError:
        raise
    except Exception as exc:  # an answer of a shape the collector does not expect: fail loudly, with the scope
        raise CollectionError(f"account {ctx.account}, region {where}, service {spec.name}: unexpected "
                              f"{type(exc).__name__}: {short_message(exc)}") from exc
    gap = index.take_gap()
    return [*out, gap] if gap is not None else out


#: Below this many regional calls, worker processes cost more to start than they save.
PROCESS_THRESHOLD = 100
_SPECS = {spec.name: spec for spec in REGIONAL_SERVICES}


def process_count(options: LiveOptions, regional_tasks: int) -> int:
    """How many worker processes to shard regional calls over (1 = stay in threads)."""
    chosen = settings_of(options).processes
    if chosen:
        return max(1, chosen)
    cpus = os.cpu_count() or 1
    if cpus < 2 or options.max_workers < 2 or regional_tasks < PROCESS_THRESHOLD:
        return 1
    return min(cpus, 4)


def _worker_init() -> None:
    """In each worker process: Ctrl-C is the parent's to handle (it terminates the workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _warm_up() -> None:
    """Run once in each worker process so that imports happen while the parent lists regions."""


def _run_shard(options: LiveOptions, account: str, partition: str, recipe: SessionRecipe,
               tasks: list[tuple[str, str]], threads: int) -> list[RawRecord | Gap]:
    """In a worker process: one account's calls for a group of regions, on a session of its recipe."""
    ctx = AccountContext(account, make_session(recipe), options, client_config(options), partition, recipe)
    with DaemonPool(threads, "sovscan-aws") as pool:
        results = list(pool.map(lambda task: _run_service(ctx, _SPECS[task[0]], task[1]), tasks))
    return [x for result in results for x in result]


def _shards(tasks: list[tuple[ServiceSpec, str]], count: int) -> list[list[tuple[str, str]]]:
    """Group calls by region (a region's clients are made once, in one process), regions dealt round-robin."""
    regions = sorted({region for _, region in tasks})
    owner = {region: i % count for i, region in enumerate(regions)}
    groups: list[list[tuple[str, str]]] = [[] for _ in range(count)]
    for spec, region in tasks:
        groups[owner[region]].append((spec.name, region))
    return [group for group in groups if group]


def _prepare_account(base: AccountContext, account: str, home: str,
                     stop: Stop) -> tuple[AccountContext, list[str], list[Gap]] | Gap:
    """Enter one account (assume the role unless it is the caller's) and list its regions."""
    settings = settings_of(base.options)
    try:
        ctx = base if account == base.account else _assume(base, account, home, stop)
    except (ClientError, BotoCoreError) as exc:
        gap = _scope_gap(exc, account, "global", "sts")
        return Gap(SOURCE, f"account {account}: cannot assume role {settings.role_name} "
                           f"({gap.message.split(': ', 1)[1]})", gap.reason)
    try:
        enabled = enabled_regions(ctx, home)
    except (ClientError, BotoCoreError) as exc:
        if not settings.regions:
            return _scope_gap(exc, account, home, "ec2:DescribeRegions")
        return ctx, list(settings.regions), []  # the calls themselves will say which regions answer
    if not settings.regions:
        return ctx, enabled, []
    notes = [Gap(SOURCE, f"account {account}, region {r}: not enabled for this account (an opt-in region); "
                         "nothing can be stored there, nothing to collect", "skipped")
             for r in settings.regions if r not in enabled]
    return ctx, [r for r in settings.regions if r in enabled], notes


def _org_accounts(base: AccountContext, home: str) -> Iterator[Account | Gap]:
    """Member accounts of the organisation (``Account`` items; e-mail addresses are dropped)."""
    paginator = base.client("organizations", home).get_paginator("list_accounts")
    try:
        for page in paginator.paginate():
            for acct in page.get("Accounts") or ():
                if acct.get("Status", "ACTIVE") != "ACTIVE" or acct.get("State", "ACTIVE") != "ACTIVE":
                    state = acct.get("State") or acct.get("Status")
                    yield Gap(SOURCE, f"account {acct.get('Id')}: not active ({state}), not collected", "skipped")
                    continue
                try:
                    yield transform_account(acct, SOURCE)
                except RecordError:
                    continue
    except ClientError as exc:
        if error_code(exc) in EXPIRED:
            raise CredentialsError(_credentials_message(error_code(exc))) from None
        raise CollectionError(f"--org-accounts: cannot list the organisation's accounts from account "
                              f"{base.account} ({error_code(exc)}); run from the management account or a "
                              "delegated administrator, or leave out --org-accounts") from None


class _Progress:
    """A rich progress bar per account on stderr, or nothing when progress is off."""

    def __init__(self, enabled: bool) -> None:
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}
        if enabled:
            from rich.console import Console
            from rich.progress import Progress

            self._bar = Progress(console=Console(stderr=True), transient=False)
            self._bar.start()

    def add(self, account: str, total: int) -> None:
        if self._bar is not None:
            task = self._tasks.get(account)
            if task is None:
                self._tasks[account] = self._bar.add_task(f"aws account {account}", total=total)
            else:
                self._bar.update(task, total=self._bar.tasks[task].total + total)

    def advance(self, account: str, steps: int = 1) -> None:
        if self._bar is not None and account in self._tasks:
            self._bar.advance(self._tasks[account], steps)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def _via_config(base: AccountContext, home: str) -> Iterator[RawRecord]:
    """The whole inventory from AWS Config advanced query (an aggregator, or this account's recorder)."""
    settings = settings_of(base.options)
    client = base.client("config", home)
    # Only the fields the transform reads; configuration and supplementaryConfiguration are whole
    # objects in advanced query results (https://docs.aws.amazon.com/config/latest/developerguide/
    # querying-AWS-resources.html, checked 2026-11-30).
    expression = ("SELECT accountId, awsRegion, resourceType, resourceId, resourceName, arn, tags, "
                  "configuration, supplementaryConfiguration, configurationItemStatus")
    if settings.aggregator:
        paginator = client.get_paginator("select_aggregate_resource_config")
        pages = paginator.paginate(Expression=expression, ConfigurationAggregatorName=settings.aggregator)
    else:
        pages = client.get_paginator("select_resource_config").paginate(Expression=expression)
    try:
        for page in pages:
            for raw in page.get("Results") or ():
                try:
                    record = orjson.loads(raw) if isinstance(raw, str) else raw
                except orjson.JSONDecodeError:
                    continue  # counted as a bad record by the transform when kept as a string
                if isinstance(record, dict):
                    yield RawRecord(SELECT_RESULT, record)
    except ClientError as exc:
        if error_code(exc) in EXPIRED:
            raise CredentialsError(_credentials_message(error_code(exc))) from None
        where = f"aggregator {settings.aggregator}" if settings.aggregator else f"account {base.account}"
        raise CollectionError(f"--via config: AWS Config query failed on {where} in {home} "
                              f"({error_code(exc)}); check the aggregator name and region, or use --via api") \
            from None


def collect(options: LiveOptions) -> Iterator[RawRecord | Account | Gap]:
    """Collect the AWS estate that the credentials can read (see the module docstring)."""
    try:
        yield from _collect(options)
    except ProviderError:
        raise
    except (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError, TokenRetrievalError,
            SSOError) as exc:
        raise CredentialsError(_credentials_message(str(exc))) from None
    except (ClientError, BotoCoreError) as exc:
        raise CollectionError(f"AWS collection failed: {short_message(exc)}") from None


@dataclass
class _Run:
    """One collection's pools, pending calls and progress."""

    options: LiveOptions
    base: AccountContext
    home: str
    stop: Stop
    pool: DaemonPool
    processes: ProcessPoolExecutor | None
    workers: int
    progress: _Progress
    pending: dict[Future[Any], tuple[str, str]] = field(default_factory=dict)  # future → (account, kind)
    sizes: dict[Future[Any], int] = field(default_factory=dict)

    def submit_account(self, account: str) -> None:
        future = self.pool.submit(_prepare_account, self.base, account, self.home, self.stop)
        self.pending[future] = (account, "account")

    def on_account(self, result: tuple[AccountContext, list[str], list[Gap]] | Gap) -> Iterator[Gap]:
        if isinstance(result, Gap):
            yield result
            return
        ctx, regions, notes = result
        yield from notes
        tasks = [(spec, self.home) for spec in GLOBAL_SERVICES if spec.home is None or ctx.partition == "aws"]
        tasks += [(spec, region) for region in regions for spec in REGIONAL_SERVICES
                  if all(ctx.offers(spec.regions_of or c, region) for c in spec.clients)]
        self.progress.add(ctx.account, len(tasks))
        regional = [(spec, region) for spec, region in tasks if not spec.is_global]
        if self.processes is not None and regional and (
                settings_of(self.options).processes > 1 or len(regional) >= PROCESS_THRESHOLD):
            shards = _shards(regional, self.workers)
            threads = max(1, self.options.max_workers // len(shards))
            for shard in shards:
                future = self.processes.submit(_run_shard, self.options, ctx.account, ctx.partition, ctx.frozen(),
                                               shard, threads)
                self.pending[future] = (ctx.account, "service")
                self.sizes[future] = len(shard)
            tasks = [(spec, region) for spec, region in tasks if spec.is_global]
        for spec, region in tasks:
            self.pending[self.pool.submit(_run_service, ctx, spec, region)] = (ctx.account, "service")

    def drain(self) -> Iterator[RawRecord | Account | Gap]:
        while self.pending:
            done, _ = wait(self.pending, return_when=FIRST_COMPLETED)
            for future in done:
                account, kind = self.pending.pop(future)
                if kind == "account":
                    yield from self.on_account(future.result())
                else:
                    yield from future.result()
                    self.progress.advance(account, self.sizes.pop(future, 1))

    def close(self, interrupted: bool) -> None:
        """Release pools and workers; after an interrupt or an error, without waiting for calls in flight."""
        self.stop.set()
        self.pool.shutdown(wait=not interrupted)
        if self.processes is not None:
            if interrupted:
                _terminate(self.processes)
            else:
                self.processes.shutdown(wait=True, cancel_futures=True)
        self.progress.stop()


def _terminate(processes: ProcessPoolExecutor) -> None:
    """Stop worker processes now (Python 3.14 has ``terminate_workers``; before, the pool's own list)."""
    terminate = getattr(processes, "terminate_workers", None)
    if callable(terminate):
        terminate()
        return
    procs = list((getattr(processes, "_processes", None) or {}).values())
    processes.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.join(timeout=2)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=1)


def _collect(options: LiveOptions) -> Iterator[RawRecord | Account | Gap]:
    settings = settings_of(options)
    stop = Stop()
    recipe = SessionRecipe(settings.profile)
    session = make_session(recipe, stop)
    home = _home_region(session)
    base = AccountContext("", session, options, client_config(options), recipe=recipe)
    identity = whoami(base, home)
    base.account = str(identity["Account"])
    base.partition = str(identity.get("Arn", "arn:aws:")).split(":")[1] or "aws"
    if settings.regions:
        check_regions(base, settings.regions)

    if settings.via == "config":
        yield from _via_config(base, home)
        return

    accounts = [base.account]
    if settings.org:
        accounts = []
        for entry in _org_accounts(base, home):
            yield entry
            if isinstance(entry, Account):
                accounts.append(entry.id)

    expected = len(REGIONAL_SERVICES) * (len(settings.regions) if settings.regions else 16) * len(accounts)
    workers = process_count(options, expected)
    processes: ProcessPoolExecutor | None = None
    if workers > 1:
        # spawn, not fork: the parent already runs threads (pool, progress bar)
        processes = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_worker_init)
        for _ in range(workers):
            processes.submit(_warm_up)
    run = _Run(options, base, home, stop, DaemonPool(options.max_workers, "sovscan-aws"), processes, workers,
               _Progress(options.show_progress))
    interrupted = True
    try:
        for account in accounts:
            run.submit_account(account)
        yield from run.drain()
        interrupted = False
    finally:
        run.close(interrupted)
