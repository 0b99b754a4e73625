"""Snapshots, images, recovery points and custom key stores read from AWS records (no network).

The live tests run the collectors against moto, whose answers lack the fields that say a snapshot or
an image is a copy from another region (``SourceDBSnapshotIdentifier``, ``SourceDBClusterSnapshotArn``,
Redshift's ``SourceRegion``, ``SourceImageId``/``SourceImageRegion``) and the size of an EBS
snapshot's data (``FullSnapshotSizeInBytes``). Here the shared transform reads records as the API
references document them, in the boto3 spelling the live collector keeps and in AWS Config's camel
case, each reduced by the fields allowlist first as a live run does.
"""

from __future__ import annotations

from typing import Any

import pytest

from providers.aws.fields import config_item
from providers.aws.normalize import transform_config_item
from scanner.model import Flow, FlowKind, KeyControl, KeyRef, Resource

ACCT = "111122223333"
KEY_US = f"arn:aws:kms:us-east-1:{ACCT}:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def _item(rtype: str, rid: str, region: str, conf: dict[str, Any], arn: str | None = None) -> dict[str, Any]:
    return {"resourceType": rtype, "ARN": arn, "awsAccountId": ACCT, "awsRegion": region, "resourceId": rid,
            "resourceName": rid, "tags": {}, "configuration": conf, "supplementaryConfiguration": {},
            "configurationItemStatus": "OK"}


def _read(ci: dict[str, Any]) -> tuple[Resource, set[tuple[str, str, FlowKind, str | None, str]]]:
    items = list(transform_config_item(config_item(ci), "live"))
    resource = next(i for i in items if isinstance(i, Resource))
    flows = {(f.source, f.target, f.kind, f.target_region, f.evidence) for f in items if isinstance(f, Flow)}
    return resource, flows


@pytest.mark.parametrize("spelling", ["api", "config"])
def test_an_rds_snapshot_copied_from_another_region_flows_from_its_source(spelling: str) -> None:
    copy = f"arn:aws:rds:us-east-1:{ACCT}:snapshot:patients-dr"
    source = f"arn:aws:rds:eu-central-1:{ACCT}:snapshot:patients-2026-11-30"
    conf = {"DBSnapshotIdentifier": "patients-dr", "DBInstanceIdentifier": "patients", "Engine": "postgres",
            "AllocatedStorage": 200, "SnapshotType": "manual", "Encrypted": True, "KmsKeyId": KEY_US,
            "SourceRegion": "eu-central-1", "SourceDBSnapshotIdentifier": source, "DBSnapshotArn": copy,
            "MasterUsername": "admin"}
    if spelling == "config":
        conf = {"dBSnapshotIdentifier": "patients-dr", "dBInstanceIdentifier": "patients", "engine": "postgres",
                "allocatedStorage": 200, "snapshotType": "manual", "encrypted": True, "kmsKeyId": KEY_US,
                "sourceRegion": "eu-central-1", "sourceDBSnapshotIdentifier": source}
    res, flows = _read(_item("AWS::RDS::DBSnapshot", "patients-dr", "us-east-1", conf, copy))
    assert (res.id, res.region, res.size_gb, res.key, res.attributes["engine"]) == (
        copy, "us-east-1", 200.0, KeyRef(KeyControl.CUSTOMER, KEY_US), "postgres")
    prefix = "configuration.sourceDBSnapshotIdentifier", "configuration.dBInstanceIdentifier"
    assert flows == {
        (source, copy, FlowKind.BACKUP, "us-east-1", prefix[0]),
        (f"arn:aws:rds:eu-central-1:{ACCT}:db:patients", copy, FlowKind.BACKUP, "us-east-1", prefix[1]),
    }


def test_an_rds_snapshot_taken_in_its_own_region_is_no_flow() -> None:
    arn = f"arn:aws:rds:eu-central-1:{ACCT}:snapshot:rds:patients-2026-11-30-03-05"
    res, flows = _read(_item("AWS::RDS::DBSnapshot", "rds:patients-2026-11-30-03-05", "eu-central-1", {
        "DBInstanceIdentifier": "patients", "AllocatedStorage": 50, "Encrypted": False,
        "SourceRegion": "eu-central-1", "SnapshotType": "automated"}, arn))
    assert (res.size_gb, res.key, res.attributes["encrypted"], flows) == (50.0, None, False, set())


