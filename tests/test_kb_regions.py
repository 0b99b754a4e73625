"""Meta-tests of the countries, zones and region tables of the knowledge base.

They walk the data files and check what a reader of the scores relies on: every record validates,
ids are unique, every place a region names exists, Azure pairs and dual-regions point at real
regions, EU/EEA membership is consistent, and the AWS table covers every region of the installed
botocore. They also exercise ``scripts/sync_aws_regions.py`` on a scratch copy of the AWS table.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import botocore  # type: ignore[import-untyped]  # no stubs shipped
import pytest
import yaml
from botocore.loaders import Loader  # type: ignore[import-untyped]
from pydantic import TypeAdapter

from scanner.kb.schema import Country, Region, RegionKind, Zone
from scripts import sync_aws_regions

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "scanner" / "kb" / "data"
REGION_FILES = ("aws", "azure", "gcp", "oci", "others")
PSEUDO = ("aws-global", "aws-cn-global", "aws-us-gov-global", "aws-iso-global", "aws-iso-b-global")


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    assert isinstance(doc, dict), path
    return doc


@pytest.fixture(scope="module")
def countries() -> dict[str, Country]:
    doc = _load(DATA / "countries.yaml")
    parsed = TypeAdapter(list[Country]).validate_python(doc["countries"])
    codes = [c.code for c in parsed]
    assert not [c for c, n in Counter(codes).items() if n > 1], "duplicate country codes"
    return {c.code: c for c in parsed}


@pytest.fixture(scope="module")
def zones() -> dict[str, Zone]:
    doc = _load(DATA / "countries.yaml")
    parsed = TypeAdapter(list[Zone]).validate_python(doc["zones"])
    return {z.id: z for z in parsed}


@pytest.fixture(scope="module")
def regions() -> list[Region]:
    found: list[Region] = []
    for name in REGION_FILES:
        doc = _load(DATA / "regions" / f"{name}.yaml")
        found.extend(TypeAdapter(list[Region]).validate_python(doc["regions"]))
    return found


def _by_provider(regions: list[Region], provider: str) -> dict[str, Region]:
    return {r.code: r for r in regions if r.provider == provider}



# --------------------------------------------------------------------------- countries and zones


def test_eu_and_eea_membership(countries: dict[str, Country], zones: dict[str, Zone]) -> None:
    eu = {c.code for c in countries.values() if c.eu}
    eea = {c.code for c in countries.values() if c.eea}
    assert len(eu) == 27
    assert eu <= eea, "every EU member is in the EEA"
    assert eea - eu == {"IS", "LI", "NO"}
    assert set(zones["EU"].countries) == eu
    assert set(zones["EEA"].countries) == eea
    # An EU member has no adequacy decision: the GDPR applies there directly.
    assert not [c.code for c in countries.values() if c.eea and c.adequacy is not None]


def test_adequacy_decisions(countries: dict[str, Country]) -> None:
    adequate = {c.code: c.adequacy for c in countries.values() if c.adequacy is not None}
    assert set(adequate) == {
        "AD", "AR", "CA", "FO", "GG", "IL", "IM", "JP", "JE", "NZ", "KR", "CH", "GB", "UY", "US", "BR",
    }
    partial = {code for code, a in adequate.items() if a.scope == "partial"}
    assert partial == {"CA", "JP", "KR", "US"}
    us = adequate["US"]
    assert "2023/1795" in us.decision and "Data Privacy Framework" in us.note
    assert "PIPEDA" in adequate["CA"].note
    assert "2002/2/EC" in adequate["CA"].decision


def test_zone_and_country_names(countries: dict[str, Country], zones: dict[str, Zone]) -> None:
    for zone in zones.values():
        assert set(zone.countries) <= set(countries), zone.id
    for country in countries.values():
        assert country.name.en and country.name.fr


# --------------------------------------------------------------------------- regions


def test_region_ids_unique_per_provider(regions: list[Region]) -> None:
    dupes = [key for key, n in Counter((r.provider, r.code) for r in regions).items() if n > 1]
    assert dupes == []


def test_every_place_exists(
    regions: list[Region], countries: dict[str, Country], zones: dict[str, Zone]
) -> None:
    unknown = []
    for r in regions:
        for code in ([r.country] if r.country else []) + r.countries:
            if code not in countries:
                unknown.append((r.provider, r.code, code))
        if r.zone is not None and r.zone not in zones:
            unknown.append((r.provider, r.code, r.zone))
    assert unknown == []


def test_every_region_is_placed(regions: list[Region]) -> None:
    for r in regions:
        if r.kind is RegionKind.REGION:
            # Only non-hyperscaler regions may lack a country, and then the note says why.
            assert r.country is not None or (r.provider not in {"aws", "azure", "gcp"} and r.note), r
            assert not r.countries, r
        else:
            assert r.country is None and (r.countries or r.zone), r


def test_provenance(regions: list[Region]) -> None:
    today = dt.date.today()
    for r in regions:
        assert r.as_of <= today, r.code
        assert r.source.strip(), r.code


def test_global_records(regions: list[Region]) -> None:
    for provider in ("aws", "azure", "gcp"):
        record = _by_provider(regions, provider)["global"]
        assert record.kind is RegionKind.GLOBAL
        assert record.countries == ["US"]
        assert record.note
    assert "us-east-1" in _by_provider(regions, "aws")["global"].note


def test_azure_pairs_exist_and_are_symmetric(regions: list[Region]) -> None:
    azure = _by_provider(regions, "azure")
    for code, r in azure.items():
        if r.paired is None:
            continue
        assert r.paired in azure, (code, r.paired)
        back = azure[r.paired].paired
        if back != code:
            # Microsoft documents a few pairs as one-way (Brazil South -> South Central US...).
            assert "one-way pair" in r.note, (code, r.paired, back)
    assert azure["northeurope"].paired == "westeurope"
    assert azure["westeurope"].paired == "northeurope"
    assert azure["brazilsouth"].paired == "southcentralus"
    assert azure["europe"].kind is RegionKind.GEOGRAPHY
    assert set(azure["europe"].countries) == {"IE", "NL"}


def test_dual_and_multi_regions(regions: list[Region]) -> None:
    gcp = _by_provider(regions, "gcp")
    for r in regions:
        if r.kind not in (RegionKind.DUAL_REGION, RegionKind.MULTI_REGION) or not r.regions:
            continue
        mine = _by_provider(regions, r.provider)
        assert all(c in mine for c in r.regions), (r.code, r.regions)
        component_countries = {mine[c].country for c in r.regions}
        assert component_countries == set(r.countries), r.code
    assert gcp["eur4"].regions == ["europe-north1", "europe-west4"]
    assert set(gcp["eur5"].countries) == {"BE", "GB"}
    assert set(gcp["eur8"].countries) == {"DE", "CH"}
    assert gcp["eu"].zone == "EU"


# --------------------------------------------------------------------------- AWS and botocore


def test_every_botocore_region_is_in_aws_table(regions: list[Region]) -> None:
    aws = _by_provider(regions, "aws")
    partitions = Loader().load_data("partitions")
    endpoints = Loader().load_data("endpoints")
    seen = set()
    for partition in partitions["partitions"]:
        for code, info in partition["regions"].items():
            if code in PSEUDO or code.endswith("-global"):
                assert code not in aws, f"pseudo-region {code} listed as a region"
                continue
            seen.add(code)
            assert code in aws, f"{code} ({partition['id']}) missing from aws.yaml"
            assert aws[code].country is not None, code
            assert aws[code].partition == partition["id"], code
            assert aws[code].name == info["description"], code
    # endpoints.json lists the same regions for the partitions it still carries.
    for partition in endpoints["partitions"]:
        for code in partition["regions"]:
            assert code in aws, code
    assert seen == {c for c, r in aws.items() if r.kind is RegionKind.REGION}


def test_sync_script_reports_and_appends(tmp_path: Path) -> None:
    sync = sync_aws_regions
    source = DATA / "regions" / "aws.yaml"
    header, records = sync.load_records(source)
    kept = [r for r in records if r["code"] not in {"eu-west-3", "sa-west-1"}]
    scratch = tmp_path / "aws.yaml"
    sync.dump(scratch, header, kept)

    assert sync.main(["--file", str(scratch)]) == 1  # check mode: the file lacks regions
    assert sync.main(["--file", str(scratch), "--write"]) == 0
    _, after = sync.load_records(scratch)
    by_code = {r["code"]: r for r in after}
    assert set(by_code) == {r["code"] for r in records}
    added = by_code["eu-west-3"]
    assert added["country"] is None and added["partition"] == "aws"
    assert added["name"] == "Europe (Paris)"
    assert added["source"] == f"botocore {botocore.__version__} data/partitions.json"
    # Hand-checked records are left as they were.
    assert by_code["eu-central-1"] == {r["code"]: r for r in records}["eu-central-1"]
    assert scratch.read_text(encoding="utf-8").startswith(header[0])
    assert sync.main(["--file", str(scratch)]) == 0


def test_sync_compare_flags_extra_and_renamed() -> None:
    sync = sync_aws_regions
    boto = [sync.BotoRegion("eu-west-3", "aws", "Europe (Paris)")]
    records = [
        {"code": "eu-west-3", "name": "Paris", "kind": "region"},
        {"code": "xx-test-1", "name": "Test", "kind": "region"},
        {"code": "global", "name": "AWS global", "kind": "global"},
    ]
    diff = sync.compare(records, boto)
    assert diff.missing == []
    assert diff.extra == ["xx-test-1"]
    assert diff.renamed == [("eu-west-3", "Paris", "Europe (Paris)")]
    pseudo = {"partitions": [{"id": "aws", "regions": {"aws-global": {}, "eu-west-3": {"description": "x"}}}]}
    assert [r.code for r in sync.botocore_regions(pseudo)] == ["eu-west-3"]
