"""Sessions, clients and tag indexes of AWS live collection: one factory for every account and worker.

:func:`make_session` builds every boto3 session of a collection from a picklable
:class:`SessionRecipe`: a botocore session of the ``--profile`` (or the default chain), so that the
profile's settings (``region``, ``endpoint_url`` and per-service endpoints, ``ca_bundle``,
``use_fips_endpoint``, ``retry_mode``…) apply to the caller, to every member account and to every
worker process, with other credentials put in front of the profile's own when needed (an assumed
role's refreshable credentials, or credentials frozen for a worker). The read-only guard is
installed before any client exists. :class:`AccountContext` caches one account's clients (created
under a lock: boto3 sessions are not thread-safe, clients are) and its :class:`TagIndex` per region.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3  # type: ignore[import-untyped]
import botocore.session  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.credentials import CredentialProvider  # type: ignore[import-untyped]
from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound  # type: ignore[import-untyped]

from providers.aws.errors import SOURCE, scope_gap
from providers.aws.guard import install_guard
from providers.aws.options import AwsSettings
from providers.base import CredentialsError
from providers.common import normalize_tags
from providers.live import LiveOptions
from providers.workers import Stop
from scanner.model import Gap


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


class FixedCredentials(CredentialProvider):  # type: ignore[misc]
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
        resolver.insert_before(resolver.providers[0].METHOD, FixedCredentials(credentials))
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
            gap = scope_gap(exc, self.ctx.account, self.region, "tag (Resource Groups Tagging API)")
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
