"""One parametrized test over every case in sample_inventories/: the scan matches expected.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from scanner.config import Config
from scanner.inventory import INVENTORY_SUFFIXES
from scanner.pipeline import scan
from scanner.result import ScanResult

SAMPLES = Path(__file__).resolve().parent.parent / "sample_inventories"
CASES = sorted(p for p in SAMPLES.iterdir() if (p / "expected.yaml").is_file())


@pytest.fixture(scope="module", params=CASES, ids=[c.name for c in CASES])
def case(request: pytest.FixtureRequest) -> tuple[dict[str, Any], ScanResult]:
    folder: Path = request.param
    expected = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    warnings: list[str] = []
    result = scan([folder], Config(home_country=expected.get("home_country", "FR")),
                  organization=expected.get("organization"), warn=warnings.append)
    assert warnings == [], warnings  # the curated exports are all readable
    return expected, result


def test_there_are_at_least_two_cases() -> None:
    assert len(CASES) >= 2


def test_files_and_resource_count(case: tuple[dict[str, Any], ScanResult]) -> None:
    expected, result = case
    assert len(result.inventory.sources) == expected["files"]
    assert all(s.path.lower().endswith(INVENTORY_SUFFIXES) for s in result.inventory.sources)
    assert len(result.assessed) == expected["resources"]


def test_every_resource_is_mapped_and_placed(case: tuple[dict[str, Any], ScanResult]) -> None:
    expected, result = case
    assert result.coverage.unmapped_types == expected.get("unmapped_types", {})
    assert result.coverage.unknown_regions == expected.get("unknown_regions", {})


def test_expected_resources(case: tuple[dict[str, Any], ScanResult]) -> None:
    expected, result = case
    for exp in expected["expect_resources"]:
        a = result.by_id(exp["id"])
        assert a is not None, f"{exp['id']} missing"
        where = exp["id"]
        assert a.country == exp["country"], where
        assert list(a.locations) == sorted(exp["locations"]), where
        assert set(exp["data_classes"]) <= set(a.classes), (where, a.classes)
        foreign = {h.law for h in a.hits if h.counts}
        assert set(exp["laws"]) <= foreign, (where, foreign)
        residual = {h.law for h in a.hits if h.residual}
        assert set(exp.get("residual_laws", [])) <= residual, (where, residual)
        assert not set(exp.get("not_laws", [])) & foreign, (where, foreign)
        assert a.exposure_level == exp["exposure_level"], (where, a.exposure, a.hits)


def test_expected_flows(case: tuple[dict[str, Any], ScanResult]) -> None:
    expected, result = case
    got = {(f.source, f.target, str(f.kind)) for f in result.flows}
    want = {(f["source"], f["target"], f["kind"]) for f in expected["expect_flows"]}
    assert want <= got, want - got


def test_expected_findings(case: tuple[dict[str, Any], ScanResult]) -> None:
    expected, result = case
    got = {(f.rule, f.resource, f.severity) for f in result.findings}
    want = {(f["rule"], f["resource"], f["severity"]) for f in expected["expect_findings"]}
    assert want <= got, want - got
