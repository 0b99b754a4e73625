"""AWS live, read-only collection: one account or a whole organisation, every enabled region.

``collect(options)`` yields the same raw records as the offline AWS Config importers
(``RawRecord("aws-config-item", …)``, or ``aws-config-select-result`` with ``--via config``),
``Account`` items for the members of an organisation, and a ``Gap`` for every account, region or
service that could not be read (access denied, disabled region, throttled out), naming the account,
region and service. Missing or expired credentials raise ``CredentialsError``; anything that is
not one of those named cases raises ``CollectionError``.

How it works:

- Credentials come from the standard boto3 chain (``--profile`` picks a profile). Every session,
  including those of assumed roles, gets the read-only guard (``guard.py``) before any client is
  made, and every client uses botocore's *adaptive* retry mode (client-side rate limiting plus
  exponential backoff on throttling;
  https://boto3.amazonaws.com/v1/documentation/api/latest/guide/retries.html, checked 2026-11-30).
- ``--org``: ``organizations:ListAccounts`` from the caller's (management or delegated admin)
  account, then ``sts:AssumeRole`` into ``--role-name`` (optional external id) in each active member.
- Regions: ``--regions``, or the regions enabled for each account (``ec2:DescribeRegions`` with
  ``AllRegions=False``). A service is skipped in a region where botocore's endpoint data says it is
  not offered. Global services (S3 listing, IAM, CloudFront, Route 53, Aurora global databases)
  run once per account.
- Account × region × service tasks run in a ``ThreadPoolExecutor(max_workers)``; boto3 clients are
  thread-safe once created, sessions are not, so clients are created under a per-account lock.
- Creating a boto3 client costs about 10 ms of CPU (botocore builds a method per operation and
  copies its event handlers), and an estate needs one per service and region: 500 for 25 services
  in 20 regions, more CPU than all the waiting on the network. Large collections therefore shard
  their regions over worker processes (one per CPU, up to 4; ``options.processes``), each with its
  own guarded session built from the account's frozen credentials and its own thread pool.
- ``options.endpoints["aws"]``: an endpoint URL given to every client (tests and benchmarks point it
  at a local moto server). It is never set by the command line.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import boto3  # type: ignore[import-untyped]
import orjson
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import (  # type: ignore[import-untyped]
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    SSOError,
    TokenRetrievalError,
)

from providers.aws.guard import install_guard
from providers.aws.normalize import RecordError, transform_account
from providers.aws.services import GLOBAL_SERVICES, REGIONAL_SERVICES, Scope, ServiceSpec
from providers.base import CollectionError, CredentialsError, ProviderError
from providers.live import LiveOptions, RawRecord
from scanner.model import Account, Gap

SOURCE = "aws-live"
CONFIG_ITEM = "aws-config-item"
SELECT_RESULT = "aws-config-select-result"
#: Home region for global services and the organisation / STS calls when the profile sets none.
DEFAULT_REGION = "us-east-1"

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
    return "error"


def _credentials_message(detail: str) -> str:
    return (f"AWS credentials are missing, expired or invalid ({detail}); sign in again "
            "(e.g. `aws sso login` or `aws configure`) or pick a profile with --profile")


def _scope_gap(exc: Exception, account: str, region: str, service: str) -> Gap:
    """A ``Gap`` naming what could not be read, or a raise for errors that are not per-scope."""
    if isinstance(exc, ClientError) and error_code(exc) in EXPIRED:
        raise CredentialsError(_credentials_message(error_code(exc))) from None
    reason = gap_reason(exc)
    detail = f"{error_code(exc)}: {exc.response.get('Error', {}).get('Message', '')}".rstrip(": ") \
        if isinstance(exc, ClientError) else f"{type(exc).__name__}: {exc}"
    what = {"access-denied": "access denied", "api-disabled": "region or service not enabled",
            "throttled": "throttled after all retries", "error": "request failed"}[reason]
    return Gap(SOURCE, f"account {account}, region {region}, service {service}: {what} ({detail}); "
                       "its resources are missing from the inventory", reason)


# --- sessions and clients -----------------------------------------------------------------------

def client_config(options: LiveOptions) -> Any:
    """Adaptive retries (10 attempts) and a connection pool sized for the worker pool."""
    extra: dict[str, Any] = {}
    if options.endpoints.get("aws"):
        extra["s3"] = {"addressing_style": "path"}  # a local endpoint has no bucket sub-domains
    return Config(retries={"mode": "adaptive", "max_attempts": 10},
                  max_pool_connections=max(10, options.max_workers * 2),
                  connect_timeout=10, read_timeout=60, user_agent_extra="sovscan", **extra)


def prepare_session(session: Any) -> Any:
    """Install the read-only guard on a new session (before any client of it exists)."""
    install_guard(session)
    return session


@dataclass
class AccountContext:
    """One account's guarded session and its cached clients."""

    account: str
    session: Any
    options: LiveOptions
    config: Any
    partition: str = "aws"
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)
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

    def offers(self, service: str, region: str) -> bool:
        """False when botocore's endpoint data says the service does not exist in the region."""
        if self.options.endpoints.get("aws"):
            return True
        with self._lock:
            known = self.session.get_available_regions(service, partition_name=self.partition)
        return not known or region in known


