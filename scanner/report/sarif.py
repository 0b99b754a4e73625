"""SARIF 2.1.0: the findings as static-analysis results, for code-scanning dashboards and CI gates.

One ``reportingDescriptor`` (rule) per finding rule of ``findings.yaml``, with its text and legal
basis; one ``result`` per finding with its level, message and location. Terraform resources are
located by their address (a logical location) and by the line of the plan or state file where that
address is written (Terraform's JSON plan carries no position of the ``.tf`` source, so the JSON
file read is the artifact); resources from cloud exports by their cloud id and the export file.
With a baseline (:mod:`scanner.report.baseline`) only the findings absent from it are written, each
with ``baselineState: new``. Each result carries the laws reaching the resource, with their
citations, tiers and graph paths, in its property bag.

Levels: critical and high → ``error``, medium → ``warning``, low → ``note``; the numeric
``security-severity`` property is what GitHub code scanning sorts and labels by (≥ 9.0 critical,
≥ 7.0 high, ≥ 4.0 medium, else low).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import orjson

from scanner import __version__
from scanner.result import Assessed, Finding, ScanResult

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}
_ORDER = ("info", "low", "medium", "high", "critical")
#: Files larger than this are not searched for the line of a Terraform address.
_MAX_SEARCH_BYTES = 64 * 1024 * 1024


def tf_address(a: Assessed) -> str | None:
    """The Terraform address of a resource read from Terraform, or None."""
    res = a.res
    found = res.tf_address or res.attributes.get("tf_address")
    return found if isinstance(found, str) and found else None


class _Lines:
    """Finds the line of ``"address": "<addr>"`` in each Terraform JSON file, reading each file once."""

    def __init__(self) -> None:
        self._files: dict[str, dict[str, int] | None] = {}

    def line(self, source: str, address: str) -> int | None:
        table = self._files.get(source)
        if source not in self._files:
            table = self._files[source] = self._scan(source)
        return table.get(address) if table else None

    @staticmethod
    def _scan(source: str) -> dict[str, int] | None:
        path = Path(source)
        try:
            if not path.is_file() or path.stat().st_size > _MAX_SEARCH_BYTES or path.suffix == ".gz":
                return None
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        found: dict[str, int] = {}
        for n, line in enumerate(text.splitlines(), start=1):
            for m in re.finditer(r'"address"\s*:\s*"((?:[^"\\]|\\.)*)"', line):
                found.setdefault(orjson.loads(f'"{m.group(1)}"'), n)
        return found


def _uri(source: str) -> str | None:
    """A relative or file URI for an input path; None for a live collection (no file)."""
    path = Path(source)
    if not source or not path.exists():  # a live collection, or a file no longer where it was read
        return None
    return path.as_posix() if not path.is_absolute() else path.as_uri()


def _rules(result: ScanResult, used: Iterable[str]) -> list[dict[str, Any]]:
    by_rule: dict[str, list[Any]] = {}
    for rule in result.kb.finding_rules:
        by_rule.setdefault(rule.rule, []).append(rule)
    out = []
    for rule_id in sorted(set(used) | set(by_rule)):
        rows = by_rule.get(rule_id, [])
        worst = max((r.severity for r in rows), key=_ORDER.index, default="medium")
        bases = list(dict.fromkeys(r.basis for r in rows))
        messages = list(dict.fromkeys(r.message for r in rows))
        text = (f"{rule_id.replace('-', ' ').capitalize()}. Message: " + " | ".join(messages)
                + ". Legal basis: " + "; ".join(bases) + ".")
        out.append({
            "id": rule_id,
            "name": "".join(w.capitalize() for w in rule_id.split("-")),
            "shortDescription": {"text": rule_id.replace("-", " ").capitalize()},
            "fullDescription": {"text": " | ".join(messages)},
            "help": {"text": text, "markdown": f"**Legal basis:** {'; '.join(bases)}\n\n"
                                               "The laws reaching each resource, with their citations, tiers and "
                                               "graph paths, are in the result's properties (`laws`)."},
            "defaultConfiguration": {"level": LEVELS[worst]},
            "properties": {"tags": ["security", "sovereignty", "jurisdiction"],
                           "security-severity": SECURITY_SEVERITY[worst],
                           "legal-basis": bases,
                           "severities": sorted({r.severity for r in rows}, key=_ORDER.index)},
        })
    return out


def _laws(result: ScanResult, a: Assessed | None) -> list[dict[str, Any]]:
    if a is None:
        return []
    laws = result.kb.laws
    return [{"id": h.law, "tier": h.trigger.value, "scored": h.counts, "residual": h.residual,
             "verified": h.verified, "citation": laws[h.law].citation if h.law in laws else None,
             "basis": h.basis, "via": list(h.via)}
            for h in a.hits if h.foreign]


def _result(result: ScanResult, f: Finding, rule_index: int, lines: _Lines) -> dict[str, Any]:
    a = result.by_id(f.resource)
    address = tf_address(a) if a is not None else None
    source = a.res.source.split(";", 1)[0] if a is not None and a.res.source else ""
    location: dict[str, Any] = {}
    uri = _uri(source)
    if uri is not None:
        physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
        line = lines.line(source, address) if address else None
        if line is not None:
            physical["region"] = {"startLine": line}
        location["physicalLocation"] = physical
    logical = {"fullyQualifiedName": address, "kind": "resource"} if address else \
        {"fullyQualifiedName": f.resource, "kind": "resource"}
    location["logicalLocations"] = [logical]
    location["message"] = {"text": f"{address or f.resource} ({f.resource})" if address else f.resource}
    out: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": LEVELS.get(f.severity, "warning"),
        "message": {"text": f.message},
        "locations": [location],
        "partialFingerprints": {"sovscanFindingId/v1": hashlib.sha256(f.id.encode("utf-8")).hexdigest()},
        "properties": {
            "id": f.id, "severity": f.severity, "security-severity": SECURITY_SEVERITY.get(f.severity, "5.5"),
            "resource": f.resource, "tf_address": address,
            "data_classes": list(a.classes) if a is not None else [],
            "locations": list(a.locations) if a is not None else [],
            "laws": _laws(result, a),
        },
    }
    if result.baseline is not None:
        out["baselineState"] = "new"
    return out


def sarif_document(result: ScanResult) -> dict[str, Any]:
    """The SARIF log as a dictionary (one run)."""
    findings = result.new_findings()
    rules = _rules(result, (f.rule for f in findings))
    index = {r["id"]: n for n, r in enumerate(rules)}
    lines = _Lines()
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "sovscan", "version": __version__, "semanticVersion": __version__,
            "rules": rules,
            "properties": {"kb_version": result.kb.version}}},
        "automationDetails": {"id": f"sovscan/{result.organization or 'estate'}/{result.as_of}"},
        "invocations": [{"executionSuccessful": True,
                         "properties": {"as_of": result.as_of, "home_country": result.home_country,
                                        "baseline": result.baseline is not None,
                                        "baseline_findings": len(result.baseline or ()),
                                        "findings_total": len(result.findings)}}],
        "results": [_result(result, f, index[f.rule], lines) for f in findings],
        "columnKind": "unicodeCodePoints",
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def write_sarif(result: ScanResult, out: IO[bytes]) -> None:
    out.write(orjson.dumps(sarif_document(result), option=orjson.OPT_INDENT_2))
    out.write(b"\n")
