"""sources → inventory → enrich (knowledge base) → graph → score → :class:`ScanResult`.

Everything here is provider-neutral. Enrichment resolves each resource's service, placement
(global services are placed from the knowledge base), key control (refined from the key resources
themselves), and data classes (propagated along flows that copy bytes). The graph is built once;
law reach is queried once per placement and reused for every resource placed there.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphs.build import GraphBuilder
from graphs.paths import COPY_KINDS, LawQuery, Reach
from graphs.schema import EdgeKind, NodeKind, node_id
from scanner.classify import Classifier
from scanner.config import Config
from scanner.inventory import Inventory, load_inventory
from scanner.kb.loader import KnowledgeBase
from scanner.kb.schema import Portability, Service
from scanner.model import Flow, KeyControl, Resource
from scanner.scoring.exposure import UNLISTED, LawHit, exposure_score, hits_for, sensitivity
from scanner.scoring.findings import SEVERITY_ORDER, Finding, findings_for
from scanner.scoring.lockin import hhi, overall_lockin, resource_lockin
from scanner.scoring.migration import effort_level, fitting_alternatives, required_schemes

PROPRIETARY = {Portability.PROPRIETARY, Portability.UNIQUE}


@dataclass(slots=True)
class Assessed:
    """A resource with everything the scorer concluded about it."""

    res: Resource
    service: Service | None
    placement: str | None  # region code the location came from (the service placement for global ones)
    country: str | None
    locations: tuple[str, ...]
    classes: tuple[str, ...]
    class_source: str
    key_control: str
    operator: str | None
    controller_country: str | None
    hits: list[LawHit]
    exposure: float
    exposure_level: str
    lockin: float | None
    lockin_level: str
    effort: int | None
    effort_level: str
    alternatives: list[dict[str, Any]]


@dataclass
class ScanResult:
    """The whole result; renderers turn it into JSON, CSV, Markdown or a terminal summary."""

    kb: KnowledgeBase
    organization: str | None
    home_country: str
    as_of: str
    generated_at: str
    inventory: Inventory
    assessed: list[Assessed]
    flows: list[Flow]
    findings: list[Finding]
    coverage: dict[str, Any]
    summary: dict[str, Any]
    graph: Any = field(repr=False, default=None)
    query: LawQuery | None = field(repr=False, default=None)

    def by_id(self, rid: str) -> Assessed | None:
        for a in self.assessed:
            if a.res.id == rid or a.res.id.lower() == rid.lower():
                return a
        return None


def scan(paths: Iterable[Path], config: Config, as_of: str | None = None, organization: str | None = None,
         warn: Callable[[str], None] | None = None) -> ScanResult:
    """Offline scan of exported files and folders."""
    inventory = load_inventory(paths, warn)
    return assess(inventory, config, as_of=as_of, organization=organization)


def assess(inventory: Inventory, config: Config, as_of: str | None = None,
           organization: str | None = None) -> ScanResult:
    """Enrich, graph and score an inventory."""
    kb = config.knowledge_base()
    home = config.home_country
    resources = inventory.resources
    warnings: list[str] = [f"{g.source}: {g.message}" for g in inventory.gaps]
    builder = GraphBuilder(kb)
    builder.add_laws()
    builder.add_alternatives()
    g = builder.g

    services: dict[str, Service | None] = {}
    unmapped: Counter[str] = Counter()
    unknown_regions: Counter[str] = Counter()
    placements: dict[str, tuple[str, str | None]] = {}  # resource id → (region node, placement code)

    def place(res: Resource, svc: Service | None) -> tuple[str, str | None]:
        code = res.region
        if code in (None, "global") and svc is not None and svc.placement:
            code = svc.placement
        nid, region = builder.add_region(res.provider, code)
        if region is None:
            unknown_regions[f"{res.provider}:{code or '(not in export)'}"] += 1
        return nid, code if region is not None else None

    for rid, res in resources.items():
        svc = kb.service(res.provider, res.native_type)
        services[rid] = svc
        if svc is None:
            unmapped[res.native_type] += 1
        g.add_node(rid, kind="resource")
        region_node, code = place(res, svc)
        placements[rid] = (region_node, code)
        builder.edge(EdgeKind.HOSTED_IN, rid, region_node)
        if res.account:
            acc = builder.node(NodeKind.ACCOUNT, f"{res.provider}:{res.account}")
            builder.edge(EdgeKind.IN_ACCOUNT, rid, acc)

    flows = _resolve_flows(inventory, kb, builder, warnings)
    key_controls, key_links = _key_controls(inventory, builder)
    classifier = Classifier(kb.rules)
    classes: dict[str, tuple[tuple[str, ...], str]] = {}
    for rid, res in resources.items():
        found = classifier.classify(res.tags, res.name)
        classes[rid] = (found.classes, found.source)
    _propagate_classes(flows, classes)

    query = LawQuery(g)
    coupled = _coupling([(f.source, f.target) for f in flows] + key_links, services)
    assessed: list[Assessed] = []
    findings: list[Finding] = []
    region_cache: dict[str, tuple[list[Reach], tuple[str, ...], str | None, str | None]] = {}
    unlisted_seen: set[str] = set()

    def region_facts(region_node: str) -> tuple[list[Reach], tuple[str, ...], str | None, str | None]:
        cached = region_cache.get(region_node)
        if cached is not None:
            return cached
        reaches = list(query.reach_region(region_node))
        countries = tuple(query.countries_of(region_node))
        located = {r.via[1] for r in reaches if r.trigger == "location"}
        for code in countries:
            cnode = node_id(NodeKind.COUNTRY, code)
            country = kb.countries.get(code)
            # A third country with neither a law record nor a full adequacy decision: not assumed
            # immune (a full adequacy decision includes the Commission's assessment of public
            # authorities' access, GDPR Art. 45(2)(a)).
            full_adequacy = country is not None and country.adequacy is not None and country.adequacy.scope == "full"
            if (code != home and cnode not in located and country is not None and not country.eea
                    and not full_adequacy):
                reaches.append(Reach(f"{UNLISTED}{code}", "location", (region_node, cnode)))
                unlisted_seen.add(code)
        operators = [t for _, t, k in g.out_edges(region_node, keys=True) if k == EdgeKind.OPERATED_BY.value]
        operator = operators[0].split(":", 1)[1] if operators else None
        controller = None
        if operator is not None:
            chain = kb.entity_chain(operator)
            controller = (chain[-1].controlled_from or chain[-1].country) if chain else None
        facts = (reaches, countries, operator, controller)
        region_cache[region_node] = facts
        return facts

    for rid, res in resources.items():
        svc = services[rid]
        region_node, code = placements[rid]
        reaches, countries, operator, controller = region_facts(region_node)
        all_reaches: list[Reach] = list(reaches)
        locations = set(countries)
        for target, path in query.copies(rid):
            tregion = query.hosted_region(target)
            if tregion is None:
                continue
            treaches, tcountries, _, _ = region_facts(tregion)
            locations.update(tcountries)
            all_reaches.extend(Reach(r.law, r.trigger, (*path, *r.via)) for r in treaches)
        cls, cls_source = classes[rid]
        data_bearing = svc.data_bearing if svc is not None else True
        hits = hits_for(kb, all_reaches, home)
        key_control = key_controls.get(rid, KeyControl.UNKNOWN.value)
        sens = sensitivity(kb, cls, data_bearing)
        exposure = exposure_score(kb, sens, hits, key_control)
        lock = resource_lockin(kb, svc, coupled.get(rid, 0), res.size_gb)
        effort = svc.effort if svc is not None else None
        alternatives = fitting_alternatives(kb, svc, required_schemes(kb, cls, home))
        sorted_locations = tuple(sorted(locations))
        assessed.append(Assessed(
            res=res, service=svc, placement=code, country=countries[0] if len(countries) == 1 else None,
            locations=sorted_locations, classes=cls, class_source=cls_source, key_control=key_control,
            operator=operator, controller_country=controller, hits=hits, exposure=exposure,
            exposure_level=kb.w.level(exposure) if any(h.weight for h in hits) else "none",
            lockin=lock, lockin_level=kb.w.level(lock), effort=effort, effort_level=effort_level(kb, effort),
            alternatives=alternatives))
        findings.extend(findings_for(kb, home, rid, res.name or rid, cls, data_bearing, hits, sorted_locations,
                                     key_control, code is not None))

    if unlisted_seen:
        warnings.append(f"no law record for data located in {', '.join(sorted(unlisted_seen))}; scored with the "
                        f"generic third-country weight ({UNLISTED}<country>)")
    findings.sort(key=lambda f: (-SEVERITY_ORDER[f.severity], f.rule, f.resource))
    coverage = {
        "resources": len(assessed),
        "unmapped_types": dict(sorted(unmapped.items(), key=lambda kv: (-kv[1], kv[0]))),
        "unknown_regions": dict(sorted(unknown_regions.items(), key=lambda kv: (-kv[1], kv[0]))),
        "warnings": warnings,
        "ignored_files": inventory.ignored_files,
    }
    result = ScanResult(
        kb=kb, organization=organization or config.organization, home_country=home,
        as_of=as_of or dt.date.today().isoformat(),
        generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        inventory=inventory, assessed=assessed, flows=flows, findings=findings, coverage=coverage,
        summary={}, graph=g, query=query)
    result.summary = summarize(result)
    return result


def _resolve_flows(inventory: Inventory, kb: KnowledgeBase, builder: GraphBuilder, warnings: list[str]) -> list[Flow]:
    """Add flow edges; place targets outside the inventory when the export says where they are."""
    resolved: list[Flow] = []
    resources = inventory.resources
    # The same flow is often shown by both ends (a primary lists its replica, the replica names its
    # primary): keep one per (source, target, kind), preferring the record that knows the region.
    unique: dict[tuple[str, str, str], Flow] = {}
    for flow in inventory.flows:
        key = (flow.source, flow.target, str(flow.kind))
        old = unique.get(key)
        if old is None or (old.target_region is None and flow.target_region is not None):
            unique[key] = flow
    for flow in unique.values():
        if flow.source not in resources:
            warnings.append(f"{flow.kind} flow from {flow.source} ignored: source not in the inventory")
            continue
        source = resources[flow.source]
        target_region = flow.target_region
        if target_region is None and source.attributes.get("geo_pair_needed") and source.region:
            region = kb.region(source.provider, source.region)
            if region is not None and region.paired:
                target_region = region.paired
                flow = Flow(flow.source, flow.target, flow.kind, f"{flow.evidence}; pair of {source.region} "
                            f"({region.source})", flow.target_provider or source.provider, target_region)
        if flow.target not in resources:
            provider = flow.target_provider or source.provider
            if target_region is None:
                warnings.append(f"{flow.kind} flow {flow.source} → {flow.target}: destination location "
                                "not in the inventory")
                builder.g.add_node(flow.target, kind="resource", external=True)
                region_node, _ = builder.add_region(provider, None)
            else:
                builder.g.add_node(flow.target, kind="resource", external=True)
                region_node, region = builder.add_region(provider, target_region)
                if region is None:
                    warnings.append(f"{flow.kind} flow {flow.source} → {flow.target}: unknown region "
                                    f"{provider}:{target_region}")
            if not any(True for _ in builder.g.successors(flow.target)):
                builder.edge(EdgeKind.HOSTED_IN, flow.target, region_node)
        builder.edge(EdgeKind.FLOWS_TO, flow.source, flow.target, key=f"flows_to:{flow.kind}",
                     flow=str(flow.kind), evidence=flow.evidence)
        resolved.append(flow)
    return resolved


def _key_controls(inventory: Inventory, builder: GraphBuilder) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Key control per resource, refined by the key resource's own facts when it is inventoried."""
    out: dict[str, str] = {}
    links: list[tuple[str, str]] = []
    resources = inventory.resources
    for rid, res in resources.items():
        control = res.attributes.get("key_control")
        if control:
            out[rid] = str(control)  # a key's own control
        if res.key is None:
            continue
        value = res.key.control.value
        if res.key.key_id:
            key_res = resources.get(res.key.key_id)
            if key_res is not None:
                builder.edge(EdgeKind.ENCRYPTED_BY, rid, key_res.id)
                links.append((rid, key_res.id))
                if key_res.attributes.get("key_control"):
                    value = str(key_res.attributes["key_control"])
        out.setdefault(rid, value)
    return out, links


