"""AWS live collection against moto in server mode, with real boto3 clients over HTTP(S).

moto runs in its own process behind a recording, fault-injecting proxy (``tests/moto_proxy.py``).
The estate is a small organisation: a management account and three members over three regions,
with S3 cross-region replication, a Secrets Manager replica, an RDS cross-region read replica,
cross-account IAM trust, and one resource of each data-holding type moto serves, tagged, with the
account's own snapshots and images. The two calls moto does not implement (KMS custom key stores,
AWS Backup recovery points) are answered by the proxy with documented answers (``_estate_stub``):
what they return is stated there, never collected from moto. Faults come
through botocore's own event system on the sessions the collector creates (throttling retried by
the adaptive retry mode, access denied in one region for one service, a member whose role cannot be
assumed) or through the proxy (a token that expires mid-run). Slow: marked ``live``.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import trustme
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from moto_proxy import Answer, Proxy, Seen, aws_error, json_answer, lacking, moto_lacks, start_moto, start_proxy
from typer.testing import CliRunner

from providers.aws import guard, live
from providers.aws.options import AwsSettings
from providers.base import CredentialsError
from providers.export import minimize
from providers.live import LiveOptions, RawRecord
from providers.registry import collector, raw_transforms
from scanner.cli import app
from scanner.errors import UsageError
from scanner.model import Account, Flow, FlowKind, Gap, KeyControl, KeyRef, Resource

pytestmark = pytest.mark.live

REGIONS = ("eu-central-1", "eu-west-1", "us-east-1")
MGMT = "123456789012"  # moto's default account
FIXTURES = Path(__file__).parent / "fixtures" / "aws_live"
HEALTH = {"DataClassification": "health"}
TAGS = [{"Key": "DataClassification", "Value": "health"}]
runner = CliRunner()
#: Types whose tags come from the tag index (tag:GetResources) and whose service moto's Resource
#: Groups Tagging API does not serve: collected here without their tags, which AWS itself returns.
MOTO_INDEX_LACKS = frozenset({"AWS::EMR::Cluster", "AWS::Kinesis::Stream", "AWS::ECR::Repository",
                              "AWS::OpenSearch::Domain", "AWS::MemoryDB::Cluster", "AWS::Cognito::UserPool",
                              "AWS::ElastiCache::CacheCluster", "AWS::Backup::RecoveryPoint"})

ENV = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "test-secret",
       "AWS_DEFAULT_REGION": "eu-west-1", "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE":
       "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true"}


@pytest.fixture(scope="module")
def proxy() -> Iterator[Proxy]:
    saved = {k: os.environ.get(k) for k in [*ENV, "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"]}
    os.environ.update(ENV)
    for key in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(key, None)
    moto, port = start_moto()
    proxy = start_proxy(port)
    try:
        yield proxy
    finally:
        proxy.stop()
        moto.kill()
        moto.wait()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _client(url: str, service: str, region: str, creds: dict[str, str] | None = None) -> Any:
    kwargs: dict[str, Any] = {}
    if creds:
        kwargs = {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
                  "aws_session_token": creds["SessionToken"]}
    return boto3.client(service, region_name=region, endpoint_url=url, **kwargs)


def _bucket(url: str, name: str, region: str, creds: dict[str, str] | None = None) -> None:
    s3 = _client(url, "s3", region, creds)
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def _data_stores(url: str) -> dict[str, str]:
    """One tagged resource of each data-holding type moto serves, in the management account's eu-west-1.

    Returns Config type → the resource's name, for the coverage test.
    """
    c = lambda svc: _client(url, svc, "eu-west-1")  # noqa: E731
    ec2 = c("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": TAGS}])
    vpc_id = vpc["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"eu-west-1{z}")
               ["Subnet"]["SubnetId"] for i, z in ((1, "a"), (2, "b"))]
    instance = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, SubnetId=subnets[0],
                                 TagSpecifications=[{"ResourceType": "instance", "Tags": TAGS}])["Instances"][0]
    # The account's own copies: an AMI of the instance, an encrypted volume's snapshot and its copy in
    # us-east-1, manual RDS, Aurora and Redshift snapshots (moto adds automated ones).
    ec2.create_image(InstanceId=instance["InstanceId"], Name="golden",
                     TagSpecifications=[{"ResourceType": "image", "Tags": TAGS}])
    key_w = c("kms").create_key(Description="west")["KeyMetadata"]["Arn"]
    volume = ec2.create_volume(Size=20, AvailabilityZone="eu-west-1a", Encrypted=True, KmsKeyId=key_w)
    snapshot = ec2.create_snapshot(VolumeId=volume["VolumeId"],
                                   TagSpecifications=[{"ResourceType": "snapshot", "Tags": TAGS}])["SnapshotId"]
    _client(url, "ec2", "us-east-1").copy_snapshot(SourceSnapshotId=snapshot, SourceRegion="eu-west-1")
    rds = c("rds")
    rds.create_db_instance(DBInstanceIdentifier="billing", DBInstanceClass="db.t3.micro", Engine="postgres",
                           AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="not-a-secret-1",
                           StorageEncrypted=True, KmsKeyId=key_w)
    rds.create_db_snapshot(DBInstanceIdentifier="billing", DBSnapshotIdentifier="billing-manual", Tags=TAGS)
    rds.create_db_cluster(DBClusterIdentifier="ledger", Engine="aurora-postgresql", MasterUsername="admin",
                          MasterUserPassword="Password1", StorageEncrypted=True, KmsKeyId=key_w)
    rds.create_db_cluster_snapshot(DBClusterIdentifier="ledger", DBClusterSnapshotIdentifier="ledger-manual",
                                   Tags=TAGS)
    c("elbv2").create_load_balancer(Name="web", Subnets=subnets, Tags=TAGS)
    c("apigateway").create_rest_api(name="claims", tags=HEALTH)
    c("apigatewayv2").create_api(Name="portal", ProtocolType="HTTP", Tags=HEALTH)
    ecs = c("ecs")
    ecs.create_cluster(clusterName="apps", tags=[{"key": "DataClassification", "value": "health"}])
    ecs.register_task_definition(family="api", containerDefinitions=[{
        "name": "api", "image": "nginx", "memory": 128, "environment": [{"name": "DB_PASSWORD", "value": "hunter2"}]}])
    ecs.create_service(cluster="apps", serviceName="api", taskDefinition="api", desiredCount=1,
                       tags=[{"key": "DataClassification", "value": "health"}])
    c("kafka").create_cluster_v2(ClusterName="events", Serverless={"VpcConfigs": [{"SubnetIds": subnets}]},
                                 Tags=HEALTH)
    c("emr").run_job_flow(Name="etl", ReleaseLabel="emr-6.10.0", Instances={
        "MasterInstanceType": "m5.xlarge", "SlaveInstanceType": "m5.xlarge", "InstanceCount": 1,
        "KeepJobFlowAliveWhenNoSteps": True}, JobFlowRole="EMR_EC2_DefaultRole", ServiceRole="EMR_DefaultRole",
        Tags=TAGS)
    c("firehose").create_delivery_stream(DeliveryStreamName="clicks", ExtendedS3DestinationConfiguration={
        "RoleARN": f"arn:aws:iam::{MGMT}:role/fh", "BucketARN": "arn:aws:s3:::acme-records"}, Tags=TAGS)
    c("stepfunctions").create_state_machine(
        name="intake", definition=json.dumps({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}),
        roleArn=f"arn:aws:iam::{MGMT}:role/sf", tags=[{"key": "DataClassification", "value": "health"}])
    c("opensearch").create_domain(DomainName="search", TagList=TAGS)
    c("elasticache").create_cache_cluster(CacheClusterId="cache", Engine="redis", CacheNodeType="cache.t3.micro",
                                          NumCacheNodes=1, Tags=TAGS)
    c("redshift").create_cluster(ClusterIdentifier="dwh", NodeType="ra3.xlplus", MasterUsername="admin",
                                 MasterUserPassword="Password1", Tags=TAGS)
    c("redshift").create_cluster_snapshot(ClusterIdentifier="dwh", SnapshotIdentifier="dwh-manual", Tags=TAGS)
    c("efs").create_file_system(CreationToken="share", Tags=TAGS)
    c("backup").create_backup_vault(BackupVaultName="vault", BackupVaultTags=HEALTH)
    c("ecr").create_repository(repositoryName="images", tags=TAGS)
    glue = c("glue")
    glue.create_database(DatabaseInput={"Name": "claims"}, Tags=HEALTH)
    glue.create_job(Name="nightly", Role="r", Command={"Name": "glueetl", "ScriptLocation": "s3://x/y.py"},
                    DefaultArguments={"--db-password": "hunter2"}, Tags=HEALTH)
    c("sagemaker").create_model(ModelName="triage", ExecutionRoleArn=f"arn:aws:iam::{MGMT}:role/sm",
                                PrimaryContainer={"Image": "x"}, Tags=TAGS)
    c("kinesis").create_stream(StreamName="vitals", ShardCount=1, Tags=HEALTH)
    c("memorydb").create_cluster(ClusterName="mem", NodeType="db.t4g.small", ACLName="open-access", Tags=TAGS)
    c("ssm").put_parameter(Name="/app/db", Value="hunter2", Type="SecureString", Tags=TAGS)
    c("cognito-idp").create_user_pool(PoolName="patients", UserPoolTags=HEALTH)
    c("lambda").create_function(
        FunctionName="ingest", Runtime="python3.12", Role=f"arn:aws:iam::{MGMT}:role/app", Handler="app.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18}, Environment={"Variables": {"DB_PASSWORD": "hunter2"}},
        Tags=HEALTH)
    return {
        "AWS::EC2::Instance": "", "AWS::EC2::VPC": vpc_id, "AWS::ElasticLoadBalancingV2::LoadBalancer": "web",
        "AWS::ApiGateway::RestApi": "claims", "AWS::ApiGatewayV2::Api": "portal", "AWS::ECS::Cluster": "apps",
        "AWS::ECS::Service": "api", "AWS::MSK::Cluster": "events", "AWS::EMR::Cluster": "etl",
        "AWS::KinesisFirehose::DeliveryStream": "clicks", "AWS::StepFunctions::StateMachine": "intake",
        "AWS::OpenSearch::Domain": "search", "AWS::ElastiCache::CacheCluster": "cache",
        "AWS::Redshift::Cluster": "dwh", "AWS::EFS::FileSystem": "", "AWS::Backup::BackupVault": "vault",
        "AWS::ECR::Repository": "images", "AWS::Glue::Database": "claims", "AWS::Glue::Job": "nightly",
        "AWS::SageMaker::Model": "triage", "AWS::Kinesis::Stream": "vitals", "AWS::MemoryDB::Cluster": "mem",
        "AWS::SSM::Parameter": "/app/db", "AWS::Cognito::UserPool": "patients",
        "AWS::Lambda::Function": "ingest",
        "ec2:image": "golden", "ec2:snapshot": snapshot, "AWS::RDS::DBSnapshot": "billing-manual",
        "AWS::RDS::DBClusterSnapshot": "ledger-manual", "AWS::Redshift::ClusterSnapshot": "dwh-manual",
        "AWS::Backup::RecoveryPoint": "",
    }


XKS_STORE = "cks-1234567890abcdef0"
HSM_STORE = "cks-0fedcba0987654321"
#: What moto cannot answer, as the API references document the answers
#: (https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeCustomKeyStores.html,
#: https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListRecoveryPointsByBackupVault.html):
#: in the management account's eu-central-1 an external key store (XKS) and a CloudHSM key store,
#: with the fields that must never be kept (the proxy's access key id, the trust anchor certificate).
KEY_STORES = [
    {"CustomKeyStoreId": XKS_STORE, "CustomKeyStoreName": "hyok", "CustomKeyStoreType": "EXTERNAL_KEY_STORE",
     "ConnectionState": "CONNECTED", "CreationDate": 1764000000,
     "XksProxyConfiguration": {"Connectivity": "PUBLIC_ENDPOINT", "AccessKeyId": "XKSPROXYACCESSKEY0001",
                               "UriEndpoint": "https://xks.example.org", "UriPath": "/kms/xks/v1"}},
    {"CustomKeyStoreId": HSM_STORE, "CustomKeyStoreName": "hsm", "CustomKeyStoreType": "AWS_CLOUDHSM",
     "CloudHsmClusterId": "cluster-1a23b4cdefg", "ConnectionState": "CONNECTED", "CreationDate": 1764000000,
     "TrustAnchorCertificate": "-----BEGIN CERTIFICATE-----\nMIIBsecretanchor\n-----END CERTIFICATE-----"},
]
EFS_POINT = f"arn:aws:backup:eu-west-1:{MGMT}:recovery-point:5f0c2a4e-1b3d-4e6f-8a9b-0c1d2e3f4a5b"
COPY_POINT = f"arn:aws:rds:us-east-1:{MGMT}:snapshot:awsbackup:copyjob-8d2f5a3c-6b1e-4f0a-9c7d-2e4b6a8c0d1f"


def _recovery_points(dr_key: str) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(region, vault) → its recovery points: an original backup of a table in eu-west-1 (AWS-owned key),
    and in us-east-1 a copy, from a vault in eu-central-1, of the patients database's recovery point."""
    return {
        ("eu-west-1", "vault"): [{
            "RecoveryPointArn": EFS_POINT, "BackupVaultName": "vault",
            "BackupVaultArn": f"arn:aws:backup:eu-west-1:{MGMT}:backup-vault:vault",
            "ResourceArn": f"arn:aws:dynamodb:eu-west-1:{MGMT}:table/sessions", "ResourceType": "DynamoDB",
            "Status": "COMPLETED", "CreationDate": 1764460800, "BackupSizeInBytes": 5 * 1024**3,
            "IsEncrypted": True, "EncryptionKeyType": "AWS_OWNED_KMS_KEY"}],
        ("us-east-1", "dr-vault"): [{
            "RecoveryPointArn": COPY_POINT, "BackupVaultName": "dr-vault",
            "BackupVaultArn": f"arn:aws:backup:us-east-1:{MGMT}:backup-vault:dr-vault",
            "SourceBackupVaultArn": f"arn:aws:backup:eu-central-1:{MGMT}:backup-vault:primary",
            "ResourceArn": f"arn:aws:rds:eu-central-1:{MGMT}:db:patients", "ResourceType": "RDS",
            "Status": "COMPLETED", "CreationDate": 1764460800, "BackupSizeInBytes": 50 * 1024**3,
            "IsEncrypted": True, "EncryptionKeyArn": dr_key, "EncryptionKeyType": "CUSTOMER_MANAGED_KMS_KEY"}],
    }


