"""Pure transforms from raw AWS records to provider-neutral items.

Each function takes one raw record, as an export file or an API response holds it, and returns
``Resource`` / ``Flow`` / ``Account`` items. Nothing here opens files or calls AWS, so the live
collector and the offline importers (``files.py``) share the same code: get → transform.

Record shapes handled (see ``reference/input-formats.md`` §1):

- AWS Config configuration items, in both spellings: S3/SNS delivery (``ARN``, ``awsAccountId``,
  ``configurationItemVersion``, ``configuration`` as an object) and the API spelling
  (``arn``, ``accountId``, ``version``, ``configuration`` as a JSON string), plus the partial
  items of ``select-resource-config`` (only the selected fields, tags as ``[{key, value}]``).
- ``resourcegroupstaggingapi get-resources`` tag mappings (``ResourceARN`` + ``Tags``).
- Resource Explorer ``Resources[]`` entries (``Arn``, ``ResourceType``, ``Region``, ``Properties``).
- Organizations ``Accounts[]`` entries (the e-mail address is never kept).

Per-type relations (replication, replicas, CDN origins, log sinks, peering, trust, keys, sizes)
live in ``relations.py``.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from providers.aws.relations import EXTRACTORS, Context, Facts, field
from providers.common import aws_region_of, intern, maybe_json, normalize_tags, parse_arn
from scanner.model import Account, Item, Resource

PROVIDER = "aws"

#: Config item statuses that describe a resource which no longer exists or is not recorded.
#: https://docs.aws.amazon.com/config/latest/APIReference/API_ConfigurationItem.html
#: (configurationItemStatus), checked 2026-11-30.
SKIPPED_STATUSES = frozenset({"ResourceDeleted", "ResourceDeletedNotRecorded", "ResourceNotRecorded"})


class RecordError(ValueError):
    """A record inside a readable file that lacks what is needed to identify the resource."""


def _count(derived: Counter[str] | None, what: str) -> None:
    if derived is not None:
        derived[what] += 1


def config_item_status(ci: Mapping[str, Any]) -> str | None:
    """The ``configurationItemStatus`` of a Config item, if it has one (select results do not)."""
    status = ci.get("configurationItemStatus")
    return status if isinstance(status, str) else None


def is_skipped(ci: Mapping[str, Any]) -> bool:
    """True for items of deleted or unrecorded resources, which describe no current resource."""
    return config_item_status(ci) in SKIPPED_STATUSES


def config_tags(value: Any) -> dict[str, str]:
    """Tags of a Config item: a map (deliveries, API) or ``[{key, value, tag}]`` (advanced query).

    The advanced-query schema exposes ``tags.key``, ``tags.value`` and ``tags.tag`` (``"k=v"``);
    an element with only ``tag`` is split on the first ``=``
    (https://github.com/awslabs/aws-config-resource-schema, ``tags.tag``; checked 2026-11-30).
    """
    if type(value) is dict:  # the common case (deliveries, API): no JSON to decode
        return normalize_tags(value)
    if value is None:
        return {}
    value = maybe_json(value)
    if isinstance(value, list):
        tags: dict[str, str] = {}
        for item in value:
            if isinstance(item, dict) and "key" not in item and "Key" not in item:
                tag = item.get("tag")
                if isinstance(tag, str):
                    key, _, val = tag.partition("=")
                    tags[key] = val
                continue
            tags.update(normalize_tags([item]))
        return tags
    return normalize_tags(value)


def _s3_tagging_configuration(supp: Mapping[str, Any]) -> dict[str, str]:
    """Bucket tags from ``supplementaryConfiguration.BucketTaggingConfiguration.tagSets[].tags``."""
    tagging = maybe_json(supp.get("BucketTaggingConfiguration"))
    tags: dict[str, str] = {}
    if isinstance(tagging, dict):
        for tag_set in field(tagging, "tagSets") or ():
            if isinstance(tag_set, dict):
                tags.update(normalize_tags(field(tag_set, "tags")))
    return tags


#: Keys of ``configuration`` that hold the resource's own ARN, lower-cased, as the Config resource
#: schema spells them (https://github.com/awslabs/aws-config-resource-schema, checked 2026-12-04):
#: a query that selects ``configuration`` but not ``arn`` still names the resource through them.
_OWN_ARN_KEYS = ("arn", "dbinstancearn", "dbclusterarn", "dbsnapshotarn", "dbclustersnapshotarn", "snapshotarn",
                 "recoverypointarn", "tablearn", "functionarn", "topicarn", "queuearn", "filesystemarn", "trailarn",
                 "streamarn", "clusterarn", "repositoryarn", "secretarn", "keyarn", "domainarn",
                 "statemachinearn", "loadbalancerarn", "backupvaultarn", "backupplanarn")

#: ARN ``service:resource-type`` → AWS Config resource type, for the types whose items carry the
#: relations read in ``relations.py`` and for snapshots. ARN formats: Service Authorization
#: Reference, "Resource types defined by …" of each service
#: (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html,
#: checked 2026-12-04). Other ARNs keep their Resource Explorer form (``ec2:instance``), which the
#: knowledge base knows as an alias.
ARN_CONFIG_TYPES = {
    "s3:bucket": "AWS::S3::Bucket",
    "rds:db": "AWS::RDS::DBInstance",
    "rds:cluster": "AWS::RDS::DBCluster",
    "rds:global-cluster": "AWS::RDS::GlobalCluster",
    "rds:snapshot": "AWS::RDS::DBSnapshot",
    "rds:cluster-snapshot": "AWS::RDS::DBClusterSnapshot",
    "dynamodb:table": "AWS::DynamoDB::Table",
    "kms:key": "AWS::KMS::Key",
    "cloudfront:distribution": "AWS::CloudFront::Distribution",
    "ec2:vpc-peering-connection": "AWS::EC2::VPCPeeringConnection",
    "ec2:volume": "AWS::EC2::Volume",
    "ec2:instance": "AWS::EC2::Instance",
    "iam:role": "AWS::IAM::Role",
    "redshift:cluster": "AWS::Redshift::Cluster",
    "redshift:snapshot": "AWS::Redshift::ClusterSnapshot",
    "backup:backup-plan": "AWS::Backup::BackupPlan",
    "backup:backup-vault": "AWS::Backup::BackupVault",
    "backup:recovery-point": "AWS::Backup::RecoveryPoint",
    "lambda:function": "AWS::Lambda::Function",
    "elasticfilesystem:file-system": "AWS::EFS::FileSystem",
    "cloudtrail:trail": "AWS::CloudTrail::Trail",
    "secretsmanager:secret": "AWS::SecretsManager::Secret",
    "sns:topic": "AWS::SNS::Topic",
    "sqs:queue": "AWS::SQS::Queue",
}


def own_arn(ci: Mapping[str, Any], conf: Any) -> str | None:
    """The resource's ARN: the item's ``ARN``/``arn``, else the one its configuration names."""
    arn = ci.get("ARN") or ci.get("arn")
    if isinstance(arn, str) and parse_arn(arn) is not None:
        return arn
    if not isinstance(conf, dict):
        return None
    by_key = {k.lower(): v for k, v in conf.items() if isinstance(k, str) and isinstance(v, str)}
    resource_id = ci.get("resourceId")
    found = [by_key[k] for k in _OWN_ARN_KEYS if k in by_key and parse_arn(by_key[k]) is not None]
    if isinstance(resource_id, str) and resource_id:
        # Prefer the ARN that ends with the item's own id (a configuration names other ARNs too).
        found.sort(key=lambda a: not a.endswith(resource_id))
    if not found and {"name", "owner", "creationDate"} <= conf.keys() and conf.get("name") == resource_id:
        # An S3 bucket's configuration is exactly its name, owner and creation date (Config resource
        # schema, AWS::S3::Bucket); bucket ARNs carry neither region nor account.
        return f"arn:aws:s3:::{resource_id}"
    return found[0] if found else None


def config_type_from_arn(arn: str) -> str | None:
    """The AWS Config type of an ARN (``AWS::RDS::DBInstance``), else its Resource Explorer form."""
    described = explorer_type_from_arn(arn)
    if described is None:
        return None
    return ARN_CONFIG_TYPES.get(described[0], described[0])


def transform_config_item(ci: Mapping[str, Any], source: str,
                          derived: Counter[str] | None = None) -> Iterator[Item]:
    """Turn one AWS Config configuration item into a ``Resource`` and the flows it shows.

    Partial items (advanced-query results that did not select ``resourceType``, ``accountId`` or
    ``awsRegion``) take what is missing from the resource's ARN, given or found in its
    configuration; ``derived`` counts each field so derived. Raises ``RecordError`` when the item
    has no type (and no ARN to derive it from), or neither an ARN nor the account and resource id
    needed to build ``aws:ACCOUNT:REGION:TYPE:RESOURCEID``.
    """
    conf = maybe_json(ci.get("configuration"))
    resource_type = ci.get("resourceType")
    account = ci.get("awsAccountId") or ci.get("accountId")
    resource_id = ci.get("resourceId")
    raw_region = ci.get("awsRegion")
    arn = ci.get("ARN") or ci.get("arn")
    parsed = parse_arn(arn) if isinstance(arn, str) else None
    if parsed is None:  # no usable ARN on the item: the one its configuration names, if any
        arn = own_arn(ci, conf)
        parsed = parse_arn(arn) if arn is not None else None
    if not isinstance(resource_type, str) or not resource_type:
        resource_type = config_type_from_arn(arn) if arn is not None else None
        if resource_type is None:
            raise RecordError("configuration item without resourceType or ARN")
        _count(derived, "resourceType")
    if parsed is not None and not isinstance(raw_region, str) and parsed["region"]:
        raw_region = parsed["region"]
        _count(derived, "awsRegion")
    region = aws_region_of(raw_region) if isinstance(raw_region, str) else None
    if parsed is not None:
        rid = str(arn)
        if not isinstance(account, str) and parsed["account"]:
            account = parsed["account"]
            _count(derived, "accountId")
    elif isinstance(account, str) and account and isinstance(resource_id, str) and resource_id:
        # DESIGN.md: resources without an ARN are keyed aws:ACCOUNT:REGION:TYPE:RESOURCEID.
        rid = f"aws:{account}:{region or 'global'}:{resource_type}:{resource_id}"
    else:
        raise RecordError(f"{resource_type} item without ARN, account or resourceId")
    if not isinstance(account, str) or not account:
        account = None

    facts = Facts()
    extractor = EXTRACTORS.get(resource_type)
    supp: dict[str, Any] = {}
    if extractor is not None or resource_type == "AWS::S3::Bucket":  # the others never read it
        decoded = maybe_json(ci.get("supplementaryConfiguration"))
        supp = decoded if isinstance(decoded, dict) else {}
    if extractor is not None:
        extractor(Context(
            id=rid,
            resource_type=resource_type,
            account=account,
            region=region,
            partition=parsed["partition"] if parsed else "aws",
            conf=conf if isinstance(conf, dict) else {},
            supp=supp,
        ), facts)

    tags = config_tags(ci.get("tags"))
    if not tags and resource_type == "AWS::S3::Bucket":
        tags = _s3_tagging_configuration(supp)
    name = ci.get("resourceName")
    if not name:
        # Without resourceName (EC2 items, partial query results) the ARN names the resource better
        # than resourceId does for RDS, whose resourceId is the opaque dbiResourceId.
        described = _explorer_type(parsed) if parsed is not None else None
        name = (described[1] if described else None) or resource_id or rid
    region = intern(region)
    attributes = _with_partition(facts.attributes, parsed)
    yield Resource(
        id=rid,
        provider=PROVIDER,
        native_type=sys.intern(resource_type),
        name=str(name),
        account=intern(account),
        region=region,
        raw_region=(region if raw_region == region else intern(raw_region)) if isinstance(raw_region, str) else None,
        tags=tags,
        key=facts.key,
        size_gb=facts.size_gb,
        source=source,
        attributes=attributes,
    )
    yield from facts.flows


# --- ARN → Resource Explorer type -------------------------------------------------------------

#: Services whose ARN resource part is a bare name, with the type Resource Explorer gives them.
#: https://docs.aws.amazon.com/resource-explorer/latest/userguide/supported-resource-types.html
#: (checked 2026-11-30).
_BARE_NAME_TYPES = {"s3": "bucket", "sns": "topic", "sqs": "queue"}


def explorer_type_from_arn(arn: str) -> tuple[str, str, str] | None:
    """``(native_type, name, service)`` in Resource Explorer form (``ec2:instance``) from an ARN.

    The resource part of an ARN is ``type/id``, ``type:id`` or a bare name
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html, checked 2026-11-30).
    Load balancers keep their kind (``elasticloadbalancing:loadbalancer/app``), as Resource
    Explorer names them.
    """
    parsed = parse_arn(arn)
    return None if parsed is None else _explorer_type(parsed)


def _explorer_type(parsed: Mapping[str, str]) -> tuple[str, str, str]:
    """:func:`explorer_type_from_arn` of an ARN already split by ``parse_arn``."""
    service = parsed["service"]
    resource = parsed["resource"].lstrip("/")
    if service in _BARE_NAME_TYPES and "/" not in resource and ":" not in resource:
        return f"{service}:{_BARE_NAME_TYPES[service]}", resource, service
    slash, colon = resource.find("/"), resource.find(":")
    cut = slash if colon < 0 else colon if slash < 0 else min(slash, colon)  # the first, or -1
    if cut < 0:
        return f"{service}:{resource}", resource, service
    rtype, rest = resource[:cut], resource[cut + 1:]
    if service == "elasticloadbalancing" and rtype == "loadbalancer":
        kind, _, rest2 = rest.partition("/")
        if kind in ("app", "net", "gwy") and rest2:
            return f"{service}:loadbalancer/{kind}", rest2.split("/")[0], service
        return f"{service}:loadbalancer", rest, service
    return f"{service}:{rtype}", rest, service


def _with_partition(attributes: dict[str, Any], parsed: Mapping[str, str] | None) -> dict[str, Any]:
    """``attributes`` (changed in place and returned) plus ``partition`` (``aws``, ``aws-cn``,
    ``aws-eusc``…) when an ARN gives it.

    Global resources (IAM, Route 53, Organizations) carry no region: the partition is what places
    them (``KnowledgeBase.global_placement``). Items without an ARN get no partition rather than a
    guess.
    """
    if parsed is not None and parsed["partition"]:
        attributes["partition"] = sys.intern(parsed["partition"])
    return attributes


def _region_from_arn(parsed: Mapping[str, str]) -> str | None:
    # Global services (IAM, CloudFront, Route 53, Organizations) have no region in their ARNs;
    # S3 bucket ARNs have none either, but a bucket does live in one region that the ARN hides.
    if parsed["region"]:
        return aws_region_of(parsed["region"])
    return None if parsed["service"] == "s3" else "global"


def transform_tag_mapping(mapping: Mapping[str, Any], source: str) -> Resource:
    """One ``ResourceTagMappingList`` entry → ``Resource`` (region and type from the ARN)."""
    arn = mapping.get("ResourceARN")
    if not isinstance(arn, str):
        raise RecordError("tag mapping without ResourceARN")
    described = explorer_type_from_arn(arn)
    parsed = parse_arn(arn)
    if described is None or parsed is None:
        raise RecordError(f"ResourceARN is not an ARN: {arn[:80]}")
    native_type, name, _ = described
    return Resource(
        id=arn,
        provider=PROVIDER,
        native_type=native_type,
        name=name,
        account=parsed["account"] or None,
        region=_region_from_arn(parsed),
        raw_region=parsed["region"] or None,
        tags=normalize_tags(mapping.get("Tags")),
        source=source,
        attributes=_with_partition({}, parsed),
    )


def explorer_tags(properties: Any) -> dict[str, str]:
    """Tags of a Resource Explorer resource: ``Properties[Name == "tags"].Data``."""
    tags: dict[str, str] = {}
    if isinstance(properties, list):
        for prop in properties:
            if isinstance(prop, dict) and prop.get("Name") == "tags":
                tags.update(normalize_tags(prop.get("Data")))
    return tags


def transform_explorer_resource(res: Mapping[str, Any], source: str) -> Resource:
    """One Resource Explorer ``Resources[]`` entry → ``Resource``."""
    arn = res.get("Arn")
    parsed = parse_arn(arn) if isinstance(arn, str) else None
    if parsed is None:
        raise RecordError("Resource Explorer entry without a valid Arn")
    described = explorer_type_from_arn(str(arn))
    native_type = res.get("ResourceType")
    if not isinstance(native_type, str) or not native_type:
        native_type = described[0] if described else f"{parsed['service']}:unknown"
    raw_region = res.get("Region")
    region = aws_region_of(raw_region) if isinstance(raw_region, str) else _region_from_arn(parsed)
    account = res.get("OwningAccountId")
    return Resource(
        id=str(arn),
        provider=PROVIDER,
        native_type=native_type,
        name=described[1] if described else str(arn),
        account=account if isinstance(account, str) and account else (parsed["account"] or None),
        region=region,
        raw_region=raw_region if isinstance(raw_region, str) else None,
        tags=explorer_tags(res.get("Properties")),
        source=source,
        attributes=_with_partition({}, parsed),
    )


def transform_account(acct: Mapping[str, Any], source: str) -> Account:
    """One Organizations ``Accounts[]`` entry → ``Account``; ``Email`` is deliberately dropped.

    The organisation id (``o-…``) from the account ARN
    (``arn:aws:organizations::MGMT:account/o-xxxx/ID``) becomes ``parent``.
    """
    account_id = acct.get("Id")
    if not isinstance(account_id, str) or not account_id:
        raise RecordError("account entry without Id")
    parent: str | None = None
    arn = acct.get("Arn")
    parsed = parse_arn(arn) if isinstance(arn, str) else None
    if parsed is not None:
        parts = parsed["resource"].split("/")
        if len(parts) >= 3 and parts[1].startswith("o-"):
            parent = parts[1]
    name = acct.get("Name")
    return Account(id=account_id, provider=PROVIDER, name=name if isinstance(name, str) else None,
                   parent=parent, source=source)
