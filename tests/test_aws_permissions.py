"""The AWS read-only guard, the permission files, and the types the collector covers (no network).

The guard is an exact allowlist (the calls the collectors declare); every "read" that would create
something or return a secret, as found by a run over all botocore operations, is refused before a
request is even built. The IAM policy, the CloudFormation StackSet template and the Terraform role
of ``docs/permissions`` are generated from the same list and must match it; cfn-lint (whose IAM
data is independent of sovscan) checks that every action exists. The types the collectors emit are
compared with the knowledge base's AWS service types, with the deliberate exceptions listed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from providers.aws import guard, live, services
from scanner.config import load_config
from scripts import aws_permissions

ROOT = Path(__file__).resolve().parents[1]



# --- the guard -------------------------------------------------------------------------------------

#: Operations found to pass a verb-prefix guard although they create something or return secrets
#: or contents: (boto3 service, method, parameters).
BYPASSES = [
    ("cognito-identity", "get_id", {"IdentityPoolId": "eu-west-1:00000000-0000-0000-0000-000000000000"}),
    ("iot", "describe_endpoint", {}),
    ("sagemaker", "get_scaling_configuration_recommendation", {"InferenceRecommendationsJobName": "j"}),
    ("lightsail", "get_instance_access_details", {"instanceName": "i"}),
    ("cognito-idp", "describe_user_pool_client", {"UserPoolId": "eu-west-1_x", "ClientId": "c"}),
    ("lambda", "get_function", {"FunctionName": "f"}),
    ("lambda", "get_function_configuration", {"FunctionName": "f"}),
    ("ecs", "describe_task_definition", {"taskDefinition": "api"}),
    ("apigateway", "get_api_keys", {"includeValues": True}),
    ("apigateway", "get_api_key", {"apiKey": "k", "includeValue": True}),
    ("ec2", "describe_instance_attribute", {"InstanceId": "i-1", "Attribute": "userData"}),
    ("glue", "get_job", {"JobName": "j"}),
    ("glue", "get_jobs", {}),
    ("s3", "list_objects_v2", {"Bucket": "b"}),
    ("s3", "get_object", {"Bucket": "b", "Key": "k"}),
    ("secretsmanager", "get_secret_value", {"SecretId": "s"}),
    ("ssm", "get_parameter", {"Name": "p", "WithDecryption": True}),
    ("dynamodb", "scan", {"TableName": "t"}),
    ("kms", "decrypt", {"CiphertextBlob": b"x"}),
    ("sts", "get_session_token", {}),
    ("s3", "put_object", {"Bucket": "b", "Key": "k", "Body": b"x"}),
    ("ec2", "run_instances", {"ImageId": "ami-12345678", "MinCount": 1, "MaxCount": 1}),
]


@pytest.mark.parametrize(("service", "method", "params"), BYPASSES, ids=[f"{s}:{m}" for s, m, _ in BYPASSES])
def test_each_bypass_is_refused_before_a_request_leaves(service: str, method: str, params: dict[str, Any]) -> None:
    session = live.prepare_session(boto3.Session(aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                                                 aws_secret_access_key="x", region_name="eu-west-1"))
    sent: list[str] = []
    session.events.register("before-send", lambda request, **_: sent.append(request.url))
    client = session.client(service, endpoint_url="http://127.0.0.1:9")
    with pytest.raises(guard.ReadOnlyViolation, match=rf"refused {service}:"):
        getattr(client, method)(**params)
    assert sent == []


def test_an_allowed_call_goes_through() -> None:
    session = live.prepare_session(boto3.Session(aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                                                 aws_secret_access_key="x", region_name="eu-west-1"))
    sent: list[str] = []
    session.events.register("before-send", lambda request, **_: sent.append(request.url))
    with pytest.raises(EndpointConnectionError):  # nothing listens there: it was sent
        session.client("sqs", endpoint_url="http://127.0.0.1:9",
                       config=botocore.config.Config(retries={"total_max_attempts": 1})).list_queues()
    assert sent == ["http://127.0.0.1:9/"]


@pytest.mark.parametrize(("service", "operation", "allowed"), [
    ("s3", "ListBuckets", True), ("rds", "DescribeDBInstances", True), ("sts", "AssumeRole", True),
    ("config", "SelectAggregateResourceConfig", True), ("resourcegroupstaggingapi", "GetResources", True),
    ("secretsmanager", "DescribeSecret", True), ("glue", "ListJobs", True),
    ("glue", "GetJobs", False), ("lambda", "GetFunction", False), ("cloudtrail", "LookupEvents", False),
    ("s3", "ListObjects", False), ("dynamodb", "BatchGetItem", False), ("iam", "CreateUser", False),
    ("s3", "ListBuckets ", False), ("S3", "ListBuckets", False),
])
def test_guard_rule(service: str, operation: str, allowed: bool) -> None:
    assert guard.is_allowed(service, operation) is allowed


def test_the_allowlist_holds_only_operations_that_exist_and_read() -> None:
    models = botocore.session.get_session()
    writes = ("Create", "Delete", "Put", "Update", "Modify", "Start", "Stop", "Run", "Send", "Invoke", "Tag",
              "Untag", "Attach", "Detach", "Enable", "Disable", "Register", "Deregister", "Reset", "Set")
    for service, operation in guard.allowed_operations():
        assert operation in models.get_service_model(service).operation_names, f"{service}:{operation}"
        if (service, operation) != ("sts", "AssumeRole"):
            assert not operation.startswith(writes), f"{service}:{operation}"


def test_every_spec_lists_its_clients_operations() -> None:
    for spec in (*services.GLOBAL_SERVICES, *services.REGIONAL_SERVICES):
        assert spec.types and spec.operations
        if len(spec.clients) > 1:
            assert all(":" in op and op.split(":")[0] in spec.clients for op in spec.operations), spec.name


# --- the permission files -----------------------------------------------------------------------------

def test_permission_files_are_generated_from_the_allowlist() -> None:
    for path, text in aws_permissions.files().items():
        assert path.read_text() == text, f"{path.name} is stale: run python scripts/aws_permissions.py --write"
    policy = json.loads((ROOT / "docs" / "permissions" / "aws-readonly-policy.json").read_text())
    actions = policy["Statement"][0]["Action"]
    assert actions == guard.policy_actions() and "tag:GetResources" in actions and "es:DescribeDomains" in actions
    assert policy["Statement"][1]["Action"] == ["sts:AssumeRole"]


def test_the_role_template_is_valid_cloudformation_with_real_iam_actions() -> None:
    from cfnlint.api import lint_file

    assert lint_file(ROOT / "docs" / "permissions" / "aws-readonly-role.cfn.yaml") == []


# --- the types covered ----------------------------------------------------------------------------------

#: Knowledge-base AWS types the collector does not read, and why (deliberate exceptions).
NOT_COLLECTED = {
    "AWS::Timestream::Database": "its API requires endpoint discovery, which does not honour a profile's "
                                 "endpoint_url (a private endpoint or proxy would be bypassed)",
    "AWS::DocDB::DBCluster": "collected as AWS::RDS::DBCluster with engine docdb (the AWS Config type)",
    "AWS::Neptune::DBCluster": "collected as AWS::RDS::DBCluster with engine neptune (the AWS Config type)",
}


#: Types the collector emits that the knowledge base does not map (reported as unmapped types).
NOT_IN_KB = {
    "AWS::RDS::GlobalCluster": "an Aurora global database: it groups clusters and carries their replica "
                               "flows; its member clusters are the stores",
}


def test_the_collector_covers_the_knowledge_bases_aws_types() -> None:
    kb = load_config(None).knowledge_base()
    kb_types = {svc.type for svc in kb.services.values() if svc.provider == "aws"}
    assert len(kb_types) > 60
    emitted = {t for spec in (*services.GLOBAL_SERVICES, *services.REGIONAL_SERVICES) for t in spec.types}
    # Every type the collector emits is known to the knowledge base (by its type or an alias)…
    assert {t for t in emitted if kb.service("aws", t) is None} == set(NOT_IN_KB)
    # …and every AWS type of the knowledge base that holds data or keys is collected, or listed with
    # its reason. Configuration-only types (routes, gateways, listeners, certificates, configuration
    # sub-resources folded into their bucket) are left out on purpose: they hold no customer data,
    # and what they say about placement is already carried by the resources they configure.
    covered = {svc.type for t in emitted if (svc := kb.service("aws", t)) is not None}
    holding = {t for t in kb_types
               if kb.services[("aws", t)].data_bearing or kb.services[("aws", t)].category == "key-management"}
    assert holding - covered == set(NOT_COLLECTED)


# --- gap messages -----------------------------------------------------------------------------------------

def test_gap_messages_hold_no_html_bodies_or_full_urls() -> None:
    html = ClientError({"Error": {"Code": "502", "Message": "<html><head><title>502 Bad Gateway</title></head>"
                                                            "<body><h1>Bad Gateway</h1></body></html>"}}, "ListQueues")
    gap = live.scope_gap(html, "111122223333", "eu-west-3", "sqs")
    assert "<" not in gap.message and "Bad Gateway" in gap.message
    url = EndpointConnectionError(endpoint_url="https://sqs.eu-west-3.amazonaws.com/?Action=ListQueues&X-Amz-Sig=abc")
    gap = live.scope_gap(url, "111122223333", "eu-west-3", "sqs")
    assert gap.reason == "unreachable" and "https://sqs.eu-west-3.amazonaws.com/…" in gap.message
    assert "X-Amz" not in gap.message and "Action=" not in gap.message


@pytest.mark.parametrize(("code", "reason"), [
    ("AccessDenied", "access-denied"), ("UnauthorizedOperation", "access-denied"),
    ("OptInRequired", "api-disabled"), ("UnrecognizedClientException", "api-disabled"),
    ("ThrottlingException", "throttled"), ("RequestLimitExceeded", "throttled"), ("SlowDown", "throttled"),
    ("InternalFailure", "error"),
])
def test_error_codes_map_to_gap_reasons(code: str, reason: str) -> None:
    exc = ClientError({"Error": {"Code": code, "Message": "m"}}, "ListThings")
    gap = live.scope_gap(exc, "111122223333", "eu-west-3", "kinesis")
    where = "account 111122223333, region eu-west-3, service kinesis"
    assert (gap.reason, gap.message.split(":")[0]) == (reason, where)


def test_process_count() -> None:
    from providers.aws.options import AwsSettings
    from providers.live import LiveOptions

    assert live.process_count(LiveOptions("aws", AwsSettings(), max_workers=8), 10) == 1
    assert live.process_count(LiveOptions("aws", AwsSettings(), max_workers=1), 1000) == 1
    assert live.process_count(LiveOptions("aws", AwsSettings(processes=3), max_workers=8), 10) == 3
