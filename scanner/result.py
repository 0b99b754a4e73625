"""The typed result of a scan: what every renderer, the history, the planner and the reports read.

The pipeline (:mod:`scanner.pipeline`) produces a :class:`ScanResult`; nothing downstream imports
the pipeline. Per-resource conclusions are shared: every resource with the same placement,
service, data classes and key control (and no flows of its own) shares one :class:`Profile`, so a
million resources cost a million small :class:`Assessed` records, not a million profiles.

A law reaches a resource through one of three tiers (DESIGN.md, "The graph"): ``control`` (the
operator or a parent is incorporated in, or run from, the law's jurisdiction), ``location`` (the
bytes or a copy are on its territory) and ``presence`` (the group itself operates or serves
customers there, for the few compelled-production regimes with a documented reach over foreign
groups). Presence is a residual, contested tier: reported apart, never part of the exposure score,
never alone a high or critical finding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from scanner.kb.schema import Service
from scanner.model import Flow, Resource

if TYPE_CHECKING:
    import networkx as nx

    from scanner.applications import Applications
    from scanner.billing import Billing
    from scanner.inventory import Inventory
    from scanner.kb.loader import KnowledgeBase

#: Prefix of the generic law id used for a copy in a third country with no law record.
UNLISTED = "unlisted-law:"


class Tier(StrEnum):
    """How a law reaches a resource."""

    CONTROL = "control"
    LOCATION = "location"
    PRESENCE = "presence"


@dataclass(frozen=True, slots=True)
class LawHit:
    """A law reaching a resource: the tier, the path on the graph, and how much it counts."""

    law: str  # law id; ``unlisted-law:XX`` for the generic law of a country with no law record
    trigger: Tier
    via: tuple[str, ...]  # graph node ids from the placement to the law node
    foreign: bool  # neither the home country's law nor, for a home in the EU, an EU law
    weight: float  # law severity × tier weight when foreign, else 0
    verified: bool = True  # every fact on the path was checked against a primary source
    basis: str = ""  # one sentence saying why the law reaches it

    @property
    def counts(self) -> bool:
        """Part of the exposure score: foreign, with weight, by control or location."""
        return self.foreign and self.weight > 0 and self.trigger is not Tier.PRESENCE

    @property
    def residual(self) -> bool:
        """Foreign and reaching only through the group's presence: the residual, contested tier."""
        return self.foreign and self.trigger is Tier.PRESENCE


@dataclass(frozen=True, slots=True)
class AlternativeFit:
    """A sovereign offer or open-source project that fits a resource's data."""

    id: str
    name: str
    provider: str | None
    certifications: tuple[str, ...]  # schemes held, from the qualification records
    qualifications: tuple[str, ...] = ()  # the qualification records' ids


@dataclass(frozen=True, slots=True)
class FindingTemplate:
    """A finding as the rules conclude it for one profile, before a resource is named.

    ``message`` is the rule's message (an English msgid of the gettext catalogues) with
    ``params`` to fill; ``{name}`` is filled with the resource's name when the finding is rendered.
    """

    rule: str
    severity: str
    message: str
    params: tuple[tuple[str, str], ...] = ()
    suffix: str = ""  # distinguishes several findings of one rule on one resource (e.g. per country)


@dataclass(frozen=True, slots=True)
class Finding:
    """A finding on one resource. Its id and message are derived, so a million findings stay small."""

    severity: str
    rule: str
    resource: str
    name: str
    template: FindingTemplate

    @property
    def id(self) -> str:
        return f"{self.rule}:{self.resource}{self.template.suffix}"

    @property
    def message(self) -> str:
        """The message in English (the JSON contract's ``message``)."""
        return self.template.message.format(name=self.name, **dict(self.template.params))


@dataclass(frozen=True, slots=True)
class Profile:
    """What the scorer concludes for every resource sharing a placement, service, data classes and
    key control (and no flows of its own): computed once, shared by all of them."""

    service: Service | None
    placement: str | None  # region code the location came from (the service placement for global ones)
    country: str | None
    locations: tuple[str, ...]
    classes: tuple[str, ...]
    key_control: str
    operator: str | None
    controller_country: str | None
    hits: tuple[LawHit, ...]
    exposure: float
    exposure_level: str
    effort: int | None
    effort_level: str
    alternatives: tuple[AlternativeFit, ...]
    findings: tuple[FindingTemplate, ...]

    @property
    def scored_hits(self) -> tuple[LawHit, ...]:
        return tuple(h for h in self.hits if h.counts)

    @property
    def residual_hits(self) -> tuple[LawHit, ...]:
        return tuple(h for h in self.hits if h.residual)

    @property
    def reachable(self) -> bool:
        """Reachable by a foreign law by control or location (the residual tier apart)."""
        return any(h.counts for h in self.hits)

    @property
    def data_bearing(self) -> bool:
        return self.service.data_bearing if self.service is not None else True


