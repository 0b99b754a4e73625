"""Applications: grouping by tags, by what a resource serves (copies, keys), then by resource group,
project or account; the configuration; the JSON fields; the history's details."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner import history
from scanner.applications import ApplicationSettings, group_applications
from scanner.cli import app
from scanner.config import ConfigError, load_config
from scanner.inventory import Inventory, load_inventory
from scanner.model import Account, Flow, FlowKind, KeyControl, KeyRef, Resource

ROOT = Path(__file__).resolve().parent.parent
HOSPITAL = ROOT / "sample_inventories" / "hopital-grand-est"
SUB = "/subscriptions/a1b2c3d4-1111-4c2e-8f00-0000000000a1"


def _inventory(*resources: Resource, flows: tuple[Flow, ...] = (), accounts: tuple[Account, ...] = ()) -> Inventory:
    inv = Inventory()
    for res in resources:
        inv.add_resource(res)
    inv.flows.extend(flows)
    for acc in accounts:
        inv.accounts[f"{acc.provider}:{acc.id}"] = acc
    return inv


def test_tags_name_applications_in_order_and_case_insensitively() -> None:
    inv = _inventory(
        Resource("a", "aws", "AWS::S3::Bucket", "a", "1", tags={"Application": " Dossiers-Patients ", "app": "x"}),
        Resource("b", "aws", "AWS::S3::Bucket", "b", "1", tags={"APP": "dossiers-patients"}),
        Resource("c", "aws", "AWS::S3::Bucket", "c", "1", tags={"application": "", "service": "Paie"}),
        Resource("d", "aws", "AWS::S3::Bucket", "d", "1", tags={"owner": "dsi"}),
    )
    apps = group_applications(inv)
    assert apps.of == {"a": "tag:dossiers-patients", "b": "tag:dossiers-patients", "c": "tag:paie",
                       "d": "account:aws:1"}
    assert apps.how == {"a": "tag:application", "b": "tag:app", "c": "tag:service", "d": "account"}
    assert apps.apps["tag:dossiers-patients"].name in ("Dossiers-Patients", "dossiers-patients")
    assert apps.apps["account:aws:1"].basis == "account"
    # configured keys replace the defaults
    only = group_applications(inv, ApplicationSettings(tag_keys=("owner",)))
    assert only.of == {"a": "account:aws:1", "b": "account:aws:1", "c": "account:aws:1", "d": "tag:dsi"}


def test_copies_and_keys_serve_the_application_of_what_they_copy_or_encrypt() -> None:
    key1 = "arn:aws:kms:eu-west-3:1:key/k1"
    key2 = "arn:aws:kms:eu-west-3:1:key/k2"
    inv = _inventory(
        Resource("src", "aws", "AWS::S3::Bucket", "src", "1", tags={"application": "pacs"},
                 key=KeyRef(KeyControl.CUSTOMER, key1)),
        Resource("copy", "aws", "AWS::S3::Bucket", "copy", "1"),
        Resource("copy-of-copy", "aws", "AWS::S3::Bucket", "cc", "1"),
        Resource("peer", "aws", "AWS::EC2::VPC", "peer", "2"),
        Resource(key1, "aws", "AWS::KMS::Key", "k1", "1"),
        Resource("other", "aws", "AWS::S3::Bucket", "other", "1", tags={"application": "rh"},
                 key=KeyRef(KeyControl.CUSTOMER, key2)),
        Resource("third", "aws", "AWS::S3::Bucket", "third", "1", tags={"application": "pacs"},
                 key=KeyRef(KeyControl.CUSTOMER, key2)),
        Resource(key2, "aws", "AWS::KMS::Key", "k2", "1"),
        flows=(Flow("src", "copy", FlowKind.REPLICATION, "e"), Flow("copy", "copy-of-copy", FlowKind.BACKUP, "e"),
               Flow("src", "peer", FlowKind.PEERING, "e")),
        accounts=(Account("1", "aws", "ghge-sante-prod"),),
    )
    apps = group_applications(inv)
    assert apps.of["copy"] == apps.of["copy-of-copy"] == apps.of[key1] == "tag:pacs"
    assert apps.how["copy"] == "flow:src" and apps.how["copy-of-copy"] == "flow:copy" and apps.how[key1] == "key:src"
    assert apps.of["peer"] == "account:aws:2"  # peering is an access path, not a copy
    assert apps.of[key2] == "account:aws:1"  # a key shared by two applications stays with its account
    assert apps.apps["account:aws:1"].name == "ghge-sante-prod"  # the account's name from the organisation export


def test_hospital_sample_applications() -> None:
    """Hand-checked against sample_inventories/hopital-grand-est (tags in the exports)."""
    apps = group_applications(load_inventory([HOSPITAL]))
    dr_key = "arn:aws:kms:us-east-1:111122223333:key/2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
    shared_key = "arn:aws:kms:eu-west-3:111122223333:key/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
    assert apps.of["arn:aws:s3:::ghge-dossiers-patients-dr-use1"] == "tag:dossiers-patients"
    assert apps.of[dr_key] == "tag:dossiers-patients"  # encrypts the DR bucket only
    assert apps.of[shared_key] == "account:aws:111122223333"  # patient records and payroll share it
    payroll = ("/subscriptions/b2c3d4e5-2222-4d3f-9a11-0000000000b2/resourcegroups/rg-ghge-rh-frc/providers/"
               "microsoft.storage/storageaccounts/stghgepaierhfrc")
    assert apps.of[payroll] == "tag:rh"  # service=RH
    master = f"{SUB}/resourcegroups/rg-ghge-dpi-prod-frc/providers/microsoft.sql/servers/sql-ghge-dpi-frc/databases/" \
        "master"
    assert apps.of[master] == f"resource-group:{SUB.split('/')[-1]}/rg-ghge-dpi-prod-frc"
    assert apps.apps["project:gcp:ghge-recherche-us"].basis == "project"
    tagged = {a.name for a in apps.apps.values() if a.basis == "tag"}
    assert tagged == {"dossiers-patients", "imagerie-pacs", "site-institutionnel", "prise-de-rendez-vous",
                      "portail-patients", "RH", "cohorte-insuffisance-cardiaque", "teleconsultation"}


def test_configuration_of_applications(tmp_path: Path) -> None:
    cfg = tmp_path / "sovscan.toml"
    cfg.write_text('[applications]\ntags = ["registre", "application"]\nshow_names = true\n')
    settings = load_config(cfg).applications
    assert settings == ApplicationSettings(("registre", "application"), True)
    for bad, message in (('[applications]\ntags = []\n', "non-empty list"),
                         ('[applications]\nshow_names = "yes"\n', "true or false"),
                         ('[applications]\ngroups = 1\n', "unknown key.*applications.groups"),
                         ('applications = 3\n', "must be a table")):
        cfg.write_text(bad)
        with pytest.raises(ConfigError, match=message):
            load_config(cfg)


def test_json_has_applications_and_each_resource_names_its_application(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    ran = CliRunner().invoke(app, ["run", "-i", str(HOSPITAL), "--format", "json", "-o", str(out)])
    assert ran.exit_code == 0, ran.output
    doc = json.loads(out.read_text())
    records = {a["id"]: a for a in doc["applications"]}
    assert {r["application"] for r in doc["resources"]} == set(records)
    assert sum(a["resources"] for a in records.values()) == len(doc["resources"])
    dpi = records["tag:dossiers-patients"]
    members = [r for r in doc["resources"] if r["application"] == "tag:dossiers-patients"]
    assert dpi["resources"] == len(members)
    assert dpi["basis"] == "tag" and dpi["tag"] == "application" and dpi["data_classes"] == ["health"]
    # the DR bucket's copy in us-east-1 puts patient records on US territory: reach by location
    assert "US" in dpi["locations"] and "us-cloud-act" in {law["id"] for law in dpi["laws"]["location"]}
    assert dpi["exposure"]["score"] == max(r["exposure"]["score"] for r in members)
    assert dpi["reachable"]["by_location"] == sum(
        1 for r in members if any(h["trigger"] == "location" and h["scored"] for h in r["laws"]))
    # a law reaching by control is not listed again as residual presence for the same application
    rh = records["tag:rh"]
    direct = {law["id"] for tier in ("control", "location") for law in rh["laws"][tier]}
    assert not direct & {law["id"] for law in rh["laws"]["presence"]}
    # service=RH: seven Azure resources of the HR subscription, the AWS payroll bucket, the OVHcloud archive
    assert rh["providers"] == {"azure": 7, "aws": 1, "ovhcloud": 1}
    assert list(doc)[:list(doc).index("flows")][-2:] == ["resources", "applications"]


def test_history_keeps_applications_and_tiers(tmp_path: Path) -> None:
    from scanner.config import Config
    from scanner.pipeline import assess

    result = assess(load_inventory([HOSPITAL]), Config(), as_of="2026-11-30", organization="GHGE")
    db = tmp_path / "h.sqlite3"
    info = history.save(result, db)
    snap = history.load(info.id, db)
    assert snap.details.known and set(snap.details.applications) == set(result.applications.apps)  # type: ignore[union-attr]
    dr = snap.details.resources["arn:aws:s3:::ghge-dossiers-patients-dr-use1"]
    assert dr.application == "tag:dossiers-patients" and dr.joined == "tag:application"
    assert {(r.law, r.tier) for r in dr.reach} >= {("us-cloud-act", "control"), ("us-cloud-act", "location")}
    assert snap.details.facts["laws"]["us-fisa-702"][0] == str(result.kb.laws["us-fisa-702"].status)
    assert snap.details.facts["placements"]["aws:us-east-1"][2] == ["US"]
    # in memory, the same details
    assert history.snapshot_of(result).details.resources == snap.details.resources
    # pseudonymised: application ids and names are pseudonyms too
    pseudo = history.load(history.save(result, tmp_path / "p.sqlite3", pseudonymize=True).id, tmp_path / "p.sqlite3")
    assert all(a.id.startswith("app-") and a.name == a.id for a in pseudo.details.applications.values())
    assert b"dossiers-patients" not in (tmp_path / "p.sqlite3").read_bytes()


def test_a_version_2_database_gains_details_and_keeps_old_snapshots(tmp_path: Path) -> None:
    from scanner.config import Config
    from scanner.pipeline import assess

    db = tmp_path / "v2.sqlite3"
    conn = sqlite3.connect(db, isolation_level=None)
    history.migrate(conn, history.MIGRATIONS[:2])
    conn.execute("INSERT INTO snapshot (organization, as_of, generated_at, tool_version, kb_version, home_country, "
                 "pseudonymized, resources, exposed_resources, sensitive_exposed, exposure_score, lockin_score, "
                 "effort, findings, summary, coverage, kb_meta, sources) VALUES ('o', '2026-08-31', 'x', '0.1.0', "
                 "'k', 'FR', 0, 0, 0, 0, 0, NULL, 0, 0, ?, '{}', '{}', '[]')",
                 (json.dumps(json.loads(history._dumps(assess(Inventory(), Config()).summary))),))
    conn.close()
    old = history.load(1, db)  # migrated to version 3 on opening; the old snapshot has no details
    assert history.schema_version(history.connect(db)) == history.SCHEMA_VERSION
    assert not old.details.known and old.details.resources == {}
