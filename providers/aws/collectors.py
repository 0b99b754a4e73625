"""AWS collectors of global services and of the services that store or move data.

One small function per service: Describe/List calls in one account and region (or once per
account for global services), each resource yielded as an AWS Config-shaped item
(:func:`providers.aws.items.item`). Config resource type names follow the Config resource schema
(https://github.com/awslabs/aws-config-resource-schema, checked 2026-11-30); DocumentDB and
Neptune clusters and instances are ``AWS::RDS::*`` there too, told apart by ``configuration.Engine``.
The operations each one calls are declared beside it in :mod:`providers.aws.services`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from providers.aws.items import ConfigItem, Scope, arn_of, item, optional, pages, token_pages

# --- global services (once per account) ---------------------------------------------------------


def s3_bucket_region(location: Any) -> str:
    """GetBucketLocation: no constraint = us-east-1, legacy ``EU`` = eu-west-1.

    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html (checked 2026-11-30).
    """
    if not location:
        return "us-east-1"
    return "eu-west-1" if location == "EU" else str(location)


def _replication_with_regions(replication: Any, regions: dict[str, str], partition: str) -> Any:
    """The replication configuration, each destination bucket of this account given its region.

    A replica's region is what places its copy, and GetBucketLocation told it for every bucket of
    the account, including those in regions that were not asked for: the flow keeps its country
    even when the destination bucket itself is out of scope (``Destination.BucketRegion``).
    """
    config = replication.get("ReplicationConfiguration") if isinstance(replication, dict) else None
    if not isinstance(config, dict):
        return config
    prefix = f"arn:{partition}:s3:::"
    for rule in config.get("Rules") or ():
        destination = rule.get("Destination") if isinstance(rule, dict) else None
        if isinstance(destination, dict) and isinstance(destination.get("Bucket"), str):
            name = destination["Bucket"].removeprefix(prefix)
            if name in regions:
                destination["BucketRegion"] = regions[name]
    return config


def collect_s3(scope: Scope) -> Iterator[ConfigItem]:
    """Buckets with region, replication (destination regions included), default encryption, logging, tags."""
    s3 = scope.client("s3")
    buckets = list(pages(s3, "list_buckets", "Buckets"))
    regions = {b["Name"]: s3_bucket_region(s3.get_bucket_location(Bucket=b["Name"]).get("LocationConstraint"))
               for b in buckets}
    for bucket in buckets:
        name = bucket["Name"]
        region = regions[name]
        if scope.regions is not None and region not in scope.regions:
            continue
        replication = optional(s3.get_bucket_replication, "ReplicationConfigurationNotFoundError", Bucket=name)
        encryption = optional(s3.get_bucket_encryption, "ServerSideEncryptionConfigurationNotFoundError",
                              Bucket=name)
        logging = optional(s3.get_bucket_logging, Bucket=name) or {}
        tagging = optional(s3.get_bucket_tagging, "NoSuchTagSet", Bucket=name) or {}
        supp: dict[str, Any] = {}
        if replication:
            supp["BucketReplicationConfiguration"] = _replication_with_regions(replication, regions, scope.partition)
        if encryption:
            supp["ServerSideEncryptionConfiguration"] = encryption.get("ServerSideEncryptionConfiguration")
        if logging.get("LoggingEnabled"):
            enabled = logging["LoggingEnabled"]
            supp["BucketLoggingConfiguration"] = {"destinationBucketName": enabled.get("TargetBucket"),
                                                  "logFilePrefix": enabled.get("TargetPrefix")}
        yield item(scope, "AWS::S3::Bucket", name, {"name": name, "creationDate": bucket.get("CreationDate")},
                   arn=f"arn:{scope.partition}:s3:::{name}", region=region, tags=tagging.get("TagSet") or {},
                   supp=supp)


def collect_iam(scope: Scope) -> Iterator[ConfigItem]:
    """IAM roles with their trust policies (cross-account trust), users, groups and local policies."""
    iam = scope.client("iam")
    for role in pages(iam, "list_roles", "Roles"):
        yield item(scope, "AWS::IAM::Role", role["RoleId"], role, arn=role["Arn"], name=role["RoleName"],
                   region="global", tags=role.get("Tags") or {})
    for user in pages(iam, "list_users", "Users"):
        yield item(scope, "AWS::IAM::User", user["UserId"], user, arn=user["Arn"], name=user["UserName"],
                   region="global", tags=user.get("Tags") or {})
    for group in pages(iam, "list_groups", "Groups"):
        yield item(scope, "AWS::IAM::Group", group["GroupId"], group, arn=group["Arn"], name=group["GroupName"],
                   region="global", tags={})
    for policy in pages(iam, "list_policies", "Policies", Scope="Local"):
        yield item(scope, "AWS::IAM::Policy", policy["PolicyId"], policy, arn=policy["Arn"],
                   name=policy["PolicyName"], region="global", tags=policy.get("Tags") or {})


def collect_cloudfront(scope: Scope) -> Iterator[ConfigItem]:
    """Distributions with their origins (S3 origins become CDN flows); tags from us-east-1's index."""
    cloudfront = scope.client("cloudfront")
    for page in cloudfront.get_paginator("list_distributions").paginate():
        for dist in (page.get("DistributionList") or {}).get("Items") or ():
            yield item(scope, "AWS::CloudFront::Distribution", dist["Id"], dist, arn=dist["ARN"],
                       name=dist.get("DomainName"), region="global")