def test_an_aurora_cluster_snapshot_copy() -> None:
    copy = f"arn:aws:rds:eu-west-3:{ACCT}:cluster-snapshot:ledger-copy"
    source = "arn:aws:rds:eu-central-1:444455556666:cluster-snapshot:ledger-2026-11-30"
    res, flows = _read(_item("AWS::RDS::DBClusterSnapshot", "ledger-copy", "eu-west-3", {
        "DBClusterSnapshotIdentifier": "ledger-copy", "DBClusterIdentifier": "ledger", "Engine": "aurora-postgresql",
        "AllocatedStorage": 1, "StorageEncrypted": True, "SourceDBClusterSnapshotArn": source}, copy))
    # Aurora's AllocatedStorage is not the size; encrypted with no key shown is the service's AWS key.
    assert (res.size_gb, res.key) == (None, KeyRef(KeyControl.PROVIDER))
    # A copy from another account: the source cluster is in that account and region.
    assert {(f[0], f[3]) for f in flows} == {
        (source, "eu-west-3"), ("arn:aws:rds:eu-central-1:444455556666:cluster:ledger", "eu-west-3")}


def test_a_redshift_snapshot_copied_by_the_clusters_cross_region_copy() -> None:
    arn = f"arn:aws:redshift:eu-west-1:{ACCT}:snapshot:dwh/rs:dwh-2026-11-30-03-00"
    res, flows = _read(_item("AWS::Redshift::ClusterSnapshot", "rs:dwh-2026-11-30-03-00", "eu-west-1", {
        "SnapshotIdentifier": "rs:dwh-2026-11-30-03-00", "ClusterIdentifier": "dwh", "SourceRegion": "eu-central-1",
        "Encrypted": True, "KmsKeyId": "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b", "TotalBackupSizeInMegaBytes": 20480.0,
        "SnapshotType": "automated", "SnapshotArn": arn}, arn))
    # 20480 MB = 20 GiB; a bare key id is completed to an ARN in the snapshot's account and region.
    assert (res.size_gb, res.key) == (20.0, KeyRef(
        KeyControl.CUSTOMER, f"arn:aws:kms:eu-west-1:{ACCT}:key/9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"))
    assert flows == {(f"arn:aws:redshift:eu-central-1:{ACCT}:cluster:dwh", arn, FlowKind.BACKUP, "eu-west-1",
                      "configuration.sourceRegion")}


def test_an_ebs_snapshot_size_is_the_data_written() -> None:
    arn = "arn:aws:ec2:eu-west-3::snapshot/snap-0123456789abcdef0"
    res, flows = _read(_item("ec2:snapshot", "snap-0123456789abcdef0", "eu-west-3", {
        "SnapshotId": "snap-0123456789abcdef0", "VolumeId": "vol-ffffffff", "VolumeSize": 500,
        "FullSnapshotSizeInBytes": 64 * 1024**3, "Encrypted": True, "KmsKeyId": KEY_US, "OwnerId": ACCT}, arn))
    assert (res.native_type, res.account, res.region, res.size_gb, res.key, flows) == (
        "ec2:snapshot", ACCT, "eu-west-3", 64.0, KeyRef(KeyControl.CUSTOMER, KEY_US), set())
    older, _ = _read(_item("ec2:snapshot", "snap-1", "eu-west-3", {"VolumeSize": 500, "Encrypted": False},
                           "arn:aws:ec2:eu-west-3::snapshot/snap-1"))
    assert (older.size_gb, older.key, older.attributes["encrypted"]) == (500.0, None, False)


def test_an_ami_copied_from_another_region() -> None:
    arn = "arn:aws:ec2:eu-west-1::image/ami-0fedcba9876543210"
    res, flows = _read(_item("ec2:image", "ami-0fedcba9876543210", "eu-west-1", {
        "ImageId": "ami-0fedcba9876543210", "Name": "golden", "OwnerId": ACCT,
        "SourceImageId": "ami-0123456789abcdef0", "SourceImageRegion": "us-east-1",
        "BlockDeviceMappings": [
            {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "snap-1", "VolumeSize": 8, "Encrypted": True}},
            {"DeviceName": "/dev/xvdb", "Ebs": {"SnapshotId": "snap-2", "VolumeSize": 100, "Encrypted": True}},
            {"DeviceName": "/dev/sdc", "VirtualName": "ephemeral0"}]}, arn))
    # Encrypted, but DescribeImages does not show the key: who holds it stays unknown.
    assert (res.size_gb, res.key, res.attributes["encrypted"]) == (108.0, None, True)
    assert flows == {("arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0", arn, FlowKind.BACKUP, "eu-west-1",
                      "configuration.sourceImageId")}
    mixed, none = _read(_item("ec2:image", "ami-1", "eu-west-1", {"BlockDeviceMappings": [
        {"Ebs": {"VolumeSize": 8, "Encrypted": True}}, {"Ebs": {"VolumeSize": 8, "Encrypted": False}}]},
        "arn:aws:ec2:eu-west-1::image/ami-1"))
    assert (mixed.size_gb, mixed.attributes["encrypted"], none) == (16.0, False, set())


