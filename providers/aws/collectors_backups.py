"""AWS collectors of the copies an account keeps of its data: snapshots, images, recovery points.

A snapshot, a machine image or a backup recovery point is a full copy of the data of the resource
it was taken of, and it often outlives that resource or sits in another region: each one is a
resource of its own, placed where it is. Only what the account itself owns is read: snapshots and
images shared with it by other accounts, or public ones, are other accounts' copies. The operations
each collector calls are declared beside it in :mod:`providers.aws.services`; what the transform
reads of each item (region, size, key, the source of a copy) is in :mod:`providers.aws.relations`.

- RDS DB snapshots and DB cluster snapshots: ``DescribeDBSnapshots`` / ``DescribeDBClusterSnapshots``
  without ``SnapshotType`` return the account's automated and manual snapshots, neither shared nor
  public ones (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBSnapshots.html,
  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBClusterSnapshots.html,
  checked 2026-12-04). Snapshots that AWS Backup manages are its recovery points, read below.
- Redshift cluster snapshots: ``DescribeClusterSnapshots`` with ``OwnerAccount`` set to the account
  (https://docs.aws.amazon.com/redshift/latest/APIReference/API_DescribeClusterSnapshots.html,
  checked 2026-12-04), snapshots of deleted clusters included.
- EBS snapshots: ``DescribeSnapshots`` with ``OwnerIds=["self"]``; without it the answer holds
  every public snapshot of the region
  (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html, checked
  2026-12-04). Each snapshot's ``OwnerId`` is checked as well, so a server that ignores the filter
  cannot bring other accounts' snapshots in.
- AMIs: ``DescribeImages`` with ``Owners=["self"]`` and ``IncludeDisabled`` (a disabled image still
  holds its snapshots; deprecated images of the owner are always listed)
  (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImages.html, checked 2026-12-04).
- AWS Backup recovery points: ``ListRecoveryPointsByBackupVault`` for each of the account's vaults
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListRecoveryPointsByBackupVault.html,
  checked 2026-12-04). A recovery point of an EBS volume or an RDS database is an EBS or RDS
  snapshot with the same ARN: both records describe one resource and are merged by it.

EBS snapshots and AMIs have no AWS Config type: their items are typed as Resource Explorer and the
knowledge base name them (``ec2:snapshot``, ``ec2:image``), with the ARN form the Service
Authorization Reference gives them, which has no account (``arn:aws:ec2:REGION::snapshot/ID``,
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html, checked
2026-12-04) and which AWS Backup uses for its EBS recovery points.
"""

from __future__ import annotations

from collections.abc import Iterator

from providers.aws.items import ConfigItem, Scope, arn_of, item, pages


def collect_rds_snapshots(scope: Scope) -> Iterator[ConfigItem]:
    """The account's RDS DB snapshots and DB cluster snapshots (automated and manual), with their tags."""
    rds = scope.client("rds")
    for snap in pages(rds, "describe_db_snapshots", "DBSnapshots"):
        ident = snap["DBSnapshotIdentifier"]
        yield item(scope, "AWS::RDS::DBSnapshot", ident, snap,
                   arn=snap.get("DBSnapshotArn") or arn_of(scope, "rds", f"snapshot:{ident}"),
                   tags=snap.get("TagList") or {})
    for snap in pages(rds, "describe_db_cluster_snapshots", "DBClusterSnapshots"):
        ident = snap["DBClusterSnapshotIdentifier"]
        yield item(scope, "AWS::RDS::DBClusterSnapshot", ident, snap,
                   arn=snap.get("DBClusterSnapshotArn") or arn_of(scope, "rds", f"cluster-snapshot:{ident}"),
                   tags=snap.get("TagList") or {})


def collect_redshift_snapshots(scope: Scope) -> Iterator[ConfigItem]:
    """The account's Redshift cluster snapshots (automated and manual, also of deleted clusters)."""
    redshift = scope.client("redshift")
    for snap in pages(redshift, "describe_cluster_snapshots", "Snapshots", OwnerAccount=scope.account):
        ident, cluster = snap["SnapshotIdentifier"], snap.get("ClusterIdentifier") or ""
        yield item(scope, "AWS::Redshift::ClusterSnapshot", ident, snap,
                   arn=snap.get("SnapshotArn") or arn_of(scope, "redshift", f"snapshot:{cluster}/{ident}"),
                   tags=snap.get("Tags") or {})


def _ec2_arn(scope: Scope, kind: str, rid: str) -> str:
    return f"arn:{scope.partition}:ec2:{scope.region}::{kind}/{rid}"


def collect_ec2_snapshots(scope: Scope) -> Iterator[ConfigItem]:
    """The account's EBS snapshots and AMIs, with their tags."""
    ec2 = scope.client("ec2")
    for snap in pages(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"]):
        if snap.get("OwnerId") not in (None, scope.account):
            continue
        sid = snap["SnapshotId"]
        yield item(scope, "ec2:snapshot", sid, snap, arn=_ec2_arn(scope, "snapshot", sid), tags=snap.get("Tags") or {})
    for image in pages(ec2, "describe_images", "Images", Owners=["self"], IncludeDisabled=True):
        if image.get("OwnerId") not in (None, scope.account):
            continue
        iid = image["ImageId"]
        yield item(scope, "ec2:image", iid, image, arn=_ec2_arn(scope, "image", iid), name=image.get("Name") or iid,
                   tags=image.get("Tags") or {})


def collect_recovery_points(scope: Scope) -> Iterator[ConfigItem]:
    """Recovery points of each of the account's backup vaults; tags from the region's tag index."""
    backup = scope.client("backup")
    for vault in pages(backup, "list_backup_vaults", "BackupVaultList"):
        for point in pages(backup, "list_recovery_points_by_backup_vault", "RecoveryPoints",
                           BackupVaultName=vault["BackupVaultName"]):
            arn = point["RecoveryPointArn"]
            yield item(scope, "AWS::Backup::RecoveryPoint", arn, point, arn=arn,
                       name=arn.rsplit(":", 1)[-1].rsplit("/", 1)[-1])