def collect_route53(scope: Scope) -> Iterator[ConfigItem]:
    """Hosted zones (DNS is a lock-in point, not a data store)."""
    for zone in pages(scope.client("route53"), "list_hosted_zones", "HostedZones"):
        zone_id = zone["Id"].rsplit("/", 1)[-1]
        yield item(scope, "AWS::Route53::HostedZone", zone_id, zone,
                   arn=f"arn:{scope.partition}:route53:::hostedzone/{zone_id}", name=zone.get("Name"),
                   region="global")


def collect_rds_global(scope: Scope) -> Iterator[ConfigItem]:
    """Aurora global databases (writer → secondary clusters in other regions)."""
    for cluster in pages(scope.client("rds"), "describe_global_clusters", "GlobalClusters"):
        yield item(scope, "AWS::RDS::GlobalCluster", cluster["GlobalClusterIdentifier"], cluster,
                   arn=cluster.get("GlobalClusterArn"), region="global", tags=cluster.get("TagList") or {})


def collect_organization(scope: Scope) -> Iterator[ConfigItem]:
    """The AWS Organization the account belongs to, if any (its management account is its operator)."""
    try:
        org = scope.client("organizations").describe_organization().get("Organization") or {}
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "AWSOrganizationsNotInUseException":
            return
        raise
    if org.get("Id"):
        yield item(scope, "AWS::Organizations::Organization", org["Id"], {"Id": org["Id"], "MasterAccountId":
                   org.get("MasterAccountId")}, arn=org.get("Arn"), region="global", tags={})


def _web_acls(scope: Scope, web_scope: str, region: str) -> Iterator[ConfigItem]:
    wafv2 = scope.client("wafv2")
    for acl in token_pages(wafv2.list_web_acls, "WebACLs", token="NextMarker", Scope=web_scope, Limit=100):
        yield item(scope, "AWS::WAFv2::WebACL", acl["Id"], {"Name": acl.get("Name"), "Scope": web_scope},
                   arn=acl.get("ARN"), name=acl.get("Name"), region=region)


def collect_waf_global(scope: Scope) -> Iterator[ConfigItem]:
    """Web ACLs of CloudFront (``Scope=CLOUDFRONT``, served from us-east-1)."""
    yield from _web_acls(scope, "CLOUDFRONT", "global")


def collect_waf(scope: Scope) -> Iterator[ConfigItem]:
    """Regional web ACLs (load balancers, API Gateway, Cognito)."""
    yield from _web_acls(scope, "REGIONAL", scope.region)


def collect_global_accelerator(scope: Scope) -> Iterator[ConfigItem]:
    """Accelerators (their API answers in us-west-2 only)."""
    for acc in pages(scope.client("globalaccelerator"), "list_accelerators", "Accelerators"):
        yield item(scope, "AWS::GlobalAccelerator::Accelerator", acc["AcceleratorArn"].rsplit("/", 1)[-1], acc,
                   arn=acc["AcceleratorArn"], name=acc.get("Name"), region="global")


# --- regional services that hold or move data ---------------------------------------------------

def collect_rds(scope: Scope) -> Iterator[ConfigItem]:
    """RDS, Aurora, DocumentDB and Neptune instances and clusters, with their replicas."""
    rds = scope.client("rds")
    for db in pages(rds, "describe_db_instances", "DBInstances"):
        yield item(scope, "AWS::RDS::DBInstance", db.get("DbiResourceId") or db["DBInstanceIdentifier"], db,
                   arn=db["DBInstanceArn"], name=db["DBInstanceIdentifier"], tags=db.get("TagList") or {})
    for cluster in pages(rds, "describe_db_clusters", "DBClusters"):
        yield item(scope, "AWS::RDS::DBCluster", cluster.get("DbClusterResourceId") or
                   cluster["DBClusterIdentifier"], cluster, arn=cluster["DBClusterArn"],
                   name=cluster["DBClusterIdentifier"], tags=cluster.get("TagList") or {})


