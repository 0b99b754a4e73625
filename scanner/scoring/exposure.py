"""Exposure: which foreign laws reach a resource's data, and how much that matters.

``exposure = 100 × sensitivity(data classes) × max over foreign reaches (law severity × trigger
weight) × (1 − mitigation(key control))``, with the weights of ``weights.yaml`` (see
docs/methodology.md). A law is *foreign* when its jurisdiction is neither the organisation's home
country nor, for a home country in the EU, the EU itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from graphs.paths import Reach
from scanner.kb.loader import KnowledgeBase

#: Prefix of the generic law id used for a copy in a third country with no law record.
UNLISTED = "unlisted-law:"


@dataclass(frozen=True, slots=True)
class LawHit:
    """A law reaching a resource, as reported: id, trigger, path, whether foreign, weight."""

    law: str
    trigger: str
    via: tuple[str, ...]
    foreign: bool
    weight: float  # severity × trigger weight (0 when not foreign)


def is_foreign(kb: KnowledgeBase, jurisdiction: str, home: str) -> bool:
    if jurisdiction == home:
        return False
    if jurisdiction == "EU":
        country = kb.countries.get(home)
        return not (country is not None and country.eu)
    return True


def hits_for(kb: KnowledgeBase, reaches: Iterable[Reach], home: str) -> list[LawHit]:
    """Weigh raw graph reaches; keep the strongest path per (law, trigger)."""
    w = kb.w
    best: dict[tuple[str, str], LawHit] = {}
    for reach in reaches:
        if reach.law.startswith(UNLISTED):
            jurisdiction, severity = reach.law[len(UNLISTED):], w.unlisted_location_severity
        else:
            law = kb.laws[reach.law]
            jurisdiction, severity = law.jurisdiction, law.severity
        foreign = is_foreign(kb, jurisdiction, home)
        weight = round(severity * w.trigger.get(reach.trigger, 1.0), 4) if foreign else 0.0
        key = (reach.law, reach.trigger)
        old = best.get(key)
        if old is None or len(reach.via) < len(old.via):
            best[key] = LawHit(reach.law, reach.trigger, reach.via, foreign, weight)
    return sorted(best.values(), key=lambda h: (-h.weight, h.law, h.trigger))


def sensitivity(kb: KnowledgeBase, classes: Iterable[str], data_bearing: bool) -> float:
    w = kb.w
    value = max((w.sensitivity.get(c, w.sensitivity["unknown"]) for c in classes), default=w.sensitivity["unknown"])
    return min(value, w.metadata_only_sensitivity) if not data_bearing else value


def exposure_score(kb: KnowledgeBase, sens: float, hits: Iterable[LawHit], key_control: str) -> float:
    worst = max((h.weight for h in hits), default=0.0)
    mitigation = kb.w.mitigation.get(key_control, 0.0)
    return round(100.0 * sens * worst * (1.0 - mitigation), 1)
