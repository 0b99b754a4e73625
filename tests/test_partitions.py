"""Global resources of every AWS partition are placed in that partition, from an export as users have it.

A Config history file (the shape `aws configservice get-resource-config-history` writes) holds
IAM roles whose ARNs name their partition; each must land where that partition's IAM runs, under
that partition's operator chain and laws, never in us-east-1 by default.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.config import Config
from scanner.kb.loader import load_kb
from scanner.pipeline import scan
from scanner.scoring.basis import basis

ROLES = {
    "aws": ("arn:aws:iam::111122223333:role/app", "us-east-1", "US", "us-cloud-act"),
    "aws-cn": ("arn:aws-cn:iam::111122223333:role/app", "cn-north-1", "CN", "cn-national-intelligence-law"),
    "aws-eusc": ("arn:aws-eusc:iam::111122223333:role/app", "eusc-de-east-1", "DE", "us-cloud-act"),
    "aws-us-gov": ("arn:aws-us-gov:iam::111122223333:role/app", "us-gov-west-1", "US", "us-cloud-act"),
}


def _item(arn: str) -> dict[str, object]:
    return {"configurationItemStatus": "OK", "configurationItemVersion": "1.3", "awsAccountId": "111122223333",
            "resourceType": "AWS::IAM::Role", "resourceId": "AROAEXAMPLE" + arn.split(":")[1].upper(),
            "resourceName": "app", "ARN": arn, "awsRegion": "global", "tags": {}, "relationships": [],
            "configuration": {"roleName": "app", "arn": arn}}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path: Path = tmp_path_factory.mktemp("partitions") / "history.json"
    path.write_text(json.dumps({"configurationItems": [_item(v[0]) for v in ROLES.values()]}))
    return scan([path], Config(), warn=lambda _m: None)


@pytest.mark.parametrize("partition", sorted(ROLES))
def test_global_resources_are_placed_in_their_partition(result, partition: str) -> None:  # type: ignore[no-untyped-def]
    arn, region, country, law = ROLES[partition]
    a = result.by_id(arn)
    assert a is not None and a.res.attributes.get("partition") == partition
    assert (a.placement, a.country) == (region, country)
    assert law in {h.law for h in a.hits if h.foreign}


def test_china_partition_is_run_by_chinese_operators_under_prc_law(result) -> None:  # type: ignore[no-untyped-def]
    a = result.by_id(ROLES["aws-cn"][0])
    assert a.operator == "beijing-sinnet" and a.controller_country == "CN"
    assert not {h.law for h in a.hits if h.law.startswith("us-") and h.counts}


def test_sovereign_cloud_keeps_its_german_operator_and_us_control(result) -> None:  # type: ignore[no-untyped-def]
    a = result.by_id(ROLES["aws-eusc"][0])
    assert a.operator == "aws-european-sovereign-cloud" and a.controller_country == "US"
    control = {h.law for h in a.hits if h.counts and h.trigger == "control"}
    assert "us-cloud-act" in control


def test_sovereign_cloud_basis_names_its_operator_not_an_unpublished_one(result) -> None:  # type: ignore[no-untyped-def]
    a = result.by_id(ROLES["aws-eusc"][0])
    kb = load_kb()
    hit = next(h for h in a.hits if h.law == "us-cloud-act" and h.trigger == "control")
    text = basis(kb, hit)
    # The partition's operator is named in the knowledge base (unverified): the sentence must say
    # so, not claim that AWS publishes no operator, as it does for the commercial regions.
    assert "AWS European Sovereign Cloud GmbH, DE, is not verified" in text
    assert "not published" not in text
