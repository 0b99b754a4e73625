"""Deterministic generators of large synthetic inventories for the benchmark.

Two formats, the two that large organisations export most often:

- ``aws``: an AWS Config snapshot as delivered to S3 (``{"fileVersion", "configSnapshotId",
  "configurationItems": [...]}``, S3 delivery spelling: ``ARN``, ``awsAccountId``,
  ``configurationItemVersion`` ``"1.3"``, ``configuration`` as an object, supplementary values as
  objects or JSON strings; shapes as in ``reference/input-formats.md`` §1.1 and the sample
  inventories). AWS delivers one file per account and region; the benchmark puts a whole
  organisation (many accounts and regions) into one file, which is the hardest case for a reader.
- ``gcp``: a Cloud Asset Inventory export (``gcloud asset export --content-type=resource``):
  NDJSON, one Asset per line with proto (snake_case) field names and ``resource.data`` in the
  service's REST camelCase (``reference/input-formats.md`` §3.1).
- ``terraform``: a raw Terraform state, version 4 (``terraform state pull``), with
  ``resources[].instances[].attributes`` of the AWS provider: one module per application, resources
  spread over regions through provider aliases and placed by their ``arn``/``region``/
  ``availability_zone`` attributes, split-out S3 configuration blocks and data sources (which
  sovscan folds or skips), ``count``/``for_each`` instances (``reference/input-formats.md`` §4).
- ``azure``: ``az graph query -q "Resources"`` output (``{count, data, skip_token,
  total_records}``, indented as the CLI prints it), rows of the Resources table with ARM ids,
  lower-case types and ``properties`` (``reference/input-formats.md`` §2).

Both mix the resource types of a real estate (compute, volumes, buckets with cross-region
replication, databases with replicas, keys, roles, functions, queues, …), spread over several
accounts/projects and regions, with realistic tags/labels (some ``DataClassification=PHI``).
``N`` is the number of resources sovscan should report; the generator writes records one at a
time (never a list of N), so the 1M files need little memory. Output is seeded and cached: a file
is re-used when its ``.meta.json`` names the same generator version, seed and size.

Usage: ``python benchmarks/generate.py [--sizes 10000,100000,1000000]
[--formats aws,gcp,terraform,azure]``.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import os
import random
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import orjson

#: Bump when the output changes, so cached files are regenerated.
GENERATOR_VERSION = 1
SEED = 20261130
SIZES = (10_000, 100_000, 1_000_000)
FORMATS = ("aws", "gcp", "terraform", "azure")
DATA_DIR = Path(__file__).resolve().parent / "data"

Record = dict[str, Any]

# Applications of a fictional hospital group, with the data class their tags announce.
_APPS = (
    ("dossiers-patients", "PHI"), ("imagerie-pacs", "PHI"), ("laboratoire", "PHI"),
    ("pharmacie", "PHI"), ("urgences", "PHI"), ("paie", "HR"), ("rh-carrieres", "HR"),
    ("facturation", "Financial"), ("comptabilite", "Financial"), ("portail-patients", "Personal"),
    ("site-public", "Public"), ("messagerie", "Internal"), ("logistique", "Internal"),
    ("analytique", "Internal"), ("ci-outillage", "Internal"), ("recherche", "PHI"),
)
_ENVS = ("prod", "prod", "prod", "preprod", "dev")
_TEAMS = ("dsi-infra", "dsi-etudes", "dsi-data", "biomedical", "recherche-clinique", "finances")


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(digits * 4):0{digits}x}"


def _uuid(rng: random.Random) -> str:
    h = _hex(rng, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:]}"


class _Picker:
    """Weighted choice by bisection over cumulative weights (cheaper than ``rng.choices`` per call)."""

    def __init__(self, weighted: dict[Any, float]):
        self.values = list(weighted)
        self.cum = list(itertools.accumulate(weighted.values()))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.total)]


def _tags(rng: random.Random, i: int) -> tuple[dict[str, str], str, str]:
    """Tags of a resource, with its application and environment."""
    app, data_class = _APPS[rng.randrange(len(_APPS))]
    env = _ENVS[rng.randrange(len(_ENVS))]
    tags = {"application": app, "environment": env, "equipe": _TEAMS[i % len(_TEAMS)]}
    if rng.random() < 0.7:  # not every team tags its resources
        tags["DataClassification"] = data_class
    if rng.random() < 0.3:
        tags["cost-center"] = f"cc-{rng.randrange(100, 999)}"
    return tags, app, env


# --- AWS Config snapshot ------------------------------------------------------------------------

_AWS_REGIONS = _Picker({"eu-west-3": 40, "eu-central-1": 15, "eu-west-1": 15, "us-east-1": 12,
                        "us-west-2": 5, "eu-north-1": 5, "eu-south-1": 3, "ap-southeast-1": 3,
                        "ca-central-1": 2})
_CAPTURE = "2026-11-30T03:12:45.118Z"


class _AwsOrg:
    """Accounts, regions and KMS keys of a fictional AWS organisation, drawn from ``rng``."""

    def __init__(self, rng: random.Random, n: int):
        self.accounts = [f"{rng.randrange(10**11, 10**12):012d}" for _ in range(max(4, min(250, n // 5000)))]
        self.external = [f"{rng.randrange(10**11, 10**12):012d}" for _ in range(5)]  # vendors, not inventoried
        self.regions = list(_AWS_REGIONS.values)
        self.log_region = "eu-west-3"  # one central log bucket per account, where S3 access logs go
        # Per (account, region): [customer key, AWS-managed key, maybe an external key store key].
        self.keys: dict[tuple[str, str], list[str]] = {}
        for acct in self.accounts:
            for region in self.regions:
                ids = [_uuid(rng), _uuid(rng)] + ([_uuid(rng)] if rng.random() < 0.1 else [])
                self.keys[acct, region] = [f"arn:aws:kms:{region}:{acct}:key/{k}" for k in ids]
        self.trust_docs = {
            acct: urllib.parse.quote(orjson.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                "Action": "sts:AssumeRole"}]}).decode(), safe="")
            for acct in self.external}
        self.site_buckets: list[tuple[str, str]] = []  # (name, region) of buckets CloudFront can front
        self.service_docs = {
            svc: urllib.parse.quote(orjson.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": f"{svc}.amazonaws.com"},
                "Action": "sts:AssumeRole"}]}).decode(), safe="")
            for svc in ("ec2", "lambda", "ecs-tasks", "s3")}


def _ci(rtype: str, arn: str, acct: str, region: str, rid: str, name: str | None, tags: dict[str, str],
        conf: Record, supp: Record | None = None, az: str = "Not Applicable",
        relationships: list[Record] | None = None, state_id: int = 0) -> Record:
    return {
        "relatedEvents": [], "relationships": relationships or [], "configuration": conf,
        "supplementaryConfiguration": supp or {}, "tags": tags, "configurationItemVersion": "1.3",
        "configurationItemCaptureTime": _CAPTURE, "configurationStateId": 1764400000000 + state_id,
        "awsAccountId": acct,
        "configurationItemStatus": "ResourceDiscovered" if state_id % 20 == 0 else "OK",
        "resourceType": rtype, "resourceId": rid, "resourceName": name, "ARN": arn, "awsRegion": region,
        "availabilityZone": az, "resourceCreationTime": "2024-03-11T08:21:37.000Z",
        "configurationStateMd5Hash": "",
    }


def _aws_key(org: _AwsOrg, rng: random.Random, acct: str, region: str, i: int, slot: int) -> Record:
    arn = org.keys[acct, region][slot]
    key_id = arn.rsplit("/", 1)[1]
    manager = "AWS" if slot == 1 else "CUSTOMER"
    origin = "EXTERNAL_KEY_STORE" if slot == 2 else "AWS_KMS"
    conf = {"awsaccountId": acct, "keyId": key_id, "arn": arn, "creationDate": "2023-04-11T08:22:40.000Z",
            "enabled": True, "description": "aws/rds" if slot == 1 else f"cle-{i}", "keyUsage": "ENCRYPT_DECRYPT",
            "keyState": "Enabled", "origin": origin, "keyManager": manager,
            "customerMasterKeySpec": "SYMMETRIC_DEFAULT", "keySpec": "SYMMETRIC_DEFAULT",
            "encryptionAlgorithms": ["SYMMETRIC_DEFAULT"], "multiRegion": False}
    tags = {} if slot == 1 else _tags(rng, i)[0]
    return _ci("AWS::KMS::Key", arn, acct, region, key_id, None, tags, conf,
               {"KeyRotationStatus": {"keyRotationEnabled": slot == 0}}, state_id=i)


def _aws_bucket(org: _AwsOrg, rng: random.Random, acct: str, region: str, i: int) -> list[Record]:
    tags, app, env = _tags(rng, i)
    name = f"ghge-{app}-{env}-{i:07d}"
    roll = rng.random()
    if roll < 0.5:
        default: Record = {"sseAlgorithm": "AES256", "kmsMasterKeyID": None}
    elif roll < 0.8:
        default = {"sseAlgorithm": "aws:kms", "kmsMasterKeyID": org.keys[acct, region][0]}
    else:
        default = {"sseAlgorithm": "aws:kms", "kmsMasterKeyID": "alias/aws/s3"}
    supp: Record = {
        "AccessControlList": orjson.dumps({"grantSet": None, "grantList": [{"grantee": {"id": acct,
                                           "displayName": None}, "permission": "FullControl"}],
                                           "owner": {"displayName": None, "id": acct},
                                           "isRequesterCharged": False}).decode(),
        "BucketAccelerateConfiguration": {"status": None},
        "BucketLoggingConfiguration": {"destinationBucketName": f"ghge-journaux-{acct}" if roll < 0.3 else None,
                                       "logFilePrefix": None},
        "BucketNotificationConfiguration": {"configurations": {}},
        "BucketPolicy": {"policyText": None},
        "BucketVersioningConfiguration": {"status": "Enabled", "isMfaDeleteEnabled": None},
        "IsRequesterPaysEnabled": False,
        "PublicAccessBlockConfiguration": {"blockPublicAcls": True, "ignorePublicAcls": True,
                                           "blockPublicPolicy": True, "restrictPublicBuckets": True},
        "ServerSideEncryptionConfiguration": {"rules": [{"applyServerSideEncryptionByDefault": default,
                                                         "bucketKeyEnabled": True}]},
        "BucketTaggingConfiguration": {"tagSets": [{"tags": tags}]},
    }
    if app == "site-public" and len(org.site_buckets) < 1000:
        org.site_buckets.append((name, region))
    out: list[Record] = []
    if rng.random() < 0.2:  # cross-region replication (disaster recovery copy)
        dest_region = "us-east-1" if rng.random() < 0.3 else ("eu-central-1" if region != "eu-central-1"
                                                              else "eu-west-3")
        dest = f"{name}-dr"
        supp["BucketReplicationConfiguration"] = {
            "roleARN": f"arn:aws:iam::{acct}:role/ghge-s3-replication",
            "rules": {f"pra-copie-{dest_region}": {
                "prefix": None, "status": "Enabled", "priority": 1,
                "filter": {"predicate": {"type": "Prefix", "prefix": ""}},
                "deleteMarkerReplication": {"status": "Disabled"},
                "destinationConfig": {
                    "bucketARN": f"arn:aws:s3:::{dest}", "account": None, "storageClass": "STANDARD_IA",
                    "accessControlTranslation": None,
                    "encryptionConfiguration": {"replicaKmsKeyID": org.keys[acct, dest_region][0]}}}}}
        if rng.random() < 0.5:  # the destination bucket is in the inventory too
            dest_supp = {k: v for k, v in supp.items() if k != "BucketReplicationConfiguration"}
            out.append(_ci("AWS::S3::Bucket", f"arn:aws:s3:::{dest}", acct, dest_region, dest, dest, tags,
                           {"name": dest, "owner": {"displayName": None, "id": acct},
                            "creationDate": "2023-04-11T08:21:37.000Z"}, dest_supp, "Regional", state_id=i + 1))
    out.insert(0, _ci("AWS::S3::Bucket", f"arn:aws:s3:::{name}", acct, region, name, name, tags,
                      {"name": name, "owner": {"displayName": None, "id": acct},
                       "creationDate": "2023-04-11T08:21:37.000Z"}, supp, "Regional", state_id=i))
    return out


def _aws_rds(org: _AwsOrg, rng: random.Random, acct: str, region: str, i: int) -> list[Record]:
    tags, app, env = _tags(rng, i)
    ident = f"{app}-{env}-db-{i:07d}"
    arn = f"arn:aws:rds:{region}:{acct}:db:{ident}"
    engine = ("postgres", "mysql", "oracle-ee", "sqlserver-se")[i % 4]
    replicas: list[str] = []
    out: list[Record] = []
    replica_region = "eu-central-1" if region != "eu-central-1" else "eu-west-1"
    if rng.random() < 0.1:
        replicas.append(f"arn:aws:rds:{replica_region}:{acct}:db:{ident}-replica")

    def conf(db_ident: str, db_arn: str, db_region: str, source: str | None) -> Record:
        c: Record = {
            "dBInstanceIdentifier": db_ident, "dBInstanceClass": "db.r6g.xlarge", "engine": engine,
            "dBInstanceStatus": "available", "masterUsername": "admin_app",
            "endpoint": {"address": f"{db_ident}.c9akciq32.{db_region}.rds.amazonaws.com", "port": 5432,
                         "hostedZoneId": "ZMESEXAMPLE01"},
            "allocatedStorage": rng.choice((20, 100, 250, 500, 1000)), "backupRetentionPeriod": 14,
            "availabilityZone": f"{db_region}a", "multiAZ": rng.random() < 0.5, "engineVersion": "16.4",
            "readReplicaDBInstanceIdentifiers": [] if source else replicas,
            "readReplicaDBClusterIdentifiers": [], "storageType": "gp3",
            "storageEncrypted": rng.random() < 0.9, "kmsKeyId": org.keys[acct, db_region][rng.randrange(2)],
            "dbiResourceId": f"db-{_hex(rng, 26).upper()}", "dBInstanceArn": db_arn, "deletionProtection": True,
        }
        if source:
            c["readReplicaSourceDBInstanceIdentifier"] = source
        return c

    c = conf(ident, arn, region, None)
    out.append(_ci("AWS::RDS::DBInstance", arn, acct, region, c["dbiResourceId"], ident, tags, c,
                   az=f"{region}a", state_id=i))
    if replicas and rng.random() < 0.5:
        rident = f"{ident}-replica"
        c = conf(rident, replicas[0], replica_region, arn)
        out.append(_ci("AWS::RDS::DBInstance", replicas[0], acct, replica_region, c["dbiResourceId"], rident,
                       tags, c, az=f"{replica_region}a", state_id=i + 1))
    return out


def _aws_dynamodb(org: _AwsOrg, rng: random.Random, acct: str, region: str, i: int) -> list[Record]:
    tags, app, env = _tags(rng, i)
    table = f"{app}-{env}-{i:07d}"
    arn = f"arn:aws:dynamodb:{region}:{acct}:table/{table}"
    conf: Record = {"tableName": table, "tableArn": arn, "tableStatus": "ACTIVE",
                    "tableSizeBytes": rng.randrange(10**6, 10**11), "itemCount": rng.randrange(10**6),
                    "billingModeSummary": {"billingMode": "PAY_PER_REQUEST"},
                    "keySchema": [{"attributeName": "pk", "keyType": "HASH"}]}
    if rng.random() < 0.4:
        conf["ssedescription"] = {"status": "ENABLED", "ssetype": "KMS",
                                  "kmsmasterKeyArn": org.keys[acct, region][0]}
    if rng.random() < 0.1:  # global table
        other = "us-east-1" if region != "us-east-1" else "eu-west-3"
        conf["globalTableVersion"] = "2019.11.21"
        conf["replicas"] = [{"regionName": region, "replicaStatus": "ACTIVE"},
                            {"regionName": other, "replicaStatus": "ACTIVE"}]
    return [_ci("AWS::DynamoDB::Table", arn, acct, region, table, table, tags, conf, state_id=i)]


def _aws_instance(org: _AwsOrg, rng: random.Random, acct: str, region: str, i: int) -> list[Record]:
    tags, app, env = _tags(rng, i)
    iid = f"i-0{_hex(rng, 16)}"
    vol = f"vol-0{_hex(rng, 16)}"
    az = f"{region}{'abc'[i % 3]}"
    tags = {**tags, "Name": f"{app}-{env}-{i % 1000:03d}"}
    conf = {"amiLaunchIndex": 0, "imageId": f"ami-0{_hex(rng, 16)}", "instanceId": iid,
            "instanceType": rng.choice(("t3.medium", "m6i.large", "m6i.xlarge", "r6i.2xlarge", "c7g.large")),
            "launchTime": "2024-09-02T08:09:41.000Z", "placement": {"availabilityZone": az, "tenancy": "default"},
            "privateIpAddress": f"10.{i % 250}.{(i // 250) % 250}.{i % 200 + 10}", "publicIpAddress": None,
            "state": {"code": 16, "name": "running"}, "subnetId": f"subnet-0{_hex(rng, 16)}",
            "vpcId": f"vpc-0{_hex(rng, 16)}", "architecture": "x86_64",
            "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"attachTime": "2024-09-02T08:10:00.000Z",
                                                                        "deleteOnTermination": True,
                                                                        "status": "attached", "volumeId": vol}}],
            "ebsOptimized": True, "hypervisor": "nitro", "rootDeviceName": "/dev/xvda", "rootDeviceType": "ebs",
            "tags": [{"key": k, "value": v} for k, v in tags.items()], "virtualizationType": "hvm",
            "metadataOptions": {"httpTokens": "required", "httpEndpoint": "enabled"}}
    rels = [{"resourceId": vol, "resourceName": None, "resourceType": "AWS::EC2::Volume",
             "name": "Is attached to Volume"}]
    return [_ci("AWS::EC2::Instance", f"arn:aws:ec2:{region}:{acct}:instance/{iid}", acct, region, iid, None,
                tags, conf, az=az, relationships=rels, state_id=i)]


def _aws_volume(org: _AwsOrg, rng: random.Random, acct: str, region: str, i: int) -> list[Record]:
    tags = _tags(rng, i)[0]
    vid = f"vol-0{_hex(rng, 16)}"
    az = f"{region}{'abc'[i % 3]}"
    encrypted = rng.random() < 0.8
    conf = {"attachments": [], "availabilityZone": az, "createTime": "2024-09-02T08:09:41.512Z",
            "encrypted": encrypted, "kmsKeyId": org.keys[acct, region][rng.randrange(2)] if encrypted else None,
            "size": rng.choice((8, 30, 100, 500, 2000)), "snapshotId": "", "state": "in-use", "volumeId": vid,
            "iops": 3000, "volumeType": "gp3", "tags": []}
    return [_ci("AWS::EC2::Volume", f"arn:aws:ec2:{region}:{acct}:volume/{vid}", acct, region, vid, None, tags,
                conf, az=az, state_id=i)]


def _aws_network(rtype: str, prefix: str, kind: str) -> Callable[..., list[Record]]:
    def make(org: _AwsOrg, rng: random.Random, acct: str, region: str, i: int) -> list[Record]:
        rid = f"{prefix}-0{_hex(rng, 16)}"
        conf = {"ownerId": acct, "vpcId": f"vpc-0{_hex(rng, 16)}", "state": "available",
                "description": f"{kind} {i}", "tags": []}
        return [_ci(rtype, f"arn:aws:ec2:{region}:{acct}:{kind}/{rid}", acct, region, rid, None, {}, conf,
                    state_id=i)]
    return make


def _aws_role(org: _AwsOrg, rng: random.Random, acct: str, region: str, i: int) -> list[Record]:
    name = f"ghge-role-{i:07d}"
    doc = org.trust_docs[org.external[i % len(org.external)]] if rng.random() < 0.1 else \
        org.service_docs[("ec2", "lambda", "ecs-tasks", "s3")[i % 4]]
    role_id = f"AROA{_hex(rng, 16).upper()}"
    arn = f"arn:aws:iam::{acct}:role/{name}"
    conf = {"path": "/", "roleName": name, "roleId": role_id, "arn": arn, "createDate": "2023-04-11T08:19:44.000Z",
            "assumeRolePolicyDocument": doc, "instanceProfileList": [], "rolePolicyList": [],
            "attachedManagedPolicies": [{"policyName": "ReadOnlyAccess",
                                         "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
            "permissionsBoundary": None, "tags": [], "roleLastUsed": None}
    return [_ci("AWS::IAM::Role", arn, acct, "global", role_id, name, {}, conf, state_id=i)]


def _aws_lambda(org: _AwsOrg, rng: random.Random, acct: str, region: str, i: int) -> list[Record]:
    tags, app, env = _tags(rng, i)
    name = f"{app}-{env}-fn-{i:07d}"
    arn = f"arn:aws:lambda:{region}:{acct}:function:{name}"
    conf = {"functionName": name, "functionArn": arn, "runtime": "python3.12",
            "role": f"arn:aws:iam::{acct}:role/ghge-role-lambda", "handler": "app.handler",
            "codeSize": rng.randrange(10**3, 10**7), "timeout": 60, "memorySize": 512,
            "kmskeyArn": org.keys[acct, region][0] if rng.random() < 0.2 else None,
            "tracingConfig": {"mode": "PassThrough"}, "layers": [], "packageType": "Zip",
            "architectures": ["arm64"], "ephemeralStorage": {"size": 512}}
    return [_ci("AWS::Lambda::Function", arn, acct, region, name, name, tags, conf, {"Tags": tags}, state_id=i)]


def _aws_messaging(rtype: str, service: str) -> Callable[..., list[Record]]:
    def make(org: _AwsOrg, rng: random.Random, acct: str, region: str, i: int) -> list[Record]:
        tags, app, env = _tags(rng, i)
        name = f"{app}-{env}-{service}-{i:07d}"
        arn = f"arn:aws:{service}:{region}:{acct}:{name}"
        conf = {"TopicArn" if service == "sns" else "QueueArn": arn, "KmsMasterKeyId": f"alias/aws/{service}"}
        return [_ci(rtype, arn, acct, region, arn if service == "sns" else f"https://sqs.{region}.amazonaws.com/"
                    f"{acct}/{name}", name, tags, conf, state_id=i)]
    return make


def _aws_cloudfront(org: _AwsOrg, rng: random.Random, acct: str, region: str, i: int) -> list[Record]:
    dist = f"E{_hex(rng, 13).upper()}"
    bucket, bucket_region = org.site_buckets[i % len(org.site_buckets)] if org.site_buckets else \
        (f"ghge-journaux-{acct}", org.log_region)
    origin = f"{bucket}.s3.{bucket_region}.amazonaws.com"
    arn = f"arn:aws:cloudfront::{acct}:distribution/{dist}"
    conf: Record = {"id": dist, "arn": arn, "status": "Deployed",
            "domainName": f"d{_hex(rng, 12)}.cloudfront.net",
            "distributionConfig": {"origins": {"quantity": 1, "items": [{"id": origin, "domainName": origin,
                                                                         "originPath": ""}]},
                                   "logging": {"enabled": False, "includeCookies": False, "bucket": "",
                                               "prefix": ""},
                                   "priceClass": "PriceClass_100", "enabled": True}}
    return [_ci("AWS::CloudFront::Distribution", arn, acct, "global", dist, None,
                {"application": "site-public"}, conf, {"Tags": []}, state_id=i)]


_AWS_TYPES = _Picker({
    _aws_instance: 12, _aws_volume: 18, _aws_bucket: 8, _aws_rds: 4, _aws_dynamodb: 4, _aws_lambda: 10,
    _aws_role: 8, _aws_messaging("AWS::SNS::Topic", "sns"): 3, _aws_messaging("AWS::SQS::Queue", "sqs"): 3,
    _aws_network("AWS::EC2::SecurityGroup", "sg", "security-group"): 10,
    _aws_network("AWS::EC2::Subnet", "subnet", "subnet"): 5,
    # Config records network interfaces; the knowledge base does not map them (an unmapped type).
    _aws_network("AWS::EC2::NetworkInterface", "eni", "network-interface"): 6,
    _aws_cloudfront: 0.5,
})


def aws_records(n: int, seed: int = SEED) -> Iterator[Record]:
    """Yield exactly ``n`` configuration items (one resource each): keys and log buckets first."""
    rng = random.Random(f"aws:{seed}:{n}")
    org = _AwsOrg(rng, n)
    emitted = 0
    for (acct, region), keys in org.keys.items():
        for slot in range(len(keys)):
            if emitted >= n:
                return
            yield _aws_key(org, rng, acct, region, emitted, slot)
            emitted += 1
    for acct in org.accounts:
        if emitted >= n:
            return
        name = f"ghge-journaux-{acct}"
        yield _ci("AWS::S3::Bucket", f"arn:aws:s3:::{name}", acct, org.log_region, name, name,
                  {"application": "journaux", "DataClassification": "Internal"},
                  {"name": name, "owner": {"displayName": None, "id": acct},
                   "creationDate": "2022-01-10T08:00:00.000Z"},
                  {"ServerSideEncryptionConfiguration": {"rules": [{"applyServerSideEncryptionByDefault": {
                      "sseAlgorithm": "AES256", "kmsMasterKeyID": None}, "bucketKeyEnabled": False}]}},
                  "Regional", state_id=emitted)
        emitted += 1
    accounts = org.accounts
    while emitted < n:
        acct = accounts[rng.randrange(len(accounts))]
        for record in _AWS_TYPES(rng)(org, rng, acct, _AWS_REGIONS(rng), emitted):
            if emitted >= n:
                return
            yield record
            emitted += 1


def write_aws(path: Path, n: int, seed: int = SEED) -> int:
    """Write the snapshot compactly (as AWS delivers it), one item at a time; returns the item count."""
    count = 0
    with path.open("wb", buffering=1 << 20) as fh:
        fh.write(b'{"fileVersion":"1.0","configSnapshotId":"' + _uuid(random.Random(seed)).encode()
                 + b'","configurationItems":[')
        for record in aws_records(n, seed):
            if count:
                fh.write(b",")
            fh.write(orjson.dumps(record))
            count += 1
        fh.write(b"]}")
    return count


# --- GCP Cloud Asset export ---------------------------------------------------------------------

_GCP_REGIONS = _Picker({"europe-west9": 35, "europe-west1": 15, "europe-west3": 10, "europe-west4": 10,
                        "us-central1": 12, "us-east1": 5, "europe-north1": 5, "asia-southeast1": 3,
                        "europe-southwest1": 5})
#: Bucket / BigQuery locations other than single regions: multi-regions and dual-regions.
_GCS_MULTI = _Picker({"EU": 6, "US": 2, "EUR4": 2, "NAM4": 1})
_ORG = "organizations/905512347788"
_FOLDERS = ("folders/583920174655", "folders/583920174656", "folders/583920174657")
_UPDATE = "2026-11-30T02:14:09.281734Z"


class _GcpOrg:
    """Projects (number, id, folder) and Cloud KMS keys of a fictional organisation."""

    def __init__(self, rng: random.Random, n: int):
        count = max(5, min(600, n // 2000))
        self.projects: list[tuple[str, str, str]] = []
        for k in range(count):
            app = _APPS[k % len(_APPS)][0]
            self.projects.append((str(rng.randrange(10**11, 10**12)), f"ghge-{app}-{k:03d}",
                                  _FOLDERS[k % len(_FOLDERS)]))
        # 1 in 20 projects has no Project asset in the export (e.g. no permission on it): their
        # resources keep the project number, which exercises the importer's pending path.
        self.hidden = {p[0] for k, p in enumerate(self.projects) if k % 20 == 19}
        self.announced: set[str] = set()
        self.keys: set[tuple[str, str]] = set()  # (project id, region) whose CryptoKey was written


def _asset(name: str, asset_type: str, number: str, folder: str, data: Record, location: str,
           discovery: str, version: str = "v1") -> Record:
    service = asset_type.split("/", 1)[0]
    return {"name": name, "asset_type": asset_type,
            "resource": {"version": version,
                         "discovery_document_uri": f"https://{service}/$discovery/rest",
                         "discovery_name": discovery,
                         "parent": f"//cloudresourcemanager.googleapis.com/projects/{number}",
                         "data": data, "location": location},
            "ancestors": [f"projects/{number}", folder, _ORG], "update_time": _UPDATE}


def _labels(rng: random.Random, i: int) -> dict[str, str]:
    tags, _, _ = _tags(rng, i)
    # GCP label keys and values are lower case.
    return {k.lower().replace("dataclassification", "data-class"): v.lower() for k, v in tags.items()}


def _gcp_project_asset(number: str, pid: str, folder: str) -> Record:
    data = {"projectNumber": number, "projectId": pid, "lifecycleState": "ACTIVE", "name": pid,
            "labels": {"entite": pid.split("-")[1]}, "createTime": "2024-02-05T10:11:12.345Z",
            "parent": {"type": "folder", "id": folder.split("/")[1]}}
    rec = _asset(f"//cloudresourcemanager.googleapis.com/projects/{number}",
                 "cloudresourcemanager.googleapis.com/Project", number, folder, data, "global", "Project")
    rec["resource"]["parent"] = f"//cloudresourcemanager.googleapis.com/{folder}"
    return rec


def _gcp_key(rng: random.Random, number: str, pid: str, folder: str, region: str, i: int) -> Record:
    name = f"projects/{pid}/locations/{region}/keyRings/ghge/cryptoKeys/cle-{region}"
    level = "EXTERNAL" if i % 10 == 3 else ("HSM" if i % 3 == 0 else "SOFTWARE")
    data = {"name": name, "purpose": "ENCRYPT_DECRYPT", "createTime": "2024-03-01T09:01:44.902361522Z",
            "primary": {"name": f"{name}/cryptoKeyVersions/1", "state": "ENABLED", "protectionLevel": level,
                        "algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION"},
            "versionTemplate": {"protectionLevel": level, "algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION"},
            "labels": _labels(rng, i)}
    return _asset(f"//cloudkms.googleapis.com/{name}", "cloudkms.googleapis.com/CryptoKey", number, folder,
                  data, region, "CryptoKey")


def _gcp_log_bucket(number: str, pid: str, folder: str) -> Record:
    """The project's log bucket, destination of its log sinks."""
    name = f"{pid}-journaux"
    data = {"kind": "storage#bucket", "id": name, "name": name, "projectNumber": number, "location": "EU",
            "locationType": "multi-region", "storageClass": "STANDARD", "labels": {"usage": "journaux"}}
    return _asset(f"//storage.googleapis.com/{name}", "storage.googleapis.com/Bucket", number, folder, data,
                  "eu", "Bucket")


