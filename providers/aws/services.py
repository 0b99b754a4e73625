"""What AWS live collection reads, one small collector per service, as AWS Config items.

Each collector calls Describe/List/Get operations in one account and region (or once per account
for global services) and yields dicts shaped like AWS Config configuration items (``resourceType``,
``ARN``, ``awsAccountId``, ``awsRegion``, ``resourceId``, ``resourceName``, ``tags`` map,
``configuration``, ``supplementaryConfiguration``, ``configurationItemStatus``), so the offline
transform ``providers.aws.normalize.transform_config_item`` reads them unchanged. ``configuration``
is the API's own description of the resource (boto3 spelling: the Config transform matches field
names case-insensitively), with timestamps as ISO strings and secret-bearing fields dropped
(``SENSITIVE_KEYS``). Config resource type names follow the Config resource schema
(https://github.com/awslabs/aws-config-resource-schema, checked 2026-11-30); DocumentDB and Neptune
clusters and instances are ``AWS::RDS::*`` there too, told apart by ``configuration.Engine``.

Every collector declares the API operations it may call (``ServiceSpec.operations``); the
least-privilege policy in ``docs/permissions/aws-readonly-policy.json`` is derived from those lists,
and the tests check both against what a full collection really calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from providers.common import normalize_tags

#: Fields that may hold secrets or data and are never kept in a raw record: Lambda / SageMaker /
#: Glue environment variables and job arguments, EC2 user data, SQS/SNS policies are kept out too
#: because they are large and say nothing about location or keys.
SENSITIVE_KEYS = frozenset({
    "Environment", "Variables", "DefaultArguments", "NonOverridableArguments", "UserData",
    "ConnectionProperties", "ResponseMetadata",
})

ConfigItem = dict[str, Any]


@dataclass(frozen=True)
class Scope:
    """One account × region (``region`` is the home region for global services)."""

    account: str
    region: str
    partition: str
    client: Callable[[str], Any]  # boto3 service name → client bound to this account and region
    #: The regions asked for, when the user chose some: global services keep only their resources.
    regions: frozenset[str] | None = None


def clean(value: Any) -> Any:
    """A JSON-ready copy of an API response part: ISO timestamps, no sensitive or metadata keys."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if k not in SENSITIVE_KEYS}
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None  # binary blobs (certificates, key material) are not metadata we need
    return value


def item(scope: Scope, resource_type: str, resource_id: str, conf: Mapping[str, Any], *,
         arn: str | None = None, name: str | None = None, region: str | None = None,
         tags: Any = None, supp: Mapping[str, Any] | None = None) -> ConfigItem:
    """One configuration item in the S3-delivery spelling (``ARN``, ``awsAccountId``)."""
    return {
        "resourceType": resource_type,
        "ARN": arn,
        "awsAccountId": scope.account,
        "awsRegion": region or scope.region,
        "resourceId": resource_id,
        "resourceName": name if name is not None else resource_id,
        "tags": normalize_tags(tags),
        "configuration": clean(conf),
        "supplementaryConfiguration": clean(supp or {}),
        "configurationItemStatus": "OK",
    }


def pages(client: Any, operation: str, key: str, **params: Any) -> Iterator[Any]:
    """Every element of ``key`` over all pages (botocore paginator when the API has one)."""
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**params):
            yield from page.get(key) or ()
    else:
        yield from getattr(client, operation)(**params).get(key) or ()


def optional(call: Callable[..., Any], *absent: str, **params: Any) -> Any:
    """``call(**params)``, or None when the error code says the thing is simply not configured."""
    try:
        return call(**params)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in absent:
            return None
        raise


def _arn(scope: Scope, service: str, resource: str, region: str | None = None) -> str:
    return f"arn:{scope.partition}:{service}:{scope.region if region is None else region}:{scope.account}:{resource}"


# --- global services (once per account) ---------------------------------------------------------

def s3_bucket_region(location: Any) -> str:
    """GetBucketLocation: no constraint = us-east-1, legacy ``EU`` = eu-west-1.

    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html (checked 2026-11-30).
    """
    if not location:
        return "us-east-1"
    return "eu-west-1" if location == "EU" else str(location)