def _estate_stub(dr_key: str) -> Any:
    points = _recovery_points(dr_key)

    def answer(seen: Seen) -> Answer:
        name = lacking(seen)
        if name is None or seen.key != ENV["AWS_ACCESS_KEY_ID"]:
            return moto_lacks(seen)
        if name == "DescribeCustomKeyStores" and seen.region == "eu-central-1":
            return json_answer(json.dumps({"CustomKeyStores": KEY_STORES, "Truncated": False}))
        vault = seen.path.split("/backup-vaults/", 1)[-1].split("/", 1)[0]
        if name == "recovery-points" and (seen.region, vault) in points:
            return json_answer(json.dumps({"RecoveryPoints": points[(seen.region, vault)]}), "application/json")
        return moto_lacks(seen)

    return answer


@pytest.fixture(scope="module")
def estate(proxy: Proxy) -> dict[str, Any]:
    """Build the organisation; return the ids the tests expect."""
    url = proxy.url
    org = _client(url, "organizations", "us-east-1")
    org.create_organization(FeatureSet="ALL")
    members = []
    for name in ("research", "clinic", "legacy"):
        status = org.create_account(AccountName=name, Email=f"{name}@example.org")["CreateAccountStatus"]
        members.append(status["AccountId"])

    kms = _client(url, "kms", "eu-central-1")
    key = kms.create_key(Description="records", Tags=[{"TagKey": "DataClassification", "TagValue": "health"}])
    key = key["KeyMetadata"]
    s3 = _client(url, "s3", "eu-central-1")
    _bucket(url, "acme-records", "eu-central-1")
    _bucket(url, "acme-records-dr", "us-east-1")
    _bucket(url, "acme-trail", "eu-west-1")
    s3.put_bucket_encryption(Bucket="acme-records", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}}]})
    s3.put_bucket_tagging(Bucket="acme-records", Tagging={"TagSet": [
        {"Key": "DataClassification", "Value": "health"}, {"Key": "api_token", "Value": "tok-SECRET-1"}]})
    s3.put_bucket_replication(Bucket="acme-records", ReplicationConfiguration={
        "Role": f"arn:aws:iam::{MGMT}:role/replication",
        "Rules": [{"ID": "dr", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
                   "DeleteMarkerReplication": {"Status": "Disabled"},
                   "Destination": {"Bucket": "arn:aws:s3:::acme-records-dr"}}]})
    iam = _client(url, "iam", "us-east-1")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(trust))
    rds_c = _client(url, "rds", "eu-central-1")
    rds_c.create_db_instance(DBInstanceIdentifier="patients", DBInstanceClass="db.t3.micro", Engine="postgres",
                             AllocatedStorage=50, MasterUsername="admin", MasterUserPassword="not-a-secret-1",
                             StorageEncrypted=True, KmsKeyId=key["Arn"])
    _client(url, "rds", "eu-west-1").create_db_instance_read_replica(
        DBInstanceIdentifier="patients-replica", DBInstanceClass="db.t3.micro",
        SourceDBInstanceIdentifier=f"arn:aws:rds:eu-central-1:{MGMT}:db:patients")
    table = {"BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
             "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}
    _client(url, "dynamodb", "eu-west-1").create_table(TableName="sessions", **table)
    _client(url, "dynamodb", "us-east-1").create_table(TableName="audit", **table)
    queue_url = _client(url, "sqs", "eu-west-1").create_queue(QueueName="jobs")["QueueUrl"]
    topic = _client(url, "sns", "us-east-1").create_topic(Name="alerts")["TopicArn"]
    _client(url, "cloudtrail", "eu-west-1").create_trail(Name="org-trail", S3BucketName="acme-trail",
                                                       IsMultiRegionTrail=True)
    secret = _client(url, "secretsmanager", "eu-central-1").create_secret(
        Name="db", SecretString="hunter2", AddReplicaRegions=[{"Region": "us-east-1"}], Tags=TAGS)["ARN"]
    _client(url, "cloudfront", "us-east-1").create_distribution_with_tags(DistributionConfigWithTags={
        "DistributionConfig": {
            "CallerReference": "portal", "Comment": "", "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{
                "Id": "app", "DomainName": "app.example.org",
                "CustomHeaders": {"Quantity": 1, "Items": [{"HeaderName": "X-Origin-Secret",
                                                            "HeaderValue": "hdr-SECRET-2"}]},
                "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "app", "ViewerProtocolPolicy": "allow-all",
                                     "MinTTL": 0, "ForwardedValues": {"QueryString": False, "Cookies": {
                                         "Forward": "none"}}, "TrustedSigners": {"Enabled": False, "Quantity": 0}}},
        "Tags": {"Items": TAGS}})
    stores = _data_stores(url)
    # A key in the external key store (moto keeps the origin, not the store), and a snapshot copied
    # under it (moto gives a snapshot the key of a copy, not that of its volume).
    xks = kms.create_key(Description="hyok", Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId=XKS_STORE,
                         XksKeyId="ext-key-1")["KeyMetadata"]["Arn"]
    ec2_c = _client(url, "ec2", "eu-central-1")
    volume = ec2_c.create_volume(Size=30, AvailabilityZone="eu-central-1a")
    plain = ec2_c.create_snapshot(VolumeId=volume["VolumeId"])["SnapshotId"]
    xks_snapshot = ec2_c.copy_snapshot(SourceSnapshotId=plain, SourceRegion="eu-central-1", Encrypted=True,
                                       KmsKeyId=xks)["SnapshotId"]
    _client(url, "backup", "us-east-1").create_backup_vault(BackupVaultName="dr-vault")
    dr_key = _client(url, "kms", "us-east-1").create_key(Description="dr")["KeyMetadata"]["Arn"]
    proxy.stub = _estate_stub(dr_key)

    sts = _client(url, "sts", "us-east-1")
    for account, region in zip(members[:2], ("eu-west-1", "eu-central-1"), strict=True):
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                                RoleSessionName="setup")["Credentials"]
        _bucket(url, f"data-{account}", region, creds)
        _client(url, "sqs", region, creds).create_queue(QueueName="member-jobs")
    return {"members": members, "key": key, "queue_url": queue_url, "topic": topic, "secret": secret,
            "stores": stores, "xks": xks, "xks_snapshot": xks_snapshot, "dr_key": dr_key}


