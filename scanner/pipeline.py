"""sources → inventory → enrich → graph → reach and score → summarise → :class:`ScanResult`.

Everything here is provider-neutral, and each step is its own module owning its caches:
:mod:`scanner.enrich` (service, placement, key control and own data classes, from the knowledge
base), :mod:`graphs.estate` (the jurisdiction graph, flows, copies inheriting their source's
classes), :mod:`scanner.scoring.profiles` (law reach by tier, exposure, findings, lock-in and
migration, once per placement profile) and :mod:`scanner.scoring.summary`. This module only runs
them in order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path

from graphs.build import Graph
from graphs.estate import build_estate_graph, propagate_classes
from providers.live import LiveOptions
from scanner.applications import group_applications
from scanner.billing import Billing
from scanner.classify import Classifier
from scanner.config import Config
from scanner.enrich import Enricher, Enrichment
from scanner.hierarchy import settle_children
from scanner.inventory import Inventory, load_inventory, load_live
from scanner.kb.loader import KnowledgeBase
from scanner.result import UNLISTED, Assessed, Coverage, Finding, Profile, ScanResult
from scanner.scoring.findings import SEVERITY_ORDER
from scanner.scoring.profiles import Scorer, unverified_facts
from scanner.scoring.summary import summarize


def scan(paths: Iterable[Path], config: Config, as_of: str | None = None, organization: str | None = None,
         warn: Callable[[str], None] | None = None, live: LiveOptions | None = None,
         export_path: Path | None = None, billing: Billing | None = None) -> ScanResult:
    """Scan exported files and folders and/or a live, read-only collection."""
    inventory = load_inventory(paths, warn, config.limits)
    if live is not None:
        collected = load_live(live, export_path)
        for res in collected.resources.values():
            inventory.add_resource(res)
        inventory.flows.extend(collected.flows)
        inventory.gaps.extend(collected.gaps)
        for key, account in collected.accounts.items():
            inventory.accounts.setdefault(key, account)
        inventory.sources.extend(collected.sources)
    return assess(inventory, config, as_of=as_of, organization=organization, billing=billing)


#: Gap reasons that mean a live collection did not see everything (``--strict`` exits 3).
INCOMPLETE_REASONS = frozenset({"access-denied", "api-disabled", "throttled", "error", "truncated"})


def assess(inventory: Inventory, config: Config, as_of: str | None = None,
           organization: str | None = None, billing: Billing | None = None) -> ScanResult:
    """Enrich, graph, score and summarise an inventory (sizes from a billing export where unknown)."""
    kb = config.knowledge_base()
    home = config.home_country
    settle_children(inventory, kb)
    warnings: list[str] = [f"{g.source}: {g.message}" for g in inventory.gaps]
    if billing is not None:
        warnings.extend(billing.apply(inventory))
    enrichment = Enricher(kb, Classifier(kb.rules, kb.lexicon)).enrich(inventory)
    graph, flows = build_estate_graph(kb, inventory, enrichment, warnings)
    propagate_classes(graph, {f.res.id: f for f in enrichment if f.res.id in graph})
    assessed, findings = _score(kb, graph, home, enrichment)
    profiles = list({id(a.profile): a.profile for a in assessed}.values())
    warnings.extend(_unlisted_warning(profiles))
    due = {f"{d.table}:{d.key}": d.review_by.isoformat() for d in kb.due_for_review(dt.date.today())}
    if due:
        warnings.append(f"knowledge-base facts due for review (their status may have changed): "
                        f"{', '.join(f'{k} (review by {v})' for k, v in due.items())}")
    coverage = Coverage(
        resources=len(assessed),
        unmapped_types=dict(sorted(enrichment.unmapped.items(), key=lambda kv: (-kv[1], kv[0]))),
        unknown_regions=dict(sorted(enrichment.unknown_regions.items(), key=lambda kv: (-kv[1], kv[0]))),
        warnings=warnings, ignored_files=inventory.ignored_files,
        unverified_facts=unverified_facts(kb, graph, profiles), due_for_review=due)
    return ScanResult(
        kb=kb, organization=organization or config.organization, home_country=home,
        as_of=as_of or dt.date.today().isoformat(),
        generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        inventory=inventory, assessed=assessed, flows=flows, findings=findings, coverage=coverage,
        summary=summarize(kb, assessed, findings, billing.spend_shares() if billing else None), graph=graph,
        billing=billing, applications=group_applications(inventory, config.applications))


def _score(kb: KnowledgeBase, graph: Graph[str], home: str,
           enrichment: Enrichment) -> tuple[list[Assessed], list[Finding]]:
    services = {f.res.id: f.service for f in enrichment if f.res.id in graph}
    scorer = Scorer(kb, graph, home, services)
    assessed: list[Assessed] = []
    findings: list[Finding] = []
    for facts in enrichment:
        a, found = scorer.assess(facts)
        assessed.append(a)
        findings.extend(found)
    # Stable sort: by severity and rule, then in inventory order (cheaper than comparing ids).
    findings.sort(key=lambda f: (-SEVERITY_ORDER[f.severity], f.rule))
    return assessed, findings


def _unlisted_warning(profiles: list[Profile]) -> list[str]:
    seen = sorted({h.law[len(UNLISTED):] for p in profiles for h in p.hits if h.law.startswith(UNLISTED) and h.counts})
    if not seen:
        return []
    return [f"no law record for data located in {', '.join(seen)}; scored with the generic third-country "
            f"weight ({UNLISTED}<country>)"]