@dataclass(slots=True)
class Assessed:
    """A resource with everything the scorer concluded about it."""

    res: Resource
    profile: Profile
    class_source: str
    lockin: float | None
    lockin_level: str

    # The profile's conclusions, read as the resource's own.
    @property
    def service(self) -> Service | None:
        return self.profile.service

    @property
    def placement(self) -> str | None:
        return self.profile.placement

    @property
    def country(self) -> str | None:
        return self.profile.country

    @property
    def locations(self) -> tuple[str, ...]:
        return self.profile.locations

    @property
    def classes(self) -> tuple[str, ...]:
        return self.profile.classes

    @property
    def key_control(self) -> str:
        return self.profile.key_control

    @property
    def operator(self) -> str | None:
        return self.profile.operator

    @property
    def controller_country(self) -> str | None:
        return self.profile.controller_country

    @property
    def hits(self) -> tuple[LawHit, ...]:
        return self.profile.hits

    @property
    def exposure(self) -> float:
        return self.profile.exposure

    @property
    def exposure_level(self) -> str:
        return self.profile.exposure_level

    @property
    def effort(self) -> int | None:
        return self.profile.effort

    @property
    def effort_level(self) -> str:
        return self.profile.effort_level

    @property
    def alternatives(self) -> tuple[AlternativeFit, ...]:
        return self.profile.alternatives


@dataclass(frozen=True, slots=True)
class Coverage:
    """What the scan could not see or place: shown in every output, never averaged away."""

    resources: int
    unmapped_types: Mapping[str, int]
    unknown_regions: Mapping[str, int]
    warnings: list[str]
    ignored_files: list[str]
    #: Knowledge-base facts this result relies on that could not be checked at a primary source:
    #: ``{"law:us-fisa-702": "what is missing"}``; findings resting only on them are capped at medium.
    unverified_facts: Mapping[str, str] = field(default_factory=dict)
    #: Knowledge-base facts whose status was due to be re-checked before the scan date.
    due_for_review: Mapping[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- summary


@dataclass(frozen=True, slots=True)
class LawCount:
    resources: int
    sensitive_resources: int


@dataclass(frozen=True, slots=True)
class ProviderSummary:
    resources: int
    share: float
    exposed_resources: int
    mean_exposure: float
    max_exposure: float
    mean_lockin: float | None
    effort: int


@dataclass(frozen=True, slots=True)
class ClassCount:
    resources: int
    reachable_by_foreign_law: int


@dataclass(frozen=True, slots=True)
class UnlistedCountries:
    """Copies in countries for which the knowledge base has no law record (generic weight)."""

    resources: int = 0
    sensitive_resources: int = 0
    countries: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Residual:
    """The residual, contested tier: resources a foreign law may reach only through the group's presence."""

    resources: int = 0
    sensitive_resources: int = 0
    by_law: dict[str, LawCount] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExposureSummary:
    score: float
    level: str
    exposed_resources: int
    by_level: dict[str, int]
    by_law: dict[str, LawCount]
    by_provider: dict[str, ProviderSummary]
    by_country: dict[str, int]
    by_data_class: dict[str, ClassCount]
    unlisted_law_countries: UnlistedCountries = field(default_factory=UnlistedCountries)
    residual: Residual = field(default_factory=Residual)
    sensitive_exposed: int = 0  # sensitive resources reachable by a foreign law (control or location)


@dataclass(frozen=True, slots=True)
class Concentration:
    hhi: float
    hhi_10000: int
    shares: dict[str, float]
    #: Shares of the spend per provider and their HHI, from a billing export (None without one).
    spend_shares: dict[str, float] | None = None
    hhi_spend: float | None = None


@dataclass(frozen=True, slots=True)
class LockinSummary:
    score: float | None
    level: str
    mean_resource_lockin: float
    concentration: Concentration
    by_provider: dict[str, float | None]


@dataclass(frozen=True, slots=True)
class MigrationSummary:
    effort: int
    data_gb: float
    by_provider: dict[str, int]
    by_level: dict[str, int]


@dataclass(frozen=True, slots=True)
class Summary:
    resources: int
    exposure: ExposureSummary
    lockin: LockinSummary
    migration: MigrationSummary
    findings: dict[str, int]


@dataclass
class ScanResult:
    """The whole result; renderers turn it into JSON, CSV, Markdown, HTML or a terminal summary."""

    kb: KnowledgeBase
    organization: str | None
    home_country: str
    as_of: str
    generated_at: str
    inventory: Inventory
    assessed: list[Assessed]
    flows: list[Flow]
    findings: list[Finding]
    coverage: Coverage
    summary: Summary
    graph: nx.MultiDiGraph[str] | None = field(repr=False, default=None)
    #: The application of every resource (:mod:`scanner.applications`).
    applications: Applications | None = field(repr=False, default=None)
    _index: dict[str, Assessed] | None = field(repr=False, default=None)
    #: Finding ids of an earlier scan (``--baseline``): outputs and the ``--fail-on`` gate that honour
    #: it report only findings whose id is not in it. None when no baseline was given.
    baseline: frozenset[str] | None = field(repr=False, default=None)
    #: The FOCUS billing export given with ``--billing`` (spend, volumes, transfer), or None.
    billing: Billing | None = field(repr=False, default=None)

    def new_findings(self) -> list[Finding]:
        """The findings not in the baseline (all of them when there is none)."""
        if self.baseline is None:
            return self.findings
        return [f for f in self.findings if f.id not in self.baseline]

    def by_id(self, rid: str) -> Assessed | None:
        """The assessed resource with this id (exact, else case-insensitive)."""
        if self._index is None:
            self._index = {a.res.id: a for a in self.assessed}
        found = self._index.get(rid)
        if found is not None:
            return found
        folded = rid.lower()
        return next((a for a in self.assessed if a.res.id.lower() == folded), None)


def summary_from_json(data: Mapping[str, Any]) -> Summary:
    """A summary read back from JSON (the history stores them so): typed again, checked."""
    from pydantic import TypeAdapter

    return TypeAdapter(Summary).validate_python(data)
