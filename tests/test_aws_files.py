"""Offline AWS importers: sniffing, full item lists of real-shaped exports, flows, and bad input."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from providers.aws.files import FORMATS
from providers.aws.normalize import explorer_type_from_arn, transform_config_item
from providers.aws.relations import s3_domain
from providers.base import FileFormat, InputFile, InventoryFormatError, peek_shape
from scanner.model import Account, Flow, Gap, Item, KeyControl, KeyRef, Resource

FIXTURES = Path(__file__).parent / "fixtures" / "aws"
BY_NAME = {fmt.name: fmt for fmt in FORMATS}

ACCT = "111122223333"
E1 = "eu-central-1"
CMK = f"arn:aws:kms:{E1}:{ACCT}:key/1a2b3c4d-1111-4222-8333-444455556666"
AWS_KEY = f"arn:aws:kms:{E1}:{ACCT}:key/9f8e7d6c-5555-4666-8777-888899990000"
XKS = f"arn:aws:kms:{E1}:{ACCT}:key/0b0b0b0b-7777-4888-9999-aaaabbbbcccc"
PROV = KeyRef(KeyControl.PROVIDER)
NOTAGS: frozenset[tuple[str, str]] = frozenset()


def arn(service: str, region: str, resource: str, account: str = ACCT) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def cmk(key_arn: str) -> KeyRef:
    return KeyRef(KeyControl.CUSTOMER, key_arn)


def tags(**kv: str) -> frozenset[tuple[str, str]]:
    return frozenset(kv.items())


def _input(path: Path) -> InputFile:
    return InputFile(path, path.name)


def _fixture(name: str) -> InputFile:
    return _input(FIXTURES / name)


def _sniffed(inp: InputFile) -> list[str]:
    shape = peek_shape(inp.head())
    return [fmt.name for fmt in FORMATS if fmt.sniff(shape)]


def _read(fmt: str, inp: InputFile) -> list[Item]:
    return list(BY_NAME[fmt].read(inp))


def _resources(items: Iterable[Item]) -> set[tuple[Any, ...]]:
    return {(r.id, r.native_type, r.name, r.account, r.region, frozenset(r.tags.items()), r.key, r.size_gb)
            for r in items if isinstance(r, Resource)}


def _flows(items: Iterable[Item]) -> set[tuple[str, str, str, str | None]]:
    return {(f.source, f.target, f.kind.value, f.target_region) for f in items if isinstance(f, Flow)}


def _gaps(items: Iterable[Item]) -> list[tuple[str, str]]:
    return [(g.reason, g.message) for g in items if isinstance(g, Gap)]


def _write(tmp_path: Path, name: str, doc: Any) -> InputFile:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return _input(path)


# --- sniffing ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("fixture", "expected"), [
    ("config_snapshot_euc1.json.gz", "aws-config-snapshot"),
    ("config_history_global.json", "aws-config-snapshot"),
    ("config_api_batch.json", "aws-config-snapshot"),
    ("truncated_snapshot.json", "aws-config-snapshot"),
    ("config_select_pages.json", "aws-config-select"),
    ("config_select_page.json", "aws-config-select"),
    ("tagging.json", "aws-tagging"),
    ("tagging_pages.json", "aws-tagging"),
    ("resource_explorer_search.json", "aws-resource-explorer"),
    ("organizations_accounts.json", "aws-organizations-accounts"),
    ("unknown_shape.json", None),
    ("empty.json", None),
])
def test_each_fixture_is_recognised_by_exactly_its_format(fixture: str, expected: str | None) -> None:
    assert _sniffed(_fixture(fixture)) == ([expected] if expected else [])


@pytest.mark.parametrize("text", [
    # CloudFormation template: "Resources" is a map, not Resource Explorer's list.
    '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"B": {"Type": "AWS::S3::Bucket"}}}',
    # Azure Resource Graph, az resource list, Terraform state, CAI NDJSON, Cloud Control.
    '{"count": 1, "data": [{"id": "/subscriptions/x"}], "skip_token": null, "total_records": 1}',
    '[{"id": "/subscriptions/x/resourceGroups/rg", "type": "Microsoft.Storage/storageAccounts"}]',
    '{"version": 4, "terraform_version": "1.7.0", "serial": 1, "lineage": "x", "resources": []}',
    '{"name": "//storage.googleapis.com/b", "asset_type": "storage.googleapis.com/Bucket"}\n'
    '{"name": "//x"}\n',
    '{"TypeName": "AWS::S3::Bucket", "ResourceDescriptions": [{"Identifier": "b", "Properties": "{}"}]}',
    # Config items without the wrapper's markers and without item keys are not guessed at.
    '{"configurationItems": [], "nextToken": "x"}',
    # A generic "Accounts" list that is not Organizations output.
    '{"Accounts": [{"AccountId": "1", "Name": "n"}], "Owner": "x"}',
])
def test_sniffers_reject_other_shapes(text: str) -> None:
    shape = peek_shape(text.encode())
    assert [fmt.name for fmt in FORMATS if fmt.sniff(shape)] == []


def test_formats_are_declared_once_each() -> None:
    assert [fmt.name for fmt in FORMATS] == [
        "aws-config-snapshot", "aws-config-item", "aws-config-notification", "aws-config-select", "aws-tagging",
        "aws-resource-explorer", "aws-organizations-accounts"]
    assert all(isinstance(fmt, FileFormat) and fmt.provider == "aws" and fmt.description for fmt in FORMATS)


# --- AWS Config snapshot (gzip) ---------------------------------------------------------------

def test_config_snapshot_resources() -> None:
    items = _read("aws-config-snapshot", _fixture("config_snapshot_euc1.json.gz"))
    assert _resources(items) == {
        ("arn:aws:s3:::excare-phi-records-euc1", "AWS::S3::Bucket", "excare-phi-records-euc1", ACCT, E1,
         tags(DataClassification="PHI", Owner="records-team"), cmk(CMK), None),
        ("arn:aws:s3:::excare-logs-euc1", "AWS::S3::Bucket", "excare-logs-euc1", ACCT, E1,
         tags(Purpose="logs"), PROV, None),
        ("arn:aws:s3:::excare-web-static", "AWS::S3::Bucket", "excare-web-static", ACCT, "eu-west-3",
         tags(Public="true"), PROV, None),
        (arn("rds", E1, "db:excare-db"), "AWS::RDS::DBInstance", "excare-db", ACCT, E1,
         tags(DataClassification="PHI"), cmk(CMK), 100.0),
        (arn("rds", E1, "db:excare-db-ro"), "AWS::RDS::DBInstance", "excare-db-ro", ACCT, E1,
         NOTAGS, None, 100.0),
        (arn("rds", E1, "cluster:excare-aurora"), "AWS::RDS::DBCluster", "excare-aurora", ACCT, E1,
         NOTAGS, cmk(CMK), None),
        (arn("dynamodb", E1, "table/patients"), "AWS::DynamoDB::Table", "patients", ACCT, E1,
         tags(DataClassification="PHI"), cmk(arn("kms", E1, "key/mrk-0a1b2c3d4e5f")), 5.0),
        (arn("dynamodb", E1, "table/sessions"), "AWS::DynamoDB::Table", "sessions", ACCT, E1,
         NOTAGS, PROV, 0.0),
        (CMK, "AWS::KMS::Key", "1a2b3c4d-1111-4222-8333-444455556666", ACCT, E1, NOTAGS, None, None),
        (AWS_KEY, "AWS::KMS::Key", "9f8e7d6c-5555-4666-8777-888899990000", ACCT, E1, NOTAGS, None, None),
        (XKS, "AWS::KMS::Key", "0b0b0b0b-7777-4888-9999-aaaabbbbcccc", ACCT, E1, NOTAGS, None, None),
        (arn("ec2", E1, "vpc-peering-connection/pcx-0123456789abcdef0"), "AWS::EC2::VPCPeeringConnection",
         "pcx-0123456789abcdef0", ACCT, E1, NOTAGS, None, None),
        (arn("ec2", E1, "vpc/vpc-0a1a1a1a1a1a1a1a1"), "AWS::EC2::VPC", "vpc-0a1a1a1a1a1a1a1a1", ACCT, E1,
         tags(Name="excare-core"), None, None),
        (arn("ec2", E1, "volume/vol-0c0c0c0c0c0c0c0c0"), "AWS::EC2::Volume", "vol-0c0c0c0c0c0c0c0c0",
         ACCT, E1, NOTAGS, cmk(XKS), 50.0),
        # EFS shows a bare key id: completed to the key's ARN so it joins the KMS key resource.
        (arn("elasticfilesystem", E1, "file-system/fs-0d0d0d0d"), "AWS::EFS::FileSystem", "fs-0d0d0d0d",
         ACCT, E1, NOTAGS, cmk(CMK), None),
        (arn("redshift", E1, "cluster:excare-dwh"), "AWS::Redshift::Cluster", "excare-dwh", ACCT, E1,
         NOTAGS, PROV, None),
        (arn("backup", E1, "backup-plan:0e0e0e0e-1234-4567-89ab-cdef01234567"), "AWS::Backup::BackupPlan",
         "excare-daily", ACCT, E1, NOTAGS, None, None),
        (arn("lambda", E1, "function:excare-ingest"), "AWS::Lambda::Function", "excare-ingest", ACCT, E1,
         NOTAGS, PROV, None),
        (arn("cloudtrail", E1, "trail/excare-trail"), "AWS::CloudTrail::Trail", "excare-trail", ACCT, E1,
         NOTAGS, cmk(CMK), None),
        # No ARN in the item: the ARN-less id convention.
        (f"aws:{ACCT}:{E1}:AWS::SSM::ManagedInstanceInventory:i-0f0f0f0f0f0f0f0f0",
         "AWS::SSM::ManagedInstanceInventory", "i-0f0f0f0f0f0f0f0f0", ACCT, E1, NOTAGS, None, None),
    }
    by_id = {r.id: r for r in items if isinstance(r, Resource)}
    assert {rid: dict(r.attributes) for rid, r in by_id.items() if r.native_type == "AWS::KMS::Key"} == {
        CMK: {"key_control": "customer-managed", "partition": "aws"},
        AWS_KEY: {"key_control": "provider-managed", "partition": "aws"},
        XKS: {"key_control": "customer-external", "partition": "aws"},
    }
    replica = by_id[arn("rds", E1, "db:excare-db-ro")]
    assert dict(replica.attributes) == {"engine": "postgres", "encrypted": False, "partition": "aws"}
    # The ARN partition is recorded on every item that has an ARN, and only there.
    assert {r.attributes.get("partition") for r in by_id.values() if r.id.startswith("arn:")} == {"aws"}
    assert all("partition" not in r.attributes for r in by_id.values() if not r.id.startswith("arn:"))
    assert {r.source for r in by_id.values()} == {"config_snapshot_euc1.json.gz"}
    assert all(r.provider == "aws" and r.raw_region == r.region for r in by_id.values())


def test_config_snapshot_flows_and_gaps() -> None:
    items = _read("aws-config-snapshot", _fixture("config_snapshot_euc1.json.gz"))
    db = arn("rds", E1, "db:excare-db")
    plan = arn("backup", E1, "backup-plan:0e0e0e0e-1234-4567-89ab-cdef01234567")
    dwh = arn("redshift", E1, "cluster:excare-dwh")
    assert _flows(items) == {
        # Enabled rule only; the replica KMS key's region tells the destination region.
        ("arn:aws:s3:::excare-phi-records-euc1", "arn:aws:s3:::excare-phi-records-dr-use1", "replication",
         "us-east-1"),
        ("arn:aws:s3:::excare-phi-records-euc1", "arn:aws:s3:::excare-logs-euc1", "logs", None),
        # SDK v2 list shape inside a JSON string.
        ("arn:aws:s3:::excare-logs-euc1", "arn:aws:s3:::excare-logs-archive", "replication", None),
        (db, arn("rds", E1, "db:excare-db-ro"), "replica", E1),
        (db, arn("rds", "us-east-1", "db:excare-db-dr"), "replica", "us-east-1"),
        (arn("rds", E1, "cluster:excare-aurora"), arn("rds", "eu-west-3", "cluster:excare-aurora-par"),
         "replica", "eu-west-3"),
        (arn("dynamodb", E1, "table/patients"), arn("dynamodb", "eu-west-1", "table/patients"), "replica",
         "eu-west-1"),
        (arn("ec2", E1, "vpc/vpc-0a1a1a1a1a1a1a1a1"),
         arn("ec2", "us-east-1", "vpc/vpc-0b2b2b2b2b2b2b2b2", "444455556666"), "peering", "us-east-1"),
        (dwh, f"aws:{ACCT}:eu-west-1:AWS::Redshift::ClusterSnapshot:excare-dwh", "backup", "eu-west-1"),
        (dwh, "arn:aws:s3:::excare-logs-euc1", "logs", None),
        (plan, arn("backup", "eu-west-1", "backup-vault:excare-dr-vault"), "backup", "eu-west-1"),
        (arn("cloudtrail", E1, "trail/excare-trail"), "arn:aws:s3:::excare-trail-logs", "logs", None),
    }
    evidence = {(f.source, f.target): f.evidence for f in items if isinstance(f, Flow)}
    assert evidence[("arn:aws:s3:::excare-phi-records-euc1", "arn:aws:s3:::excare-phi-records-dr-use1")] == (
        "supplementaryConfiguration.BucketReplicationConfiguration.rules.dr-copy-to-us-east-1"
        ".destinationConfig.bucketARN")
    assert evidence[("arn:aws:s3:::excare-logs-euc1", "arn:aws:s3:::excare-logs-archive")] == (
        "supplementaryConfiguration.BucketReplicationConfiguration.rules[0].destination.bucket")
    assert all(f.target_provider == "aws" for f in items if isinstance(f, Flow))
    assert _gaps(items) == [
        ("skipped", "skipped 2 configuration items of deleted or unrecorded resources "
                    "(ResourceDeleted: 1, ResourceDeletedNotRecorded: 1)"),
        ("bad-record", "1 configuration items could not be identified (no resourceType and no ARN, or no "
                       "account and resource id) and were skipped"),
    ]


def test_config_history_global_types() -> None:
    items = _read("aws-config-snapshot", _fixture("config_history_global.json"))
    dist = f"arn:aws:cloudfront::{ACCT}:distribution/E2ABCDEF123456"
    role = f"arn:aws:iam::{ACCT}:role/excare-audit-access"
    assert _resources(items) == {
        (dist, "AWS::CloudFront::Distribution", "E2ABCDEF123456", ACCT, "global", NOTAGS, None, None),
        (role, "AWS::IAM::Role", "excare-audit-access", ACCT, "global", NOTAGS, None, None),
    }
    assert _flows(items) == {
        # S3 origins (regional and legacy global endpoints); the ELB origin is not a bucket.
        ("arn:aws:s3:::excare-web-static", dist, "cdn", "global"),
        ("arn:aws:s3:::excare-legacy-assets", dist, "cdn", "global"),
        (dist, "arn:aws:s3:::excare-logs-euc1", "logs", None),
        # Other accounts only: same-account role, service, federated and Deny principals are not trust.
        (role, "arn:aws:iam::999988887777:root", "trust", "global"),
        (role, "arn:aws:iam::444455556666:root", "trust", "global"),
    }
    assert _gaps(items) == []


def test_config_api_dump_with_json_string_configuration() -> None:
    items = _read("aws-config-snapshot", _fixture("config_api_batch.json"))
    assert _resources(items) == {
        ("arn:aws:s3:::excare-imaging-euw1", "AWS::S3::Bucket", "excare-imaging-euw1", ACCT, "eu-west-1",
         NOTAGS, cmk(arn("kms", "eu-west-1", "key/5e5e5e5e-0000-4111-8222-333344445555")), None),
        (arn("rds", "us-east-1", "db:excare-db-dr"), "AWS::RDS::DBInstance", "excare-db-dr", ACCT,
         "us-east-1", NOTAGS, cmk(arn("kms", "us-east-1", "key/7d3e2f10-aaaa-4bbb-8ccc-0123456789ab")),
         100.0),
    }
    assert _flows(items) == {
        ("arn:aws:s3:::excare-imaging-euw1", "arn:aws:s3:::excare-imaging-euc1", "replication", None),
        (arn("rds", E1, "db:excare-db"), arn("rds", "us-east-1", "db:excare-db-dr"), "replica", "us-east-1"),
    }


def test_config_history_api_variant_is_read(tmp_path: Path) -> None:
    volume = arn("ec2", "eu-west-3", "volume/vol-1")
    doc = {"configurationItems": [
        {"version": "1.3", "accountId": ACCT, "configurationItemStatus": "OK",
         "resourceType": "AWS::EC2::Volume", "resourceId": "vol-1", "arn": volume, "awsRegion": "eu-west-3",
         "availabilityZone": "eu-west-3a", "tags": {"env": "prod"},
         "configuration": json.dumps({"size": 8, "encrypted": True, "kmsKeyId": "alias/aws/ebs"})},
        {"version": "1.3", "accountId": ACCT, "configurationItemStatus": "ResourceNotRecorded",
         "resourceType": "AWS::EC2::Volume", "resourceId": "vol-2", "awsRegion": "eu-west-3"}],
        "nextToken": ""}
    inp = _write(tmp_path, "history.json", doc)
    assert _sniffed(inp) == ["aws-config-snapshot"]
    items = _read("aws-config-snapshot", inp)
    assert _resources(items) == {
        (volume, "AWS::EC2::Volume", "vol-1", ACCT, "eu-west-3", tags(env="prod"), PROV, 8.0)}
    assert _gaps(items) == [("skipped", "skipped 1 configuration items of deleted or unrecorded resources "
                                        "(ResourceNotRecorded: 1)")]


# --- Config advanced query --------------------------------------------------------------------

def test_config_select_pages() -> None:
    items = _read("aws-config-select", _fixture("config_select_pages.json"))
    acct, w3 = "555566667777", "eu-west-3"
    billing = arn("rds", w3, "db:billing", acct)
    assert _resources(items) == {
        (billing, "AWS::RDS::DBInstance", "billing", acct, w3, tags(DataClassification="financial"),
         cmk(arn("kms", w3, "key/4c4c4c4c-1111-4222-8333-444455556666", acct)), None),
        ("arn:aws:s3:::billing-exports", "AWS::S3::Bucket", "billing-exports", acct, w3,
         tags(team="finance"), None, None),
        (f"arn:aws:iam::{acct}:role/billing-reader", "AWS::IAM::Role", "billing-reader", acct, "global",
         NOTAGS, None, None),
        (f"aws:{acct}:{w3}:AWS::EC2::NetworkInterface:eni-0aa11bb22cc33dd44", "AWS::EC2::NetworkInterface",
         "eni-0aa11bb22cc33dd44", acct, w3, NOTAGS, None, None),
    }
    assert _flows(items) == {(billing, arn("rds", E1, "db:billing-ro", acct), "replica", E1)}
    # Pages were concatenated, so the first page's NextToken is not a truncation.
    assert _gaps(items) == [("bad-record", "1 query results could not be identified (no resourceType and no "
                                           "ARN, or no account and resource id) and were skipped; select at least "
                                           "accountId, awsRegion, resourceType, resourceId, resourceName, arn, "
                                           "tags, configuration, supplementaryConfiguration, "
                                           "configurationItemStatus")]


def test_config_select_single_page_with_next_token_is_truncated() -> None:
    items = _read("aws-config-select", _fixture("config_select_page.json"))
    table = arn("dynamodb", E1, "table/patients")
    assert _flows(items) == {(table, arn("dynamodb", "us-west-2", "table/patients"), "replica", "us-west-2")}
    assert [reason for reason, _ in _gaps(items)] == ["truncated"]


def test_config_select_result_that_is_not_json_is_a_gap(tmp_path: Path) -> None:
    good = {"accountId": ACCT, "awsRegion": "eu-west-3", "arn": "arn:aws:s3:::b",
            "resourceType": "AWS::S3::Bucket", "resourceId": "b"}
    inp = _write(tmp_path, "select.json", {"Results": ["{not json", json.dumps(good)],
                                           "QueryInfo": {"SelectFields": [{"Name": "arn"}]}})
    items = _read("aws-config-select", inp)
    assert [r.id for r in items if isinstance(r, Resource)] == ["arn:aws:s3:::b"]
    assert _gaps(items) == [("bad-record", "1 query results of an unknown shape were skipped")]


# --- tagging ----------------------------------------------------------------------------------

def test_tagging_resources_from_arns() -> None:
    items = _read("aws-tagging", _fixture("tagging.json"))
    assert {(r.id, r.native_type, r.name, r.account, r.region, frozenset(r.tags.items()))
            for r in items if isinstance(r, Resource)} == {
        ("arn:aws:s3:::excare-phi-records-euc1", "s3:bucket", "excare-phi-records-euc1", None, None,
         tags(DataClassification="PHI")),
        (arn("ec2", E1, "instance/i-0123456789abcdef0"), "ec2:instance", "i-0123456789abcdef0", ACCT, E1,
         tags(Name="excare-app-1", env="prod")),
        (arn("rds", E1, "db:excare-db"), "rds:db", "excare-db", ACCT, E1, tags(DataClassification="PHI")),
        (arn("lambda", E1, "function:excare-ingest"), "lambda:function", "excare-ingest", ACCT, E1, NOTAGS),
        (arn("dynamodb", E1, "table/patients"), "dynamodb:table", "patients", ACCT, E1,
         tags(DataClassification="PHI")),
        (CMK, "kms:key", "1a2b3c4d-1111-4222-8333-444455556666", ACCT, E1, tags(purpose="phi")),
        (f"arn:aws:iam::{ACCT}:role/excare-audit-access", "iam:role", "excare-audit-access", ACCT, "global",
         tags(owner="security")),
        (arn("sns", E1, "excare-alerts"), "sns:topic", "excare-alerts", ACCT, E1, tags(env="prod")),
        (arn("elasticloadbalancing", E1, "loadbalancer/app/excare-api/50dc6c495c0c9188"),
         "elasticloadbalancing:loadbalancer/app", "excare-api", ACCT, E1, tags(env="prod")),
    }
    assert not any(isinstance(i, Flow) for i in items)
    assert _gaps(items) == [("bad-record", "1 tag mappings of an unknown shape were skipped")]


def test_tagging_pages_and_bare_list(tmp_path: Path) -> None:
    items = _read("aws-tagging", _fixture("tagging_pages.json"))
    assert {(r.id, r.region) for r in items if isinstance(r, Resource)} == {
        (arn("ec2", "eu-west-3", "volume/vol-0abc"), "eu-west-3"),
        (arn("ec2", "us-east-1", "volume/vol-0def"), "us-east-1")}
    bare = _write(tmp_path, "bare.json", [{"ResourceARN": "arn:aws:sqs:eu-west-3:1:q", "Tags": []}])
    assert _sniffed(bare) == ["aws-tagging"]
    assert [(r.id, r.native_type) for r in _read("aws-tagging", bare) if isinstance(r, Resource)] == [
        ("arn:aws:sqs:eu-west-3:1:q", "sqs:queue")]
    truncated = _write(tmp_path, "page.json", {"ResourceTagMappingList": [], "PaginationToken": "abc"})
    assert [reason for reason, _ in _gaps(_read("aws-tagging", truncated))] == ["truncated"]


# --- Resource Explorer ------------------------------------------------------------------------

def test_resource_explorer_search() -> None:
    items = _read("aws-resource-explorer", _fixture("resource_explorer_search.json"))
    assert {(r.id, r.native_type, r.account, r.region, frozenset(r.tags.items()))
            for r in items if isinstance(r, Resource)} == {
        (arn("ec2", "us-east-1", "subnet/subnet-1a2b3c4d"), "ec2:subnet", ACCT, "us-east-1",
         tags(Environment="Production")),
        ("arn:aws:s3:::excare-phi-records-euc1", "s3:bucket", ACCT, E1, tags(DataClassification="PHI")),
        (f"arn:aws:iam::{ACCT}:role/excare-audit-access", "iam:role", ACCT, "global", NOTAGS),
        (arn("rds", E1, "db:partner-db", "444455556666"), "rds:db", "444455556666", E1, NOTAGS),
    }
    gaps = _gaps(items)
    assert [reason for reason, _ in gaps] == ["truncated", "bad-record"]
    assert "1,000" in gaps[0][1] and "list-resources" in gaps[0][1]


def test_resource_explorer_complete_pages_and_bare_list(tmp_path: Path) -> None:
    res = {"Arn": "arn:aws:ec2:eu-west-3:1:instance/i-1", "OwningAccountId": "1", "Region": "eu-west-3",
           "ResourceType": "ec2:instance", "Service": "ec2", "Properties": []}
    pages = _write(tmp_path, "pages.json", [{"Count": {"Complete": True, "TotalResources": 1},
                                             "Resources": [res], "ViewArn": "arn:aws:resource-explorer-2:x"}])
    bare = _write(tmp_path, "bare.json", [res])
    for inp in (pages, bare):
        assert _sniffed(inp) == ["aws-resource-explorer"]
        items = _read("aws-resource-explorer", inp)
        assert [(r.id, r.region) for r in items if isinstance(r, Resource)] == [
            ("arn:aws:ec2:eu-west-3:1:instance/i-1", "eu-west-3")]
        assert _gaps(items) == []


# --- Organizations ----------------------------------------------------------------------------

def test_organizations_accounts_without_email() -> None:
    items = _read("aws-organizations-accounts", _fixture("organizations_accounts.json"))
    src = "organizations_accounts.json"
    assert [i for i in items if isinstance(i, Account)] == [
        Account("111122223333", "aws", "excare-production", "o-exampleorgid", src),
        Account("444455556666", "aws", "excare-dr", "o-exampleorgid", src),
        Account("555566667777", "aws", "excare-billing", "o-exampleorgid", src),
    ]
    assert _gaps(items) == [("bad-record", "1 accounts of an unknown shape were skipped")]
    assert "@" not in repr(items)


# --- bad input --------------------------------------------------------------------------------

def test_truncated_file_names_file_and_position() -> None:
    inp = _fixture("truncated_snapshot.json")
    lines = inp.path.read_text().split("\n")
    end = f"{len(lines)}:{len(lines[-1]) + 1}"  # just after the last character of the cut file
    with pytest.raises(InventoryFormatError) as err:
        _read("aws-config-snapshot", inp)
    assert (err.value.path, err.value.position) == ("truncated_snapshot.json", end)
    assert str(err.value).startswith(f"truncated_snapshot.json:{end}: truncated JSON")


def test_truncated_gzip_names_file_and_position(tmp_path: Path) -> None:
    data = (FIXTURES / "config_snapshot_euc1.json.gz").read_bytes()
    path = tmp_path / "cut.json.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InventoryFormatError) as err:
        _read("aws-config-snapshot", _input(path))
    assert err.value.path == "cut.json.gz"
    assert err.value.position is not None and err.value.position.startswith("byte ")


def test_invalid_json_inside_items_names_the_position(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"fileVersion": "1.0", "configSnapshotId": "s", '
                    '"configurationItems": [{"resourceType": "AWS::S3::Bucket", x}]}')
    with pytest.raises(InventoryFormatError) as err:
        _read("aws-config-snapshot", _input(path))
    assert err.value.path == "bad.json"
    assert err.value.message.startswith("invalid JSON")
    assert err.value.position is not None and err.value.position.startswith("byte ")


@pytest.mark.parametrize("fmt", sorted(BY_NAME))
def test_empty_file_is_refused(fmt: str) -> None:
    with pytest.raises(InventoryFormatError, match=r"^empty\.json: file is empty"):
        _read(fmt, _fixture("empty.json"))


@pytest.mark.parametrize("fmt", sorted(BY_NAME))
def test_unknown_shape_is_refused_with_a_hint(fmt: str) -> None:
    with pytest.raises(InventoryFormatError) as err:
        _read(fmt, _fixture("unknown_shape.json"))
    assert err.value.path == "unknown_shape.json"
    assert err.value.message.startswith("not ")
    assert err.value.hint


def test_gzip_is_read_like_plain(tmp_path: Path) -> None:
    plain = FIXTURES / "config_history_global.json"
    packed = tmp_path / "config_history_global.json.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert _flows(_read("aws-config-snapshot", _input(packed))) == _flows(
        _read("aws-config-snapshot", _input(plain)))


# --- transforms shared with the live collector ------------------------------------------------

@pytest.mark.parametrize(("domain", "expected"), [
    ("excare-web.s3.amazonaws.com", ("excare-web", None)),
    ("excare-web.s3.eu-west-3.amazonaws.com", ("excare-web", "eu-west-3")),
    ("excare-web.s3-eu-west-1.amazonaws.com", ("excare-web", "eu-west-1")),
    ("excare-web.s3-website-eu-west-1.amazonaws.com", ("excare-web", "eu-west-1")),
    ("excare-web.s3-website.eu-central-1.amazonaws.com", ("excare-web", "eu-central-1")),
    ("excare-web.s3.dualstack.us-east-1.amazonaws.com", ("excare-web", "us-east-1")),
    ("logs.example.com.s3.cn-north-1.amazonaws.com.cn", ("logs.example.com", "cn-north-1")),
    ("excare-web.s3.eusc-de-east-1.amazonaws.eu", ("excare-web", "eusc-de-east-1")),
    ("api-123.eu-central-1.elb.amazonaws.com", None),
    ("www.example.org", None),
])
def test_s3_origin_domains(domain: str, expected: tuple[str, str | None] | None) -> None:
    assert s3_domain(domain) == expected


@pytest.mark.parametrize(("resource_arn", "expected"), [
    ("arn:aws:s3:::bucket.with.dots", ("s3:bucket", "bucket.with.dots")),
    ("arn:aws:ec2:eu-west-3:1:security-group/sg-1", ("ec2:security-group", "sg-1")),
    ("arn:aws:logs:eu-west-3:1:log-group:/aws/lambda/f", ("logs:log-group", "/aws/lambda/f")),
    ("arn:aws:elasticloadbalancing:eu-west-3:1:loadbalancer/net/nlb/abc",
     ("elasticloadbalancing:loadbalancer/net", "nlb")),
    ("arn:aws:elasticloadbalancing:eu-west-3:1:targetgroup/tg/abc",
     ("elasticloadbalancing:targetgroup", "tg/abc")),
    ("arn:aws:apigateway:eu-west-3::/restapis/a1b2", ("apigateway:restapis", "a1b2")),
    ("arn:aws-cn:sqs:cn-north-1:1:queue", ("sqs:queue", "queue")),
    ("arn:aws:rds:eu-west-3:1:db:my/db", ("rds:db", "my/db")),  # the first separator wins
    ("arn:aws:ecs:eu-west-3:1:task/c:1", ("ecs:task", "c:1")),
    ("arn:aws:iam::1:root", ("iam:root", "root")),  # no separator
])
def test_explorer_type_from_arn(resource_arn: str, expected: tuple[str, str]) -> None:
    described = explorer_type_from_arn(resource_arn)
    assert described is not None and described[:2] == expected


def test_transform_config_item_accepts_live_api_shape() -> None:
    """The live collector hands over API-shaped items (``arn``, ``accountId``, JSON strings)."""
    statement = {"Effect": "Allow", "Principal": {"AWS": "222233334444"}}
    trust = quote(json.dumps({"Statement": statement}), safe="")
    role = f"arn:aws:iam::{ACCT}:role/r"
    ci = {"version": "1.3", "accountId": ACCT, "arn": role, "resourceType": "AWS::IAM::Role",
          "resourceId": "AROA1", "resourceName": "r", "awsRegion": "global",
          "configuration": json.dumps({"assumeRolePolicyDocument": trust})}
    items = list(transform_config_item(ci, "live"))
    assert _flows(items) == {(role, "arn:aws:iam::222233334444:root", "trust", "global")}


def test_secrets_manager_replicas_and_key() -> None:
    from providers.aws.normalize import transform_config_item

    arn = "arn:aws:secretsmanager:eu-west-3:111122223333:secret:dpi-db-AbCdEf"
    ci = {"resourceType": "AWS::SecretsManager::Secret", "ARN": arn, "awsAccountId": "111122223333",
          "awsRegion": "eu-west-3", "resourceId": arn, "resourceName": "dpi-db", "tags": {},
          "configuration": {"Name": "dpi-db", "PrimaryRegion": "eu-west-3",
                            "ReplicationStatus": [{"Region": "us-east-1", "Status": "InSync"},
                                                  {"Region": "eu-west-3", "Status": "InSync"}]}}
    items = list(transform_config_item(ci, "x"))
    flows = {(f.source, f.target, str(f.kind), f.target_region) for f in items if isinstance(f, Flow)}
    assert flows == {(arn, "arn:aws:secretsmanager:us-east-1:111122223333:secret:dpi-db-AbCdEf", "replica",
                      "us-east-1")}
    res = next(i for i in items if isinstance(i, Resource))
    assert res.key == KeyRef(KeyControl.PROVIDER)


# --- Config records that come one at a time ---------------------------------------------------

def _item(**extra: Any) -> dict[str, Any]:
    base = {"configurationItemVersion": "1.3", "configurationItemCaptureTime": "2026-11-30T10:00:00.000Z",
            "awsAccountId": ACCT, "configurationItemStatus": "OK", "resourceType": "AWS::S3::Bucket",
            "resourceId": "b", "resourceName": "b", "ARN": "arn:aws:s3:::b", "awsRegion": E1,
            "configuration": {"name": "b"}, "supplementaryConfiguration": {}, "tags": {}}
    return {**base, **extra}


def test_sns_envelopes_and_scheduled_notifications(tmp_path: Path) -> None:
    change = {"configurationItem": _item(), "messageType": "ConfigurationItemChangeNotification",
              "notificationCreationTime": "2026-11-30T10:00:01.000Z", "recordVersion": "1.3"}
    envelope = {"Type": "Notification", "MessageId": "m-1", "TopicArn": f"arn:aws:sns:{E1}:{ACCT}:config-topic",
                "Message": json.dumps(change), "Timestamp": "2026-11-30T10:00:02.000Z"}
    scheduled = {"Type": "Notification", "MessageId": "m-2", "TopicArn": f"arn:aws:sns:{E1}:{ACCT}:config-topic",
                 "Message": json.dumps({"awsAccountId": ACCT, "notificationCreationTime": "2026-11-30T10:00:00Z",
                                        "messageType": "ScheduledNotification", "recordVersion": "1.0"})}
    inp = _write(tmp_path, "messages.json", [envelope, scheduled])
    assert _sniffed(inp) == ["aws-config-notification"]
    items = _read("aws-config-notification", inp)
    assert [r.id for r in items if isinstance(r, Resource)] == ["arn:aws:s3:::b"]
    assert _gaps(items) == [("skipped", "1 notification(s) skipped: a ScheduledNotification names no resource")]


def test_a_later_version_wins_and_a_deletion_removes_the_resource(tmp_path: Path) -> None:
    from providers.aws.config_events import latest_versions

    old = _item(configurationItemCaptureTime=1764496800000, tags={"v": "1"})  # epoch milliseconds
    new = _item(configurationItemCaptureTime="2026-11-30T11:00:00Z", tags={"v": "2"})
    gone = _item(resourceId="c", ARN="arn:aws:s3:::c", configurationItemStatus="ResourceDeleted",
                 configurationItemCaptureTime="2026-11-30T12:00:00Z")
    alive = _item(resourceId="c", ARN="arn:aws:s3:::c", configurationItemCaptureTime="2026-11-30T09:00:00Z")
    latest, superseded = latest_versions([new, old, alive, gone])
    assert (latest, superseded) == ([new, gone], 2)
    items = _read("aws-config-item", _write(tmp_path, "items.json", [old, new, gone, alive]))
    assert [(r.id, dict(r.tags)) for r in items if isinstance(r, Resource)] == [("arn:aws:s3:::b", {"v": "2"})]


def test_the_arn_a_partial_result_names_is_its_own() -> None:
    from providers.aws.normalize import own_arn

    conf = {"dBInstanceIdentifier": "db1", "dBInstanceArn": arn("rds", E1, "db:db1"),
            "kmsKeyId": CMK, "arn": arn("rds", E1, "db:other")}
    assert own_arn({"resourceId": "db1"}, conf) == arn("rds", E1, "db:db1")  # the one ending with its id
    assert own_arn({"resourceId": "b"}, {"name": "b", "owner": {}, "creationDate": "x"}) == "arn:aws:s3:::b"
    assert own_arn({"resourceId": "v"}, {"volumeId": "v"}) is None
