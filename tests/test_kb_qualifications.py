"""Qualifications are offer- and region-level facts, recorded once and read by every consumer.

Covers the ``qualifications`` table and its look-ups (:meth:`KnowledgeBase.qualifications_for`,
:meth:`KnowledgeBase.offer_qualifications`), the rule that alternatives carry no claims of their
own, the SecNumCloud check of the CSF evidence, and requirements that follow the data a resource
holds or processes (a health-data function needs HDS; a public bucket needs nothing).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from scanner.config import Config
from scanner.kb.loader import KnowledgeBase, default_kb, load_kb
from scanner.kb.schema import HELD_STATUSES, Alternative
from scanner.pipeline import scan
from scanner.plan.csf import _qualification
from scanner.plan.document import build_plan, plan_document
from scanner.plan.planner import PlanOptions
from scanner.scoring.migration import fitting_alternatives, requirements_for

HOSPITAL = Path(__file__).resolve().parent.parent / "sample_inventories" / "hopital-grand-est"
US_CONTROLLED = ("aws", "azure", "gcp", "oci", "ibm", "alibaba")


def _ids(quals: list[Any]) -> set[str]:
    return {q.id for q in quals}


def _with_verified(kb: KnowledgeBase, *ids: str) -> KnowledgeBase:
    """A copy of the knowledge base where the named records are marked verified (for matching tests)."""
    copy = load_kb()
    for qid in ids:
        copy.qualifications[qid] = copy.qualifications[qid].model_copy(update={"verified": True, "unverified": ""})
    copy._holders = None
    return copy


# --------------------------------------------------------------------------- the table


def test_qualifications_validate_and_carry_provenance() -> None:
    kb = default_kb()
    assert kb.validate() == []
    assert len(kb.qualifications) >= 30
    for q in kb.qualifications.values():
        assert q.scheme in kb.schemes and q.holder in kb.providers, q.id
        assert q.verified or len(q.unverified) >= 10, q.id
        assert q.listing == "" or re.fullmatch(r"[A-Za-z0-9 ./-]+", q.listing), q.id


def test_offer_level_schemes_name_offers_and_regions() -> None:
    for q in default_kb().qualifications.values():
        if q.scheme == "secnumcloud" and q.status in HELD_STATUSES:
            assert q.scope.service_restricted, q.id  # never every service of a provider
            assert q.scope.regions or q.scope.note, q.id  # regions, or why they cannot be named


def test_us_controlled_providers_hold_no_secnumcloud() -> None:
    kb = default_kb()
    assert not [q.id for q in kb.qualifications.values() if q.scheme == "secnumcloud" and q.holder in US_CONTROLLED]


def test_validation_reports_unknown_references(tmp_path: Path) -> None:
    extra = tmp_path / "bad.yaml"
    extra.write_text(
        "qualifications:\n"
        "  - {id: bad-one, scheme: nope, holder: ovhcloud, offer: Some offer, status: certified,\n"
        "     scope: {regions: [atlantis], offers: [scaleway-object-storage], services: [no_such_type]},\n"
        "     source: https://example.org/page, as_of: 2026-12-04}\n", encoding="utf-8")
    problems = load_kb([extra]).validate()
    assert "qualification bad-one: unknown certification scheme nope" in problems
    assert "qualification bad-one: unknown region ovhcloud/atlantis" in problems
    assert "qualification bad-one: offer scaleway-object-storage belongs to scaleway, not ovhcloud" in problems
    assert "qualification bad-one: unknown service ovhcloud/no_such_type" in problems


# --------------------------------------------------------------------------- placement look-ups


def test_secnumcloud_covers_the_qualified_region_only() -> None:
    kb = default_kb()
    snc_outscale, snc_pod = "outscale-secnumcloud-cloudgouv", "ovhcloud-secnumcloud-bare-metal-pod"
    assert snc_outscale in _ids(kb.qualifications_for("outscale", "cloudgouv-eu-west-1", "outscale_vm"))
    assert snc_outscale not in _ids(kb.qualifications_for("outscale", "eu-west-2", "outscale_vm"))
    assert snc_outscale not in _ids(kb.qualifications_for("outscale", None, "outscale_vm"))
    # Aliases resolve to the canonical type; a type outside the scope is not covered.
    assert snc_outscale not in _ids(kb.qualifications_for("outscale", "cloudgouv-eu-west-1", "outscale_user"))
    snc = _ids(kb.qualifications_for("ovhcloud", "eu-west-gra-snc", "ovh_dedicated_server"))
    assert snc_pod in snc
    assert snc_pod not in _ids(kb.qualifications_for("ovhcloud", "gra", "ovh_dedicated_server"))
    # Public Cloud in an -snc location is not part of a qualified offer.
    assert not any(q.scheme == "secnumcloud"
                   for q in kb.qualifications_for("ovhcloud", "eu-west-gra-snc", "ovh_cloud_project_database"))


def test_hds_scope_follows_the_holder_pages() -> None:
    kb = default_kb()
    held = {q.id for q in kb.qualifications_for("scaleway", "fr-par", "scaleway_object_bucket") if q.holds()}
    assert held == {"scaleway-hds"}
    assert not [q for q in kb.qualifications_for("scaleway", "nl-ams", "scaleway_object_bucket") if q.scheme == "hds"]
    assert not [q for q in kb.qualifications_for("scaleway", "fr-par", "scaleway_rdb_instance") if q.scheme == "hds"]
    # OVHcloud's HDS certificate names products, not regions: any EEA region, never a US one.
    assert "ovhcloud-hds" in _ids(kb.qualifications_for("ovhcloud", "gra", "ovh_cloud_project_database"))
    assert "ovhcloud-hds" not in _ids(kb.qualifications_for("ovhcloud", "us-east-va", "ovh_cloud_project_database"))
    assert "ovhcloud-hds" not in _ids(kb.qualifications_for("ovhcloud", "gra", "ovh_domain_zone"))


def test_offers_get_their_schemes_from_the_records() -> None:
    kb = default_kb()
    assert kb.offer_schemes("scaleway-object-storage") == ["hds"]
    assert kb.offer_regions("scaleway-object-storage", {"hds"}) == ["fr-par"]
    assert kb.offer_schemes("scaleway-managed-postgresql") == []  # HDS not named for managed databases
    assert "hds" in kb.offer_schemes("ovhcloud-managed-mongodb")
    assert kb.offer_schemes("ovhcloud-kms") == []
    assert set(kb.offer_regions("ovhcloud-hosted-private-cloud-secnumcloud", {"secnumcloud", "hds"})) == {
        "eu-west-gra-snc", "eu-west-rbx-snc", "eu-west-sbg-snc"}
    # Claims that no verified record supports are not held (IONOS, STACKIT, Clever Cloud, Outscale).
    for offer in ("ionos-object-storage", "stackit-compute", "clevercloud-postgresql", "outscale-iaas"):
        assert kb.offer_schemes(offer) == [], offer
        assert kb.offer_qualifications(offer), offer  # …but the unverified records are there to show
    assert kb.qualifications["clevercloud-hds"].verified is False


def test_expired_records_do_not_hold() -> None:
    q = default_kb().qualifications["scaleway-hds"].model_copy(update={"valid_until": dt.date(2026, 1, 1)})
    assert q.holds(dt.date(2025, 12, 31)) and not q.holds(dt.date(2026, 1, 2))
    assert not q.model_copy(update={"verified": False}).holds()
    assert not q.model_copy(update={"status": "in-progress"}).holds()


# --------------------------------------------------------------------------- one fact, one place


def test_alternatives_cannot_claim_schemes_of_their_own() -> None:
    raw = {"id": "ovhcloud-x", "name": "X", "provider": "ovhcloud", "kind": "offer", "category": "storage",
           "certifications": ["hds"], "source": "https://example.org/x", "as_of": "2026-12-04"}
    with pytest.raises(ValidationError):
        Alternative.model_validate(raw)
    for prov in default_kb().providers.values():
        assert "certifications" not in type(prov).model_fields, prov.id


def test_every_scheme_shown_for_an_alternative_is_backed_by_a_record() -> None:
    kb = default_kb()
    result = scan([HOSPITAL], Config(), as_of="2026-11-30", warn=lambda _m: None)
    shown = 0
    for a in result.assessed:
        for alt in a.alternatives:
            for scheme in alt.certifications:
                backing = [q for q in kb.offer_qualifications(alt.id) if q.scheme == scheme and q.holds()]
                assert backing and {q.id for q in backing} <= set(alt.qualifications), (alt.id, scheme)
                shown += 1
    assert shown > 0


# --------------------------------------------------------------------------- requirements follow the data


def test_requirements_follow_the_data_not_the_category() -> None:
    kb = default_kb()
    lam = kb.service("aws", "AWS::Lambda::Function")
    bucket = kb.service("aws", "AWS::S3::Bucket")
    role = kb.service("aws", "AWS::IAM::Role")
    assert lam is not None and bucket is not None and role is not None and not lam.data_bearing
    assert requirements_for(kb, ("health",), "FR", lam) == {"hds"}
    assert requirements_for(kb, ("health",), "FR", lam, {"hds"}) == {"hds"}
    assert requirements_for(kb, ("public",), "FR", bucket, {"hds"}) == set()
    assert requirements_for(kb, ("unknown",), "FR", bucket, {"hds"}) == {"hds"}  # unknown data: assume it matters
    assert requirements_for(kb, ("unknown",), "FR", lam, {"hds"}) == set()  # no evidence it handles data
    assert requirements_for(kb, ("health",), "FR", role, {"hds"}) == set()  # configuration only
    fitting = {alt.id for alt in fitting_alternatives(kb, lam, {"hds"})}
    assert "scaleway-serverless-functions" not in fitting and "oss-knative" in fitting


def test_plan_requires_hds_of_health_functions_and_not_of_public_buckets() -> None:
    result = scan([HOSPITAL], Config(), as_of="2026-11-30", warn=lambda _m: None)
    plan = build_plan(result, PlanOptions(("ovhcloud", "scaleway"), frozenset({"hds"}), 1000.0,
                                          dt.date(2026, 12, 1)), Config())
    rows = {r["id"]: r for u in plan_document(plan)["units"] for r in u["resources"]}
    lam = rows["arn:aws:lambda:eu-west-3:111122223333:function:ghge-export-hl7"]
    assert lam["data_classes"] == ["health"] and lam["required_certifications"] == ["hds"]
    assert lam["alternative"] is None and "scaleway-serverless-functions lacks hds" in lam["reason"]
    public = rows["arn:aws:s3:::ghge-site-public-par"]
    assert public["data_classes"] == ["public"] and public["required_certifications"] == []
    records = rows["arn:aws:s3:::ghge-dossiers-patients-par"]["alternative"]
    assert records["certifications"] == ["hds", "iso-27001"] and "ovhcloud-hds" in records["qualifications"]


# --------------------------------------------------------------------------- CSF evidence reads the records


def _item(region: str | None, native_type: str) -> Any:
    return SimpleNamespace(placement=region, res=SimpleNamespace(region=region, native_type=native_type))


def test_csf_immunity_needs_a_verified_qualification_of_every_placement() -> None:
    kb = default_kb()
    ok, fact = _qualification(kb, "outscale", [_item("cloudgouv-eu-west-1", "outscale_vm")])
    assert not ok and "recorded but unverified, not counted: outscale-secnumcloud-cloudgouv" in fact
    verified = _with_verified(kb, "outscale-secnumcloud-cloudgouv")
    ok, fact = _qualification(verified, "outscale", [_item("cloudgouv-eu-west-1", "outscale_vm")])
    assert ok and "outscale-secnumcloud-cloudgouv" in fact
    ok, fact = _qualification(verified, "outscale", [_item("cloudgouv-eu-west-1", "outscale_vm"),
                                                     _item("eu-west-2", "outscale_vm")])
    assert not ok and fact.startswith("1 of 2 resources")
    ok, _ = _qualification(kb, "ovhcloud", [_item("eu-west-gra-snc", "ovh_dedicated_server")])
    assert ok
    ok, _ = _qualification(kb, "ovhcloud", [_item("gra", "ovh_dedicated_server")])
    assert not ok


# --------------------------------------------------------------------------- scheme texts


def test_hds_description_states_the_2024_referential() -> None:
    hds = default_kb().schemes["hds"]
    assert "EEA" in hds.description.en and "EEE" in hds.description.fr and "EWR" in hds.description.de
    for text in (hds.description.en, hds.description.fr, hds.description.de):
        assert "nothing" not in text and "ne dit rien" not in text
    assert "esante.gouv.fr" in hds.source
