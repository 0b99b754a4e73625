"""The plan as one document: :func:`build_plan` runs every step, :func:`plan_document` is the JSON form.

The JSON document (``schema_version`` 1) is a stable contract, described field by field in
docs/plan.md; adding fields is fine, renaming or removing one needs a new schema version. Its
``summary`` is what the quarterly report reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from scanner import __version__
from scanner.config import Config
from scanner.kb.loader import KnowledgeBase
from scanner.kb.schema import Qualification
from scanner.plan.costs import DATA_ACT_NO_SWITCHING_CHARGES, transfer_hours
from scanner.plan.csf import csf_evidence
from scanner.plan.exit import concentration
from scanner.plan.planner import WAVE_NAMES, Move, Planned, PlanOptions, Unit, plan_units
from scanner.plan.whatif import headline, rescore
from scanner.result import Assessed, ScanResult

SCHEMA_VERSION = 1


@dataclass
class Plan:
    options: PlanOptions
    before: ScanResult
    after: ScanResult
    planned: Planned
    generated_at: str
    after_index: dict[str, Assessed]

    @property
    def units(self) -> list[Unit]:
        return self.planned.units


def build_plan(result: ScanResult, options: PlanOptions, config: Config, release: bool = False) -> Plan:
    """Plan, then re-score the planned estate with the same scorer.

    With ``release`` the scan's and the re-scoring's graphs and finding lists, which no part of a
    plan reads, are emptied as soon as they are done with: at a million resources they take
    gigabytes, and both results are otherwise alive at once.
    """
    planned = plan_units(result, options)
    if release:
        _release(result)
    after = rescore(result, planned.moving, config)
    if release:
        _release(after)
    index = {a.res.id: a for a in after.assessed}
    for unit in planned.units:
        scores = [index[m.a.res.id].exposure for m in unit.moves if m.a.res.id in index]
        unit.exposure_after_max = max(scores) if scores else None
    return Plan(options, result, after, planned, dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(), index)


def _release(result: ScanResult) -> None:
    """Empty the result's graph and findings (its summary keeps the counts a plan reports).

    A networkx graph refers to itself through its cached views, so, with the cyclic collector
    paused (:mod:`scanner.gc_pause`), dropping the reference would free nothing: it is emptied.
    """
    if result.graph is not None:
        result.graph.clear()
        result.graph = None
    result.findings = []


def _held_in(kb: KnowledgeBase, m: Move) -> list[Qualification]:
    """The verified qualifications the chosen offer (or the open-source host's offer) holds where it goes."""
    alt = m.alternative
    if alt is None or alt.kind != "offer":
        return []
    return [q for q in kb.offer_qualifications(alt.id, m.region) if q.holds()]


def _move_dict(kb: KnowledgeBase, m: Move, after: dict[str, Assessed],
               shared: dict[Any, Any] | None = None) -> dict[str, Any]:
    """A resource's record. ``shared`` memoises the parts many resources have in common (the chosen
    alternative with its qualifications, the data classes): one object each, read-only."""
    a = m.a
    shared = {} if shared is None else shared
    now = after.get(a.res.id)
    alt = m.alternative
    alt_key = (id(alt), m.host, m.region, m.native_type)
    alt_dict = shared.get(alt_key)
    if alt_dict is None and alt is not None:
        held = _held_in(kb, m)
        alt_dict = shared[alt_key] = {
            "id": alt.id, "name": alt.name, "provider": alt.provider, "kind": alt.kind,
            "certifications": sorted({q.scheme for q in held}), "qualifications": sorted(q.id for q in held),
            "compatible_with": list(alt.compatible_with),
            "host": m.host, "region": m.region, "service": m.native_type}
        shared[("alt", id(alt))] = alt  # keeps the alternative, hence its id, alive with the memo
    classes = shared.get(("classes", a.classes))
    if classes is None:
        classes = shared[("classes", a.classes)] = list(a.classes)
    required = shared.get(("required", m.required))
    if required is None:
        required = shared[("required", m.required)] = list(m.required)
    return {
        "id": a.res.id,
        "name": a.res.name,
        "provider": a.res.provider,
        "service": a.service.type if a.service else None,
        "region": a.placement,
        "data_classes": classes,
        "required_certifications": required,
        "alternative": alt_dict,
        "reason": m.reason,
        "effort": a.effort if m.moves else 0,
        "data_gb": round(m.data_gb, 3),
        "egress_cost_eur": m.egress.due_eur,
        "egress_list_eur": m.egress.list_eur,
        "exposure_before": a.exposure,
        "exposure_after": now.exposure if now is not None else None,
        "exposure_level_after": now.exposure_level if now is not None else None,
    }


def totals(units: list[Unit], bandwidth_mbps: float) -> dict[str, Any]:
    moving = [u for u in units if u.movable]
    data_gb = round(sum(u.data_gb for u in moving), 3)
    due = [u.egress("due_eur") for u in moving]
    listed = [u.egress("list_eur") for u in moving]
    return {
        "effort": sum(u.effort for u in moving),
        "data_gb": data_gb,
        "egress_cost_eur": None if any(v is None for v in due) else round(sum(v or 0.0 for v in due), 2),
        "egress_list_eur": None if any(v is None for v in listed) else round(sum(v or 0.0 for v in listed), 2),
        "transfer_hours": transfer_hours(data_gb, bandwidth_mbps),
        "units": len(units),
        "units_in_waves": len(moving),
        "resources_moving": sum(1 for u in units for m in u.moves if m.moves),
        "resources_without_alternative": sum(1 for u in units for m in u.moves if not m.moves),
    }


def unit_records(plan: Plan) -> Iterator[dict[str, Any]]:
    """The ``units`` of the document, one record at a time (in plan order)."""
    kb, after_index, bandwidth = plan.before.kb, plan.after_index, plan.options.bandwidth_mbps
    shared: dict[Any, Any] = {}
    for u in plan.units:
        data_gb = u.data_gb
        yield {
            "id": u.id, "wave": u.wave, "priority": WAVE_NAMES[u.band], "depends_on": u.depends_on,
            "complete": all(m.moves for m in u.moves),
            "effort": u.effort, "data_gb": data_gb, "egress_cost_eur": u.egress("due_eur"),
            "egress_list_eur": u.egress("list_eur"),
            "transfer_hours": transfer_hours(data_gb, bandwidth),
            "exposure_before": u.exposure_max, "exposure_after": u.exposure_after_max,
            "resources": [_move_dict(kb, m, after_index, shared) for m in u.moves]}


def plan_document(plan: Plan, lazy_units: bool = False) -> dict[str, Any]:
    """The JSON document (schema version 1).

    With ``lazy_units`` its ``units`` is an iterator of :func:`unit_records` rather than a list, for a
    writer that streams them (:func:`scanner.plan.render.write_json`) without holding every record:
    at a million resources the records alone take gigabytes.
    """
    opts = plan.options
    before, after = plan.before, plan.after
    units: Iterable[dict[str, Any]] = unit_records(plan) if lazy_units else list(unit_records(plan))
    waves = []
    by_unit_id = {u.id: u for u in plan.units}
    for n, ids in enumerate(plan.planned.waves, start=1):
        members = [by_unit_id[i] for i in ids]
        data_gb = round(sum(u.data_gb for u in members), 3)
        waves.append({"wave": n, "units": ids, "priority": sorted({WAVE_NAMES[u.band] for u in members}),
                      "effort": sum(u.effort for u in members), "data_gb": data_gb,
                      "transfer_hours": transfer_hours(data_gb, opts.bandwidth_mbps)})
    tot = totals(plan.units, opts.bandwidth_mbps)
    head_before, head_after = headline(before), headline(after)
    conc_before, conc_after = concentration(before), concentration(after)
    kb = before.kb
    prices = {p: {"price_per_unit": e.price_per_unit, "currency": e.currency, "unit": e.unit, "tier": e.tier,
                  "source": e.source, "as_of": e.as_of.isoformat()} for p, e in sorted(kb.egress_prices.items())}
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": plan.generated_at,
        "as_of": before.as_of,
        "tool_version": __version__,
        "kb_version": kb.version,
        "organization": before.organization,
        "home_country": before.home_country,
        "options": {
            "targets": list(opts.targets),
            "require": sorted(opts.require) if opts.require is not None else None,
            "require_default": opts.require is None,
            "bandwidth_mbps": opts.bandwidth_mbps,
            "exit_date": opts.exit_date.isoformat(),
            "data_act_no_switching_charges": opts.exit_date >= DATA_ACT_NO_SWITCHING_CHARGES,
            "usd_per_eur": opts.usd_per_eur or (
                kb.exchange_rates["USD"].per_eur if "USD" in kb.exchange_rates else None),
        },
        "units": units,
        "waves": waves,
        "totals": tot,
        "before": head_before,
        "after": head_after,
        "staying": {"resources": len(plan.planned.staying),
                    "by_provider": _count(a.res.provider for a in plan.planned.staying)},
        "concentration": {"before": conc_before, "after": conc_after},
        "csf": {"before": csf_evidence(before), "after": csf_evidence(after)},
        "egress_prices": prices,
        "coverage": {
            "egress_price_unknown": plan.planned.unknown_egress_providers,
            "sizes_unknown": sum(1 for u in plan.units for m in u.moves
                                 if m.moves and m.a.res.size_gb is None
                                 and (m.a.service is None or m.a.service.data_bearing)),
            "after_unmapped_types": after.coverage.unmapped_types,
            "after_unknown_regions": after.coverage.unknown_regions,
        },
        "summary": {
            "targets": list(opts.targets),
            "units": tot["units"], "waves": len(waves),
            "effort": tot["effort"], "data_gb": tot["data_gb"], "egress_cost_eur": tot["egress_cost_eur"],
            "transfer_hours": tot["transfer_hours"],
            "resources_without_alternative": tot["resources_without_alternative"],
            "exposure": {"before": head_before["exposure"], "after": head_after["exposure"]},
            "lockin": {"before": head_before["lockin"], "after": head_after["lockin"]},
            "concentration": {"before": head_before["concentration"], "after": head_after["concentration"]},
            "no_alternative_workloads": len(conc_before["no_alternative"]),
        },
    }


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))
