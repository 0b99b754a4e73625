"""Reach tiers on the cases a sceptical reader checks first: sovereign offers against hyperscaler regions.

A health database is placed, one at a time, in each location below; the conclusions must be the
ones a careful European lawyer would defend: no high or critical finding where no foreign law reaches
the data by control or location (the residual presence tier apart), critical where a US-controlled
operator runs the region. The same rule must apply to every group (OVHcloud and Outscale alike).
"""

from __future__ import annotations

import pytest

from scanner.config import Config
from scanner.inventory import Inventory
from scanner.model import Resource
from scanner.pipeline import assess
from scanner.result import Assessed

HIGH = {"high", "critical"}


def _assess(provider: str, native_type: str, region: str) -> Assessed:
    res = Resource(id=f"{provider}:health-db", provider=provider, native_type=native_type, name="dossiers-patients",
                   region=region, tags={"DataClassification": "PHI"})
    inv = Inventory()
    inv.add_resource(res)
    found = assess(inv, Config()).by_id(res.id)
    assert found is not None
    return found


SOVEREIGN = [
    ("ovhcloud", "ovh_cloud_project_database", "eu-west-gra-snc"),
    ("outscale", "outscale_vm", "cloudgouv-eu-west-1"),
    ("s3ns", "s3ns-premi3ns-cloud-sql", "u-france-east1"),
    ("scaleway", "scaleway_rdb_instance", "fr-par"),
]
HYPERSCALER = [
    ("aws", "AWS::RDS::DBInstance", "eu-west-3"),
    ("azure", "microsoft.sql/servers/databases", "francecentral"),
]


@pytest.mark.parametrize(("provider", "native_type", "region"), SOVEREIGN)
def test_health_data_at_a_european_provider_gets_no_high_finding(provider: str, native_type: str,
                                                                  region: str) -> None:
    a = _assess(provider, native_type, region)
    assert a.classes == ("health",) and a.service is not None and a.country == "FR"
    assert not [h for h in a.hits if h.counts], [h.law for h in a.hits if h.counts]
    assert a.exposure == 0.0 and a.exposure_level == "none"
    assert not {t.severity for t in a.profile.findings} & HIGH
    # Whatever reaches it does so only through presence, and says so.
    for hit in a.hits:
        if hit.foreign:
            assert hit.trigger == "presence" and "residual" in hit.basis


@pytest.mark.parametrize(("provider", "native_type", "region"), HYPERSCALER)
def test_health_data_at_a_us_controlled_operator_stays_critical(provider: str, native_type: str, region: str) -> None:
    a = _assess(provider, native_type, region)
    assert a.country == "FR" and a.exposure_level == "critical"
    control = {h.law for h in a.hits if h.counts and h.trigger == "control"}
    assert "us-cloud-act" in control
    assert [t.severity for t in a.profile.findings if t.rule == "health-data-foreign-law"] == ["critical"]
    cloud_act = next(h for h in a.hits if h.law == "us-cloud-act" and h.trigger == "control")
    assert cloud_act.verified
    assert ("Amazon.com" in cloud_act.basis) or ("Microsoft Corporation" in cloud_act.basis)


def test_one_presence_rule_for_every_group() -> None:
    """OVHcloud and Outscale are judged by the same rule: whatever presence the knowledge base
    records for their groups, a law reaches them by presence only when it has a documented reach."""
    from scanner.kb.loader import default_kb

    kb = default_kb()
    with_reach = {law.id for law in kb.laws.values() if law.presence_reach is not None}
    for provider, native_type, region in SOVEREIGN[:2]:
        a = _assess(provider, native_type, region)
        assert {h.law for h in a.hits if h.trigger == "presence"} <= with_reach
    assert "us-fisa-702" not in with_reach and "us-eo-12333" not in with_reach


def test_presence_only_sensitive_data_gets_a_low_residual_finding() -> None:
    """OVHcloud's group operates in the US, Canada and the United Kingdom: the CLOUD Act, Canadian
    production orders and the Investigatory Powers Act may reach it through that presence; reported
    as one low finding, outside the score."""
    a = _assess("ovhcloud", "ovh_cloud_project_database", "eu-west-gra-snc")
    assert {h.law for h in a.hits if h.residual} == {"us-cloud-act", "ca-production-orders",
                                                       "uk-investigatory-powers-act"}
    assert [(t.rule, t.severity) for t in a.profile.findings] == [("residual-foreign-reach", "low")]
