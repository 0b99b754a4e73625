"""The per-resource record of the JSON contract (schema_version 1), shared by every renderer."""

from __future__ import annotations

from typing import Any

from scanner import __version__
from scanner.pipeline import Assessed, ScanResult

SCHEMA_VERSION = 1


def resource_record(a: Assessed) -> dict[str, Any]:
    """One ``resources[]`` element, exactly as DESIGN.md's JSON contract lists it (plus additions)."""
    res, svc = a.res, a.service
    return {
        "id": res.id,
        "provider": res.provider,
        "native_type": res.native_type,
        "service": svc.type if svc else None,
        "category": svc.category if svc else None,
        "name": res.name,
        "account": res.account,
        "region": res.region,
        "placement": a.placement,
        "country": a.country,
        "locations": list(a.locations),
        "data_classes": list(a.classes),
        "classification_source": a.class_source,
        "key_control": a.key_control,
        "operator": a.operator,
        "controller_country": a.controller_country,
        "laws": [{"id": h.law, "trigger": h.trigger, "via": list(h.via), "foreign": h.foreign,
                  "weight": h.weight} for h in a.hits],
        "exposure": {"score": a.exposure, "level": a.exposure_level},
        "lockin": {"score": a.lockin, "level": a.lockin_level,
                   "portability": str(svc.portability) if svc else None},
        "migration": {"effort": a.effort, "level": a.effort_level, "data_gb": res.size_gb,
                      "alternatives": a.alternatives},
        "sources": res.source.split(";") if res.source else [],
    }


def header(result: ScanResult) -> dict[str, Any]:
    """Everything before ``resources[]``."""
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": result.generated_at,
        "as_of": result.as_of,
        "tool_version": __version__,
        "kb_version": result.kb.version,
        "organization": result.organization,
        "home_country": result.home_country,
        "sources": [{"path": s.path, "format": s.format, "provider": s.provider, "records": s.records,
                     "resources": s.resources} for s in result.inventory.sources],
    }


def flow_records(result: ScanResult) -> list[dict[str, Any]]:
    return [{"source": f.source, "target": f.target, "kind": str(f.kind), "evidence": f.evidence,
             "target_region": f.target_region} for f in result.flows]


def finding_records(result: ScanResult) -> list[dict[str, Any]]:
    return [{"id": f.id, "severity": f.severity, "rule": f.rule, "resource": f.resource, "message": f.message}
            for f in result.findings]
