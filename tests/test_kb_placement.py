"""Who runs a region, who the customer contracts with, and where global services of each partition run.

These tests exercise the knowledge-base look-ups that the reach engine calls:
``KnowledgeBase.operator_of`` / ``operator_rule`` (who runs a region, with provenance),
``contracting_entity`` (who a customer of a given country signs with), ``global_placement`` (the
region of a region-less service in each AWS partition, derived from botocore), and the presence
criterion. They also run the two sync scripts (botocore global endpoints, the oci SDK region table)
on the installed library or on synthetic inputs, and check the provenance of the tables this
project keeps (entities, regions, zones, global services, and providers without their
certification lists).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest

from providers.aws.normalize import transform_explorer_resource, transform_tag_mapping
from scanner.kb.loader import KnowledgeBase, load_kb
from scanner.kb.provenance import CHECKED_TABLES, check_source, provenance_problems
from scripts import sync_aws_global_services, sync_oci_regions

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb()



def _ultimate_country(kb: KnowledgeBase, entity: str) -> str:
    top = kb.entity_chain(entity)[-1]
    return top.controlled_from or top.country


# --------------------------------------------------------------------------- operator vs contracting


def test_operator_is_who_runs_the_region_not_the_contracting_party(kb: KnowledgeBase) -> None:
    sa_east = kb.region("aws", "sa-east-1")
    assert kb.operator_of("aws", sa_east, "sa-east-1") == "aws-inc"
    rule = kb.operator_rule("aws", sa_east, "sa-east-1")
    assert rule is not None and not rule.verified and rule.unverified  # not published by AWS
    assert kb.operator_of("azure", kb.region("azure", "brazilsouth"), "brazilsouth") == "microsoft-corp"
    # Operators AWS does publish are verified: the China regions.
    cn = kb.operator_rule("aws", kb.region("aws", "cn-north-1"), "cn-north-1")
    assert cn is not None and cn.entity == "beijing-sinnet" and cn.verified
    assert kb.operator_of("aws", kb.region("aws", "cn-northwest-1"), "cn-northwest-1") == "nwcd"
    # The catch-all rule carries the default operator's provenance.
    for prov in kb.providers.values():
        rule = kb.operator_rule(prov.id, None, "no-such-region")
        assert rule is not None and rule.entity == prov.default_operator and rule.source, prov.id


@pytest.mark.parametrize(("provider", "country", "entity"), [
    ("aws", "FR", "aws-emea-sarl"),
    ("aws", "DE", "aws-emea-sarl"),
    ("aws", "GB", "aws-emea-sarl"),
    ("aws", "CA", "aws-canada-inc"),
    ("aws", "BR", "aws-servicos-brasil"),
    ("aws", "JP", "aws-japan-gk"),
    ("aws", "US", "aws-inc"),
    ("azure", "FR", "microsoft-ireland-operations"),
    ("azure", "US", None),  # not published in the sources read: no guess
    ("gcp", "CA", "google-cloud-canada-corp"),
    ("gcp", "IE", "google-cloud-emea-ltd"),
    ("gcp", "US", "google-llc"),
    ("alibaba", "DE", "alibaba-netherlands-bv"),
    ("alibaba", "US", "alibaba-cloud-us-llc"),
    ("alibaba", "SG", "alibaba-cloud-singapore"),
    ("huawei", "FR", "sparkoo-technologies-ireland"),
    ("ovhcloud", "FR", None),
    ("no-such-provider", "FR", None),
])
def test_contracting_entity_depends_on_the_customer_country(
        kb: KnowledgeBase, provider: str, country: str, entity: str | None) -> None:
    assert kb.contracting_entity(provider, country) == entity


def test_contracting_entities_exist_and_differ_from_operators(kb: KnowledgeBase) -> None:
    aws = kb.providers["aws"]
    assert {r.entity for r in aws.contracting} <= set(kb.entities)
    assert kb.contracting_entity("aws", "FR") != kb.operator_of("aws", kb.region("aws", "eu-west-3"), "eu-west-3")
    # Every contracting entity of a US hyperscaler still leads to a US ultimate controller.
    for pid in ("aws", "azure", "gcp"):
        for rule in kb.providers[pid].contracting:
            assert _ultimate_country(kb, rule.entity) == "US", (pid, rule.entity)


# --------------------------------------------------------------------------- partitions and global services


@pytest.mark.parametrize(("service_type", "partition", "region", "country", "operator_country"), [
    ("AWS::IAM::Role", "aws", "us-east-1", "US", "US"),
    ("aws_iam_role", "aws-cn", "cn-north-1", "CN", "CN"),  # a Terraform alias of the same service
    ("AWS::Route53::HostedZone", "aws-cn", "cn-northwest-1", "CN", "CN"),
    ("AWS::IAM::Role", "aws-eusc", "eusc-de-east-1", "DE", "US"),  # German operator, US-controlled
    ("AWS::IAM::User", "aws-us-gov", "us-gov-west-1", "US", "US"),
    ("AWS::IAM::Role", "aws-iso", "us-iso-east-1", "US", "US"),
    ("AWS::IAM::Role", "aws-iso-b", "us-isob-east-1", "US", "US"),
    ("AWS::IAM::Role", "aws-iso-f", "us-isof-south-1", "US", "US"),
    ("AWS::Organizations::Organization", "aws-iso-e", "eu-isoe-west-1", "GB", "US"),
])
def test_global_resources_are_placed_in_their_partition(
        kb: KnowledgeBase, service_type: str, partition: str, region: str, country: str,
        operator_country: str) -> None:
    code = kb.global_placement("aws", service_type, partition)
    assert code == region
    placed = kb.region("aws", code)
    assert placed is not None and placed.partition == partition
    assert kb.region_countries(placed) == [country]
    operator = kb.operator_of("aws", placed, code)
    assert operator is not None and _ultimate_country(kb, operator) == operator_country


def test_eusc_global_resources_run_by_the_german_structure(kb: KnowledgeBase) -> None:
    code = kb.global_placement("aws", "AWS::IAM::Role", "aws-eusc")
    operator = kb.operator_of("aws", kb.region("aws", code), code)
    assert operator == "aws-european-sovereign-cloud"
    assert kb.entities[operator].country == "DE"


def test_global_services_without_partition_data_stay_in_their_partition(kb: KnowledgeBase) -> None:
    # botocore has no aws-eusc endpoint for Organizations nor a global one for WAFv2: the resource
    # is placed in the partition's own regions, never in us-east-1.
    for service_type in ("AWS::Organizations::Organization", "AWS::WAFv2::WebACL"):
        code = kb.global_placement("aws", service_type, "aws-eusc")
        assert code == "partition:aws-eusc"
        region = kb.region("aws", code)
        assert region is not None and kb.region_countries(region) == ["DE"]
        assert kb.operator_of("aws", region, code) == "aws-european-sovereign-cloud"
    china = kb.region("aws", kb.global_placement("aws", "AWS::WAFv2::WebACL", "aws-cn"))
    assert china is not None and kb.region_countries(china) == ["CN"]
    assert kb.operator_of("aws", china, china.code) in {"beijing-sinnet", "nwcd"}


def test_global_placement_falls_back_to_the_service_placement(kb: KnowledgeBase) -> None:
    # The commercial partition: the service's own placement (edge footprints stay edge footprints).
    assert kb.global_placement("aws", "AWS::CloudFront::Distribution", "aws") == "zone:aws-cloudfront-edge"
    assert kb.global_placement("aws", "AWS::GlobalAccelerator::Accelerator", "aws") == "us-west-2"
    assert kb.global_placement("aws", "AWS::IAM::Role", None) == "us-east-1"
    # China's CloudFront control plane is in Ningxia (botocore), not the worldwide edge.
    assert kb.global_placement("aws", "AWS::CloudFront::Distribution", "aws-cn") == "cn-northwest-1"
    # Providers without partitions keep the service placement.
    assert kb.global_placement("azure", "microsoft.graph/users", None) == "global"
    assert kb.global_placement("aws", "AWS::No::Such", "aws") is None


def test_global_services_file_is_in_sync_with_botocore() -> None:
    sync = sync_aws_global_services
    assert sync.main([]) == 0, "run scripts/sync_aws_global_services.py --write"


def test_rule_set_walk_reads_partition_specific_signing_regions() -> None:
    sync = sync_aws_global_services
    name = {"fn": "getAttr", "argv": [{"ref": "PartitionResult"}, "name"]}
    rule_set = {"rules": [{"type": "tree", "conditions": [], "rules": [
        {"type": "endpoint", "conditions": [{"fn": "stringEquals", "argv": [name, "aws-eusc"]}],
         "endpoint": {"url": "https://x", "properties": {"authSchemes": [{"signingRegion": "eusc-de-east-1"}]}}},
        {"type": "endpoint", "conditions": [],
         "endpoint": {"url": "https://y", "properties": {"authSchemes": [{"signingRegion": "us-east-1"}]}}},
    ]}]}
    assert sync.rule_set_regions(rule_set) == {"aws-eusc": "eusc-de-east-1"}
    endpoints = {"partitions": [{"partition": "aws-cn", "services": {"iam": {
        "partitionEndpoint": "aws-cn-global", "isRegionalized": False,
        "endpoints": {"aws-cn-global": {"credentialScope": {"region": "cn-north-1"}}}}}}]}
    assert sync.endpoints_regions(endpoints, "iam") == {"aws-cn": "cn-north-1"}
    assert sync.endpoints_regions(endpoints, "s3") == {}


@pytest.mark.parametrize(("arn", "partition"), [
    ("arn:aws-eusc:iam::555566667777:role/ops", "aws-eusc"),
    ("arn:aws-cn:iam::111122223333:role/ops", "aws-cn"),
    ("arn:aws-us-gov:iam::111122223333:role/ops", "aws-us-gov"),
    ("arn:aws:iam::111122223333:role/ops", "aws"),
])
def test_aws_resources_record_their_arn_partition(arn: str, partition: str) -> None:
    tagged = transform_tag_mapping({"ResourceARN": arn, "Tags": []}, "tags.json")
    explored = transform_explorer_resource({"Arn": arn, "ResourceType": "iam:role"}, "explorer.json")
    for res in (tagged, explored):
        assert res.region == "global" and res.attributes["partition"] == partition


# --------------------------------------------------------------------------- OCI realms


def test_oci_regions_carry_their_realm(kb: KnowledgeBase) -> None:
    oci = {code: r for (prov, code), r in kb.regions.items() if prov == "oci"}
    assert len(oci) >= 80
    assert {oci[c].partition for c in ("eu-frankfurt-2", "eu-madrid-2")} == {"oc19"}
    assert oci["eu-marseille-1"].partition == "oc1" and oci["eu-marseille-1"].country == "FR"
    assert oci["uk-gov-london-1"].partition == "oc4" and oci["us-gov-ashburn-1"].partition == "oc3"
    sovereign = kb.operator_rule("oci", oci["eu-frankfurt-2"], "eu-frankfurt-2")
    assert sovereign is not None and sovereign.partition == "oc19" and not sovereign.verified


def test_oci_sync_places_checked_regions_and_reports_the_rest() -> None:
    sync = sync_oci_regions
    definitions = SimpleNamespace(
        REGIONS=["eu-frankfurt-2", "us-thames-1", "xx-nowhere-1"],
        REGIONS_SHORT_NAMES={"str": "eu-frankfurt-2", "ebl": "us-thames-1"},
        REGION_REALMS={"eu-frankfurt-2": "oc19", "us-thames-1": "oc23", "xx-nowhere-1": "oc99"})
    recs, skipped = sync.records(sync.sdk_regions(definitions), "9.9.9", {"DE", "US"}, dt.date(2026, 12, 4))
    by_code = {r["code"]: r for r in recs}
    assert set(by_code) == {"eu-frankfurt-2", "us-thames-1"}
    assert by_code["eu-frankfurt-2"]["partition"] == "oc19" and by_code["eu-frankfurt-2"]["country"] == "DE"
    assert "verified" not in by_code["eu-frankfurt-2"]
    assert by_code["us-thames-1"]["verified"] is False and by_code["us-thames-1"]["unverified"]
    assert by_code["eu-frankfurt-2"]["source"].startswith("oci 9.9.9 oci/regions_definitions.py")
    assert skipped == ["xx-nowhere-1 (oc99): no checked place in PLACES"]
    assert check_source(by_code["eu-frankfurt-2"]["source"]) == []


# --------------------------------------------------------------------------- coverage of the gaps named


@pytest.mark.parametrize(("provider", "code", "country"), [
    ("upcloud", "us-nyc1", "US"), ("upcloud", "au-syd1", "AU"), ("upcloud", "pl-waw1", "PL"),
    ("upcloud", "no-svg1", "NO"), ("upcloud", "se-sto1", "SE"),
    ("ionos", "de/fkb", "DE"), ("ionos", "de/fra/2", "DE"),
    ("alibaba", "cn-wulanchabu", "CN"), ("alibaba", "cn-guangzhou", "CN"), ("alibaba", "cn-huhehaote", "CN"),
    ("oci", "eu-madrid-2", "ES"), ("oci", "eu-marseille-1", "FR"),
    ("digitalocean", "nyc3", "US"), ("linode", "fr-par", "FR"), ("huawei", "eu-west-101", "IE"),
    ("tencent", "ap-guangzhou", "CN"), ("infomaniak", "dc3-a", "CH"), ("cloudflare", "eu", None),
])
def test_named_coverage_gaps_are_placed(kb: KnowledgeBase, provider: str, code: str, country: str | None) -> None:
    region = kb.region(provider, code)
    assert region is not None, (provider, code)
    countries = kb.region_countries(region)
    assert countries == [country] if country else set(countries) == set(kb.zones["EU"].countries)


def test_alibaba_mainland_operator_rule_names_only_known_regions(kb: KnowledgeBase) -> None:
    for rule in kb.providers["alibaba"].operators:
        for code in rule.regions:
            assert kb.region("alibaba", code) is not None, code


@pytest.mark.parametrize(("code", "countries"), [("eur3", ["BE", "FI", "NL"]), ("nam5", ["US"]), ("nam7", ["US"])])
def test_firestore_multi_regions(kb: KnowledgeBase, code: str, countries: list[str]) -> None:
    region = kb.region("gcp", code)
    assert region is not None and kb.region_countries(region) == countries


# --------------------------------------------------------------------------- presence and provenance


def test_presence_only_on_ultimate_controllers_with_a_basis(kb: KnowledgeBase) -> None:
    present = {e.id: e for e in kb.entities.values() if e.presence}
    assert {"ovh-groupe-sa", "dassault-systemes-se", "amazon-com-inc", "sap-se"} <= set(present)
    for ent in present.values():
        assert ent.parent is None
        assert all(len(p.basis) >= 10 for p in ent.presence)
    assert kb.entities["ovh-groupe-sa"].presence_in("CA") is not None
    assert kb.entities["alibaba-group-holding"].presence_in("CN") is None  # control, not presence


def test_validate_flags_misplaced_presence_and_inconsistent_rules(tmp_path: Path) -> None:
    extra = tmp_path / "bad.yaml"
    extra.write_text("""\