@dataclass(frozen=True)
class _Slot:
    """One generated asset's draw: its index, kind, project, place, labels and CMEK choice."""

    i: int
    kind: str
    number: str
    pid: str
    folder: str
    region: str
    zone: str
    labels: dict[str, str]
    cmek: bool
    out: list[Record]


class _GcpGen:
    """Emits assets for one project at a time; keys and Project assets appear on first use."""

    def __init__(self, rng: random.Random, org: _GcpOrg):
        self.rng = rng
        self.org = org

    def cmek(self, pid: str, region: str, out: list[Record], number: str, folder: str, i: int) -> str:
        """The project's CryptoKey in ``region``; its asset is written just before its first user."""
        name = f"projects/{pid}/locations/{region}/keyRings/ghge/cryptoKeys/cle-{region}"
        if (pid, region) not in self.org.keys:
            self.org.keys.add((pid, region))
            out.append(_gcp_key(self.rng, number, pid, folder, region, i))
        return name

    def make(self, i: int) -> list[Record]:
        rng, org = self.rng, self.org
        number, pid, folder = org.projects[rng.randrange(len(org.projects))]
        out: list[Record] = []
        if number not in org.announced and number not in org.hidden:
            org.announced.add(number)
            out.append(_gcp_project_asset(number, pid, folder))
            out.append(_gcp_log_bucket(number, pid, folder))
        region = _GCP_REGIONS(rng)
        zone = f"{region}-{'abc'[i % 3]}"
        kind = _GCP_TYPES(rng)
        slot = _Slot(i, kind, number, pid, folder, region, zone, _labels(rng, i), rng.random() < 0.25, out)
        self._MAKERS[kind](self, slot)
        return out

    def _instance(self, c: _Slot) -> None:
        rng = self.rng
        i, pid, number, folder, zone, labels, out = (c.i, c.pid, c.number, c.folder, c.zone, c.labels, c.out)
        data: Record = {"id": str(rng.getrandbits(63)), "name": f"vm-{i:07d}",
                        "machineType": f"https://www.googleapis.com/compute/v1/projects/{pid}/zones/{zone}/"
                                       "machineTypes/n2-standard-4",
                        "status": "RUNNING", "zone": f"https://www.googleapis.com/compute/v1/projects/{pid}/"
                                                     f"zones/{zone}",
                        "disks": [{"boot": True, "source": f"https://www.googleapis.com/compute/v1/projects/"
                                                           f"{pid}/zones/{zone}/disks/vm-{i:07d}"}],
                        "labels": labels}
        out.append(_asset(f"//compute.googleapis.com/projects/{pid}/zones/{zone}/instances/vm-{i:07d}",
                          "compute.googleapis.com/Instance", number, folder, data, zone, "Instance"))

    def _disk(self, c: _Slot) -> None:
        rng = self.rng
        i, pid, number, folder = c.i, c.pid, c.number, c.folder
        region, zone, labels, cmek, out = c.region, c.zone, c.labels, c.cmek, c.out
        data = {"id": str(rng.getrandbits(63)), "name": f"disk-{i:07d}",
                "sizeGb": str(rng.choice((10, 50, 100, 500, 2000))), "status": "READY", "type": "pd-balanced",
                "zone": f"https://www.googleapis.com/compute/v1/projects/{pid}/zones/{zone}",
                "labels": labels}
        if cmek:
            key = self.cmek(pid, region, out, number, folder, i)
            data["diskEncryptionKey"] = {"kmsKeyName": f"{key}/cryptoKeyVersions/1"}
        out.append(_asset(f"//compute.googleapis.com/projects/{pid}/zones/{zone}/disks/disk-{i:07d}",
                          "compute.googleapis.com/Disk", number, folder, data, zone, "Disk"))

    def _bucket(self, c: _Slot) -> None:
        rng = self.rng
        i, pid, number, folder = c.i, c.pid, c.number, c.folder
        region, labels, cmek, out = c.region, c.labels, c.cmek, c.out
        name = f"{pid}-donnees-{i:07d}"
        multi = rng.random() < 0.25
        loc = _GCS_MULTI(rng) if multi else region.upper()
        loc_type = ("dual-region" if len(loc) == 4 else "multi-region") if multi else "region"
        data = {"kind": "storage#bucket", "id": name, "name": name, "projectNumber": number, "location": loc,
                "locationType": loc_type, "storageClass": "STANDARD", "etag": "CAE=", "metageneration": "1",
                "timeCreated": "2024-03-04T15:20:11.041Z", "updated": "2026-06-12T08:12:40.771Z",
                "iamConfiguration": {"uniformBucketLevelAccess": {"enabled": True},
                                     "publicAccessPrevention": "enforced"},
                "rpo": "DEFAULT", "labels": labels}
        if multi and loc == "EU" and rng.random() < 0.3:  # configurable dual-region
            data["locationType"] = "dual-region"
            data["customPlacementConfig"] = {"dataLocations": ["EUROPE-WEST9", "EUROPE-WEST3"]}
        if cmek and not multi:
            data["encryption"] = {"defaultKmsKeyName": self.cmek(pid, region, out, number, folder, i)}
        out.append(_asset(f"//storage.googleapis.com/{name}", "storage.googleapis.com/Bucket", number,
                          folder, data, loc.lower(), "Bucket"))

    def _table_or_dataset(self, c: _Slot) -> None:
        rng = self.rng
        i, pid, number, folder = c.i, c.pid, c.number, c.folder
        region, labels, out, kind = c.region, c.labels, c.out, c.kind
        ds = f"donnees_{i // 8:07d}" if kind == "table" else f"jeu_{i:07d}"
        loc = "EU" if rng.random() < 0.3 else region
        name = f"//bigquery.googleapis.com/projects/{pid}/datasets/{ds}"
        data = {"kind": "bigquery#dataset", "id": f"{pid}:{ds}",
                "datasetReference": {"datasetId": ds, "projectId": pid}, "labels": labels, "location": loc,
                "creationTime": "1709283712000", "lastModifiedTime": "1764389221000", "type": "DEFAULT"}
        asset_type, discovery = "bigquery.googleapis.com/Dataset", "Dataset"
        if kind == "table":
            table = f"table_{i:07d}"
            name = f"{name}/tables/{table}"
            data = {"kind": "bigquery#table", "id": f"{pid}:{ds}.{table}",
                    "tableReference": {"projectId": pid, "datasetId": ds, "tableId": table},
                    "numBytes": str(rng.randrange(10**9)), "numRows": str(rng.randrange(10**7)),
                    "location": loc, "labels": labels, "type": "TABLE"}
            asset_type, discovery = "bigquery.googleapis.com/Table", "Table"
        out.append(_asset(name, asset_type, number, folder, data, loc.lower(), discovery, "v2"))

    def _sql(self, c: _Slot) -> None:
        rng = self.rng
        i, pid, number, folder = c.i, c.pid, c.number, c.folder
        region, zone, labels, out = c.region, c.zone, c.labels, c.out
        inst = f"sql-{i:07d}"
        data = {"kind": "sql#instance", "name": inst, "project": pid, "region": region, "gceZone": zone,
                "databaseVersion": "POSTGRES_16", "state": "RUNNABLE", "instanceType": "CLOUD_SQL_INSTANCE",
                "settings": {"tier": "db-custom-4-16384", "dataDiskSizeGb": str(rng.choice((50, 250, 1000))),
                             "backupConfiguration": {"enabled": True, "startTime": "02:00",
                                                     "location": "eu" if region.startswith("europe") else "us",
                                                     "pointInTimeRecoveryEnabled": True},
                             "userLabels": labels}}
        if rng.random() < 0.1:  # a cross-region read replica, exported with its primary
            data["replicaNames"] = [f"{inst}-replica"]
        out.append(_asset(f"//cloudsql.googleapis.com/projects/{pid}/instances/{inst}",
                          "sqladmin.googleapis.com/Instance", number, folder, data, region, "DatabaseInstance",
                          "v1beta4"))
        if "replicaNames" in data:
            replica_region = "europe-west1" if region != "europe-west1" else "europe-west4"
            rdata = {**data, "name": f"{inst}-replica", "region": replica_region,
                     "gceZone": f"{replica_region}-b", "instanceType": "READ_REPLICA_INSTANCE",
                     "masterInstanceName": f"{pid}:{inst}"}
            del rdata["replicaNames"]
            out.append(_asset(f"//cloudsql.googleapis.com/projects/{pid}/instances/{inst}-replica",
                              "sqladmin.googleapis.com/Instance", number, folder, rdata, replica_region,
                              "DatabaseInstance", "v1beta4"))

    def _topic(self, c: _Slot) -> None:
        i, pid, number, folder = c.i, c.pid, c.number, c.folder
        region, labels, cmek, out = c.region, c.labels, c.cmek, c.out
        data = {"name": f"projects/{pid}/topics/evenements-{i:07d}", "labels": labels,
                "messageStoragePolicy": {"allowedPersistenceRegions": [region]}}
        if cmek:
            data["kmsKeyName"] = self.cmek(pid, region, out, number, folder, i)
        out.append(_asset(f"//pubsub.googleapis.com/projects/{pid}/topics/evenements-{i:07d}",
                          "pubsub.googleapis.com/Topic", number, folder, data, "global", "Topic"))

    def _run(self, c: _Slot) -> None:
        i, pid, number, folder, region, labels, out = (c.i, c.pid, c.number, c.folder, c.region, c.labels, c.out)
        svc = f"api-{i:07d}"
        data = {"apiVersion": "serving.knative.dev/v1", "kind": "Service",
                "metadata": {"name": svc, "namespace": number,
                             "labels": {"cloud.googleapis.com/location": region, **labels}},
                "spec": {"template": {"spec": {"containers": [{"image": f"{region}-docker.pkg.dev/{pid}/"
                                                                        f"images/{svc}:1.0"}]}}}}
        out.append(_asset(f"//run.googleapis.com/projects/{pid}/locations/{region}/services/{svc}",
                          "run.googleapis.com/Service", number, folder, data, region, "Service"))

    def _sa(self, c: _Slot) -> None:
        rng = self.rng
        i, pid, number, folder, out = (c.i, c.pid, c.number, c.folder, c.out)
        uid = str(rng.randrange(10**20, 10**21))
        data = {"name": f"projects/{pid}/serviceAccounts/sa-{i:07d}@{pid}.iam.gserviceaccount.com",
                "projectId": pid, "uniqueId": uid, "displayName": f"sa-{i:07d}",
                "email": f"sa-{i:07d}@{pid}.iam.gserviceaccount.com", "oauth2ClientId": uid}
        out.append(_asset(f"//iam.googleapis.com/projects/{pid}/serviceAccounts/{uid}",
                          "iam.googleapis.com/ServiceAccount", number, folder, data, "global", "ServiceAccount"))

    def _firewall(self, c: _Slot) -> None:
        rng = self.rng
        i, pid, number, folder, out = (c.i, c.pid, c.number, c.folder, c.out)
        data = {"id": str(rng.getrandbits(63)), "name": f"fw-{i:07d}", "direction": "INGRESS", "priority": 1000,
                "network": f"https://www.googleapis.com/compute/v1/projects/{pid}/global/networks/vpc-principal",
                "sourceRanges": ["10.0.0.0/8"], "allowed": [{"IPProtocol": "tcp", "ports": ["443"]}]}
        out.append(_asset(f"//compute.googleapis.com/projects/{pid}/global/firewalls/fw-{i:07d}",
                          "compute.googleapis.com/Firewall", number, folder, data, "global", "Firewall"))

    def _sink(self, c: _Slot) -> None:
        """Project log sinks to a bucket in the same project."""
        i, pid, number, folder, out = (c.i, c.pid, c.number, c.folder, c.out)
        data = {"name": f"journaux-{i:07d}", "destination": f"storage.googleapis.com/{pid}-journaux",
                "filter": "severity>=WARNING", "writerIdentity": f"serviceAccount:p{number}-0@gcp-sa-logging"
                                                              ".iam.gserviceaccount.com"}
        out.append(_asset(f"//logging.googleapis.com/projects/{pid}/sinks/journaux-{i:07d}",
                          "logging.googleapis.com/LogSink", number, folder, data, "global", "LogSink"))

    _MAKERS: ClassVar[dict[str, Callable[[_GcpGen, _Slot], None]]] = {
        "instance": _instance,
        "disk": _disk,
        "bucket": _bucket,
        "dataset": _table_or_dataset,
        "table": _table_or_dataset,
        "sql": _sql,
        "topic": _topic,
        "run": _run,
        "sa": _sa,
        "firewall": _firewall,
        "sink": _sink,
    }


