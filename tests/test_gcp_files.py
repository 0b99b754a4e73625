"""The Google Cloud offline formats: sniffing, full item output, relations and bad input."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from providers.base import FileFormat, InputFile, InventoryFormatError, peek_shape
from providers.gcp.files import FORMATS
from providers.gcp.normalize import (
    ProjectIds,
    SkipRecord,
    asset_items,
    canonical_name,
    kms_key_id,
    settle_accounts,
)
from scanner.model import Account, Flow, FlowKind, Gap, Item, KeyControl, KeyRef, Resource

FIXTURES = Path(__file__).parent / "fixtures" / "gcp"
BY_NAME = {fmt.name: fmt for fmt in FORMATS}
EXPORT, LIST, SEARCH = "gcp-asset-export", "gcp-asset-list", "gcp-asset-search"

KMS = "//cloudkms.googleapis.com/projects/"
BUCKETS = "//storage.googleapis.com/projects/_/buckets/"
SQL = "//sqladmin.googleapis.com/projects/excare-prod/instances/"
PROVIDER_KEY = KeyRef(KeyControl.PROVIDER)


def _inp(name: str) -> InputFile:
    return InputFile(FIXTURES / name, name)


def _read(fmt: str, name: str) -> list[Item]:
    return list(BY_NAME[fmt].read(_inp(name)))


def _sorted(items: Iterable[Item]) -> list[Item]:
    return sorted(items, key=repr)


def _flows(items: Iterable[Item]) -> set[tuple[str, str, FlowKind, str | None]]:
    return {(f.source, f.target, f.kind, f.target_region) for f in items if isinstance(f, Flow)}


def _res(
    rid: str,
    native_type: str,
    name: str,
    region: str | None,
    raw: str | None,
    source: str,
    *,
    account: str | None = "excare-prod",
    tags: dict[str, str] | None = None,
    key: KeyRef | None = None,
    size_gb: float | None = None,
    attributes: dict[str, Any] | None = None,
) -> Resource:
    return Resource(
        id=rid,
        provider="gcp",
        native_type=native_type,
        name=name,
        account=account,
        region=region,
        raw_region=raw,
        tags=tags or {},
        key=key,
        size_gb=size_gb,
        source=source,
        attributes=attributes or {},
    )


def _cmek(path: str) -> KeyRef:
    return KeyRef(KeyControl.CUSTOMER, KMS + path)


# --------------------------------------------------------------------------- sniffing

SNIFF_EXPECTED = {
    "cai-export.ndjson": {EXPORT},
    "cai-export-camel.ndjson": {EXPORT},
    "cai-export-truncated.ndjson": {EXPORT},
    "cai-export-bad-line.ndjson": {EXPORT},
    "cai-list.json.gz": {LIST},
    "search.json": {SEARCH},
    "search-rest.json": {SEARCH},
    "unknown.json": set(),
    "empty.json": set(),
}


def test_every_fixture_is_in_the_sniff_table() -> None:
    assert {p.name for p in FIXTURES.iterdir()} == set(SNIFF_EXPECTED)


@pytest.mark.parametrize(("fixture", "expected"), sorted(SNIFF_EXPECTED.items()))
def test_sniff_accepts_its_own_fixture_and_rejects_the_others(fixture: str, expected: set[str]) -> None:
    shape = peek_shape(_inp(fixture).head())
    assert {fmt.name for fmt in FORMATS if fmt.sniff(shape)} == expected


def test_formats_are_declared_for_gcp() -> None:
    assert [(fmt.name, fmt.provider) for fmt in FORMATS] == [(EXPORT, "gcp"), (LIST, "gcp"), (SEARCH, "gcp")]
    assert all(isinstance(fmt, FileFormat) and fmt.description for fmt in FORMATS)


def test_sniff_rejects_other_clouds_exports() -> None:
    others = [
        b'{"fileVersion":"1.0","configSnapshotId":"x","configurationItems":[{"resourceType":"AWS::S3::Bucket"}]}',
        b'[{"id":"/subscriptions/0b1f/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a",'
        b'"type":"Microsoft.Storage/storageAccounts","name":"a","location":"westeurope"}]',
        b'{"version":4,"terraform_version":"1.9.0","lineage":"x","serial":3,"resources":[]}',
        b'{"name":"not-a-full-name","asset_type":"storage.googleapis.com/Bucket","resource":{}}\n'
        b'{"name":"x","asset_type":"y"}\n',
    ]
    for head in others:
        shape = peek_shape(head)
        assert [fmt.name for fmt in FORMATS if fmt.sniff(shape)] == [], head


# --------------------------------------------------------------------------- gcloud asset export


def test_export_items_in_full() -> None:
    src = "cai-export.ndjson"
    sql_key = _cmek("excare-prod/locations/europe-west9/keyRings/phi/cryptoKeys/sql")
    bq_key = _cmek("excare-prod/locations/europe/keyRings/ekm/cryptoKeys/bq")
    phi_bucket = BUCKETS + "excare-phi-records"
    sinks = "//logging.googleapis.com/projects/excare-prod/sinks/"
    expected: list[Item] = [
        Account("excare-prod", "gcp", "Excare Production", "folders/583920174655", src),
        Account("excare-shared", "gcp", "Excare Shared Services", "folders/583920174655", src),
        _res(
            phi_bucket,
            "storage.googleapis.com/Bucket",
            "excare-phi-records",
            "eu",
            "EU",
            src,
            tags={"data-class": "phi", "env": "prod"},
            key=_cmek("excare-prod/locations/eu/keyRings/phi/cryptoKeys/gcs"),
            attributes={"location_type": "dual-region"},
        ),
        _res(
            BUCKETS + "excare-web-assets",
            "storage.googleapis.com/Bucket",
            "excare-web-assets",
            "eu",
            "EU",
            src,
            tags={"env": "prod"},
            key=PROVIDER_KEY,
            attributes={"location_type": "multi-region"},
        ),
        _res(
            BUCKETS + "excare-audit-logs",
            "storage.googleapis.com/Bucket",
            "excare-audit-logs",
            "europe-west1",
            "EUROPE-WEST1",
            src,
            account="excare-shared",
            key=PROVIDER_KEY,
            attributes={"location_type": "region"},
        ),
        _res(
            "//bigquery.googleapis.com/projects/excare-prod/datasets/patients",
            "bigquery.googleapis.com/Dataset",
            "patients",
            "eu",
            "EU",
            src,
            tags={"data-class": "phi"},
            key=bq_key,
        ),
        _res(
            SQL + "patients-db",
            "sqladmin.googleapis.com/Instance",
            "patients-db",
            "europe-west9",
            "europe-west9",
            src,
            tags={"data-class": "phi", "app": "dossier-patient"},
            key=sql_key,
            size_gb=100.0,
            attributes={"database_version": "POSTGRES_15", "status": "RUNNABLE"},
        ),
        _res(
            SQL + "patients-db-replica-us",
            "sqladmin.googleapis.com/Instance",
            "patients-db-replica-us",
            "us-east1",
            "us-east1",
            src,
            tags={"data-class": "phi"},
            key=PROVIDER_KEY,
            size_gb=100.0,
            attributes={"database_version": "POSTGRES_15", "status": "RUNNABLE"},
        ),
        _res(
            sql_key.key_id or "",
            "cloudkms.googleapis.com/CryptoKey",
            "sql",
            "europe-west9",
            "europe-west9",
            src,
            attributes={"protection_level": "HSM", "key_control": "customer-managed"},
        ),
        _res(
            bq_key.key_id or "",
            "cloudkms.googleapis.com/CryptoKey",
            "bq",
            "europe",
            "europe",
            src,
            attributes={"protection_level": "EXTERNAL_VPC", "key_control": "customer-external"},
        ),
        _res(
            "//compute.googleapis.com/projects/excare-prod/zones/europe-west9-a/disks/pacs-data",
            "compute.googleapis.com/Disk",
            "pacs-data",
            "europe-west9",
            "europe-west9-a",
            src,
            tags={"app": "pacs"},
            key=sql_key,
            size_gb=200.0,
            attributes={"status": "READY"},
        ),
        _res(
            "//compute.googleapis.com/projects/excare-prod/zones/europe-west9-b/instances/pacs-1",
            "compute.googleapis.com/Instance",
            "pacs-1",
            "europe-west9",
            "europe-west9-b",
            src,
            tags={"app": "pacs"},
            attributes={"status": "RUNNING"},
        ),
        _res(
            "//compute.googleapis.com/projects/excare-prod/global/networks/prod-vpc",
            "compute.googleapis.com/Network",
            "prod-vpc",
            "global",
            "global",
            src,
        ),
        _res(
            sinks + "audit-to-gcs", "logging.googleapis.com/LogSink", "audit-to-gcs", "global", "global", src
        ),
        _res(
            sinks + "all-to-central",
            "logging.googleapis.com/LogSink",
            "all-to-central",
            "global",
            "global",
            src,
        ),
        _res(
            "//compute.googleapis.com/projects/excare-prod/global/forwardingRules/web-lb",
            "compute.googleapis.com/GlobalForwardingRule",
            "web-lb",
            "global",
            "global",
            src,
        ),
        _res(
            "//dns.googleapis.com/projects/excare-prod/managedZones/excare-fr",
            "dns.googleapis.com/ManagedZone",
            "excare-fr",
            "global",
            "global",
            src,
        ),
        _res(
            "//cloudresourcemanager.googleapis.com/projects/excare-prod",
            "cloudresourcemanager.googleapis.com/Project",
            "Excare Production",
            "global",
            "global",
            src,
            tags={"env": "prod"},
            attributes={"status": "ACTIVE"},
        ),
        _res(
            "//cloudresourcemanager.googleapis.com/projects/excare-shared",
            "cloudresourcemanager.googleapis.com/Project",
            "Excare Shared Services",
            "global",
            "global",
            src,
            account="excare-shared",
            attributes={"status": "ACTIVE"},
        ),
        _res(
            "//spanner.googleapis.com/projects/excare-prod/instances/appointments",
            "spanner.googleapis.com/Instance",
            "Appointments",
            "eur3",
            "eur3",
            src,
            attributes={"status": "READY"},
        ),
        _res(
            "//firestore.googleapis.com/projects/excare-prod/databases/(default)",
            "firestore.googleapis.com/Database",
            "(default)",
            "eur3",
            "eur3",
            src,
        ),
        Flow(
            phi_bucket,
            phi_bucket + "#europe-west9",
            FlowKind.REPLICATION,
            "resource.data.customPlacementConfig.dataLocations",
            "gcp",
            "europe-west9",
        ),
        Flow(
            phi_bucket,
            phi_bucket + "#europe-west4",
            FlowKind.REPLICATION,
            "resource.data.customPlacementConfig.dataLocations",
            "gcp",
            "europe-west4",
        ),
        Flow(
            SQL + "patients-db",
            SQL + "patients-db-replica-us",
            FlowKind.REPLICA,
            "resource.data.replicaNames",
        ),
        Flow(
            SQL + "patients-db",
            SQL + "patients-db#backup",
            FlowKind.BACKUP,
            "resource.data.settings.backupConfiguration.location",
            "gcp",
            "eu",
        ),
        Flow(
            SQL + "patients-db",
            SQL + "patients-db-replica-us",
            FlowKind.REPLICA,
            "resource.data.masterInstanceName",
            "gcp",
            "us-east1",
        ),
        Flow(
            "//compute.googleapis.com/projects/excare-prod/global/networks/prod-vpc",
            "//compute.googleapis.com/projects/partner-lab-eu/global/networks/shared-vpc",
            FlowKind.PEERING,
            "resource.data.peerings[].network",
        ),
        Flow(
            sinks + "audit-to-gcs", BUCKETS + "excare-audit-logs", FlowKind.LOGS, "resource.data.destination"
        ),
        Flow(
            sinks + "all-to-central",
            "//logging.googleapis.com/projects/excare-shared/locations/europe-west1/buckets/central",
            FlowKind.LOGS,
            "resource.data.destination",
            "gcp",
            "europe-west1",
        ),
        Gap(
            src,
            "1 line skipped: policy content, not resource content (export with --content-type=resource) "
            "(first at line 19)",
            "skipped",
        ),
    ]
    assert _sorted(_read(EXPORT, src)) == _sorted(expected)


def test_export_flows_as_tuples() -> None:
    phi = BUCKETS + "excare-phi-records"
    assert _flows(_read(EXPORT, "cai-export.ndjson")) == {
        (phi, phi + "#europe-west9", FlowKind.REPLICATION, "europe-west9"),
        (phi, phi + "#europe-west4", FlowKind.REPLICATION, "europe-west4"),
        (SQL + "patients-db", SQL + "patients-db-replica-us", FlowKind.REPLICA, None),
        (SQL + "patients-db", SQL + "patients-db-replica-us", FlowKind.REPLICA, "us-east1"),
        (SQL + "patients-db", SQL + "patients-db#backup", FlowKind.BACKUP, "eu"),
        (
            "//compute.googleapis.com/projects/excare-prod/global/networks/prod-vpc",
            "//compute.googleapis.com/projects/partner-lab-eu/global/networks/shared-vpc",
            FlowKind.PEERING,
            None,
        ),
        (
            "//logging.googleapis.com/projects/excare-prod/sinks/audit-to-gcs",
            BUCKETS + "excare-audit-logs",
            FlowKind.LOGS,
            None,
        ),
        (
            "//logging.googleapis.com/projects/excare-prod/sinks/all-to-central",
            "//logging.googleapis.com/projects/excare-shared/locations/europe-west1/buckets/central",
            FlowKind.LOGS,
            "europe-west1",
        ),
    }


def test_camel_case_export_and_late_project_asset() -> None:
    src = "cai-export-camel.ndjson"
    expected: list[Item] = [
        Account("excare-lab", "gcp", "Excare Lab", "organizations/905512347788", src),
        # The bucket comes before the Project asset and names no project id: it is held back until
        # the Project line teaches 555000111222 → excare-lab.
        _res(
            BUCKETS + "excare-lab-scratch",
            "storage.googleapis.com/Bucket",
            "excare-lab-scratch",
            "us-central1",
            "US-CENTRAL1",
            src,
            account="excare-lab",
            key=PROVIDER_KEY,
            attributes={"location_type": "region"},
        ),
        _res(
            "//cloudresourcemanager.googleapis.com/projects/excare-lab",
            "cloudresourcemanager.googleapis.com/Project",
            "Excare Lab",
            "global",
            "global",
            src,
            account="excare-lab",
            attributes={"status": "ACTIVE"},
        ),
        _res(
            "//pubsub.googleapis.com/projects/excare-lab/topics/lab-results",
            "pubsub.googleapis.com/Topic",
            "lab-results",
            "global",
            "global",
            src,
            account="excare-lab",
            tags={"data-class": "phi"},
            key=_cmek("excare-lab/locations/europe-west1/keyRings/lab/cryptoKeys/pubsub"),
            attributes={"allowed_regions": ["europe-west1", "europe-west4"]},
        ),
        # Names and types only (no --content-type): the location comes from the name.
        _res(
            "//compute.googleapis.com/projects/excare-lab/zones/us-central1-c/instances/old-worker",
            "compute.googleapis.com/Instance",
            "old-worker",
            "us-central1",
            "us-central1-c",
            src,
            account="excare-lab",
        ),
    ]
    assert _sorted(_read(EXPORT, src)) == _sorted(expected)


def test_export_of_one_pretty_printed_asset(tmp_path: Path) -> None:
    line = (FIXTURES / "cai-export.ndjson").read_text().splitlines()[2]
    path = tmp_path / "one.json"
    path.write_text(json.dumps(json.loads(line), indent=2))
    inp = InputFile(path, "one.json")
    assert [f.name for f in FORMATS if f.sniff(peek_shape(inp.head()))] == [EXPORT]
    items = list(BY_NAME[EXPORT].read(inp))
    assert [(type(i).__name__, getattr(i, "id", None), getattr(i, "account", None)) for i in items] == [
        ("Resource", "//bigquery.googleapis.com/projects/excare-prod/datasets/patients", "excare-prod")
    ]


def test_export_skips_deleted_and_odd_lines_with_counts(tmp_path: Path) -> None:
    good = (FIXTURES / "cai-export.ndjson").read_text().splitlines()[1]
    deleted = {"asset": json.loads(good), "window": {"startTime": "2026-11-01T00:00:00Z"}, "deleted": True}
    path = tmp_path / "history.ndjson"
    path.write_text("\n".join([good, json.dumps(deleted), "[1, 2]", json.dumps(deleted), ""]))
    items = list(BY_NAME[EXPORT].read(InputFile(path, "history.ndjson")))
    assert [i for i in items if isinstance(i, Gap)] == [
        Gap("history.ndjson", "2 lines skipped: deleted asset (first at line 2)", "skipped"),
        Gap("history.ndjson", "1 line skipped: not a JSON object (first at line 3)", "skipped"),
    ]
    # Without a Project asset or a project id anywhere, the account stays the project number.
    assert [(i.id, i.account) for i in items if isinstance(i, Resource)] == [
        (BUCKETS + "excare-web-assets", "projects/310987654321")
    ]


# --------------------------------------------------------------------------- gcloud asset list


def test_asset_list_gzip_items_in_full() -> None:
    src = "cai-list.json.gz"
    acct = "excare-research"
    expected: list[Item] = [
        Account(acct, "gcp", "Excare Research", "folders/583920174655", src),
        _res(
            "//cloudresourcemanager.googleapis.com/projects/excare-research",
            "cloudresourcemanager.googleapis.com/Project",
            "Excare Research",
            "global",
            "global",
            src,
            account=acct,
            tags={"team": "research"},
            attributes={"status": "ACTIVE"},
        ),
        _res(
            "//compute.googleapis.com/projects/excare-research/zones/asia-southeast1-b/disks/genomics-scratch",
            "compute.googleapis.com/Disk",
            "genomics-scratch",
            "asia-southeast1",
            "asia-southeast1-b",
            src,
            account=acct,
            key=KeyRef(KeyControl.EXTERNAL),
            size_gb=500.0,
            attributes={"status": "READY"},
        ),
        _res(
            KMS + "excare-research/locations/global/keyRings/research/cryptoKeys/default",
            "cloudkms.googleapis.com/CryptoKey",
            "default",
            "global",
            "global",
            src,
            account=acct,
            attributes={"protection_level": "SOFTWARE", "key_control": "customer-managed"},
        ),
        _res(
            "//bigquery.googleapis.com/projects/excare-research/datasets/cohorts/tables/variants",
            "bigquery.googleapis.com/Table",
            "variants",
            "asia-southeast1",
            "asia-southeast1",
            src,
            account=acct,
            key=_cmek("excare-research/locations/asia-southeast1/keyRings/research/cryptoKeys/bq"),
            size_gb=50.0,
        ),
    ]
    assert _sorted(_read(LIST, src)) == _sorted(expected)


def test_asset_list_rest_page_with_token_is_truncated(tmp_path: Path) -> None:
    with gzip.open(FIXTURES / "cai-list.json.gz", "rt") as fh:
        assets = json.load(fh)
    path = tmp_path / "list-page.json"
    path.write_text(
        json.dumps({"readTime": "2026-11-29T10:00:00Z", "assets": assets[1:2], "nextPageToken": "abc"})
    )
    inp = InputFile(path, "list-page.json")
    assert [f.name for f in FORMATS if f.sniff(peek_shape(inp.head()))] == [LIST]
    items = list(BY_NAME[LIST].read(inp))
    assert [type(i).__name__ for i in items] == ["Resource", "Gap"]
    assert isinstance(items[1], Gap) and items[1].reason == "truncated"
    # No Project asset in this page: the disk's name carries the project id.
    assert isinstance(items[0], Resource) and items[0].account == "excare-research"


# --------------------------------------------------------------------------- search-all-resources


def test_search_items_in_full() -> None:
    src = "search.json"
    expected: list[Item] = [
        Account("excare-prod", "gcp", "Excare Production", "folders/583920174655", src),
        _res(
            "//cloudresourcemanager.googleapis.com/projects/excare-prod",
            "cloudresourcemanager.googleapis.com/Project",
            "Excare Production",
            "global",
            "global",
            src,
            attributes={"status": "ACTIVE"},
        ),
        _res(
            BUCKETS + "excare-phi-records",
            "storage.googleapis.com/Bucket",
            "excare-phi-records",
            "eu",
            "eu",
            src,
            tags={"data-class": "phi", "env": "prod"},
            key=_cmek("excare-prod/locations/eu/keyRings/phi/cryptoKeys/gcs"),
        ),
        _res(
            "//bigquery.googleapis.com/projects/excare-prod/datasets/patients",
            "bigquery.googleapis.com/Dataset",
            "patients",
            "eu",
            "eu",
            src,
            tags={"data-class": "phi"},
            key=_cmek("excare-prod/locations/europe/keyRings/ekm/cryptoKeys/bq"),
        ),
        _res(
            "//compute.googleapis.com/projects/excare-prod/zones/europe-west9-b/instances/pacs-1",
            "compute.googleapis.com/Instance",
            "pacs-1",
            "europe-west9",
            "europe-west9-b",
            src,
            tags={"app": "pacs"},
            attributes={"status": "RUNNING"},
        ),
        # The name holds the project number; the parent's full name gives the id.
        _res(
            "//aiplatform.googleapis.com/projects/420198765432/locations/us-central1/endpoints/8812345",
            "aiplatform.googleapis.com/Endpoint",
            "triage-model",
            "us-central1",
            "us-central1",
            src,
            account="excare-shared",
        ),
        _res(
            SQL + "patients-db",
            "sqladmin.googleapis.com/Instance",
            "patients-db",
            "europe-west9",
            "europe-west9",
            src,
            key=_cmek("excare-prod/locations/europe-west9/keyRings/phi/cryptoKeys/sql"),
            attributes={"status": "RUNNABLE"},
        ),
        _res(
            "//firebase.googleapis.com/projects/777888999000/androidApps/1:777888999000:android:a1b2c3d4",
            "firebase.googleapis.com/FirebaseAppInfo",
            "1:777888999000:android:a1b2c3d4",
            None,
            None,
            src,
            account="projects/777888999000",
        ),
        Gap(
            src,
            "1 element skipped: not a search result (no full name or asset type) (first at element 8)",
            "skipped",
        ),
    ]
    items = _read(SEARCH, src)
    assert _sorted(items) == _sorted(expected)
    assert _flows(items) == set()


def _rest_expected(src: str) -> list[Item]:
    return [
        _res(
            BUCKETS + "excare-web-assets",
            "storage.googleapis.com/Bucket",
            "excare-web-assets",
            "eu",
            "eu",
            src,
            tags={"env": "prod"},
            key=PROVIDER_KEY,
        ),
        _res(
            "//dns.googleapis.com/projects/excare-prod/managedZones/excare-fr",
            "dns.googleapis.com/ManagedZone",
            "excare-fr",
            "global",
            "global",
            src,
        ),
        Gap(
            src,
            "the listing is one page of several (nextPageToken is set): resources are missing; export with "
            "gcloud, which follows every page",
            "truncated",
        ),
    ]


def test_search_rest_page_with_token_is_truncated() -> None:
    assert _sorted(_read(SEARCH, "search-rest.json")) == _sorted(_rest_expected("search-rest.json"))


def test_search_rest_page_streamed_when_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(InputFile, "is_large", lambda self: True)
    assert _sorted(_read(SEARCH, "search-rest.json")) == _sorted(_rest_expected("search-rest.json"))


def test_search_reader_reports_foreign_elements_instead_of_dropping_them() -> None:
    assert _read(SEARCH, "unknown.json") == [
        Gap(
            "unknown.json",
            "1 element skipped: not a search result (no full name or asset type) (first at element 1)",
            "skipped",
        )
    ]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("fixture", "position", "message"),
    [
        ("cai-export-truncated.ndjson", "3:", "truncated line"),
        ("cai-export-bad-line.ndjson", "2:", "invalid JSON"),
    ],
)
def test_bad_ndjson_names_file_and_line(fixture: str, position: str, message: str) -> None:
    with pytest.raises(InventoryFormatError) as err:
        _read(EXPORT, fixture)
    assert err.value.path == fixture
    assert err.value.position is not None and err.value.position.startswith(position)
    assert message in err.value.message
    assert str(err.value).startswith(f"{fixture}:{position}")


def test_truncated_export_yields_the_good_lines_before_failing() -> None:
    got: list[Item] = []
    with pytest.raises(InventoryFormatError):
        got.extend(BY_NAME[EXPORT].read(_inp("cai-export-truncated.ndjson")))
    assert {i.id for i in got if isinstance(i, Resource)} <= {
        BUCKETS + "excare-phi-records",
        BUCKETS + "excare-web-assets",
    }
    assert _flows(got)  # the dual-region bucket's replication flows were read


@pytest.mark.parametrize("fmt", [EXPORT, LIST, SEARCH])
def test_empty_file_is_refused(fmt: str) -> None:
    with pytest.raises(InventoryFormatError, match=r"empty\.json: file is empty"):
        _read(fmt, "empty.json")


def test_truncated_json_array_names_byte_offset(tmp_path: Path) -> None:
    text = (FIXTURES / "search.json").read_text()
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2])
    with pytest.raises(InventoryFormatError) as err:
        list(BY_NAME[SEARCH].read(InputFile(path, "cut.json")))
    assert err.value.path == "cut.json"
    assert err.value.position is not None and err.value.position.startswith("byte ")


def test_rest_object_without_its_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "odd.json"
    path.write_text('{"results": {"name": "//x"}, "nextPageToken": ""}')
    with pytest.raises(InventoryFormatError, match=r"odd\.json: expected an object with a 'results' list"):
        list(BY_NAME[SEARCH].read(InputFile(path, "odd.json")))


# --------------------------------------------------------------------------- transform helpers


def test_names_are_made_canonical() -> None:
    assert canonical_name("//storage.googleapis.com/b1") == BUCKETS + "b1"
    assert canonical_name(BUCKETS + "b1") == BUCKETS + "b1"
    assert (
        canonical_name("//cloudsql.googleapis.com/projects/p/instances/i")
        == "//sqladmin.googleapis.com/projects/p/instances/i"
    )
    assert (
        canonical_name("//bigquery.googleapis.com/projects/p/datasets/d")
        == "//bigquery.googleapis.com/projects/p/datasets/d"
    )
    key = KMS + "p/locations/eu/keyRings/r/cryptoKeys/k"
    assert kms_key_id("projects/p/locations/eu/keyRings/r/cryptoKeys/k/cryptoKeyVersions/7") == key
    assert kms_key_id(key) == key


def test_asset_without_name_or_type_is_skipped() -> None:
    with pytest.raises(SkipRecord, match="not a Cloud Asset record"):
        asset_items({"name": "//x.googleapis.com/a"}, "f", ProjectIds())


_BUCKET, _PROJECT = "storage.googleapis.com/Bucket", "cloudresourcemanager.googleapis.com/Project"
_CRM = "//cloudresourcemanager.googleapis.com/projects/"


@pytest.mark.parametrize(("record", "reason"), [
    ({"window": {"start_time": "2026-11-01T00:00:00Z"}, "deleted": True,
      "asset": {"name": "//storage.googleapis.com/b", "asset_type": _BUCKET}}, "deleted asset"),
    ({"name": "//storage.googleapis.com/b", "asset_type": _BUCKET, "deleted": True}, "deleted asset"),
    ({"name": "//storage.googleapis.com/b", "asset_type": _BUCKET, "iam_policy": {}},
     "policy content, not resource content (export with --content-type=resource)"),
])
def test_assets_that_hold_no_resource_are_skipped(record: dict[str, Any], reason: str) -> None:
    with pytest.raises(SkipRecord) as info:
        asset_items(record, "f", ProjectIds())
    assert str(info.value) == reason


def test_asset_projects_and_accounts_from_each_place_they_are_written() -> None:
    projects = ProjectIds()
    provider_key = KeyRef(KeyControl.PROVIDER)
    # A history record (TemporalAsset) wraps the asset; its project id comes from the resource's parent.
    history = {"window": {"startTime": "2026-11-01T00:00:00Z"}, "asset": {
        "name": "//storage.googleapis.com/b1", "assetType": _BUCKET,
        "resource": {"parent": _CRM + "acme-prod", "location": "EU", "data": {"name": "b1", "labels": {"app": "x"}}}}}
    assert asset_items(history, "f", projects) == [Resource(
        "//storage.googleapis.com/projects/_/buckets/b1", "gcp", _BUCKET, "b1", "acme-prod", "eu", "EU",
        {"app": "x"}, provider_key, source="f")]
    # Without ancestors, a parent given by number is the project number.
    numbered = {"name": "//storage.googleapis.com/b2", "asset_type": _BUCKET,
                "resource": {"parent": _CRM + "555", "location": "europe-west9", "data": {"name": "b2"}}}
    assert asset_items(numbered, "f", projects) == [Resource(
        "//storage.googleapis.com/projects/_/buckets/b2", "gcp", _BUCKET, "b2", "projects/555", "europe-west9",
        "europe-west9", {}, provider_key, source="f")]
    # A project without a project id keeps its full name; a project number that is not a number is ignored.
    anonymous = {"name": _CRM + "123", "asset_type": _PROJECT, "resource": {"data": {"projectNumber": "n/a"}}}
    assert asset_items(anonymous, "f", projects) == [Resource(
        _CRM + "123", "gcp", _PROJECT, "123", None, "global", "global", {}, None, source="f")]
    named = {"name": _CRM + "777", "asset_type": _PROJECT, "ancestors": ["projects/777", "folders/9"],
             "resource": {"data": {"projectId": "acme-x", "projectNumber": "777", "displayName": "Acme X",
                                   "lifecycleState": "ACTIVE"}}}
    assert asset_items(named, "f", projects) == [
        Account("acme-x", "gcp", "Acme X", "folders/9", "f"),
        Resource(_CRM + "acme-x", "gcp", _PROJECT, "Acme X", "acme-x", "global", "global", {}, None, source="f",
                 attributes={"status": "ACTIVE"})]
    assert projects.by_number == {"777": "acme-x"}


def test_settle_accounts_releases_held_resources_when_the_project_is_learnt() -> None:
    projects = ProjectIds()
    early = _res("r1", "t", "r1", None, None, "f", account="projects/42")
    other = _res("r2", "t", "r2", None, None, "f", account="projects/43")

    def stream() -> Iterable[Item]:
        yield early
        yield other
        projects.learn("42", "answer")
        yield Gap("f", "marker")

    out = list(settle_accounts(stream(), projects))
    assert out == [Gap("f", "marker"), _res("r1", "t", "r1", None, None, "f", account="answer"), other]


def test_export_whose_first_line_is_longer_than_the_sniffed_head(tmp_path: Path) -> None:
    lines = (FIXTURES / "cai-export.ndjson").read_text().splitlines()
    first = json.loads(lines[1])
    first["resource"]["data"]["labels"] = {f"label-{n:06d}": "x" * 40 for n in range(6000)}  # ~330 kB
    path = tmp_path / "wide.ndjson"
    path.write_text(json.dumps(first) + "\n" + lines[2] + "\n")
    inp = InputFile(path, "wide.ndjson")
    assert len(path.read_bytes().split(b"\n")[0]) > len(inp.head())
    assert [f.name for f in FORMATS if f.sniff(peek_shape(inp.head()))] == [EXPORT]
    got = {(i.id, i.account) for i in BY_NAME[EXPORT].read(inp) if isinstance(i, Resource)}
    dataset = "//bigquery.googleapis.com/projects/excare-prod/datasets/patients"
    assert got == {(BUCKETS + "excare-web-assets", "excare-prod"), (dataset, "excare-prod")}
