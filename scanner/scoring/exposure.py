"""Exposure: which foreign laws reach a resource's data, by which tier, and how much that matters.

``exposure = 100 × sensitivity(data classes) × max over foreign control or location reaches (law
severity × tier weight) × (1 − mitigation(key control))``, with the weights of ``weights.yaml``
(see docs/methodology.md). A law is *foreign* when its jurisdiction is neither the organisation's
home country nor, for a home country in the EU, the EU itself. Reaches by presence (the residual,
contested tier) are reported with their own weight but never enter the score.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphs.paths import Reach
from scanner.kb.loader import KnowledgeBase
from scanner.result import UNLISTED, LawHit, Tier


def is_foreign(kb: KnowledgeBase, jurisdiction: str, home: str) -> bool:
    if jurisdiction == home:
        return False
    if jurisdiction == "EU":
        country = kb.countries.get(home)
        return not (country is not None and country.eu)
    return True


def law_jurisdiction(kb: KnowledgeBase, law: str) -> tuple[str, float]:
    """A law's jurisdiction and severity (the generic law of an unlisted country included)."""
    if law.startswith(UNLISTED):
        return law[len(UNLISTED):], kb.w.unlisted_location_severity
    record = kb.laws[law]
    return record.jurisdiction, record.severity


def hits_for(kb: KnowledgeBase, reaches: Iterable[Reach], home: str,
             weighed: dict[tuple[str, Tier], tuple[bool, float]] | None = None) -> tuple[LawHit, ...]:
    """Weigh raw graph reaches; keep the shortest path per (law, tier); strongest first.

    ``weighed`` remembers, across calls with the same knowledge base and home country, whether each
    (law, tier) is foreign and its weight."""
    w = kb.w
    if weighed is None:
        weighed = {}
    best: dict[tuple[str, Tier], Reach] = {}
    for reach in reaches:
        key = (reach.law, reach.tier)
        old = best.get(key)
        if old is None or len(reach.via) < len(old.via):
            best[key] = reach
    hits: list[LawHit] = []
    for key, reach in best.items():
        found = weighed.get(key)
        if found is None:
            jurisdiction, severity = law_jurisdiction(kb, reach.law)
            foreign = is_foreign(kb, jurisdiction, home)
            found = weighed[key] = (foreign, round(severity * w.trigger.get(reach.tier.value, 1.0), 4) if foreign
                                    else 0.0)
        hits.append(LawHit(reach.law, reach.tier, reach.via, found[0], found[1], reach.verified))
    return tuple(sorted(hits, key=lambda h: (h.trigger is Tier.PRESENCE, -h.weight, h.law, h.trigger)))


def sensitivity(kb: KnowledgeBase, classes: Iterable[str], data_bearing: bool) -> float:
    w = kb.w
    value = max((w.sensitivity.get(c, w.sensitivity["unknown"]) for c in classes), default=w.sensitivity["unknown"])
    return min(value, w.metadata_only_sensitivity) if not data_bearing else value


def exposure_score(kb: KnowledgeBase, sens: float, hits: Iterable[LawHit], key_control: str) -> float:
    worst = max((h.weight for h in hits if h.counts), default=0.0)
    mitigation = kb.w.mitigation.get(key_control, 0.0)
    return round(100.0 * sens * worst * (1.0 - mitigation), 1)