def test_recovery_points_original_and_copy() -> None:
    table = f"arn:aws:dynamodb:eu-central-1:{ACCT}:table/claims"
    original = f"arn:aws:backup:eu-central-1:{ACCT}:recovery-point:7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
    res, flows = _read(_item("AWS::Backup::RecoveryPoint", original, "eu-central-1", {
        "RecoveryPointArn": original, "ResourceArn": table, "ResourceType": "DynamoDB",
        "BackupSizeInBytes": 2 * 1024**3, "IsEncrypted": True, "EncryptionKeyType": "AWS_OWNED_KMS_KEY"},
        original))
    assert (res.size_gb, res.key, flows) == (2.0, KeyRef(KeyControl.PROVIDER), set())
    copy = f"arn:aws:backup:us-east-1:{ACCT}:recovery-point:0d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a"
    res, flows = _read(_item("AWS::Backup::RecoveryPoint", copy, "us-east-1", {
        "recoveryPointArn": copy, "resourceArn": table, "resourceType": "DynamoDB",
        "sourceBackupVaultArn": f"arn:aws:backup:eu-central-1:{ACCT}:backup-vault:primary",
        "backupSizeInBytes": 2 * 1024**3, "isEncrypted": True, "encryptionKeyArn": KEY_US}, copy))
    assert (res.region, res.key) == ("us-east-1", KeyRef(KeyControl.CUSTOMER, KEY_US))
    assert flows == {(table, copy, FlowKind.BACKUP, "us-east-1", "configuration.resourceArn")}


@pytest.mark.parametrize(("conf", "control", "kind"), [
    ({"CustomKeyStoreType": "EXTERNAL_KEY_STORE", "XksProxyConfiguration": {"Connectivity": "VPC_ENDPOINT_SERVICE"}},
     "customer-external", "EXTERNAL_KEY_STORE"),
    ({"CustomKeyStoreType": "AWS_CLOUDHSM", "CloudHsmClusterId": "cluster-1a23b4cdefg"},
     "customer-managed", "AWS_CLOUDHSM"),
    # listed without its type: told by what it is connected to
    ({"XksProxyConfiguration": {"Connectivity": "PUBLIC_ENDPOINT"}}, "customer-external", "EXTERNAL_KEY_STORE"),
    ({"CloudHsmClusterId": "cluster-1a23b4cdefg"}, "customer-managed", "AWS_CLOUDHSM"),
])
def test_a_custom_key_stores_type_says_who_holds_its_keys(conf: dict[str, Any], control: str, kind: str) -> None:
    res, flows = _read(_item("aws_kms_custom_key_store", "cks-1234567890abcdef0", "eu-central-1",
                             {"CustomKeyStoreId": "cks-1234567890abcdef0", **conf}))
    assert res.id == f"aws:{ACCT}:eu-central-1:aws_kms_custom_key_store:cks-1234567890abcdef0"
    assert (res.attributes["key_control"], res.attributes["key_store_type"], flows) == (control, kind, set())


@pytest.mark.parametrize(("conf", "control"), [
    ({"keyManager": "CUSTOMER", "origin": "AWS_KMS"}, "customer-managed"),
    # Imported key material: the customer made it, but KMS holds and uses it (BYOK, not HYOK).
    ({"keyManager": "CUSTOMER", "origin": "EXTERNAL"}, "customer-managed"),
    ({"keyManager": "CUSTOMER", "origin": "AWS_CLOUDHSM"}, "customer-managed"),
    # Only a key in an external key store stays outside AWS.
    ({"keyManager": "CUSTOMER", "origin": "EXTERNAL_KEY_STORE"}, "customer-external"),
    ({"keyManager": "AWS", "origin": "AWS_KMS"}, "provider-managed"),
])
def test_a_kms_keys_origin_says_who_holds_it(conf: dict[str, Any], control: str) -> None:
    key = f"arn:aws:kms:eu-central-1:{ACCT}:key/5e6f7a8b-1111-4222-8333-444455556666"
    res, _ = _read(_item("AWS::KMS::Key", key, "eu-central-1", conf, key))
    assert res.attributes["key_control"] == control
