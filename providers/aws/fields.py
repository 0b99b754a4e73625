"""What of an AWS configuration item the analysis reads: the allowlist applied as records are collected.

``EXPORT_FIELDS`` maps the raw-record kinds of AWS live collection to the function that keeps, of
each configuration item, the envelope (type, ARN, account, region, id, name, status, tags with
secret-looking values redacted) and, per resource type, only the ``configuration`` and
``supplementaryConfiguration`` fields that ``providers.aws.relations`` reads (encryption keys,
sizes, replicas and replication destinations, log buckets, trust principals). Everything else,
such as CloudFront origin custom headers, Lambda environments or Glue job arguments, is dropped
before the record is transformed or saved (see ``providers/export.py``). A test runs the transform
on every configuration item of the test fixtures before and after, and requires the same result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.export import TAGS, Spec, keep

#: Fields of the item itself (both the S3-delivery and the advanced-query spellings).
ENVELOPE: Spec = {
    "resourceType": True, "ARN": True, "awsAccountId": True, "accountId": True, "awsRegion": True,
    "resourceId": True, "resourceName": True, "configurationItemStatus": True, "tags": TAGS,
}

_ENCRYPTION = {"storageEncrypted": True, "encrypted": True, "kmsKeyId": True}

#: Resource type → (configuration allowlist, supplementaryConfiguration allowlist).
BY_TYPE: dict[str, tuple[Spec, Spec]] = {
    "AWS::S3::Bucket": ({}, {
        "ServerSideEncryptionConfiguration": {"rules": {"applyServerSideEncryptionByDefault": {
            "sseAlgorithm": True, "kmsMasterKeyID": True}}},
        # rules: a list (SDK v2) or a map keyed by rule id (SDK v1), see _replication_rules
        "BucketReplicationConfiguration": {"rules": True},
        "BucketLoggingConfiguration": {"destinationBucketName": True},
        "BucketTaggingConfiguration": {"tagSets": {"tags": TAGS}},
    }),
    "AWS::RDS::DBInstance": ({
        "engine": True, "allocatedStorage": True, **_ENCRYPTION, "readReplicaDBInstanceIdentifiers": True,
        "readReplicaDBClusterIdentifiers": True, "readReplicaSourceDBInstanceIdentifier": True}, {}),
    "AWS::RDS::DBCluster": ({
        "engine": True, "allocatedStorage": True, **_ENCRYPTION, "readReplicaIdentifiers": True,
        "replicationSourceIdentifier": True}, {}),
    "AWS::RDS::GlobalCluster": ({"globalClusterMembers": {"dBClusterArn": True, "isWriter": True}}, {}),
    "AWS::DynamoDB::Table": ({
        "tableName": True, "tableSizeBytes": True, "sseDescription": {"kmsMasterKeyArn": True, "sseType": True,
                                                                      "status": True},
        "replicas": {"regionName": True, "replicaStatus": True}}, {}),
    "AWS::KMS::Key": ({"keyManager": True, "origin": True, "keyState": True}, {}),
    "AWS::CloudFront::Distribution": ({
        # the origin's domain only: never its custom headers (often a shared secret with the origin)
        "distributionConfig": {"origins": {"items": {"domainName": True}},
                               "logging": {"enabled": True, "bucket": True}},
        "origins": {"items": {"domainName": True}}, "logging": {"enabled": True, "bucket": True}}, {}),
    "AWS::EC2::VPCPeeringConnection": ({
        "status": {"code": True}, "requesterVpcInfo": {"vpcId": True, "ownerId": True, "region": True},
        "accepterVpcInfo": {"vpcId": True, "ownerId": True, "region": True}}, {}),
    "AWS::IAM::Role": ({"assumeRolePolicyDocument": {"Statement": {"Effect": True, "Principal": {"AWS": True}}}},
                       {}),
    "AWS::Redshift::Cluster": ({
        **_ENCRYPTION, "clusterIdentifier": True, "clusterSnapshotCopyStatus": {"destinationRegion": True}},
        {"LoggingStatus": {"bucketName": True, "loggingEnabled": True}}),
    "AWS::Backup::BackupPlan": ({"**": {"destinationBackupVaultArn": True}}, {}),
    "AWS::Lambda::Function": ({"kmsKeyArn": True}, {}),
    "AWS::EC2::Volume": ({"size": True, **_ENCRYPTION}, {}),
    "AWS::EFS::FileSystem": ({**_ENCRYPTION}, {}),
    "AWS::CloudTrail::Trail": ({"s3BucketName": True, "kmsKeyId": True}, {}),
    "AWS::SecretsManager::Secret": ({"kmsKeyId": True, "primaryRegion": True,
                                     "replicationStatus": {"region": True, "status": True}}, {}),
    "AWS::RDS::DBSnapshot": ({
        "engine": True, "allocatedStorage": True, **_ENCRYPTION, "dBInstanceIdentifier": True,
        "sourceDBSnapshotIdentifier": True, "snapshotType": True, "dBSnapshotArn": True}, {}),
    "AWS::RDS::DBClusterSnapshot": ({
        "engine": True, "allocatedStorage": True, **_ENCRYPTION, "dBClusterIdentifier": True,
        "sourceDBClusterSnapshotArn": True, "snapshotType": True,
        "dBClusterSnapshotArn": True}, {}),
    "AWS::Redshift::ClusterSnapshot": ({
        **_ENCRYPTION, "clusterIdentifier": True, "sourceRegion": True, "totalBackupSizeInMegaBytes": True,
        "snapshotType": True, "snapshotArn": True}, {}),
    "ec2:snapshot": ({**_ENCRYPTION, "volumeSize": True, "fullSnapshotSizeInBytes": True}, {}),
    "ec2:image": ({"sourceImageId": True, "sourceImageRegion": True, "blockDeviceMappings": {
        "ebs": {"volumeSize": True, **_ENCRYPTION}}}, {}),
    "AWS::Backup::RecoveryPoint": ({
        "recoveryPointArn": True, "backupVaultArn": True, "sourceBackupVaultArn": True, "resourceArn": True,
        "resourceType": True, "backupSizeInBytes": True, "encryptionKeyArn": True, "isEncrypted": True,
        "encryptionKeyType": True}, {}),
    "aws_kms_custom_key_store": ({"customKeyStoreType": True, "connectionState": True, "cloudHsmClusterId": True,
                                  "xksProxyConfiguration": {"connectivity": True}}, {}),
}


_DESTINATION: Spec = {"bucketARN": True, "bucket": True, "bucketRegion": True, "**": {"replicaKmsKeyID": True}}
#: One replication rule: its status, destination bucket (and the region sovscan read for it), and
#: the replica key wherever the rule shows it (its ARN names the destination's region).
REPLICATION_RULE: Spec = {"status": True, "destinationConfig": _DESTINATION, "destination": _DESTINATION,
                          "**": {"replicaKmsKeyID": True}}


def _replication_rules(supp: Any) -> None:
    """Filter the replication rules of a bucket's supplementary configuration in place."""
    from providers.common import maybe_json

    config = maybe_json(supp.get("BucketReplicationConfiguration")) if isinstance(supp, dict) else None
    if not isinstance(config, dict):
        return
    rules = next((config[k] for k in config if str(k).lower() == "rules"), None)
    if isinstance(rules, dict):
        filtered: Any = {rule_id: keep(rule, REPLICATION_RULE) for rule_id, rule in rules.items()}
    elif isinstance(rules, list):
        filtered = [keep(rule, REPLICATION_RULE) for rule in rules]
    else:
        filtered = None
    supp["BucketReplicationConfiguration"] = {"rules": filtered}


def config_item(record: Mapping[str, Any]) -> dict[str, Any]:
    """One configuration item (or advanced-query result) reduced to what the transform reads."""
    out: dict[str, Any] = keep(record, ENVELOPE)
    rtype = record.get("resourceType")
    conf_spec, supp_spec = BY_TYPE.get(rtype, ({}, {})) if isinstance(rtype, str) else ({}, {})
    for name, spec in (("configuration", conf_spec), ("supplementaryConfiguration", supp_spec)):
        if name in record:
            out[name] = keep(record[name], spec)
    if rtype == "AWS::S3::Bucket" and isinstance(out.get("supplementaryConfiguration"), dict):
        _replication_rules(out["supplementaryConfiguration"])
    return out


EXPORT_FIELDS = {
    "aws-config-item": config_item,
    "aws-config-select-result": config_item,
}