# --- fault injection through botocore's event system ---------------------------------------------

class _Body:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


class Faults:
    """Handlers added to every session the collector creates (after the guard)."""

    def __init__(self, throttle: int = 0, deny: tuple[str, str] | None = None, deny_role: str | None = None) -> None:
        self.throttle_left = throttle
        self.throttled = 0
        self.deny = deny  # (region, service) denied for the management account
        self.deny_role = deny_role  # a member account whose role cannot be assumed
        self.calls: list[tuple[str, str]] = []

    def install(self, recipe: Any, stop: Any = None, credentials: Any = None) -> Any:
        session = _make_session(recipe, stop, credentials)
        mgmt = credentials is None
        session.events.register("before-call", self._record)
        session.events.register("before-send.dynamodb.ListTables", self._throttle)
        if mgmt and self.deny:
            session.events.register("before-parameter-build", self._deny)
        if self.deny_role:
            session.events.register("before-parameter-build.sts.AssumeRole", self._deny_role)
        return session

    def _record(self, model: Any, **_: Any) -> None:
        self.calls.append((model.service_model.service_name, model.name))

    def _throttle(self, request: Any, **_: Any) -> AWSResponse | None:
        if self.throttle_left <= 0:
            return None
        self.throttle_left -= 1
        self.throttled += 1
        body = b'{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"}'
        return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.0"}, _Body(body))

    def _deny(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        region, service = self.deny or ("", "")
        if model.service_model.service_name == service and context.get("client_region") == region:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, model.name)

    def _deny_role(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if f":{self.deny_role}:" in params.get("RoleArn", ""):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized to assume"}},
                              model.name)