def collect_s3(scope: Scope) -> Iterator[ConfigItem]:
    """Buckets with region, replication, default encryption, logging and tags."""
    s3 = scope.client("s3")
    for bucket in pages(s3, "list_buckets", "Buckets"):
        name = bucket["Name"]
        region = s3_bucket_region(s3.get_bucket_location(Bucket=name).get("LocationConstraint"))
        if scope.regions is not None and region not in scope.regions:
            continue
        replication = optional(s3.get_bucket_replication, "ReplicationConfigurationNotFoundError", Bucket=name)
        encryption = optional(s3.get_bucket_encryption, "ServerSideEncryptionConfigurationNotFoundError",
                              Bucket=name)
        logging = optional(s3.get_bucket_logging, Bucket=name) or {}
        tagging = optional(s3.get_bucket_tagging, "NoSuchTagSet", Bucket=name) or {}
        supp: dict[str, Any] = {}
        if replication:
            supp["BucketReplicationConfiguration"] = replication.get("ReplicationConfiguration")
        if encryption:
            supp["ServerSideEncryptionConfiguration"] = encryption.get("ServerSideEncryptionConfiguration")
        if logging.get("LoggingEnabled"):
            enabled = logging["LoggingEnabled"]
            supp["BucketLoggingConfiguration"] = {"destinationBucketName": enabled.get("TargetBucket"),
                                                  "logFilePrefix": enabled.get("TargetPrefix")}
        yield item(scope, "AWS::S3::Bucket", name, {"name": name, "creationDate": bucket.get("CreationDate")},
                   arn=f"arn:{scope.partition}:s3:::{name}", region=region, tags=tagging.get("TagSet"),
                   supp=supp)


def collect_iam(scope: Scope) -> Iterator[ConfigItem]:
    """IAM roles with their trust policies (cross-account trust)."""
    for role in pages(scope.client("iam"), "list_roles", "Roles"):
        yield item(scope, "AWS::IAM::Role", role["RoleId"], role, arn=role["Arn"], name=role["RoleName"],
                   region="global", tags=role.get("Tags"))


def collect_cloudfront(scope: Scope) -> Iterator[ConfigItem]:
    """Distributions with their origins (S3 origins become CDN flows)."""
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
                   arn=cluster.get("GlobalClusterArn"), region="global")


# --- regional services --------------------------------------------------------------------------

def collect_rds(scope: Scope) -> Iterator[ConfigItem]:
    """RDS, Aurora, DocumentDB and Neptune instances and clusters, with their replicas."""
    rds = scope.client("rds")
    for db in pages(rds, "describe_db_instances", "DBInstances"):
        yield item(scope, "AWS::RDS::DBInstance", db.get("DbiResourceId") or db["DBInstanceIdentifier"], db,
                   arn=db["DBInstanceArn"], name=db["DBInstanceIdentifier"], tags=db.get("TagList"))
    for cluster in pages(rds, "describe_db_clusters", "DBClusters"):
        yield item(scope, "AWS::RDS::DBCluster", cluster.get("DbClusterResourceId") or
                   cluster["DBClusterIdentifier"], cluster, arn=cluster["DBClusterArn"],
                   name=cluster["DBClusterIdentifier"], tags=cluster.get("TagList"))


def collect_dynamodb(scope: Scope) -> Iterator[ConfigItem]:
    """Tables with size, encryption and global-table replicas."""
    ddb = scope.client("dynamodb")
    for name in pages(ddb, "list_tables", "TableNames"):
        table = (optional(ddb.describe_table, "ResourceNotFoundException", TableName=name) or {}).get("Table")
        if not table:
            continue  # deleted between the listing and the description
        tags = optional(ddb.list_tags_of_resource, "ResourceNotFoundException", ResourceArn=table["TableArn"])
        yield item(scope, "AWS::DynamoDB::Table", name, table, arn=table["TableArn"],
                   tags=(tags or {}).get("Tags"))


def collect_ec2(scope: Scope) -> Iterator[ConfigItem]:
    """EBS volumes (size, encryption) and VPC peering connections."""
    ec2 = scope.client("ec2")
    for vol in pages(ec2, "describe_volumes", "Volumes"):
        yield item(scope, "AWS::EC2::Volume", vol["VolumeId"], vol, arn=_arn(scope, "ec2", f"volume/{vol['VolumeId']}"),
                   tags=vol.get("Tags"))
    for peering in pages(ec2, "describe_vpc_peering_connections", "VpcPeeringConnections"):
        pid = peering["VpcPeeringConnectionId"]
        yield item(scope, "AWS::EC2::VPCPeeringConnection", pid, peering,
                   arn=_arn(scope, "ec2", f"vpc-peering-connection/{pid}"), tags=peering.get("Tags"))


