"""Exchange formats checked by their own schemas and libraries: SARIF 2.1.0 (the OASIS JSON schema),
OCSF (py-ocsf-models and the OCSF class definitions), OSCAL assessment results (compliance-trestle),
and the baseline CI gate on a Terraform plan that adds a US replica of health data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.config import load_config
from scanner.pipeline import scan

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p for p in (ROOT / "sample_inventories").iterdir() if p.is_dir())
SCHEMAS = ROOT / "tests" / "fixtures" / "schemas"
GATE = ROOT / "tests" / "fixtures" / "gate"
runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def _render(sample: Path, fmt: str, tmp_path: Path, *extra: str) -> Any:
    out = tmp_path / f"out.{fmt}.json"
    code, output = _run("run", "-i", str(sample), "--format", fmt, "-o", str(out), *extra)
    assert code == 0, output
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    return {s.name: scan([s], load_config(None)) for s in SAMPLES}


# --------------------------------------------------------------------------- SARIF


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_sarif_validates_against_the_oasis_schema(sample: Path, tmp_path: Path, results: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    doc = _render(sample, "sarif", tmp_path)
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(doc)
    run = doc["runs"][0]
    findings = results[sample.name].findings
    assert len(run["results"]) == len(findings) > 0
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert set(rules) == {"health-data-foreign-law", "sensitive-data-foreign-law", "transfer-outside-eea",
                          "provider-held-keys", "residual-foreign-reach", "unknown-location"}
    for res in run["results"]:
        assert rules[res["ruleIndex"]] == res["ruleId"]
        assert res["level"] == {"critical": "error", "high": "error", "medium": "warning",
                                "low": "note"}[res["properties"]["severity"]]
        assert res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
    critical = [r for r in run["results"] if r["ruleId"] == "health-data-foreign-law"]
    assert all(any(law["tier"] in ("control", "location") and law["citation"] for law in r["properties"]["laws"])
               for r in critical)
    help_text = {r["id"]: r["help"]["text"] for r in run["tool"]["driver"]["rules"]}
    assert "GDPR Art. 9" in help_text["health-data-foreign-law"]


def test_sarif_baseline_gate_fails_only_on_a_new_us_replica(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    base = tmp_path / "base.json"
    code, out = _run("run", "-i", str(GATE / "plan_before.json"), "--format", "json", "-o", str(base))
    assert code == 0, out
    # The estate as it is already holds a critical finding: without a baseline the gate fails.
    code, _ = _run("run", "-i", str(GATE / "plan_before.json"), "--format", "sarif", "-o", str(tmp_path / "x"),
                   "--fail-on", "high")
    assert code == 1
    # Unchanged estate against its own baseline: nothing new, the gate passes and reports nothing.
    same = tmp_path / "same.sarif"
    code, out = _run("run", "-i", str(GATE / "plan_before.json"), "--format", "sarif", "-o", str(same),
                     "--baseline", str(base), "--fail-on", "high")
    assert code == 0, out
    assert json.loads(same.read_text())["runs"][0]["results"] == []
    # The change adds replication of the patients' bucket to a US bucket: new findings, the gate fails.
    new = tmp_path / "new.sarif"
    code, _ = _run("run", "-i", str(GATE / "plan_after.json"), "--format", "sarif", "-o", str(new),
                   "--baseline", str(base), "--fail-on", "high")
    assert code == 1
    doc = json.loads(new.read_text())
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(doc)
    got = {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"], r["baselineState"])
           for r in doc["runs"][0]["results"]}
    assert got == {("health-data-foreign-law", "aws_s3_bucket.archives_us", "new"),
                   ("provider-held-keys", "aws_s3_bucket.archives_us", "new"),
                   ("transfer-outside-eea", "aws_s3_bucket.patients", "new"),
                   ("transfer-outside-eea", "aws_s3_bucket.archives_us", "new")}
    lines = (GATE / "plan_after.json").read_text().splitlines()
    for r in doc["runs"][0]["results"]:
        phys = r["locations"][0]["physicalLocation"]
        assert phys["artifactLocation"]["uri"].endswith("plan_after.json")
        address = r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
        assert f'"address": "{address}"' in lines[phys["region"]["startLine"] - 1]


def test_baseline_errors_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"resources": []}')
    code, out = _run("run", "-i", str(GATE / "plan_before.json"), "--format", "sarif", "--baseline", str(bad))
    assert code == 2
    assert "not a sovscan JSON result" in out
    code, out = _run("run", "-i", str(GATE / "plan_before.json"), "--baseline", str(tmp_path / "missing.json"))
    assert code == 2 and "cannot read the baseline" in out


# --------------------------------------------------------------------------- OCSF


def _ocsf_attributes(name: str) -> tuple[set[str], set[str]]:
    """Allowed and required top-level attributes of an OCSF class, following ``extends`` and the
    cloud profile (the class definitions of ocsf-schema)."""
    allowed: set[str] = set()
    required: set[str] = set()
    files = {"cloud_resources_inventory_info": "discovery", "discovery": "base_event"}
    current: str | None = name
    while current:
        data = json.loads((SCHEMAS / "ocsf" / f"{current}.json").read_text())
        for attr, spec in data["attributes"].items():
            if attr == "$include":
                continue
            allowed.add(attr)
            if isinstance(spec, dict) and spec.get("requirement") == "required":
                required.add(attr)
        current = files.get(current)
    cloud = json.loads((SCHEMAS / "ocsf" / "cloud.json").read_text())["attributes"]
    allowed.update(cloud)
    required.update(a for a, s in cloud.items() if s["requirement"] == "required")
    return allowed, required


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_ocsf_events_validate(sample: Path, tmp_path: Path, results: dict[str, Any]) -> None:
    pytest.importorskip("py_ocsf_models")
    from py_ocsf_models.events.findings.detection_finding import DetectionFinding
    from py_ocsf_models.objects.cloud import Cloud
    from py_ocsf_models.objects.metadata import Metadata
    from py_ocsf_models.objects.resource_details import ResourceDetails

    events = _render(sample, "ocsf", tmp_path)
    result = results[sample.name]
    detections = [e for e in events if e["class_uid"] == 2004]
    inventory = [e for e in events if e["class_uid"] == 5023]
    assert len(detections) == len(result.findings) and len(inventory) == len(result.assessed)
    for event in detections:
        model = DetectionFinding.model_validate(event)
        dumped = model.model_dump(exclude_none=True)
        assert set(event) == set(dumped), set(event) ^ set(dumped)  # no attribute the class does not define
        sov = event["unmapped"]["sovscan"]
        assert {law["tier"] for law in sov["laws"]} <= {"control", "location", "presence"}
        assert all(law["via"][-1] == f"law:{law['id']}" for law in sov["laws"])
        assert {o["value"] for o in event["observables"] if o["name"] == "law"} == \
               {law["id"] for law in sov["laws"] if law["foreign"]}
    allowed, required = _ocsf_attributes("cloud_resources_inventory_info")
    for event in inventory:
        assert required <= set(event), required - set(event)
        assert set(event) <= allowed | {"unmapped"}, set(event) - allowed
        assert event["type_uid"] == event["class_uid"] * 100 + event["activity_id"]
        Metadata.model_validate(event["metadata"])
        Cloud.model_validate(event["cloud"])
        for res in event["resources"]:
            ResourceDetails.model_validate(res)


# --------------------------------------------------------------------------- OSCAL


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_oscal_assessment_results_validate(sample: Path, tmp_path: Path, results: dict[str, Any]) -> None:
    pytest.importorskip("trestle")
    from trestle.oscal.assessment_results import Model

    doc = _render(sample, "oscal", tmp_path)
    model = Model.model_validate(doc)
    res = model.assessment_results.results[0]
    result = results[sample.name]
    assert len(res.observations or []) == len(result.findings)
    providers = {a.res.provider for a in result.assessed}
    targets = {(f.props[0].value, f.target.target_id) for f in res.findings or []}
    assert targets == {(p, c) for p in providers for c in ("sov-2", "sov-3", "snc-19.6")}
    items = {i.uuid for i in res.local_definitions.inventory_items}
    for obs in res.observations or []:
        assert obs.subjects[0].subject_uuid in items
        assert obs.relevant_evidence
    raw = doc["assessment-results"]["results"][0]
    health = [o for o in raw["observations"] if o["title"] in ("health-data-foreign-law", "sensitive-data-foreign-law")]
    assert health and all(any("Path:" in e["description"] for e in o["relevant-evidence"]) for o in health)
    assert "SOV-1" in raw["remarks"]