_make_session = live.make_session


def _options(url: str | None, **settings: Any) -> LiveOptions:
    settings.setdefault("regions", REGIONS)
    settings.setdefault("processes", 1)
    return LiveOptions(provider="aws", settings=AwsSettings(**settings), max_workers=8,
                       endpoints={"aws": url} if url else {})


def _collect(url: str, faults: Faults, **settings: Any) -> list[Any]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(live, "make_session", faults.install)
        return list(collector("aws")(_options(url, **settings)))


def _items(raw: list[Any]) -> list[Any]:
    """Raw records through the fields allowlist and the shared transforms, as a live run does;
    Account and Gap items as they came."""
    raw = list(minimize(raw))
    out: list[Any] = [x for x in raw if not isinstance(x, RawRecord)]
    by_kind: dict[str, list[Any]] = {}
    for x in raw:
        if isinstance(x, RawRecord):
            by_kind.setdefault(x.kind, []).append(x.record)
    for kind, records in by_kind.items():
        out.extend(raw_transforms()[kind](records, "live"))
    return out


def _resources(items: list[Any]) -> dict[str, Resource]:
    return {r.id: r for r in items if isinstance(r, Resource)}


@pytest.fixture(scope="module")
def org_run(proxy: Proxy, estate: dict[str, Any]) -> tuple[Faults, list[Any]]:
    faults = Faults(throttle=2, deny=("us-east-1", "dynamodb"), deny_role=estate["members"][2])
    return faults, _collect(proxy.url, faults, org=True)


# --- the organisation ----------------------------------------------------------------------------

