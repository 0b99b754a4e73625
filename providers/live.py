"""The live-collection contract: options, raw records, and the registry of collectors.

A live collector talks to one cloud with read-only credentials and yields *raw records* in the
same shapes as that provider's exports (an AWS Config configuration item, an Azure Resource Graph
row, a GCP Cloud Asset), so one transform serves both: ``RawRecord(kind, record)``. Partial
failures (access denied in one region, a role that cannot be assumed, a disabled API) are
``Gap`` items; account metadata is ``Account`` items. Credentials that are missing or expired
raise ``CredentialsError``.

Each provider package exposes, in ``providers/<name>/files.py``, ``RAW_TRANSFORMS``: a mapping from
raw-record kind to a function ``(records, source) -> Iterator[Item]``. The same functions read a
saved inventory back (``providers/export.py``), so what was collected and what is re-read give
identical results. SDKs are imported only inside the collectors.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from scanner.model import Account, Gap, Item


@dataclass(frozen=True)
class RawRecord:
    """One record as the cloud returned it, tagged with the transform that reads it."""

    kind: str  # e.g. ``aws-config-item``, ``azure-resource``, ``gcp-asset``
    record: Mapping[str, Any]


@dataclass(frozen=True)
class LiveOptions:
    """Everything a user can say about a live collection; each collector reads its own part."""

    provider: str
    # AWS
    profile: str | None = None
    regions: tuple[str, ...] = ()
    org: bool = False
    role_name: str = "SovscanReadOnly"  # a role with the policy of docs/permissions, not an admin role
    external_id: str | None = None
    via: str = "api"  # "api" or "config" (AWS Config aggregator)
    aggregator: str | None = None
    # Azure
    tenant: str | None = None
    subscriptions: tuple[str, ...] = ()
    # GCP
    organization: str | None = None
    folder: str | None = None
    projects: tuple[str, ...] = ()
    # common
    max_workers: int = 8
    #: Worker processes for regional AWS calls: 0 = automatic (one per CPU, up to 4, for estates of
    #: 100 or more region × service calls), 1 = threads only.
    processes: int = 0
    show_progress: bool = False
    #: Test hooks: endpoint overrides passed to the SDK clients (never set by the CLI).
    endpoints: Mapping[str, str] = field(default_factory=dict)


class Collector(Protocol):
    def __call__(self, options: LiveOptions) -> Iterator[RawRecord | Account | Gap]: ...


#: provider id → module with ``collect(options)``; imported only when that provider runs.
LIVE_MODULES = {"aws": "providers.aws.live", "azure": "providers.azure.live", "gcp": "providers.gcp.live"}
#: provider id → module with ``RAW_TRANSFORMS``.
TRANSFORM_MODULES = {"aws": "providers.aws.files", "azure": "providers.azure.files", "gcp": "providers.gcp.files"}


def collector(provider: str) -> Collector:
    module = importlib.import_module(LIVE_MODULES[provider])
    fn: Collector = module.collect
    return fn


def raw_transforms() -> dict[str, Callable[[Iterable[Mapping[str, Any]], str], Iterator[Item]]]:
    """Every provider's raw-record transforms, by kind."""
    out: dict[str, Callable[[Iterable[Mapping[str, Any]], str], Iterator[Item]]] = {}
    for name in TRANSFORM_MODULES.values():
        out.update(importlib.import_module(name).RAW_TRANSFORMS)
    return out