def collect_dynamodb(scope: Scope) -> Iterator[ConfigItem]:
    """Tables with size, encryption and global-table replicas."""
    ddb = scope.client("dynamodb")
    for name in pages(ddb, "list_tables", "TableNames"):
        table = (optional(ddb.describe_table, "ResourceNotFoundException", TableName=name) or {}).get("Table")
        if not table:
            continue  # deleted between the listing and the description
        tags = optional(ddb.list_tags_of_resource, "ResourceNotFoundException", ResourceArn=table["TableArn"])
        yield item(scope, "AWS::DynamoDB::Table", name, table, arn=table["TableArn"],
                   tags=(tags or {}).get("Tags") or {})


def collect_ec2(scope: Scope) -> Iterator[ConfigItem]:
    """Instances, EBS volumes, VPCs, subnets, security groups, NAT and transit gateways, VPC peerings."""
    ec2 = scope.client("ec2")
    for reservation in pages(ec2, "describe_instances", "Reservations"):
        for inst in reservation.get("Instances") or ():
            if (inst.get("State") or {}).get("Name") == "terminated":
                continue
            iid = inst["InstanceId"]
            yield item(scope, "AWS::EC2::Instance", iid, inst, arn=arn_of(scope, "ec2", f"instance/{iid}"),
                       tags=inst.get("Tags") or {})
    for vol in pages(ec2, "describe_volumes", "Volumes"):
        yield item(scope, "AWS::EC2::Volume", vol["VolumeId"], vol,
                   arn=arn_of(scope, "ec2", f"volume/{vol['VolumeId']}"), tags=vol.get("Tags") or {})
    for kind, operation, key, id_key, prefix in (
            ("AWS::EC2::VPC", "describe_vpcs", "Vpcs", "VpcId", "vpc"),
            ("AWS::EC2::Subnet", "describe_subnets", "Subnets", "SubnetId", "subnet"),
            ("AWS::EC2::SecurityGroup", "describe_security_groups", "SecurityGroups", "GroupId", "security-group"),
            ("AWS::EC2::NatGateway", "describe_nat_gateways", "NatGateways", "NatGatewayId", "natgateway"),
            ("AWS::EC2::TransitGateway", "describe_transit_gateways", "TransitGateways", "TransitGatewayId",
             "transit-gateway")):
        for found in pages(ec2, operation, key):
            if str(found.get("State") or "").lower() in ("deleted", "deleting"):
                continue
            rid = found[id_key]
            yield item(scope, kind, rid, found, arn=arn_of(scope, "ec2", f"{prefix}/{rid}"),
                       tags=found.get("Tags") or {})
    for peering in pages(ec2, "describe_vpc_peering_connections", "VpcPeeringConnections"):
        pid = peering["VpcPeeringConnectionId"]
        yield item(scope, "AWS::EC2::VPCPeeringConnection", pid, peering,
                   arn=arn_of(scope, "ec2", f"vpc-peering-connection/{pid}"), tags=peering.get("Tags") or {})


def collect_efs(scope: Scope) -> Iterator[ConfigItem]:
    for fs in pages(scope.client("efs"), "describe_file_systems", "FileSystems"):
        yield item(scope, "AWS::EFS::FileSystem", fs["FileSystemId"], fs, arn=fs.get("FileSystemArn"),
                   name=fs.get("Name") or fs["FileSystemId"], tags=fs.get("Tags") or {})


def collect_fsx(scope: Scope) -> Iterator[ConfigItem]:
    for fs in pages(scope.client("fsx"), "describe_file_systems", "FileSystems"):
        yield item(scope, "AWS::FSx::FileSystem", fs["FileSystemId"], fs, arn=fs.get("ResourceARN"),
                   tags=fs.get("Tags") or {})


def collect_redshift(scope: Scope) -> Iterator[ConfigItem]:
    """Clusters with cross-region snapshot copy and audit-log bucket."""
    redshift = scope.client("redshift")
    for cluster in pages(redshift, "describe_clusters", "Clusters"):
        ident = cluster["ClusterIdentifier"]
        logging = optional(redshift.describe_logging_status, "ClusterNotFound", ClusterIdentifier=ident)
        yield item(scope, "AWS::Redshift::Cluster", ident, cluster,
                   arn=arn_of(scope, "redshift", f"cluster:{ident}"), tags=cluster.get("Tags") or {},
                   supp={"LoggingStatus": logging or {}})


