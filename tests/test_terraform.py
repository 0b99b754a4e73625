"""Tests of the Terraform / OpenTofu importer: sniffing, state v4, show-json state and plan."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from providers.base import InputFile, InventoryFormatError, peek_shape
from providers.terraform import files
from providers.terraform.files import FORMATS
from providers.terraform.mapping import provider_id
from scanner.model import Flow, FlowKind, Gap, Item, KeyControl, KeyRef, Resource

FIXTURES = Path(__file__).parent / "fixtures" / "terraform"
STATE, SHOW, PLAN = "terraform-state", "terraform-show-json", "terraform-show-json"
FORMAT = {f.name: f for f in FORMATS}

SUB = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourcegroups"
RECORDS = f"{SUB}/rg-health/providers/microsoft.storage/storageaccounts/acmerecords"
LOGS = f"{SUB}/rg-health/providers/microsoft.storage/storageaccounts/acmelogs"
SQL = f"{SUB}/rg-health/providers/microsoft.sql/servers/sql-acme"
SQL_DR = f"{SUB}/rg-health-dr/providers/microsoft.sql/servers/sql-acme-dr"
COSMOS = f"{SUB}/rg-health/providers/microsoft.documentdb/databaseaccounts/acme-events"
PHI_KEY = "arn:aws:kms:eu-west-3:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ARCHIVE = "//storage.googleapis.com/projects/_/buckets/acme-archive"

#: Every secret planted in the fixtures, sensitive-marked or not.
SECRETS = [
    "S3cr3t-Hunter2-pw", "XksProxyRawSecret", "CosmosPrimaryKeyDoNotLeak", "Sql-Admin-Secret-42",
    "StoragePrimaryKeyDoNotLeak", "DoNotLeakThisKey", "Gcp-Root-Secret-77", "Ovh-Db-User-Secret-5",
    "KubeTokenDoNotLeak", "Random-Result-Secret-99", "Scw-Rdb-Secret-31", "ShowJsonStorageKeyDoNotLeak",
    "ShowJsonRootSecret-8", "Plan-Variable-Secret-3", "Plan-Old-Secret-2",
    "IyEvYmluL2Jhc2gKZXhwb3J0IFRPS0VOPVVzZXJEYXRhU2VjcmV0", "eyJlMmJmYjczMC1", "XKSPROXYACCESSKEY00",
]


def _inp(name: str, tmp: Path | None = None, data: bytes | None = None) -> InputFile:
    path = FIXTURES / name
    if data is not None and tmp is not None:
        path = tmp / name
        path.write_bytes(data)
    return InputFile(path, name)


def _read(fmt: str, inp: InputFile) -> list[Item]:
    return list(FORMAT[fmt].read(inp))


def _sniffers(inp: InputFile) -> set[str]:
    shape = peek_shape(inp.head())
    return {f.name for f in FORMATS if f.sniff(shape)}


def _resources(items: list[Item]) -> dict[str, Resource]:
    found = [i for i in items if isinstance(i, Resource)]
    by_id = {r.id: r for r in found}
    assert len(by_id) == len(found), "duplicate resource ids"
    return by_id


def _flows(items: list[Item]) -> set[tuple[str, str, FlowKind, str | None]]:
    return {(f.source, f.target, f.kind, f.target_region) for f in items if isinstance(f, Flow)}


# --------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize(("name", "expected"), [
    ("state_v4.tfstate", {"terraform-state"}),
    ("state_v3.tfstate", {"terraform-state"}),
    ("encrypted.tfstate", {"terraform-state"}),
    ("show_state.json", {"terraform-show-json"}),
    ("show_plan.json", {"terraform-show-json"}),
])
def test_sniff_accepts(name: str, expected: set[str]) -> None:
    assert _sniffers(_inp(name)) == expected


@pytest.mark.parametrize("doc", [
    {"configurationItems": [], "fileVersion": "1.0"},  # AWS Config snapshot
    {"format_version": "1.0", "provider_schemas": {}},  # terraform providers schema -json
    {"version": 4, "name": "something else"},
    [{"version": 4, "lineage": "x", "serial": 1}],
    {"data": [], "count": 0, "skip_token": None},
])
def test_sniff_rejects_other_documents(doc: object) -> None:
    shape = peek_shape(orjson.dumps(doc))
    assert not any(f.sniff(shape) for f in FORMATS)


def test_provider_addresses_map_with_or_without_host() -> None:
    assert provider_id("registry.terraform.io/hashicorp/aws") == "aws"
    assert provider_id("registry.opentofu.org/hashicorp/azurerm") == "azure"
    assert provider_id("hashicorp/google-beta") == "gcp"
    assert provider_id("registry.terraform.io/IBM-Cloud/ibm") == "ibm"
    assert provider_id("outscale-dev/outscale") == "outscale"
    assert provider_id("registry.terraform.io/cloudflare/cloudflare") == "cloudflare"
    assert provider_id("registry.terraform.io/integrations/github") is None
    assert provider_id("example.com/hashicorp/aws") is None  # a private registry may hold anything


# --------------------------------------------------------------------------- state v4


@pytest.fixture(scope="module")
def state_items() -> list[Item]:
    return _read(STATE, _inp("state_v4.tfstate"))


def test_state_resources(state_items: list[Item]) -> None:
    got = {(r.id, r.provider, r.native_type, r.region) for r in _resources(state_items).values()}
    assert got == {
        ("arn:aws:cloudfront::111122223333:distribution/E2QWRUHEXAMPLE", "aws", "aws_cloudfront_distribution",
         "global"),
        ("arn:aws:rds:eu-west-3:111122223333:db:acme-main", "aws", "aws_db_instance", "eu-west-3"),
        ("arn:aws:rds:eu-central-1:111122223333:db:acme-main-replica-0", "aws", "aws_db_instance",
         "eu-central-1"),
        ("arn:aws:dynamodb:eu-west-3:111122223333:table/sessions", "aws", "aws_dynamodb_table", "eu-west-3"),
        ("arn:aws:iam::111122223333:role/external-auditor", "aws", "aws_iam_role", "global"),
        (PHI_KEY, "aws", "aws_kms_key", "eu-west-3"),
        ("arn:aws:kms:eu-west-3:111122223333:key/5678efgh-12ab-34cd-56ef-1234567890ab", "aws", "aws_kms_key",
         "eu-west-3"),
        ("aws:::aws_kms_custom_key_store:cks-1234567890abcdef0", "aws", "aws_kms_custom_key_store", None),
        ("arn:aws:s3:::acme-phi-records", "aws", "aws_s3_bucket", "eu-west-3"),
        ("arn:aws:s3:::acme-phi-replica", "aws", "aws_s3_bucket", "us-east-1"),
        ("arn:aws:ec2:eu-west-3:111122223333:vpc/vpc-0aaa1111", "aws", "aws_vpc", "eu-west-3"),
        ("aws:::aws_vpc_peering_connection:pcx-0123456789abcdef0", "aws", "aws_vpc_peering_connection", None),
        (COSMOS, "azure", "azurerm_cosmosdb_account", "westeurope"),
        (SQL, "azure", "azurerm_mssql_server", "westeurope"),
        (RECORDS, "azure", "azurerm_storage_account", "francecentral"),
        (LOGS, "azure", "azurerm_storage_account", "westeurope"),
        ("//bigquery.googleapis.com/projects/acme-prod/datasets/analytics", "gcp", "google_bigquery_dataset",
         "us"),
        ("//compute.googleapis.com/projects/acme-prod/zones/europe-west3-b/instances/vm-1", "gcp",
         "google_compute_instance", "europe-west3"),
        ("//cloudkms.googleapis.com/projects/acme-prod/locations/europe-west3/keyRings/kr/cryptoKeys/ekm", "gcp",
         "google_kms_crypto_key", "europe-west3"),
        ("//sqladmin.googleapis.com/projects/acme-prod/instances/pg-replica", "gcp",
         "google_sql_database_instance", "europe-west3"),
        (ARCHIVE, "gcp", "google_storage_bucket", "eu"),
        ("outscale:i-1a2b3c4d", "outscale", "outscale_vm", "eu-west-2"),
        ("outscale:vol-5e6f7a8b", "outscale", "outscale_volume", "cloudgouv-eu-west-1"),
        ("ovhcloud:8c1b3a2e-5d4f-4e6a-9b7c-0d1e2f3a4b5c", "ovhcloud", "ovh_cloud_project_database", "gra"),
        ("ovhcloud:5f0e2a9c-kube", "ovhcloud", "ovh_cloud_project_kube", "gra11"),
        ("scaleway:fr-par-2/3b4c5d6e-7f80-4a1b-9c2d-3e4f5a6b7c8d", "scaleway", "scaleway_instance_server",
         "fr-par"),
        ("scaleway:fr-par/acme-docs", "scaleway", "scaleway_object_bucket", "fr-par"),
        ("scaleway:fr-par/11111111-2222-4333-8444-555555555555", "scaleway", "scaleway_rdb_instance", "fr-par"),
        ("scaleway:nl-ams/66666666-7777-4888-9999-000000000000", "scaleway", "scaleway_rdb_read_replica",
         "nl-ams"),
    }


def test_state_folds_configuration_types(state_items: list[Item]) -> None:
    types = {r.native_type for r in _resources(state_items).values()}
    for folded in ("aws_s3_bucket_replication_configuration", "aws_s3_bucket_server_side_encryption_configuration",
                   "aws_iam_role_policy_attachment", "azurerm_mssql_failover_group",
                   "azurerm_storage_account_customer_managed_key", "azurerm_virtual_network_peering",
                   "google_compute_network_peering", "ovh_cloud_project_database_user"):
        assert folded not in types


def test_state_flows(state_items: list[Item]) -> None:
    assert _flows(state_items) == {
        ("arn:aws:s3:::acme-public-site", "arn:aws:cloudfront::111122223333:distribution/E2QWRUHEXAMPLE",
         FlowKind.CDN, "global"),
        ("arn:aws:rds:eu-west-3:111122223333:db:acme-main",
         "arn:aws:rds:eu-central-1:111122223333:db:acme-main-replica-0", FlowKind.REPLICA, "eu-central-1"),
        ("arn:aws:dynamodb:eu-west-3:111122223333:table/sessions",
         "arn:aws:dynamodb:eu-central-1:111122223333:table/sessions", FlowKind.REPLICA, "eu-central-1"),
        ("arn:aws:iam::111122223333:role/external-auditor", "arn:aws:iam::999988887777:root", FlowKind.TRUST,
         None),
        # the disabled rule to acme-old-copy gives no flow; the target region comes from the bucket record
        ("arn:aws:s3:::acme-phi-records", "arn:aws:s3:::acme-phi-replica", FlowKind.REPLICATION, "us-east-1"),
        ("arn:aws:ec2:eu-west-3:111122223333:vpc/vpc-0aaa1111",
         "arn:aws:ec2:eu-central-1:444455556666:vpc/vpc-0bbb2222", FlowKind.PEERING, "eu-central-1"),
        (COSMOS, f"{COSMOS}#eastus", FlowKind.REPLICA, "eastus"),
        (SQL, SQL_DR, FlowKind.FAILOVER, "northeurope"),
        (f"{SQL}/databases/patients", f"{SQL_DR}/databases/patients", FlowKind.FAILOVER, "northeurope"),
        (RECORDS, f"{RECORDS}#secondary", FlowKind.REPLICATION, "francesouth"),
        (LOGS, f"{LOGS}#secondary", FlowKind.REPLICATION, None),
        (f"{SUB}/rg-net/providers/microsoft.network/virtualnetworks/vnet-hub",
         "/subscriptions/5c2e7f00-aaaa-bbbb-cccc-444455556666/resourcegroups/rg-spoke/providers/microsoft.network/"
         "virtualnetworks/vnet-spoke", FlowKind.PEERING, None),
        ("//compute.googleapis.com/projects/acme-prod/global/networks/acme-vpc",
         "//compute.googleapis.com/projects/shared-host/global/networks/shared-vpc", FlowKind.PEERING, "global"),
        ("//sqladmin.googleapis.com/projects/acme-prod/instances/pg-main",
         "//sqladmin.googleapis.com/projects/acme-prod/instances/pg-replica", FlowKind.REPLICA, "europe-west3"),
        (ARCHIVE, f"{ARCHIVE}#europe-west1", FlowKind.REPLICATION, "europe-west1"),
        (ARCHIVE, f"{ARCHIVE}#europe-west4", FlowKind.REPLICATION, "europe-west4"),
        ("scaleway:fr-par/11111111-2222-4333-8444-555555555555",
         "scaleway:nl-ams/66666666-7777-4888-9999-000000000000", FlowKind.REPLICA, "nl-ams"),
    }
    evidence = {f.evidence for f in state_items if isinstance(f, Flow)}
    assert "aws_s3_bucket_replication_configuration.rule.destination.bucket" in evidence


def test_state_keys(state_items: list[Item]) -> None:
    res = _resources(state_items)
    keys = {rid: r.key for rid, r in res.items() if r.key is not None}
    assert keys == {
        # the separate encryption resource overrides the inline AES256 block
        "arn:aws:s3:::acme-phi-records": KeyRef(KeyControl.CUSTOMER, PHI_KEY),
        "arn:aws:rds:eu-west-3:111122223333:db:acme-main": KeyRef(KeyControl.CUSTOMER, PHI_KEY),
        "arn:aws:rds:eu-central-1:111122223333:db:acme-main-replica-0": KeyRef(KeyControl.PROVIDER),
        "arn:aws:dynamodb:eu-west-3:111122223333:table/sessions": KeyRef(KeyControl.PROVIDER),
        RECORDS: KeyRef(KeyControl.CUSTOMER, "https://kv-acme.vault.azure.net/keys/records/0123456789abcdef"),
        LOGS: KeyRef(KeyControl.PROVIDER),
        SQL: KeyRef(KeyControl.CUSTOMER, "https://kv-acme.vault.azure.net/keys/sql-tde/0123456789abcdef"),
        ARCHIVE: KeyRef(KeyControl.CUSTOMER, "projects/acme-prod/locations/eu/keyRings/kr/cryptoKeys/archive"),
        "//bigquery.googleapis.com/projects/acme-prod/datasets/analytics": KeyRef(KeyControl.PROVIDER),
        "//sqladmin.googleapis.com/projects/acme-prod/instances/pg-replica":
            KeyRef(KeyControl.CUSTOMER, "projects/acme-prod/locations/europe-west3/keyRings/kr/cryptoKeys/sql"),
    }
    controls = {rid: r.attributes["key_control"] for rid, r in res.items() if "key_control" in r.attributes}
    assert controls == {
        PHI_KEY: "customer-managed",
        # custom key store of type EXTERNAL_KEY_STORE, resolved across records
        "arn:aws:kms:eu-west-3:111122223333:key/5678efgh-12ab-34cd-56ef-1234567890ab": "customer-external",
        "//cloudkms.googleapis.com/projects/acme-prod/locations/europe-west3/keyRings/kr/cryptoKeys/ekm":
            "customer-external",
    }


def test_state_details(state_items: list[Item]) -> None:
    res = _resources(state_items)
    rds = res["arn:aws:rds:eu-west-3:111122223333:db:acme-main"]
    assert (rds.name, rds.account, rds.tags) == ("acme-main", "111122223333", {"DataClassification": "PHI"})
    assert (rds.tf_address, rds.attributes) == ("module.db.aws_db_instance.main", {"partition": "aws"})
    assert res["arn:aws:rds:eu-central-1:111122223333:db:acme-main-replica-0"].tf_address == \
        "module.db.aws_db_instance.replica[0]"
    assert res[LOGS].tf_address == 'azurerm_storage_account.records["logs"]'
    assert res[LOGS].attributes == {"geo_pair_needed": True}
    assert "geo_pair_needed" not in res[RECORDS].attributes
    assert res[SQL].raw_region == "West Europe"
    bucket = res["arn:aws:s3:::acme-phi-records"]
    assert bucket.tags == {"DataClassification": "PHI", "owner": "platform"}  # tags_all includes default tags
    assert res[ARCHIVE].tags == {"data-class": "health", "goog-terraform-provisioned": "true"}
    assert res["outscale:i-1a2b3c4d"].tags == {"Name": "app"}
    assert res["ovhcloud:5f0e2a9c-kube"].raw_region == "GRA11"
    assert all(r.source == "state_v4.tfstate" for r in res.values())


def test_state_gaps(state_items: list[Item]) -> None:
    gaps = {(g.reason, g.message) for g in state_items if isinstance(g, Gap)}
    assert gaps == {
        ("skipped", "1 data source instance(s) skipped: they read resources that are managed elsewhere"),
        ("unsupported", "2 resource instance(s) of unsupported Terraform provider "
                        "registry.terraform.io/integrations/github skipped"),
        ("skipped", "1 resource instance(s) of utility provider registry.terraform.io/hashicorp/random "
                    "skipped: they are not cloud resources"),
        ("folded", "9 resource instance(s) that only configure another resource were folded into it: "
                   "aws_iam_role_policy_attachment (1), aws_s3_bucket_replication_configuration (1), "
                   "aws_s3_bucket_server_side_encryption_configuration (1), azurerm_mssql_failover_group (1), "
                   "azurerm_mssql_server_transparent_data_encryption (1), "
                   "azurerm_storage_account_customer_managed_key (1), azurerm_virtual_network_peering (1), "
                   "google_compute_network_peering (1), ovh_cloud_project_database_user (1)"),
    }


def test_no_secret_leaves_any_format(state_items: list[Item]) -> None:
    text = repr(state_items) + repr(_read(SHOW, _inp("show_state.json"))) + repr(_read(PLAN, _inp("show_plan.json")))
    leaked = [s for s in SECRETS if s in text]
    assert leaked == []
    # and the fixtures really hold them, so the check above means something
    raw = b"".join((FIXTURES / n).read_bytes() for n in ("state_v4.tfstate", "show_state.json", "show_plan.json"))
    assert [s for s in SECRETS if s.encode() not in raw] == []


def test_sensitive_attribute_is_dropped_even_when_it_is_a_known_field(tmp_path: Path) -> None:
    doc = orjson.loads((FIXTURES / "state_v4.tfstate").read_bytes())
    bucket = next(r for r in doc["resources"] if r["type"] == "aws_s3_bucket" and r["name"] == "phi")
    bucket["instances"][0]["sensitive_attributes"] = [[{"type": "get_attr", "value": "tags_all"}],
                                                      [{"type": "get_attr", "value": "tags"}]]
    items = _read(STATE, _inp("marked.tfstate", tmp_path, orjson.dumps(doc)))
    assert _resources(items)["arn:aws:s3:::acme-phi-records"].tags == {}


def test_state_streams_large_files_with_same_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    state_items: list[Item]) -> None:
    monkeypatch.setattr(InputFile, "is_large", lambda self: True)
    data = gzip.compress((FIXTURES / "state_v4.tfstate").read_bytes())
    streamed = _read(STATE, _inp("state.tfstate.gz", tmp_path, data))
    renamed = sorted(repr(i).replace("state.tfstate.gz", "state_v4.tfstate") for i in streamed)
    assert renamed == sorted(map(repr, state_items))


# --------------------------------------------------------------------------- show -json


def test_show_json_state() -> None:
    items = _read(SHOW, _inp("show_state.json"))
    data = f"{SUB}/rg-data/providers/microsoft.storage/storageaccounts/acmedata"
    res = _resources(items)
    assert {(r.id, r.region, r.tf_address) for r in res.values()} == {
        ("arn:aws:s3:::acme-phi-records", "eu-west-3", "aws_s3_bucket.phi"),
        (data, "germanywestcentral", "module.data.azurerm_storage_account.main"),
        ("//sqladmin.googleapis.com/projects/acme-prod/instances/pg-main", "europe-west9",
         'module.data.module.sql["fr"].google_sql_database_instance.main'),
        ("scaleway:nl-ams/acme-exports", "nl-ams", 'module.data.module.sql["fr"].scaleway_object_bucket.exports[0]'),
    }
    assert res["arn:aws:s3:::acme-phi-records"].key == KeyRef(KeyControl.PROVIDER)  # alias/aws/s3
    assert _flows(items) == {
        ("arn:aws:s3:::acme-phi-records", "arn:aws:s3:::acme-phi-dr", FlowKind.REPLICATION, None),
        (data, f"{data}#secondary", FlowKind.REPLICATION, "germanynorth"),
    }
    assert [(g.reason, g.message) for g in items if isinstance(g, Gap)] == [
        ("skipped", "1 data source instance(s) skipped: they read resources that are managed elsewhere")]


def test_show_json_plan() -> None:
    items = _read(PLAN, _inp("show_plan.json"))
    res = _resources(items)
    got = {(r.id, r.region, r.raw_region, r.attributes["plan_action"]) for r in res.values()}
    assert got == {
        # region from the aliased provider, whose region is the variable dr_region
        ("arn:aws:s3:::acme-phi-new", "us-west-2", "us-west-2", "create"),
        ("arn:aws:rds:eu-west-3:111122223333:db:acme-main", "eu-west-3", "eu-west-3", "update"),
        (PHI_KEY, "eu-west-3", "eu-west-3", "no-op"),
        # in a module called with count, resolved through the configuration's module calls
        ("tf:module.app[0].aws_instance.web", "eu-west-3", "eu-west-3", "replace"),
    }
    assert res["arn:aws:s3:::acme-phi-new"].tags == {"DataClassification": "PHI"}
    gaps = {(g.reason, g.message) for g in items if isinstance(g, Gap)}
    assert gaps == {
        ("skipped", "1 data source instance(s) skipped: they read resources that are managed elsewhere"),
        ("skipped", "1 resource instance(s) of utility provider registry.terraform.io/hashicorp/random "
                    "skipped: they are not cloud resources"),
        ("skipped", "1 resource instance(s) that the plan deletes or forgets were not assessed"),
    }
    assert "arn:aws:s3:::acme-legacy" not in res


def test_show_json_plan_streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _read(PLAN, _inp("show_plan.json"))
    monkeypatch.setattr(InputFile, "is_large", lambda self: True)
    assert sorted(map(repr, _read(PLAN, _inp("show_plan.json")))) == sorted(map(repr, whole))


def test_show_json_state_streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _read(SHOW, _inp("show_state.json"))
    monkeypatch.setattr(InputFile, "is_large", lambda self: True)
    assert sorted(map(repr, _read(SHOW, _inp("show_state.json")))) == sorted(map(repr, whole))


# --------------------------------------------------------------------------- bad files


def _error(fmt: str, inp: InputFile) -> InventoryFormatError:
    with pytest.raises(InventoryFormatError) as info:
        _read(fmt, inp)
    return info.value


def test_encrypted_state_is_refused_with_instructions() -> None:
    err = _error(STATE, _inp("encrypted.tfstate"))
    assert err.path == "encrypted.tfstate"
    assert "encrypted" in err.message
    assert err.hint is not None and "tofu show -json > state.json" in err.hint


def test_v3_state_is_refused_with_instructions() -> None:
    err = _error(STATE, _inp("state_v3.tfstate"))
    assert "version 3" in err.message
    assert err.hint is not None and "terraform show -json" in err.hint


def test_truncated_state(monkeypatch: pytest.MonkeyPatch) -> None:
    err = _error(STATE, _inp("truncated.tfstate"))
    assert (err.path, err.message) == ("truncated.tfstate", "truncated JSON")
    assert err.position is not None and ":" in err.position
    monkeypatch.setattr(InputFile, "is_large", lambda self: True)
    streamed = _error(STATE, _inp("truncated.tfstate"))
    assert streamed.message == "truncated JSON" and streamed.position is not None
    assert streamed.position.startswith("byte ")


def test_unknown_show_json_major_version(tmp_path: Path) -> None:
    doc = {"format_version": "2.0", "terraform_version": "9.0.0", "values": {"root_module": {}}}
    err = _error(SHOW, _inp("future.json", tmp_path, orjson.dumps(doc)))
    assert "format_version '2.0'" in err.message


def test_malformed_records_are_counted_not_fatal(tmp_path: Path) -> None:
    doc = {"version": 4, "terraform_version": "1.9.8", "serial": 1, "lineage": "x", "resources": [
        "not an object",
        {"mode": "managed", "type": "aws_s3_bucket", "name": "a",
         "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
         "instances": [{"attributes": {"bucket": "ok-bucket", "region": "eu-west-1"}}, 42,
                       {"attributes": None}]},
    ]}
    items = _read(STATE, _inp("odd.tfstate", tmp_path, orjson.dumps(doc)))
    assert set(_resources(items)) == {"arn:aws:s3:::ok-bucket"}
    assert [(g.reason, g.message) for g in items if isinstance(g, Gap)] == [
        ("bad-record", "3 resource record(s) of an unexpected shape skipped")]


def test_not_an_object(tmp_path: Path) -> None:
    err = _error(STATE, _inp("list.tfstate", tmp_path, b"[1, 2]"))
    assert "not an object" in err.message


def test_formats_are_exported() -> None:
    assert [f.name for f in files.FORMATS] == ["terraform-state", "terraform-show-json"]
    assert all(f.provider == "multi" for f in files.FORMATS)


# --------------------------------------------------------------------------- older show -json, short names


@pytest.mark.parametrize(("version", "ok"), [("0.1", True), ("0.2", True), ("1.0", True), ("1.2", True),
                                             ("0.3", False), ("2.0", False), (None, False)])
def test_show_json_format_versions(tmp_path: Path, version: object, ok: bool) -> None:
    doc = {"format_version": version, "terraform_version": "0.12.31", "values": {"root_module": {"resources": [
        {"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "name": "b",
         "provider_name": "aws", "values": {"bucket": "b", "region": "eu-west-3"}}]}}}
    inp = _inp("show.json", tmp_path, orjson.dumps(doc))
    if ok:
        assert [r.id for r in _read(SHOW, inp) if isinstance(r, Resource)] == ["arn:aws:s3:::b"]
    else:
        with pytest.raises(InventoryFormatError, match="format_version"):
            _read(SHOW, inp)


def test_terraform_012_provider_names_without_a_namespace() -> None:
    from providers.terraform.mapping import provider_source

    # show-json 0.1 writes the bare type; states of that time wrote provider.<type>
    assert [provider_id(provider_source(n)) for n in ("aws", "google", "azurerm", "google-beta")] == \
        ["aws", "gcp", "azure", "gcp"]
    # third-party providers went by their type name before namespaces existed
    assert [provider_id(provider_source(n)) for n in ("provider.scaleway", "ovh", "provider.hcloud", "outscale")] == \
        ["scaleway", "ovhcloud", "hetzner", "outscale"]
    assert provider_id(provider_source("random")) is None


def test_plan_modules_use_their_callers_provider_region(tmp_path: Path) -> None:
    doc = {"format_version": "0.1", "terraform_version": "0.12.29",
           "resource_changes": [{"address": "module.db.aws_db_snapshot.s", "module_address": "module.db",
                                 "mode": "managed", "type": "aws_db_snapshot", "name": "s", "provider_name": "aws",
                                 "change": {"actions": ["create"], "before": None,
                                            "after": {"db_snapshot_identifier": "paie-1"}}}],
           "configuration": {"provider_config": {"aws": {"name": "aws", "expressions": {
               "region": {"constant_value": "eu-west-3"}}}},
               "root_module": {"module_calls": {"db": {"module": {"resources": [
                   {"address": "aws_db_snapshot.s", "mode": "managed", "type": "aws_db_snapshot", "name": "s",
                    "provider_config_key": "db:aws"}]}}}}}}
    (res,) = [r for r in _read(PLAN, _inp("plan.json", tmp_path, orjson.dumps(doc))) if isinstance(r, Resource)]
    assert (res.name, res.region, res.tf_address) == ("paie-1", "eu-west-3", "module.db.aws_db_snapshot.s")


def test_aws_keys_replicas_and_ids_without_an_arn(tmp_path: Path) -> None:
    aws = 'provider["registry.terraform.io/hashicorp/aws"]'
    kms = "arn:aws:kms:eu-west-3:111122223333:key/"
    rds = "arn:aws:rds:{}:111122223333:cluster:{}"

    def instance(typ: str, name: str, attributes: dict[str, object]) -> dict[str, object]:
        return {"mode": "managed", "type": typ, "name": name, "provider": aws,
                "instances": [{"schema_version": 0, "attributes": attributes, "sensitive_attributes": []}]}

    doc = {"version": 4, "terraform_version": "1.9.8", "serial": 1, "lineage": "l", "outputs": {}, "resources": [
        # An XKS key is external even when it names a custom key store; imported key material is the customer's.
        instance("aws_kms_key", "xks", {"arn": kms + "xks", "id": "xks", "xks_key_id": "ext-1",
                                        "custom_key_store_id": "cks-1", "kms_key_id": kms + "other"}),
        instance("aws_kms_external_key", "byok", {"arn": kms + "byok", "id": "byok", "kms_key_id": kms + "other"}),
        instance("aws_rds_cluster", "dr", {"arn": rds.format("eu-central-1", "dr"), "id": "dr",
                                           "kms_key_id": kms + "dr",
                                           "replication_source_identifier": rds.format("eu-west-3", "main")}),
        instance("aws_rds_cluster", "main", {"arn": rds.format("eu-west-3", "main"), "id": "main",
                                             "replication_source_identifier": ""}),
        # Without an ARN: an id built from the account, the availability zone's region and the native id.
        instance("aws_db_snapshot", "snap", {"id": "snap-1", "availability_zone": "eu-west-3a",
                                             "owner_id": "111122223333"}),
        instance("aws_instance", "anon", {}),
        # An ARN without a region names a global service.
        instance("aws_iam_policy", "p", {"arn": "arn:aws:iam::111122223333:policy/p", "id": "p"}),
    ]}
    items = _read(STATE, _inp("aws.tfstate", tmp_path, orjson.dumps(doc)))
    found = {(r.id, r.region, r.account, r.key, tuple(sorted(r.attributes.items())))
             for r in items if isinstance(r, Resource)}
    assert found == {
        (kms + "xks", "eu-west-3", "111122223333", None, (("key_control", "customer-external"), ("partition", "aws"))),
        (kms + "byok", "eu-west-3", "111122223333", None, (("key_control", "customer-managed"), ("partition", "aws"))),
        (rds.format("eu-central-1", "dr"), "eu-central-1", "111122223333", KeyRef(KeyControl.CUSTOMER, kms + "dr"),
         (("partition", "aws"),)),
        (rds.format("eu-west-3", "main"), "eu-west-3", "111122223333", None, (("partition", "aws"),)),
        ("aws:111122223333:eu-west-3:aws_db_snapshot:snap-1", "eu-west-3", "111122223333", None, ()),
        ("tf:aws_instance.anon", None, None, None, ()),
        ("arn:aws:iam::111122223333:policy/p", "global", "111122223333", None, (("partition", "aws"),)),
    }
    assert _flows(items) == {(rds.format("eu-west-3", "main"), rds.format("eu-central-1", "dr"), FlowKind.REPLICA,
                              "eu-central-1")}
