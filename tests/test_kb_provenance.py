"""Every knowledge-base fact names a source a reader can open: the rules, and the shipped data."""

from __future__ import annotations

import pytest

from scanner.kb.loader import default_kb
from scanner.kb.provenance import CHECKED_TABLES, check_source, provenance_problems


@pytest.mark.parametrize("source", [
    "https://eur-lex.europa.eu/eli/reg/2016/679/oj",
    "Regulation (EU) 2016/679, Art. 45",
    "18 U.S.C. § 2713",
    "CJEU C-311/18 (Schrems II), ECLI:EU:C:2020:559",
    "botocore 1.44.8 data/partitions.json",
    "https://docs.aws.amazon.com/general/latest/gr/rande.html; Commission Implementing Decision (EU) 2023/1795",
    # Company filings and registry entries by their formal identity.
    "Oracle Corporation, Form 10-K for the fiscal year ended May 31, 2021, SEC file no. 001-35992",
    "IBM, Form 10-K for 2023, SEC accession no. 0000051143-24-000012",
    "Huawei Investment & Holding Co., Ltd., 2019 Annual Report",
    "OVH Groupe, 537 407 926 RCS Lille Métropole",
    "Amtsgericht Bonn HRB 6794",
])
def test_acceptable_sources(source: str) -> None:
    assert check_source(source) == []


@pytest.mark.parametrize(("source", "why"), [
    ("abc", "neither a page URL"),
    ("https://www.ovhcloud.com", "bare domain"),
    ("https://www.ovhcloud.com/", "bare domain"),
    ("reference/laws-and-frameworks.md §1.4", "not shipped"),
    ("see docs/methodology.md", "not shipped"),
    ("https://www.surefintech.eu/dora-list", "not a primary"),
    ("https://en.wikipedia.org/wiki/CLOUD_Act", "not a primary"),
    ("https://example.org/llms.txt", "written for machines"),
    ("", "no source"),
    ("Form 10-K", "neither a page URL"),  # a filing needs its file or accession number
    ("SEC file no. 12", "neither a page URL"),
])
def test_refused_sources(source: str, why: str) -> None:
    problems = check_source(source)
    assert problems and why in problems[0]


def test_checked_tables_are_clean() -> None:
    assert provenance_problems(default_kb(), CHECKED_TABLES) == []


def test_unverified_needs_a_reason() -> None:
    from scanner.kb.loader import KnowledgeBase

    kb = default_kb()
    price = next(iter(kb.egress_prices.values()))
    bad = KnowledgeBase(egress_prices={"x": price.model_copy(update={"verified": False, "unverified": ""})})
    assert any("does not say what is missing" in p for p in provenance_problems(bad, ["egress_prices"]))