def collect_opensearch(scope: Scope) -> Iterator[ConfigItem]:
    client = scope.client("opensearch")
    names = [d["DomainName"] for d in client.list_domain_names().get("DomainNames") or ()]
    for start in range(0, len(names), 5):  # DescribeDomains takes at most 5 names per call
        for domain in client.describe_domains(DomainNames=names[start:start + 5]).get("DomainStatusList") or ():
            yield item(scope, "AWS::OpenSearch::Domain", domain["DomainId"], domain, arn=domain.get("ARN"),
                       name=domain["DomainName"])


def collect_elasticache(scope: Scope) -> Iterator[ConfigItem]:
    client = scope.client("elasticache")
    for group in pages(client, "describe_replication_groups", "ReplicationGroups"):
        yield item(scope, "AWS::ElastiCache::ReplicationGroup", group["ReplicationGroupId"], group,
                   arn=group.get("ARN"))
    for cluster in pages(client, "describe_cache_clusters", "CacheClusters"):
        yield item(scope, "AWS::ElastiCache::CacheCluster", cluster["CacheClusterId"], cluster,
                   arn=cluster.get("ARN"))


def collect_memorydb(scope: Scope) -> Iterator[ConfigItem]:
    for cluster in pages(scope.client("memorydb"), "describe_clusters", "Clusters"):
        yield item(scope, "AWS::MemoryDB::Cluster", cluster["Name"], cluster, arn=cluster.get("ARN"))


def collect_kinesis(scope: Scope) -> Iterator[ConfigItem]:
    for stream in pages(scope.client("kinesis"), "list_streams", "StreamSummaries"):
        yield item(scope, "AWS::Kinesis::Stream", stream["StreamName"], stream, arn=stream["StreamARN"])


def collect_firehose(scope: Scope) -> Iterator[ConfigItem]:
    """Delivery streams (names; ListDeliveryStreams pages by the last name, not a token)."""
    client = scope.client("firehose")
    params: dict[str, Any] = {"Limit": 100}
    while True:
        page = client.list_delivery_streams(**params)
        names = page.get("DeliveryStreamNames") or []
        for name in names:
            yield item(scope, "AWS::KinesisFirehose::DeliveryStream", name, {"DeliveryStreamName": name},
                       arn=arn_of(scope, "firehose", f"deliverystream/{name}"))
        if not page.get("HasMoreDeliveryStreams") or not names:
            return
        params["ExclusiveStartDeliveryStreamName"] = names[-1]


def collect_msk(scope: Scope) -> Iterator[ConfigItem]:
    for cluster in pages(scope.client("kafka"), "list_clusters_v2", "ClusterInfoList"):
        yield item(scope, "AWS::MSK::Cluster", cluster["ClusterName"], cluster, arn=cluster["ClusterArn"],
                   tags=cluster.get("Tags") or {})


def collect_mq(scope: Scope) -> Iterator[ConfigItem]:
    for broker in pages(scope.client("mq"), "list_brokers", "BrokerSummaries"):
        yield item(scope, "AWS::AmazonMQ::Broker", broker["BrokerId"], broker, arn=broker.get("BrokerArn"),
                   name=broker.get("BrokerName"))


_SQS_ATTRIBUTES = ["QueueArn", "KmsMasterKeyId", "SqsManagedSseEnabled", "MessageRetentionPeriod"]


def collect_sqs(scope: Scope) -> Iterator[ConfigItem]:
    sqs = scope.client("sqs")
    for url in pages(sqs, "list_queues", "QueueUrls"):
        attrs = (optional(sqs.get_queue_attributes, "AWS.SimpleQueueService.NonExistentQueue",
                          "QueueDoesNotExist", QueueUrl=url, AttributeNames=_SQS_ATTRIBUTES) or {}).get("Attributes")
        if not attrs:
            continue
        tags = optional(sqs.list_queue_tags, "QueueDoesNotExist", QueueUrl=url) or {}
        name = url.rstrip("/").rsplit("/", 1)[-1]
        yield item(scope, "AWS::SQS::Queue", url, {"QueueUrl": url, **attrs}, arn=attrs.get("QueueArn"),
                   name=name, tags=tags.get("Tags") or {})


def collect_sns(scope: Scope) -> Iterator[ConfigItem]:
    sns = scope.client("sns")
    for topic in pages(sns, "list_topics", "Topics"):
        arn = topic["TopicArn"]
        attrs = (optional(sns.get_topic_attributes, "NotFound", TopicArn=arn) or {}).get("Attributes") or {}
        conf = {"TopicArn": arn, "KmsMasterKeyId": attrs.get("KmsMasterKeyId")}
        tags = optional(sns.list_tags_for_resource, "ResourceNotFound", ResourceArn=arn) or {}
        yield item(scope, "AWS::SNS::Topic", arn, conf, arn=arn, name=arn.rsplit(":", 1)[-1],
                   tags=tags.get("Tags") or {})


