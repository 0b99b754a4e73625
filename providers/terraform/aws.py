"""AWS resources from Terraform (``hashicorp/aws``): ids, regions, keys and the flows they show.

Ids are the ARN exactly as the ``arn`` attribute gives it (S3 buckets: ``arn:aws:s3:::NAME``,
built from the name when the attribute is missing, as in a plan before apply); resources without
an ARN get ``aws:ACCOUNT:REGION:TYPE:ID``. The provider's region is not in the state, so the
region comes from the ``region`` attribute (always on S3 buckets; on most resources from AWS
provider 6), else from the ARN, else, for a plan, from the provider configuration.
Relations follow the provider schemas listed in reference/input-formats.md §4.3.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from providers.common import aws_region_of, maybe_json, normalize_tags, parse_arn
from providers.terraform.core import (
    Context,
    TfInstance,
    block,
    blocks,
    flow,
    make_resource,
    strings,
    text,
)
from scanner.model import FlowKind, Item, KeyControl, KeyRef, Resource

_ACCOUNT_ID = re.compile(r"^\d{12}$")
# CloudFront S3 origins: REST endpoints (bucket.s3.amazonaws.com, bucket.s3.REGION.amazonaws.com,
# legacy bucket.s3-REGION.amazonaws.com) and website endpoints (bucket.s3-website-REGION… /
# bucket.s3-website.REGION…). Source: Amazon S3 User Guide, "Website endpoints" and "Virtual
# hosting of buckets", checked 2026-11-30.
_S3_ORIGIN = re.compile(
    r"^(?P<bucket>[a-z0-9][a-z0-9.-]*?)\.s3(?:-website)?(?:[.-](?P<region>[a-z]{2}(?:-[a-z]+)+-\d+))?"
    r"\.amazonaws\.com(?:\.cn)?$")


def partition(region: str | None) -> str:
    """The ARN partition of a region (China and GovCloud have their own)."""
    if region and region.startswith("cn-"):
        return "aws-cn"
    if region and region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def s3_arn(bucket: str, region: str | None = None) -> str:
    return f"arn:{partition(region)}:s3:::{bucket}"


def key_from_id(key_id: Any) -> KeyRef:
    """A KMS key reference: empty ids and ``alias/aws/*`` are AWS-managed keys."""
    value = key_id if isinstance(key_id, str) else ""
    if not value or value.startswith("alias/aws/") or ":alias/aws/" in value:
        return KeyRef(KeyControl.PROVIDER)
    return KeyRef(KeyControl.CUSTOMER, value)


_KEY_ATTRIBUTES = ("kms_key_id", "kms_key_arn", "kms_master_key_id")
#: Attributes that hold a resource's own ARN when it has no ``arn`` (AWS provider resource docs,
#: aws_db_snapshot and aws_db_cluster_snapshot, checked 2026-12-04).
_OWN_ARN_ATTRIBUTES = ("db_snapshot_arn", "db_cluster_snapshot_arn")


def _generic_key(values: Mapping[str, Any]) -> KeyRef | None:
    """The key of a resource from its ``kms_*`` and ``(storage_)encrypted`` attributes."""
    encrypted = values.get("storage_encrypted", values.get("encrypted"))
    for attr in _KEY_ATTRIBUTES:
        if attr in values:
            key_id = values.get(attr)
            if not key_id and encrypted is False:
                return None  # encryption at rest is off: no key at all
            return key_from_id(key_id)
    if encrypted is True:
        return KeyRef(KeyControl.PROVIDER)
    return None


def _sse_key(rule_holder: Mapping[str, Any]) -> KeyRef | None:
    """Key of an S3 server-side-encryption configuration (inline block or separate resource)."""
    for rule in blocks(rule_holder, "rule"):
        default = block(rule, "apply_server_side_encryption_by_default")
        if default:
            algorithm = text(default.get("sse_algorithm")) or ""
            if algorithm.startswith("aws:kms"):
                return key_from_id(default.get("kms_master_key_id"))
            return KeyRef(KeyControl.PROVIDER)  # AES256 = SSE-S3, keys held by AWS
    return None


@dataclass
class _Placed:
    """An AWS resource instance as its common attributes give it; type-specific rules amend ``key`` and ``extra``."""

    rid: str
    region: str | None
    raw_region: str | None
    account: str | None
    tags: dict[str, str]
    key: KeyRef | None
    extra: dict[str, Any] = field(default_factory=dict)

    def resource(self, inst: TfInstance) -> Resource:
        return make_resource(inst, self.rid, region=self.region, raw_region=self.raw_region, account=self.account,
                             key=self.key, tags=self.tags, extra=self.extra)


def transform(inst: TfInstance, ctx: Context) -> Iterator[Item]:
    """Resource and flows of one AWS resource instance."""
    v = inst.values
    arn = text(v.get("arn")) or next((text(v.get(a)) for a in _OWN_ARN_ATTRIBUTES if text(v.get(a))), None)
    parsed = parse_arn(arn) if arn else None
    raw_region = _raw_region(inst, parsed)
    region = aws_region_of(raw_region)
    account = (parsed["account"] if parsed and parsed["account"] else None) or text(v.get("owner_id"))
    tags = normalize_tags(v.get("tags_all") or v.get("tags"))
    if inst.type == "aws_s3_bucket":
        key = _sse_key(block(v, "server_side_encryption_configuration"))
        yield from _bucket(inst, ctx, _Placed(_bucket_id(inst, arn, region), region, raw_region, account, tags, key))
        return
    placed = _Placed(_resource_id(inst, arn, account, region), region, raw_region, account, tags, _generic_key(v),
                     _common_extra(inst, parsed, region))
    if inst.type == "aws_kms_key" and not text(v.get("xks_key_id")) and text(v.get("custom_key_store_id")):
        # The store's type (CloudHSM or external) may come later in the file: decide once every record is read.
        store = str(v["custom_key_store_id"])
        base = make_resource(inst, placed.rid, region=region, raw_region=raw_region, account=account, tags=tags)
        ctx.later(lambda c: _resolve_key_store(c, base, store))
        return
    specific = _TYPE_SPECIFIC.get(inst.type)
    if specific is not None:
        yield from specific(inst, ctx, placed)
    yield placed.resource(inst)


def _raw_region(inst: TfInstance, parsed: Mapping[str, str] | None) -> str | None:
    """The region as written: the ``region`` attribute, the ARN's, the availability zone, else the provider's."""
    v = inst.values
    raw_region = (text(v.get("region")) or (parsed["region"] if parsed and parsed["region"] else None)
                  or text(v.get("availability_zone")))
    if raw_region is None and parsed is not None and inst.type != "aws_s3_bucket":
        return "global"  # an ARN without a region names a global service (IAM, CloudFront)
    if raw_region is None:
        return inst.provider_region
    return raw_region


def _resource_id(inst: TfInstance, arn: str | None, account: str | None, region: str | None) -> str:
    """The ARN, else ``aws:ACCOUNT:REGION:TYPE:ID``, else the Terraform address."""
    native_id = text(inst.values.get("id"))
    if arn:
        return arn
    if native_id:
        return f"aws:{account or ''}:{region or ''}:{inst.type}:{native_id}"
    return f"tf:{inst.address}"


def _common_extra(inst: TfInstance, parsed: Mapping[str, str] | None, region: str | None) -> dict[str, Any]:
    """Attributes every type may carry: the ARN's partition, and the bucket of an S3 bucket's sub-resource."""
    # The ARN partition places global resources (IAM, Route 53) of aws-cn, aws-eusc, aws-us-gov.
    extra: dict[str, Any] = {"partition": parsed["partition"]} if parsed and parsed["partition"] else {}
    bucket_of = text(inst.values.get("bucket")) if inst.type.startswith("aws_s3_bucket_") else None
    if bucket_of:
        # A bucket's sub-resource (inventory, metrics, analytics configuration…): its parent is the
        # bucket, which the knowledge base folds it into or places it with.
        extra["parent"] = s3_arn(bucket_of, region)
    return extra


def _bucket_id(inst: TfInstance, arn: str | None, region: str | None) -> str:
    """A bucket's ARN, built from its name when the state has none yet (a plan before apply)."""
    bucket = text(inst.values.get("bucket"))
    return arn or (s3_arn(bucket, region) if bucket else f"tf:{inst.address}")


def _bucket(inst: TfInstance, ctx: Context, placed: _Placed) -> Iterator[Item]:
    """An S3 bucket, held until its separate configuration resources (encryption, replication) are read."""
    ctx.facts[("s3-region", placed.rid)] = placed.region
    yield from _legacy_replication(placed.rid, inst.values, ctx)
    ctx.hold(make_resource(inst, placed.rid, region=placed.region, raw_region=placed.raw_region,
                           account=placed.account, key=placed.key, tags=placed.tags))


def _kms_key(inst: TfInstance, ctx: Context, placed: _Placed) -> Iterator[Item]:
    """A KMS key is not encrypted by a key; it says who controls it (XKS keys are held outside AWS)."""
    external = text(inst.values.get("xks_key_id"))
    placed.extra["key_control"] = (KeyControl.EXTERNAL if external else KeyControl.CUSTOMER).value
    placed.key = None
    return iter(())


def _kms_external_key(inst: TfInstance, ctx: Context, placed: _Placed) -> Iterator[Item]:
    # Imported key material: the customer made the key but AWS holds it (BYOK).
    placed.extra["key_control"] = KeyControl.CUSTOMER.value
    placed.key = None
    return iter(())


def _kms_custom_key_store(inst: TfInstance, ctx: Context, placed: _Placed) -> Iterator[Item]:
    v = inst.values
    # Stores created before the XKS option have no type attribute: they are CloudHSM stores.
    ctx.facts[("key-store", text(v.get("id")) or "")] = text(v.get("custom_key_store_type")) or "AWS_CLOUDHSM"
    return iter(())


def _vpc(inst: TfInstance, ctx: Context, placed: _Placed) -> Iterator[Item]:
    native_id = text(inst.values.get("id"))
    if native_id:
        ctx.facts[("vpc", native_id)] = placed.rid
    return iter(())


def _dynamodb_table(inst: TfInstance, ctx: Context, placed: _Placed) -> Iterator[Item]:
    v = inst.values
    sse = block(v, "server_side_encryption")
    # DynamoDB always encrypts; without a customer key it uses an AWS-owned key.
    placed.key = key_from_id(sse.get("kms_key_arn")) if sse.get("enabled") else KeyRef(KeyControl.PROVIDER)
    return _dynamodb_replicas(placed.rid, v, placed.account)


def _db_instance(inst: TfInstance, ctx: Context, placed: _Placed) -> Iterator[Item]:
    return _rds_replica(placed.rid, inst.values, placed.region, placed.account)


def _rds_cluster(inst: TfInstance, ctx: Context, placed: _Placed) -> Iterator[Item]:
    source = text(inst.values.get("replication_source_identifier"))
    if source:
        yield flow(source, placed.rid, FlowKind.REPLICA, "aws_rds_cluster.replication_source_identifier",
                   "aws", placed.region)


def _cloudfront_distribution(inst: TfInstance, ctx: Context, placed: _Placed) -> Iterator[Item]:
    return _cloudfront_origins(placed.rid, inst.values)


def _iam_role(inst: TfInstance, ctx: Context, placed: _Placed) -> Iterator[Item]:
    return _trust(placed.rid, inst.values, placed.account)


def _vpc_peering_connection(inst: TfInstance, ctx: Context, placed: _Placed) -> Iterator[Item]:
    v, region, account = inst.values, placed.region, placed.account
    ctx.later(lambda c: _peering(c, v, region, account))
    return iter(())


#: Resource type → what it adds to the common attributes: its key, its key control, flows, facts for later records.
_TYPE_SPECIFIC: dict[str, Callable[[TfInstance, Context, _Placed], Iterator[Item]]] = {
    "aws_kms_key": _kms_key,
    "aws_kms_external_key": _kms_external_key,
    "aws_kms_custom_key_store": _kms_custom_key_store,
    "aws_vpc": _vpc,
    "aws_dynamodb_table": _dynamodb_table,
    "aws_db_instance": _db_instance,
    "aws_rds_cluster": _rds_cluster,
    "aws_cloudfront_distribution": _cloudfront_distribution,
    "aws_iam_role": _iam_role,
    "aws_vpc_peering_connection": _vpc_peering_connection,
}


def _resolve_key_store(ctx: Context, base: Resource, store: str) -> Iterator[Item]:
    store_type = ctx.facts.get(("key-store", store))
    control = KeyControl.EXTERNAL if store_type == "EXTERNAL_KEY_STORE" else KeyControl.CUSTOMER
    attributes = dict(base.attributes)
    attributes["key_control"] = control.value
    yield replace(base, attributes=attributes)


def _legacy_replication(rid: str, v: Mapping[str, Any], ctx: Context) -> Iterator[Item]:
    """Inline ``replication_configuration`` of aws_s3_bucket (AWS provider < 4)."""
    targets = _replication_targets(block(v, "replication_configuration"), "rules")
    if targets:
        evidence = "aws_s3_bucket.replication_configuration.rules.destination.bucket"
        ctx.later(lambda c: _s3_flows(c, rid, targets, FlowKind.REPLICATION, evidence))
    return iter(())


def _s3_flows(ctx: Context, source: str, targets: list[str], kind: FlowKind, evidence: str
              ) -> Iterator[Item]:
    """Flows to S3 buckets, with the target's region when the bucket is in the same file."""
    for target in dict.fromkeys(targets):
        yield flow(source, target, kind, evidence, "aws", ctx.facts.get(("s3-region", target)))


def _dynamodb_replicas(rid: str, v: Mapping[str, Any], account: str | None) -> Iterator[Item]:
    name = text(v.get("name"))
    for replica in blocks(v, "replica"):
        region_name = text(replica.get("region_name"))
        if not region_name:
            continue
        target = text(replica.get("arn")) or (
            f"arn:{partition(region_name)}:dynamodb:{region_name}:{account or ''}:table/{name}")
        yield flow(rid, target, FlowKind.REPLICA, "aws_dynamodb_table.replica.region_name", "aws",
                   aws_region_of(region_name))


def _rds_replica(rid: str, v: Mapping[str, Any], region: str | None, account: str | None
                 ) -> Iterator[Item]:
    source = text(v.get("replicate_source_db"))
    if not source:
        return
    if not source.startswith("arn:"):
        # Same-region replicas name their source by identifier (AWS provider docs, aws_db_instance).
        source = f"arn:{partition(region)}:rds:{region or ''}:{account or ''}:db:{source}"
    yield flow(source, rid, FlowKind.REPLICA, "aws_db_instance.replicate_source_db", "aws", region)


def _cloudfront_origins(rid: str, v: Mapping[str, Any]) -> Iterator[Item]:
    # Only S3 origins name a resource; custom origins (load balancers, other hosts) are DNS names
    # that no importer can join to a resource id.
    for origin in blocks(v, "origin"):
        domain = (text(origin.get("domain_name")) or "").lower()
        match = _S3_ORIGIN.match(domain)
        if match:
            yield flow(s3_arn(match.group("bucket"), match.group("region")), rid, FlowKind.CDN,
                       "aws_cloudfront_distribution.origin.domain_name", "aws", "global")


def _trust(rid: str, v: Mapping[str, Any], account: str | None) -> Iterator[Item]:
    """Cross-account principals of a role's trust policy (a plain JSON string in Terraform)."""
    doc = maybe_json(v.get("assume_role_policy"))
    if not isinstance(doc, Mapping):
        return
    statements = doc.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list):
        return
    seen: set[str] = set()
    for statement in statements:
        if not isinstance(statement, Mapping) or statement.get("Effect", "Allow") != "Allow":
            continue
        principal = statement.get("Principal")
        if not isinstance(principal, Mapping):
            continue
        for value in strings(principal.get("AWS")):
            other = value if _ACCOUNT_ID.match(value) else (parse_arn(value) or {}).get("account")
            if other and other != account and other not in seen:
                seen.add(other)
                part = (parse_arn(rid) or {}).get("partition", "aws")
                yield flow(rid, f"arn:{part}:iam::{other}:root", FlowKind.TRUST,
                           "aws_iam_role.assume_role_policy.Statement.Principal.AWS", "aws", None)


def _vpc_ref(ctx: Context, vpc_id: str, account: str | None, region: str | None) -> str:
    known = ctx.facts.get(("vpc", vpc_id))
    if known:
        return known
    if account and region:
        return f"arn:{partition(region)}:ec2:{region}:{account}:vpc/{vpc_id}"
    return f"aws:{account or ''}:{region or ''}:aws_vpc:{vpc_id}"


def _peering(ctx: Context, v: Mapping[str, Any], region: str | None, account: str | None
             ) -> Iterator[Item]:
    vpc_id, peer_vpc = text(v.get("vpc_id")), text(v.get("peer_vpc_id"))
    if not vpc_id or not peer_vpc:
        return
    peer_region = aws_region_of(text(v.get("peer_region"))) or region  # empty = same region
    peer_owner = text(v.get("peer_owner_id")) or account
    yield flow(_vpc_ref(ctx, vpc_id, account, region), _vpc_ref(ctx, peer_vpc, peer_owner, peer_region),
               FlowKind.PEERING, "aws_vpc_peering_connection.peer_vpc_id", "aws", peer_region)


# --------------------------------------------------------------------------- folded types


def _fold_sse(inst: TfInstance, ctx: Context) -> Iterator[Item]:
    bucket = text(inst.values.get("bucket"))
    key = _sse_key(inst.values)
    if bucket and key is not None:
        ctx.set_key(s3_arn(bucket, aws_region_of(text(inst.values.get("region")))), key)
    return iter(())


def _fold_replication(inst: TfInstance, ctx: Context) -> Iterator[Item]:
    bucket = text(inst.values.get("bucket"))
    if not bucket:
        return iter(())
    targets = _replication_targets(inst.values, "rule")
    if targets:
        source = s3_arn(bucket, aws_region_of(text(inst.values.get("region"))))
        evidence = "aws_s3_bucket_replication_configuration.rule.destination.bucket"
        ctx.later(lambda c: _s3_flows(c, source, targets, FlowKind.REPLICATION, evidence))
    return iter(())


def _fold_logging(inst: TfInstance, ctx: Context) -> Iterator[Item]:
    bucket, target = text(inst.values.get("bucket")), text(inst.values.get("target_bucket"))
    if bucket and target:
        region = aws_region_of(text(inst.values.get("region")))
        source, dest = s3_arn(bucket, region), s3_arn(target, region)
        ctx.later(lambda c: _s3_flows(c, source, [dest], FlowKind.LOGS,
                                      "aws_s3_bucket_logging.target_bucket"))
    return iter(())


#: Folded types whose facts matter (the others in mapping.FOLDED_TYPES carry none).
FOLDS: dict[str, Callable[[TfInstance, Context], Iterator[Item]]] = {
    "aws_s3_bucket_server_side_encryption_configuration": _fold_sse,
    "aws_s3_bucket_replication_configuration": _fold_replication,
    "aws_s3_bucket_logging": _fold_logging,
}


def _replication_targets(config: Mapping[str, Any], rules_key: str) -> list[str]:
    """Destination bucket ARNs of the enabled rules of an S3 replication configuration block."""
    targets: list[str] = []
    for rule in blocks(config, rules_key):
        if rule.get("status") not in (None, "Enabled"):
            continue
        for dest in blocks(rule, "destination"):
            target = text(dest.get("bucket"))
            if target:
                targets.append(target)
    return targets