def collect_efs(scope: Scope) -> Iterator[ConfigItem]:
    for fs in pages(scope.client("efs"), "describe_file_systems", "FileSystems"):
        yield item(scope, "AWS::EFS::FileSystem", fs["FileSystemId"], fs, arn=fs.get("FileSystemArn"),
                   name=fs.get("Name") or fs["FileSystemId"], tags=fs.get("Tags"))


def collect_fsx(scope: Scope) -> Iterator[ConfigItem]:
    for fs in pages(scope.client("fsx"), "describe_file_systems", "FileSystems"):
        yield item(scope, "AWS::FSx::FileSystem", fs["FileSystemId"], fs, arn=fs.get("ResourceARN"),
                   tags=fs.get("Tags"))


def collect_redshift(scope: Scope) -> Iterator[ConfigItem]:
    """Clusters with cross-region snapshot copy and audit-log bucket."""
    redshift = scope.client("redshift")
    for cluster in pages(redshift, "describe_clusters", "Clusters"):
        ident = cluster["ClusterIdentifier"]
        logging = optional(redshift.describe_logging_status, "ClusterNotFound", ClusterIdentifier=ident)
        yield item(scope, "AWS::Redshift::Cluster", ident, cluster, arn=_arn(scope, "redshift", f"cluster:{ident}"),
                   tags=cluster.get("Tags"), supp={"LoggingStatus": logging or {}})


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


def collect_kinesis(scope: Scope) -> Iterator[ConfigItem]:
    for stream in pages(scope.client("kinesis"), "list_streams", "StreamSummaries"):
        yield item(scope, "AWS::Kinesis::Stream", stream["StreamName"], stream, arn=stream["StreamARN"])


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
                   name=name, tags=tags.get("Tags"))


def collect_sns(scope: Scope) -> Iterator[ConfigItem]:
    sns = scope.client("sns")
    for topic in pages(sns, "list_topics", "Topics"):
        arn = topic["TopicArn"]
        attrs = (optional(sns.get_topic_attributes, "NotFound", TopicArn=arn) or {}).get("Attributes") or {}
        conf = {"TopicArn": arn, "KmsMasterKeyId": attrs.get("KmsMasterKeyId")}
        tags = optional(sns.list_tags_for_resource, "ResourceNotFound", ResourceArn=arn) or {}
        yield item(scope, "AWS::SNS::Topic", arn, conf, arn=arn, name=arn.rsplit(":", 1)[-1], tags=tags.get("Tags"))


def collect_lambda(scope: Scope) -> Iterator[ConfigItem]:
    """Functions (environment variables are never kept: they often hold secrets)."""
    for fn in pages(scope.client("lambda"), "list_functions", "Functions"):
        yield item(scope, "AWS::Lambda::Function", fn["FunctionName"], fn, arn=fn["FunctionArn"])


def collect_ecs(scope: Scope) -> Iterator[ConfigItem]:
    ecs = scope.client("ecs")
    arns = list(pages(ecs, "list_clusters", "clusterArns"))
    for start in range(0, len(arns), 100):  # DescribeClusters takes at most 100 clusters per call
        for cluster in ecs.describe_clusters(clusters=arns[start:start + 100], include=["TAGS"]).get("clusters") or ():
            yield item(scope, "AWS::ECS::Cluster", cluster["clusterName"], cluster, arn=cluster["clusterArn"],
                       tags=cluster.get("tags"))


def collect_eks(scope: Scope) -> Iterator[ConfigItem]:
    eks = scope.client("eks")
    for name in pages(eks, "list_clusters", "clusters"):
        cluster = (optional(eks.describe_cluster, "ResourceNotFoundException", name=name) or {}).get("cluster")
        if cluster:
            yield item(scope, "AWS::EKS::Cluster", name, cluster, arn=cluster.get("arn"), tags=cluster.get("tags"))


def collect_ecr(scope: Scope) -> Iterator[ConfigItem]:
    for repo in pages(scope.client("ecr"), "describe_repositories", "repositories"):
        yield item(scope, "AWS::ECR::Repository", repo["repositoryName"], repo, arn=repo["repositoryArn"])


