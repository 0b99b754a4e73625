"""Laws and countries of the knowledge base: dated status, review dates, presence reach, coverage.

The coverage test walks every region file: wherever a provider may keep bytes, at least one law
with the location trigger must name that country, so that the generic "unlisted country" weight
stays an exception. Adequacy decisions change transfer findings, never whether a law applies.
"""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from scanner.kb.loader import KnowledgeBase, default_kb
from scanner.kb.provenance import check_source
from scanner.kb.schema import Law, LawStatus, Localized, Trigger

TODAY = dt.date(2026, 12, 4)


def _law(**changes: object) -> Law:
    base = default_kb().laws["us-national-security-letters"].model_dump()
    base.update(changes)
    return Law.model_validate(base)


def test_every_region_country_has_a_location_law() -> None:
    kb = default_kb()
    located = {c for law in kb.laws.values() if Trigger.LOCATION in law.triggers
               for c in (law.applies_in or [law.jurisdiction])}
    region_countries = {c for region in kb.regions.values() for c in kb.region_countries(region)}
    missing = sorted(region_countries - located)
    assert missing == [], f"countries with regions but no location-trigger law (add one to laws.yaml): {missing}"


def test_adequacy_countries_are_not_immune() -> None:
    # GB, CH, IL and NZ hold full adequacy decisions; data there is still under their own laws.
    kb = default_kb()
    for code in ("GB", "CH", "IL", "NZ", "JP", "KR", "BR"):
        assert kb.laws_in(code), code
    assert kb.countries["BR"].adequacy is not None
    assert "2026/179" in kb.countries["BR"].adequacy.decision


def test_laws_in_uses_the_territory_of_location_laws_only() -> None:
    kb = default_kb()
    assert {law.id for law in kb.laws_in("US")} == {"us-cloud-act", "us-fisa-702"}
    assert "eu-e-evidence" not in {law.id for law in kb.laws_in("DK")}  # Denmark is not bound
    assert {law.id for law in kb.laws_in("HK")} == {"hk-national-security-law",
                                                    "hk-safeguarding-national-security-ordinance"}


def test_status_is_an_enum_and_review_follows_status_date() -> None:
    assert _law(status="lapsed").status is LawStatus.LAPSED
    with pytest.raises(ValidationError):
        _law(status="in force")
    with pytest.raises(ValidationError):
        _law(review_by=dt.date(2026, 1, 1), status_as_of=dt.date(2026, 12, 4))
    bad = default_kb().laws["us-national-security-letters"].model_dump()
    del bad["review_by"]
    with pytest.raises(ValidationError):
        Law.model_validate(bad)


def test_every_law_is_dated_and_reviewed_within_about_a_year() -> None:
    for law in default_kb().laws.values():
        assert law.status_as_of <= TODAY, law.id
        assert law.review_by <= law.status_as_of + dt.timedelta(days=400), law.id


def test_due_for_review_lists_laws_past_their_date() -> None:
    kb = default_kb()
    assert [d.key for d in kb.due_for_review(TODAY)] == []
    due = kb.due_for_review(dt.date(2027, 1, 5))
    assert [d.key for d in due] == ["us-fisa-702"]
    assert due[0].table == "laws" and due[0].review_by == dt.date(2027, 1, 4)
    later = kb.due_for_review(dt.date(2028, 1, 1))
    assert {d.key for d in later} == set(kb.laws)
    assert [d.review_by for d in later] == sorted(d.review_by for d in later)
    assert KnowledgeBase().due_for_review(TODAY) == []


def test_unverified_laws_say_what_is_missing() -> None:
    unverified = {lid: law.unverified for lid, law in default_kb().laws.items() if not law.verified}
    assert "us-fisa-702" in unverified and "cn-cybersecurity-law" in unverified
    assert all(len(reason) > 30 for reason in unverified.values())


def test_localized_falls_back_to_english() -> None:
    text = Localized(en="Hello there.", fr="Bonjour.")
    assert text.get("de") == "Hello there." and text.get("fr") == "Bonjour." and text.get("xx") == "Hello there."
    assert Localized(en="a", fr="b", de="c").get("de") == "c"


@pytest.mark.parametrize("source", [
    "Federal Law No. 374-FZ of 2016-07-06",
    "Royal Decree No. M/19 of 2021-09-16",
    "Lei n° 12.965 of 2014-04-23 (Marco Civil da Internet)",
    "Código Procesal Penal (Ley N° 19.696 of 2000), artículo 218 ter",
    "Information Technology Act, 2000 (Act No. 21 of 2000)",
    "Regulation of Interception of Communications and Provision of Communication-Related Information Act 70 of 2002",
    "Criminal Procedure Code (Act 593), s. 116C",
    "Investigatory Powers Act 2016 (c. 25), s. 85",
    "Criminal Code, R.S.C. 1985, c. C-46, s. 487.014",
    "British Columbia (Attorney General) v. Brecknell, 2018 BCCA 5",
    "[2021] ZACC 3",
    "Federal Act on the Surveillance of Post and Telecommunications, SR 780.1",
    "Cybersecurity Act B.E. 2562 (2019), Government Gazette 2019-05-27",
    "Counter-espionage Law, revised by the Standing Committee of the National People's Congress on 2023-04-26",
    "Executive Order 12333, 46 FR 59941",
    "Pub. L. 118-49",
])
def test_formal_citations_of_national_acts_and_courts(source: str) -> None:
    assert check_source(source) == []


@pytest.mark.parametrize("source", [
    "Cybersecurity Law of the PRC",  # no number, date or adopting body
    "Criminal Code s. 487.014",  # no statute volume
    "the Marco Civil da Internet, 2014",  # no official number
    "https://www.lexology.com/library/detail.aspx?g=bb8b3837",  # law-firm aggregator
    "https://peopleofinternet.com/articles/section-702.html",  # news
    "https://www.chinalawtranslate.com/en/national-intelligence-law-of-the-p-r-c-2017/",  # translation site
    "https://en.wikisource.org/wiki/Safeguarding_National_Security_Ordinance",  # text mirror
])
def test_loose_citations_and_secondary_sites_are_refused(source: str) -> None:
    assert check_source(source) != []
