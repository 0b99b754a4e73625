"""The command line end to end: outputs, the JSON contract, exit codes and one-line errors."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app

ROOT = Path(__file__).resolve().parent.parent
HOSPITAL = ROOT / "sample_inventories" / "hopital-grand-est"
CORE = ROOT / "tests" / "fixtures" / "core"

runner = CliRunner()

RESOURCE_KEYS = {"id", "provider", "native_type", "service", "category", "name", "account", "region", "country",
                 "locations", "data_classes", "classification_source", "operator", "controller_country", "laws",
                 "exposure", "lockin", "migration", "application"}
TOP_KEYS = {"schema_version", "generated_at", "as_of", "tool_version", "kb_version", "organization",
            "home_country", "sources", "resources", "applications", "flows", "findings", "coverage", "summary"}


@pytest.fixture(scope="module")
def hospital_json() -> dict[str, object]:
    r = runner.invoke(app, ["run", "-i", str(HOSPITAL), "--format", "json", "--as-of", "2026-11-15",
                            "--org", "Hôpital"])
    assert r.exit_code == 0, r.stderr
    data: dict[str, object] = json.loads(r.stdout)
    return data


def test_json_matches_the_contract(hospital_json: dict[str, object]) -> None:
    data = hospital_json
    assert set(data) == TOP_KEYS
    assert data["schema_version"] == 1 and data["as_of"] == "2026-11-15" and data["organization"] == "Hôpital"
    assert data["home_country"] == "FR"
    resources = data["resources"]
    assert isinstance(resources, list) and resources
    for res in resources:
        assert set(res) >= RESOURCE_KEYS, RESOURCE_KEYS - set(res)
        assert set(res["exposure"]) >= {"score", "level"} and 0 <= res["exposure"]["score"] <= 100
        assert res["exposure"]["level"] in {"none", "low", "medium", "high", "critical"}
        assert set(res["lockin"]) >= {"score", "level", "portability"}
        assert set(res["migration"]) >= {"effort", "level", "data_gb", "alternatives"}
        for law in res["laws"]:
            assert set(law) >= {"id", "trigger", "via"} and law["trigger"] in {"control", "location", "presence"}
        for alt in res["migration"]["alternatives"]:
            assert set(alt) >= {"id", "name", "provider", "certifications"}
    for src in data["sources"]:  # type: ignore[attr-defined]
        assert set(src) == {"path", "format", "provider", "records", "resources"}
    for flow in data["flows"]:  # type: ignore[attr-defined]
        assert set(flow) >= {"source", "target", "kind", "evidence"}
    for finding in data["findings"]:  # type: ignore[attr-defined]
        assert set(finding) == {"id", "severity", "rule", "resource", "message"}
    coverage = data["coverage"]
    assert set(coverage) >= {"resources", "unmapped_types", "unknown_regions", "warnings"}  # type: ignore[arg-type]
    summary = data["summary"]
    assert set(summary["exposure"]) >= {"score", "level", "by_law", "by_provider", "by_country",  # type: ignore[index]
                                         "by_data_class"}
    assert set(summary["lockin"]) >= {"score", "level", "by_provider", "concentration"}  # type: ignore[index]
    assert set(summary["migration"]) >= {"effort", "data_gb"}  # type: ignore[index]
    assert summary["resources"] == len(resources) == coverage["resources"]  # type: ignore[index]


def test_csv_has_one_row_per_resource_and_coverage(hospital_json: dict[str, object]) -> None:
    r = runner.invoke(app, ["run", "-i", str(HOSPITAL), "--format", "csv"])
    assert r.exit_code == 0, r.stderr
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0][0] == "id"
    body = [row for row in rows[1:] if not row[0].startswith("# coverage")]
    assert len(body) == len(hospital_json["resources"])  # type: ignore[arg-type]
    assert rows[-1][0].startswith("# coverage:")


def test_markdown_and_table_outputs(tmp_path: Path) -> None:
    out = tmp_path / "summary.md"
    r = runner.invoke(app, ["run", "-i", str(HOSPITAL), "--format", "md", "--output", str(out)])
    assert r.exit_code == 0, r.stderr
    text = out.read_text(encoding="utf-8")
    for heading in ("## The numbers that matter", "## Findings", "## Exposure by law", "## Coverage", "## Sources"):
        assert heading in text
    assert "CLOUD Act" in text
    r = runner.invoke(app, ["run", "-i", str(HOSPITAL), "--format", "table"])
    assert r.exit_code == 0 and "Foreign laws that reach the data" in r.stdout and "Coverage" in r.stdout


def test_fail_on_critical_exits_1() -> None:
    r = runner.invoke(app, ["run", "-i", str(HOSPITAL), "--format", "json", "--output", "-", "--fail-on", "critical"])
    assert r.exit_code == 1


def test_explain_prints_the_paths(hospital_json: dict[str, object]) -> None:
    resources = hospital_json["resources"]
    target = next(res for res in resources if "health" in res["data_classes"] and res["laws"])  # type: ignore[union-attr]
    r = runner.invoke(app, ["explain", target["id"], "-i", str(HOSPITAL)])
    assert r.exit_code == 0, r.stderr
    assert target["id"] in r.stdout and "by control" in r.stdout and " → " in r.stdout
    r = runner.invoke(app, ["explain", "no-such-resource", "-i", str(HOSPITAL)])
    assert r.exit_code == 2 and "no such resource" in r.stderr


def test_kb_validate_passes() -> None:
    r = runner.invoke(app, ["kb", "validate"])
    assert r.exit_code == 0, r.stderr
    assert "is valid" in r.stdout


@pytest.mark.parametrize("name,expect", [
    ("empty.json", "file is empty"),
    ("truncated.json", "truncated JSON"),
    ("unknown.json", "unrecognised inventory format"),
    ("notjson.json", "not a JSON or NDJSON document"),
    ("corrupt.json.gz", "gzip"),
])
def test_bad_input_is_one_line_and_exit_2(name: str, expect: str) -> None:
    r = runner.invoke(app, ["run", "-i", str(CORE / name), "--format", "json"])
    assert r.exit_code == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("sovscan: error: ") and name in lines[0] and expect in lines[0]
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_truncated_file_names_the_position() -> None:
    r = runner.invoke(app, ["run", "-i", str(CORE / "truncated.json")])
    assert "truncated.json:" in r.stderr and ("byte " in r.stderr or ":1:" in r.stderr)


def test_bad_file_in_a_folder_is_reported_and_the_rest_is_read(tmp_path: Path) -> None:
    shutil.copytree(HOSPITAL, tmp_path / "case")
    shutil.copy(CORE / "truncated.json", tmp_path / "case" / "broken.json")
    r = runner.invoke(app, ["run", "-i", str(tmp_path / "case"), "--format", "json"])
    assert r.exit_code == 0, r.stderr
    assert "warning: skipped" in r.stderr and "broken.json" in r.stderr
    data = json.loads(r.stdout)
    assert any("broken.json" in w for w in data["coverage"]["warnings"])
    good = runner.invoke(app, ["run", "-i", str(HOSPITAL), "--format", "json"])
    assert len(data["resources"]) == len(json.loads(good.stdout)["resources"])


def test_missing_path_and_bad_options_exit_2(tmp_path: Path) -> None:
    r = runner.invoke(app, ["run", "-i", str(tmp_path / "nope")])
    assert r.exit_code == 2 and "no such file or folder" in r.stderr
    r = runner.invoke(app, ["run", "-i", str(HOSPITAL), "--as-of", "yesterday"])
    assert r.exit_code == 2 and "YYYY-MM-DD" in r.stderr
    bad = tmp_path / "sovscan.toml"
    bad.write_text("home_country = 'France'\n")
    r = runner.invoke(app, ["run", "-i", str(HOSPITAL), "--config", str(bad)])
    assert r.exit_code == 2 and "home_country" in r.stderr and "Traceback" not in r.stderr


def test_config_overrides_weights_and_rules(tmp_path: Path) -> None:
    cfg = tmp_path / "sovscan.toml"
    cfg.write_text('organization = "Test org"\n[weights.sensitivity]\nhealth = 0.0\ngenetic-biometric = 0.0\n'
                   'unknown = 0.0\nemployee = 0.0\npersonal = 0.0\nfinancial = 0.0\nconfidential = 0.0\n'
                   'internal = 0.0\npublic = 0.0\n', encoding="utf-8")
    r = runner.invoke(app, ["run", "-i", str(HOSPITAL), "--config", str(cfg), "--format", "json"])
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["organization"] == "Test org"
    assert all(res["exposure"]["score"] == 0 for res in data["resources"])


def test_run_save_then_history_and_html(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    r = runner.invoke(app, ["run", "-i", str(HOSPITAL), "--format", "json", "--output", str(tmp_path / "r.json"),
                            "--org", "GHGE", "--as-of", "2026-11-15", "--save", "--db", str(db)])
    assert r.exit_code == 0, r.stderr
    assert "saved snapshot" in r.stderr and db.is_file()
    listed = runner.invoke(app, ["history", "list", "--db", str(db)])
    assert listed.exit_code == 0 and "GHGE" in listed.stdout and "2026-11-15" in listed.stdout
    page = tmp_path / "page.html"
    r = runner.invoke(app, ["run", "-i", str(HOSPITAL), "--format", "html", "--lang", "fr", "--output", str(page)])
    assert r.exit_code == 0, r.stderr
    html = page.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html") and 'lang="fr"' in html
    assert "<script" not in html.lower()


def test_french_report_names_laws_in_french(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    r = runner.invoke(app, ["run", "-i", str(HOSPITAL), "--org", "GHGE", "--as-of", "2026-11-15", "--save",
                            "--db", str(db), "--format", "json", "--output", str(tmp_path / "r.json")])
    assert r.exit_code == 0, r.stderr
    fr = runner.invoke(app, ["report", "--quarter", "2026-Q4", "--org", "GHGE", "--db", str(db), "--lang", "fr",
                             "--format", "md", "--output", "-"])
    assert fr.exit_code == 0, fr.stderr
    assert "Stored Communications Act modifié par le CLOUD Act" in fr.stdout
    assert "as amended by the CLOUD Act" not in fr.stdout
    en = runner.invoke(app, ["report", "--quarter", "2026-Q4", "--org", "GHGE", "--db", str(db), "--lang", "en",
                             "--format", "md", "--output", "-"])
    assert en.exit_code == 0 and "Stored Communications Act as amended by the CLOUD Act" in en.stdout


def test_report_shows_the_exit_plan(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    assert runner.invoke(app, ["run", "-i", str(HOSPITAL), "--org", "GHGE", "--as-of", "2026-11-15", "--save",
                               "--db", str(db), "-f", "json", "-o", str(tmp_path / "r.json")]).exit_code == 0
    plan = tmp_path / "plan.json"
    made = runner.invoke(app, ["plan", "-i", str(HOSPITAL), "--target", "ovhcloud,scaleway", "--require", "hds",
                               "-f", "json", "-o", str(plan)])
    assert made.exit_code == 0, made.stderr
    summary = json.loads(plan.read_text())["summary"]
    fr = runner.invoke(app, ["report", "--quarter", "2026-Q4", "--org", "GHGE", "--db", str(db), "--lang", "fr",
                             "--format", "md", "--output", "-", "--plan", str(plan)])
    assert fr.exit_code == 0, fr.stderr
    assert "## Le plan de sortie" in fr.stdout and "Cadre européen de souveraineté du cloud" in fr.stdout
    assert f"Effort\u202f: {summary['effort']} points" in fr.stdout  # French narrow no-break space
    bad = tmp_path / "not-a-plan.json"
    bad.write_text('{"schema_version": 1}')
    r = runner.invoke(app, ["report", "--quarter", "2026-Q4", "--org", "GHGE", "--db", str(db), "--format", "md",
                            "--output", "-", "--plan", str(bad)])
    assert r.exit_code == 2 and "not a sovscan plan" in r.stderr and "Traceback" not in r.stderr