def collect_kms(scope: Scope) -> Iterator[ConfigItem]:
    """Keys with manager and origin (AWS-managed, customer, external key store)."""
    kms = scope.client("kms")
    for key in pages(kms, "list_keys", "Keys"):
        meta = (optional(kms.describe_key, "NotFoundException", KeyId=key["KeyId"]) or {}).get("KeyMetadata")
        if meta:
            yield item(scope, "AWS::KMS::Key", meta["KeyId"], meta, arn=meta["Arn"])


def collect_secretsmanager(scope: Scope) -> Iterator[ConfigItem]:
    """Secret metadata only (name, key, replicas); values are never read (the guard refuses it)."""
    for secret in pages(scope.client("secretsmanager"), "list_secrets", "SecretList"):
        yield item(scope, "AWS::SecretsManager::Secret", secret["Name"], secret, arn=secret["ARN"],
                   tags=secret.get("Tags"))


def collect_cognito(scope: Scope) -> Iterator[ConfigItem]:
    for pool in pages(scope.client("cognito-idp"), "list_user_pools", "UserPools", MaxResults=60):
        yield item(scope, "AWS::Cognito::UserPool", pool["Id"], pool,
                   arn=_arn(scope, "cognito-idp", f"userpool/{pool['Id']}"), name=pool.get("Name"))


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


def collect_cloudtrail(scope: Scope) -> Iterator[ConfigItem]:
    """Trails whose home is this region (a multi-region trail is listed once, in its home region)."""
    for trail in scope.client("cloudtrail").describe_trails(includeShadowTrails=False).get("trailList") or ():
        yield item(scope, "AWS::CloudTrail::Trail", trail["Name"], trail, arn=trail.get("TrailARN"),
                   region=trail.get("HomeRegion"))


def collect_logs(scope: Scope) -> Iterator[ConfigItem]:
    for group in pages(scope.client("logs"), "describe_log_groups", "logGroups"):
        arn = str(group.get("arn") or "").removesuffix(":*") or None
        yield item(scope, "AWS::Logs::LogGroup", group["logGroupName"], group, arn=arn)


def collect_glue(scope: Scope) -> Iterator[ConfigItem]:
    glue = scope.client("glue")
    for db in pages(glue, "get_databases", "DatabaseList"):
        yield item(scope, "AWS::Glue::Database", db["Name"], db, arn=_arn(scope, "glue", f"database/{db['Name']}"))
    for job in pages(glue, "get_jobs", "Jobs"):
        yield item(scope, "AWS::Glue::Job", job["Name"], job, arn=_arn(scope, "glue", f"job/{job['Name']}"))


def collect_athena(scope: Scope) -> Iterator[ConfigItem]:
    for group in pages(scope.client("athena"), "list_work_groups", "WorkGroups"):
        yield item(scope, "AWS::Athena::WorkGroup", group["Name"], group,
                   arn=_arn(scope, "athena", f"workgroup/{group['Name']}"))


def collect_sagemaker(scope: Scope) -> Iterator[ConfigItem]:
    sagemaker = scope.client("sagemaker")
    for nb in pages(sagemaker, "list_notebook_instances", "NotebookInstances"):
        yield item(scope, "AWS::SageMaker::NotebookInstance", nb["NotebookInstanceName"], nb,
                   arn=nb.get("NotebookInstanceArn"))
    for model in pages(sagemaker, "list_models", "Models"):
        yield item(scope, "AWS::SageMaker::Model", model["ModelName"], model, arn=model.get("ModelArn"))
    for endpoint in pages(sagemaker, "list_endpoints", "Endpoints"):
        yield item(scope, "AWS::SageMaker::Endpoint", endpoint["EndpointName"], endpoint,
                   arn=endpoint.get("EndpointArn"))


def collect_bedrock(scope: Scope) -> Iterator[ConfigItem]:
    """Agents and knowledge bases (the data-bearing parts of Bedrock)."""
    agent = scope.client("bedrock-agent")
    for summary in pages(agent, "list_agents", "agentSummaries"):
        agent_id = summary["agentId"]
        yield item(scope, "AWS::Bedrock::Agent", agent_id, summary, arn=_arn(scope, "bedrock", f"agent/{agent_id}"),
                   name=summary.get("agentName"))
    for kb in pages(agent, "list_knowledge_bases", "knowledgeBaseSummaries"):
        kb_id = kb["knowledgeBaseId"]
        yield item(scope, "AWS::Bedrock::KnowledgeBase", kb_id, kb,
                   arn=_arn(scope, "bedrock", f"knowledge-base/{kb_id}"), name=kb.get("name"))


