"""The one-sentence basis of a law hit: why that law reaches that placement, in words, from its path.

Built from the nodes of the hit's path on the graph (region, countries, entities, law) and the
knowledge-base records behind them; shown in JSON (``laws[].basis``), Markdown, the terminal and
``explain``.
"""

from __future__ import annotations

from scanner.kb.loader import KnowledgeBase
from scanner.result import UNLISTED, LawHit, Tier


def _entity(kb: KnowledgeBase, node: str) -> str:
    key = node.split(":", 1)[1]
    ent = kb.entities.get(key)
    return f"{ent.name} ({ent.country})" if ent is not None else key


def _which_company(kb: KnowledgeBase, region_node: str) -> str:
    """Why the path goes to the group: the operator is either not published or named but unverified."""
    _, provider, code = [*region_node.split(":", 2), "", ""][:3]
    rule = kb.operator_rule(provider, kb.region(provider, code or None), code or None)
    if rule is None or (not rule.regions and not rule.partition):
        return "which one runs the region is not published"
    ent = kb.entities.get(rule.entity)
    name = f"{ent.name}, {ent.country}" if ent is not None else rule.entity
    return f"its named operator, {name}, is not verified"


def basis_key(hit: LawHit) -> tuple[object, ...]:
    """What :func:`basis` reads of a hit: equal keys give equal sentences (a cache key; the paths of
    copies differ in their first nodes, not in the country, companies and region that are named)."""
    if hit.trigger is Tier.LOCATION:
        return hit.law, hit.trigger, hit.via[-2]
    via = hit.via
    chain = tuple(n for n in via[1:-1] if n.startswith("entity:"))
    if not chain:
        return hit.law, hit.trigger, chain
    return hit.law, hit.trigger, chain, next((n for n in via if n.startswith("region:")), "")


def basis(kb: KnowledgeBase, hit: LawHit) -> str:
    """Why ``hit.law`` reaches the placement at the start of ``hit.via``."""
    law = hit.law
    if hit.trigger is Tier.LOCATION:
        country = hit.via[-2].split(":", 1)[1]
        if law.startswith(UNLISTED):
            return f"a copy is in {country}, for which the knowledge base has no law record (generic weight)"
        return f"a copy is in {country}, where {kb.laws[law].name} applies to data on the territory"
    chain = [n for n in hit.via[1:-1] if n.startswith("entity:")]
    if not chain:
        return ""
    links = ", controlled by ".join(_entity(kb, n) for n in chain)
    region = next((n for n in hit.via if n.startswith("region:")), "")
    provider = kb.providers.get(region.split(":")[1] if region else "")
    if provider is not None and provider.group is not None and chain[0] == f"entity:{provider.group.entity}":
        links = f"a company of the {_entity(kb, chain[0])} group ({_which_company(kb, region)})"
    record = kb.laws.get(law)
    name = record.name if record is not None else law
    if hit.trigger is Tier.CONTROL:
        where = record.jurisdiction if record is not None else "?"
        return f"operated by {links}; {name} binds companies incorporated in or run from {where}"
    top = chain[-1].split(":", 1)[1]
    ent = kb.entities.get(top)
    where = record.jurisdiction if record is not None else "?"
    presence = ent.presence_in(where) if ent is not None else None
    what = f" ({presence.basis.rstrip('.')})" if presence is not None else ""
    reach = record.presence_reach.basis.en if record is not None and record.presence_reach is not None else ""
    return (f"operated by {links}; the group is present in {where}{what}: residual, contested tier"
            + (f"; {reach}" if reach else ""))
