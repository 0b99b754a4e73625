"""AWS live, read-only collection: one account or a whole organisation, every enabled region.

``collect(options)`` yields the same raw records as the offline AWS Config importers
(``RawRecord("aws-config-item", …)``, or ``aws-config-select-result`` with ``--via config``),
``Account`` items for the members of an organisation, and a ``Gap`` for every account, region or
service that could not be read (access denied, region not enabled, throttled out, unreachable),
naming the account, region and service. Missing or expired credentials raise ``CredentialsError``;
unknown ``--regions`` a ``UsageError``; anything that is not one of those named cases raises
``CollectionError``.

How it works:

- Sessions come from one factory (``providers/aws/sessions.py``), ``make_session``, given a
  picklable ``SessionRecipe``: a botocore session of the ``--profile`` (or the default chain), so
  that the profile's settings (``region``, ``endpoint_url``, ``ca_bundle``, ``use_fips_endpoint``,
  ``retry_mode``…) apply to every account and every worker process, with other credentials put in
  when needed. Every session
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
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import orjson
from botocore.credentials import RefreshableCredentials  # type: ignore[import-untyped]
from botocore.exceptions import (  # type: ignore[import-untyped]
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    SSOError,
    TokenRetrievalError,
)

from providers.aws.errors import EXPIRED, SOURCE, UNREACHABLE, credentials_message, error_code, scope_gap
from providers.aws.normalize import RecordError, transform_account
from providers.aws.services import GLOBAL_SERVICES, REGIONAL_SERVICES, Scope, ServiceSpec
from providers.aws.sessions import (
    AccountContext,
    FixedCredentials,
    SessionRecipe,
    client_config,
    make_session,
    prepare_session,
    settings_of,
)
from providers.base import CollectionError, CredentialsError, ProviderError
from providers.live import LiveOptions, RawRecord, short_message
from providers.workers import CollectionStopped, DaemonPool, Stop
from scanner.errors import UsageError
from scanner.model import Account, Gap

__all__ = ["ASSUME_DURATION", "AccountContext", "SessionRecipe", "client_config", "collect", "make_session",
           "prepare_session", "process_count", "scope_gap"]

CONFIG_ITEM = "aws-config-item"
SELECT_RESULT = "aws-config-select-result"
#: Home region for global services and the organisation / STS calls when the profile sets none.
DEFAULT_REGION = "us-east-1"
#: Seconds an assumed member-account session lasts (the AssumeRole default); botocore assumes the
#: role again from 15 minutes before it ends (its advisory refresh window).
ASSUME_DURATION = 3600


def _home_region(session: Any) -> str:
    return str(session.region_name or DEFAULT_REGION)


def whoami(ctx: AccountContext, region: str) -> dict[str, Any]:
    """``sts:GetCallerIdentity``: proves the credentials work, and gives account and partition."""
    try:
        identity: dict[str, Any] = ctx.client("sts", region).get_caller_identity()
    except (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError, TokenRetrievalError,
            SSOError, NoRegionError) as exc:
        raise CredentialsError(credentials_message(str(exc))) from None
    except ClientError as exc:
        if exc.operation_name == "AssumeRole":  # the profile's role_arn, assumed by botocore itself
            raise CredentialsError(
                f"the role of profile {ctx.recipe.profile or '(default)'} could not be assumed ({error_code(exc)}: "
                f"{short_message(exc.response.get('Error', {}).get('Message', ''), 160)}); check the profile's "
                "role_arn and source_profile, and the role's trust policy") from None
        raise CredentialsError(credentials_message(error_code(exc))) from None
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
        import botocore  # type: ignore[import-untyped]

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
                                                             method=FixedCredentials.METHOD)
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
        out = [scope_gap(exc, ctx.account, where, spec.name)]
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
        gap = scope_gap(exc, account, "global", "sts")
        return Gap(SOURCE, f"account {account}: cannot assume role {settings.role_name} "
                           f"({gap.message.split(': ', 1)[1]})", gap.reason)
    try:
        enabled = enabled_regions(ctx, home)
    except (ClientError, BotoCoreError) as exc:
        if not settings.regions:
            return scope_gap(exc, account, home, "ec2:DescribeRegions")
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
            raise CredentialsError(credentials_message(error_code(exc))) from None
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
            raise CredentialsError(credentials_message(error_code(exc))) from None
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
        raise CredentialsError(credentials_message(str(exc))) from None
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
