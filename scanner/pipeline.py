"""sources → inventory → enrich (knowledge base) → graph → score → :class:`ScanResult`.

Everything here is provider-neutral. Enrichment resolves each resource's service, placement
(global services are placed from the knowledge base), key control (refined from the key resources
themselves), and data classes (propagated along flows that copy bytes). The graph is built once;
law reach is queried once per placement and reused for every resource placed there.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphs.build import GraphBuilder
from graphs.paths import COPY_KINDS, LawQuery, Reach
from graphs.schema import EdgeKind, NodeKind, node_id
from providers.live import LiveOptions
from scanner.classify import Classifier
from scanner.config import Config
from scanner.inventory import Inventory, load_inventory, load_live
from scanner.kb.loader import KnowledgeBase
from scanner.kb.schema import Portability, Service
from scanner.model import Flow, KeyControl, Resource
from scanner.scoring.exposure import UNLISTED, LawHit, exposure_score, hits_for, sensitivity
from scanner.scoring.findings import SEVERITY_ORDER, Finding, FindingTemplate, finding_templates
from scanner.scoring.lockin import hhi, overall_lockin, resource_lockin
from scanner.scoring.migration import effort_level, fitting_alternatives, required_schemes

PROPRIETARY = {Portability.PROPRIETARY, Portability.UNIQUE}


@dataclass(frozen=True, slots=True)
class Profile:
    """What the scorer concludes for every resource sharing a placement, service, data classes and key
    control (and no flows of its own): computed once, shared by all of them."""

    service: Service | None
    placement: str | None  # region code the location came from (the service placement for global ones)
    country: str | None
    locations: tuple[str, ...]
    classes: tuple[str, ...]
    key_control: str
    operator: str | None
    controller_country: str | None
    hits: tuple[LawHit, ...]
    exposure: float
    exposure_level: str
    effort: int | None
    effort_level: str
    alternatives: tuple[dict[str, Any], ...]
    findings: tuple[FindingTemplate, ...]


@dataclass(slots=True)
class Assessed:
    """A resource with everything the scorer concluded about it."""

    res: Resource
    profile: Profile
    class_source: str
    lockin: float | None
    lockin_level: str

    # The profile's conclusions, read as the resource's own.
    service = property(lambda self: self.profile.service)
    placement = property(lambda self: self.profile.placement)
    country = property(lambda self: self.profile.country)
    locations = property(lambda self: self.profile.locations)
    classes = property(lambda self: self.profile.classes)
    key_control = property(lambda self: self.profile.key_control)
    operator = property(lambda self: self.profile.operator)
    controller_country = property(lambda self: self.profile.controller_country)
    hits = property(lambda self: self.profile.hits)
    exposure = property(lambda self: self.profile.exposure)
    exposure_level = property(lambda self: self.profile.exposure_level)
    effort = property(lambda self: self.profile.effort)
    effort_level = property(lambda self: self.profile.effort_level)
    alternatives = property(lambda self: self.profile.alternatives)


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

    def by_id(self, rid: str) -> Assessed | None:
        for a in self.assessed:
            if a.res.id == rid or a.res.id.lower() == rid.lower():
                return a
        return None


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a scan builds millions of long-lived objects.

    Each full collection walks every object alive, and allocating millions of records triggers
    many of them: measured at 30 % of a 100,000-resource scan (docs/performance.md). The scan
    creates no reference cycles worth collecting; the collector is restored (and run once) after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def scan(paths: Iterable[Path], config: Config, as_of: str | None = None, organization: str | None = None,
         warn: Callable[[str], None] | None = None, live: LiveOptions | None = None,
         export_path: Path | None = None) -> ScanResult:
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
    return assess(inventory, config, as_of=as_of, organization=organization)


#: Gap reasons that mean a live collection did not see everything (``--strict`` exits 3).
INCOMPLETE_REASONS = frozenset({"access-denied", "api-disabled", "throttled", "error", "truncated"})


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
    account_nodes: dict[tuple[str, str], str] = {}
    region_nodes: dict[tuple[str, str | None], tuple[str, str | None, bool]] = {}

    def place(res: Resource, svc: Service | None) -> tuple[str, str | None]:
        code = res.region
        if code in (None, "global") and svc is not None and svc.placement:
            code = svc.placement
        known = region_nodes.get((res.provider, code))
        if known is None:
            nid, region = builder.add_region(res.provider, code)
            known = region_nodes[(res.provider, code)] = (nid, code if region is not None else None,
                                                          region is not None)
        if not known[2]:
            unknown_regions[f"{res.provider}:{code or '(not in export)'}"] += 1
        return known[0], known[1]

    # Resources that take part in a relation (a flow, or a key that is itself inventoried) become graph
    # nodes; every other resource is fully described by its placement, whose region node carries its
    # paths to the laws. A million unrelated resources thus cost dictionary look-ups, not graph nodes.
    related = {f.source for f in inventory.flows} | {f.target for f in inventory.flows if f.target in resources}
    for rid, res in resources.items():
        if res.key is not None and res.key.key_id and res.key.key_id in resources:
            related.update((rid, res.key.key_id))

    service_memo: dict[tuple[str, str], Service | None] = {}
    for rid, res in resources.items():
        type_key = (res.provider, res.native_type)
        if type_key in service_memo:
            svc = service_memo[type_key]
        else:
            svc = service_memo[type_key] = kb.service(res.provider, res.native_type)
        services[rid] = svc
        if svc is None:
            unmapped[res.native_type] += 1
        region_node, code = place(res, svc)
        placements[rid] = (region_node, code)
        account_node = None
        if res.account:
            account_key = (res.provider, res.account)
            account_node = account_nodes.get(account_key)
            if account_node is None:
                account_node = account_nodes[account_key] = builder.node(
                    NodeKind.ACCOUNT, f"{res.provider}:{res.account}")
        if rid in related:
            builder.attach(rid, region_node, account_node)

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

    flow_sources = {f.source for f in flows}
    unknown_key = KeyControl.UNKNOWN.value
    profiles: dict[tuple[Any, ...], Profile] = {}
    lockin_cache: dict[tuple[Any, ...], tuple[float | None, str]] = {}

    def make_profile(svc: Service | None, region_node: str, code: str | None, cls: tuple[str, ...],
                     key_control: str, copies: list[tuple[str, tuple[str, ...]]]) -> Profile:
        reaches, countries, operator, controller = region_facts(region_node)
        all_reaches: list[Reach] = list(reaches)
        locations = set(countries)
        for target, path in copies:
            tregion = query.hosted_region(target)
            if tregion is None:
                continue
            treaches, tcountries, _, _ = region_facts(tregion)
            locations.update(tcountries)
            all_reaches.extend(Reach(r.law, r.trigger, (*path, *r.via)) for r in treaches)
        data_bearing = svc.data_bearing if svc is not None else True
        hits = tuple(hits_for(kb, all_reaches, home))
        exposure = exposure_score(kb, sensitivity(kb, cls, data_bearing), hits, key_control)
        effort = svc.effort if svc is not None else None
        sorted_locations = tuple(sorted(locations))
        return Profile(
            service=svc, placement=code, country=countries[0] if len(countries) == 1 else None,
            locations=sorted_locations, classes=cls, key_control=key_control, operator=operator,
            controller_country=controller, hits=hits, exposure=exposure,
            exposure_level=kb.w.level(exposure) if any(h.weight for h in hits) else "none",
            effort=effort, effort_level=effort_level(kb, effort),
            alternatives=tuple(fitting_alternatives(kb, svc, required_schemes(kb, cls, home))),
            findings=finding_templates(kb, home, cls, data_bearing, list(hits), sorted_locations, key_control,
                                       code is not None, svc.category if svc is not None else None))

    for rid, res in resources.items():
        svc = services[rid]
        region_node, code = placements[rid]
        cls, cls_source = classes[rid]
        key_control = key_controls.get(rid, unknown_key)
        copies = query.copies(rid) if rid in flow_sources else []
        if copies:
            profile = make_profile(svc, region_node, code, cls, key_control, copies)
        else:
            pkey = (region_node, code, res.provider, svc.type if svc else res.native_type, cls, key_control)
            cached = profiles.get(pkey)
            if cached is None:
                cached = profiles[pkey] = make_profile(svc, region_node, code, cls, key_control, [])
            profile = cached
        lkey = (id(svc), coupled.get(rid, 0), res.size_gb)
        lock = lockin_cache.get(lkey)
        if lock is None:
            score = resource_lockin(kb, svc, coupled.get(rid, 0), res.size_gb)
            lock = lockin_cache[lkey] = (score, kb.w.level(score))
        assessed.append(Assessed(res, profile, cls_source, lock[0], lock[1]))
        name = res.name or rid
        findings.extend(Finding(t.severity, t.rule, rid, name, t) for t in profile.findings)

    if unlisted_seen:
        warnings.append(f"no law record for data located in {', '.join(sorted(unlisted_seen))}; scored with the "
                        f"generic third-country weight ({UNLISTED}<country>)")
    # Stable sort: by severity and rule, then in inventory order (cheaper than comparing ids).
    findings.sort(key=lambda f: (-SEVERITY_ORDER[f.severity], f.rule))
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
        summary={}, graph=g)
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
    exposed_total = 0
    by_level: Counter[str] = Counter()
    effort_levels: Counter[str] = Counter()
    # Per-resource facts first (provider, lock-in, size), then per-profile facts once, times the
    # number of resources sharing the profile: summaries cost one pass, not one pass per law.
    groups: dict[tuple[int, str], list[Any]] = {}
    for a in assessed:
        pid = a.res.provider
        provider_counts[pid] += 1
        prov = by_provider.get(pid)
        if prov is None:
            prov = by_provider[pid] = {"resources": 0, "exposed": 0, "score_sum": 0.0, "max": 0.0,
                                       "lockin_sum": 0.0, "lockin_n": 0, "effort": 0}
        if a.lockin is not None:
            lock_total += a.lockin
            lock_n += 1
            prov["lockin_sum"] += a.lockin
            prov["lockin_n"] += 1
        if a.res.size_gb:
            data_gb += a.res.size_gb
        group = groups.get((id(a.profile), pid))
        if group is None:
            groups[(id(a.profile), pid)] = [a.profile, 1]
        else:
            group[1] += 1
    for (_, pid), (profile, n) in groups.items():
        prov = by_provider[pid]
        foreign = {h.law for h in profile.hits if h.foreign and h.weight > 0}
        sensitive = bool(sens_classes & set(profile.classes))
        for law in foreign:
            by_law[law] += n
            if sensitive:
                by_law_sensitive[law] += n
        unlisted = sorted(law[len(UNLISTED):] for law in foreign if law.startswith(UNLISTED))
        if unlisted:
            unlisted_resources += n
            unlisted_sensitive += n if sensitive else 0
            unlisted_countries.update(unlisted)
        prov["resources"] += n
        prov["exposed"] += n if foreign else 0
        prov["score_sum"] += profile.exposure * n
        prov["max"] = max(prov["max"], profile.exposure)
        for code in profile.locations:
            by_country[code] += n
        for cls in profile.classes:
            entry = by_class.setdefault(cls, {"resources": 0, "reachable_by_foreign_law": 0})
            entry["resources"] += n
            entry["reachable_by_foreign_law"] += n if foreign else 0
        sens = sensitivity(kb, profile.classes, profile.service.data_bearing if profile.service else True)
        weighted += profile.exposure * sens * n
        weight_total += sens * n
        if profile.effort is not None:
            effort_total += profile.effort * n
            prov["effort"] += profile.effort * n
        exposed_total += n if foreign else 0
        by_level[profile.exposure_level] += n
        effort_levels[profile.effort_level] += n
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
            "exposed_resources": exposed_total,
            "by_level": dict(by_level),
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
                      "by_level": dict(effort_levels)},
        "findings": {sev: severities.get(sev, 0) for sev in ("critical", "high", "medium", "low")},
    }