_GCP_TYPES = _Picker({"instance": 15, "disk": 18, "bucket": 10, "dataset": 4, "table": 10, "sql": 3,
                      "topic": 6, "run": 6, "sa": 10, "firewall": 10, "sink": 0.3})


def gcp_records(n: int, seed: int = SEED) -> Iterator[Record]:
    """Yield exactly ``n`` assets (one resource each)."""
    rng = random.Random(f"gcp:{seed}:{n}")
    gen = _GcpGen(rng, _GcpOrg(rng, n))
    emitted = 0
    while emitted < n:
        for record in gen.make(emitted):
            if emitted >= n:
                return
            yield record
            emitted += 1


def write_gcp(path: Path, n: int, seed: int = SEED) -> int:
    """Write NDJSON, one asset per line; returns the line count."""
    count = 0
    with path.open("wb", buffering=1 << 20) as fh:
        for record in gcp_records(n, seed):
            fh.write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))
            count += 1
    return count


# --- Terraform state ----------------------------------------------------------------------------

_TF_AWS = 'provider["registry.terraform.io/hashicorp/aws"]'
#: Provider aliases of the root module, one per region (``provider "aws" { alias = "frankfurt" }``).
_TF_ALIASES = {"eu-west-3": "", "eu-central-1": ".frankfurt", "eu-west-1": ".irlande", "us-east-1": ".virginie",
               "us-west-2": ".oregon", "eu-north-1": ".stockholm", "eu-south-1": ".milan",
               "ap-southeast-1": ".singapour", "ca-central-1": ".canada"}
