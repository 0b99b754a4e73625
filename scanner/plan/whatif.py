"""What-if: re-score the estate as it would be after the plan, with the same scorer.

Nothing is estimated. A modified inventory is built: every resource with a chosen alternative gets
the host provider, a region of that provider (in the same country when it is in the EU/EEA, else in
the home country) and the host's service type; copies outside the inventory that are flowed from a
moved resource (a read replica the export names but does not list) move with it. Resources without
a fitting alternative stay where they are. The modified inventory then goes through
:func:`scanner.pipeline.assess`, exactly like a scan, and its summary is compared with the scan's.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from scanner.config import Config
from scanner.inventory import Inventory
from scanner.model import Flow, Resource
from scanner.pipeline import assess
from scanner.plan.planner import Move
from scanner.result import ScanResult

#: Attributes that describe the old provider's placement and would mislead the new one.
_PLACEMENT_ATTRIBUTES = ("geo_pair_needed",)


def modified_inventory(before: ScanResult, moves: list[Move]) -> Inventory:
    """The inventory with every planned resource re-placed (ids unchanged, so flows still join)."""
    inv = before.inventory
    resources: dict[str, Resource] = dict(inv.resources)
    placed: dict[str, Move] = {}
    for m in moves:
        if not m.moves or m.host is None:
            continue
        res = m.a.res
        attributes = res.attributes  # shared, never mutated: copied only to drop a placement attribute
        if any(k in attributes for k in _PLACEMENT_ATTRIBUTES):
            attributes = {k: v for k, v in attributes.items() if k not in _PLACEMENT_ATTRIBUTES}
        resources[res.id] = dataclasses.replace(
            res, provider=m.host, region=m.region, raw_region=m.region,
            native_type=m.native_type or res.native_type, attributes=attributes)
        placed[res.id] = m
    flows: list[Flow] = []
    for flow in before.flows:
        mover = placed.get(flow.source)
        if mover is not None and flow.target not in resources and flow.kind.copies:
            # A copy the inventory does not list moves with its source (re-created at the target).
            flow = Flow(flow.source, flow.target, flow.kind, f"{flow.evidence}; moved with {flow.source} (plan)",
                        mover.host, mover.region)
        flows.append(flow)
    return Inventory(resources=resources, flows=flows, accounts=dict(inv.accounts), gaps=[],
                     sources=list(inv.sources), ignored_files=list(inv.ignored_files))


def rescore(before: ScanResult, moves: list[Move], config: Config) -> ScanResult:
    """Assess the modified inventory with the same knowledge base, home country and date."""
    return assess(modified_inventory(before, moves), config, as_of=before.as_of, organization=before.organization)


def headline(result: ScanResult) -> dict[str, Any]:
    """Exposure, lock-in and concentration of a scan, as the plan's before/after compares them."""
    s = result.summary
    exposure = s.exposure
    lockin = s.lockin
    health = exposure.by_data_class.get("health")
    return {
        "exposure": exposure.score,
        "exposure_level": exposure.level,
        "exposed_resources": exposure.exposed_resources,
        "health_resources_reachable": health.reachable_by_foreign_law if health is not None else 0,
        "lockin": lockin.score,
        "lockin_level": lockin.level,
        "concentration": lockin.concentration.hhi,
        "concentration_hhi_10000": lockin.concentration.hhi_10000,
        "shares": lockin.concentration.shares,
        "findings": s.findings,
    }
