"""The mutual-insurer sample pinned whole: per-resource counts, the lock-in coupling cap, the
unknown-location finding, and log sinks as copies of the bytes they collect.

``sample_inventories/mutuelle-ligerienne-sante/`` is small enough to derive every number by hand.
The derivations are in the comments (weights from ``scanner/kb/data/weights.yaml``, formulas from
``docs/methodology.md``, the exports' own fields); no expected value here is computed with the code
under test. Each test says which regression it exists to catch:

- the summary counting a placement profile once instead of every resource sharing it;
- the ``unknown-location`` finding's severity drifting from ``low``;
- the coupling term of lock-in losing its cap (15 points);
- ``logs`` flows no longer treated as copies (a log sink's country missing from its source's
  locations, its transfer finding gone, the sink not inheriting the source's data classes).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from scanner.cli import app
from scanner.config import Config
from scanner.pipeline import scan
from scanner.result import ScanResult, Tier

CASE = Path(__file__).resolve().parent.parent / "sample_inventories" / "mutuelle-ligerienne-sante"

# Resources of the sample (expected.yaml explains each one).
HEALTH_BUCKET = "arn:aws:s3:::mls-decomptes-sante-par"
ACCESS_LOGS = "arn:aws:s3:::mls-journaux-acces-s3-par"
ARCHIVE_USE1 = "arn:aws:s3:::mls-archives-journaux-use1"
TRAIL = "arn:aws:cloudtrail:eu-west-3:444455556666:trail/mls-trail-compte-production"
HEALTH_KEY = "arn:aws:kms:eu-west-3:444455556666:key/6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b9c"
EBS_KEY = "arn:aws:kms:eu-west-3:444455556666:key/0a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d"
CLAIMS_TABLE = "arn:aws:dynamodb:eu-west-3:444455556666:table/mls-demandes-prise-en-charge"
SESSIONS_TABLE = "arn:aws:dynamodb:eu-west-3:444455556666:table/mls-sessions-espace-adherent"
LAMBDA = "arn:aws:lambda:eu-west-3:444455556666:function:mls-calcul-remboursements"
SECRET_NOEMIE = "arn:aws:secretsmanager:eu-west-3:444455556666:secret:mls/noemie/sftp-cpam-Xy7Q2a"
SECRET_OPTIQUE = "arn:aws:secretsmanager:eu-west-3:444455556666:secret:mls/tiers-payant/api-reseau-optique-Lp3Kd9"
INSTANCE = "arn:aws:ec2:eu-west-3:444455556666:instance/i-0d4e5f6a7b8c90001"
ROOT_VOLUME = "arn:aws:ec2:eu-west-3:444455556666:volume/vol-0d4e5f6a7b8c90011"
DATA_VOLUME = "arn:aws:ec2:eu-west-3:444455556666:volume/vol-0d4e5f6a7b8c90012"
ARCHIVE_VOLUME = "arn:aws:ec2:eu-west-3:444455556666:volume/vol-0d4e5f6a7b8c90013"
UNPLACED_BUCKET = "arn:aws:s3:::mls-actuariat-extractions"
ACTUARIAL_INSTANCE = "arn:aws:ec2:eu-west-3:777788889999:instance/i-0e5f6a7b8c9d00201"

US_LAWS = {"us-cloud-act", "us-fisa-702", "us-eo-12333", "us-national-security-letters"}


@pytest.fixture(scope="module")
def result() -> ScanResult:
    return scan([CASE], Config(), as_of="2026-11-30", organization="Mutuelle Ligérienne de Santé",
                warn=lambda _m: None)


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((CASE / "expected.yaml").read_text(encoding="utf-8"))
    return data


# --------------------------------------------------------------------------- the whole sample


def test_expected_yaml_is_exhaustive(result: ScanResult, expected: dict[str, Any]) -> None:
    """expected.yaml lists every resource, flow and finding of this sample: compared exactly here
    (tests/test_samples.py compares as subsets, which suits the larger samples)."""
    assert sorted(a.res.id for a in result.assessed) == sorted(r["id"] for r in expected["expect_resources"])
    for exp in expected["expect_resources"]:
        a = result.by_id(exp["id"])
        assert a is not None
        assert list(a.classes) == exp["data_classes"], exp["id"]
        assert {h.law for h in a.hits if h.counts} == set(exp["laws"]), exp["id"]
        assert {h.law for h in a.hits if h.residual} == {"ca-production-orders", "uk-investigatory-powers-act"}, \
            exp["id"]  # Amazon.com, Inc.'s presence in CA and GB (providers.yaml), the same for every resource
    assert {(f.source, f.target, str(f.kind)) for f in result.flows} == \
        {(f["source"], f["target"], f["kind"]) for f in expected["expect_flows"]}
    assert len(result.flows) == 3
    got = sorted((f.rule, f.resource, f.severity) for f in result.findings)
    assert got == sorted((f["rule"], f["resource"], f["severity"]) for f in expected["expect_findings"])
    # 6 health-data-foreign-law critical (the unplaced bucket's included: control does not depend on
    # where it is); 1 sensitive-data-foreign-law high; 4 transfer-outside-eea and 7 provider-held-keys
    # medium (11); 1 unknown-location low.
    assert result.summary.findings == {"critical": 6, "high": 1, "medium": 11, "low": 1}
    assert result.coverage.unknown_regions == {"aws:(not in export)": 1}
    assert result.coverage.unmapped_types == {}


def test_exposure_of_every_resource(result: ScanResult) -> None:
    """100 × sensitivity × 1.0 (FISA 702 by control, weight 1.0 × 1.0) × (1 − mitigation)."""
    want = {
        HEALTH_BUCKET: (85.0, "customer-managed"),      # health 1.0 × (1 − 0.15): SSE-KMS, customer key
        ACCESS_LOGS: (100.0, "provider-managed"),       # health by the logs flow, SSE-S3 (AES256)
        ARCHIVE_USE1: (100.0, "provider-managed"),      # health by logs → replication, SSE-S3
        TRAIL: (50.0, "unknown"),                       # unknown 0.5, kmsKeyId null
        HEALTH_KEY: (85.0, "customer-managed"),         # tag HDS, keyManager CUSTOMER
        EBS_KEY: (50.0, "provider-managed"),            # unknown 0.5, keyManager AWS
        CLAIMS_TABLE: (85.0, "customer-managed"),       # health, ssedescription.kmsmasterKeyArn = the key
        SESSIONS_TABLE: (59.5, "customer-managed"),     # personal 0.7 × 0.85
        LAMBDA: (17.0, "customer-managed"),             # metadata-only cap 0.2 × 0.85
        SECRET_NOEMIE: (42.5, "customer-managed"),      # unknown 0.5 × 0.85
        SECRET_OPTIQUE: (42.5, "customer-managed"),
        INSTANCE: (50.0, "unknown"),                    # unknown 0.5, no key on an instance record
        ACTUARIAL_INSTANCE: (50.0, "unknown"),
        ROOT_VOLUME: (50.0, "provider-managed"),        # kmsKeyId = aws/ebs, refined by the key record
        DATA_VOLUME: (50.0, "provider-managed"),
        ARCHIVE_VOLUME: (50.0, "provider-managed"),
        UNPLACED_BUCKET: (100.0, "unknown"),            # health 1.0, the tag listing shows no key
    }
    assert {a.res.id: (a.exposure, a.key_control) for a in result.assessed} == want
    # Sensitivity-weighted mean (methodology §3):
    #   Σ sens = 6 × 1.0 (health) + 9 × 0.5 (unknown, data-bearing) + 0.7 (personal) + 0.2 (Lambda) = 11.4
    #   Σ exposure × sens = (85 + 100 + 100 + 85 + 85 + 100) + (50 × 7 + 42.5 × 2) × 0.5 + 59.5 × 0.7 + 17 × 0.2
    #                     = 555 + 217.5 + 41.65 + 3.4 = 817.55
    #   817.55 / 11.4 = 71.71… → 71.7, high
    exposure = result.summary.exposure
    assert (exposure.score, exposure.level) == (71.7, "high")
    # critical: the 5 placed health resources and the unplaced bucket; high: trail, aws/ebs key,
    # sessions table, 2 instances, 3 volumes; medium: 2 secrets; low: the Lambda function.
    assert exposure.by_level == {"high": 8, "critical": 6, "medium": 2, "low": 1}


# --------------------------------------------------------------------------- (a) per resource


def test_by_country_counts_every_resource_not_every_profile(result: ScanResult) -> None:
    """Several resources share one placement profile here (the two secrets, the two instances of
    two accounts, the three volumes): the country count must still count each of them.

    Locations (countries holding the bytes or a copy), resource by resource:
      FR only: two keys, two tables, Lambda, two secrets, two instances, three volumes = 12
      FR + US: the health bucket, the access-log bucket, the trail                   =  3
      US only: the archive bucket in us-east-1                                       =  1
      none:    the bucket the tag listing cannot place                               =  1   (17)
    FR = 12 + 3 = 15; US = 3 + 1 = 4. Counting each shared profile once instead would give FR 11
    (the two secrets, the two instances and the three volumes collapsing into three profiles:
    15 − 1 − 1 − 2) and leave US at 4 (each resource with copies has a profile of its own).
    """
    assert result.summary.exposure.by_country == {"FR": 15, "US": 4}
    # The other per-resource counters of the summary, derived the same way.
    assert result.summary.resources == 17
    assert result.summary.exposure.exposed_resources == 17  # AWS: US law by control everywhere
    assert result.summary.exposure.sensitive_exposed == 7  # 6 health + 1 personal
    assert {law: (c.resources, c.sensitive_resources) for law, c in result.summary.exposure.by_law.items()} == \
        {law: (17, 7) for law in US_LAWS}
    assert {c: (v.resources, v.reachable_by_foreign_law)
            for c, v in result.summary.exposure.by_data_class.items()} == \
        {"unknown": (10, 10), "health": (6, 6), "personal": (1, 1)}
    # Mean exposure of the provider: (85 × 3 + 100 × 3 + 50 × 7 + 59.5 + 17 + 42.5 × 2) / 17
    # = 1066.5 / 17 = 62.73… → 62.7 (the three 85s: health bucket, key, claims table; the three
    # 100s: two log buckets, unplaced bucket; the seven 50s: trail, aws/ebs key, 2 instances, 3 volumes).
    aws = result.summary.exposure.by_provider["aws"]
    assert (aws.resources, aws.exposed_resources, aws.mean_exposure, aws.max_exposure) == (17, 17, 62.7, 100.0)
    # Migration effort (services/aws.yaml, points per resource): S3 3 × 4 buckets + KMS 5 × 2 + DynamoDB
    # 7 × 2 + Lambda 7 + Secrets Manager 3 × 2 + CloudTrail 3 + EC2 instance 3 × 2 + EBS 3 × 3 = 67.
    assert result.summary.migration.effort == 67


# --------------------------------------------------------------------------- (b) unknown location


def test_unknown_location_is_a_low_finding_on_the_unplaced_bucket(result: ScanResult) -> None:
    """findings.yaml: unknown-location is ``low`` (a gap in the records, GDPR Art. 30(1)(e), not a
    reach). It is the only data-bearing resource with no region: the S3 ARN in the tag listing
    carries none, and nothing else in the exports names that bucket."""
    unplaced = result.by_id(UNPLACED_BUCKET)
    assert unplaced is not None
    assert (unplaced.res.region, unplaced.country, unplaced.locations) == (None, None, ())
    found = [f for f in result.findings if f.rule == "unknown-location"]
    assert [(f.resource, f.severity) for f in found] == [(UNPLACED_BUCKET, "low")]
    assert found[0].message == "the inventory does not show where mls-actuariat-extractions is stored"
    # Its other findings: the US laws reach it by control whatever the region (an unknown region asserts
    # no fact, so the path stays verified): health-data-foreign-law critical; no key is shown
    # (unknown), so provider-held-keys (medium).
    assert sorted((f.rule, f.severity) for f in result.findings if f.resource == UNPLACED_BUCKET) == [
        ("health-data-foreign-law", "critical"), ("provider-held-keys", "medium"), ("unknown-location", "low")]


# --------------------------------------------------------------------------- (c) coupling cap


def test_lockin_coupling_is_capped_at_fifteen(result: ScanResult) -> None:
    """lock-in = portability base + min(proprietary neighbours × 5, 15) + min(log10(GiB + 1) × 3, 10).

    The health key is the target of six encrypted_by edges: the health bucket (S3, standard) and five
    proprietary resources (two DynamoDB tables, the Lambda function, two secrets; services/aws.yaml).
    Uncapped, its coupling would be 5 × 5 = 25 and its lock-in 90.
    """
    want = {
        HEALTH_KEY: 80.0,       # proprietary 65 + min(5 × 5, 15) = 15; no size
        EBS_KEY: 65.0,          # proprietary 65; its three volumes are standard (0 coupled)
        CLAIMS_TABLE: 74.5,     # 65 + 5 (the key) + log10(30 + 1) × 3 = 4.474…: tableSizeBytes 32212254720 = 30 GiB
        SESSIONS_TABLE: 71.4,   # 65 + 5 + log10(2 + 1) × 3 = 1.431…: tableSizeBytes 2147483648 = 2 GiB
        LAMBDA: 70.0,           # 65 + 5 (the key)
        SECRET_NOEMIE: 70.0,    # 65 + 5 (the key)
        SECRET_OPTIQUE: 70.0,
        TRAIL: 65.0,            # proprietary 65; its only neighbour, the archive bucket, is standard
        HEALTH_BUCKET: 15.0,    # standard 10 + 5 (the key; the access-log bucket is standard)
        ACCESS_LOGS: 10.0,      # standard 10; neighbours: two standard buckets
        ARCHIVE_USE1: 15.0,     # standard 10 + 5 (the trail, proprietary)
        INSTANCE: 10.0,         # standard, no relation
        ACTUARIAL_INSTANCE: 10.0,
        ROOT_VOLUME: 17.9,      # 10 + 5 (aws/ebs key) + log10(8 + 1) × 3 = 2.862…: size 8 GiB
        DATA_VOLUME: 21.0,      # 10 + 5 + log10(100 + 1) × 3 = 6.012…: size 100 GiB
        ARCHIVE_VOLUME: 23.1,   # 10 + 5 + log10(500 + 1) × 3 = 8.099…: size 500 GiB
        UNPLACED_BUCKET: 10.0,  # standard, no relation
    }
    assert {a.res.id: a.lockin for a in result.assessed} == want
    key = result.by_id(HEALTH_KEY)
    assert key is not None and key.lockin_level == "critical"  # 80 ≥ 75 (weights.yaml levels)
    # Overall (methodology §5): mean of the 17 values = 697.9 / 17 = 41.05… → 41.1; one provider, so
    # HHI = 1.0 and lock-in = 0.7 × 41.05… + 0.3 × 100 × 1.0 = 58.73… → 58.7.
    lockin = result.summary.lockin
    assert (lockin.mean_resource_lockin, lockin.score, lockin.concentration.hhi) == (41.1, 58.7, 1.0)


# --------------------------------------------------------------------------- (d) logs copy bytes


def test_a_log_sink_is_a_copy_of_what_it_logs(result: ScanResult) -> None:
    """Server access logs of the health bucket go to a bucket in Paris (S3 writes access logs only to
    a bucket of the same region), which is replicated to us-east-1: the health bucket's bytes have a
    copy in the US through a logs flow, then a replication flow."""
    bucket = result.by_id(HEALTH_BUCKET)
    assert bucket is not None and bucket.locations == ("FR", "US")
    # The US location reach is explained through both flows, ending at the law node.
    location = {h.law: h.via for h in bucket.hits if h.counts and h.trigger is Tier.LOCATION}
    assert location == {
        "us-cloud-act": (HEALTH_BUCKET, ACCESS_LOGS, ARCHIVE_USE1, "region:aws:us-east-1", "country:US",
                         "law:us-cloud-act"),
        "us-fisa-702": (HEALTH_BUCKET, ACCESS_LOGS, ARCHIVE_USE1, "region:aws:us-east-1", "country:US",
                        "law:us-fisa-702"),
    }
    transfers = {f.id: f.severity for f in result.findings if f.rule == "transfer-outside-eea"}
    assert transfers == {  # the US: partial adequacy (Data Privacy Framework) → medium
        f"transfer-outside-eea:{HEALTH_BUCKET}:US": "medium",
        f"transfer-outside-eea:{ACCESS_LOGS}:US": "medium",
        f"transfer-outside-eea:{ARCHIVE_USE1}:US": "medium",
        f"transfer-outside-eea:{TRAIL}:US": "medium",
    }
    # The sinks hold what they log: untagged, they inherit health from the bucket they collect from.
    for sink in (ACCESS_LOGS, ARCHIVE_USE1):
        a = result.by_id(sink)
        assert a is not None
        assert (a.classes, a.class_source) == (("health",), f"flow:{HEALTH_BUCKET}")
    # CloudTrail delivers straight to the US bucket (a trail may deliver to a bucket of any region).
    trail = result.by_id(TRAIL)
    assert trail is not None and trail.locations == ("FR", "US")
    assert {h.law for h in trail.hits if h.counts and h.trigger is Tier.LOCATION} == {"us-cloud-act", "us-fisa-702"}


# --------------------------------------------------------------------------- the JSON contract


def test_the_json_output_carries_the_same_numbers() -> None:
    """The same four facts, read from `sovscan run --format json` as a user's script would."""
    r = CliRunner().invoke(app, ["run", "-i", str(CASE), "--format", "json", "--as-of", "2026-11-30"])
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["summary"]["exposure"]["by_country"] == {"FR": 15, "US": 4}
    records = {res["id"]: res for res in data["resources"]}
    assert records[HEALTH_KEY]["lockin"]["score"] == 80.0
    assert records[HEALTH_BUCKET]["locations"] == ["FR", "US"]
    assert records[ACCESS_LOGS]["data_classes"] == ["health"]
    unknown = [(f["resource"], f["severity"]) for f in data["findings"] if f["rule"] == "unknown-location"]
    assert unknown == [(UNPLACED_BUCKET, "low")]
    assert {(f["source"], f["target"], f["kind"]) for f in data["flows"]} == {
        (HEALTH_BUCKET, ACCESS_LOGS, "logs"), (ACCESS_LOGS, ARCHIVE_USE1, "replication"), (TRAIL, ARCHIVE_USE1, "logs")}