def test_org_inventory_has_every_account_region_and_resource(org_run: tuple[Faults, list[Any]],
                                                             estate: dict[str, Any]) -> None:
    _, raw = org_run
    resources = _resources(_items(raw))
    research, clinic, _legacy = estate["members"]
    key = estate["key"]["Arn"]
    found = {(r.id, r.native_type, r.region, r.account) for r in resources.values()}
    expected = {
        ("arn:aws:s3:::acme-records", "AWS::S3::Bucket", "eu-central-1", MGMT),
        ("arn:aws:s3:::acme-records-dr", "AWS::S3::Bucket", "us-east-1", MGMT),
        ("arn:aws:s3:::acme-trail", "AWS::S3::Bucket", "eu-west-1", MGMT),
        (key, "AWS::KMS::Key", "eu-central-1", MGMT),
        (f"arn:aws:rds:eu-central-1:{MGMT}:db:patients", "AWS::RDS::DBInstance", "eu-central-1", MGMT),
        (f"arn:aws:rds:eu-west-1:{MGMT}:db:patients-replica", "AWS::RDS::DBInstance", "eu-west-1", MGMT),
        (f"arn:aws:dynamodb:eu-west-1:{MGMT}:table/sessions", "AWS::DynamoDB::Table", "eu-west-1", MGMT),
        (f"arn:aws:lambda:eu-west-1:{MGMT}:function:ingest", "AWS::Lambda::Function", "eu-west-1", MGMT),
        (f"arn:aws:sqs:eu-west-1:{MGMT}:jobs", "AWS::SQS::Queue", "eu-west-1", MGMT),
        (estate["topic"], "AWS::SNS::Topic", "us-east-1", MGMT),
        (f"arn:aws:cloudtrail:eu-west-1:{MGMT}:trail/org-trail", "AWS::CloudTrail::Trail", "eu-west-1", MGMT),
        (f"arn:aws:iam::{MGMT}:role/app", "AWS::IAM::Role", "global", MGMT),
        (estate["secret"], "AWS::SecretsManager::Secret", "eu-central-1", MGMT),
        (f"arn:aws:s3:::data-{research}", "AWS::S3::Bucket", "eu-west-1", research),
        (f"arn:aws:sqs:eu-west-1:{research}:member-jobs", "AWS::SQS::Queue", "eu-west-1", research),
        (f"arn:aws:s3:::data-{clinic}", "AWS::S3::Bucket", "eu-central-1", clinic),
        (f"arn:aws:sqs:eu-central-1:{clinic}:member-jobs", "AWS::SQS::Queue", "eu-central-1", clinic),
    }
    assert expected <= found
    # us-east-1 DynamoDB of the management account is denied: its "audit" table is missing; the
    # member whose role is refused contributes nothing.
    assert f"arn:aws:dynamodb:us-east-1:{MGMT}:table/audit" not in resources
    assert {r.account for r in resources.values()} == {MGMT, research, clinic}
    # Every region of every collected account was read (moto gives each a default VPC).
    assert {(r.account, r.region) for r in resources.values() if r.native_type == "AWS::EC2::VPC"} == {
        (a, region) for a in (MGMT, research, clinic) for region in REGIONS}


def test_every_data_holding_type_is_collected_with_its_tags(org_run: tuple[Faults, list[Any]],
                                                            estate: dict[str, Any]) -> None:
    _, raw = org_run
    resources = _resources(_items(raw))
    in_region = [r for r in resources.values() if r.account == MGMT and r.region == "eu-west-1"]
    for rtype, name in estate["stores"].items():
        matching = [r for r in in_region if r.native_type == rtype and (not name or name in (r.name, r.id))]
        assert matching, f"{rtype} {name!r} missing"
        if rtype not in MOTO_INDEX_LACKS:
            assert any(r.tags.get("DataClassification") == "health" for r in matching), f"{rtype}: no tags"
    # Tags that the listings do not carry (Lambda, KMS, CloudFront) come from the tag index.
    assert resources[estate["key"]["Arn"]].tags == HEALTH
    cdn = next(r for r in resources.values() if r.native_type == "AWS::CloudFront::Distribution")
    assert cdn.tags == HEALTH


def test_relations_replication_replicas_logs_and_trust(org_run: tuple[Faults, list[Any]],
                                                       estate: dict[str, Any]) -> None:
    _, raw = org_run
    flows = {(f.source, f.target, f.kind, f.target_region) for f in _items(raw) if isinstance(f, Flow)}
    research, clinic, _ = estate["members"]
    source = f"arn:aws:rds:eu-central-1:{MGMT}:db:patients"
    replica = f"arn:aws:rds:eu-west-1:{MGMT}:db:patients-replica"
    secret = estate["secret"]
    assert flows == {
        # the destination bucket's region, from GetBucketLocation
        ("arn:aws:s3:::acme-records", "arn:aws:s3:::acme-records-dr", FlowKind.REPLICATION, "us-east-1"),
        (source, replica, FlowKind.REPLICA, "eu-west-1"),  # from both ends; merged downstream
        (f"arn:aws:cloudtrail:eu-west-1:{MGMT}:trail/org-trail", "arn:aws:s3:::acme-trail", FlowKind.LOGS, None),
        (f"arn:aws:iam::{MGMT}:role/app", "arn:aws:iam::999988887777:root", FlowKind.TRUST, "global"),
        (f"arn:aws:iam::{research}:role/OrganizationAccountAccessRole", f"arn:aws:iam::{MGMT}:root",
         FlowKind.TRUST, "global"),
        (f"arn:aws:iam::{clinic}:role/OrganizationAccountAccessRole", f"arn:aws:iam::{MGMT}:root",
         FlowKind.TRUST, "global"),
        # the Secrets Manager replica (DescribeSecret's ReplicationStatus)
        (secret, secret.replace("eu-central-1", "us-east-1"), FlowKind.REPLICA, "us-east-1"),
        # a recovery point copied from a vault in eu-central-1: the database's data is in us-east-1
        (source, COPY_POINT, FlowKind.BACKUP, "us-east-1"),
    }


def test_keys_tags_and_sizes(org_run: tuple[Faults, list[Any]], estate: dict[str, Any]) -> None:
    _, raw = org_run
    resources = _resources(_items(raw))
    key = estate["key"]["Arn"]
    bucket = resources["arn:aws:s3:::acme-records"]
    assert (bucket.key.control, bucket.key.key_id) == (KeyControl.CUSTOMER, key)  # type: ignore[union-attr]
    # A tag whose key names a secret keeps its key, never its value.
    assert bucket.tags == {"DataClassification": "health", "api_token": "[redacted]"}
    assert resources[key].attributes["key_control"] == KeyControl.CUSTOMER.value
    db = resources[f"arn:aws:rds:eu-central-1:{MGMT}:db:patients"]
    assert (db.size_gb, db.key.key_id, db.attributes["engine"]) == (50.0, key, "postgres")  # type: ignore[union-attr]