def _propagate_classes(flows: list[Flow], classes: dict[str, tuple[tuple[str, ...], str]]) -> None:
    """A copy holds what its source holds: add source classes to copy targets (to a fixpoint)."""
    copy_flows = [f for f in flows if str(f.kind) in COPY_KINDS]
    for _ in range(len(copy_flows) + 1):
        changed = False
        for flow in copy_flows:
            src = classes.get(flow.source)
            if src is None:
                continue
            tgt_classes, tgt_source = classes.get(flow.target, (("unknown",), "default"))
            merged = tuple(c for c in src[0] if c != "unknown") + tuple(
                c for c in tgt_classes if c not in src[0] and c != "unknown")
            if not merged:
                continue
            if set(merged) != set(tgt_classes):
                classes[flow.target] = (merged, tgt_source if tgt_source != "default" else f"flow:{flow.source}")
                changed = True
        if not changed:
            break


def _coupling(links: list[tuple[str, str]], services: dict[str, Service | None]) -> dict[str, int]:
    """Number of distinct proprietary neighbours (flows and keys, both directions) per resource."""
    neighbours: dict[str, set[str]] = {}
    for a, b in links:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    coupled: dict[str, int] = {}
    for rid, others in neighbours.items():
        count = 0
        for other in others:
            svc = services.get(other)
            if svc is not None and svc.portability in PROPRIETARY:
                count += 1
        if count:
            coupled[rid] = count
    return coupled