def _new_session(options: LiveOptions, **credentials: Any) -> Any:
    try:
        session = boto3.Session(profile_name=options.profile if not credentials else None, **credentials)
    except ProfileNotFound as exc:
        raise CredentialsError(f"AWS profile not found: {exc}; check --profile and ~/.aws/config") from None
    return prepare_session(session)


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
        raise CredentialsError(_credentials_message(error_code(exc))) from None
    except BotoCoreError as exc:
        raise CollectionError(f"cannot reach AWS STS: {exc}") from None
    return identity


# --- the collection ------------------------------------------------------------------------------

def _assume(base: AccountContext, account: str, home: str) -> AccountContext:
    options = base.options
    params: dict[str, Any] = {
        "RoleArn": f"arn:{base.partition}:iam::{account}:role/{options.role_name}",
        "RoleSessionName": "sovscan-read-only",
    }
    if options.external_id:
        params["ExternalId"] = options.external_id
    creds = base.client("sts", home).assume_role(**params)["Credentials"]
    session = _new_session(options, aws_access_key_id=creds["AccessKeyId"],
                           aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    return AccountContext(account, session, options, base.config, base.partition)


def enabled_regions(ctx: AccountContext, home: str) -> list[str]:
    """The regions enabled for the account (``AllRegions=False`` leaves out opt-in regions not enabled)."""
    regions = ctx.client("ec2", home).describe_regions(AllRegions=False).get("Regions") or ()
    return sorted(str(r["RegionName"]) for r in regions)


def _run_service(ctx: AccountContext, spec: ServiceSpec, region: str) -> list[RawRecord | Gap]:
    scope = Scope(ctx.account, region, ctx.partition, lambda name: ctx.client(name, region),
                  frozenset(ctx.options.regions) if ctx.options.regions else None)
    where = "global" if spec.is_global else region
    try:
        return [RawRecord(CONFIG_ITEM, record) for record in spec.collect(scope)]
    except (ClientError, BotoCoreError) as exc:
        return [_scope_gap(exc, ctx.account, where, spec.name)]
    except ProviderError:
        raise
    except Exception as exc:  # an answer of a shape the collector does not expect: fail loudly, with the scope
        raise CollectionError(f"account {ctx.account}, region {where}, service {spec.name}: unexpected "
                              f"{type(exc).__name__}: {exc}") from exc


#: Below this many regional calls, worker processes cost more to start than they save.
PROCESS_THRESHOLD = 100
_SPECS = {spec.name: spec for spec in REGIONAL_SERVICES}


def process_count(options: LiveOptions, regional_tasks: int) -> int:
    """How many worker processes to shard regional calls over (1 = stay in threads)."""
    if options.processes:
        return max(1, options.processes)
    cpus = os.cpu_count() or 1
    if cpus < 2 or options.max_workers < 2 or regional_tasks < PROCESS_THRESHOLD:
        return 1
    return min(cpus, 4)


def _warm_up() -> None:
    """Run once in each worker process so that imports happen while the parent lists regions."""


def _run_shard(options: LiveOptions, account: str, partition: str, credentials: tuple[str, str, str | None],
               tasks: list[tuple[str, str]], threads: int) -> list[RawRecord | Gap]:
    """In a worker process: one account's calls for a group of regions, on its own guarded session."""
    access_key, secret_key, token = credentials
    session = _new_session(options, aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                           aws_session_token=token)
    ctx = AccountContext(account, session, options, client_config(options), partition)
    out: list[RawRecord | Gap] = []
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sovscan-aws") as pool:
        for result in pool.map(lambda task: _run_service(ctx, _SPECS[task[0]], task[1]), tasks):
            out.extend(result)
    return out


def _shards(tasks: list[tuple[ServiceSpec, str]], count: int) -> list[list[tuple[str, str]]]:
    """Group calls by region (a region's clients are made once, in one process), regions dealt round-robin."""
    regions = sorted({region for _, region in tasks})
    owner = {region: i % count for i, region in enumerate(regions)}
    groups: list[list[tuple[str, str]]] = [[] for _ in range(count)]
    for spec, region in tasks:
        groups[owner[region]].append((spec.name, region))
    return [group for group in groups if group]


def _prepare_account(base: AccountContext, account: str, home: str) -> tuple[AccountContext, list[str]] | Gap:
    """Enter one account (assume the role unless it is the caller's) and list its regions."""
    try:
        ctx = base if account == base.account else _assume(base, account, home)
    except (ClientError, BotoCoreError) as exc:
        gap = _scope_gap(exc, account, "global", "sts")
        return Gap(SOURCE, f"account {account}: cannot assume role {base.options.role_name} "
                           f"({gap.message.split(': ', 1)[1]})", gap.reason)
    if base.options.regions:
        return ctx, list(base.options.regions)
    try:
        return ctx, enabled_regions(ctx, home)
    except (ClientError, BotoCoreError) as exc:
        return _scope_gap(exc, account, home, "ec2:DescribeRegions")


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
        raise CollectionError(f"--org: cannot list the organisation's accounts from account {base.account} "
                              f"({error_code(exc)}); run from the management account or a delegated "
                              "administrator, or leave out --org") from None


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

    def advance(self, account: str) -> None:
        if self._bar is not None and account in self._tasks:
            self._bar.advance(self._tasks[account])

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def _via_config(base: AccountContext, home: str) -> Iterator[RawRecord]:
    """The whole inventory from AWS Config advanced query (an aggregator, or this account's recorder)."""
    options = base.options
    client = base.client("config", home)
    # Only the fields the transform reads; configuration and supplementaryConfiguration are whole
    # objects in advanced query results (https://docs.aws.amazon.com/config/latest/developerguide/
    # querying-AWS-resources.html, checked 2026-11-30).
    expression = ("SELECT accountId, awsRegion, resourceType, resourceId, resourceName, arn, tags, "
                  "configuration, supplementaryConfiguration, configurationItemStatus")
    if options.aggregator:
        paginator = client.get_paginator("select_aggregate_resource_config")
        pages = paginator.paginate(Expression=expression, ConfigurationAggregatorName=options.aggregator)
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
        where = f"aggregator {options.aggregator}" if options.aggregator else f"account {base.account}"
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
        raise CollectionError(f"AWS collection failed: {exc}") from None


def _collect(options: LiveOptions) -> Iterator[RawRecord | Account | Gap]:
    session = _new_session(options)
    home = _home_region(session)
    base = AccountContext("", session, options, client_config(options))
    identity = whoami(base, home)
    base.account = str(identity["Account"])
    base.partition = str(identity.get("Arn", "arn:aws:")).split(":")[1] or "aws"

    if options.via == "config":
        yield from _via_config(base, home)
        return

    accounts = [base.account]
    if options.org:
        accounts = []
        for entry in _org_accounts(base, home):
            yield entry
            if isinstance(entry, Account):
                accounts.append(entry.id)

    progress = _Progress(options.show_progress)
    pool = ThreadPoolExecutor(max_workers=max(1, options.max_workers), thread_name_prefix="sovscan-aws")
    pending: dict[Future[Any], tuple[str, Callable[[Any], Iterator[RawRecord | Account | Gap]]]] = {}
    expected = len(REGIONAL_SERVICES) * (len(options.regions) if options.regions else 16) * len(accounts)
    workers = process_count(options, expected)
    processes: ProcessPoolExecutor | None = None
    if workers > 1:
        # spawn, not fork: the parent already runs threads (pool, progress bar)
        processes = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        for _ in range(workers):
            processes.submit(_warm_up)
    shard_sizes: dict[Future[Any], int] = {}

    def submit_account(account: str) -> None:
        pending[pool.submit(_prepare_account, base, account, home)] = (account, on_account)

    def on_account(result: tuple[AccountContext, list[str]] | Gap) -> Iterator[RawRecord | Account | Gap]:
        if isinstance(result, Gap):
            yield result
            return
        ctx, regions = result
        tasks = [(spec, home) for spec in GLOBAL_SERVICES]
        tasks += [(spec, region) for region in regions for spec in REGIONAL_SERVICES
                  if all(ctx.offers(c, region) for c in spec.clients)]
        progress.add(ctx.account, len(tasks))
        regional = [(spec, region) for spec, region in tasks if not spec.is_global]
        if processes is not None and regional and (options.processes > 1 or len(regional) >= PROCESS_THRESHOLD):
            frozen = ctx.session.get_credentials().get_frozen_credentials()
            creds = (frozen.access_key, frozen.secret_key, frozen.token)
            shards = _shards(regional, workers)
            threads = max(1, options.max_workers // len(shards))
            for shard in shards:
                future = processes.submit(_run_shard, options, ctx.account, ctx.partition, creds, shard, threads)
                pending[future] = (ctx.account, on_service)
                shard_sizes[future] = len(shard)
            tasks = [(spec, region) for spec, region in tasks if spec.is_global]
        for spec, region in tasks:
            pending[pool.submit(_run_service, ctx, spec, region)] = (ctx.account, on_service)

    def on_service(result: list[RawRecord | Gap]) -> Iterator[RawRecord | Account | Gap]:
        yield from result

    try:
        for account in accounts:
            submit_account(account)
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                account, handler = pending.pop(future)
                yield from handler(future.result())
                if handler is on_service:
                    for _ in range(shard_sizes.pop(future, 1)):
                        progress.advance(account)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if processes is not None:
            processes.shutdown(wait=True, cancel_futures=True)
        progress.stop()
