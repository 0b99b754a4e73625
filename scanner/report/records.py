"""The per-resource record of the JSON contract (schema_version 1), shared by every renderer."""

from __future__ import annotations

from typing import Any

import orjson

from scanner import __version__
from scanner.result import Assessed, Finding, FindingTemplate, Profile, ScanResult

SCHEMA_VERSION = 1


def _own(a: Assessed, application: str | None = None, portability: str | None = None,
         alternatives: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The fields that differ from one resource to the next (``portability`` and ``alternatives``
    come from the profile: pass them when they are already built)."""
    res = a.res
    if alternatives is None:
        portability = str(a.service.portability) if a.service else None
        alternatives = _alternatives(a.profile)
    return {
        "id": res.id,
        "provider": res.provider,
        "native_type": res.native_type,
        "name": res.name,
        "account": res.account,
        "region": res.region,
        "tf_address": res.tf_address,
        "placement_from": res.attributes.get("placement_from"),
        "classification_source": a.class_source,
        "lockin": {"score": a.lockin, "level": a.lockin_level, "portability": portability},
        "migration": {"effort": a.effort, "level": a.effort_level, "data_gb": res.size_gb,
                      "alternatives": alternatives},
        "sources": res.source.split(";") if res.source else [],
        "application": application,
    }


def _shared(profile: Profile) -> dict[str, Any]:
    """The fields every resource of one placement profile has in common."""
    svc = profile.service
    return {
        "service": svc.type if svc else None,
        "category": svc.category if svc else None,
        "placement": profile.placement,
        "country": profile.country,
        "locations": list(profile.locations),
        "data_classes": list(profile.classes),
        "key_control": profile.key_control,
        "operator": profile.operator,
        "controller_country": profile.controller_country,
        "laws": [{"id": h.law, "trigger": h.trigger.value, "basis": h.basis, "verified": h.verified,
                  "via": list(h.via), "foreign": h.foreign, "weight": h.weight, "scored": h.counts}
                 for h in profile.hits],
        "exposure": {"score": profile.exposure, "level": profile.exposure_level},
    }


def resource_record(a: Assessed, application: str | None = None) -> dict[str, Any]:
    """One ``resources[]`` element, exactly as DESIGN.md's JSON contract lists it (plus additions);
    ``application`` is the id of the application the resource serves (:mod:`scanner.applications`)."""
    return {**_own(a, application), **_shared(a.profile)}


class ResourceEncoder:
    """Serialises ``resources[]`` elements, encoding each profile's shared part once.

    The result is byte-for-byte the JSON of :func:`resource_record` with the keys in another
    order; profiles of resources with flows of their own are unique and simply not reused. What the
    resource's own part takes from its profile (portability, effort, alternatives) is built once
    per profile too.
    """

    def __init__(self, max_cached: int = 20000):
        self._cache: dict[int, tuple[Profile, bytes, str | None, list[dict[str, Any]]]] = {}
        self._max = max_cached

    def encode(self, a: Assessed, application: str | None = None) -> bytes:
        profile = a.profile
        cached = self._cache.get(id(profile))
        if cached is None or cached[0] is not profile:
            svc = profile.service
            cached = (profile, orjson.dumps(_shared(profile), option=orjson.OPT_NON_STR_KEYS)[1:-1],
                      str(svc.portability) if svc else None, _alternatives(profile))
            if len(self._cache) >= self._max:
                self._cache.clear()
            self._cache[id(profile)] = cached
        _, shared, portability, alternatives = cached
        own = _own(a, application, portability, alternatives)
        return orjson.dumps(own, option=orjson.OPT_NON_STR_KEYS)[:-1] + b"," + shared + b"}"


def _alternatives(profile: Profile) -> list[dict[str, Any]]:
    return [{"id": alt.id, "name": alt.name, "provider": alt.provider, "certifications": list(alt.certifications),
             "qualifications": list(alt.qualifications)} for alt in profile.alternatives]


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


class FindingMessages:
    """Fills finding messages, each template's parameters once: a template is shared by every
    resource of a profile and only the resource's name differs (byte for byte ``Finding.message``)."""

    _MARK = "\x00"  # stands for the name while the template's other parameters are filled

    def __init__(self) -> None:
        self._parts: dict[int, tuple[FindingTemplate, list[str] | None]] = {}

    def __call__(self, f: Finding) -> str:
        t = f.template
        cached = self._parts.get(id(t))
        if cached is None or cached[0] is not t:
            parts: list[str] | None = None
            if self._MARK not in t.message and not any(self._MARK in v for _, v in t.params):
                parts = t.message.format(name=self._MARK, **dict(t.params)).split(self._MARK)
            cached = self._parts[id(t)] = (t, parts)
        parts = cached[1]
        return f.message if parts is None else f.name.join(parts)


def finding_record(f: Finding) -> dict[str, Any]:
    return {"id": f.id, "severity": f.severity, "rule": f.rule, "resource": f.resource, "message": f.message}


def finding_records(result: ScanResult) -> list[dict[str, Any]]:
    return [finding_record(f) for f in result.findings]
