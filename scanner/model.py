"""Provider-neutral records that every source produces and every later stage consumes.

Importers and live collectors turn their raw records into these frozen dataclasses; nothing
after the transform step knows whether a resource came from an API call or an exported file.
The identifiers follow DESIGN.md: AWS resources are keyed by ARN, Azure resources by their
lower-cased resource id, GCP resources by their full resource name (``//service/...``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class KeyControl(StrEnum):
    """Who controls the key that encrypts a resource's data at rest."""

    UNKNOWN = "unknown"
    #: Encryption with keys created and held by the provider (SSE-S3, Microsoft-managed keys…).
    PROVIDER = "provider-managed"
    #: A customer-managed key kept in the same provider's key service (AWS KMS CMK, Key Vault, Cloud KMS).
    CUSTOMER = "customer-managed"
    #: A key held outside the provider (AWS XKS, Cloud EKM, HYOK, imported key in an external HSM).
    EXTERNAL = "customer-external"


class FlowKind(StrEnum):
    """Why bytes of one resource exist somewhere else."""

    REPLICATION = "replication"  # storage replication (S3 CRR, Azure GRS, GCS dual-region)
    REPLICA = "replica"  # database read replica or global-table replica
    FAILOVER = "failover"  # failover group or geo-secondary
    BACKUP = "backup"  # backup copy
    LOGS = "logs"  # log or audit-trail sink
    CDN = "cdn"  # content delivery from an origin
    PEERING = "peering"  # network peering between networks
    TRUST = "trust"  # identity trust (cross-account role assumption)
    MULTI_REGION = "multi-region"  # a service that keeps copies in several regions by design

    @property
    def copies(self) -> bool:
        """The target holds a copy of the source's bytes: its place counts for the source, and it
        holds what the source holds (peering and trust are access paths, not copies)."""
        return self in _COPIES

    @property
    def moves_together(self) -> bool:
        """Both ends must move together: a copy left behind keeps the exposure; peered networks go as one."""
        return self in _TOGETHER

    @property
    def source_moves_first(self) -> bool | None:
        """For flows that only order a migration: True when the source must move before the target
        (a CDN's origin before the CDN), False when after (a log sink after what it collects from),
        None for flows that do not order units."""
        return _ORDER.get(self)


_COPIES = frozenset({FlowKind.REPLICATION, FlowKind.REPLICA, FlowKind.FAILOVER, FlowKind.BACKUP, FlowKind.LOGS,
                     FlowKind.CDN, FlowKind.MULTI_REGION})
_TOGETHER = frozenset({FlowKind.REPLICATION, FlowKind.REPLICA, FlowKind.FAILOVER, FlowKind.BACKUP,
                       FlowKind.MULTI_REGION, FlowKind.PEERING})
_ORDER = {FlowKind.CDN: True, FlowKind.LOGS: False}


@dataclass(frozen=True, slots=True)
class KeyRef:
    """The key a resource is encrypted with, as far as the export shows it."""

    control: KeyControl
    key_id: str | None = None  # ARN / Key Vault URI / Cloud KMS name; None when provider-managed


@dataclass(frozen=True, slots=True)
class Resource:
    """One cloud resource, normalised.

    ``region`` is the provider's own location code in canonical form (lower case, zones stripped
    to regions, ``global`` for region-less services), or ``None`` when the export does not say.
    ``raw_region`` keeps what the export said, for reports.
    """

    id: str
    provider: str
    native_type: str
    name: str
    account: str | None = None
    region: str | None = None
    raw_region: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    key: KeyRef | None = None
    size_gb: float | None = None
    source: str = ""
    #: Extra facts a provider transform wants downstream stages to see (never secrets).
    attributes: Mapping[str, Any] = field(default_factory=dict)
    tf_address: str | None = None


@dataclass(frozen=True, slots=True)
class Flow:
    """A data flow: bytes of ``source`` also exist at ``target``.

    ``target`` is a resource id (in the inventory or not). When the target is not a resource
    in the inventory, ``target_provider``/``target_region`` say where it is if the export shows
    it; otherwise the destination is recorded as unknown in coverage.
    """

    source: str
    target: str
    kind: FlowKind
    evidence: str
    target_provider: str | None = None
    target_region: str | None = None


@dataclass(frozen=True, slots=True)
class Account:
    """Account / subscription / project metadata (no e-mail or personal data is kept)."""

    id: str
    provider: str
    name: str | None = None
    parent: str | None = None  # organisation unit, management group or folder
    source: str = ""


@dataclass(frozen=True, slots=True)
class Gap:
    """Something the source could not tell us: recorded in ``coverage.warnings``."""

    source: str
    message: str
    #: A machine-readable reason: ``bad-file``, ``truncated``, ``unsupported``, ``skipped``...
    reason: str = "warning"


#: What a source yields: resources, flows, account metadata and coverage gaps.
Item = Resource | Flow | Account | Gap


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """One input file (or live collection) and what it contributed."""

    path: str
    format: str
    provider: str
    records: int
    resources: int
