"""Applications as the report sees them: one view per application of a snapshot.

A view sums its resources with :class:`scanner.applications.AppAccumulator` (the same sums as the
JSON ``applications[]``) and adds what the report tells about it: the flows that take its data
out of the EU/EEA, the services it uses, the alternatives that fit its data and its findings.

Snapshots saved before applications were kept have no details: their resources are grouped by
account (the fallback the grouping would use), and the tier of each reach is unknown (``scored``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from scanner.applications import AppAccumulator, Application, Reach
from scanner.history import SnapResource, Snapshot
from scanner.kb.loader import KnowledgeBase
from scanner.kb.schema import SENSITIVE_CLASSES
from scanner.model import FlowKind
from scanner.snapshot_details import ResourceDetail


@dataclass(frozen=True, slots=True)
class FlowOut:
    """A flow that places a copy of an application's data outside the EU/EEA."""

    source: str  # resource id (or pseudonym)
    target: str
    kind: str
    countries: tuple[str, ...]  # destination countries outside the EU/EEA
    sensitive: bool  # the source holds sensitive data


@dataclass
class AppView:
    """One application of one snapshot."""

    app: Application
    acc: AppAccumulator = field(default_factory=AppAccumulator)
    resources: list[str] = field(default_factory=list)
    flows_out: list[FlowOut] = field(default_factory=list)
    services: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (provider, service, category)
    alternatives: list[str] = field(default_factory=list)
    findings: Counter[str] = field(default_factory=Counter)  # severity → count

    @property
    def id(self) -> str:
        return self.app.id

    @property
    def name(self) -> str:
        return self.app.name

    @property
    def sensitive(self) -> bool:
        return self.acc.sensitive

    @property
    def sensitive_classes(self) -> list[str]:
        return [c for c in _ordered(self.acc.classes) if c in SENSITIVE_CLASSES]

    @property
    def classes(self) -> list[str]:
        return _ordered(self.acc.classes)

    @property
    def by_control(self) -> bool:
        return self.acc.by_control > 0

    @property
    def by_location(self) -> bool:
        return self.acc.by_location > 0

    @property
    def reachable(self) -> bool:
        """Sensitive data of this application is reachable by control or location."""
        return self.acc.reachable_sensitive

    @property
    def residual_only(self) -> bool:
        return self.acc.residual_only

    def outside(self, kb: KnowledgeBase) -> list[str]:
        """Countries outside the EU/EEA where its bytes may be."""
        return sorted(c for c in self.acc.locations if not kb.in_eea(c))

    def rank(self) -> tuple[object, ...]:
        """Most exposed first: sensitive and reachable, then by exposure, then by name."""
        return (not self.reachable, not self.sensitive, -self.acc.exposure, self.name.casefold(), self.id)


_CLASS_ORDER = ("health", "genetic-biometric", "employee", "personal", "financial", "confidential", "internal",
                "public", "unknown")


def _ordered(classes: set[str] | list[str] | tuple[str, ...]) -> list[str]:
    return sorted(classes, key=lambda c: (_CLASS_ORDER.index(c) if c in _CLASS_ORDER else 99, c))


def detail_of(snap: Snapshot, r: SnapResource) -> ResourceDetail:
    """A resource's details, or what can be said of it when the snapshot kept none."""
    found = snap.details.resources.get(r.id)
    if found is not None:
        return found
    app = f"account:{r.provider}:{r.account}" if r.account else f"provider:{r.provider}"
    return ResourceDetail(app, "account" if r.account else "provider", tuple(Reach(law, "scored", True)
                                                                             for law in r.laws))


_COPY_KINDS = frozenset(str(k) for k in FlowKind if k.copies)


def _application(snap: Snapshot, app_id: str, r: SnapResource, kb: KnowledgeBase) -> Application:
    found = snap.details.applications.get(app_id)
    if found is not None and found.basis == "provider" and r.provider in kb.providers:
        # resources with no account at all are grouped by provider: call it by the provider's name
        return Application(found.id, kb.providers[r.provider].name, found.basis, found.key)
    if found is not None:
        return found
    basis = app_id.split(":", 1)[0]
    return Application(app_id, r.account or r.provider, basis)


def build_views(snap: Snapshot, kb: KnowledgeBase) -> dict[str, AppView]:
    """Application id → its view, for every application of the snapshot."""
    views: dict[str, AppView] = {}
    app_of: dict[str, str] = {}
    for r in snap.resources:
        d = detail_of(snap, r)
        app_id = d.application or f"provider:{r.provider}"
        view = views.get(app_id)
        if view is None:
            view = views[app_id] = AppView(_application(snap, app_id, r, kb))
        app_of[r.id] = app_id
        view.resources.append(r.id)
        view.acc.add(provider=r.provider, classes=r.classes, locations=r.locations, reach=d.reach,
                     exposure=r.exposure, level=r.level, lockin=r.lockin, effort=r.effort, size_gb=d.size_gb,
                     key_control=r.key_control)
        view.services[(r.provider, r.service_name or r.service or "?", r.category or "")] += 1
        if r.data_bearing and (r.reachable or d.tiers) and r.alternatives:
            for alt in r.alternatives:
                if alt not in view.alternatives:
                    view.alternatives.append(alt)
    by_id = {r.id: r for r in snap.resources}
    for f in snap.flows:
        outside = tuple(c for c in f.target_countries if not kb.in_eea(c))
        flow_app = app_of.get(f.source)
        # Only flows that put a copy somewhere: peering and trust are access paths (told apart).
        if not outside or flow_app is None or f.kind not in _COPY_KINDS:
            continue
        src = by_id.get(f.source)
        views[flow_app].flows_out.append(FlowOut(f.source, f.target, f.kind, outside,
                                               bool(src and src.sensitive)))
    for finding in snap.findings:
        finding_app = app_of.get(finding.resource)
        if finding_app is not None:
            views[finding_app].findings[finding.severity] += 1
    return views
