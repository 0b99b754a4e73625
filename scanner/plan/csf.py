"""EU Cloud Sovereignty Framework evidence: the SEAL level the knowledge base supports per provider.

For each provider of an estate, the automated criteria of SOV-2 (legal and jurisdictional) and
SOV-3 (data) in ``csf.yaml`` are answered from facts: the operating entity's parent chain, the laws
reaching the provider's placements on the graph, the SecNumCloud qualification records covering
each resource's placement (provider, region, resource type: qualifications are offer- and
region-level, never provider-wide), the key control and the locations of the organisation's
resources there. An objective's level is the lowest
level its answered criteria guarantee (the framework's weakest-link rule), so it is an upper bound
until the criteria marked ``manual`` are assessed. The other objectives are listed as needing manual
assessment.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from scanner.kb.loader import KnowledgeBase
from scanner.kb.schema import CsfObjective
from scanner.result import Assessed, ScanResult

AUTOMATED = ("SOV-2", "SOV-3")
KEY_ANSWERS = {"unknown": "provider only", "provider-managed": "provider only",
               "customer-managed": "shared, provider can override",
               "customer-external": "customer primary, provider can read some"}


def _seal(objective: CsfObjective, criterion: str, answer: str) -> int:
    for crit in objective.criteria:
        if crit.id == criterion:
            for rung in crit.ladder:
                if rung.answer == answer:
                    return rung.seal
    raise KeyError(f"{objective.id} {criterion}: no answer {answer!r} in csf.yaml")


def _qualification(kb: KnowledgeBase, provider: str, items: list[Assessed]) -> tuple[bool, str]:
    """Whether every resource sits in a SecNumCloud-qualified offer and region, and the fact that says so.

    Only verified, in-date records count (:meth:`Qualification.holds`); a recorded but unverified
    qualification is named in the fact and gives no immunity.
    """
    if not items:
        return False, "no resources"
    covered = 0
    held: set[str] = set()
    unverified: set[str] = set()
    cache: dict[tuple[str | None, str], list[str]] = {}
    for a in items:
        key = (a.placement or a.res.region, a.res.native_type)
        ids = cache.get(key)
        if ids is None:
            quals = [q for q in kb.qualifications_for(provider, key[0], key[1]) if q.scheme == "secnumcloud"]
            unverified.update(q.id for q in quals if q.status == "qualified" and not q.verified)
            ids = cache[key] = [q.id for q in quals if q.holds()]
        if ids:
            covered += 1
            held.update(ids)
    if covered == len(items):
        return True, f"SecNumCloud-qualified offer (§19.6) for every resource: {', '.join(sorted(held))}"
    fact = f"{covered} of {len(items)} resources in a SecNumCloud-qualified offer and region"
    if held:
        fact += f" ({', '.join(sorted(held))})"
    if unverified:
        fact += f"; recorded but unverified, not counted: {', '.join(sorted(unverified))}"
    return False, fact


def _jurisdiction(kb: KnowledgeBase, operators: set[str]) -> tuple[str, list[str]]:
    worst, facts = "exclusively EU law", []
    rank = {"exclusively EU law": 0, "mixed": 1, "non-EU only": 2}
    for op in sorted(operators):
        chain = kb.entity_chain(op)
        if not chain:
            return "non-EU only", [f"operator {op}: no entity record"]
        countries = [e.controlled_from or e.country for e in chain]
        facts.append(" → ".join(f"{e.name} ({e.controlled_from or e.country})" for e in chain))
        if not kb.in_eea(chain[0].country):
            answer = "non-EU only"
        elif all(kb.in_eea(c) for c in countries):
            answer = "exclusively EU law"
        else:
            answer = "mixed"
        if rank[answer] > rank[worst]:
            worst = answer
    return worst, facts


def provider_evidence(kb: KnowledgeBase, provider: str, items: list[Assessed]) -> dict[str, Any]:
    sov2 = kb.csf_objectives["SOV-2"]
    sov3 = kb.csf_objectives["SOV-3"]
    # Every fact below but the qualification coverage is a profile's: read once per shared profile.
    profiles = list({id(a.profile): a.profile for a in items}.values())
    operators = {p.operator for p in profiles if p.operator}
    if operators:
        jurisdiction, chain_facts = _jurisdiction(kb, operators)
    else:
        jurisdiction, chain_facts = "non-EU only", ["no operating entity known for this provider's placements"]
    control = sorted({h.law for p in profiles for h in p.hits if h.counts and h.trigger == "control"})
    presence = sorted({h.law for p in profiles for h in p.hits if h.residual})
    qualified, qualification_fact = _qualification(kb, provider, items)
    if control:
        exposure, exposure_fact = "fully exposed", f"reached by control: {', '.join(control)}"
    elif presence:
        exposure, exposure_fact = "legal structures shielding", (
            f"reached only through the group's presence abroad (residual, contested tier): {', '.join(presence)}")
    elif qualified:
        exposure, exposure_fact = "verified immunity", (
            f"no foreign law reaches it on the graph; {qualification_fact}")
    else:
        exposure, exposure_fact = "legal structures shielding", (
            f"no foreign law reaches it on the graph; immunity not verified by a qualification: {qualification_fact}")
    sov2_levels = {"2.1": _seal(sov2, "2.1", jurisdiction), "2.2": _seal(sov2, "2.2", exposure)}

    data_profiles = [p for p in profiles if p.service is None or p.service.data_bearing]
    order = ["unknown", "provider-managed", "customer-managed", "customer-external"]
    keys = sorted({p.key_control for p in data_profiles}, key=lambda k: order.index(k) if k in order else 0)
    weakest = keys[0] if keys else "unknown"
    key_answer = KEY_ANSWERS.get(weakest, "provider only")
    locations = sorted({c for p in profiles for c in p.locations})
    unknown_location = any(not p.locations for p in data_profiles)
    outside = [c for c in locations if not kb.in_eea(c)]
    if unknown_location:
        location_answer = "unknown"
    elif outside:
        location_answer = "partly"
    elif qualified:
        location_answer = "exclusively EU, no fallback"
    else:
        location_answer = "EU by default with exceptions"
    sov3_levels = {"3.1": _seal(sov3, "3.1", key_answer), "3.4": _seal(sov3, "3.4", location_answer)}
    return {
        "provider": provider,
        "SOV-2": {"seal": min(sov2_levels.values()), "criteria": {
            "2.1": {"answer": jurisdiction, "seal": sov2_levels["2.1"], "facts": chain_facts},
            "2.2": {"answer": exposure, "seal": sov2_levels["2.2"], "facts": [exposure_fact]}},
            "manual": [c.id for c in sov2.criteria if not c.automated]},
        "SOV-3": {"seal": min(sov3_levels.values()), "criteria": {
            "3.1": {"answer": key_answer, "seal": sov3_levels["3.1"],
                    "facts": [f"weakest key control of data-bearing resources: {weakest}"]},
            "3.4": {"answer": location_answer, "seal": sov3_levels["3.4"],
                    "facts": [f"countries holding copies: {' '.join(locations) or 'unknown'}"
                              + (f"; outside the EU/EEA: {' '.join(outside)}" if outside else "")]}},
            "manual": [c.id for c in sov3.criteria if not c.automated]},
        "manual_objectives": [o for o in sorted(kb.csf_objectives) if o not in AUTOMATED],
    }


def csf_evidence(result: ScanResult) -> list[dict[str, Any]]:
    """Evidence per provider of the estate, most resources first."""
    if not all(o in result.kb.csf_objectives for o in AUTOMATED):
        return []
    by_provider: dict[str, list[Assessed]] = defaultdict(list)
    for a in result.assessed:
        by_provider[a.res.provider].append(a)
    return [provider_evidence(result.kb, pid, items)
            for pid, items in sorted(by_provider.items(), key=lambda kv: (-len(kv[1]), kv[0]))]


def secnumcloud_coverage(kb: KnowledgeBase, provider: str, items: list[Assessed]) -> tuple[bool, str]:
    """Whether every resource of ``provider`` sits in a SecNumCloud-qualified offer and region (§19.6),
    and the fact that says so (read by the OSCAL assessment results)."""
    return _qualification(kb, provider, items)
