"""The corpus of real export shapes (tests/fixtures/shapes): each file reads with the counts written
by hand in expected.yaml, the combined run keeps infrastructure names out of findings, children are
placed and folded, Terraform addresses survive, and every output format renders every fixture."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from typer.testing import CliRunner

from providers.base import InputFile
from providers.registry import sniff
from scanner.classify import Classifier
from scanner.cli import app
from scanner.config import Config
from scanner.model import Account, Flow, Gap, Resource
from scanner.pipeline import ScanResult, scan

SHAPES = Path(__file__).parent / "fixtures" / "shapes"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((SHAPES / "expected.yaml").read_text(encoding="utf-8"))


def test_every_fixture_has_its_expectation() -> None:
    files = {str(p.relative_to(SHAPES)) for p in SHAPES.rglob("*") if p.is_file() and p.name != "expected.yaml"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reads_with_the_expected_counts(name: str) -> None:
    want = EXPECTED[name]
    inp = InputFile(SHAPES / name, name)
    fmt, _ = sniff(inp)
    items = list(fmt.read(inp))
    got = {
        "format": fmt.name,
        "resources": sum(isinstance(i, Resource) for i in items),
        "accounts": sum(isinstance(i, Account) for i in items),
        "flows": sum(isinstance(i, Flow) for i in items),
        "gaps": dict(Counter(i.reason for i in items if isinstance(i, Gap))),
    }
    assert got == {"format": want["format"], "resources": want["resources"], "accounts": want.get("accounts", 0),
                   "flows": want.get("flows", 0), "gaps": want.get("gaps", {})}


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if EXPECTED[n]["resources"]))
def test_assessed_after_folding(name: str) -> None:
    result = scan([SHAPES / name], Config(), warn=lambda message: None)
    want = EXPECTED[name]
    assert len(result.assessed) == want.get("assessed", want["resources"])


# --------------------------------------------------------------------------- the combined run


@pytest.fixture(scope="module")
def combined() -> ScanResult:
    return scan([SHAPES], Config(home_country="FR"), warn=lambda message: None)


#: Resources that hold no data and are named after what they serve: the classic false alarms.
INFRASTRUCTURE = {
    "patient-portal-health-check", "dossier-medical-api-health-check", "allow-health-check-probes",
    "patient-portal-backend", "sn-patients-frankfurt", "MyCustomerGateway", "sg-clinical-db", "sg-patientdb",
    "agw-patient-portal", "nsg-patient-data", "lbi-patient-api", "lgw-customer-gateway-rz1", "pip-client-vpn",
    "vgw-client-vpn", "patient-api-health-check", "klinik-portal-health", "tg-patient-api", "lbi-api",
}


def test_infrastructure_names_give_no_class_and_no_finding(combined: ScanResult) -> None:
    infra = [a for a in combined.assessed if a.res.name in INFRASTRUCTURE]
    # MyCustomerGateway appears twice (Config item and Terraform plan), lbi-api once per source
    assert {a.res.name for a in infra} == INFRASTRUCTURE
    assert {(a.res.name, a.classes) for a in infra} == {(n, ("unknown",)) for n in INFRASTRUCTURE}
    serious = {f.resource for f in combined.findings if f.severity in ("critical", "high")}
    assert not serious & {a.res.id for a in infra}


def test_serious_findings_come_from_resources_that_hold_data(combined: ScanResult) -> None:
    by_id = {a.res.id: a for a in combined.assessed}
    serious = [by_id[f.resource] for f in combined.findings if f.severity in ("critical", "high")]
    assert serious
    assert all(a.service is not None and a.service.data_bearing for a in serious), \
        [(a.res.native_type, a.res.name) for a in serious if a.service is None or not a.service.data_bearing]


def test_every_type_of_the_corpus_is_mapped_and_the_unplaced_ones_are_said(combined: ScanResult) -> None:
    assert combined.coverage.unmapped_types == {}
    # Bigtable instance and table (the instance names no location), the S3 bucket of a partial query
    # (bucket ARNs carry no region), and two OVHcloud resources whose state names none.
    assert combined.coverage.unknown_regions == {"gcp:(not in export)": 2, "ovhcloud:(not in export)": 2,
                                                   "aws:(not in export)": 1}


def test_children_take_their_parents_placement_and_say_so(combined: ScanResult) -> None:
    project = "//bigquery.googleapis.com/projects/ghge-recherche-eu"
    placed = {a.res.id: (a.res.region, a.res.attributes.get("placement_from")) for a in combined.assessed
              if a.res.attributes.get("placement_from")}
    dataset = f"{project}/datasets/cohortes_patients"
    spanner = "//spanner.googleapis.com/projects/ghge-recherche-eu/instances/essais-cliniques"
    app_engine = "//appengine.googleapis.com/apps/ghge-recherche-eu"
    assert placed == {
        f"{dataset}/tables/sejours_2025": ("eu", dataset),
        f"{dataset}/tables/diagnostics_cim10": ("eu", dataset),
        f"{project}/datasets/cohortes_essais/tables/sejours": ("europe-west9", f"{project}/datasets/cohortes_essais"),
        f"{spanner}/databases/inclusions": ("europe-west9", spanner),
        f"{app_engine}/services/prise-rdv": ("europe-west1", app_engine),
        f"{app_engine}/services/prise-rdv/versions/20261128t101500":
            ("europe-west1", f"{app_engine}/services/prise-rdv"),
    }
    notes = [w for w in combined.coverage.warnings if "placed where their parent resource is" in w]
    assert notes == [
        f"{SHAPES}/gcp/forseti-cai-resources.ndjson: 5 resource(s) whose export gives no location were placed "
        "where their parent resource is: appengine.googleapis.com/Service (1), appengine.googleapis.com/Version (1), "
        "bigquery.googleapis.com/Table (2), spanner.googleapis.com/Database (1)",
        f"{SHAPES}/terraform/plan-0.1-google.json: 1 resource(s) whose export gives no location were placed where "
        "their parent resource is: google_bigquery_table (1)",
    ]


def test_configuration_sub_resources_are_folded_and_said(combined: ScanResult) -> None:
    types = {a.res.native_type for a in combined.assessed}
    assert not types & {"aws_s3_bucket_analytics_configuration", "aws_s3_bucket_inventory", "aws_s3_bucket_metric",
                        "azurerm_lb_probe"}
    notes = [w for w in combined.coverage.warnings if "sub-resource(s) that hold no data" in w]
    assert notes == [
        f"{SHAPES}/terraform/plan-0.2-azurerm.json: 1 configuration sub-resource(s) that hold no data of their own "
        "were folded into the resource they configure: azurerm_lb_probe (1)",
        f"{SHAPES}/terraform/state-0.12-s3-configurations.tfstate: 6 configuration sub-resource(s) that hold no data "
        "of their own were folded into the resource they configure: aws_s3_bucket_analytics_configuration (3), "
        "aws_s3_bucket_inventory (2), aws_s3_bucket_metric (1)",
    ]


def test_german_and_french_names_are_classified(combined: ScanResult) -> None:
    classes = {a.res.name: a.classes for a in combined.assessed}
    assert classes["psql-kis-krankenakten"] == ("health",)
    assert classes["stpersonalaktengwc"] == ("employee",)  # Personalakten, and the tag Abteilung=Personal
    assert classes["mitarbeiter-personalakten-fra"] == ("employee",)
    assert classes["kundenportal-uploads-prod"] == ("personal",)
    assert classes["kundendaten-aurora"] == ("personal",)
    assert classes["befund-eingang"] == ("health",)
    assert classes["termine"] == ("health",)  # tag Anwendung=Patiententermine
    assert classes["strhpaiefrc"] == ("employee",)


def test_classification_source_names_the_tag_key_never_its_value(combined: ScanResult) -> None:
    by_name = {a.res.name: a for a in combined.assessed}
    assert by_name["stphibr"].class_source == "tag:DataClassification"
    assert by_name["psql-kis-krankenakten"].class_source == "tag:Bereich"
    for a in combined.assessed:
        if a.class_source.startswith("tag:"):
            assert a.class_source[4:] in a.res.tags, (a.res.name, a.class_source)  # a key of its own tags
            assert "=" not in a.class_source and a.res.tags[a.class_source[4:]] not in a.class_source


def test_terraform_addresses_reach_every_output(combined: ScanResult, tmp_path: Path) -> None:
    addresses = {a.res.tf_address for a in combined.assessed if a.res.tf_address}
    assert {'module.sauvegardes["paris"].aws_db_snapshot.paie', "aws_ebs_snapshot.pacs[0]",
            "module.ovh_rh.ovh_cloud_project_storage.archives_rh", 'azurerm_storage_account.phi["br"]',
            "module.sql.google_sql_database_instance.main[0]", 'aws_ebs_snapshot.pacs["2026-11"]'} <= addresses
    runner = CliRunner()
    source = str(SHAPES / "terraform" / "state-modules-snapshots.tfstate")
    out = tmp_path / "result"
    assert runner.invoke(app, ["run", "-i", source, "--format", "json", "-o", str(out)]).exit_code == 0
    doc = orjson.loads(out.read_bytes())
    assert {r["tf_address"] for r in doc["resources"]} >= {'module.sauvegardes["paris"].aws_db_snapshot.paie'}
    assert runner.invoke(app, ["run", "-i", source, "--format", "csv", "-o", str(out)]).exit_code == 0
    assert 'module.sauvegardes[""paris""].aws_db_snapshot.paie' in out.read_text()  # CSV doubles quotes
    assert runner.invoke(app, ["run", "-i", source, "--format", "md", "-o", str(out)]).exit_code == 0
    assert '`module.sauvegardes["paris"].aws_db_snapshot.paie`' in out.read_text()
    r = runner.invoke(app, ["explain", "arn:aws:rds:eu-west-3:210987654321:snapshot:paie-2026-11-30",
                            "-i", source])
    assert r.exit_code == 0 and '  terraform: module.sauvegardes["paris"].aws_db_snapshot.paie' in r.stdout


def test_the_combined_run_of_every_fixture_raises_no_alarm_from_an_infrastructure_name() -> None:
    folders = [FIXTURES / f for f in EXPORT_FOLDERS] + [Path(__file__).resolve().parent.parent / "sample_inventories"]
    result = scan(folders, Config(), warn=lambda message: None)
    classifier = Classifier(result.kb.rules, result.kb.lexicon)
    serious = [result.by_id(f.resource) for f in result.findings if f.severity in ("critical", "high")]
    assert serious
    wrong = [(a.res.native_type, a.res.name, a.class_source) for a in serious if a is not None and (
        a.service is None or not a.service.data_bearing or not classifier.names_apply(a.service, a.res.native_type))]
    assert wrong == []


# --------------------------------------------------------------------------- every format, every fixture


FIXTURES = Path(__file__).parent / "fixtures"
#: Fixture folders of exports (the *_live folders hold API responses for the live collectors).
EXPORT_FOLDERS = ("aws", "azure", "gcp", "terraform", "core", "shapes")
ALL_FIXTURES = sorted(p for folder in EXPORT_FOLDERS for p in (FIXTURES / folder).rglob("*")
                      if p.is_file() and p.name != "expected.yaml")
FORMATS = ("json", "csv", "md", "html", "table")


def _readable(path: Path) -> bool:
    from providers.base import InventoryFormatError

    try:
        inp = InputFile(path, path.name)
        fmt, _ = sniff(inp)
        list(fmt.read(inp))
    except InventoryFormatError:
        return False
    return True


def _matrix() -> list[Any]:
    """Every fixture × every output format. The default suite renders each fixture in one format,
    the formats taken in turn so that each meets a fifth of the fixtures; the rest of the matrix is
    marked slow (``make test`` runs it all)."""
    cases = []
    for i, path in enumerate(ALL_FIXTURES):
        for j, fmt in enumerate(FORMATS):
            marks = () if i % len(FORMATS) == j else (pytest.mark.slow,)
            cases.append(pytest.param(path, fmt, marks=marks, id=f"{path.relative_to(FIXTURES)}-{fmt}"))
    return cases


@pytest.mark.parametrize(("path", "fmt"), _matrix())
def test_every_output_format_renders_every_fixture(path: Path, fmt: str, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / f"out.{fmt}"
    r = runner.invoke(app, ["run", "-i", str(path), "--allow-empty", "--format", fmt, "-o", str(out)])
    assert "Traceback" not in r.output and r.exit_code != 70, r.output
    if _readable(path):
        assert r.exit_code == 0, r.output
        assert out.stat().st_size > 0
    else:
        # A file given by name that cannot be read: one line naming it, exit 2.
        errors = [line for line in r.stderr.splitlines() if line.startswith("sovscan: error:")]
        assert r.exit_code == 2 and len(errors) == 1 and path.name in errors[0], r.stderr


def test_comment_lines_are_skipped_when_asked_and_refused_precisely_otherwise(tmp_path: Path) -> None:
    from providers.base import InventoryFormatError, iter_ndjson, peek_shape

    path = tmp_path / "lines.ndjson"
    path.write_text('# header\n{"a": 1}\n\n# note\n{"a": 2}\n')
    assert peek_shape(path.read_bytes()).container == "ndjson"
    comments: list[int] = []
    assert [n for n, _ in iter_ndjson(InputFile(path, "lines.ndjson"), comments.append)] == [2, 5]
    assert comments == [1, 4]
    with pytest.raises(InventoryFormatError) as err:
        list(iter_ndjson(InputFile(path, "lines.ndjson")))
    assert (err.value.position, err.value.message) == ("1:1", "line 1 is a comment ('#'), which JSON does not allow")
