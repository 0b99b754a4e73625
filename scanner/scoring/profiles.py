"""Scoring: each resource's reach, exposure, findings, lock-in and migration, once per profile.

Fourth step of an assessment (enrich → graph → reach → score → summarise). Resources without
flows of their own that share a placement, service, data classes and key control share one
:class:`~scanner.result.Profile`, computed once; a resource whose bytes are copied elsewhere gets
its own, with the reach of every place a copy is in. Lock-in depends on the service, the number of
proprietary neighbours and the data volume, and is cached on those. Each cache lives in the class
that uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphs.build import Graph
from graphs.paths import LawQuery, Reach
from graphs.schema import EdgeKind
from scanner.enrich import Facts
from scanner.kb.loader import KnowledgeBase
from scanner.kb.schema import Portability, Record, Service
from scanner.result import UNLISTED, AlternativeFit, Assessed, Finding, FindingTemplate, LawHit, Profile, Tier
from scanner.scoring.basis import basis, basis_key
from scanner.scoring.exposure import exposure_score, hits_for, sensitivity
from scanner.scoring.findings import FindingEngine, Subject
from scanner.scoring.lockin import resource_lockin
from scanner.scoring.migration import effort_level, fitting_alternatives, requirements_for

PROPRIETARY = frozenset({Portability.PROPRIETARY, Portability.UNIQUE})
_RELATION_KINDS = (EdgeKind.FLOWS_TO.value, EdgeKind.ENCRYPTED_BY.value)


@dataclass(frozen=True, slots=True)
class Place:
    """What the graph says of one region node, computed once."""

    reaches: tuple[Reach, ...]
    countries: tuple[str, ...]
    operator: str | None
    controller_country: str | None


class PlaceQuery:
    """Region facts from the graph, cached per region node."""

    def __init__(self, query: LawQuery):
        self.query = query
        self._cache: dict[str, Place] = {}

    def __call__(self, region_node: str) -> Place:
        found = self._cache.get(region_node)
        if found is None:
            q = self.query
            found = self._cache[region_node] = Place(q.reach_region(region_node), q.countries_of(region_node),
                                                     q.operator_of(region_node), q.controller_country(region_node))
        return found


class Scorer:
    """Turns enriched resources into assessed ones, with their findings."""

    def __init__(self, kb: KnowledgeBase, g: Graph[str], home: str, services: dict[str, Service | None]):
        self.kb = kb
        self.g = g
        self.home = home
        self.query = LawQuery(g)
        self.places = PlaceQuery(self.query)
        self.rules = FindingEngine(kb, home)
        self._services = services
        self._profiles: dict[tuple[object, ...], Profile] = {}
        self._lockin: dict[tuple[str | None, int, float | None], tuple[float | None, str]] = {}
        # What depends on a profile's parts, not on a resource: computed once per distinct part.
        self._hits: dict[tuple[Reach, ...], tuple[LawHit, ...]] = {}
        self._basis: dict[tuple[object, ...], str] = {}
        self._weighed: dict[tuple[str, Tier], tuple[bool, float]] = {}
        self._alternatives: dict[tuple[int, tuple[str, ...]], tuple[AlternativeFit, ...]] = {}
        self._findings: dict[tuple[object, ...], tuple[FindingTemplate, ...]] = {}
        self._flow_sources: set[str] = set()
        #: node → its distinct neighbours through flows and keys, in both directions
        self._related: dict[str, set[str]] = {}
        flows_to = EdgeKind.FLOWS_TO.value
        for u, v, k in g.edges(keys=True):
            if k.startswith(_RELATION_KINDS):
                self._related.setdefault(u, set()).add(v)
                self._related.setdefault(v, set()).add(u)
                if k.startswith(flows_to):
                    self._flow_sources.add(u)

    def assess(self, facts: Facts) -> tuple[Assessed, list[Finding]]:
        res = facts.res
        copies = self.query.copies(res.id) if res.id in self._flow_sources else []
        if copies:
            profile = self._profile(facts, copies)
        else:
            key = (facts.placement.node, facts.placement.code, res.provider,
                   facts.service.type if facts.service else res.native_type, facts.classes, facts.key_control)
            cached = self._profiles.get(key)
            if cached is None:
                cached = self._profiles[key] = self._profile(facts, [])
            profile = cached
        lockin, lockin_level = self._lock(facts)
        name = res.name or res.id
        findings = [Finding(t.severity, t.rule, res.id, name, t) for t in profile.findings]
        return Assessed(res, profile, facts.class_source, lockin, lockin_level), findings

    def _lock(self, facts: Facts) -> tuple[float | None, str]:
        svc = facts.service
        coupled = self._coupling(facts.res.id)
        key = (svc.type if svc else None, coupled, facts.res.size_gb)
        found = self._lockin.get(key)
        if found is None:
            score = resource_lockin(self.kb, svc, coupled, facts.res.size_gb)
            found = self._lockin[key] = (score, self.kb.w.level(score))
        return found

    def _coupling(self, rid: str) -> int:
        """Distinct proprietary neighbours through flows and keys, in both directions."""
        neighbours = self._related.get(rid)
        if not neighbours:
            return 0
        count = 0
        for other in neighbours:
            svc = self._services.get(other)
            if svc is not None and svc.portability in PROPRIETARY:
                count += 1
        return count

    def _profile(self, facts: Facts, copies: list[tuple[str, tuple[str, ...]]]) -> Profile:
        kb = self.kb
        svc = facts.service
        place = self.places(facts.placement.node)
        if copies:
            reaches = list(place.reaches)
            locations = set(place.countries)
            for target, path in copies:
                tregion = self.query.hosted_region(target)
                if tregion is None:
                    continue
                tplace = self.places(tregion)
                locations.update(tplace.countries)
                reaches.extend(Reach(r.law, r.tier, (*path, *r.via), r.verified) for r in tplace.reaches)
            sorted_locations = tuple(sorted(locations))
            # Each resource with copies has paths of its own: not worth remembering.
            hits = tuple(self._with_basis(h) for h in hits_for(kb, reaches, self.home, self._weighed))
        else:
            sorted_locations = tuple(sorted(set(place.countries)))
            hits = self._hits_of(place.reaches)
        data_bearing = svc.data_bearing if svc is not None else True
        exposure = exposure_score(kb, sensitivity(kb, facts.classes, data_bearing), hits, facts.key_control)
        effort = svc.effort if svc is not None else None
        known = facts.placement.known
        subject = Subject(facts.classes, data_bearing, svc is not None and svc.category == "key-management", hits,
                          sorted_locations, facts.key_control, known)
        # The rules read of each hit its law, tier, weight and whether it is foreign and verified,
        # never its path: profiles of copies differ in their paths, rarely in those.
        rules_key = (subject.classes, subject.data_bearing, subject.holds_keys, subject.locations,
                     subject.key_control, subject.region_known,
                     tuple((h.law, h.trigger, h.foreign, h.weight, h.verified) for h in hits))
        findings = self._findings.get(rules_key)
        if findings is None:
            findings = self._findings[rules_key] = self.rules.evaluate(subject)
        return Profile(
            service=svc, placement=facts.placement.code if known else None,
            country=place.countries[0] if len(place.countries) == 1 else None,
            locations=sorted_locations, classes=facts.classes, key_control=facts.key_control,
            operator=place.operator, controller_country=place.controller_country, hits=hits, exposure=exposure,
            exposure_level=kb.w.level(exposure) if any(h.counts for h in hits) else "none",
            effort=effort, effort_level=effort_level(kb, effort),
            alternatives=self._alternatives_of(svc, facts.classes), findings=findings)

    def _hits_of(self, reaches: tuple[Reach, ...]) -> tuple[LawHit, ...]:
        """The weighed law hits of a set of reaches, each with its basis sentence (cached per reaches)."""
        found = self._hits.get(reaches)
        if found is None:
            found = self._hits[reaches] = tuple(
                self._with_basis(h) for h in hits_for(self.kb, reaches, self.home, self._weighed))
        return found

    def _with_basis(self, hit: LawHit) -> LawHit:
        key = basis_key(hit)
        sentence = self._basis.get(key)
        if sentence is None:
            sentence = self._basis[key] = basis(self.kb, hit)
        return LawHit(hit.law, hit.trigger, hit.via, hit.foreign, hit.weight, hit.verified, sentence)

    def _alternatives_of(self, svc: Service | None, classes: tuple[str, ...]) -> tuple[AlternativeFit, ...]:
        """The alternatives fitting a service's data of these classes (cached per service and classes;
        the service records live as long as the knowledge base, so their ids are stable)."""
        key = (id(svc), classes)
        found = self._alternatives.get(key)
        if found is None:
            found = self._alternatives[key] = tuple(
                fitting_alternatives(self.kb, svc, requirements_for(self.kb, classes, self.home, svc)))
        return found


def unverified_facts(kb: KnowledgeBase, g: Graph[str], profiles: list[Profile]) -> dict[str, str]:
    """The unverified knowledge-base facts on the paths of the profiles' law hits, with what is missing."""
    found: dict[str, str] = {}
    nodes = {n for p in profiles for h in p.hits if h.foreign and not h.verified for n in h.via}
    for node in sorted(nodes):
        kind, _, key = node.partition(":")
        record: Record | None = None
        if kind == "law" and not key.startswith(UNLISTED):
            law = kb.laws.get(key)
            record = law
            if law is not None and law.verified and law.presence_reach is not None and not law.presence_reach.verified:
                found[f"law:{key}:presence_reach"] = law.presence_reach.unverified
        elif kind == "entity":
            record = kb.entities.get(key)
        elif kind == "region":
            provider, _, code = key.partition(":")
            record = kb.region(provider, code)
        if record is not None and not record.verified:
            found[node] = record.unverified
    return found
