"""Per-type facts of AWS Config items: data flows, encryption keys, sizes.

AWS Config says that item ``relationships`` do not include data flows
(https://docs.aws.amazon.com/config/latest/developerguide/config-concepts.html, checked
2026-11-30), so replication, replicas, CDN origins, log sinks, backup copies, peering and
cross-account trust are read from ``configuration`` / ``supplementaryConfiguration`` here, one
small extractor per resource type. Field names follow the Config property schema
(https://github.com/awslabs/aws-config-resource-schema, ``config/properties/resource-types``,
checked 2026-11-30), whose casing varies by type (``kmskeyArn``, ``dBInstanceIdentifier``,
EFS ``KmsKeyId``), so look-ups fall back to a case-insensitive match. Records are JSON-decoded
(or boto3) plain ``dict``s: type checks use ``dict``, several times cheaper than the ``Mapping``
ABC on the million-record path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from providers.common import aws_region_of, maybe_json, parse_arn
from scanner.model import Flow, FlowKind, KeyControl, KeyRef

PROVIDER = "aws"
_GIB = 1024**3


@dataclass(frozen=True, slots=True)
class Context:
    """What an extractor knows about the item it reads."""

    id: str
    resource_type: str
    account: str | None
    region: str | None
    partition: str
    conf: Mapping[str, Any]
    supp: Mapping[str, Any]


@dataclass(slots=True)
class Facts:
    """What an extractor found: the key, the size (GiB), small attributes and flows."""

    key: KeyRef | None = None
    size_gb: float | None = None
    attributes: dict[str, Any] = dc_field(default_factory=dict)
    flows: list[Flow] = dc_field(default_factory=list)

    def flow(self, source: str, target: str, kind: FlowKind, evidence: str,
             target_region: str | None = None) -> None:
        if source != target:
            self.flows.append(Flow(source, target, kind, evidence, PROVIDER, target_region))


def field(obj: Any, *names: str) -> Any:
    """``obj[name]`` for the first name present (JSON strings decoded), case-insensitively as a fallback."""
    if not isinstance(obj, dict):
        return None
    for name in names:
        value = obj.get(name)
        if value is not None:
            return maybe_json(value) if isinstance(value, str) else value
    wanted = _lowered(names)
    for key, value in obj.items():
        if value is not None and isinstance(key, str) and key.lower() in wanted:
            return maybe_json(value)
    return None


_LOWERED: dict[tuple[str, ...], frozenset[str]] = {}


def _lowered(names: tuple[str, ...]) -> frozenset[str]:
    """The lower-cased ``names`` of a :func:`field` look-up (a handful of literal tuples, kept)."""
    wanted = _LOWERED.get(names)
    if wanted is None:
        wanted = _LOWERED[names] = frozenset(n.lower() for n in names)
    return wanted


def find_keys(obj: Any, names: frozenset[str], path: str = "") -> Iterator[tuple[str, Any]]:
    """Depth-first ``(path, value)`` of every key whose lower-cased name is in ``names``."""
    obj = maybe_json(obj)
    if isinstance(obj, dict):
        for key, value in obj.items():
            here = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and key.lower() in names and value is not None:
                yield here, value
            elif isinstance(value, dict | list | str):
                yield from find_keys(value, names, here)
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from find_keys(value, names, f"{path}[{i}]")


def _items(value: Any) -> list[tuple[str, Any]]:
    """``(label, element)`` of a list (``[i]``), a map keyed by id (``.id``) or ``{items: [...]}``."""
    value = maybe_json(value)
    if isinstance(value, dict):
        inner = field(value, "items")
        if isinstance(inner, list):
            return [(f".items[{i}]", v) for i, v in enumerate(inner)]
        return [(f".{k}", v) for k, v in value.items()]
    if isinstance(value, list):
        return [(f"[{i}]", v) for i, v in enumerate(value)]
    return []


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def kms_ref(key_id: Any, ctx: Context) -> KeyRef | None:
    """A KMS key reference as ``KeyRef``; ``alias/aws/*`` is an AWS-managed key.

    Bare key ids and aliases are completed to ARNs in the item's account and region so that
    they join the ``AWS::KMS::Key`` items (keyed by ARN). A key ARN may still name an
    AWS-managed key (RDS shows ``aws/rds`` by key ARN): a later stage refines it from the key
    resource's ``key_control``.
    """
    if not isinstance(key_id, str) or not key_id.strip():
        return None
    key = key_id.strip()
    parsed = parse_arn(key)
    resource = parsed["resource"] if parsed else key
    if resource.startswith("alias/aws/"):
        return KeyRef(KeyControl.PROVIDER)
    if parsed is None and ctx.account and ctx.region and ctx.region != "global":
        suffix = resource if resource.startswith("alias/") else f"key/{resource}"
        key = f"arn:{ctx.partition}:kms:{ctx.region}:{ctx.account}:{suffix}"
    return KeyRef(KeyControl.CUSTOMER, key)


def _encryption(ctx: Context, facts: Facts, encrypted: Any, key_id: Any) -> None:
    """Common ``encrypted`` + ``kmsKeyId`` pattern (RDS, EBS, EFS, Redshift)."""
    if encrypted is False:
        facts.attributes["encrypted"] = False
        return
    ref = kms_ref(key_id, ctx)
    if encrypted is True:
        facts.attributes["encrypted"] = True
        # Encrypted with no key id shown: the service's AWS-managed key (empty id = provider-managed).
        ref = ref or KeyRef(KeyControl.PROVIDER)
    if ref is not None:
        facts.key = ref


def s3_arn(name: str, partition: str) -> str:
    """The ARN of an S3 bucket: ``arn:aws:s3:::NAME`` (no region or account in bucket ARNs)."""
    return f"arn:{partition}:s3:::{name}"


# Virtual-hosted S3 endpoints: NAME.s3.amazonaws.com, NAME.s3.REGION.amazonaws.com, legacy
# NAME.s3-REGION.amazonaws.com, website NAME.s3-website[-.]REGION.amazonaws.com, dual-stack, and the
# China (amazonaws.com.cn) and European Sovereign Cloud (amazonaws.eu) suffixes.
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html (checked 2026-11-30).
_S3_DOMAIN = re.compile(
    r"^(?P<bucket>[a-z0-9].*?)\.s3(?:-website)?(?:\.dualstack)?"
    r"(?:[.-](?P<region>[a-z]{2,4}(?:-[a-z]+)+-\d+))?\.amazonaws\.(?:com(?:\.cn)?|eu)\.?$")


def s3_domain(domain: Any) -> tuple[str, str | None] | None:
    """``(bucket, region or None)`` from an S3 endpoint host name; None for other hosts."""
    if not isinstance(domain, str):
        return None
    match = _S3_DOMAIN.match(domain.strip().lower())
    if match is None:
        return None
    return match.group("bucket"), match.group("region")


# --- extractors, one per Config resource type ---------------------------------------------------

def _s3_bucket(ctx: Context, facts: Facts) -> None:
    supp = ctx.supp
    bucket = ctx.id.rsplit(":", 1)[-1]
    # SSE: AES256 = SSE-S3 (provider key); aws:kms / aws:kms:dsse with a customer key id = CMK.
    sse = field(supp, "ServerSideEncryptionConfiguration")
    for _, rule in _items(field(sse, "rules")):
        default = field(rule, "applyServerSideEncryptionByDefault")
        algorithm = field(default, "sseAlgorithm")
        if algorithm == "AES256":
            facts.key = KeyRef(KeyControl.PROVIDER)
        elif isinstance(algorithm, str) and algorithm.startswith("aws:kms"):
            facts.key = kms_ref(field(default, "kmsMasterKeyID"), ctx) or KeyRef(KeyControl.PROVIDER)

    # Replication: rules are a map keyed by rule id (SDK v1) or a list (SDK v2).
    base = "supplementaryConfiguration.BucketReplicationConfiguration.rules"
    replication = field(supp, "BucketReplicationConfiguration")
    for label, rule in _items(field(replication, "rules")):
        if str(field(rule, "status") or "").lower() != "enabled":
            continue
        where, prefix = rule, ""
        for name in ("destinationConfig", "destination", "Destination"):
            if isinstance(rule, dict) and isinstance(rule.get(name), dict):
                where, prefix = rule[name], f".{name}"
                break
        for path, value in find_keys(where, frozenset({"bucketarn", "bucket"})):
            if not isinstance(value, str) or not value:
                continue
            target = value if parse_arn(value) else s3_arn(value, ctx.partition)
            # A replica KMS key must be in the destination bucket's region, so its ARN tells
            # the region the rule itself does not show.
            # https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html
            region = None
            for _, key in find_keys(rule, frozenset({"replicakmskeyid"})):
                parsed = parse_arn(str(key))
                region = aws_region_of(parsed["region"]) if parsed else None
            # Live collection adds the destination bucket's region (GetBucketLocation) when it is in
            # the same account, even in a region that was not scanned.
            region = region or aws_region_of(field(where, "bucketRegion"))
            facts.flow(ctx.id, target, FlowKind.REPLICATION, f"{base}{label}{prefix}.{path}", region)
            break

    logging = field(supp, "BucketLoggingConfiguration")
    dest_bucket = field(logging, "destinationBucketName")
    if isinstance(dest_bucket, str) and dest_bucket and dest_bucket != bucket:
        facts.flow(ctx.id, s3_arn(dest_bucket, ctx.partition), FlowKind.LOGS,
                   "supplementaryConfiguration.BucketLoggingConfiguration.destinationBucketName")


def _rds_arn(ident: Any, kind: str, ctx: Context) -> str | None:
    """An RDS ARN from an identifier: same-region replicas are named, cross-region ones are ARNs."""
    if not isinstance(ident, str) or not ident:
        return None
    if parse_arn(ident):
        return ident
    if ctx.account and ctx.region:
        return f"arn:{ctx.partition}:rds:{ctx.region}:{ctx.account}:{kind}:{ident}"
    return None


def _region_of_arn(arn: str, default: str | None) -> str | None:
    parsed = parse_arn(arn)
    return aws_region_of(parsed["region"]) if parsed and parsed["region"] else default


def _replicas(ctx: Context, facts: Facts, names: tuple[str, ...], kind: str) -> None:
    for attr in names:
        for label, ident in _items(field(ctx.conf, attr)):
            target = _rds_arn(ident, kind, ctx)
            if target:
                facts.flow(ctx.id, target, FlowKind.REPLICA, f"configuration.{attr}{label}",
                           _region_of_arn(target, ctx.region))


def _replica_source(ctx: Context, facts: Facts, attr: str, kind: str) -> None:
    source = _rds_arn(field(ctx.conf, attr), kind, ctx)
    if source:
        facts.flow(source, ctx.id, FlowKind.REPLICA, f"configuration.{attr}", ctx.region)


def _rds_engine(ctx: Context, facts: Facts) -> str:
    engine = field(ctx.conf, "engine")
    if isinstance(engine, str) and engine:
        facts.attributes["engine"] = engine
        return engine
    return ""


def _rds_instance(ctx: Context, facts: Facts) -> None:
    conf = ctx.conf
    _rds_engine(ctx, facts)
    facts.size_gb = _number(field(conf, "allocatedStorage"))  # GiB
    _encryption(ctx, facts, field(conf, "storageEncrypted"), field(conf, "kmsKeyId"))
    _replicas(ctx, facts, ("readReplicaDBInstanceIdentifiers",), "db")
    _replicas(ctx, facts, ("readReplicaDBClusterIdentifiers",), "cluster")
    _replica_source(ctx, facts, "readReplicaSourceDBInstanceIdentifier", "db")


def _rds_cluster(ctx: Context, facts: Facts) -> None:
    conf = ctx.conf
    engine = _rds_engine(ctx, facts)
    # Aurora reports allocatedStorage = 1 whatever the volume holds; only Multi-AZ DB clusters
    # of other engines have a real allocation.
    if not engine.startswith("aurora"):
        facts.size_gb = _number(field(conf, "allocatedStorage"))
    _encryption(ctx, facts, field(conf, "storageEncrypted"), field(conf, "kmsKeyId"))
    _replicas(ctx, facts, ("readReplicaIdentifiers",), "cluster")
    _replica_source(ctx, facts, "replicationSourceIdentifier", "cluster")


def _rds_global_cluster(ctx: Context, facts: Facts) -> None:
    members = [m for _, m in _items(field(ctx.conf, "globalClusterMembers")) if isinstance(m, dict)]
    writers = [field(m, "dBClusterArn") for m in members if field(m, "isWriter") is True]
    for writer in writers:
        for i, member in enumerate(members):
            arn = field(member, "dBClusterArn")
            if isinstance(writer, str) and isinstance(arn, str) and arn != writer:
                facts.flow(writer, arn, FlowKind.REPLICA,
                           f"configuration.globalClusterMembers[{i}].dBClusterArn",
                           _region_of_arn(arn, None))


def _dynamodb_table(ctx: Context, facts: Facts) -> None:
    conf = ctx.conf
    size = _number(field(conf, "tableSizeBytes"))
    facts.size_gb = None if size is None else size / _GIB
    sse = field(conf, "ssedescription", "sSEDescription")
    if isinstance(sse, dict):
        facts.key = kms_ref(field(sse, "kmsmasterKeyArn"), ctx) or KeyRef(KeyControl.PROVIDER)
    else:
        # No SSEDescription: the table uses the AWS owned key, DynamoDB's default.
        # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/EncryptionAtRest.html
        facts.key = KeyRef(KeyControl.PROVIDER)
    parsed = parse_arn(ctx.id)
    table = field(conf, "tableName")
    for label, replica in _items(field(conf, "replicas")):
        region = aws_region_of(field(replica, "regionName"))
        if not region or region == ctx.region or field(replica, "replicaStatus") == "DELETING":
            continue
        if parsed:
            target = f"arn:{parsed['partition']}:dynamodb:{region}:{parsed['account']}:{parsed['resource']}"
        elif ctx.account and isinstance(table, str):
            target = f"arn:{ctx.partition}:dynamodb:{region}:{ctx.account}:table/{table}"
        else:
            continue
        facts.flow(ctx.id, target, FlowKind.REPLICA, f"configuration.replicas{label}.regionName", region)


def _kms_key(ctx: Context, facts: Facts) -> None:
    manager = field(ctx.conf, "keyManager")
    origin = field(ctx.conf, "origin")
    # https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyMetadata.html: KeyManager
    # AWS|CUSTOMER; Origin AWS_KMS|EXTERNAL|AWS_CLOUDHSM|EXTERNAL_KEY_STORE (checked 2026-11-30).
    # Only a key in an external key store stays outside AWS. Imported key material (EXTERNAL) is
    # made by the customer but held and used by KMS, like any customer key, so it is
    # customer-managed, as Terraform's aws_kms_external_key is read.
    if origin == "EXTERNAL_KEY_STORE":
        facts.attributes["key_control"] = KeyControl.EXTERNAL.value
    elif manager == "AWS":
        facts.attributes["key_control"] = KeyControl.PROVIDER.value
    elif manager or origin:
        facts.attributes["key_control"] = KeyControl.CUSTOMER.value


def _cloudfront_distribution(ctx: Context, facts: Facts) -> None:
    config = field(ctx.conf, "distributionConfig")
    base = "configuration.distributionConfig"
    if not isinstance(config, dict):
        config, base = ctx.conf, "configuration"
    for label, origin in _items(field(config, "origins")):
        found = s3_domain(field(origin, "domainName"))
        if found:
            facts.flow(s3_arn(found[0], ctx.partition), ctx.id, FlowKind.CDN,
                       f"{base}.origins{label}.domainName", "global")
    logging = field(config, "logging")
    if field(logging, "enabled") is not False:
        found = s3_domain(field(logging, "bucket"))
        if found:
            facts.flow(ctx.id, s3_arn(found[0], ctx.partition), FlowKind.LOGS,
                       f"{base}.logging.bucket", aws_region_of(found[1]))


def _vpc_id(info: Any, ctx: Context) -> tuple[str, str | None] | None:
    vpc = field(info, "vpcId")
    if not isinstance(vpc, str) or not vpc:
        return None
    owner = field(info, "ownerId") or ctx.account
    region = aws_region_of(field(info, "region")) or ctx.region
    if owner and region:
        return f"arn:{ctx.partition}:ec2:{region}:{owner}:vpc/{vpc}", region
    return f"aws:{owner or 'unknown'}:{region or 'global'}:AWS::EC2::VPC:{vpc}", region


_DEAD_PEERINGS = frozenset({"deleted", "deleting", "rejected", "failed", "expired"})


def _vpc_peering(ctx: Context, facts: Facts) -> None:
    status = field(field(ctx.conf, "status"), "code")
    if isinstance(status, str) and status.lower() in _DEAD_PEERINGS:
        return
    requester = _vpc_id(field(ctx.conf, "requesterVpcInfo"), ctx)
    accepter = _vpc_id(field(ctx.conf, "accepterVpcInfo"), ctx)
    if requester and accepter:
        facts.flow(requester[0], accepter[0], FlowKind.PEERING, "configuration.accepterVpcInfo.vpcId",
                   accepter[1])


_ACCOUNT_ID = re.compile(r"^\d{12}$")


def _iam_role(ctx: Context, facts: Facts) -> None:
    document = field(ctx.conf, "assumeRolePolicyDocument")
    statements = field(document, "Statement")
    if isinstance(statements, dict):
        statements = [statements]
    seen: set[str] = set()
    for i, statement in enumerate(statements if isinstance(statements, list) else ()):
        if field(statement, "Effect") != "Allow":
            continue
        principal = field(statement, "Principal")
        # Service and Federated principals are not other AWS accounts; "*" is anyone, not an account.
        aws = field(principal, "AWS")
        for value in aws if isinstance(aws, list) else [aws]:
            if not isinstance(value, str):
                continue
            parsed = parse_arn(value)
            account = parsed["account"] if parsed else value if _ACCOUNT_ID.match(value) else None
            if account and account != ctx.account and account not in seen:
                seen.add(account)
                facts.flow(ctx.id, f"arn:{ctx.partition}:iam::{account}:root", FlowKind.TRUST,
                           f"configuration.assumeRolePolicyDocument.Statement[{i}].Principal.AWS", "global")


def _redshift_cluster(ctx: Context, facts: Facts) -> None:
    conf = ctx.conf
    _encryption(ctx, facts, field(conf, "encrypted"), field(conf, "kmsKeyId"))
    region = aws_region_of(field(field(conf, "clusterSnapshotCopyStatus"), "destinationRegion"))
    name = field(conf, "clusterIdentifier") or ctx.id.rsplit(":", 1)[-1]
    if region and ctx.account:
        # Copied snapshots have no ARN until taken; key them by the convention for ARN-less ids.
        facts.flow(ctx.id, f"aws:{ctx.account}:{region}:AWS::Redshift::ClusterSnapshot:{name}",
                   FlowKind.BACKUP, "configuration.clusterSnapshotCopyStatus.destinationRegion", region)
    logging = field(ctx.supp, "LoggingStatus")
    bucket = field(logging, "bucketName")
    if field(logging, "loggingEnabled") is True and isinstance(bucket, str) and bucket:
        facts.flow(ctx.id, s3_arn(bucket, ctx.partition), FlowKind.LOGS,
                   "supplementaryConfiguration.LoggingStatus.bucketName")


def _backup_plan(ctx: Context, facts: Facts) -> None:
    # Schema: configuration.BackupPlan.BackupPlanRule[].CopyActions[].DestinationBackupVaultArn.
    for path, vault in find_keys(ctx.conf, frozenset({"destinationbackupvaultarn"})):
        if isinstance(vault, str) and vault:
            facts.flow(ctx.id, vault, FlowKind.BACKUP, f"configuration.{path}",
                       _region_of_arn(vault, None))


def _lambda_function(ctx: Context, facts: Facts) -> None:
    # Without kmskeyArn, Lambda encrypts environment variables with an AWS managed key.
    # https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html
    facts.key = kms_ref(field(ctx.conf, "kmskeyArn", "kmsKeyArn"), ctx) or KeyRef(KeyControl.PROVIDER)


def _ebs_volume(ctx: Context, facts: Facts) -> None:
    facts.size_gb = _number(field(ctx.conf, "size"))  # GiB
    _encryption(ctx, facts, field(ctx.conf, "encrypted"), field(ctx.conf, "kmsKeyId"))


def _efs_file_system(ctx: Context, facts: Facts) -> None:
    _encryption(ctx, facts, field(ctx.conf, "Encrypted"), field(ctx.conf, "KmsKeyId"))


def _cloudtrail_trail(ctx: Context, facts: Facts) -> None:
    bucket = field(ctx.conf, "s3BucketName")
    if isinstance(bucket, str) and bucket:
        facts.flow(ctx.id, s3_arn(bucket, ctx.partition), FlowKind.LOGS, "configuration.s3BucketName")
    ref = kms_ref(field(ctx.conf, "kmsKeyId"), ctx)
    if ref is not None:
        facts.key = ref


# --- snapshots, images, recovery points, custom key stores -------------------------------------
#
# A copy taken in another region or account names its source: it becomes a backup flow from the
# resource whose data it holds to the copy, so that the source's locations include the copy's region
# and the copy holds what the source holds. Field names: the API references of DBSnapshot,
# DBClusterSnapshot, Redshift Snapshot, EC2 Snapshot and Image, Backup RecoveryPointByBackupVault
# (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBSnapshot.html,
# …/API_DBClusterSnapshot.html, https://docs.aws.amazon.com/redshift/latest/APIReference/API_Snapshot.html,
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Snapshot.html, …/API_Image.html,
# https://docs.aws.amazon.com/aws-backup/latest/devguide/API_RecoveryPointByBackupVault.html;
# checked 2026-12-04), which AWS Config items spell in camel case.

def _copied_from(ctx: Context, facts: Facts, source: str, evidence: str) -> None:
    facts.flow(source, ctx.id, FlowKind.BACKUP, f"configuration.{evidence}", ctx.region)


def _rds_copy(ctx: Context, facts: Facts, source_attr: str, owner_attr: str, kind: str) -> None:
    """An RDS snapshot copied from another region or account: the source snapshot (an ARN), and the
    instance or cluster the original was taken of, in the source's region and account."""
    source = field(ctx.conf, source_attr)
    parsed = parse_arn(source) if isinstance(source, str) else None
    if parsed is None or not parsed["region"] or not parsed["account"]:
        return
    _copied_from(ctx, facts, str(source), source_attr)
    owner = field(ctx.conf, owner_attr)
    if isinstance(owner, str) and owner:
        _copied_from(ctx, facts, f"arn:{parsed['partition']}:rds:{parsed['region']}:{parsed['account']}:{kind}:{owner}",
                     owner_attr)


def _rds_snapshot(ctx: Context, facts: Facts) -> None:
    # AllocatedStorage: the source instance's allocation in GiB, what a restore needs.
    _rds_engine(ctx, facts)
    facts.size_gb = _number(field(ctx.conf, "allocatedStorage"))
    _encryption(ctx, facts, field(ctx.conf, "encrypted"), field(ctx.conf, "kmsKeyId"))
    # SourceDBSnapshotIdentifier is set only on cross-Region and cross-account copies.
    _rds_copy(ctx, facts, "sourceDBSnapshotIdentifier", "dBInstanceIdentifier", "db")


def _rds_cluster_snapshot(ctx: Context, facts: Facts) -> None:
    engine = _rds_engine(ctx, facts)
    if not engine.startswith("aurora"):  # as for clusters: Aurora's allocatedStorage says nothing of the size
        facts.size_gb = _number(field(ctx.conf, "allocatedStorage"))
    _encryption(ctx, facts, field(ctx.conf, "storageEncrypted"), field(ctx.conf, "kmsKeyId"))
    _rds_copy(ctx, facts, "sourceDBClusterSnapshotArn", "dBClusterIdentifier", "cluster")


def _redshift_snapshot(ctx: Context, facts: Facts) -> None:
    conf = ctx.conf
    _encryption(ctx, facts, field(conf, "encrypted"), field(conf, "kmsKeyId"))
    size = _number(field(conf, "totalBackupSizeInMegaBytes"))
    facts.size_gb = None if size is None else size / 1024
    # SourceRegion is set on copies only; cross-region snapshot copy stays in the cluster's account.
    region = aws_region_of(field(conf, "sourceRegion"))
    cluster = field(conf, "clusterIdentifier")
    if region and region != ctx.region and isinstance(cluster, str) and cluster and ctx.account:
        _copied_from(ctx, facts, f"arn:{ctx.partition}:redshift:{region}:{ctx.account}:cluster:{cluster}",
                     "sourceRegion")


def _ebs_snapshot(ctx: Context, facts: Facts) -> None:
    # FullSnapshotSizeInBytes: the blocks written to the volume; VolumeSize (GiB) for older answers.
    # No copy flow: the API does not name a copy's source, and a copy's VolumeId is arbitrary.
    full = _number(field(ctx.conf, "fullSnapshotSizeInBytes"))
    facts.size_gb = full / _GIB if full is not None else _number(field(ctx.conf, "volumeSize"))
    _encryption(ctx, facts, field(ctx.conf, "encrypted"), field(ctx.conf, "kmsKeyId"))


def _ec2_image(ctx: Context, facts: Facts) -> None:
    """An AMI: the size and encryption of its EBS block devices, and the image it was copied from."""
    sizes: list[float | None] = []
    encrypted: list[Any] = []
    keys: set[str] = set()
    for _, mapping in _items(field(ctx.conf, "blockDeviceMappings")):
        ebs = field(mapping, "ebs")
        if not isinstance(ebs, dict):
            continue  # an instance-store (ephemeral) device holds nothing of the image
        sizes.append(_number(field(ebs, "volumeSize")))
        encrypted.append(field(ebs, "encrypted"))
        key = field(ebs, "kmsKeyId")
        if isinstance(key, str) and key:
            keys.add(key)
    if sizes and None not in sizes:
        facts.size_gb = sum(s for s in sizes if s is not None)
    if False in encrypted:
        facts.attributes["encrypted"] = False
    elif encrypted and all(e is True for e in encrypted):
        facts.attributes["encrypted"] = True
        # DescribeImages does not show the snapshots' key: without one, who holds it stays unknown.
        if len(keys) == 1:
            facts.key = kms_ref(next(iter(keys)), ctx)
    source, region = field(ctx.conf, "sourceImageId"), aws_region_of(field(ctx.conf, "sourceImageRegion"))
    if isinstance(source, str) and source and region and not ctx.id.endswith(f"/{source}"):
        _copied_from(ctx, facts, f"arn:{ctx.partition}:ec2:{region}::image/{source}", "sourceImageId")


def _recovery_point(ctx: Context, facts: Facts) -> None:
    conf = ctx.conf
    size = _number(field(conf, "backupSizeInBytes"))
    facts.size_gb = None if size is None else size / _GIB
    if field(conf, "encryptionKeyType") == "AWS_OWNED_KMS_KEY":
        facts.key = KeyRef(KeyControl.PROVIDER)
    else:
        ref = kms_ref(field(conf, "encryptionKeyArn"), ctx)
        if ref is not None:
            facts.key = ref
        encrypted = field(conf, "isEncrypted")
        if isinstance(encrypted, bool):
            facts.attributes["encrypted"] = encrypted
    # A copy (from another vault, SourceBackupVaultArn) holds the data of the resource backed up,
    # ResourceArn, which may sit in another region.
    resource = field(conf, "resourceArn")
    if not isinstance(resource, str) or parse_arn(resource) is None:
        return
    source_vault = field(conf, "sourceBackupVaultArn")
    if (isinstance(source_vault, str) and source_vault) or _region_of_arn(resource, ctx.region) != ctx.region:
        _copied_from(ctx, facts, resource, "resourceArn")


def _custom_key_store(ctx: Context, facts: Facts) -> None:
    """Who holds the key material of the store's keys: an external key manager outside AWS (XKS) or
    the customer's CloudHSM cluster, which AWS KMS operates with its own crypto user.

    https://docs.aws.amazon.com/kms/latest/APIReference/API_CustomKeyStoresListEntry.html (checked
    2026-12-04); a store listed without its type is told by its CloudHSM cluster or XKS proxy.
    """
    kind = field(ctx.conf, "customKeyStoreType")
    if not isinstance(kind, str) or not kind:
        kind = ("EXTERNAL_KEY_STORE" if field(ctx.conf, "xksProxyConfiguration") else
                "AWS_CLOUDHSM" if field(ctx.conf, "cloudHsmClusterId") else None)
    if kind == "EXTERNAL_KEY_STORE":
        facts.attributes["key_control"] = KeyControl.EXTERNAL.value
    elif kind == "AWS_CLOUDHSM":
        facts.attributes["key_control"] = KeyControl.CUSTOMER.value
    if kind:
        facts.attributes["key_store_type"] = kind


Extractor = Callable[[Context, Facts], None]

def _secret(ctx: Context, facts: Facts) -> None:
    """Secrets Manager: the key, and the regions a secret is replicated to (``ReplicationStatus``).

    https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html
    (``KmsKeyId`` absent: the AWS managed key ``aws/secretsmanager``; checked 2026-11-30).
    """
    conf = ctx.conf
    facts.key = kms_ref(field(conf, "kmsKeyId", "KmsKeyId"), ctx) or KeyRef(KeyControl.PROVIDER)
    parsed = parse_arn(ctx.id)
    for label, replica in _items(field(conf, "replicationStatus", "ReplicationStatus")):
        region = aws_region_of(field(replica, "region", "Region"))
        if not region or region == ctx.region or parsed is None:
            continue
        target = f"arn:{parsed['partition']}:secretsmanager:{region}:{parsed['account']}:{parsed['resource']}"
        facts.flow(ctx.id, target, FlowKind.REPLICA, f"configuration.ReplicationStatus{label}.Region", region)


EXTRACTORS: dict[str, Extractor] = {
    "AWS::S3::Bucket": _s3_bucket,
    "AWS::RDS::DBInstance": _rds_instance,
    "AWS::RDS::DBCluster": _rds_cluster,
    "AWS::RDS::GlobalCluster": _rds_global_cluster,
    "AWS::DynamoDB::Table": _dynamodb_table,
    "AWS::KMS::Key": _kms_key,
    "AWS::CloudFront::Distribution": _cloudfront_distribution,
    "AWS::EC2::VPCPeeringConnection": _vpc_peering,
    "AWS::IAM::Role": _iam_role,
    "AWS::Redshift::Cluster": _redshift_cluster,
    "AWS::Backup::BackupPlan": _backup_plan,
    "AWS::Lambda::Function": _lambda_function,
    "AWS::EC2::Volume": _ebs_volume,
    "AWS::EFS::FileSystem": _efs_file_system,
    "AWS::CloudTrail::Trail": _cloudtrail_trail,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::RDS::DBSnapshot": _rds_snapshot,
    "AWS::RDS::DBClusterSnapshot": _rds_cluster_snapshot,
    "AWS::Redshift::ClusterSnapshot": _redshift_snapshot,
    "ec2:snapshot": _ebs_snapshot,
    "ec2:image": _ec2_image,
    "AWS::Backup::RecoveryPoint": _recovery_point,
    "aws_kms_custom_key_store": _custom_key_store,
}
