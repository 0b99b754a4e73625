"""Migration: effort points per workload and the alternatives that fit the data it holds.

Effort points follow the ordinal 0-1-3-5-7-13 scale of the service record. Alternatives are
filtered by the certifications the resource's data classes need in the home country (health data
for a French organisation: HDS), from ``required_certifications`` in ``weights.yaml``.
"""

from __future__ import annotations

from collections.abc import Iterable

from scanner.kb.loader import KnowledgeBase
from scanner.kb.schema import Service
from scanner.result import AlternativeFit


def required_schemes(kb: KnowledgeBase, classes: Iterable[str], home: str) -> set[str]:
    needed: set[str] = set()
    for cls in classes:
        per_country = kb.w.required_certifications.get(cls, {})
        needed.update(per_country.get(home, []))
        needed.update(per_country.get("*", []))
    return needed


def fitting_alternatives(kb: KnowledgeBase, service: Service | None, needed: set[str]) -> list[AlternativeFit]:
    if service is None:
        return []
    result: list[AlternativeFit] = []
    for alt_id in service.alternatives:
        alt = kb.alternatives.get(alt_id)
        if alt is None:
            continue
        # Software run by oneself can be hosted on a certified platform: it is not filtered out.
        if alt.kind == "offer" and not needed.issubset(alt.certifications):
            continue
        result.append(AlternativeFit(alt.id, alt.name, alt.provider, tuple(sorted(alt.certifications))))
    return result


def effort_level(kb: KnowledgeBase, effort: int | None) -> str:
    if effort is None:
        return "unknown"
    return kb.w.migration_levels.get(effort, "unknown")