def summarize(result: ScanResult) -> dict[str, Any]:
    """Totals by law, provider, country and data class; lock-in with concentration; migration."""
    kb = result.kb
    assessed = result.assessed
    by_law: Counter[str] = Counter()
    by_law_sensitive: Counter[str] = Counter()
    by_provider: dict[str, dict[str, Any]] = {}
    by_country: Counter[str] = Counter()
    by_class: dict[str, dict[str, int]] = {}
    provider_counts: Counter[str] = Counter()
    weighted = weight_total = 0.0
    lock_total = 0.0
    lock_n = 0
    effort_total = 0
    data_gb = 0.0
    sens_classes = {"health", "genetic-biometric", "employee", "personal", "financial"}
    unlisted_resources = unlisted_sensitive = 0
    unlisted_countries: set[str] = set()
    for a in assessed:
        pid = a.res.provider
        provider_counts[pid] += 1
        foreign = {h.law for h in a.hits if h.foreign and h.weight > 0}
        for law in foreign:
            by_law[law] += 1
            if sens_classes & set(a.classes):
                by_law_sensitive[law] += 1
        unlisted = sorted(law[len(UNLISTED):] for law in foreign if law.startswith(UNLISTED))
        if unlisted:
            unlisted_resources += 1
            unlisted_sensitive += 1 if sens_classes & set(a.classes) else 0
            unlisted_countries.update(unlisted)
        prov = by_provider.setdefault(pid, {"resources": 0, "exposed": 0, "score_sum": 0.0, "max": 0.0,
                                            "lockin_sum": 0.0, "lockin_n": 0, "effort": 0})
        prov["resources"] += 1
        prov["exposed"] += 1 if foreign else 0
        prov["score_sum"] += a.exposure
        prov["max"] = max(prov["max"], a.exposure)
        for code in a.locations:
            by_country[code] += 1
        for cls in a.classes:
            entry = by_class.setdefault(cls, {"resources": 0, "reachable_by_foreign_law": 0})
            entry["resources"] += 1
            entry["reachable_by_foreign_law"] += 1 if foreign else 0
        sens = sensitivity(kb, a.classes, a.service.data_bearing if a.service else True)
        weighted += a.exposure * sens
        weight_total += sens
        if a.lockin is not None:
            lock_total += a.lockin
            lock_n += 1
            prov["lockin_sum"] += a.lockin
            prov["lockin_n"] += 1
        if a.effort is not None:
            effort_total += a.effort
            prov["effort"] += a.effort
        data_gb += a.res.size_gb or 0.0
    exposure = round(weighted / weight_total, 1) if weight_total else 0.0
    concentration = hhi(provider_counts)
    mean_lock = lock_total / lock_n if lock_n else 0.0
    lockin = overall_lockin(kb, mean_lock, concentration) if lock_n else None
    total = len(assessed) or 1
    providers_out = {
        pid: {"resources": p["resources"], "share": round(p["resources"] / total, 4),
              "exposed_resources": p["exposed"], "mean_exposure": round(p["score_sum"] / p["resources"], 1),
              "max_exposure": p["max"],
              "mean_lockin": round(p["lockin_sum"] / p["lockin_n"], 1) if p["lockin_n"] else None,
              "effort": p["effort"]}
        for pid, p in sorted(by_provider.items(), key=lambda kv: -kv[1]["resources"])}
    severities = Counter(f.severity for f in result.findings)
    return {
        "resources": len(assessed),
        "exposure": {
            "score": exposure, "level": kb.w.level(exposure) if exposure else "none",
            "exposed_resources": sum(1 for a in assessed if any(h.foreign and h.weight for h in a.hits)),
            "by_level": dict(Counter(a.exposure_level for a in assessed)),
            "by_law": {law: {"resources": n, "sensitive_resources": by_law_sensitive[law]}
                       for law, n in by_law.most_common()},
            "by_provider": providers_out,
            "by_country": dict(by_country.most_common()),
            "by_data_class": dict(sorted(by_class.items(), key=lambda kv: -kv[1]["resources"])),
            # copies in countries for which the knowledge base has no law record (generic weight)
            "unlisted_law_countries": {"resources": unlisted_resources, "sensitive_resources": unlisted_sensitive,
                                       "countries": sorted(unlisted_countries)},
        },
        "lockin": {
            "score": lockin, "level": kb.w.level(lockin),
            "mean_resource_lockin": round(mean_lock, 1),
            "concentration": {"hhi": concentration, "hhi_10000": round(concentration * 10000),
                              "shares": {p: round(n / total, 4) for p, n in provider_counts.most_common()}},
            "by_provider": {p: v["mean_lockin"] for p, v in providers_out.items()},
        },
        "migration": {"effort": effort_total, "data_gb": round(data_gb, 1),
                      "by_provider": {p: v["effort"] for p, v in providers_out.items()},
                      "by_level": dict(Counter(a.effort_level for a in assessed))},
        "findings": {sev: severities.get(sev, 0) for sev in ("critical", "high", "medium", "low")},
    }
