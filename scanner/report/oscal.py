"""OSCAL assessment results: sovscan's evidence as observations, and findings against the EU Cloud
Sovereignty Framework objectives and SecNumCloud 3.2 §19.6, for GRC tools that read OSCAL.

One ``result`` per scan. Every resource a finding names is an inventory item of the result's local
definitions (its id, provider, region, countries holding a copy). Every sovscan finding is an
observation (method ``TEST``, type ``finding``) whose subject is that inventory item and whose
relevant evidence states, for each foreign law reaching it, the tier, the citation and the path on
the graph. Findings are the framework evidence of the plan (:func:`scanner.plan.csf.csf_evidence`):
per provider, one finding targeting objective ``sov-2`` (legal and jurisdictional sovereignty) and
one ``sov-3`` (data sovereignty), with the SEAL level the automated criteria allow as the property
``seal-level``, satisfied only at SEAL 4 (the framework's highest level; an upper bound while the
manual criteria are unanswered); and one targeting ``snc-19.6`` (SecNumCloud 3.2 §19.6, protection
against non-European law), satisfied when every resource of the provider sits in an offer and region
whose SecNumCloud qualification is recorded, verified and in date. The objectives sovscan cannot
assess (SOV-1, SOV-4 to SOV-8) are named in the result's remarks. Identifiers are UUID version 5,
so the same scan gives the same document.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import IO, Any

import orjson

from scanner import __version__
from scanner.plan.csf import AUTOMATED, csf_evidence, secnumcloud_coverage
from scanner.result import Assessed, Finding, ScanResult

OSCAL_VERSION = "1.1.3"
NS = "https://sovscan.invalid/ns/oscal"  # namespace of sovscan's own OSCAL properties (not a resolvable URL)
_ROOT = uuid.UUID("6f1c3a52-4b1e-5d0e-9a57-0c1d2e3f4a5b")


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_ROOT, "\x1f".join(parts)))


def _prop(name: str, value: str) -> dict[str, str]:
    return {"name": name, "ns": NS, "value": value}


def _item(a: Assessed) -> dict[str, Any]:
    res = a.res
    props = [_prop("resource-id", res.id), _prop("provider", res.provider),
             _prop("native-type", res.native_type)]
    if res.region:
        props.append(_prop("region", res.region))
    props.extend(_prop("location", c) for c in a.locations)
    props.extend(_prop("data-class", c) for c in a.classes)
    return {"uuid": _uuid("item", res.id), "description": f"{res.name} ({res.native_type})", "props": props}


def _evidence(result: ScanResult, a: Assessed) -> list[dict[str, Any]]:
    laws = result.kb.laws
    out = []
    for h in a.hits:
        if not h.foreign:
            continue
        citation = laws[h.law].citation if h.law in laws else "no law record: generic third-country law"
        out.append({"description": f"{h.law} reaches {a.res.id} by {h.trigger.value}"
                                   f"{'' if h.counts else ' (residual tier, outside the score)'}: {h.basis} "
                                   f"Path: {' → '.join(h.via)}. Citation: {' '.join(citation.split())}.",
                    "props": [_prop("law", h.law), _prop("tier", h.trigger.value),
                              _prop("verified", str(h.verified).lower())]})
    if a.locations:
        out.append({"description": f"countries that may hold a copy of {a.res.id}: {' '.join(a.locations)}"})
    return out or [{"description": f"{a.res.id}: no foreign law reaches it; the finding rests on its placement"}]


def _observation(result: ScanResult, f: Finding, a: Assessed | None) -> dict[str, Any]:
    obs: dict[str, Any] = {
        "uuid": _uuid("observation", f.id), "title": f.rule, "description": f.message,
        "props": [_prop("finding-id", f.id), _prop("severity", f.severity)],
        "methods": ["TEST"], "types": ["finding"],
        "collected": result.generated_at,
    }
    if a is not None:
        obs["subjects"] = [{"subject-uuid": _uuid("item", a.res.id), "type": "inventory-item", "title": a.res.name}]
        obs["relevant-evidence"] = _evidence(result, a)
    return obs


def _finding(provider: str, control: str, title: str, satisfied: bool, description: str,
             props: list[dict[str, str]], observations: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "uuid": _uuid("finding", provider, control), "title": f"{title}: {provider}", "description": description,
        "props": [_prop("provider", provider), *props],
        "target": {"type": "objective-id", "target-id": control,
                   "status": {"state": "satisfied" if satisfied else "not-satisfied"}},
    }
    if observations:
        out["related-observations"] = [{"observation-uuid": u} for u in observations]
    return out


def _facts(block: dict[str, Any]) -> str:
    parts = []
    for cid, crit in block["criteria"].items():
        parts.append(f"criterion {cid}: {crit['answer']} (SEAL {crit['seal']}; {'; '.join(crit['facts'])})")
    if block.get("manual"):
        parts.append(f"criteria to assess by hand: {', '.join(block['manual'])}")
    return ". ".join(parts) + "."


def assessment_results(result: ScanResult) -> dict[str, Any]:
    """The OSCAL assessment-results document as a dictionary."""
    kb = result.kb
    findings = result.new_findings()
    by_provider_items: dict[str, list[Assessed]] = defaultdict(list)
    for a in result.assessed:
        by_provider_items[a.res.provider].append(a)
    observations: list[dict[str, Any]] = []
    items: dict[str, dict[str, Any]] = {}
    obs_by_provider: dict[str, list[str]] = defaultdict(list)
    for f in findings:
        found = result.by_id(f.resource)
        obs = _observation(result, f, found)
        observations.append(obs)
        if found is not None:
            items.setdefault(found.res.id, _item(found))
            obs_by_provider[found.res.provider].append(obs["uuid"])
    oscal_findings: list[dict[str, Any]] = []
    evidence = csf_evidence(result)
    for block in evidence:
        pid = block["provider"]
        related = obs_by_provider.get(pid, [])
        for objective in AUTOMATED:
            part = block[objective]
            name = kb.csf_objectives[objective].name
            oscal_findings.append(_finding(
                pid, objective.lower(), f"{objective} {name}", part["seal"] >= 4,
                f"EU Cloud Sovereignty Framework {objective} ({name}) for {pid}: SEAL {part['seal']} at most "
                f"(weakest link of the automated criteria). {_facts(part)}",
                [_prop("seal-level", str(part["seal"])), _prop("upper-bound", "true")], related))
        qualified, fact = secnumcloud_coverage(kb, pid, by_provider_items[pid])
        oscal_findings.append(_finding(
            pid, "snc-19.6", "SecNumCloud 3.2 §19.6 protection against non-European law", qualified,
            f"SecNumCloud 3.2 §19.6 for {pid}: {fact}.", [], related))
    manual = sorted({o for block in evidence for o in block["manual_objectives"]})
    controls = sorted({f["target"]["target-id"] for f in oscal_findings})
    methodology = _uuid("back-matter", "methodology")
    run: dict[str, Any] = {
        "uuid": _uuid("result", result.organization or "", result.as_of, result.generated_at),
        "title": f"sovscan assessment of {result.organization or 'the estate'} as of {result.as_of}",
        "description": "Whose laws can reach the organisation's cloud data: observations per finding, findings per "
                       "provider against the EU Cloud Sovereignty Framework and SecNumCloud 3.2 §19.6.",
        "start": result.generated_at,
        "props": [_prop("as-of", result.as_of), _prop("kb-version", kb.version),
                  _prop("baseline", str(result.baseline is not None).lower())],
        "reviewed-controls": {
            "description": "Objectives assessed from facts: " + ", ".join(controls) if controls
            else "No provider in the estate: nothing assessed.",
            "control-selections": [{"description": "EU Cloud Sovereignty Framework SOV-2 and SOV-3 (automated "
                                                   "criteria) and SecNumCloud 3.2 §19.6",
                                    "include-all": {}}]},
        "observations": observations,
        "findings": oscal_findings,
        "remarks": ("Objectives needing manual assessment: " + ", ".join(manual)) if manual
        else "No objective left to manual assessment.",
    }
    if items:
        run["local-definitions"] = {"inventory-items": list(items.values())}
    if not observations:
        del run["observations"]
    if not oscal_findings:
        del run["findings"]
    document = {
        "uuid": _uuid("assessment-results", result.organization or "", result.as_of, result.generated_at),
        "metadata": {"title": run["title"], "last-modified": result.generated_at, "version": __version__,
                     "oscal-version": OSCAL_VERSION,
                     "props": [_prop("tool", "sovscan"), _prop("home-country", result.home_country)]},
        "import-ap": {"href": f"#{methodology}"},
        "results": [run],
        "back-matter": {"resources": [{
            "uuid": methodology, "title": "sovscan methodology (no separate assessment plan)",
            "description": "The assessment method is sovscan's documented methodology (docs/methodology.md): law "
                           "reach by tier on the jurisdiction graph, findings as rows of findings.yaml, and the "
                           "framework evidence of the plan (docs/plan.md)."}]},
    }
    return {"assessment-results": document}


def write_oscal(result: ScanResult, out: IO[bytes]) -> None:
    out.write(orjson.dumps(assessment_results(result), option=orjson.OPT_INDENT_2))
    out.write(b"\n")
