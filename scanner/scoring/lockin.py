"""Lock-in: how proprietary a resource's service is, how coupled and how heavy its data is.

Per resource: ``portability base + min(coupling × per-neighbour, max) + min(log10(GB+1) ×
per-decade, max)`` capped at 100. Overall: ``(1 − w) × mean + w × 100 × HHI`` where HHI is the
Herfindahl–Hirschman index of the providers' shares of resources (1.0 = everything on one provider).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from scanner.kb.loader import KnowledgeBase
from scanner.kb.schema import Service


def resource_lockin(kb: KnowledgeBase, service: Service | None, coupled: int, size_gb: float | None) -> float | None:
    if service is None:
        return None
    lw = kb.w.lockin
    base = lw.portability[str(service.portability)]
    coupling = min(coupled * lw.coupling_per_neighbour, lw.coupling_max)
    gravity = min(math.log10(max(size_gb or 0.0, 0.0) + 1.0) * lw.gravity_per_log10_gb, lw.gravity_max)
    return round(min(100.0, base + coupling + gravity), 1)


def hhi(counts: Mapping[str, int]) -> float:
    """Herfindahl–Hirschman index on shares in 0..1 (multiply by 10,000 for the usual scale)."""
    total = sum(counts.values())
    if not total:
        return 0.0
    return round(sum((n / total) ** 2 for n in counts.values()), 4)


def overall_lockin(kb: KnowledgeBase, mean_resource: float, concentration: float) -> float:
    weight = kb.w.lockin.concentration_weight
    return round((1 - weight) * mean_resource + weight * 100.0 * concentration, 1)
