"""Meta-tests over the knowledge-base service, alternative, zone and classification data files.

They validate every record against ``scanner.kb.schema`` and check the cross-file invariants that the
loader and the scorers rely on: ids and aliases unique, references resolvable, efforts on the public
scale, placements resolvable, certification claims kept to what the sources support, and default
classification rules covering the agreed English and French vocabulary.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from scanner.kb import schema
from scanner.kb.schema import (
    EFFORT_SCALE,
    Alternative,
    ClassificationRule,
    DataClass,
    Portability,
    Service,
    Zone,
)

DATA = Path(schema.__file__).parent / "data"
SERVICE_FILES = ("aws", "azure", "gcp", "european")
PROVIDER_IDS = {
    "aws", "azure", "gcp", "oci", "ibm", "alibaba", "ovhcloud", "scaleway", "outscale", "hetzner", "ionos",
    "otc", "exoscale", "upcloud", "clevercloud", "cloudtemple", "bleu", "s3ns", "stackit",
}
EUROPEAN_PROVIDERS = PROVIDER_IDS - {"aws", "azure", "gcp", "oci", "ibm", "alibaba"}
REGION_PATTERNS = {
    "aws": re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?|-isob)?-[a-z]+-\d$"),
    "azure": re.compile(r"^[a-z]+[a-z0-9]*$"),
    "gcp": re.compile(r"^[a-z]+-[a-z]+\d+$"),
}


def _load(name: str) -> Any:
    with (DATA / name).open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _services_by_file() -> dict[str, list[Service]]:
    return {
        stem: [Service(**raw) for raw in _load(f"services/{stem}.yaml")["services"]] for stem in SERVICE_FILES
    }


SERVICES = _services_by_file()
ALL_SERVICES = [svc for services in SERVICES.values() for svc in services]
ALTERNATIVES = [Alternative(**raw) for raw in _load("alternatives.yaml")["alternatives"]]
ALTERNATIVE_IDS = {alt.id: alt for alt in ALTERNATIVES}
ZONES = {zone.id: zone for zone in (Zone(**raw) for raw in _load("zones.yaml")["zones"])}


def _lookup() -> dict[str, Service]:
    """Every spelling (type or alias) → the one service it names."""
    table: dict[str, Service] = {}
    for svc in ALL_SERVICES:
        for key in (svc.type, *svc.aliases):
            table[key] = svc
    return table


LOOKUP = _lookup()


# --------------------------------------------------------------------------- services


@pytest.mark.parametrize("stem", ["aws", "azure", "gcp"])
def test_each_hyperscaler_has_at_least_45_types(stem: str) -> None:
    assert len(SERVICES[stem]) >= 45
    assert {svc.provider for svc in SERVICES[stem]} == {stem}


def test_european_file_covers_the_european_providers_only() -> None:
    providers = {svc.provider for svc in SERVICES["european"]}
    assert providers <= EUROPEAN_PROVIDERS
    assert {"scaleway", "ovhcloud", "outscale", "hetzner", "ionos", "otc", "exoscale", "upcloud", "stackit",
            "clevercloud"} <= providers
    for svc in SERVICES["european"]:
        assert svc.source.startswith("https://registry.terraform.io/providers/"), svc.type


def test_type_spellings_follow_each_source_convention() -> None:
    # AWS: the CloudFormation / Config type; for the few resources that have none, the Resource
    # Explorer form (EBS snapshots, AMIs) or, for Terraform-only sub-resources, the Terraform type.
    aws_type = re.compile(r"^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$|^[a-z0-9-]+:[a-z0-9-]+$|^aws_[a-z0-9_]+$")
    gcp_type = re.compile(r"^[a-z0-9-]+\.googleapis\.com/[A-Z][A-Za-z0-9]+$")
    for svc in SERVICES["aws"]:
        assert aws_type.match(svc.type), svc.type
        if not svc.type.startswith("AWS::"):
            assert svc.note or svc.fold, f"{svc.type}: say why the type has no CloudFormation name"
    for svc in SERVICES["azure"]:
        assert svc.type == svc.type.lower() and "/" in svc.type, svc.type
    for svc in SERVICES["gcp"]:
        assert gcp_type.match(svc.type), svc.type
    for svc in SERVICES["european"]:
        assert re.match(r"^[a-z0-9]+_[a-z0-9_]+$", svc.type), svc.type


def test_types_and_aliases_never_name_two_services() -> None:
    keys = Counter(key for svc in ALL_SERVICES for key in {svc.type, *svc.aliases})
    assert [key for key, count in keys.items() if count > 1] == []
    # Importers lower-case Azure types and Resource Explorer types: no collision after folding either.
    folded = Counter(key.lower() for svc in ALL_SERVICES for key in {svc.type, *svc.aliases})
    assert [key for key, count in folded.items() if count > 1] == []


def test_required_aliases_resolve_to_the_right_types() -> None:
    expected = {
        "s3:bucket": "AWS::S3::Bucket",
        "aws_s3_bucket": "AWS::S3::Bucket",
        "rds:db": "AWS::RDS::DBInstance",
        "aws_db_instance": "AWS::RDS::DBInstance",
        "rds:cluster": "AWS::RDS::DBCluster",
        "dynamodb:table": "AWS::DynamoDB::Table",
        "ec2:instance": "AWS::EC2::Instance",
        "ec2:volume": "AWS::EC2::Volume",
        "ec2:vpc": "AWS::EC2::VPC",
        "lambda:function": "AWS::Lambda::Function",
        "kms:key": "AWS::KMS::Key",
        "secretsmanager:secret": "AWS::SecretsManager::Secret",
        "sqs:queue": "AWS::SQS::Queue",
        "iam:role": "AWS::IAM::Role",
        "azurerm_storage_account": "microsoft.storage/storageaccounts",
        "azurerm_kubernetes_cluster": "microsoft.containerservice/managedclusters",
        "azuread_user": "microsoft.graph/users",
        "google_storage_bucket": "storage.googleapis.com/Bucket",
        "google_sql_database_instance": "sqladmin.googleapis.com/Instance",
        "google_bigquery_dataset": "bigquery.googleapis.com/Dataset",
        "google_kms_crypto_key": "cloudkms.googleapis.com/CryptoKey",
    }
    assert {alias: LOOKUP[alias].type for alias in expected} == expected


def test_main_european_terraform_types_are_mapped_to_their_provider() -> None:
    expected = {
        "scaleway_object_bucket": "scaleway", "scaleway_rdb_instance": "scaleway",
        "scaleway_instance_server": "scaleway", "scaleway_k8s_cluster": "scaleway",
        "scaleway_instance_volume": "scaleway", "scaleway_block_volume": "scaleway",
        "ovh_cloud_project_database": "ovhcloud", "ovh_cloud_project_kube": "ovhcloud",
        "ovh_cloud_project_user": "ovhcloud", "ovh_cloud_project_containerregistry": "ovhcloud",
        "ovh_cloud_project_storage": "ovhcloud",
        "outscale_vm": "outscale", "outscale_volume": "outscale", "outscale_net": "outscale",
        "hcloud_server": "hetzner", "hcloud_volume": "hetzner",
        "ionoscloud_server": "ionos", "opentelekomcloud_obs_bucket": "otc", "exoscale_compute_instance": "exoscale",
        "upcloud_server": "upcloud", "stackit_ske_cluster": "stackit", "clevercloud_postgresql": "clevercloud",
        "cloudtemple_compute_virtual_machine": "cloudtemple",
    }
    assert {tf_type: LOOKUP[tf_type].provider for tf_type in expected} == expected


def test_efforts_are_on_the_scale_and_consistent_with_portability() -> None:
    assert {svc.effort for svc in ALL_SERVICES} <= set(EFFORT_SCALE)
    for svc in ALL_SERVICES:
        assert svc.effort_reason.strip(), svc.type
        if svc.portability is Portability.STANDARD:
            # a standard API or format never needs more than re-pointing (scale at the top of aws.yaml)
            assert svc.effort <= 3, svc.type
        if svc.portability is Portability.UNIQUE and svc.data_bearing:
            assert svc.effort == 13, svc.type


def test_every_referenced_alternative_exists_and_lists_are_short() -> None:
    missing = {(svc.type, alt) for svc in ALL_SERVICES for alt in svc.alternatives if alt not in ALTERNATIVE_IDS}
    assert missing == set()
    for svc in ALL_SERVICES:
        assert len(svc.alternatives) <= 4, svc.type
        assert len(set(svc.alternatives)) == len(svc.alternatives), svc.type
        if svc.data_bearing:
            assert svc.alternatives, f"{svc.type}: a data-bearing service needs somewhere to go"


def test_a_service_never_lists_an_offer_of_its_own_provider() -> None:
    own = {(svc.type, alt) for svc in ALL_SERVICES for alt in svc.alternatives
           if ALTERNATIVE_IDS[alt].provider == svc.provider}
    assert own == set()


def test_placements_resolve_to_a_zone_or_a_plausible_region() -> None:
    for svc in ALL_SERVICES:
        if svc.placement is None:
            continue
        if svc.placement.startswith("zone:"):
            assert svc.placement.removeprefix("zone:") in ZONES, svc.type
        elif svc.placement != "global":  # the provider's own `global` region record
            assert REGION_PATTERNS[svc.provider].match(svc.placement), (svc.type, svc.placement)


def test_region_less_services_are_placed() -> None:
    expected = {
        "AWS::IAM::Role": "us-east-1",
        "AWS::IAM::User": "us-east-1",
        "AWS::Route53::HostedZone": "us-east-1",
        "AWS::Organizations::Organization": "us-east-1",
        "AWS::CloudFront::Distribution": "zone:aws-cloudfront-edge",
        "microsoft.network/frontdoors": "zone:azure-frontdoor-edge",
        "microsoft.cdn/profiles": "zone:azure-frontdoor-edge",
        "microsoft.network/dnszones": "global",
        "microsoft.network/trafficmanagerprofiles": "global",
        "microsoft.graph/users": "global",
        "dns.googleapis.com/ManagedZone": "global",
        "iam.googleapis.com/ServiceAccount": "global",
        "compute.googleapis.com/GlobalForwardingRule": "zone:gcp-cloud-cdn-edge",
    }
    assert {svc_type: LOOKUP[svc_type].placement for svc_type in expected} == expected


def test_provenance_is_a_url() -> None:
    for svc in ALL_SERVICES:
        assert svc.source.startswith("https://"), svc.type
    for alt in ALTERNATIVES:
        assert alt.source.startswith("https://"), alt.id


# --------------------------------------------------------------------------- alternatives


def test_alternative_providers_and_kinds_agree() -> None:
    for alt in ALTERNATIVES:
        if alt.kind == "open-source":
            assert alt.provider is None, alt.id
            assert alt.id.startswith("oss-"), alt.id
        else:
            assert alt.provider in PROVIDER_IDS, alt.id
            assert alt.id.startswith(f"{alt.provider}-"), alt.id


def test_open_source_catalogue_covers_the_agreed_projects() -> None:
    expected = {
        "oss-postgresql", "oss-mariadb", "oss-kubernetes", "oss-keycloak", "oss-garage", "oss-ceph", "oss-minio",
        "oss-seaweedfs", "oss-kafka", "oss-rabbitmq", "oss-opensearch", "oss-valkey", "oss-openbao",
        "oss-nextcloud", "oss-matomo", "oss-grafana-stack", "oss-knative", "oss-openfaas", "oss-airflow",
        "oss-clickhouse", "oss-trino", "oss-mlflow", "oss-vllm", "oss-powerdns", "oss-traefik", "oss-haproxy",
    }
    assert expected <= set(ALTERNATIVE_IDS)
    offered_by = {alt.provider for alt in ALTERNATIVES if alt.kind == "offer"}
    assert offered_by >= EUROPEAN_PROVIDERS


# --------------------------------------------------------------------------- zones


def test_zones_are_well_formed_and_leave_eu_to_the_countries_file() -> None:
    raw_ids = [raw["id"] for raw in _load("zones.yaml")["zones"]]
    assert len(raw_ids) == len(set(raw_ids))
    assert {"EU", "EEA"}.isdisjoint(raw_ids)
    assert {"aws-cloudfront-edge", "azure-frontdoor-edge", "gcp-cloud-cdn-edge"} <= set(raw_ids)
    for zone in ZONES.values():
        assert len(zone.countries) == len(set(zone.countries)), zone.id
    # YAML 1.1 reads a bare NO as false: Norway must survive as a country code.
    assert "NO" in ZONES["aws-cloudfront-edge"].countries
    assert {"US", "FR", "DE"} <= set(ZONES["azure-frontdoor-edge"].countries)


# --------------------------------------------------------------------------- classification


def _fold(term: str) -> str:
    """Lower-case and strip accents, as the classifier matches."""
    decomposed = unicodedata.normalize("NFKD", term.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


CLASSIFICATION = _load("classification.yaml")
RULES = [ClassificationRule(**raw) for raw in CLASSIFICATION["rules"]]


def _terms(rule: ClassificationRule) -> set[str]:
    return {_fold(term) for term in (*rule.tag_keys, *rule.tag_values, *rule.name_terms)}


def _class_of(term: str) -> DataClass | None:
    """The class the classifier gives a storage bucket named ``term`` (None: no class)."""
    from scanner.classify import Classifier
    from scanner.kb.loader import default_kb
    from scanner.kb.schema import ClassificationLexicon

    bucket = default_kb().service("aws", "AWS::S3::Bucket")
    found = Classifier(RULES, ClassificationLexicon(**CLASSIFICATION["lexicon"])).classify({}, term, bucket)
    return None if found.classes == ("unknown",) else DataClass(found.classes[0])


def test_classification_file_has_provenance_and_ordered_classes() -> None:
    assert str(CLASSIFICATION["source"]).strip() and CLASSIFICATION["as_of"]
    assert [rule.data_class for rule in RULES] == [
        DataClass.HEALTH, DataClass.GENETIC_BIOMETRIC, DataClass.EMPLOYEE, DataClass.PERSONAL,
        DataClass.FINANCIAL, DataClass.CONFIDENTIAL, DataClass.INTERNAL, DataClass.PUBLIC,
    ]


@pytest.mark.parametrize(
    ("data_class", "terms"),
    [
        (DataClass.HEALTH, ["PHI", "HDS", "health", "santé", "sante", "medical", "médical", "patient", "patients",
                            "hipaa", "dossier-medical", "dmp", "clinical", "clinique", "hospital", "hôpital", "ehr",
                            "emr", "imaging", "imagerie", "pacs", "laboratoire"]),
        (DataClass.GENETIC_BIOMETRIC, ["genomic", "génomique", "biometric", "biométrie", "dna", "adn"]),
        (DataClass.EMPLOYEE, ["HR", "RH", "payroll", "paie", "salaries", "salaires", "employee", "personnel",
                              "staff", "recrutement"]),
        (DataClass.PERSONAL, ["PII", "personal", "GDPR", "RGPD", "customer", "clients", "fichier-client",
                              "citizen", "usager", "usagers"]),
        (DataClass.FINANCIAL, ["finance", "billing", "facturation", "invoice", "payment", "iban", "pci",
                               "comptabilité"]),
        (DataClass.CONFIDENTIAL, ["confidential", "confidentiel", "secret", "restricted"]),
        (DataClass.INTERNAL, ["internal"]),
        (DataClass.PUBLIC, ["public", "static", "website", "cdn-assets"]),
    ],
)
def test_classification_covers_english_and_french_terms(data_class: DataClass, terms: list[str]) -> None:
    assert {term: _class_of(term) for term in terms} == {term: data_class for term in terms}


def test_false_friends_land_in_the_right_class() -> None:
    # French "personnel" is staff; English "personal" is personal data.
    assert _class_of("personnel") is DataClass.EMPLOYEE
    assert _class_of("personal") is DataClass.PERSONAL


def test_common_classification_tag_values_are_recognised() -> None:
    values = {"PHI": DataClass.HEALTH, "health": DataClass.HEALTH, "confidential": DataClass.CONFIDENTIAL,
              "pii": DataClass.PERSONAL, "public": DataClass.PUBLIC, "internal": DataClass.INTERNAL}
    found = {value: next(r.data_class for r in RULES if _fold(value) in {_fold(v) for v in r.tag_values})
             for value in values}
    assert found == values


def test_name_terms_are_words_or_phrases_and_terms_are_lower_case() -> None:
    # Names are split on - _ . / before matching, so a name term containing one can never match;
    # a phrase is written with single spaces between its words.
    for rule in RULES:
        for term in (*rule.name_terms, *rule.name_stems):
            assert not re.search(r"[-_./]|\s\s|^\s|\s$", term), (rule.data_class, term)
        for term in rule.name_stems:
            assert " " not in term, (rule.data_class, term)
        for term in (*rule.tag_keys, *rule.tag_values, *rule.name_terms):
            # GCP label values are lower case; upper-case terms would be dead weight.
            assert term == term.lower(), (rule.data_class, term)
