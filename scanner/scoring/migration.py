"""Migration: effort points per workload and the alternatives that fit the data it holds.

Effort points follow the ordinal 0-1-3-5-7-13 scale of the service record. Requirements follow
the data: a resource that holds or processes data of a class needs, in the home country, the
schemes ``required_certifications`` in ``weights.yaml`` names for that class (health data of a
French organisation: HDS), whatever the resource's service category (a function handling health
data needs HDS as much as the bucket holding it). An offer fits when the qualification records
(``qualifications.yaml``) show it holds every required scheme in at least one region; the plan's
target choice and the CSF evidence read the same records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from scanner.kb.loader import KnowledgeBase
from scanner.kb.schema import DataClass, Service
from scanner.result import AlternativeFit

#: Classes that are no evidence of holding or processing anything a scheme protects.
_NO_EVIDENCE = frozenset({str(DataClass.UNKNOWN)})
_PUBLIC = frozenset({str(DataClass.PUBLIC)})


def required_schemes(kb: KnowledgeBase, classes: Iterable[str], home: str) -> set[str]:
    """Schemes the data classes need in the home country (``required_certifications``)."""
    needed: set[str] = set()
    for cls in classes:
        per_country = kb.w.required_certifications.get(cls, {})
        needed.update(per_country.get(home, []))
        needed.update(per_country.get("*", []))
    return needed


#: Categories of pure configuration or control plane: no customer content passes through them, so
#: a data class found on them (an IAM role named after a health application) asks nothing of them.
CONTROL_PLANE = frozenset({"identity", "dns", "management"})


def handles_data(classes: Iterable[str], service: Service | None) -> bool:
    """Whether a resource holds or processes customer data that is not public.

    It holds data when its service does (``data_bearing``; an unknown type is assumed to); it
    processes data when classification found evidence of a class on the resource itself (tags,
    name, a copy flow), whatever its category (a Lambda function tagged ``PHI``, a virtual network
    carrying health traffic), except configuration-only categories (:data:`CONTROL_PLANE`).
    Public data needs nothing.
    """
    cls = set(classes)
    data_bearing = service.data_bearing if service is not None else True
    if not data_bearing and (not cls - _NO_EVIDENCE or (service is not None and service.category in CONTROL_PLANE)):
        return False
    return not cls or not cls <= _PUBLIC


def requirements_for(kb: KnowledgeBase, classes: Iterable[str], home: str, service: Service | None,
                     override: Iterable[str] | None = None) -> set[str]:
    """The schemes an alternative must hold for one resource that holds or processes data.

    Without ``override``: what its data classes need in the home country. With ``override`` (the
    plan's ``--require``): those schemes, for every resource that holds or processes non-public data.
    """
    cls = list(classes)
    if not handles_data(cls, service):
        return set()
    return required_schemes(kb, cls, home) if override is None else set(override)


def alternative_entry(kb: KnowledgeBase, alt_id: str, on: dt.date | None = None) -> AlternativeFit:
    """An alternative as outputs show it: schemes held (from qualification records) and the records."""
    alt = kb.alternatives[alt_id]
    quals = [q for q in kb.offer_qualifications(alt_id) if q.holds(on)]
    return AlternativeFit(alt.id, alt.name, alt.provider, tuple(sorted({q.scheme for q in quals})),
                          tuple(sorted(q.id for q in quals)))


def fitting_alternatives(kb: KnowledgeBase, service: Service | None, needed: set[str],
                         on: dt.date | None = None) -> list[AlternativeFit]:
    """The service's catalogue alternatives that can take data needing ``needed`` schemes."""
    if service is None:
        return []
    result: list[AlternativeFit] = []
    for alt_id in service.alternatives:
        alt = kb.alternatives.get(alt_id)
        if alt is None:
            continue
        # Software run by oneself can be hosted on a certified platform: it is not filtered out.
        if alt.kind == "offer" and not kb.offer_holds(alt.id, needed, on):
            continue
        result.append(alternative_entry(kb, alt.id, on))
    return result


def effort_level(kb: KnowledgeBase, effort: int | None) -> str:
    if effort is None:
        return "unknown"
    return kb.w.migration_levels.get(effort, "unknown")