entities:
  - id: test-parent
    name: Test parent
    country: FR
    source: https://example.org/registry/test-parent
    as_of: 2026-12-04
  - id: test-child
    name: Test child
    country: FR
    parent: test-parent
    presence:
      - {country: US, basis: a US subsidiary sells its services, source: https://example.org/a, as_of: 2026-12-04}
    source: https://example.org/registry/test-child
    as_of: 2026-12-04
providers:
  - id: test-provider
    name: Test provider
    kind: other
    default_operator: test-child
    operators:
      - {entity: test-parent, source: https://example.org/ops, as_of: 2026-12-04}
    contracting:
      - {entity: test-parent, customer_zone: NOWHERE, source: https://example.org/terms, as_of: 2026-12-04}
    source: https://example.org/provider
    as_of: 2026-12-04
""", encoding="utf-8")
    problems = load_kb([extra]).validate()
    assert "entity test-child: presence belongs on the group's ultimate controller" in problems
    assert any("catch-all operator rule names test-parent" in p for p in problems)
    assert "provider test-provider: contracting rule names unknown zone NOWHERE" in problems


def test_provider_tables_are_provenance_clean(kb: KnowledgeBase) -> None:
    assert {"entities", "regions", "zones", "global_services"} <= set(CHECKED_TABLES)
    assert provenance_problems(kb, ("entities", "regions", "zones", "global_services")) == []
    # Providers' own facts (operators, contracting entities) are clean; their certification lists
    # are kept apart and checked with the qualification records.
    problems = [p for p in provenance_problems(kb, ("providers",)) if ".certifications[" not in p]
    assert problems == []
