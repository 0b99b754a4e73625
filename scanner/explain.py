"""``sovscan explain``: a resource's paths to each law, in words, with the facts' sources."""

from __future__ import annotations

from graphs.schema import NodeKind
from scanner.result import UNLISTED, Assessed, LawHit, ScanResult


def _describe(result: ScanResult, node: str) -> str:
    kb = result.kb
    kind, _, key = node.partition(":")
    if node in result.inventory.resources:
        res = result.inventory.resources[node]
        return f"{res.name or res.id} ({res.native_type})"
    if kind == NodeKind.REGION.value:
        provider, _, code = key.partition(":")
        region = kb.region(provider, code)
        if region is None:
            return f"{provider} region {code} (not in the knowledge base)"
        where = ", ".join(x for x in (region.city, region.country) if x) or "/".join(kb.region_countries(region))
        return f"{provider} region {code} ({where})"
    if kind == NodeKind.COUNTRY.value:
        country = kb.countries.get(key)
        return f"{country.name.en} ({key})" if country else key
    if kind == NodeKind.ENTITY.value:
        ent = kb.entities.get(key)
        return f"{ent.name} ({ent.country})" if ent else key
    if kind == NodeKind.LAW.value:
        law = kb.laws.get(key)
        return f"{law.name} [{law.citation}]" if law else key
    if result.graph is not None and node in result.graph:
        return f"{node} (outside the inventory)"
    return node


def explain_lines(result: ScanResult, a: Assessed) -> list[str]:
    """The explanation as plain lines of text."""
    kb = result.kb
    res = a.res
    svc = a.service
    lines = [f"{res.name or res.id}", f"  id: {res.id}",
             *([f"  terraform: {res.tf_address}"] if res.tf_address else []),
             f"  type: {res.native_type}"
             + (f" → {svc.name} ({svc.category})" if svc else " (not in the knowledge base)"),
             f"  provider: {res.provider}, account: {res.account or 'unknown'}, region: {res.region or 'unknown'}"
             + (f" (placed at {a.placement})" if a.placement and a.placement != res.region else "")
             + (f" (its parent's: {res.attributes['placement_from']})" if res.attributes.get("placement_from")
                else ""),
             f"  copies in: {', '.join(a.locations) or 'unknown'}",
             f"  data classes: {', '.join(a.classes)} (from {a.class_source}); keys: {a.key_control}",
             f"  exposure: {a.exposure} ({a.exposure_level}); lock-in: {a.lockin} ({a.lockin_level}); "
             f"migration effort: {a.effort} ({a.effort_level})"]
    if not a.hits:
        lines.append("  No law in the knowledge base reaches this resource's placement.")
    by_law: dict[str, list[LawHit]] = {}
    for hit in a.hits:
        by_law.setdefault(hit.law, []).append(hit)
    for law_id, hits in by_law.items():
        if law_id.startswith(UNLISTED):
            lines.append(f"  - unspecified law of {law_id[len(UNLISTED):]}: no law record, generic third-country "
                         f"weight {hits[0].weight}")
        else:
            law = kb.laws[law_id]
            status = "foreign" if hits[0].foreign else "not foreign to the home country, not scored"
            lines.append(f"  - {law.name} ({status}; {law.status})")
            lines.append(f"      {law.citation}")
            lines.append(f"      source: {law.source} (checked {law.as_of})"
                         + ("" if law.verified else f"; UNVERIFIED: {law.unverified}"))
        for hit in hits:
            *steps, _law_node = hit.via
            words = [_describe(result, n) for n in steps]
            tier = ("by presence only: residual, contested tier, not scored" if hit.trigger == "presence"
                    else f"by {hit.trigger}")
            lines.append(f"      {tier} (weight {hit.weight}{'' if hit.verified else ', rests on unverified facts'}): "
                         + " → ".join(words) + " ← reached by this law")
            if hit.basis:
                lines.append(f"        why: {hit.basis}")
    if a.alternatives:
        lines.append("  alternatives: " + ", ".join(
            alt.name + (f" [{', '.join(alt.certifications)}]" if alt.certifications else "")
            for alt in a.alternatives))
    return lines
