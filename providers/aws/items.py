"""Shared pieces of the AWS service collectors: the scope of a call, configuration items, paging.

``item()`` builds one AWS Config-shaped configuration item (``resourceType``, ``ARN``,
``awsAccountId``, ``awsRegion``, ``resourceId``, ``resourceName``, ``tags`` map,
``configuration``, ``supplementaryConfiguration``, ``configurationItemStatus``), so that the
offline transform ``providers.aws.normalize.transform_config_item`` reads it unchanged.
``configuration`` is the API's own description of the resource (boto3 spelling: the Config
transform matches field names case-insensitively), with timestamps as ISO strings and
secret-bearing fields dropped at once (``SENSITIVE_KEYS``); ``providers.aws.fields`` then keeps only
what the analysis reads.
"""


from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from providers.common import normalize_tags

#: Fields that may hold secrets or data and are never kept in a raw record: Lambda / SageMaker /
#: Glue environment variables and job arguments, EC2 user data, SQS/SNS policies are kept out too
#: because they are large and say nothing about location or keys.
SENSITIVE_KEYS = frozenset({
    "Environment", "Variables", "DefaultArguments", "NonOverridableArguments", "UserData",
    "ConnectionProperties", "ResponseMetadata", "CustomHeaders", "Parameters", "Outputs",
    "Configurations", "MasterUserPassword", "AuthToken",
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
    #: ARN → tags, from the region's ``tag:GetResources`` index (None: not tagged, or not readable).
    tags: Callable[[str], dict[str, str] | None] = lambda arn: None


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
    """One configuration item in the S3-delivery spelling (``ARN``, ``awsAccountId``).

    Without ``tags``, the tags of ``arn`` in the region's tag index are used.
    """
    if tags is None and arn:
        tags = scope.tags(arn)
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


def token_pages(call: Callable[..., Any], key: str, token: str = "NextToken", out_token: str | None = None,
                **params: Any) -> Iterator[Any]:
    """Every element of ``key`` for APIs botocore has no paginator for (a ``NextToken`` loop)."""
    request: dict[str, Any] = dict(params)
    while True:
        page = call(**request)
        yield from page.get(key) or ()
        marker = page.get(out_token or token)
        if not marker:
            return
        request[token] = marker


def optional(call: Callable[..., Any], *absent: str, **params: Any) -> Any:
    """``call(**params)``, or None when the error code says the thing is simply not configured."""
    try:
        return call(**params)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in absent:
            return None
        raise


def arn_of(scope: Scope, service: str, resource: str, region: str | None = None) -> str:
    return f"arn:{scope.partition}:{service}:{scope.region if region is None else region}:{scope.account}:{resource}"


