"""Quarterly report data: quarters, applications, the quarter as events with numbers that add up,
headline counts that cannot fall when exposure worsens, questions as rows, pseudonyms, languages."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from pathlib import Path

import pytest

from scanner import snapshot_body
from scanner.config import Config
from scanner.errors import UsageError
from scanner.history import HistoryError, save
from scanner.kb.schema import SENSITIVE_CLASSES
from scanner.pipeline import assess
from scanner.pseudonym import Pseudonymizer
from scanner.report.html import render_quarterly_markdown
from scanner.report.i18n import Words
from scanner.report.quarterly import Quarter, report_from_history, report_from_result
from scanner.report.questions import QuestionRule, evaluate
from tests.fixtures.report import quarters as Q
from tests.fixtures.report import two_quarters as T

FIXTURES = Path(__file__).parent / "fixtures" / "report"

ORG = T.ORG


def test_quarters() -> None:
    q = Quarter.parse("2026-Q4")
    assert (q.year, q.number, str(q)) == (2026, 4, "2026-Q4")
    assert Quarter.parse("2026q1") == Quarter(2026, 1)
    assert (str(q.start), str(q.end)) == ("2026-10-01", "2026-12-31")
    assert (str(Quarter(2024, 1).end)) == "2024-03-31"
    assert Quarter.of("2026-11-30") == q and "2026-12-31" in q and "2027-01-01" not in q
    assert q.previous() == Quarter(2026, 3) and Quarter(2026, 1).previous() == Quarter(2025, 4)
    for bad in ("2026-Q5", "Q4", "2026-4", ""):
        with pytest.raises(UsageError, match="expected a quarter"):
            Quarter.parse(bad)


def test_quarter_names_per_language() -> None:
    assert Words("en", "md").quarter(2026, 4) == "Q4 2026"
    assert Words("fr", "md").quarter(2026, 4) == "4e trimestre 2026"
    assert Words("fr", "md").quarter(2027, 1) == "1er trimestre 2027"
    assert Words("fr", "html").quarter(2027, 1) == "1<sup>er</sup> trimestre 2027"
    assert Words("de", "md").quarter(2026, 4) == "4. Quartal 2026"


# --------------------------------------------------------------------------- the two-quarter fixture


@pytest.fixture(scope="module")
def two(tmp_path_factory):  # type: ignore[no-untyped-def]
    db = tmp_path_factory.mktemp("two") / "history.sqlite3"
    stored = T.store(db)
    q4 = stored["2026-11-30"][0]
    rep = report_from_history(q4.kb, Quarter(2026, 4), ORG, db, pseudonymize=False)
    return db, stored, rep


def test_each_event_is_told_once(two) -> None:  # type: ignore[no-untyped-def]
    _, _, rep = two
    ch = rep.changes
    assert ch is not None and ch.previous.as_of == "2026-09-30"
    # the three changes of the fixture (tests/fixtures/report/two_quarters.py), nothing else
    assert [(e.kind, e.name) for e in ch.events] == [
        ("copy-abroad-new", "dossiers-patients"),
        ("app-new", "cohorte-insuffisance-cardiaque"),
        ("reclassified", "rg-ghge-supervision-frc"),
    ]
    copy, new, reclassified = ch.events
    assert copy.params["countries"] == ["US"] and copy.params["kinds"] == ["replication"] and copy.worse
    assert {"us-cloud-act", "us-fisa-702"} <= set(copy.params["laws"])  # US laws now reach it by location
    assert new.params["classes"] == ["health"] and new.params["control"] and new.params["location"]
    assert new.params["providers"] == ["gcp"] and new.params["outside"] == ["US"]
    assert reclassified.params["gained"] == ["health"] and reclassified.params["became_sensitive"]
    assert reclassified.params["control"] and not reclassified.params["location"]
    assert not ch.kb_version_changed and not ch.details_missing


def test_the_numbers_add_up(two) -> None:  # type: ignore[no-untyped-def]
    _, _, rep = two
    ch = rep.changes
    assert ch is not None
    cohort, supervision, dpi = ("tag:cohorte-insuffisance-cardiaque",
                                "resource-group:a1b2c3d4-1111-4c2e-8f00-0000000000a1/rg-ghge-supervision-frc",
                                "tag:dossiers-patients")
    expected = {  # reviewed by hand against the sample's resources and the fixture's three changes
        "apps_reachable": (10, 12, [("new-application", 1, (cohort,)), ("reclassified", 1, (supervision,))]),
        "apps_by_control": (10, 12, [("new-application", 1, (cohort,)), ("reclassified", 1, (supervision,))]),
        # (the patient portal's Front Door profile and endpoint hold no data of their own: their names
        # do not make them sensitive, so the portal is not counted as reached by location)
        "apps_by_location": (2, 4, [("new-application", 1, (cohort,)), ("new-copy-abroad", 1, (dpi,))]),
        "apps_residual_only": (1, 1, []),  # the OVHcloud HR project (employee data, presence only)
        "resources_reachable": (34, 39, [  # networks, roles and projects no longer classified by name
            ("new-resources", 1, tuple(sorted((T.COHORT, T.COHORT_KEY, T.DR_KEY, T.DR_BUCKET)))),
            ("reclassified", 1, (T.LOGS,))]),
    }
    for name, (before, after, steps) in expected.items():
        rec = ch.reconciliations[name]
        assert (rec.before, rec.after, [(s.cause, s.sign, s.items) for s in rec.steps]) == (before, after, steps)
        assert rec.adds_up, name
    assert (ch.before.apps_reachable, ch.after.apps_reachable) == (10, 12)
    # the headline shows the same numbers as the reconciliation
    assert rep.indicators.apps_reachable == 12 and rep.indicators.sensitive_apps == 15


def test_first_page_sentences(two) -> None:  # type: ignore[no-untyped-def]
    _, _, rep = two
    kinds = [s.kind for s in rep.sentences]
    assert kinds == ["copy-abroad-new", "reclassified", "app-new", "state", "residual"]
    assert 3 <= len(rep.sentences) <= 5
    state = rep.sentences[3].params
    assert state == {"total": 15, "reachable": 12, "control": 12, "location": 4}
    assert all(s.worse for s in rep.sentences[:3])  # new exposure is never told as good news


def test_key_control_is_counted_by_what_is_known(two) -> None:  # type: ignore[no-untyped-def]
    _, stored, rep = two
    q4 = stored["2026-11-30"][0]
    counts: dict[str, int] = {}
    for a in q4.assessed:  # sensitive and reachable by control or location, counted straight from the scan
        if SENSITIVE_CLASSES & set(a.classes) and any(h.counts for h in a.hits):
            counts[a.key_control] = counts.get(a.key_control, 0) + 1
    assert rep.indicators.keys == counts
    assert rep.indicators.keys["unknown"] > 0  # unknown key control is said as unknown, not as "provider"
    assert sum(rep.indicators.keys.values()) == rep.indicators.resources_reachable


def test_counts_cannot_fall_when_exposure_worsens(two) -> None:  # type: ignore[no-untyped-def]
    """Adding many reachable, barely sensitive resources lowers the 0–100 index; the counts do not fall."""
    _, stored, _ = two
    q4 = stored["2026-11-30"][0]
    inv = q4.inventory
    bucket = inv.resources[T.DR_BUCKET]
    for i in range(60):
        inv.add_resource(dataclasses.replace(bucket, id=f"arn:aws:s3:::public-{i}", name=f"public-{i}",
                                             tags={"DataClassification": "public"}))
    more = assess(inv, Config(), as_of="2026-12-15", organization=ORG)
    a, b = report_from_result(q4), report_from_result(more)
    assert more.summary.exposure.score < q4.summary.exposure.score  # the mean fell…
    for name in ("apps_reachable", "apps_by_control", "apps_by_location", "resources_reachable"):
        assert getattr(b.indicators, name) >= getattr(a.indicators, name), name  # …the counts did not


def test_question_five_orders_countries_by_sensitive_copies(two) -> None:  # type: ignore[no-untyped-def]
    _, _, rep = two
    transfers = next(q for q in rep.questions if q.id == "transfers")
    countries = transfers.params["countries"].value
    assert countries[0] == "US"  # most sensitive copies outside the EU/EEA, never cut
    sensitive = {c.code: c.sensitive for c in rep.countries}
    assert [sensitive[c] for c in countries] == sorted((sensitive[c] for c in countries), reverse=True)
    md = render_quarterly_markdown(rep, rep_kb(two), "en")
    assert "Copies of sensitive data are kept in 1 country outside the EU/EEA (United States)." in md


def rep_kb(two):  # type: ignore[no-untyped-def]
    return two[1]["2026-11-30"][0].kb


def test_questions_are_rows_evaluated_by_one_engine(two) -> None:  # type: ignore[no-untyped-def]
    _, _, rep = two
    ids = [q.id for q in rep.questions]
    assert {"health-foreign-law", "employee-foreign-law", "new-copies-abroad", "newly-reachable", "transfers",
            "keys-unknown", "residual"} <= set(ids)
    assert [q.priority for q in rep.questions] == sorted(q.priority for q in rep.questions)
    newly = next(q for q in rep.questions if q.id == "newly-reachable")
    assert newly.count == 2 and newly.params["apps"].value == ["cohorte-insuffisance-cardiaque",
                                                               "rg-ghge-supervision-frc"]
    from scanner.report.questions import Fact

    assert [q.id for q in evaluate({"residual_apps": Fact("number", 0)})] == []
    assert [q.id for q in evaluate({"residual_apps": Fact("number", 3)})] == ["residual"]
    with pytest.raises(ValueError, match="message_plural"):
        QuestionRule.model_validate({"id": "x", "priority": 1, "when": [{"fact": "a", "op": ">", "value": 0}],
                                     "count": "a", "message": "m", "basis": "b"})


def test_markdown_names_applications_and_keeps_the_tools_own_texts_whole(two) -> None:  # type: ignore[no-untyped-def]
    _, stored, rep = two
    kb = stored["2026-11-30"][0].kb
    for lang, heading in (("en", "## The applications"), ("fr", "## Les applications"),
                          ("de", "## Die Anwendungen")):
        md = render_quarterly_markdown(rep, kb, lang)
        assert heading in md and "dossiers-patients" in md and "cohorte-insuffisance-cardiaque" in md
        summary = " ".join(kb.laws["us-cloud-act"].summary.get(lang).split())
        assert summary in " ".join(md.split())  # law summaries are never cut (the 120-character cap is for
        assert "…" not in summary  # inventory values only)
    fr = render_quarterly_markdown(rep, kb, "fr")
    assert "4e trimestre 2026" in fr and "Trimestre 2026-Q4" not in fr
    de = render_quarterly_markdown(rep, kb, "de")
    assert "4. Quartal 2026" in de and "Stored Communications Act in der Fassung des CLOUD Act" in de


def test_typography_per_language(two) -> None:  # type: ignore[no-untyped-def]
    _, stored, rep = two
    kb = stored["2026-11-30"][0].kb
    fr = render_quarterly_markdown(rep, kb, "fr")
    prose = re.sub(r"`[^`]*`|<https?://[^>]*>|\]\([^)]*\)|https?://\S+", "X", fr)
    assert not re.search(r"[ \u00a0][:;?!%»]", prose)  # narrow no-break spaces, never a plain or wide one
    assert not re.search(r"«[ \u00a0]", prose)
    assert "\u202f:" in prose and "«\u202f" in prose and "\u202f%" in prose
    assert not re.search(r"\d\.\d", re.sub(r"\d+\.\d+\.\d+|v\d|\d{4}-\d\d-\d\d", "", prose.split("## Annexe A")[0]))
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", fr.split("## Annexe B")[0])  # dates in prose by Babel
    de = render_quarterly_markdown(rep, kb, "de")
    assert not re.search(r" [:;?!]", re.sub(r"`[^`]*`|https?://\S+", "X", de))
    assert "„" in de and "1.064\u00a0GB" in de  # Babel: German grouping, no-break space before the unit


def test_pseudonymised_report(two) -> None:  # type: ignore[no-untyped-def]
    db, stored, _ = two
    q4 = stored["2026-11-30"][0]
    rep = report_from_history(q4.kb, Quarter(2026, 4), ORG, db, pseudonymize=True)
    p = Pseudonymizer.for_db(db)
    assert [e.name for e in rep.changes.events] == [  # type: ignore[union-attr]
        p.application("tag:dossiers-patients"), p.application("tag:cohorte-insuffisance-cardiaque"),
        p.application("resource-group:a1b2c3d4-1111-4c2e-8f00-0000000000a1/rg-ghge-supervision-frc")]
    md = render_quarterly_markdown(rep, q4.kb, "fr")
    for a in q4.assessed:
        assert a.res.id not in md
        if len(a.res.name) > 6:
            assert a.res.name not in md, a.res.name
    assert "dossiers-patients" not in md and re.search(r"app-[0-9a-f]{12}", md)
    assert "Qui peut lire les codes" in md
    named = report_from_history(q4.kb, Quarter(2026, 4), ORG, db, pseudonymize=True, show_names=True)
    text = render_quarterly_markdown(named, q4.kb, "en")
    assert "dossiers-patients" in text and "ghge-dossiers-patients-par" not in text  # resources stay coded


def test_a_previous_snapshot_without_details(two, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, stored, _ = two
    copy = tmp_path / "h.sqlite3"
    copy.write_bytes(db.read_bytes())
    q3_id = stored["2026-09-30"][1].id
    with sqlite3.connect(copy) as conn:  # as if Q3 had been saved by a version that kept no details
        (blob,) = conn.execute("SELECT data FROM snapshot_body WHERE snapshot_id = ?", (q3_id,)).fetchone()
        resources, findings, flows, *_ = snapshot_body.decode(blob)
        conn.execute("UPDATE snapshot_body SET data = ? WHERE snapshot_id = ?",
                     (snapshot_body.encode(resources, findings, flows, None), q3_id))
        conn.execute("DELETE FROM snapshot_facts WHERE snapshot_id = ?", (q3_id,))
    kb = stored["2026-11-30"][0].kb
    rep = report_from_history(kb, Quarter(2026, 4), ORG, copy, pseudonymize=False)
    assert rep.changes is not None and rep.changes.details_missing
    assert all(r.adds_up for r in rep.changes.reconciliations.values())
    md = render_quarterly_markdown(rep, kb, "en")
    assert "stored by an older version of sovscan" in md


# --------------------------------------------------------------------------- stored quarters of the samples


@pytest.fixture(scope="module")
def stored(tmp_path_factory):  # type: ignore[no-untyped-def]
    db = tmp_path_factory.mktemp("hist") / "history.sqlite3"
    return db, Q.store_quarters(db, "hopital-grand-est")


def test_earlier_quarter_and_missing_quarter(stored) -> None:  # type: ignore[no-untyped-def]
    db, quarters = stored
    kb = quarters["2026-11-30"][0].kb
    org = Q.ORGS["hopital-grand-est"][0]
    q4 = report_from_history(kb, Quarter.parse("2026-Q4"), org, db, pseudonymize=False)
    assert q4.current.as_of == "2026-11-30"  # the latest snapshot of the quarter, not 10-15
    assert [(str(p.quarter), p.as_of) for p in q4.trend] == [
        ("2026-Q2", "2026-05-15"), ("2026-Q3", "2026-08-31"), ("2026-Q4", "2026-11-30")]
    assert all(p.indicators is not None for p in q4.trend)  # stored with each snapshot
    q3 = report_from_history(kb, Quarter.parse("2026-Q3"), org, db, pseudonymize=False)
    assert q3.current.as_of == "2026-08-31" and q3.changes is not None
    assert [str(p.quarter) for p in q3.trend] == ["2026-Q2", "2026-Q3"]  # nothing after the reported quarter
    q2 = report_from_history(kb, Quarter.parse("2026-Q2"), org, db, pseudonymize=False)
    assert q2.changes is None and len(q2.trend) == 1
    with pytest.raises(HistoryError, match=r"no snapshot .* in 2025-Q4 \(stored quarters: 2026-Q2, 2026-Q3, 2026-Q4\)"):
        report_from_history(kb, Quarter.parse("2025-Q4"), org, db)
    # OVHcloud's payroll project was dropped in Q4: removed applications are told as such
    removed = [e for e in q4.changes.events if e.kind == "app-removed"]  # type: ignore[union-attr]
    assert {e.app for e in removed} >= {"account:ovhcloud:c3f1a2b4d5e6478f9a0b1c2d3e4f5a6b"}


def test_report_without_history_says_so() -> None:
    result = Q.scan_variant("hopital-grand-est", "2026-11-30", set())
    rep = report_from_result(result)
    assert rep.changes is None and len(rep.trend) == 1 and not rep.from_history
    assert [s.kind for s in rep.sentences][:2] == ["state", "worst"]
    en = render_quarterly_markdown(rep, result.kb, "en")
    fr = render_quarterly_markdown(rep, result.kb, "fr")
    assert "no inventory of the previous quarter is stored" in en
    assert "aucun inventaire du trimestre précédent" in fr
    assert "ghge-dossiers-patients-par" in en  # no pseudonyms unless asked
    assert "### Findings of this scan" in en and "### Constats de cette analyse" in fr
    assert "contient des données de santé, atteignables par\u202f:" in fr  # findings in the reader's language


def test_markdown_neutralises_hostile_values() -> None:
    from scanner.pipeline import scan

    result = scan([Q.HOSTILE], Config(), as_of="2026-11-30", organization="Org | <b>x</b>")
    text = render_quarterly_markdown(report_from_result(result), result.kb, "en")
    assert not re.search(r"(?<!\\)<(script|img|b>)", text)  # every < of an inventory value is escaped
    assert "\\<script\\>" in text and "\\<img src=x" in text
    assert "\u202e" not in text and "x" * 200 not in text  # bidi override removed, long names cut
    assert "[link](javascript" not in text and "\\[link\\]" in text
    columns = 0
    for line in text.splitlines():
        if line.startswith("|---"):
            columns = line.count("|")
        elif line.startswith("| ") and "patients" in line:  # table rows keep their columns
            assert line.replace("\\|", "").count("|") == columns, line


def test_history_saved_pseudonymised_compares_with_the_key(tmp_path: Path) -> None:
    result = T.q4()
    db = tmp_path / "h.sqlite3"
    save(result, db, pseudonymize=True)
    rep = report_from_history(result.kb, Quarter(2026, 4), ORG, db, pseudonymize=True)
    assert rep.pseudonymized
    # application names are codes, except a provider's own name for resources in no account at all
    assert all(v.name.startswith("app-") for v in rep.apps if v.app.basis != "provider")
    assert {v.name for v in rep.apps if v.app.basis == "provider"} == {"OVHcloud", "Scaleway"}


def test_knowledge_base_changes_are_told(two, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A fact the knowledge base changed between the two scans (a law's status, who runs a region)."""
    import orjson

    db, stored, _ = two
    copy = tmp_path / "h.sqlite3"
    copy.write_bytes(db.read_bytes())
    q3_id = stored["2026-09-30"][1].id
    kb = stored["2026-11-30"][0].kb
    now_status = str(kb.laws["us-cloud-act"].status)
    with sqlite3.connect(copy) as conn:  # as if Q3 had been scanned with an older knowledge base
        facts = orjson.loads(conn.execute("SELECT data FROM snapshot_facts WHERE snapshot_id = ?",
                                          (q3_id,)).fetchone()[0])
        facts["laws"]["us-cloud-act"][0] = "proposed"
        operator, controller, countries = facts["placements"]["aws:eu-west-3"]
        facts["placements"]["aws:eu-west-3"] = ["entity:some-earlier-operator", controller, countries]
        conn.execute("UPDATE snapshot_facts SET data = ? WHERE snapshot_id = ?", (orjson.dumps(facts).decode(), q3_id))
    rep = report_from_history(kb, Quarter(2026, 4), ORG, copy, pseudonymize=False)
    kb_events = [(e.kind, e.name, e.params.get("before"), e.params.get("after")) for e in rep.changes.events  # type: ignore[union-attr]
                 if e.kind.startswith("kb-")]
    assert kb_events == [("kb-law", "us-cloud-act", "proposed", now_status),
                         ("kb-placement", "aws:eu-west-3", None, None)]
    placement = next(e for e in rep.changes.events if e.kind == "kb-placement")  # type: ignore[union-attr]
    assert placement.params["operator_before"] == "entity:some-earlier-operator"
    assert placement.params["operator_after"] == operator
    en = render_quarterly_markdown(rep, kb, "en")
    assert ("Knowledge base: Stored Communications Act as amended by the CLOUD Act is now in force "
            "(it was proposed)") in en
    assert f"is now run by {kb.entities[operator].name} (it was entity:some-earlier-operator)" in en
    assert all(r.adds_up for r in rep.changes.reconciliations.values())  # type: ignore[union-attr]