_TF_PRIVATE = "eyJzY2hlbWFfdmVyc2lvbiI6IjEifQ=="


class _TfOrg:
    """Accounts and KMS keys of the estate a state describes (one state for the whole organisation)."""

    def __init__(self, rng: random.Random, n: int):
        self.accounts = [f"{rng.randrange(10**11, 10**12):012d}" for _ in range(max(2, min(50, n // 20000)))]
        self.external = [f"{rng.randrange(10**11, 10**12):012d}" for _ in range(3)]
        self.regions = list(_AWS_REGIONS.values)
        self.keys = {(acct, region): f"arn:aws:kms:{region}:{acct}:key/{_uuid(rng)}"
                     for acct in self.accounts for region in self.regions}
        self.site_buckets: list[tuple[str, str]] = []
        self.databases: list[tuple[str, str, str]] = []  # (arn, account, region) of primaries


def _tf_block(module: str | None, rtype: str, name: str, region: str, instances: list[Record],
              mode: str = "managed") -> Record:
    block: Record = {"mode": mode, "type": rtype, "name": name,
                     "provider": _TF_AWS + _TF_ALIASES.get(region, ""), "instances": instances}
    return {"module": module, **block} if module else block


def _tf_instance(attributes: Record, index: int | str | None = None) -> Record:
    inst: Record = {"schema_version": 0, "attributes": attributes, "sensitive_attributes": [],
                    "private": _TF_PRIVATE}
    return {"index_key": index, **inst} if index is not None else inst


def _tf_tags(rng: random.Random, i: int) -> tuple[dict[str, str], str, str]:
    tags, app, env = _tags(rng, i)
    return {**tags, "managed-by": "terraform"}, app, env


class _TfGen:
    """Terraform resource blocks of one application module at a time.

    Folded configuration blocks (``_TF_FOLDED``) and data sources are written too, as a real
    state holds them; sovscan reads no resource from them.
    """

    def __init__(self, rng: random.Random, org: _TfOrg):
        self.rng = rng
        self.org = org

    def key(self, acct: str, region: str) -> str | None:
        return self.org.keys[acct, region] if self.rng.random() < 0.6 else None

    def instances(self, module: str, acct: str, region: str, i: int, count: int) -> list[Record]:
        rng = self.rng
        tags, app, env = _tf_tags(rng, i)
        out = []
        for k in range(count):
            iid = f"i-0{_hex(rng, 16)}"
            az = f"{region}{'abc'[k % 3]}"
            out.append(_tf_instance({
                "id": iid, "arn": f"arn:aws:ec2:{region}:{acct}:instance/{iid}", "ami": f"ami-0{_hex(rng, 16)}",
                "instance_type": rng.choice(("t3.medium", "m6i.large", "r6i.xlarge")), "availability_zone": az,
                "subnet_id": f"subnet-0{_hex(rng, 16)}", "private_ip": f"10.{i % 250}.{k % 250}.{i % 200 + 10}",
                "vpc_security_group_ids": [f"sg-0{_hex(rng, 16)}"], "monitoring": False,
                "root_block_device": [{"encrypted": True, "kms_key_id": self.org.keys[acct, region],
                                       "volume_size": 50, "volume_type": "gp3", "delete_on_termination": True}],
                "metadata_options": [{"http_tokens": "required", "http_endpoint": "enabled"}],
                "tags": {**tags, "Name": f"{app}-{env}-{k}"}, "tags_all": {**tags, "Name": f"{app}-{env}-{k}"}},
                k))
        return out

    def volumes(self, acct: str, region: str, i: int, count: int) -> list[Record]:
        rng = self.rng
        tags = _tf_tags(rng, i)[0]
        out = []
        for k in range(count):
            vid = f"vol-0{_hex(rng, 16)}"
            key = self.key(acct, region)
            out.append(_tf_instance({
                "id": vid, "arn": f"arn:aws:ec2:{region}:{acct}:volume/{vid}",
                "availability_zone": f"{region}{'abc'[k % 3]}", "encrypted": key is not None or rng.random() < 0.5,
                "kms_key_id": key or "", "size": rng.choice((8, 30, 100, 500)), "type": "gp3", "iops": 3000,
                "tags": tags, "tags_all": tags}, k))
        return out

    def make(self, i: int) -> list[Record]:
        """One application's module in one account and region."""
        rng, org = self.rng, self.org
        acct = org.accounts[rng.randrange(len(org.accounts))]
        region = _AWS_REGIONS(rng)
        tags, app, env = _tf_tags(rng, i)
        module = f"module.{app.replace('-', '_')}_{env}_{i:07d}"
        blocks: list[Record] = [
            _tf_block(module, "aws_caller_identity", "current", region, [_tf_instance(
                {"id": acct, "account_id": acct, "arn": f"arn:aws:iam::{acct}:user/terraform",
                 "user_id": f"AIDA{_hex(rng, 16).upper()}"})], "data")]
        n_vm = rng.choice((0, 1, 2, 3, 4, 6))
        if n_vm:
            blocks.append(_tf_block(module, "aws_instance", "app", region, self.instances(module, acct, region, i,
                                                                                         n_vm)))
            blocks.append(_tf_block(module, "aws_ebs_volume", "donnees", region, self.volumes(acct, region, i,
                                                                                             n_vm)))
        sg = f"sg-0{_hex(rng, 16)}"
        blocks.append(_tf_block(module, "aws_security_group", "app", region, [_tf_instance({
            "id": sg, "arn": f"arn:aws:ec2:{region}:{acct}:security-group/{sg}", "name": f"{app}-{env}",
            "vpc_id": f"vpc-0{_hex(rng, 16)}", "owner_id": acct, "tags": tags, "tags_all": tags,
            "ingress": [{"from_port": 443, "to_port": 443, "protocol": "tcp", "cidr_blocks": ["10.0.0.0/8"]}]})]))
        self.bucket(blocks, module, acct, region, app, env, tags, i)
        role = f"{app}-{env}-{i:07d}"
        principal: Record = ({"AWS": f"arn:aws:iam::{org.external[i % len(org.external)]}:root"}
                             if rng.random() < 0.1 else {"Service": "lambda.amazonaws.com"})
        blocks.append(_tf_block(module, "aws_iam_role", "execution", region, [_tf_instance({
            "id": role, "arn": f"arn:aws:iam::{acct}:role/{role}", "name": role, "path": "/",
            "unique_id": f"AROA{_hex(rng, 16).upper()}", "max_session_duration": 3600,
            "assume_role_policy": orjson.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]}).decode(),
            "tags": tags, "tags_all": tags})]))
        blocks.append(_tf_block(module, "aws_iam_role_policy_attachment", "lecture", region, [_tf_instance({
            "id": f"{role}-ro", "role": role, "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})]))
        roll = rng.random()
        if roll < 0.5:
            fn = f"{app}-{env}-{i:07d}"
            blocks.append(_tf_block(module, "aws_lambda_function", "traitement", region, [_tf_instance({
                "id": fn, "arn": f"arn:aws:lambda:{region}:{acct}:function:{fn}", "function_name": fn,
                "role": f"arn:aws:iam::{acct}:role/{role}", "runtime": "python3.12", "handler": "app.handler",
                "memory_size": 512, "timeout": 60, "kms_key_arn": self.key(acct, region) or "",
                "tags": tags, "tags_all": tags})]))
        if roll > 0.3:
            for service, rtype in (("sqs", "aws_sqs_queue"), ("sns", "aws_sns_topic")):
                name = f"{app}-{env}-{i:07d}"
                arn = f"arn:aws:{service}:{region}:{acct}:{name}"
                attributes: Record = {"id": arn if service == "sns" else f"https://sqs.{region}.amazonaws.com/"
                                      f"{acct}/{name}", "arn": arn, "name": name,
                                      "kms_master_key_id": f"alias/aws/{service}", "tags": tags, "tags_all": tags}
                blocks.append(_tf_block(module, rtype, "evenements", region, [_tf_instance(attributes)]))
        if rng.random() < 0.3:
            self.database(blocks, module, acct, region, app, env, tags, i)
        if rng.random() < 0.15:
            table = f"{app}-{env}-{i:07d}"
            key = self.key(acct, region)
            replicas = ([{"region_name": "eu-central-1" if region != "eu-central-1" else "eu-west-3",
                          "kms_key_arn": "", "point_in_time_recovery": False, "propagate_tags": False}]
                        if rng.random() < 0.1 else [])
            blocks.append(_tf_block(module, "aws_dynamodb_table", "etat", region, [_tf_instance({
                "id": table, "arn": f"arn:aws:dynamodb:{region}:{acct}:table/{table}", "name": table,
                "billing_mode": "PAY_PER_REQUEST", "hash_key": "pk",
                "attribute": [{"name": "pk", "type": "S"}], "replica": replicas,
                "server_side_encryption": [{"enabled": True, "kms_key_arn": key}] if key else [],
                "tags": tags, "tags_all": tags})]))
        if org.site_buckets and rng.random() < 0.02:
            bucket, bucket_region = org.site_buckets[rng.randrange(len(org.site_buckets))]
            dist = f"E{_hex(rng, 13).upper()}"
            origin = f"{bucket}.s3.{bucket_region}.amazonaws.com"
            blocks.append(_tf_block(module, "aws_cloudfront_distribution", "site", region, [_tf_instance({
                "id": dist, "arn": f"arn:aws:cloudfront::{acct}:distribution/{dist}", "enabled": True,
                "domain_name": f"d{_hex(rng, 12)}.cloudfront.net", "price_class": "PriceClass_100",
                "origin": [{"domain_name": origin, "origin_id": origin, "origin_path": ""}],
                "tags": tags, "tags_all": tags})]))
        return blocks

    def bucket(self, blocks: list[Record], module: str, acct: str, region: str, app: str, env: str,
               tags: dict[str, str], i: int) -> None:
        """A bucket with its split-out configuration (AWS provider v4+); 1 in 5 replicated elsewhere."""
        rng = self.rng
        name = f"ghge-{app}-{env}-{i:07d}"
        blocks.append(_tf_block(module, "aws_s3_bucket", "donnees", region, [_tf_instance(self._bucket(
            name, acct, region, tags))]))
        key = self.key(acct, region)
        default = {"sse_algorithm": "aws:kms", "kms_master_key_id": key} if key else \
            {"sse_algorithm": "AES256", "kms_master_key_id": ""}
        blocks.append(_tf_block(module, "aws_s3_bucket_server_side_encryption_configuration", "donnees", region, [
            _tf_instance({"id": name, "bucket": name, "expected_bucket_owner": "", "region": region,
                          "rule": [{"apply_server_side_encryption_by_default": [default],
                                    "bucket_key_enabled": True}]})]))
        blocks.append(_tf_block(module, "aws_s3_bucket_versioning", "donnees", region, [_tf_instance({
            "id": name, "bucket": name, "region": region,
            "versioning_configuration": [{"status": "Enabled", "mfa_delete": ""}]})]))
        if app == "site-public" and len(self.org.site_buckets) < 1000:
            self.org.site_buckets.append((name, region))
        if rng.random() < 0.2:
            dest_region = "us-east-1" if rng.random() < 0.3 else ("eu-central-1" if region != "eu-central-1"
                                                                  else "eu-west-3")
            dest = f"{name}-dr"
            blocks.append(_tf_block(module, "aws_s3_bucket_replication_configuration", "pra", region, [
                _tf_instance({"id": name, "bucket": name, "region": region,
                              "role": f"arn:aws:iam::{acct}:role/ghge-s3-replication",
                              "rule": [{"id": "pra", "status": "Enabled", "priority": 1,
                                        "filter": [{"prefix": ""}],
                                        "delete_marker_replication": [{"status": "Disabled"}],
                                        "destination": [{"bucket": f"arn:aws:s3:::{dest}",
                                                         "storage_class": "STANDARD_IA"}]}]})]))
            if rng.random() < 0.5:  # the copy is managed in the same state
                blocks.append(_tf_block(module, "aws_s3_bucket", "pra", dest_region, [_tf_instance(self._bucket(
                    dest, acct, dest_region, tags))]))

    @staticmethod
    def _bucket(name: str, acct: str, region: str, tags: dict[str, str]) -> Record:
        return {"id": name, "arn": f"arn:aws:s3:::{name}", "bucket": name, "region": region,
                "bucket_domain_name": f"{name}.s3.amazonaws.com",
                "bucket_regional_domain_name": f"{name}.s3.{region}.amazonaws.com",
                "hosted_zone_id": "Z3R1K369G5AVDG", "force_destroy": False, "object_lock_enabled": False,
                "request_payer": "BucketOwner", "tags": tags, "tags_all": tags}

    def database(self, blocks: list[Record], module: str, acct: str, region: str, app: str, env: str,
                 tags: dict[str, str], i: int) -> None:
        """An RDS instance; 1 in 10 has a read replica in another region."""
        rng = self.rng
        ident = f"{app}-{env}-{i:07d}"
        arn = f"arn:aws:rds:{region}:{acct}:db:{ident}"
        encrypted = rng.random() < 0.9

        def attributes(db_ident: str, db_arn: str, db_region: str, source: str) -> Record:
            return {"id": f"db-{_hex(rng, 26).upper()}", "arn": db_arn, "identifier": db_ident,
                    "engine": ("postgres", "mysql", "oracle-ee")[i % 3], "engine_version": "16.4",
                    "instance_class": "db.r6g.xlarge", "allocated_storage": rng.choice((20, 100, 500)),
                    "storage_encrypted": encrypted, "storage_type": "gp3",
                    "kms_key_id": self.org.keys[acct, db_region] if encrypted else "",
                    "availability_zone": f"{db_region}a", "multi_az": rng.random() < 0.5,
                    "backup_retention_period": 14, "replicate_source_db": source, "username": "admin_app",
                    "endpoint": f"{db_ident}.c9akciq32.{db_region}.rds.amazonaws.com:5432",
                    "tags": tags, "tags_all": tags}

        blocks.append(_tf_block(module, "aws_db_instance", "principale", region,
                                [_tf_instance(attributes(ident, arn, region, ""))]))
        if rng.random() < 0.1:
            replica_region = "eu-central-1" if region != "eu-central-1" else "eu-west-1"
            rident = f"{ident}-replica"
            blocks.append(_tf_block(module, "aws_db_instance", "replique", replica_region, [_tf_instance(
                attributes(rident, f"arn:aws:rds:{replica_region}:{acct}:db:{rident}", replica_region, arn))]))


def _tf_keys(org: _TfOrg) -> Iterator[Record]:
    """The shared-services module: a customer key per region (``for_each`` over the accounts)."""
    for region in org.regions:
        instances = []
        for acct in org.accounts:
            arn = org.keys[acct, region]
            key_id = arn.rsplit("/", 1)[1]
            instances.append(_tf_instance({
                "id": key_id, "arn": arn, "key_id": key_id, "description": f"cle socle {acct} {region}",
                "key_usage": "ENCRYPT_DECRYPT", "customer_master_key_spec": "SYMMETRIC_DEFAULT",
                "enable_key_rotation": True, "is_enabled": True, "multi_region": False,
                "deletion_window_in_days": 30, "custom_key_store_id": "", "xks_key_id": "",
                "tags": {"application": "socle"}, "tags_all": {"application": "socle"}}, acct))
        yield _tf_block("module.socle", "aws_kms_key", f"cle_{region.replace('-', '_')}", region, instances)


def terraform_blocks(n: int, seed: int = SEED) -> Iterator[tuple[Record, int]]:
    """Yield ``(resource block, resources it holds)`` until exactly ``n`` resources are held."""
    rng = random.Random(f"terraform:{seed}:{n}")
    org = _TfOrg(rng, n)
    gen = _TfGen(rng, org)
    held = 0
    modules = itertools.chain(_tf_keys(org), itertools.chain.from_iterable(map(gen.make, itertools.count())))
    for block in modules:
        worth = 0 if block["mode"] == "data" or block["type"] in _TF_FOLDED else len(block["instances"])
        if held + worth > n:  # trim the last block so that the total is exact
            block["instances"] = block["instances"][:n - held]
            worth = n - held
        if held >= n and not worth:
            return
        yield block, worth
        held += worth


#: Blocks that configure a resource of their own module rather than being one (sovscan folds them).
_TF_FOLDED = frozenset({"aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_versioning",
                        "aws_s3_bucket_replication_configuration", "aws_iam_role_policy_attachment"})


def write_terraform(path: Path, n: int, seed: int = SEED) -> int:
    """Write a raw state (version 4) as ``terraform state pull`` prints it; returns the block count."""
    rng = random.Random(f"terraform-header:{seed}")
    count = 0
    with path.open("wb", buffering=1 << 20) as fh:
        head = orjson.dumps({"version": 4, "terraform_version": "1.9.8", "serial": 4182, "lineage": _uuid(rng),
                             "outputs": {}}, option=orjson.OPT_INDENT_2)
        fh.write(head[:-2] + b',\n  "resources": [\n')
        for block, _ in terraform_blocks(n, seed):
            if count:
                fh.write(b",\n")
            fh.write(b"    " + orjson.dumps(block, option=orjson.OPT_INDENT_2).replace(b"\n", b"\n    "))
            count += 1
        fh.write(b'\n  ],\n  "check_results": null\n}\n')
    return count


# --- Azure Resource Graph -----------------------------------------------------------------------

_AZ_REGIONS = _Picker({"francecentral": 35, "westeurope": 18, "northeurope": 10, "germanywestcentral": 8,
                       "eastus": 8, "swedencentral": 5, "uksouth": 4, "francesouth": 4, "westus2": 3,
                       "southeastasia": 2, "switzerlandnorth": 3})
#: Where Azure keeps the secondary copy of geo-redundant storage (the region pairs).
_AZ_PAIRS = {"francecentral": "francesouth", "francesouth": "francecentral", "westeurope": "northeurope",
             "northeurope": "westeurope", "germanywestcentral": "germanynorth", "eastus": "westus",
             "swedencentral": "swedensouth", "uksouth": "ukwest", "westus2": "westcentralus",
             "southeastasia": "eastasia", "switzerlandnorth": "switzerlandwest"}
_AZ_STORAGE_SKUS = _Picker({"Standard_LRS": 35, "Standard_ZRS": 25, "Standard_GRS": 20, "Standard_RAGRS": 12,
                            "Standard_GZRS": 5, "Premium_LRS": 3})
_AZ_CREATED = "2024-03-11T08:21:37.1234567Z"


class _AzureOrg:
    """Tenant, subscriptions, Key Vaults and disk encryption sets of a fictional Azure estate."""

    def __init__(self, rng: random.Random, n: int):
        self.tenant = _uuid(rng)
        self.subscriptions = [_uuid(rng) for _ in range(max(4, min(200, n // 5000)))]
        self.regions = list(_AZ_REGIONS.values)
        #: (subscription, region) → (vault id, vault URI, disk encryption set id); written first.
        self.vaults: dict[tuple[str, str], tuple[str, str, str]] = {}
        for sub in self.subscriptions:
            short = sub[:8]
            for region in self.regions:
                rg = f"/subscriptions/{sub}/resourceGroups/rg-securite-{region}"
                name = f"kv-{short}-{region}"[:24]
                self.vaults[sub, region] = (
                    f"{rg}/providers/Microsoft.KeyVault/vaults/{name}", f"https://{name}.vault.azure.net/",
                    f"{rg}/providers/Microsoft.Compute/diskEncryptionSets/des-{short}-{region}")
        self.servers: dict[str, list[tuple[str, str, str]]] = {}  # subscription → (server id, name, region)
        self.vnets: list[tuple[str, str]] = []  # (id, region), peering targets


def _arm(org: _AzureOrg, sub: str, rg: str, rtype: str, name: str, location: str, tags: dict[str, str],
         props: Record, sku: Record | None = None, kind: str = "", zones: list[str] | None = None,
         managed_by: str = "", identity: Record | None = None) -> Record:
    """One ``az graph query`` row (the Resources table): ARM id, lower-case type, ``properties``."""
    return {
        "id": f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{rtype}/{name}", "name": name.rsplit("/", 1)[-1],
        "type": rtype.lower(), "tenantId": org.tenant, "kind": kind, "location": location,
        "resourceGroup": rg.lower(), "subscriptionId": sub, "managedBy": managed_by, "sku": sku, "plan": None,
        "properties": props, "tags": tags, "identity": identity, "zones": zones, "extendedLocation": None,
    }


def _azure_vault(org: _AzureOrg, rng: random.Random, sub: str, region: str, i: int) -> list[Record]:
    vault_id, uri, des_id = org.vaults[sub, region]
    rg = vault_id.split("/")[4]
    premium = rng.random() < 0.3
    vault = _arm(org, sub, rg, "Microsoft.KeyVault/vaults", vault_id.rsplit("/", 1)[1], region,
                 {"application": "securite", "DataClassification": "Internal"},
                 {"sku": {"family": "A", "name": "premium" if premium else "standard"}, "tenantId": org.tenant,
                  "vaultUri": uri, "enableSoftDelete": True, "softDeleteRetentionInDays": 90,
                  "enablePurgeProtection": True, "enableRbacAuthorization": True, "provisioningState": "Succeeded",
                  "publicNetworkAccess": "Disabled"})
    des = _arm(org, sub, rg, "Microsoft.Compute/diskEncryptionSets", des_id.rsplit("/", 1)[1], region,
               {"application": "securite"},
               {"activeKey": {"keyUrl": f"{uri}keys/cle-disques/{_hex(rng, 32)}",
                              "sourceVault": {"id": vault_id}},
                "encryptionType": "EncryptionAtRestWithCustomerKey", "provisioningState": "Succeeded"},
               identity={"type": "SystemAssigned", "principalId": _uuid(rng), "tenantId": org.tenant})
    return [vault, des]


def _azure_rg(app: str, env: str, region: str) -> str:
    return f"rg-{app}-{env}-{region}"


def _azure_storage(org: _AzureOrg, rng: random.Random, sub: str, region: str, i: int) -> list[Record]:
    tags, app, env = _tags(rng, i)
    name = f"st{app.replace('-', '')[:10]}{i:07d}"[:24]
    sku = _AZ_STORAGE_SKUS(rng)
    geo = "GRS" in sku
    props: Record = {
        "accessTier": "Hot", "allowBlobPublicAccess": False, "minimumTlsVersion": "TLS1_2",
        "creationTime": _AZ_CREATED, "primaryLocation": region, "statusOfPrimary": "available",
        "supportsHttpsTrafficOnly": True, "provisioningState": "Succeeded",
        "networkAcls": {"bypass": "AzureServices", "defaultAction": "Deny", "ipRules": [], "virtualNetworkRules": []},
        "primaryEndpoints": {"blob": f"https://{name}.blob.core.windows.net/",
                             "dfs": f"https://{name}.dfs.core.windows.net/"},
        "encryption": {"keySource": "Microsoft.Storage", "requireInfrastructureEncryption": False,
                       "services": {"blob": {"enabled": True, "keyType": "Account"},
                                    "file": {"enabled": True, "keyType": "Account"}}},
    }
    if geo:
        props["secondaryLocation"] = _AZ_PAIRS[region]
        props["statusOfSecondary"] = "available"
    if rng.random() < 0.2:  # customer-managed key in the subscription's vault for the region
        props["encryption"]["keySource"] = "Microsoft.Keyvault"
        props["encryption"]["keyvaultproperties"] = {"keyname": f"cmk-{app}", "keyversion": "",
                                                     "keyvaulturi": org.vaults[sub, region][1]}
    return [_arm(org, sub, _azure_rg(app, env, region), "Microsoft.Storage/storageAccounts", name, region, tags,
                 props, {"name": sku, "tier": sku.split("_")[0]}, "StorageV2")]


def _azure_disk(org: _AzureOrg, rng: random.Random, sub: str, region: str, i: int) -> list[Record]:
    tags, app, env = _tags(rng, i)
    size = rng.choice((32, 64, 128, 256, 512, 1024, 4096))
    encryption: Record = {"type": "EncryptionAtRestWithPlatformKey"}
    if rng.random() < 0.2:
        encryption = {"type": "EncryptionAtRestWithCustomerKey", "diskEncryptionSetId": org.vaults[sub, region][2]}
    sku = rng.choice(("Premium_LRS", "StandardSSD_LRS", "Premium_ZRS", "Standard_LRS"))
    props = {"creationData": {"createOption": "FromImage"}, "diskSizeGB": size, "diskState": "Attached",
             "encryption": encryption, "timeCreated": _AZ_CREATED, "provisioningState": "Succeeded",
             "diskIOPSReadWrite": 500, "networkAccessPolicy": "DenyAll", "publicNetworkAccess": "Disabled"}
    return [_arm(org, sub, _azure_rg(app, env, region), "Microsoft.Compute/disks", f"disk-{app}-{i:07d}", region,
                 tags, props, {"name": sku, "tier": sku.split("_")[0]}, zones=[str(i % 3 + 1)])]


def _azure_vm(org: _AzureOrg, rng: random.Random, sub: str, region: str, i: int) -> list[Record]:
    tags, app, env = _tags(rng, i)
    rg = _azure_rg(app, env, region)
    name = f"vm-{app}-{i:07d}"
    base = f"/subscriptions/{sub}/resourceGroups/{rg}/providers"
    props = {"vmId": _uuid(rng), "provisioningState": "Succeeded",
             "hardwareProfile": {"vmSize": rng.choice(("Standard_D4s_v5", "Standard_E8s_v5", "Standard_B2ms"))},
             "storageProfile": {"osDisk": {"osType": "Linux", "name": f"{name}-os", "createOption": "FromImage",
                                           "managedDisk": {"id": f"{base}/Microsoft.Compute/disks/{name}-os"}},
                                "imageReference": {"publisher": "Canonical", "offer": "ubuntu-24_04-lts",
                                                   "sku": "server", "version": "latest"}},
             "networkProfile": {"networkInterfaces": [{"id": f"{base}/Microsoft.Network/networkInterfaces/"
                                                             f"{name}-nic"}]},
             "osProfile": {"computerName": name[:15], "adminUsername": "azureuser"}}
    return [_arm(org, sub, rg, "Microsoft.Compute/virtualMachines", name, region, tags, props, zones=[str(i % 3 + 1)],
                 identity={"type": "SystemAssigned", "principalId": _uuid(rng), "tenantId": org.tenant})]


def _azure_network(rtype: str, prefix: str) -> Callable[..., list[Record]]:
    def make(org: _AzureOrg, rng: random.Random, sub: str, region: str, i: int) -> list[Record]:
        tags, app, env = _tags(rng, i)
        props: Record = {"provisioningState": "Succeeded", "resourceGuid": _uuid(rng)}
        if prefix == "nic":
            props["ipConfigurations"] = [{"name": "ipconfig1", "properties": {
                "privateIPAddress": f"10.{i % 250}.{(i // 250) % 250}.{i % 200 + 10}",
                "privateIPAllocationMethod": "Dynamic"}}]
        elif prefix == "pip":
            props["publicIPAllocationMethod"] = "Static"
            props["ipAddress"] = f"20.{i % 250}.{(i // 250) % 250}.{i % 200 + 10}"
        elif prefix == "nsg":
            props["securityRules"] = [{"name": "https", "properties": {
                "protocol": "Tcp", "destinationPortRange": "443", "access": "Allow", "direction": "Inbound",
                "priority": 100, "sourceAddressPrefix": "10.0.0.0/8"}}]
        return [_arm(org, sub, _azure_rg(app, env, region), rtype, f"{prefix}-{app}-{i:07d}", region, tags, props,
                     {"name": "Standard", "tier": "Regional"} if prefix == "pip" else None)]
    return make


def _azure_vnet(org: _AzureOrg, rng: random.Random, sub: str, region: str, i: int) -> list[Record]:
    tags, app, env = _tags(rng, i)
    rg = _azure_rg(app, env, region)
    name = f"vnet-{app}-{i:07d}"
    rid = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{name}"
    peerings = []
    if org.vnets and rng.random() < 0.15:  # hub-and-spoke peering to an earlier network
        remote, _ = org.vnets[rng.randrange(len(org.vnets))]
        peerings.append({"name": f"peer-{i:07d}", "id": f"{rid}/virtualNetworkPeerings/peer-{i:07d}",
                         "properties": {"peeringState": "Connected", "allowVirtualNetworkAccess": True,
                                        "remoteVirtualNetwork": {"id": remote}}})
    if len(org.vnets) < 2000:
        org.vnets.append((rid, region))
    props = {"addressSpace": {"addressPrefixes": [f"10.{i % 250}.0.0/16"]}, "provisioningState": "Succeeded",
             "subnets": [{"name": "default", "properties": {"addressPrefix": f"10.{i % 250}.0.0/24"}}],
             "virtualNetworkPeerings": peerings, "enableDdosProtection": False}
    return [_arm(org, sub, rg, "Microsoft.Network/virtualNetworks", name, region, tags, props)]


def _azure_sql(org: _AzureOrg, rng: random.Random, sub: str, region: str, i: int) -> list[Record]:
    """A SQL database on an existing server of the subscription (or a new server first)."""
    tags, app, env = _tags(rng, i)
    servers = org.servers.setdefault(sub, [])
    out: list[Record] = []
    if not servers or rng.random() < 0.25:
        name = f"sql-{app}-{i:07d}"
        props: Record = {"administratorLogin": "sqladmin", "version": "12.0", "state": "Ready",
                         "fullyQualifiedDomainName": f"{name}.database.windows.net", "publicNetworkAccess": "Disabled",
                         "minimalTlsVersion": "1.2"}
        if rng.random() < 0.2:  # TDE protector in Key Vault
            props["keyId"] = f"{org.vaults[sub, region][1]}keys/tde-{app}/{_hex(rng, 32)}"
        out.append(_arm(org, sub, _azure_rg(app, env, region), "Microsoft.Sql/servers", name, region, tags, props,
                        kind="v12.0"))
        servers.append((out[0]["id"], name, region))
    server_id, server, server_region = servers[rng.randrange(len(servers))]
    rg = server_id.split("/")[4]
    redundancy = "Geo" if rng.random() < 0.4 else rng.choice(("Local", "Zone"))
    db = f"db-{app}-{i:07d}"
    props = {"collation": "SQL_Latin1_General_CP1_CI_AS", "maxSizeBytes": 34359738368, "status": "Online",
             "databaseId": _uuid(rng), "creationDate": _AZ_CREATED, "currentServiceObjectiveName": "GP_Gen5_4",
             "currentBackupStorageRedundancy": redundancy, "requestedBackupStorageRedundancy": redundancy,
             "zoneRedundant": False, "readScale": "Disabled"}
    out.append(_arm(org, sub, rg, "Microsoft.Sql/servers/databases", f"{server}/databases/{db}", server_region, tags,
                    props,
                    {"name": "GP_Gen5", "tier": "GeneralPurpose", "family": "Gen5", "capacity": 4}, "v12.0,user,vcore"))
    return out


def _azure_cosmos(org: _AzureOrg, rng: random.Random, sub: str, region: str, i: int) -> list[Record]:
    tags, app, env = _tags(rng, i)
    name = f"cosmos-{app}-{i:07d}"
    locations = [{"locationName": region, "failoverPriority": 0, "isZoneRedundant": False}]
    if rng.random() < 0.3:  # a second region for availability
        locations.append({"locationName": _AZ_PAIRS[region], "failoverPriority": 1, "isZoneRedundant": False})
    props: Record = {"databaseAccountOfferType": "Standard",
                     "consistencyPolicy": {"defaultConsistencyLevel": "Session"}, "locations": locations,
                     "writeLocations": locations[:1], "readLocations": locations,
                     "enableAutomaticFailover": len(locations) > 1, "provisioningState": "Succeeded",
                     "publicNetworkAccess": "Disabled"}
    if rng.random() < 0.15:
        props["keyVaultKeyUri"] = f"{org.vaults[sub, region][1]}keys/cmk-{app}"
    return [_arm(org, sub, _azure_rg(app, env, region), "Microsoft.DocumentDB/databaseAccounts", name, region, tags,
                 props, kind="GlobalDocumentDB")]


def _azure_recovery(org: _AzureOrg, rng: random.Random, sub: str, region: str, i: int) -> list[Record]:
    tags, app, env = _tags(rng, i)
    redundancy = "GeoRedundant" if rng.random() < 0.6 else "LocallyRedundant"
    props = {"provisioningState": "Succeeded", "redundancySettings": {
        "standardTierStorageRedundancy": redundancy, "crossRegionRestore": "Disabled"}}
    return [_arm(org, sub, _azure_rg(app, env, region), "Microsoft.RecoveryServices/vaults", f"rsv-{app}-{i:07d}",
                 region, tags, props, {"name": "RS0", "tier": "Standard"})]


def _azure_web(org: _AzureOrg, rng: random.Random, sub: str, region: str, i: int) -> list[Record]:
    tags, app, env = _tags(rng, i)
    rg = _azure_rg(app, env, region)
    function = rng.random() < 0.4
    name = f"{'func' if function else 'app'}-{app}-{i:07d}"
    props = {"state": "Running", "hostNames": [f"{name}.azurewebsites.net"], "httpsOnly": True,
             "serverFarmId": f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Web/serverfarms/"
                             f"asp-{app}-{env}", "siteConfig": {"linuxFxVersion": "PYTHON|3.12"}}
    return [_arm(org, sub, rg, "Microsoft.Web/sites", name, region, tags, props,
                 kind="functionapp,linux" if function else "app,linux")]


def _azure_simple(rtype: str, prefix: str, kind: str = "", sku: Record | None = None,
                  location: str | None = None) -> Callable[..., list[Record]]:
    def make(org: _AzureOrg, rng: random.Random, sub: str, region: str, i: int) -> list[Record]:
        tags, app, env = _tags(rng, i)
        props = {"provisioningState": "Succeeded", "createdTime": _AZ_CREATED}
        return [_arm(org, sub, _azure_rg(app, env, region), rtype, f"{prefix}-{app}-{i:07d}", location or region,
                     tags, props, sku, kind)]
    return make


_AZURE_TYPES = _Picker({
    _azure_disk: 16, _azure_vm: 11, _azure_network("Microsoft.Network/networkInterfaces", "nic"): 11,
    _azure_network("Microsoft.Network/networkSecurityGroups", "nsg"): 8,
    _azure_network("Microsoft.Network/publicIPAddresses", "pip"): 4, _azure_vnet: 4, _azure_storage: 10,
    _azure_sql: 7, _azure_cosmos: 2, _azure_recovery: 1.5, _azure_web: 8,
    _azure_simple("Microsoft.Web/serverFarms", "asp", "linux", {"name": "P1v3", "tier": "PremiumV3"}): 3,
    _azure_simple("Microsoft.ContainerService/managedClusters", "aks", "", {"name": "Base", "tier": "Standard"}): 1,
    _azure_simple("Microsoft.OperationalInsights/workspaces", "log"): 1,
    _azure_simple("Microsoft.Insights/components", "appi", "web"): 2,
    _azure_simple("Microsoft.Cdn/profiles", "afd", "frontdoor", {"name": "Premium_AzureFrontDoor"}, "global"): 0.3,
})


def azure_records(n: int, seed: int = SEED) -> Iterator[Record]:
    """Yield exactly ``n`` Resource Graph rows (one resource each): vaults and encryption sets first."""
    rng = random.Random(f"azure:{seed}:{n}")
    org = _AzureOrg(rng, n)
    emitted = 0
    for sub, region in org.vaults:
        for record in _azure_vault(org, rng, sub, region, emitted):
            if emitted >= n:
                return
            yield record
            emitted += 1
    subs = org.subscriptions
    while emitted < n:
        sub = subs[rng.randrange(len(subs))]
        for record in _AZURE_TYPES(rng)(org, rng, sub, _AZ_REGIONS(rng), emitted):
            if emitted >= n:
                return
            yield record
            emitted += 1


def write_azure(path: Path, n: int, seed: int = SEED) -> int:
    """Write ``az graph query`` output as the CLI prints it (indented, keys sorted), one row at a time.

    The CLI returns at most 1,000 rows per call; an organisation's export is its pages joined into
    one ``data`` list, with ``skip_token`` null once the last page is read.
    """
    count = 0
    with path.open("wb", buffering=1 << 20) as fh:
        fh.write(b'{\n  "count": ' + str(n).encode() + b',\n  "data": [\n')
        for record in azure_records(n, seed):
            if count:
                fh.write(b",\n")
            fh.write(b"    " + orjson.dumps(record, option=orjson.OPT_INDENT_2).replace(b"\n", b"\n    "))
            count += 1
        fh.write(b'\n  ],\n  "skip_token": null,\n  "total_records": ' + str(count).encode() + b"\n}\n")
    return count



def sample_id(fmt: str, n: int, seed: int = SEED) -> str:
    """The id sovscan gives the first storage resource kept in more than one place: replicated, geo-redundant
    or multi-region (``explain`` asks about it)."""
    if fmt == "aws":
        return next(r["ARN"] for r in aws_records(n, seed) if r["resourceType"] == "AWS::S3::Bucket"
                    and "BucketReplicationConfiguration" in r["supplementaryConfiguration"])
    if fmt == "gcp":
        return next(f"//storage.googleapis.com/projects/_/buckets/{r['resource']['data']['name']}"
                    for r in gcp_records(n, seed) if r["asset_type"] == "storage.googleapis.com/Bucket"
                    and r["resource"]["data"]["locationType"] != "region"
                    and not r["resource"]["data"]["name"].endswith("-journaux"))
    if fmt == "terraform":
        return next(f"arn:aws:s3:::{b['instances'][0]['attributes']['bucket']}" for b, _ in terraform_blocks(n, seed)
                    if b["type"] == "aws_s3_bucket_replication_configuration")
    return next(r["id"].lower() for r in azure_records(n, seed) if r["type"] == "microsoft.storage/storageaccounts"
                and "GRS" in r["sku"]["name"])

# --- cache --------------------------------------------------------------------------------------

WRITERS: dict[str, tuple[str, Callable[[Path, int, int], int]]] = {
    "aws": ("aws-config-snapshot-{n}.json", write_aws),
    "gcp": ("gcp-asset-export-{n}.ndjson", write_gcp),
    "terraform": ("terraform-state-{n}.tfstate", write_terraform),
    "azure": ("azure-resource-graph-{n}.json", write_azure),
}


def path_for(fmt: str, n: int, data_dir: Path = DATA_DIR) -> Path:
    return data_dir / WRITERS[fmt][0].format(n=n)


def ensure(fmt: str, n: int, data_dir: Path = DATA_DIR, seed: int = SEED,
           log: Callable[[str], None] = print) -> Path:
    """The inventory file for ``fmt`` × ``n``, generated unless a matching cached copy exists."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = path_for(fmt, n, data_dir)
    meta_path = path.with_name(path.name + ".meta.json")
    want = {"generator_version": GENERATOR_VERSION, "seed": seed, "format": fmt, "resources": n}
    if path.exists() and meta_path.exists():
        meta = orjson.loads(meta_path.read_bytes())
        if {k: meta.get(k) for k in want} == want and meta.get("bytes") == path.stat().st_size:
            return path
    tmp = path.with_name(path.name + ".tmp")
    started = time.perf_counter()
    count = WRITERS[fmt][1](tmp, n, seed)
    os.replace(tmp, path)
    size = path.stat().st_size
    meta_path.write_bytes(orjson.dumps({**want, "records": count, "bytes": size}, option=orjson.OPT_INDENT_2))
    log(f"generated {path.name}: {count} records, {size / 2**20:.0f} MiB in {time.perf_counter() - started:.0f} s")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    args = parser.parse_args()
    for fmt in args.formats.split(","):
        for n in (int(s) for s in args.sizes.split(",")):
            print(ensure(fmt, n, args.data_dir))


if __name__ == "__main__":
    main()