def test_the_accounts_own_snapshots_images_and_recovery_points(proxy: Proxy, org_run: tuple[Faults, list[Any]],
                                                                estate: dict[str, Any]) -> None:
    _, raw = org_run
    resources = _resources(_items(raw))
    research, clinic, legacy = estate["members"]
    billing = resources[f"arn:aws:rds:eu-west-1:{MGMT}:db:billing"]
    key_w = billing.key.key_id  # type: ignore[union-attr]
    assert key_w and key_w.startswith("arn:aws:kms:eu-west-1:")

    def at(rid: str) -> tuple[Any, ...]:
        r = resources[rid]
        return r.native_type, r.account, r.region, r.size_gb, r.key, r.tags.get("DataClassification")

    customer_w = KeyRef(KeyControl.CUSTOMER, key_w)
    assert at(f"arn:aws:rds:eu-west-1:{MGMT}:snapshot:billing-manual") == (
        "AWS::RDS::DBSnapshot", MGMT, "eu-west-1", 20.0, customer_w, "health")
    # Aurora's allocated storage says nothing of the size: unknown rather than wrong.
    assert at(f"arn:aws:rds:eu-west-1:{MGMT}:cluster-snapshot:ledger-manual") == (
        "AWS::RDS::DBClusterSnapshot", MGMT, "eu-west-1", None, customer_w, "health")
    dwh = resources[f"arn:aws:redshift:eu-west-1:{MGMT}:snapshot:dwh/dwh-manual"]
    assert (dwh.native_type, dwh.tags, dwh.attributes["encrypted"]) == (
        "AWS::Redshift::ClusterSnapshot", HEALTH, False)
    # EBS snapshots and AMIs are keyed by the ARN form without an account, as AWS Backup names them.
    snapshot = estate["stores"]["ec2:snapshot"]
    ebs = resources[f"arn:aws:ec2:eu-west-1::snapshot/{snapshot}"]
    # (moto does not give a snapshot its volume's key id: the key is checked on a copy, below)
    assert (ebs.native_type, ebs.account, ebs.size_gb, ebs.attributes["encrypted"], ebs.tags) == (
        "ec2:snapshot", MGMT, 20.0, True, HEALTH)
    ec2 = _client(proxy.url, "ec2", "eu-west-1")
    answer = ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    assert any(s["OwnerId"] != MGMT for s in answer)  # moto ignores OwnerIds: the collector checks the owner
    assert {r.id for r in resources.values() if r.native_type == "ec2:snapshot" and r.region == "eu-west-1"
            and r.account == MGMT} == {f"arn:aws:ec2:eu-west-1::snapshot/{s['SnapshotId']}" for s in answer
                                       if s["OwnerId"] == MGMT}
    assert {r.account for r in resources.values() if r.native_type in ("ec2:snapshot", "ec2:image")} <= {
        MGMT, research, clinic, legacy}
    # The copy in us-east-1 is a resource of its own there; the API does not name a copy's source.
    assert [r.size_gb for r in resources.values() if r.native_type == "ec2:snapshot" and r.region == "us-east-1"
            and r.account == MGMT] == [20.0]
    image = ec2.describe_images(Owners=["self"], Filters=[{"Name": "name", "Values": ["golden"]}])["Images"][0]
    golden = resources[f"arn:aws:ec2:eu-west-1::image/{image['ImageId']}"]
    assert (golden.native_type, golden.name, golden.tags) == ("ec2:image", "golden", HEALTH)
    assert golden.size_gb == sum(m["Ebs"]["VolumeSize"] for m in image["BlockDeviceMappings"])
    # Recovery points (answered by the proxy: moto lacks the API), in their vault's region.
    assert at(EFS_POINT) == ("AWS::Backup::RecoveryPoint", MGMT, "eu-west-1", 5.0,
                             KeyRef(KeyControl.PROVIDER), None)
    assert at(COPY_POINT) == ("AWS::Backup::RecoveryPoint", MGMT, "us-east-1", 50.0,
                              KeyRef(KeyControl.CUSTOMER, estate["dr_key"]), None)


def test_custom_key_stores_and_keys_held_outside_aws(proxy: Proxy, estate: dict[str, Any],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A key of an external key store is read as customer-external, down to the data it encrypts."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    r = runner.invoke(app, ["run", "--provider", "aws", "--regions", "eu-central-1", "-f", "json",
                            "--as-of", "2026-12-04"])
    assert r.exit_code == 0, r.stderr
    doc = {res["id"]: res for res in json.loads(r.stdout)["resources"]}
    store = f"aws:{MGMT}:eu-central-1:aws_kms_custom_key_store:"
    found = {rid: (res["service"], res["key_control"]) for rid, res in doc.items()
             if rid.startswith(store) or rid in (estate["xks"], estate["key"]["Arn"])}
    assert found == {
        store + XKS_STORE: ("aws_kms_custom_key_store", "customer-external"),
        store + HSM_STORE: ("aws_kms_custom_key_store", "customer-managed"),
        estate["xks"]: ("AWS::KMS::Key", "customer-external"),
        estate["key"]["Arn"]: ("AWS::KMS::Key", "customer-managed"),
    }
    snapshot = doc[f"arn:aws:ec2:eu-central-1::snapshot/{estate['xks_snapshot']}"]
    assert (snapshot["service"], snapshot["key_control"], snapshot["region"]) == (
        "ec2:snapshot", "customer-external", "eu-central-1")


def test_gaps_name_account_region_and_service(org_run: tuple[Faults, list[Any]], estate: dict[str, Any]) -> None:
    _, raw = org_run
    gaps = [g for g in raw if isinstance(g, Gap)]
    legacy = estate["members"][2]
    heads = {(g.reason, g.message.split(":")[0]) for g in gaps}
    assert len(gaps) == 2 and heads == {
        ("access-denied", f"account {MGMT}, region us-east-1, service dynamodb"),
        ("access-denied", f"account {legacy}"),
    }, gaps
    assert any("cannot assume role SovscanReadOnly" in g.message for g in gaps)


def test_accounts_of_the_organisation_without_email(org_run: tuple[Faults, list[Any]],
                                                    estate: dict[str, Any]) -> None:
    _, raw = org_run
    accounts = {(a.id, a.name) for a in raw if isinstance(a, Account)}
    research, clinic, legacy = estate["members"]
    assert accounts == {(MGMT, "master"), (research, "research"), (clinic, "clinic"), (legacy, "legacy")}
    assert "@example.org" not in json.dumps([r.record for r in raw if isinstance(r, RawRecord)], default=str)


