"""Every output tells the same reach for the same resource, on every sample.

A reader who holds the findings, ``sovscan explain``, the quarterly report and the plan's Cloud
Sovereignty Framework evidence side by side must find one story: a law that reaches a resource by
control or location is scored, named in the findings and counted as reachable in the report; a law
that reaches it only through the group's presence abroad is the residual tier everywhere (a low
finding, "presence only" in explain, counted apart in the report, "legal structures shielding" in
the framework's evidence), never a high or critical conclusion.

The expected side of each comparison is read from the reach the assessment recorded
(``Assessed.hits``), never recomputed with the code of the output under test.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml

from scanner.config import Config
from scanner.explain import explain_lines
from scanner.pipeline import scan
from scanner.plan.csf import csf_evidence
from scanner.report.quarterly import QuarterlyReport, report_from_result
from scanner.result import Assessed, Finding, ScanResult, Tier

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p for p in (ROOT / "sample_inventories").iterdir() if (p / "expected.yaml").is_file())
LAW_RULES = {"health-data-foreign-law", "sensitive-data-foreign-law", "provider-held-keys"}


@pytest.fixture(scope="module", params=SAMPLES, ids=lambda p: p.name)
def sample(request: pytest.FixtureRequest) -> tuple[ScanResult, QuarterlyReport]:
    folder: Path = request.param
    expected = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    result = scan([folder], Config(home_country=expected.get("home_country", "FR")), as_of="2026-12-01",
                  organization=expected.get("organization"), warn=lambda _m: None)
    return result, report_from_result(result)


def _scored(a: Assessed) -> set[str]:
    return {h.law for h in a.hits if h.counts}


def _residual_only(a: Assessed) -> set[str]:
    return {h.law for h in a.hits if h.residual} - _scored(a)


def _findings(result: ScanResult) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        out[f.resource].append(f)
    return out


def test_the_samples_hold_every_tier(sample: tuple[ScanResult, QuarterlyReport]) -> None:
    """The comparisons below are not vacuous: the samples reach resources by each tier between them."""
    result, _ = sample
    tiers = {h.trigger for a in result.assessed for h in a.hits if h.foreign}
    assert Tier.CONTROL in tiers
    assert any(_scored(a) for a in result.assessed)


def test_all_samples_together_hold_a_residual_only_resource() -> None:
    found = []
    for folder in SAMPLES:
        expected = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
        result = scan([folder], Config(home_country=expected.get("home_country", "FR")), as_of="2026-12-01",
                      warn=lambda _m: None)
        found += [a.res.id for a in result.assessed if _residual_only(a) and not _scored(a)]
    assert found, "no sample holds a resource reached only through presence: the residual tier is untested"


def test_findings_follow_the_tier(sample: tuple[ScanResult, QuarterlyReport]) -> None:
    result, _ = sample
    findings = _findings(result)
    for a in result.assessed:
        rules = {f.rule: f for f in findings.get(a.res.id, [])}
        scored = _scored(a)
        severe = {f.rule for f in rules.values() if f.rule in LAW_RULES}
        if not scored:
            # nothing reaches it by control or location: no law-based finding, whatever the presence says
            assert not severe, (a.res.id, severe)
            assert not any(f.severity in {"critical", "high"} and f.rule != "transfer-outside-eea"
                           for f in rules.values()), a.res.id
        if "residual-foreign-reach" in rules:
            assert not scored and _residual_only(a), a.res.id
            assert rules["residual-foreign-reach"].severity == "low"
        for rule in ("health-data-foreign-law", "sensitive-data-foreign-law", "residual-foreign-reach"):
            if rule in rules:
                named = set(dict(rules[rule].template.params)["laws"].split(", "))
                # the laws a finding names are exactly those of its tier: a law reached only through
                # presence is never named as if it reached the data directly, and the other way round
                assert named == (_residual_only(a) if rule == "residual-foreign-reach" else scored), (
                    a.res.id, rule, named, scored)


def test_explain_tells_each_reach_with_its_tier(sample: tuple[ScanResult, QuarterlyReport]) -> None:
    result, _ = sample
    for a in result.assessed:
        text = "\n".join(explain_lines(result, a))
        told: Counter[Tier] = Counter()
        for line in text.splitlines():
            stripped = line.strip()
            if stripped.startswith("by presence only"):
                told[Tier.PRESENCE] += 1
            elif stripped.startswith("by control ("):
                told[Tier.CONTROL] += 1
            elif stripped.startswith("by location ("):
                told[Tier.LOCATION] += 1
        assert told == Counter(h.trigger for h in a.hits), (a.res.id, text)
        if not a.hits:
            assert "No law in the knowledge base reaches" in text


def test_report_counts_what_the_assessment_reached(sample: tuple[ScanResult, QuarterlyReport]) -> None:
    result, report = sample
    by_id = {a.res.id: a for a in result.assessed}
    for row in report.resources:
        a = by_id[row.id]
        direct = {str(h.trigger) for h in a.hits if h.counts}
        expected = direct or {str(h.trigger) for h in a.hits if h.residual}
        assert set(row.tiers) == expected, (row.id, row.tiers, expected)
    reachable: Counter[str] = Counter()
    residual: Counter[str] = Counter()
    for a in result.assessed:
        for cls in a.classes:
            reachable[cls] += bool(_scored(a))
            residual[cls] += bool(_residual_only(a)) and not _scored(a)
    for crow in report.classes:
        assert (crow.reachable, crow.residual_only) == (reachable[crow.data_class], residual[crow.data_class]), crow
    for law in report.laws:
        for tier in (Tier.CONTROL, Tier.LOCATION, Tier.PRESENCE):
            count = sum(1 for a in result.assessed
                        if any(h.law == law.id and h.trigger is tier and (h.counts or h.residual) for h in a.hits))
            assert law.resources.get(str(tier), 0) == count, (law.id, tier, law.resources)


def test_framework_evidence_agrees_with_the_tiers(sample: tuple[ScanResult, QuarterlyReport]) -> None:
    result, _ = sample
    by_provider: dict[str, list[Assessed]] = defaultdict(list)
    for a in result.assessed:
        by_provider[a.res.provider].append(a)
    evidence = {e["provider"]: e for e in csf_evidence(result)}
    assert set(evidence) == set(by_provider)
    for provider, items in by_provider.items():
        answer = evidence[provider]["SOV-2"]["criteria"]["2.2"]["answer"]
        control = any(h.counts and h.trigger is Tier.CONTROL for a in items for h in a.hits)
        foreign = any(h.counts or h.residual for a in items for h in a.hits)
        if control:
            assert answer == "fully exposed", provider
        elif foreign:
            assert answer == "legal structures shielding", (provider, answer)
            residual = sorted({h.law for a in items for h in a.hits if h.residual})
            facts = " ".join(evidence[provider]["SOV-2"]["criteria"]["2.2"]["facts"])
            assert "presence" in facts and all(law in facts for law in residual), (provider, facts)
        else:
            assert answer in {"verified immunity", "legal structures shielding"}, (provider, answer)
        if answer == "verified immunity":
            assert not foreign, provider
