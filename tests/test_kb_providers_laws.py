"""Meta-tests of the knowledge-base files for providers, legal entities, certifications and laws.

They validate ``providers.yaml``, ``certifications.yaml`` and ``laws.yaml`` against the pydantic
schemas and then walk the tables the way the graph builder will: every referenced entity exists,
every parent chain ends at an ultimate controller, the canonical provider and law ids from
DESIGN.md exist, and the corporate chains put each region under the law that actually reaches it
(US for the US hyperscalers, China for Chinese-operated regions, Canada for OVHcloud's Canadian
regions). The chain helpers are also tested on small synthetic tables so that a broken helper
cannot make the real-data tests pass vacuously.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from scanner.kb.schema import CertificationScheme, Entity, Law, LawStatus, Presence, Provider, Trigger

DATA = Path(__file__).resolve().parents[1] / "scanner" / "kb" / "data"

# Canonical ids fixed by DESIGN.md ("Canonical identifiers"); delos is an extra provider.
DESIGN_PROVIDERS = {
    "aws", "azure", "gcp", "oci", "ibm", "alibaba", "ovhcloud", "scaleway", "outscale", "hetzner",
    "ionos", "otc", "exoscale", "upcloud", "clevercloud", "cloudtemple", "bleu", "s3ns", "stackit",
}
# DESIGN.md's list plus the ids that the knowledge-base brief names explicitly.
REQUIRED_LAWS = {
    "us-cloud-act", "us-fisa-702", "us-eo-12333", "cn-national-intelligence-law",
    "cn-data-security-law", "cn-cybersecurity-law", "cn-counter-espionage-law",
    "hk-national-security-law", "ru-sorm", "uk-investigatory-powers-act", "au-tola", "in-it-act",
    "ca-production-orders", "eu-gdpr", "eu-e-evidence",
}
REQUIRED_SCHEMES = {"secnumcloud", "hds", "c5", "ens", "iso-27001", "iso-27018", "soc2", "eucs",
                    "bsi-grundschutz"}
# The documented severity scale (comment at the top of laws.yaml).
SEVERITY_SCALE = {0.0, 0.2, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0}


def _load(name: str) -> dict[str, Any]:
    with (DATA / name).open(encoding="utf-8") as handle:
        loaded = yaml.safe_load(handle)
    assert isinstance(loaded, dict), f"{name} must hold a mapping"
    return loaded


@cache
def entities() -> dict[str, Entity]:
    records = [Entity.model_validate(raw) for raw in _load("providers.yaml")["entities"]]
    return {record.id: record for record in records}


@cache
def providers() -> dict[str, Provider]:
    records = [Provider.model_validate(raw) for raw in _load("providers.yaml")["providers"]]
    return {record.id: record for record in records}


@cache
def laws() -> dict[str, Law]:
    records = [Law.model_validate(raw) for raw in _load("laws.yaml")["laws"]]
    return {record.id: record for record in records}


@cache
def schemes() -> dict[str, CertificationScheme]:
    records = [CertificationScheme.model_validate(raw) for raw in _load("certifications.yaml")["schemes"]]
    return {record.id: record for record in records}


# --------------------------------------------------------------------------- chain helpers


class ChainError(ValueError):
    """A parent chain that points to a missing entity or loops."""


def chain(entity_id: str, table: Mapping[str, Entity]) -> list[Entity]:
    """The entity followed by each controlling parent up to the ultimate controller."""
    seen: list[str] = []
    current: str | None = entity_id
    out: list[Entity] = []
    while current is not None:
        if current in seen:
            raise ChainError(f"cycle: {' -> '.join([*seen, current])}")
        if current not in table:
            raise ChainError(f"unknown entity {current!r} (chain {' -> '.join(seen) or entity_id})")
        seen.append(current)
        out.append(table[current])
        current = table[current].parent
    return out


def reaches_country(entity_id: str, country: str, table: Mapping[str, Entity]) -> bool:
    """Whether a law of ``country`` reaches the entity by incorporation or presence in its chain."""
    return any(country in (e.country, e.controlled_from) or e.presence_in(country) is not None
               for e in chain(entity_id, table))


def operator_for(provider: Provider, region: str | None = None, partition: str | None = None) -> str:
    """The entity operating a region, with the precedence of ``KnowledgeBase.operator_of``:
    the first selecting rule (in file order) whose partition or region list matches, else the
    catch-all rule, else the default."""
    for rule in provider.operators:
        if (partition is not None and rule.partition == partition) or (
            region is not None and region in rule.regions
        ):
            return rule.entity
    return provider.default_operator


def _entity(eid: str, country: str, parent: str | None = None, presence: Iterable[str] = (),
            controlled_from: str | None = None) -> Entity:
    return Entity(id=eid, name=eid, country=country, parent=parent, controlled_from=controlled_from,
                  presence=[Presence(country=c, basis="a subsidiary incorporated there", source="test",
                                     as_of=dt.date(2026, 11, 30)) for c in presence],
                  source="test", as_of=dt.date(2026, 11, 30))


def test_chain_helper_follows_parents_and_detects_errors() -> None:
    table = {e.id: e for e in [_entity("op", "LU", "mid"), _entity("mid", "IE", "top"), _entity("top", "US")]}
    assert [e.id for e in chain("op", table)] == ["op", "mid", "top"]
    assert reaches_country("op", "US", table)
    assert not reaches_country("op", "CN", table)

    looping = {e.id: e for e in [_entity("a", "FR", "b"), _entity("b", "FR", "a")]}
    with pytest.raises(ChainError, match="cycle"):
        chain("a", looping)
    dangling = {"a": _entity("a", "FR", "ghost")}
    with pytest.raises(ChainError, match="unknown entity 'ghost'"):
        chain("a", dangling)
    offshore = {e.id: e for e in [_entity("sub", "NL", "hold"), _entity("hold", "KY", controlled_from="CN")]}
    assert reaches_country("sub", "CN", offshore)
    present = {e.id: e for e in [_entity("sub", "FR", "top"), _entity("top", "FR", presence=["CA"])]}
    assert reaches_country("sub", "CA", present) and not reaches_country("sub", "US", present)


# --------------------------------------------------------------------------- validation and ids


@pytest.mark.parametrize(("filename", "key"), [
    ("providers.yaml", "entities"), ("providers.yaml", "providers"),
    ("laws.yaml", "laws"), ("certifications.yaml", "schemes"),
])
def test_ids_are_unique(filename: str, key: str) -> None:
    counts = Counter(raw["id"] for raw in _load(filename)[key])
    assert {i: n for i, n in counts.items() if n > 1} == {}


def test_files_validate_and_are_not_trivially_small() -> None:
    assert len(entities()) >= 40
    assert len(providers()) >= 20
    assert len(laws()) >= 20
    assert len(schemes()) >= 10


def test_every_design_provider_exists() -> None:
    assert DESIGN_PROVIDERS - providers().keys() == set()


def test_every_required_law_exists() -> None:
    assert REQUIRED_LAWS - laws().keys() == set()


def test_every_required_scheme_exists() -> None:
    assert REQUIRED_SCHEMES - schemes().keys() == set()


def test_every_referenced_entity_exists() -> None:
    table = entities()
    missing = {(e.id, "parent", e.parent) for e in table.values() if e.parent and e.parent not in table}
    for p in providers().values():
        if p.default_operator not in table:
            missing.add((p.id, "default_operator", p.default_operator))
        missing.update((p.id, "operators", r.entity) for r in p.operators if r.entity not in table)
    assert missing == set()


def test_parent_chains_terminate() -> None:
    table = entities()
    for entity_id in table:
        ultimate = chain(entity_id, table)[-1]
        assert ultimate.parent is None


def test_operator_rules_are_well_formed() -> None:
    for p in providers().values():
        selecting = [rule for rule in p.operators if rule.partition or rule.regions]
        for rule in selecting:
            # A rule selects by one thing only, so precedence is unambiguous.
            assert not (rule.partition and rule.regions), (p.id, rule)
        catch_all = [rule for rule in p.operators if not rule.partition and not rule.regions]
        # At most one catch-all rule, naming the default operator (it carries its provenance).
        assert len(catch_all) <= 1 and all(r.entity == p.default_operator for r in catch_all), p.id
        all_regions = [r for rule in p.operators for r in rule.regions]
        assert len(all_regions) == len(set(all_regions)), f"{p.id}: a region is in two operator rules"


# --------------------------------------------------------------------------- corporate chains


def _ultimate_country(entity_id: str) -> str:
    return chain(entity_id, entities())[-1].country


def test_us_hyperscalers_end_in_us() -> None:
    for pid in ("aws", "azure", "gcp", "oci", "ibm", "digitalocean", "linode", "cloudflare"):
        assert _ultimate_country(providers()[pid].default_operator) == "US", pid
    assert [e.id for e in chain("aws-emea-sarl", entities())] == ["aws-emea-sarl", "amazon-com-inc"]
    assert [e.id for e in chain("google-cloud-emea-ltd", entities())][-1] == "alphabet-inc"


def test_aws_partitions_map_to_their_operators() -> None:
    aws = providers()["aws"]
    placements = {
        # Who runs the commercial regions is not published: the US company stands for it, marked
        # unverified; AWS EMEA SARL is the contracting party of European accounts, not the operator.
        ("eu-west-3", "aws"): "aws-inc",
        ("sa-east-1", "aws"): "aws-inc",
        ("cn-north-1", "aws-cn"): "beijing-sinnet",
        ("cn-northwest-1", "aws-cn"): "nwcd",
        ("eusc-de-east-1", "aws-eusc"): "aws-european-sovereign-cloud",
        ("us-gov-west-1", "aws-us-gov"): "aws-inc",
    }
    assert {k: operator_for(aws, *k) for k in placements} == placements
    # The sovereign partition is run by a German entity but is still controlled from the US.
    esc = operator_for(aws, "eusc-de-east-1", "aws-eusc")
    assert entities()[esc].country == "DE"
    assert _ultimate_country(esc) == "US"


def test_chinese_operated_regions_and_providers_reach_china() -> None:
    table = entities()
    aws, azure, alibaba = providers()["aws"], providers()["azure"], providers()["alibaba"]
    for region in ("cn-north-1", "cn-northwest-1"):
        assert reaches_country(operator_for(aws, region, "aws-cn"), "CN", table), region
    for region in ("chinanorth", "chinanorth2", "chinanorth3", "chinaeast", "chinaeast2", "chinaeast3"):
        assert reaches_country(operator_for(azure, region), "CN", table), region
    # A Chinese-controlled provider is reached by Chinese law wherever it operates.
    alibaba_operators = {alibaba.default_operator, *(r.entity for r in alibaba.operators)}
    assert {e for e in alibaba_operators if not reaches_country(e, "CN", table)} == set()
    # Who runs the international regions is not published: the group's holding stands for it.
    assert operator_for(alibaba, "eu-central-1") == "alibaba-group-holding"
    assert operator_for(alibaba, "cn-hangzhou") == "alibaba-cloud-computing-ltd"
    # Non-Chinese operators must not be attached to China by mistake.
    assert not reaches_country(operator_for(azure, "westeurope"), "CN", table)


def test_us_government_clouds_are_us_entities() -> None:
    assert entities()[operator_for(providers()["azure"], "usgovvirginia")].country == "US"
    assert entities()[operator_for(providers()["aws"], "us-gov-east-1", "aws-us-gov")].country == "US"


def test_ovhcloud_regions_follow_local_subsidiaries() -> None:
    ovh = providers()["ovhcloud"]
    got = {region: entities()[operator_for(ovh, region)].country
           for region in ("gra", "bhs", "ca-east-bhs", "ca-east-tor", "us-east-va", "us-west-or")}
    assert got == {"gra": "FR", "bhs": "CA", "ca-east-bhs": "CA", "ca-east-tor": "CA",
                   "us-east-va": "US", "us-west-or": "US"}
    # The Canadian precedent: the European group itself has CA and US presence.
    assert {"CA", "US"} <= {p.country for p in entities()["ovh-groupe-sa"].presence}


def test_presence_is_one_criterion_on_ultimate_controllers_only() -> None:
    table = entities()
    for ent in table.values():
        if ent.presence:
            assert ent.parent is None, f"{ent.id}: presence belongs on the group's ultimate controller"
        for pres in ent.presence:
            assert pres.basis.strip() and pres.source.strip(), (ent.id, pres.country)
        # Presence is never used to model control from China: that is controlled_from.
        assert "CN" not in {p.country for p in ent.presence}, ent.id
    # The same criterion reaches Outscale's group as OVH's: both run US regions through a US company.
    assert table["dassault-systemes-se"].presence_in("US") is not None
    assert table["ovh-groupe-sa"].presence_in("US") is not None
    # Offshore holdings run from the PRC are controlled from CN, not "present" there.
    for holding in ("alibaba-group-holding", "vnet-group", "tencent-holdings"):
        assert table[holding].country == "KY" and table[holding].controlled_from == "CN", holding


def test_new_chinese_providers_reach_china_by_control() -> None:
    table = entities()
    for pid in ("huawei", "tencent"):
        p = providers()[pid]
        for ent_id in {p.default_operator, *(r.entity for r in p.operators), *(r.entity for r in p.contracting)}:
            assert reaches_country(ent_id, "CN", table), (pid, ent_id)


def test_european_and_trusted_cloud_providers_are_not_controlled_from_outside_europe() -> None:
    europe = {"FR", "DE", "FI", "CH", "AT", "LU", "NL", "IE"}
    assert {"infomaniak", "numspot"} <= {p.id for p in providers().values() if p.kind != "hyperscaler"}
    for p in providers().values():
        if p.kind in ("european", "trusted-cloud") and p.id != "exoscale":
            assert _ultimate_country(p.default_operator) in europe, p.id
    # Exoscale is the documented exception: Swiss operator, Mexican ultimate controller.
    assert _ultimate_country(providers()["exoscale"].default_operator) == "MX"
    assert {p.id for p in providers().values() if p.kind == "trusted-cloud"} == {"bleu", "s3ns", "delos", "numspot"}


# --------------------------------------------------------------------------- laws


def test_severities_are_on_the_documented_scale() -> None:
    assert {lid: law.severity for lid, law in laws().items() if law.severity not in SEVERITY_SCALE} == {}
    assert laws()["eu-gdpr"].severity == 0.0
    assert laws()["eu-e-evidence"].severity < laws()["us-cloud-act"].severity
    assert laws()["us-eo-12333"].severity < laws()["us-fisa-702"].severity


def test_control_laws_cover_the_countries_of_provider_chains() -> None:
    # Every country where a US or Chinese group is incorporated must have a control-trigger law.
    control_jurisdictions = {law.jurisdiction for law in laws().values() if Trigger.CONTROL in law.triggers}
    assert {"US", "CN", "GB", "CA", "AU", "IN"} <= control_jurisdictions
    us_control = {
        lid for lid, law in laws().items() if law.jurisdiction == "US" and Trigger.CONTROL in law.triggers
    }
    assert {"us-cloud-act", "us-fisa-702"} <= us_control


def test_fisa_702_lapse_does_not_remove_exposure() -> None:
    # The reported lapse has no primary source: the record says so and must be re-checked soon,
    # while collection under certifications already approved keeps the full weight.
    fisa = laws()["us-fisa-702"]
    assert fisa.status == LawStatus.LAPSED and not fisa.verified and "primary source" in fisa.unverified
    assert fisa.status_note is not None and "2027" in fisa.status_note.en
    assert (fisa.review_by - fisa.status_as_of).days <= 62
    assert fisa.severity == 1.0 and fisa.content_access and fisa.secret


def test_redress_is_not_described_as_absent() -> None:
    # EO 14086's Data Protection Review Court exists; the General Court upheld the EU-US decision
    # (T-553/23) and an appeal is pending (C-703/25 P).
    for lid in ("us-fisa-702", "us-eo-12333"):
        text = laws()[lid].summary.en + (laws()[lid].status_note.en if laws()[lid].status_note else "")
        assert "no effective way" not in text
        assert "Data Protection Review Court" in text and "C-703/25 P" in text


def test_amended_and_corrected_chinese_laws() -> None:
    csl = laws()["cn-cybersecurity-law"]
    assert csl.status == LawStatus.AMENDED and "2025-10-28" in csl.citation and "Articles 30" in csl.citation
    assert "Article 28" not in csl.citation.replace("formerly 28", "")
    dsl = laws()["cn-data-security-law"]
    assert {"35", "36"} <= set(re.findall(r"\b(\d+) \(", dsl.citation))


def test_canadian_order_concerned_subscriber_data() -> None:
    ca = laws()["ca-production-orders"]
    assert "subscriber" in ca.summary.en and "content" not in ca.summary.en
    assert ca.status_note is not None and "not content" in ca.status_note.en


# Regimes whose reach over a foreign group present in the jurisdiction has a documented basis, and
# the intelligence regimes that must never carry one without a primary source showing such reach.
PRESENCE_REACH = {"us-cloud-act", "ca-production-orders", "uk-investigatory-powers-act", "br-marco-civil",
                  "cl-criminal-procedure-code"}
NEVER_PRESENCE = {"us-fisa-702", "us-eo-12333", "us-national-security-letters"}


def test_presence_reach_only_where_documented() -> None:
    got = {lid for lid, law in laws().items() if law.presence_reach is not None}
    assert got == PRESENCE_REACH
    assert not got & NEVER_PRESENCE
    for lid in got:
        reach = laws()[lid].presence_reach
        assert reach is not None and reach.basis.de and reach.source, lid


def test_location_laws_name_their_territory() -> None:
    for law in laws().values():
        if Trigger.LOCATION in law.triggers and law.jurisdiction == "EU":
            assert law.applies_in, law.id
    assert "DK" not in laws()["eu-e-evidence"].applies_in  # Denmark is not bound
    assert {"NO", "IS", "LI", "FR", "DE"} <= set(laws()["eu-gdpr"].applies_in)


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-Ý\"«])")


@pytest.mark.parametrize("law_id", sorted(laws()))
def test_summaries_are_short_and_trilingual(law_id: str) -> None:
    summary = laws()[law_id].summary
    assert summary.de is not None, f"{law_id}: no German summary"
    for text in (summary.en, summary.fr, summary.de):
        sentences = _SENTENCE.split(text.strip())
        assert 2 <= len(sentences) <= 4, (law_id, len(sentences), text)
    assert len({summary.en, summary.fr, summary.de}) == 3


def test_every_law_has_french_and_german_names() -> None:
    from scanner.kb.loader import load_kb

    missing = [law.id for law in load_kb().laws.values() if not law.name_fr or not law.name_de]
    assert missing == []
