"""The read-only guard of AWS live collection, inside botocore's request pipeline.

Every boto3 session the collector creates gets ``install_guard`` before any client exists (a
client copies its session's event handlers when it is created). The handler runs on
``before-parameter-build``, the first event of every API call, before parameters are validated,
signed or sent, so an operation that is not a read never leaves the process: it raises
``ReadOnlyViolation``. Paginators and waiters go through the same client methods, so they are
guarded too (https://boto3.amazonaws.com/v1/documentation/api/latest/guide/events.html, checked
2026-11-30).

A read is an operation whose name starts with a read verb (``Describe``, ``List``, ``Get``,
``Search``, ``Select``, ``Lookup``, ``BatchGet``), except the reads that return data contents,
secrets or credentials, which sovscan never needs (DESIGN.md, principle 6: metadata only). The one
non-read allowed is ``sts:AssumeRole``, used by ``--org`` to enter member accounts with the
read-only role; it grants nothing the role does not already allow.

``iam_action`` maps an API operation to the IAM action that authorises it (usually the same name
under the service's signing name), for the least-privilege policy in
``docs/permissions/aws-readonly-policy.json``.
"""

from __future__ import annotations

from typing import Any

from providers.base import CollectionError

READ_PREFIXES = ("Describe", "List", "Get", "Search", "Select", "Lookup", "BatchGet")

#: Non-read operations the collector needs, by (service, operation).
EXTRA_ALLOWED = frozenset({("sts", "AssumeRole")})

#: Operations with a read verb that return data contents, secrets or credentials: refused even
#: though they change nothing. Names from each service's API reference (checked 2026-11-30).
CONTENT_READS = frozenset({
    "GetSecretValue", "BatchGetSecretValue",  # Secrets Manager secret values
    "GetObject", "GetObjectTorrent", "SelectObjectContent",  # S3 object contents
    "GetItem", "BatchGetItem",  # DynamoDB items
    "GetRecords", "GetShardIterator",  # Kinesis / DynamoDB Streams records
    "GetLogEvents", "GetLogRecord", "GetQueryResults",  # CloudWatch Logs / Athena results
    "GetAuthorizationToken", "GetDownloadUrlForLayer", "BatchGetImage",  # ECR credentials / images
    "GetSessionToken", "GetFederationToken",  # STS credentials
    "GetPasswordData",  # EC2 Windows password
    "GetClusterCredentials", "GetClusterCredentialsWithIAM",  # Redshift database credentials
    "GetParameter", "GetParameters", "GetParametersByPath", "GetParameterHistory",  # SSM values
    "GetCredentialsForIdentity", "GetOpenIdToken", "GetOpenIdTokenForDeveloperIdentity",  # Cognito
    "GetParametersForImport",  # KMS import token
})


class ReadOnlyViolation(CollectionError):
    """An operation that is not an allowed read was about to be sent, and was refused."""


def is_allowed(service: str, operation: str) -> bool:
    """True when ``service:operation`` is a metadata read (or ``sts:AssumeRole``)."""
    if (service, operation) in EXTRA_ALLOWED:
        return True
    return operation.startswith(READ_PREFIXES) and operation not in CONTENT_READS


def _refuse_writes(model: Any = None, event_name: str = "", **_: Any) -> None:
    """``before-parameter-build`` handler: raise before a non-read request is built."""
    operation = getattr(model, "name", None) or event_name.rsplit(".", 1)[-1]
    service_model = getattr(model, "service_model", None)
    service = getattr(service_model, "service_name", None) or event_name.split(".")[1:2][0]
    if not is_allowed(service, operation):
        raise ReadOnlyViolation(
            f"read-only guard: refused {service}:{operation}; sovscan only calls read operations "
            "(Describe/List/Get/Search/Select/Lookup/BatchGet and sts:AssumeRole)")


def install_guard(session: Any) -> None:
    """Register the guard on a boto3 ``Session`` before any client of it is created."""
    session.events.register("before-parameter-build", _refuse_writes, unique_id="sovscan-read-only-guard")


#: Operations whose IAM action has another name (Service Authorization Reference,
#: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html and the
#: page of each service; checked 2026-11-30).
IAM_ACTION_NAMES: dict[tuple[str, str], str] = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetBucketReplication"): "s3:GetReplicationConfiguration",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
}


def iam_action(signing_name: str, operation: str) -> str:
    """The IAM action authorising an API operation: ``signing_name:Operation`` unless mapped."""
    return IAM_ACTION_NAMES.get((signing_name, operation), f"{signing_name}:{operation}")