def test_throttling_is_retried_by_the_sdk(org_run: tuple[Faults, list[Any]]) -> None:
    faults, raw = org_run
    resources = _resources(_items(raw))
    assert faults.throttled == 2
    assert f"arn:aws:dynamodb:eu-west-1:{MGMT}:table/sessions" in resources
    assert not [g for g in raw if isinstance(g, Gap) and g.reason == "throttled"]


def test_secrets_and_environment_are_never_collected(org_run: tuple[Faults, list[Any]]) -> None:
    _, raw = org_run
    dump = json.dumps([r.record for r in minimize(raw) if isinstance(r, RawRecord)])
    for secret in ("hunter2", "DB_PASSWORD", "not-a-secret-1", "hdr-SECRET-2", "tok-SECRET-1", "Password1",
                   "--db-password", "X-Origin-Secret", "XKSPROXYACCESSKEY0001", "secretanchor"):
        assert secret not in dump


def test_calls_made_are_exactly_the_allowlist(org_run: tuple[Faults, list[Any]]) -> None:
    faults, raw = org_run
    called = set(faults.calls)
    assert len(called) > 70
    assert called <= guard.allowed_operations()
    assert {("ec2", "DescribeSnapshots"), ("ec2", "DescribeImages"), ("rds", "DescribeDBSnapshots"),
            ("rds", "DescribeDBClusterSnapshots"), ("redshift", "DescribeClusterSnapshots"),
            ("backup", "ListRecoveryPointsByBackupVault"), ("kms", "DescribeCustomKeyStores")} <= called
    types = {r.native_type for r in _resources(_items(raw)).values()}
    print(f"organisation run: {len(faults.calls)} calls, {len(called)} distinct operations of "
          f"{len(guard.allowed_operations())} allowed, {len(types)} resource types collected")


# --- regions and copies outside them ------------------------------------------------------------------

def test_an_unknown_region_is_an_error_and_case_is_normalised(proxy: Proxy, estate: dict[str, Any]) -> None:
    with pytest.raises(UsageError, match=r"--regions: eu-west-99 is not a region of the aws partition"):
        list(collector("aws")(_options(proxy.url, regions=("eu-west-99", "eu-central-1"))))
    from providers.aws.options import settings as parse  # the command line normalises before the collector

    assert parse({"regions": ["EU-WEST-3", " eu-central-1", "eu-west-3"]}).regions == ("eu-west-3", "eu-central-1")


