"""The read-only guard of AWS live collection, inside botocore's request pipeline.

Every boto3 session the collector creates gets ``install_guard`` before any client exists (a
client copies its session's event handlers when it is created). The handler runs on
``before-parameter-build``, the first event of every API call, before parameters are validated,
signed or sent, so an operation that is not allowed never leaves the process: it raises
``ReadOnlyViolation``. Paginators, waiters and botocore's own endpoint discovery go through the same
client methods, so they are guarded too
(https://boto3.amazonaws.com/v1/documentation/api/latest/guide/events.html, checked 2026-11-30).

Allowed is an exact list: the ``(service, operation)`` pairs the collectors declare
(:func:`providers.aws.services.all_operations`), the same list the least-privilege IAM policy of
``docs/permissions/aws-readonly-policy.json`` is built from. Nothing is admitted because its name
starts with a read verb: "reads" such as ``cognito-identity:GetId`` (creates an identity),
``iot:DescribeEndpoint`` (creates one on first call), ``lightsail:GetInstanceAccessDetails``
(creates SSH keys) or ``lambda:GetFunction`` (returns the code location and environment) are
refused like any write. The one non-read allowed is ``sts:AssumeRole``, used by
``--org-accounts`` to enter member accounts with the read-only role; it grants nothing the role
does not already allow.

``iam_action`` maps an allowed operation to the IAM action that authorises it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from providers.base import CollectionError


class ReadOnlyViolation(CollectionError):
    """An operation that is not on the allowlist was about to be sent, and was refused."""


@cache
def allowed_operations() -> frozenset[tuple[str, str]]:
    """``(boto3 service name, operation)`` pairs the collector may call."""
    from providers.aws.services import all_operations

    return all_operations()


def is_allowed(service: str, operation: str) -> bool:
    """True when ``service:operation`` is one of the calls the collector makes."""
    return (service, operation) in allowed_operations()


def _refuse_others(model: Any = None, event_name: str = "", **_: Any) -> None:
    """``before-parameter-build`` handler: raise before a request that is not allowed is built."""
    operation = getattr(model, "name", None) or event_name.rsplit(".", 1)[-1]
    service_model = getattr(model, "service_model", None)
    service = getattr(service_model, "service_name", None) or event_name.split(".")[1:2][0]
    if not is_allowed(service, operation):
        raise ReadOnlyViolation(
            f"read-only guard: refused {service}:{operation}; sovscan only calls the read operations it "
            "declares (docs/permissions/aws.md)")


def install_guard(session: Any) -> None:
    """Register the guard on a boto3 ``Session`` before any client of it is created."""
    session.events.register("before-parameter-build", _refuse_others, unique_id="sovscan-read-only-guard")


#: IAM service prefixes that differ from the boto3 client name (Service Authorization Reference,
#: https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html,
#: the page of each service; checked 2026-12-04).
IAM_PREFIXES = {
    "bedrock-agent": "bedrock", "cloudwatch": "cloudwatch", "efs": "elasticfilesystem", "elb": "elasticloadbalancing",
    "elbv2": "elasticloadbalancing", "emr": "elasticmapreduce", "opensearch": "es",
    "resourcegroupstaggingapi": "tag", "sesv2": "ses", "stepfunctions": "states",
}
#: Operations whose IAM action has another name (same reference, list_amazons3.html).
IAM_ACTION_NAMES: dict[tuple[str, str], str] = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetBucketReplication"): "s3:GetReplicationConfiguration",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    # API Gateway's management API is authorised by HTTP method: every read is apigateway:GET
    # (https://docs.aws.amazon.com/apigateway/latest/developerguide/permissions.html).
    ("apigateway", "GetRestApis"): "apigateway:GET",
    ("apigatewayv2", "GetApis"): "apigateway:GET",
}


def iam_action(service: str, operation: str) -> str:
    """The IAM action authorising a call of boto3 service ``service``."""
    return IAM_ACTION_NAMES.get((service, operation), f"{IAM_PREFIXES.get(service, service)}:{operation}")


def policy_actions() -> list[str]:
    """The IAM actions of every allowed call except ``sts:AssumeRole`` (which has its own statement), sorted."""
    calls = allowed_operations() - {("sts", "AssumeRole")}
    return sorted({iam_action(service, op) for service, op in calls})


def policy_document(role_name: str = "SovscanReadOnly") -> dict[str, object]:
    """The least-privilege policy of ``docs/permissions/aws-readonly-policy.json``, from the allowlist."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "SovscanReadMetadata", "Effect": "Allow", "Action": policy_actions(), "Resource": "*"},
            {"Sid": "SovscanEnterMemberAccounts", "Effect": "Allow", "Action": ["sts:AssumeRole"],
             "Resource": f"arn:aws:iam::*:role/{role_name}"},
        ],
    }
