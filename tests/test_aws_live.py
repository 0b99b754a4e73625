"""AWS live collection against moto in server mode, with real boto3 clients over HTTP.

One moto server per module holds a small organisation: a management account and three members
over three regions, with S3 cross-region replication, a KMS key, an RDS instance with a
cross-region read replica, DynamoDB, Lambda, SQS, SNS, CloudTrail and a cross-account IAM trust.
Faults are injected through botocore's own event system on the sessions the collector creates:
throttling (retried by the adaptive retry mode), access denied in one region for one service, and
a member account whose role cannot be assumed.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from providers.aws import guard, live, services
from providers.aws.files import RAW_TRANSFORMS
from providers.base import CredentialsError
from providers.live import LiveOptions, RawRecord, collector, raw_transforms
from scanner.model import Account, Flow, FlowKind, Gap, KeyControl, Resource

REGIONS = ("eu-central-1", "eu-west-1", "us-east-1")
MGMT = "123456789012"  # moto's default account
POLICY = Path(__file__).resolve().parents[1] / "docs" / "permissions" / "aws-readonly-policy.json"
FIXTURES = Path(__file__).parent / "fixtures" / "aws_live"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    env = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "test-secret",
           "AWS_DEFAULT_REGION": "eu-west-1", "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE":
           "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true"}
    saved = {k: os.environ.get(k) for k in [*env, "AWS_SESSION_TOKEN", "AWS_PROFILE"]}
    os.environ.update(env)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
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


@pytest.fixture(scope="module")
def estate(endpoint: str) -> dict[str, Any]:
    """Build the organisation; return the ids the tests expect."""
    url = endpoint
    org = _client(url, "organizations", "us-east-1")
    org.create_organization(FeatureSet="ALL")
    members = []
    for name in ("research", "clinic", "legacy"):
        status = org.create_account(AccountName=name, Email=f"{name}@example.org")["CreateAccountStatus"]
        members.append(status["AccountId"])

    # Management account.
    kms = _client(url, "kms", "eu-central-1")
    key = kms.create_key(Description="records")["KeyMetadata"]
    s3 = _client(url, "s3", "eu-central-1")
    _bucket(url, "acme-records", "eu-central-1")
    _bucket(url, "acme-records-dr", "us-east-1")
    _bucket(url, "acme-trail", "eu-west-1")
    s3.put_bucket_encryption(Bucket="acme-records", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}}]})
    s3.put_bucket_tagging(Bucket="acme-records", Tagging={"TagSet": [{"Key": "DataClassification",
                                                                     "Value": "health"}]})
    s3.put_bucket_replication(Bucket="acme-records", ReplicationConfiguration={
        "Role": f"arn:aws:iam::{MGMT}:role/replication",
        "Rules": [{"ID": "dr", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
                   "DeleteMarkerReplication": {"Status": "Disabled"},
                   "Destination": {"Bucket": "arn:aws:s3:::acme-records-dr"}}]})
    iam = _client(url, "iam", "us-east-1")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    rds_c = _client(url, "rds", "eu-central-1")
    rds_c.create_db_instance(DBInstanceIdentifier="patients", DBInstanceClass="db.t3.micro", Engine="postgres",
                             AllocatedStorage=50, MasterUsername="admin", MasterUserPassword="not-a-secret-1",
                             StorageEncrypted=True, KmsKeyId=key["Arn"])
    source_arn = f"arn:aws:rds:eu-central-1:{MGMT}:db:patients"
    _client(url, "rds", "eu-west-1").create_db_instance_read_replica(
        DBInstanceIdentifier="patients-replica", SourceDBInstanceIdentifier=source_arn,
        DBInstanceClass="db.t3.micro")
    ddb = _client(url, "dynamodb", "eu-west-1")
    ddb.create_table(TableName="sessions", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    _client(url, "dynamodb", "us-east-1").create_table(
        TableName="audit", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    _client(url, "lambda", "eu-west-1").create_function(
        FunctionName="ingest", Runtime="python3.12", Role=role["Arn"], Handler="app.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18}, Environment={"Variables": {"DB_PASSWORD": "hunter2"}})
    queue_url = _client(url, "sqs", "eu-west-1").create_queue(QueueName="jobs")["QueueUrl"]
    topic = _client(url, "sns", "us-east-1").create_topic(Name="alerts")["TopicArn"]
    _client(url, "cloudtrail", "eu-west-1").create_trail(Name="org-trail", S3BucketName="acme-trail",
                                                       IsMultiRegionTrail=True)

    # Members: research and clinic are collected; legacy's role cannot be assumed (injected).
    sts = _client(url, "sts", "us-east-1")
    member_buckets = {}
    for account, region in zip(members[:2], ("eu-west-1", "eu-central-1"), strict=True):
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                                RoleSessionName="setup")["Credentials"]
        name = f"data-{account}"
        _bucket(url, name, region, creds)
        member_buckets[account] = (name, region)
        _client(url, "sqs", region, creds).create_queue(QueueName="member-jobs")
    return {"members": members, "key": key, "queue_url": queue_url, "topic": topic,
            "member_buckets": member_buckets}


# --- fault injection through botocore's event system ---------------------------------------------

class _Body:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


class Faults:
    """Handlers the tests add to every session the collector creates (after the guard)."""

    def __init__(self, throttle: int = 0, deny: tuple[str, str] | None = None, deny_role: str | None = None) -> None:
        self.throttle_left = throttle
        self.throttled = 0
        self.deny = deny  # (region, service) denied for the management account
        self.deny_role = deny_role  # a member account whose role cannot be assumed
        self.calls: list[tuple[str, str]] = []

    def install(self, session: Any) -> Any:
        live_prepare(session)
        mgmt = session.get_credentials().access_key == os.environ["AWS_ACCESS_KEY_ID"]
        session.events.register("before-call", self._record)
        session.events.register("before-send.dynamodb.ListTables", self._throttle)
        if mgmt and self.deny:
            session.events.register("before-parameter-build", self._deny)
        if self.deny_role:
            session.events.register("before-parameter-build.sts.AssumeRole", self._deny_role)
        return session

    def _record(self, model: Any, **_: Any) -> None:
        self.calls.append((model.service_model.signing_name, model.name))

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


live_prepare = live.prepare_session


def _collect(endpoint: str, faults: Faults, **options: Any) -> list[Any]:
    opts = LiveOptions(provider="aws", regions=REGIONS, endpoints={"aws": endpoint}, max_workers=8, **options)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(live, "prepare_session", faults.install)
        return list(collector("aws")(opts))


def _items(raw: list[Any]) -> list[Any]:
    """Raw records through the shared transforms; Account and Gap items as they came."""
    out: list[Any] = [x for x in raw if not isinstance(x, RawRecord)]
    by_kind: dict[str, list[Any]] = {}
    for x in raw:
        if isinstance(x, RawRecord):
            by_kind.setdefault(x.kind, []).append(x.record)
    for kind, records in by_kind.items():
        out.extend(raw_transforms()[kind](records, "live"))
    return out


@pytest.fixture(scope="module")
def org_run(endpoint: str, estate: dict[str, Any]) -> tuple[Faults, list[Any]]:
    faults = Faults(throttle=2, deny=("us-east-1", "dynamodb"), deny_role=estate["members"][2])
    return faults, _collect(endpoint, faults, org=True)


def _resources(items: list[Any]) -> dict[str, Resource]:
    return {r.id: r for r in items if isinstance(r, Resource)}


def test_org_inventory_has_every_account_region_and_resource(org_run: tuple[Faults, list[Any]],
                                                             estate: dict[str, Any]) -> None:
    _, raw = org_run
    resources = _resources(_items(raw))
    research, clinic, _legacy = estate["members"]
    key = estate["key"]["Arn"]
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
        (f"arn:aws:s3:::data-{research}", "AWS::S3::Bucket", "eu-west-1", research),
        (f"arn:aws:sqs:eu-west-1:{research}:member-jobs", "AWS::SQS::Queue", "eu-west-1", research),
        (f"arn:aws:s3:::data-{clinic}", "AWS::S3::Bucket", "eu-central-1", clinic),
        (f"arn:aws:sqs:eu-central-1:{clinic}:member-jobs", "AWS::SQS::Queue", "eu-central-1", clinic),
    }
    # moto also gives every member the role the organisation created it with, and every account
    # and region Athena's "primary" work group: real resources, collected like any other.
    for member in (research, clinic):
        expected.add((f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", "AWS::IAM::Role", "global",
                      member))
    for account in (MGMT, research, clinic):
        for region in REGIONS:
            expected.add((f"arn:aws:athena:{region}:{account}:workgroup/primary", "AWS::Athena::WorkGroup",
                          region, account))
    # us-east-1 DynamoDB of the management account is denied: its "audit" table must be missing.
    assert {(r.id, r.native_type, r.region, r.account) for r in resources.values()} == expected


def test_relations_replication_replicas_logs_and_trust(org_run: tuple[Faults, list[Any]],
                                                       estate: dict[str, Any]) -> None:
    _, raw = org_run
    flows = {(f.source, f.target, f.kind, f.target_region) for f in _items(raw) if isinstance(f, Flow)}
    research, clinic, _ = estate["members"]
    source = f"arn:aws:rds:eu-central-1:{MGMT}:db:patients"
    replica = f"arn:aws:rds:eu-west-1:{MGMT}:db:patients-replica"
    assert flows == {
        ("arn:aws:s3:::acme-records", "arn:aws:s3:::acme-records-dr", FlowKind.REPLICATION, None),
        (source, replica, FlowKind.REPLICA, "eu-west-1"),  # from both ends; merged downstream
        (f"arn:aws:cloudtrail:eu-west-1:{MGMT}:trail/org-trail", "arn:aws:s3:::acme-trail", FlowKind.LOGS, None),
        (f"arn:aws:iam::{MGMT}:role/app", "arn:aws:iam::999988887777:root", FlowKind.TRUST, "global"),
        (f"arn:aws:iam::{research}:role/OrganizationAccountAccessRole", f"arn:aws:iam::{MGMT}:root",
         FlowKind.TRUST, "global"),
        (f"arn:aws:iam::{clinic}:role/OrganizationAccountAccessRole", f"arn:aws:iam::{MGMT}:root",
         FlowKind.TRUST, "global"),
    }


def test_keys_tags_and_sizes(org_run: tuple[Faults, list[Any]], estate: dict[str, Any]) -> None:
    _, raw = org_run
    resources = _resources(_items(raw))
    key = estate["key"]["Arn"]
    bucket = resources["arn:aws:s3:::acme-records"]
    assert (bucket.key.control, bucket.key.key_id) == (KeyControl.CUSTOMER, key)  # type: ignore[union-attr]
    assert bucket.tags == {"DataClassification": "health"}
    assert resources[key].attributes["key_control"] == KeyControl.CUSTOMER.value
    db = resources[f"arn:aws:rds:eu-central-1:{MGMT}:db:patients"]
    assert (db.size_gb, db.key.key_id, db.attributes["engine"]) == (50.0, key, "postgres")  # type: ignore[union-attr]


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
    # The first two ListTables calls answered ThrottlingException; the adaptive retry mode retried
    # them and no DynamoDB table (other than the denied region's) is missing, no gap says throttled.
    assert faults.throttled == 2
    assert f"arn:aws:dynamodb:eu-west-1:{MGMT}:table/sessions" in resources
    assert not [g for g in raw if isinstance(g, Gap) and g.reason == "throttled"]


def test_secrets_and_environment_are_never_collected(org_run: tuple[Faults, list[Any]]) -> None:
    _, raw = org_run
    dump = json.dumps([r.record for r in raw if isinstance(r, RawRecord)])  # also proves JSON-ready records
    assert "hunter2" not in dump and "DB_PASSWORD" not in dump and "not-a-secret-1" not in dump


def test_raw_records_reread_identically(org_run: tuple[Faults, list[Any]]) -> None:
    _, raw = org_run
    records = [r for r in raw if isinstance(r, RawRecord)]
    assert {r.kind for r in records} == {"aws-config-item"}
    direct = list(RAW_TRANSFORMS["aws-config-item"]((r.record for r in records), "live"))
    reread = list(RAW_TRANSFORMS["aws-config-item"]((json.loads(json.dumps(r.record)) for r in records), "live"))
    assert direct == reread and len(direct) > 30


# --- permissions -----------------------------------------------------------------------------------

def _policy_actions() -> list[str]:
    policy = json.loads(POLICY.read_text())
    actions: list[str] = []
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        actions.extend([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    return actions


def _allowed_by_policy(action: str, actions: list[str]) -> bool:
    # IAM action names are case-insensitive and accept * and ? wildcards.
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in actions)


def _declared_actions() -> set[str]:
    import botocore.session

    models = botocore.session.get_session()
    declared: set[str] = set()
    pairs = [(c, spec.operations) for spec in (*services.GLOBAL_SERVICES, *services.REGIONAL_SERVICES)
             for c in spec.clients] + list(services.FRAME_OPERATIONS.items())
    for client, operations in pairs:
        model = models.get_service_model(client)
        for op in operations:
            assert op in model.operation_names, f"{client}:{op} is not an operation of the API"
            declared.add(guard.iam_action(model.signing_name, op))
    return declared


def test_policy_allows_every_call_the_collector_made(org_run: tuple[Faults, list[Any]]) -> None:
    faults, _ = org_run
    actions = _policy_actions()
    called = {guard.iam_action(service, op) for service, op in faults.calls}
    assert len(called) > 40
    assert {a for a in called if not _allowed_by_policy(a, actions)} == set()
    # ...and every call made is one the collectors declare (the policy is built from those lists).
    assert called <= _declared_actions()


def test_policy_lists_exactly_the_declared_reads() -> None:
    actions = _policy_actions()
    assert set(actions) == _declared_actions()
    assert all(guard.is_allowed(a.split(":")[0], a.split(":")[1]) or a in {
        "s3:GetReplicationConfiguration", "s3:GetEncryptionConfiguration", "s3:ListAllMyBuckets"}
        for a in actions)


# --- read-only guard ----------------------------------------------------------------------------------

def test_guard_refuses_writes_before_any_request_leaves(endpoint: str) -> None:
    session = live.prepare_session(boto3.Session(region_name="eu-west-1"))
    sent: list[str] = []
    session.events.register("before-send", lambda request, **_: sent.append(request.url))
    s3 = session.client("s3", endpoint_url=endpoint)
    ec2 = session.client("ec2", endpoint_url=endpoint)
    secrets = session.client("secretsmanager", endpoint_url=endpoint)
    with pytest.raises(guard.ReadOnlyViolation, match=r"refused s3:PutObject"):
        s3.put_object(Bucket="acme-records", Key="x", Body=b"data")
    with pytest.raises(guard.ReadOnlyViolation, match=r"refused ec2:RunInstances"):
        ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)
    with pytest.raises(guard.ReadOnlyViolation, match=r"refused secretsmanager:GetSecretValue"):
        secrets.get_secret_value(SecretId="db")
    with pytest.raises(guard.ReadOnlyViolation, match=r"refused s3:GetObject"):
        s3.get_object(Bucket="acme-records", Key="x")
    assert sent == []
    s3.list_buckets()  # a read goes through
    assert len(sent) == 1


@pytest.mark.parametrize(("service", "operation", "allowed"), [
    ("s3", "ListBuckets", True), ("rds", "DescribeDBInstances", True), ("config", "SelectAggregateResourceConfig",
                                                                          True),
    ("dynamodb", "BatchGetItem", False), ("sts", "AssumeRole", True), ("sts", "GetSessionToken", False),
    ("s3", "DeleteBucket", False), ("iam", "CreateUser", False), ("kms", "Decrypt", False),
    ("dynamodb", "Scan", False), ("cloudtrail", "LookupEvents", True),
])
def test_guard_rule(service: str, operation: str, allowed: bool) -> None:
    assert guard.is_allowed(service, operation) is allowed


# --- credentials and error mapping ------------------------------------------------------------------

def test_missing_credentials_is_one_clear_error(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(CredentialsError) as err:
        list(collector("aws")(LiveOptions(provider="aws", regions=REGIONS, endpoints={"aws": endpoint})))
    assert "\n" not in str(err.value) and "--profile" in str(err.value)


def test_expired_credentials_is_one_clear_error(endpoint: str) -> None:
    class Expired(Faults):
        def install(self, session: Any) -> Any:
            live_prepare(session)

            def expire(model: Any, **_: Any) -> None:
                raise ClientError({"Error": {"Code": "ExpiredToken", "Message": "expired"}}, model.name)

            session.events.register("before-parameter-build.sts.GetCallerIdentity", expire)
            return session

    with pytest.raises(CredentialsError, match=r"expired or invalid \(ExpiredToken\)"):
        _collect(endpoint, Expired())


@pytest.mark.parametrize(("code", "reason"), [
    ("AccessDenied", "access-denied"), ("UnauthorizedOperation", "access-denied"),
    ("OptInRequired", "api-disabled"), ("UnrecognizedClientException", "api-disabled"),
    ("ThrottlingException", "throttled"), ("RequestLimitExceeded", "throttled"), ("SlowDown", "throttled"),
    ("InternalFailure", "error"),
])
def test_error_codes_map_to_gap_reasons(code: str, reason: str) -> None:
    exc = ClientError({"Error": {"Code": code, "Message": "m"}}, "ListThings")
    gap = live._scope_gap(exc, "111122223333", "eu-west-3", "kinesis")
    where = "account 111122223333, region eu-west-3, service kinesis"
    assert (gap.reason, gap.message.split(":")[0]) == (reason, where)


def test_enabled_regions_from_describe_regions(endpoint: str) -> None:
    opts = LiveOptions(provider="aws", endpoints={"aws": endpoint})
    ctx = live.AccountContext(MGMT, live.prepare_session(boto3.Session()), opts, live.client_config(opts))
    regions = live.enabled_regions(ctx, "eu-west-1")
    assert set(REGIONS) <= set(regions) and regions == sorted(regions)


# --- AWS Config advanced query ------------------------------------------------------------------------

def test_via_config_reads_select_results(endpoint: str, estate: dict[str, Any]) -> None:
    from moto.config.models import config_backends

    results = json.loads((FIXTURES / "select_results.json").read_text())
    config_backends[MGMT]["eu-west-1"].query_results_queue.append([json.dumps(r) for r in results])
    raw = _collect(endpoint, Faults(), via="config")
    assert {x.kind for x in raw} == {"aws-config-select-result"}
    items = _items(raw)
    assert {(r.id, r.region) for r in items if isinstance(r, Resource)} == {
        ("arn:aws:s3:::excare-phi-records-euc1", "eu-central-1"),
        ("arn:aws:rds:eu-west-3:111122223333:db:records", "eu-west-3"),
    }
    assert {(f.source, f.target, f.kind) for f in items if isinstance(f, Flow)} == {
        ("arn:aws:s3:::excare-phi-records-euc1", "arn:aws:s3:::excare-phi-records-dr-use1", FlowKind.REPLICATION)}


def test_worker_processes_collect_the_same_records(endpoint: str, estate: dict[str, Any]) -> None:
    """Regions sharded over worker processes (each with its own guarded session) give what threads give."""
    def run(processes: int) -> list[str]:
        opts = LiveOptions(provider="aws", regions=REGIONS, endpoints={"aws": endpoint}, max_workers=8,
                           org=True, processes=processes)
        out = []
        for x in collector("aws")(opts):
            if isinstance(x, RawRecord):
                # identity of each record (moto stamps some configurations with the time of the call)
                rec = x.record
                out.append(f"{rec.get('resourceType')} {rec.get('ARN') or rec.get('resourceId')} "
                           f"{rec.get('awsRegion')} {rec.get('awsAccountId')} {sorted(rec.get('tags') or {})}")
            else:
                out.append(repr(x))
        return sorted(out)

    threaded = run(1)
    assert threaded and run(2) == threaded
    assert live.process_count(LiveOptions(provider="aws", max_workers=8), 10) == 1
    assert live.process_count(LiveOptions(provider="aws", max_workers=1), 1000) == 1