def test_a_replica_outside_the_scanned_regions_keeps_its_country(proxy: Proxy, estate: dict[str, Any],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """sovscan run as a user runs it (the endpoint from the environment), two regions asked for in odd case."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    r = runner.invoke(app, ["run", "--provider", "aws", "--regions", "EU-CENTRAL-1,eu-west-1", "-f", "json",
                            "--as-of", "2026-12-04"])
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    regions = {res["region"] for res in doc["resources"] if res["region"] != "global"}
    assert regions == {"eu-central-1", "eu-west-1"}
    records = next(res for res in doc["resources"] if res["id"] == "arn:aws:s3:::acme-records")
    secret = next(res for res in doc["resources"] if res["id"] == estate["secret"])
    assert records["locations"] == ["DE", "US"] and secret["locations"] == ["DE", "US"]
    assert "arn:aws:s3:::acme-records-dr" not in {res["id"] for res in doc["resources"]}
    rules = {(f["rule"], f["resource"]) for f in doc["findings"]}
    assert any(resource == "arn:aws:s3:::acme-records" and "transfer" in rule for rule, resource in rules), rules
    bad = runner.invoke(app, ["run", "--provider", "aws", "--regions", "eu-west-99", "-f", "json"])
    assert bad.exit_code == 2 and "eu-west-99 is not a region of the aws partition" in bad.stderr


# --- settings of a profile, refreshable credentials, worker processes -------------------------------

@pytest.fixture
def tls_profile(proxy: Proxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Proxy]:
    """An HTTPS proxy to the same moto, trusted only through a profile's ca_bundle and named by its endpoint_url."""
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    tls = start_proxy(proxy.target, tls=ca)
    config = tmp_path / "config"
    config.write_text(f"[profile audit]\nregion = eu-west-1\nendpoint_url = {tls.url}\nca_bundle = {bundle}\n")
    creds = tmp_path / "credentials"
    creds.write_text(f"[audit]\naws_access_key_id = {ENV['AWS_ACCESS_KEY_ID']}\naws_secret_access_key = x\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)  # it would override the profile's ca_bundle
    try:
        yield tls
    finally:
        tls.stop()


def test_a_profiles_endpoint_and_ca_bundle_reach_members_and_workers(tls_profile: Proxy,
                                                                     estate: dict[str, Any]) -> None:
    raw = list(collector("aws")(_options(None, profile="audit", org=True, role_name="OrganizationAccountAccessRole",
                                         processes=2)))
    gaps = [g for g in raw if isinstance(g, Gap)]
    assert gaps == [], gaps  # nothing went to real AWS endpoints: every call found the local one
    resources = _resources(_items(raw))
    research, clinic, legacy = estate["members"]
    assert {r.account for r in resources.values()} == {MGMT, research, clinic, legacy}
    # Regional calls ran in the worker processes, through the HTTPS endpoint of the profile.
    assert {(r.account, r.region) for r in resources.values() if r.native_type == "AWS::EC2::VPC"} == {
        (a, region) for a in (MGMT, research, clinic, legacy) for region in REGIONS}
    keys = tls_profile.keys()
    assert ENV["AWS_ACCESS_KEY_ID"] in keys and len(keys) >= 4  # the caller and each member's role


def test_assumed_role_credentials_are_refreshed(proxy: Proxy, estate: dict[str, Any],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # Sessions of 900 s are inside botocore's 15-minute refresh window from the start: every use
    # refreshes them, as a walk past the hour would.
    monkeypatch.setattr(live, "ASSUME_DURATION", 900)
    research = estate["members"][0]
    before = len(proxy.operations("sts"))
    faults = Faults()
    raw = _collect(proxy.url, faults, org=True, regions=("eu-west-1",))
    assume = [op for op in proxy.operations("sts")[before:] if op == "AssumeRole"]
    assert len(assume) > 2 * len(estate["members"])
    resources = _resources(_items(raw))
    assert f"arn:aws:sqs:eu-west-1:{research}:member-jobs" in resources
    assert not [g for g in raw if isinstance(g, Gap) and g.reason != "access-denied"]


# --- failures: a token that expires mid-run, Ctrl-C ---------------------------------------------------

def test_a_token_expiring_mid_run_marks_the_saved_inventory(proxy: Proxy, estate: dict[str, Any], tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)

    def expire(seen: Seen) -> Any:
        if seen.service == "sqs":
            return aws_error(403, "ExpiredToken", "The security token included in the request is expired")
        return None

    proxy.fault = expire
    saved = tmp_path / "estate.jsonl.gz"
    try:
        r = runner.invoke(app, ["run", "--provider", "aws", "--regions", "eu-west-1", "--export-inventory", str(saved),
                                "-f", "json"])
    finally:
        proxy.fault = None
    assert r.exit_code == 2 and "expired" in r.stderr and r.stderr.strip().count("\n") == 0, r.stderr
    lines = [json.loads(x) for x in gzip.decompress(saved.read_bytes()).splitlines()]
    assert lines[-1]["end"]["complete"] is False and "ExpiredToken" in lines[-1]["end"]["reason"]
    strict = runner.invoke(app, ["run", "-i", str(saved), "--strict", "-f", "json"])
    assert strict.exit_code == 3 and "incomplete" in strict.stderr


def _session_processes(sid: int) -> list[int]:
    """Processes still alive in session ``sid`` (zombies excluded)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[3]) == sid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
def test_ctrl_c_stops_within_5_seconds_and_leaves_no_worker(proxy: Proxy, estate: dict[str, Any],
                                                            tmp_path: Path) -> None:
    saved = tmp_path / "estate.jsonl.gz"
    proxy.delay = 0.2  # a slow endpoint: the collection would take minutes
    env = {**os.environ, "AWS_ENDPOINT_URL": proxy.url}
    before = len(proxy.seen)
    proc = subprocess.Popen([sys.executable, "-m", "scanner.cli", "run", "--provider", "aws", "--org-accounts",
                             "--regions", ",".join(REGIONS), "--export-inventory", str(saved), "-f", "json"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(proxy.seen) - before < 150 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = [pid for pid in _session_processes(proc.pid) if pid != proc.pid]
        assert workers, "the collection should have started worker processes"
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        elapsed = time.monotonic() - start
    finally:
        proxy.delay = 0.0
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert elapsed < 5, f"took {elapsed:.1f} s to stop"
    text = err.decode()
    assert text.count("\n") == 1 and "interrupted" in text and "complete: false" in text, text
    time.sleep(0.5)
    assert _session_processes(proc.pid) == []  # no worker process outlives the command
    trailer = json.loads(gzip.decompress(saved.read_bytes()).splitlines()[-1])["end"]
    assert trailer["complete"] is False and trailer["reason"].startswith("interrupted (Ctrl-C)")
    print(f"Ctrl-C to exit: {elapsed:.2f} s, {len(workers)} worker processes, {trailer['records']} records saved")


# --- AWS Config advanced query -------------------------------------------------------------------------

def test_via_config_reads_select_results(proxy: Proxy, estate: dict[str, Any]) -> None:
    results = json.loads((FIXTURES / "select_results.json").read_text())

    def answer(seen: Seen) -> Any:
        if seen.operation == "SelectResourceConfig":
            body = json.dumps({"Results": [json.dumps(r) for r in results], "QueryInfo": {}}).encode()
            return 200, {"Content-Type": "application/x-amz-json-1.1"}, body
        return None

    proxy.fault = answer
    try:
        raw = _collect(proxy.url, Faults(), via="config", regions=())
    finally:
        proxy.fault = None
    assert {x.kind for x in raw} == {"aws-config-select-result"}
    items = _items(raw)
    assert {(r.id, r.region) for r in items if isinstance(r, Resource)} == {
        ("arn:aws:s3:::excare-phi-records-euc1", "eu-central-1"),
        ("arn:aws:rds:eu-west-3:111122223333:db:records", "eu-west-3"),
    }
    assert {(f.source, f.target, f.kind) for f in items if isinstance(f, Flow)} == {
        ("arn:aws:s3:::excare-phi-records-euc1", "arn:aws:s3:::excare-phi-records-dr-use1", FlowKind.REPLICATION)}


# --- credentials ------------------------------------------------------------------------------------------

def test_missing_credentials_is_one_clear_error(proxy: Proxy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(CredentialsError) as err:
        list(collector("aws")(_options(proxy.url)))
    assert "\n" not in str(err.value) and "--profile" in str(err.value)


def test_expired_credentials_is_one_clear_error(proxy: Proxy) -> None:
    class Expired(Faults):
        def install(self, recipe: Any, stop: Any = None, credentials: Any = None) -> Any:
            session = _make_session(recipe, stop, credentials)

            def expire(model: Any, **_: Any) -> None:
                raise ClientError({"Error": {"Code": "ExpiredToken", "Message": "expired"}}, model.name)

            session.events.register("before-parameter-build.sts.GetCallerIdentity", expire)
            return session

    with pytest.raises(CredentialsError, match=r"expired or invalid \(ExpiredToken\)"):
        _collect(proxy.url, Expired())


def test_a_refused_profile_role_is_not_called_missing_credentials(proxy: Proxy, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config"
    config.write_text(f"[profile member]\nrole_arn = arn:aws:iam::{MGMT}:role/nope\nsource_profile = base\n"
                      f"endpoint_url = {proxy.url}\n[profile base]\nregion = eu-west-1\n")
    creds = tmp_path / "credentials"
    creds.write_text(f"[base]\naws_access_key_id = {ENV['AWS_ACCESS_KEY_ID']}\naws_secret_access_key = x\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))

    def refuse(seen: Seen) -> Any:
        if seen.operation == "AssumeRole":
            return 403, {"Content-Type": "text/xml"}, (
                b"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not trusted"
                b"</Message></Error></ErrorResponse>")
        return None

    proxy.fault = refuse
    try:
        with pytest.raises(CredentialsError) as err:
            list(collector("aws")(_options(None, profile="member")))
    finally:
        proxy.fault = None
    text = str(err.value)
    assert "role of profile member could not be assumed (AccessDenied" in text and "trust policy" in text
    assert "missing" not in text
