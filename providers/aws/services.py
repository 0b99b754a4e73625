"""What AWS live collection reads: every service collector, the calls it may make, the types it emits.

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
The few resources that have no Config type carry the knowledge base's name for them: EBS snapshots
and AMIs as Resource Explorer names them (``ec2:snapshot``, ``ec2:image``), KMS custom key stores as
Terraform does (``aws_kms_custom_key_store``).

Every collector declares the API operations it may call (``ServiceSpec.operations``) and the
Config types it emits (``ServiceSpec.types``). The read-only guard (``guard.py``) allows exactly
those operations and nothing else, the least-privilege policy in
``docs/permissions/aws-readonly-policy.json`` is derived from the same lists, and the tests check
them against what a full collection really calls and against the knowledge base's AWS types.

Tags: where a listing carries them (EC2, RDS, EKS, Secrets Manager…) they are read from it; for the
others, ``Scope.tags(arn)`` looks them up in the region's ``tag:GetResources`` index (the Resource
Groups Tagging API, read once per account and region and only when a collector asks), which saves
one tag call per resource.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from providers.aws import collectors as c
from providers.aws import collectors_apps as a
from providers.aws import collectors_backups as b
from providers.aws.items import ConfigItem, Scope

__all__ = ["FRAME_OPERATIONS", "GLOBAL_SERVICES", "REGIONAL_SERVICES", "Scope", "ServiceSpec", "all_operations"]


@dataclass(frozen=True)
class ServiceSpec:
    """A collector, the boto3 clients it uses, every operation it may call, the Config types it emits."""

    name: str
    clients: tuple[str, ...]
    #: API operation names, as in the service model; ``client:Operation`` when the spec has several clients.
    operations: tuple[str, ...]
    collect: Callable[[Scope], Iterable[ConfigItem]]
    types: tuple[str, ...]
    is_global: bool = False
    #: The client whose region data says where the service is offered, for clients botocore has no
    #: region data for (bedrock-agent: the regions of Bedrock).
    regions_of: str | None = None
    #: The region a global service's API answers in, when it is not the account's home region.
    home: str | None = None


#: Global services, collected once per account from its home region.
GLOBAL_SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("s3", ("s3",), ("ListBuckets", "GetBucketLocation", "GetBucketReplication",
                                "GetBucketEncryption", "GetBucketLogging", "GetBucketTagging"),
                c.collect_s3, ("AWS::S3::Bucket",), True),
    ServiceSpec("iam", ("iam",), ("ListRoles", "ListUsers", "ListGroups", "ListPolicies"), c.collect_iam,
                ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Policy"), True),
    ServiceSpec("cloudfront", ("cloudfront",), ("ListDistributions",), c.collect_cloudfront,
                ("AWS::CloudFront::Distribution",), True),
    ServiceSpec("route53", ("route53",), ("ListHostedZones",), c.collect_route53, ("AWS::Route53::HostedZone",), True),
    ServiceSpec("rds-global", ("rds",), ("DescribeGlobalClusters",), c.collect_rds_global,
                ("AWS::RDS::GlobalCluster",), True),
    ServiceSpec("organizations", ("organizations",), ("DescribeOrganization",), c.collect_organization,
                ("AWS::Organizations::Organization",), True),
    ServiceSpec("wafv2-cloudfront", ("wafv2",), ("ListWebACLs",), c.collect_waf_global, ("AWS::WAFv2::WebACL",), True,
                home="us-east-1"),
    ServiceSpec("globalaccelerator", ("globalaccelerator",), ("ListAccelerators",), c.collect_global_accelerator,
                ("AWS::GlobalAccelerator::Accelerator",), True, home="us-west-2"),
)

#: Regional services, collected in every region.
REGIONAL_SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("rds", ("rds",), ("DescribeDBInstances", "DescribeDBClusters"), c.collect_rds,
                ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster")),
    ServiceSpec("rds-snapshots", ("rds",), ("DescribeDBSnapshots", "DescribeDBClusterSnapshots"),
                b.collect_rds_snapshots, ("AWS::RDS::DBSnapshot", "AWS::RDS::DBClusterSnapshot")),
    ServiceSpec("dynamodb", ("dynamodb",), ("ListTables", "DescribeTable", "ListTagsOfResource"), c.collect_dynamodb,
                ("AWS::DynamoDB::Table",)),
    ServiceSpec("ec2", ("ec2",), ("DescribeInstances", "DescribeVolumes", "DescribeVpcs", "DescribeSubnets",
                                  "DescribeSecurityGroups", "DescribeNatGateways", "DescribeTransitGateways",
                                  "DescribeVpcPeeringConnections"), c.collect_ec2,
                ("AWS::EC2::Instance", "AWS::EC2::Volume", "AWS::EC2::VPC", "AWS::EC2::Subnet",
                 "AWS::EC2::SecurityGroup", "AWS::EC2::NatGateway", "AWS::EC2::TransitGateway",
                 "AWS::EC2::VPCPeeringConnection")),
    ServiceSpec("ec2-snapshots", ("ec2",), ("DescribeSnapshots", "DescribeImages"), b.collect_ec2_snapshots,
                ("ec2:snapshot", "ec2:image")),
    ServiceSpec("efs", ("efs",), ("DescribeFileSystems",), c.collect_efs, ("AWS::EFS::FileSystem",)),
    ServiceSpec("fsx", ("fsx",), ("DescribeFileSystems",), c.collect_fsx, ("AWS::FSx::FileSystem",)),
    ServiceSpec("redshift", ("redshift",), ("DescribeClusters", "DescribeLoggingStatus"), c.collect_redshift,
                ("AWS::Redshift::Cluster",)),
    ServiceSpec("redshift-snapshots", ("redshift",), ("DescribeClusterSnapshots",), b.collect_redshift_snapshots,
                ("AWS::Redshift::ClusterSnapshot",)),
    ServiceSpec("opensearch", ("opensearch",), ("ListDomainNames", "DescribeDomains"), c.collect_opensearch,
                ("AWS::OpenSearch::Domain",)),
    ServiceSpec("elasticache", ("elasticache",), ("DescribeReplicationGroups", "DescribeCacheClusters"),
                c.collect_elasticache, ("AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::CacheCluster")),
    ServiceSpec("memorydb", ("memorydb",), ("DescribeClusters",), c.collect_memorydb, ("AWS::MemoryDB::Cluster",)),
    ServiceSpec("kinesis", ("kinesis",), ("ListStreams",), c.collect_kinesis, ("AWS::Kinesis::Stream",)),
    ServiceSpec("firehose", ("firehose",), ("ListDeliveryStreams",), c.collect_firehose,
                ("AWS::KinesisFirehose::DeliveryStream",)),
    ServiceSpec("kafka", ("kafka",), ("ListClustersV2",), c.collect_msk, ("AWS::MSK::Cluster",)),
    ServiceSpec("mq", ("mq",), ("ListBrokers",), c.collect_mq, ("AWS::AmazonMQ::Broker",)),
    ServiceSpec("sqs", ("sqs",), ("ListQueues", "GetQueueAttributes", "ListQueueTags"), c.collect_sqs,
                ("AWS::SQS::Queue",)),
    ServiceSpec("sns", ("sns",), ("ListTopics", "GetTopicAttributes", "ListTagsForResource"), c.collect_sns,
                ("AWS::SNS::Topic",)),
    ServiceSpec("kms", ("kms",), ("ListKeys", "DescribeKey"), c.collect_kms, ("AWS::KMS::Key",)),
    ServiceSpec("kms-key-stores", ("kms",), ("DescribeCustomKeyStores",), c.collect_kms_key_stores,
                ("aws_kms_custom_key_store",)),
    ServiceSpec("secretsmanager", ("secretsmanager",), ("ListSecrets", "DescribeSecret"), c.collect_secretsmanager,
                ("AWS::SecretsManager::Secret",)),
    ServiceSpec("ssm", ("ssm",), ("DescribeParameters",), c.collect_ssm, ("AWS::SSM::Parameter",)),
    ServiceSpec("backup", ("backup",), ("ListBackupVaults", "ListBackupPlans", "GetBackupPlan"), c.collect_backup,
                ("AWS::Backup::BackupVault", "AWS::Backup::BackupPlan")),
    ServiceSpec("backup-recovery-points", ("backup",), ("ListBackupVaults", "ListRecoveryPointsByBackupVault"),
                b.collect_recovery_points, ("AWS::Backup::RecoveryPoint",)),
    ServiceSpec("lambda", ("lambda",), ("ListFunctions",), a.collect_lambda, ("AWS::Lambda::Function",)),
    ServiceSpec("ecs", ("ecs",), ("ListClusters", "DescribeClusters", "ListServices", "DescribeServices"),
                a.collect_ecs, ("AWS::ECS::Cluster", "AWS::ECS::Service")),
    ServiceSpec("eks", ("eks",), ("ListClusters", "DescribeCluster"), a.collect_eks, ("AWS::EKS::Cluster",)),
    ServiceSpec("ecr", ("ecr",), ("DescribeRepositories",), a.collect_ecr, ("AWS::ECR::Repository",)),
    ServiceSpec("apprunner", ("apprunner",), ("ListServices",), a.collect_apprunner, ("AWS::AppRunner::Service",)),
    ServiceSpec("elasticbeanstalk", ("elasticbeanstalk",), ("DescribeEnvironments",), a.collect_beanstalk,
                ("AWS::ElasticBeanstalk::Environment",)),
    ServiceSpec("autoscaling", ("autoscaling",), ("DescribeAutoScalingGroups",), a.collect_autoscaling,
                ("AWS::AutoScaling::AutoScalingGroup",)),
    ServiceSpec("elb", ("elbv2", "elb"), ("elbv2:DescribeLoadBalancers", "elb:DescribeLoadBalancers"),
                a.collect_load_balancers,
                ("AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancing::LoadBalancer")),
    ServiceSpec("apigateway", ("apigateway", "apigatewayv2"), ("apigateway:GetRestApis", "apigatewayv2:GetApis"),
                a.collect_apigateway,
                ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api")),
    ServiceSpec("events", ("events",), ("ListEventBuses",), a.collect_events, ("AWS::Events::EventBus",)),
    ServiceSpec("stepfunctions", ("stepfunctions",), ("ListStateMachines",), a.collect_stepfunctions,
                ("AWS::StepFunctions::StateMachine",)),
    ServiceSpec("ses", ("sesv2",), ("ListEmailIdentities",), a.collect_ses, ("AWS::SES::EmailIdentity",)),
    ServiceSpec("cognito-idp", ("cognito-idp",), ("ListUserPools",), a.collect_cognito, ("AWS::Cognito::UserPool",)),
    ServiceSpec("wafv2", ("wafv2",), ("ListWebACLs",), c.collect_waf, ("AWS::WAFv2::WebACL",)),
    ServiceSpec("cloudtrail", ("cloudtrail",), ("DescribeTrails",), a.collect_cloudtrail, ("AWS::CloudTrail::Trail",)),
    ServiceSpec("logs", ("logs",), ("DescribeLogGroups",), a.collect_logs, ("AWS::Logs::LogGroup",)),
    ServiceSpec("cloudwatch", ("cloudwatch",), ("DescribeAlarms",), a.collect_cloudwatch, ("AWS::CloudWatch::Alarm",)),
    ServiceSpec("cloudformation", ("cloudformation",), ("DescribeStacks",), a.collect_cloudformation,
                ("AWS::CloudFormation::Stack",)),
    ServiceSpec("glue", ("glue",), ("GetDatabases", "ListJobs"), a.collect_glue,
                ("AWS::Glue::Database", "AWS::Glue::Job")),
    ServiceSpec("athena", ("athena",), ("ListWorkGroups",), a.collect_athena, ("AWS::Athena::WorkGroup",)),
    ServiceSpec("emr", ("emr",), ("ListClusters",), a.collect_emr, ("AWS::EMR::Cluster",)),
    ServiceSpec("sagemaker", ("sagemaker",), ("ListNotebookInstances", "ListModels", "ListEndpoints", "ListDomains"),
                a.collect_sagemaker, ("AWS::SageMaker::NotebookInstance", "AWS::SageMaker::Model",
                                      "AWS::SageMaker::Endpoint", "AWS::SageMaker::Domain")),
    ServiceSpec("bedrock", ("bedrock-agent",), ("ListAgents", "ListKnowledgeBases"), a.collect_bedrock,
                ("AWS::Bedrock::Agent", "AWS::Bedrock::KnowledgeBase"), regions_of="bedrock"),
)

#: Operations of the collection itself, outside the service collectors, by boto3 client name:
#: identity, member accounts, enabled regions, the tag index, AWS Config advanced query.
FRAME_OPERATIONS: dict[str, tuple[str, ...]] = {
    "sts": ("GetCallerIdentity", "AssumeRole"),
    "ec2": ("DescribeRegions",),
    "organizations": ("ListAccounts",),
    "resourcegroupstaggingapi": ("GetResources",),
    "config": ("SelectAggregateResourceConfig", "SelectResourceConfig"),
}


def all_operations() -> frozenset[tuple[str, str]]:
    """Every ``(boto3 client name, operation)`` the collection may call: the read-only guard's allowlist
    and, mapped to IAM actions, the least-privilege policy (the tests check each against botocore's
    service models)."""
    pairs: set[tuple[str, str]] = set()
    for spec in (*GLOBAL_SERVICES, *REGIONAL_SERVICES):
        for op in spec.operations:
            client, sep, name = op.partition(":")
            pairs.add((client, name) if sep else (spec.clients[0], op))
    for client, ops in FRAME_OPERATIONS.items():
        pairs.update((client, op) for op in ops)
    return frozenset(pairs)