@dataclass(frozen=True)
class ServiceSpec:
    """A collector, the boto3 clients it uses, and every operation it may call."""

    name: str
    clients: tuple[str, ...]
    operations: tuple[str, ...]  # API operation names, as in the service model
    collect: Callable[[Scope], Iterable[ConfigItem]]
    is_global: bool = False


#: Global services, collected once per account from its home region.
GLOBAL_SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("s3", ("s3",), ("ListBuckets", "GetBucketLocation", "GetBucketReplication",
                                "GetBucketEncryption", "GetBucketLogging", "GetBucketTagging"),
                collect_s3, True),
    ServiceSpec("iam", ("iam",), ("ListRoles",), collect_iam, True),
    ServiceSpec("cloudfront", ("cloudfront",), ("ListDistributions",), collect_cloudfront, True),
    ServiceSpec("route53", ("route53",), ("ListHostedZones",), collect_route53, True),
    ServiceSpec("rds-global", ("rds",), ("DescribeGlobalClusters",), collect_rds_global, True),
)

#: Regional services, collected in every region.
REGIONAL_SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("rds", ("rds",), ("DescribeDBInstances", "DescribeDBClusters"), collect_rds),
    ServiceSpec("dynamodb", ("dynamodb",), ("ListTables", "DescribeTable", "ListTagsOfResource"), collect_dynamodb),
    ServiceSpec("ec2", ("ec2",), ("DescribeVolumes", "DescribeVpcPeeringConnections"), collect_ec2),
    ServiceSpec("efs", ("efs",), ("DescribeFileSystems",), collect_efs),
    ServiceSpec("fsx", ("fsx",), ("DescribeFileSystems",), collect_fsx),
    ServiceSpec("redshift", ("redshift",), ("DescribeClusters", "DescribeLoggingStatus"), collect_redshift),
    ServiceSpec("opensearch", ("opensearch",), ("ListDomainNames", "DescribeDomains"), collect_opensearch),
    ServiceSpec("elasticache", ("elasticache",), ("DescribeReplicationGroups", "DescribeCacheClusters"),
                collect_elasticache),
    ServiceSpec("kinesis", ("kinesis",), ("ListStreams",), collect_kinesis),
    ServiceSpec("sqs", ("sqs",), ("ListQueues", "GetQueueAttributes", "ListQueueTags"), collect_sqs),
    ServiceSpec("sns", ("sns",), ("ListTopics", "GetTopicAttributes", "ListTagsForResource"), collect_sns),
    ServiceSpec("lambda", ("lambda",), ("ListFunctions",), collect_lambda),
    ServiceSpec("ecs", ("ecs",), ("ListClusters", "DescribeClusters"), collect_ecs),
    ServiceSpec("eks", ("eks",), ("ListClusters", "DescribeCluster"), collect_eks),
    ServiceSpec("ecr", ("ecr",), ("DescribeRepositories",), collect_ecr),
    ServiceSpec("kms", ("kms",), ("ListKeys", "DescribeKey"), collect_kms),
    ServiceSpec("secretsmanager", ("secretsmanager",), ("ListSecrets",), collect_secretsmanager),
    ServiceSpec("cognito-idp", ("cognito-idp",), ("ListUserPools",), collect_cognito),
    ServiceSpec("backup", ("backup",), ("ListBackupVaults", "ListBackupPlans", "GetBackupPlan"), collect_backup),
    ServiceSpec("cloudtrail", ("cloudtrail",), ("DescribeTrails",), collect_cloudtrail),
    ServiceSpec("logs", ("logs",), ("DescribeLogGroups",), collect_logs),
    ServiceSpec("glue", ("glue",), ("GetDatabases", "GetJobs"), collect_glue),
    ServiceSpec("athena", ("athena",), ("ListWorkGroups",), collect_athena),
    ServiceSpec("sagemaker", ("sagemaker",), ("ListNotebookInstances", "ListModels", "ListEndpoints"),
                collect_sagemaker),
    ServiceSpec("bedrock", ("bedrock-agent",), ("ListAgents", "ListKnowledgeBases"), collect_bedrock),
)

#: Operations of the collection itself, outside the service collectors, by boto3 client name.
FRAME_OPERATIONS: dict[str, tuple[str, ...]] = {
    "sts": ("GetCallerIdentity", "AssumeRole"),
    "ec2": ("DescribeRegions",),
    "organizations": ("ListAccounts",),
    "config": ("SelectAggregateResourceConfig", "SelectResourceConfig"),
}