def collect_kms(scope: Scope) -> Iterator[ConfigItem]:
    """Keys with manager and origin (AWS-managed, customer, external key store)."""
    kms = scope.client("kms")
    for key in pages(kms, "list_keys", "Keys"):
        meta = (optional(kms.describe_key, "NotFoundException", KeyId=key["KeyId"]) or {}).get("KeyMetadata")
        if meta:
            yield item(scope, "AWS::KMS::Key", meta["KeyId"], meta, arn=meta["Arn"])


def collect_kms_key_stores(scope: Scope) -> Iterator[ConfigItem]:
    """Custom key stores with their type: a CloudHSM cluster, or an external key manager (XKS).

    The type says who holds the key material of the keys in the store
    (https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeCustomKeyStores.html, checked
    2026-12-04). Only the type, name, connection state, CloudHSM cluster and the proxy's connectivity
    are kept: never the proxy's access key id nor the trust anchor certificate. Custom key stores
    have no ARN and no tags (TagResource applies to keys only): they are keyed
    ``aws:ACCOUNT:REGION:aws_kms_custom_key_store:ID``, the type Terraform gives them.
    """
    kms = scope.client("kms")
    for store in pages(kms, "describe_custom_key_stores", "CustomKeyStores"):
        xks = store.get("XksProxyConfiguration") or {}
        conf = {"CustomKeyStoreId": store["CustomKeyStoreId"], "CustomKeyStoreName": store.get("CustomKeyStoreName"),
                "CustomKeyStoreType": store.get("CustomKeyStoreType"), "ConnectionState": store.get("ConnectionState"),
                "CloudHsmClusterId": store.get("CloudHsmClusterId"),
                "XksProxyConfiguration": {"Connectivity": xks.get("Connectivity")} if xks else None}
        yield item(scope, "aws_kms_custom_key_store", store["CustomKeyStoreId"],
                   {k: v for k, v in conf.items() if v is not None}, name=store.get("CustomKeyStoreName"), tags={})


def collect_secretsmanager(scope: Scope) -> Iterator[ConfigItem]:
    """Secret metadata only (name, key, replica regions); values are never read (the guard refuses it).

    ``ListSecrets`` does not say where a secret is replicated; ``DescribeSecret`` does
    (``ReplicationStatus``), so it is called for each primary secret (a replica names its
    ``PrimaryRegion`` in the listing). https://docs.aws.amazon.com/secretsmanager/latest/apireference/
    API_DescribeSecret.html, checked 2026-12-04.
    """
    client = scope.client("secretsmanager")
    for secret in pages(client, "list_secrets", "SecretList"):
        conf = secret
        if not secret.get("PrimaryRegion"):
            described = optional(client.describe_secret, "ResourceNotFoundException", SecretId=secret["ARN"])
            if described:
                conf = {**secret, "ReplicationStatus": described.get("ReplicationStatus") or []}
        yield item(scope, "AWS::SecretsManager::Secret", secret["Name"], conf, arn=secret["ARN"],
                   tags=secret.get("Tags") or {})


def collect_ssm(scope: Scope) -> Iterator[ConfigItem]:
    """Parameter metadata (name, type, key); values are never read (GetParameter is refused)."""
    for param in pages(scope.client("ssm"), "describe_parameters", "Parameters"):
        name = param["Name"]
        arn = param.get("ARN") or arn_of(scope, "ssm", f"parameter{name if name.startswith('/') else '/' + name}")
        yield item(scope, "AWS::SSM::Parameter", name, param, arn=arn)


def collect_backup(scope: Scope) -> Iterator[ConfigItem]:
    """Vaults and plans; plan copy actions to vaults in other regions are backup flows."""
    backup = scope.client("backup")
    for vault in pages(backup, "list_backup_vaults", "BackupVaultList"):
        yield item(scope, "AWS::Backup::BackupVault", vault["BackupVaultName"], vault, arn=vault["BackupVaultArn"])
    for plan in pages(backup, "list_backup_plans", "BackupPlansList"):
        detail = optional(backup.get_backup_plan, "ResourceNotFoundException", BackupPlanId=plan["BackupPlanId"])
        if detail:
            yield item(scope, "AWS::Backup::BackupPlan", plan["BackupPlanId"], {"BackupPlan": detail.get("BackupPlan")},
                       arn=plan["BackupPlanArn"], name=plan.get("BackupPlanName"))
