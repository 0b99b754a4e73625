"""Control chains and group links: the facts a control conclusion rests on are verified at a filing.

A law hit is verified only when every entity on its path is; an unverified parent silently caps a
finding. These tests hold the chains of the providers whose groups file annual reports to that
standard, and keep group links honest (a verified link never points at an unverified group).
"""

from __future__ import annotations

import pytest

from scanner.kb.loader import default_kb
from scanner.kb.schema import Trigger

#: Providers whose region operator and every parent up to the ultimate controller were checked
#: against the group's own filings (SEC filings, annual reports).
VERIFIED_CHAINS = ("gcp", "oci", "ibm", "azure", "digitalocean", "cloudflare")

#: Ultimate controllers verified at a filing or annual report, and a marker of that source.
FILED = {
    "alphabet-inc": "sec.gov",
    "oracle-corp": "SEC file no. 001-35992",
    "ibm-corp": "SEC file no. 1-2360",
    "akamai-technologies": "SEC file no. 0-27275",
    "cloudflare-inc": "sec.gov",
    "huawei-investment-holding": "Annual Report",
    "tencent-holdings": "Annual Report",
    "vnet-group": "SEC file no. 001-35126",
    "america-movil": "SEC file no. 1-16269",
}


@pytest.mark.parametrize("provider", VERIFIED_CHAINS)
def test_default_operator_chain_is_verified(provider: str) -> None:
    kb = default_kb()
    chain = kb.entity_chain(kb.providers[provider].default_operator)
    assert chain, provider
    unverified = [e.id for e in chain if not e.verified]
    assert unverified == [], f"{provider}: unverified entities on the control chain: {unverified}"
    assert chain[-1].parent is None


@pytest.mark.parametrize(("entity", "marker"), sorted(FILED.items()))
def test_ultimate_controllers_are_verified_at_their_filings(entity: str, marker: str) -> None:
    ent = default_kb().entities[entity]
    assert ent.verified, entity
    assert ent.parent is None
    assert marker in ent.source, (entity, ent.source)


def test_prc_holdings_are_controlled_from_china() -> None:
    kb = default_kb()
    for eid in ("tencent-holdings", "vnet-group"):
        ent = kb.entities[eid]
        assert (ent.country, ent.controlled_from) == ("KY", "CN"), eid
    assert kb.entities["huawei-investment-holding"].country == "CN"


def test_verified_group_links_point_at_verified_groups() -> None:
    kb = default_kb()
    linked = {pid: p.group for pid, p in kb.providers.items() if p.group is not None}
    assert {"aws", "huawei", "tencent", "alibaba", "linode"} <= set(linked)
    for pid, group in linked.items():
        chain = {e.id for e in kb.entity_chain(kb.providers[pid].default_operator)}
        assert group.entity in chain, pid
        if group.verified:
            assert kb.entities[group.entity].verified, f"{pid}: verified group link to an unverified group"
        else:
            assert len(group.unverified) >= 10, pid


def test_huawei_cloud_reaches_china_through_its_verified_group() -> None:
    """The operating company is unverified, but the group whose companies provide Huawei Cloud is
    a verified PRC company: the control conclusion can rest on the group."""
    kb = default_kb()
    huawei = kb.providers["huawei"]
    assert not kb.entities[huawei.default_operator].verified
    assert huawei.group is not None and huawei.group.verified
    group = kb.entities[huawei.group.entity]
    assert group.verified and group.country == "CN"


@pytest.mark.parametrize("country", ["CO", "MA", "OM", "TR"])
def test_new_region_countries_have_location_laws_with_provisional_weights(country: str) -> None:
    laws = default_kb().laws_in(country)
    assert laws, country
    for law in laws:
        assert Trigger.LOCATION in law.triggers
        assert law.jurisdiction == country
        # Official texts were not read: the record says so and that its weight is provisional.
        assert not law.verified and "provisional" in law.unverified, law.id
        assert "provisional" in law.summary.en
