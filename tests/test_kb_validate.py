"""Every cross-reference check of ``KnowledgeBase.validate`` and every table ``load_kb`` indexes.

One user data file breaks each rule once; the whole list of messages is pinned, in order, so a
check that disappears, changes its wording or moves is seen.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from scanner.kb.loader import KnowledgeBase, load_kb

SRC = {"source": "https://example.org/registry/page", "as_of": "2026-12-04"}


def _rec(**fields: object) -> dict[str, object]:
    """A record with provenance that passes the provenance checks."""
    return {**fields, **SRC}


def _law(law_id: str, jurisdiction: str, applies_in: list[str]) -> dict[str, object]:
    return _rec(id=law_id, name="Test law", jurisdiction=jurisdiction, applies_in=applies_in, triggers=["location"],
                severity=0.5, citation="Test Act", summary={"en": "A test law.", "fr": "Une loi de test."},
                status_as_of="2026-12-04", review_by="2030-01-01")


BROKEN = {
    "zones": [_rec(id="test-zone", name="Test zone", countries=["FR", "XA"])],
    "regions": [
        _rec(provider="ovhcloud", code="test-r1", name="R1", country="XB", countries=["XC"], zone="NOZONE",
             paired="nopair", regions=["nosub"]),
        _rec(provider="ovhcloud", code="test-r2", name="R2"),
        _rec(provider="ovhcloud", code="test-g", name="G", kind="global"),
    ],
    "entities": [
        _rec(id="test-e1", name="E1", country="XD", controlled_from="XE", parent="no-such-parent",
             presence=[_rec(country="XF", basis="a subsidiary sells there")] * 2),
    ],
    "providers": [
        _rec(id="test-p1", name="P1", kind="other", default_operator="no-such-op",
             operators=[_rec(entity="no-such-rule-ent")],
             contracting=[_rec(entity="no-such-ct-ent", customer_zone="NOZONE", customer_countries=["XG"],
                               except_countries=["XH"])],
             group=_rec(entity="no-such-group", basis="the group owns it")),
        _rec(id="test-p2", name="P2", kind="other", default_operator="ovh-groupe-sa",
             operators=[_rec(entity="ovh-groupe-sa")] * 2, contracting=[_rec(entity="ovh-groupe-sa")] * 2,
             group=_rec(entity="amazon-com-inc", basis="the group owns it")),
    ],
    "laws": [_law("test-law", "XI", ["XJ"]), _law("test-eu-law", "EU", [])],
    "services": [
        _rec(type="Test::Thing", provider="no-such-prov", name="Thing", category="storage", data_bearing=True,
             portability="standard", effort=3, effort_reason="none", alternatives=["no-such-alt"],
             placement="nowhere", parent="No::Parent"),
    ],
    "global_services": [
        _rec(provider="aws", service="test-gs", types=["Test::Global"],
             placements={"aws": "nowhere-1", "aws-cn": "us-east-1"}),
    ],
    "alternatives": [_rec(id="test-alt", name="Alt", provider="no-such-prov", kind="offer", category="storage")],
    "egress_prices": [_rec(provider="no-such-prov", price_per_unit=0.01, currency="EUR")],
}


def test_validate_reports_every_broken_cross_reference_in_order(tmp_path: Path) -> None:
    extra = tmp_path / "broken.yaml"
    extra.write_text(yaml.safe_dump(BROKEN, sort_keys=False), encoding="utf-8")
    kb = load_kb([extra])
    key = ("no-such-prov", "Test::Thing")
    kb.services[key] = kb.services[key].model_copy(update={"effort": 4})  # refused on load; validate checks it too
    assert kb.validate() == [
        "zone test-zone: unknown country XA",
        "region ovhcloud/test-r1: unknown country XB",
        "region ovhcloud/test-r1: unknown country XC",
        "region ovhcloud/test-r1: unknown zone NOZONE",
        "region ovhcloud/test-r1: unknown paired region nopair",
        "region ovhcloud/test-r1: unknown component region nosub",
        "region ovhcloud/test-r2: no country",
        "entity test-e1: unknown country XD",
        "entity test-e1 controlled_from: unknown country XE",
        "entity test-e1 presence: unknown country XF",
        "entity test-e1 presence: unknown country XF",
        "entity test-e1: presence belongs on the group's ultimate controller",
        "entity test-e1: presence lists a country twice",
        "entity test-e1: unknown parent no-such-parent",
        "provider test-p1: unknown entity no-such-op",
        "provider test-p1: unknown entity no-such-rule-ent",
        "provider test-p1: unknown entity no-such-ct-ent",
        "provider test-p1: unknown group entity no-such-group",
        "provider test-p1: catch-all operator rule names no-such-rule-ent, default_operator no-such-op",
        "provider test-p1: contracting rule names unknown zone NOZONE",
        "provider test-p1 contracting: unknown country XG",
        "provider test-p1 contracting: unknown country XH",
        "provider test-p2: default operator ovh-groupe-sa is not in the group of amazon-com-inc",
        "provider test-p2: more than one catch-all operator rule",
        "provider test-p2: more than one catch-all contracting rule",
        "law test-law: unknown country XI",
        "law test-law: unknown country XJ",
        "service no-such-prov/Test::Thing: unknown provider no-such-prov",
        "service no-such-prov/Test::Thing: unknown alternative no-such-alt",
        "service no-such-prov/Test::Thing: unknown placement nowhere",
        "service no-such-prov/Test::Thing: unknown parent type No::Parent",
        "service no-such-prov/Test::Thing: effort 4 not on the scale",
        "global service aws/test-gs: unknown region nowhere-1 (aws)",
        "global service aws/test-gs: us-east-1 is not in partition aws-cn",
        "alternative test-alt: unknown provider no-such-prov",
        "egress price no-such-prov: unknown provider",
    ]


def test_validate_flags_a_parent_chain_longer_than_thirty(tmp_path: Path) -> None:
    extra = tmp_path / "chain.yaml"
    chain = [_rec(id=f"test-chain-{i}", name=f"C{i}", country="FR", parent=f"test-chain-{i + 1}") for i in range(30)]
    chain.append(_rec(id="test-chain-30", name="C30", country="FR"))
    extra.write_text(yaml.safe_dump({"entities": chain}), encoding="utf-8")
    assert load_kb([extra]).validate() == ["entity test-chain-0: parent chain too long (cycle?)"]


def test_validate_checks_weights_and_exchange_rates() -> None:
    kb = load_kb()
    assert kb.weights is not None
    del kb.weights.sensitivity["health"]
    kb.weights.sensitivity["public"] = 1.5
    kb.weights.mitigation["test-control"] = 1.0
    del kb.weights.migration_levels[13]
    kb.weights.required_certifications["genetic-biometric"]["FR"].append("no-such-scheme")
    kb.exchange_rates.clear()
    assert kb.validate() == [
        "egress price aws: no exchange rate for USD",
        "egress price azure: no exchange rate for USD",
        "egress price gcp: no exchange rate for USD",
        "weights: no sensitivity for data class health",
        "weights: sensitivity public=1.5 outside 0..1",
        "weights: mitigation test-control=1.0 outside 0..1",
        "weights: no migration level for effort 13",
        "weights: unknown certification scheme no-such-scheme",
    ]


def test_validate_without_weights_says_so() -> None:
    assert KnowledgeBase().validate() == ["weights.yaml: missing"]


def test_every_table_is_indexed_by_its_key_and_duplicates_are_reported(tmp_path: Path) -> None:
    shipped = load_kb()
    tables = ("countries", "zones", "regions", "entities", "providers", "schemes", "qualifications", "laws",
              "alternatives", "egress_prices", "exchange_rates", "csf_objectives", "global_services",
              "legal_identifiers", "services")
    doc: dict[str, list[object]] = {}
    expected: list[str] = []
    extra = tmp_path / "again.yaml"
    for table in tables:
        key, rec = next(iter(getattr(shipped, table).items()))
        assert getattr(shipped, table)[key] is rec
        doc[table] = [rec.model_dump(mode="json", exclude_defaults=True)]
        shown = f"({key[0]!r}, {key[1]!r})" if isinstance(key, tuple) else key
        expected.append(f"{extra}: duplicate {table} id {shown}")
    svc = next(iter(shipped.services.values()))
    expected += [f"{extra}: type alias {name} maps to {svc.type} and {svc.type}" for name in (svc.type, *svc.aliases)]
    doc["rules"] = [shipped.rules[0].model_dump(mode="json", exclude_defaults=True)]
    doc["findings"] = [shipped.finding_rules[0].model_dump(mode="json", exclude_defaults=True)]
    extra.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    again = load_kb([extra])
    assert again.duplicates == expected
    assert len(again.rules) == len(shipped.rules) + 1 and again.rules[-1] == shipped.rules[0]
    assert len(again.finding_rules) == len(shipped.finding_rules) + 1
    assert again.finding_rules[-1] == shipped.finding_rules[0]
    for table in tables:
        key, rec = next(iter(getattr(shipped, table).items()))
        assert getattr(again, table)[key] == rec, table
    assert again.service(svc.provider, svc.aliases[0]) == svc
