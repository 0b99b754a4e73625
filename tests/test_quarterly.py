"""Quarterly report data: quarters, comparison with the previous quarter, trends, questions, both
languages, pseudonyms, and catalogues that match the templates."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from scanner.errors import UsageError
from scanner.history import SENSITIVE_CLASSES, HistoryError, iter_resources
from scanner.pseudonym import Pseudonymizer
from scanner.report.html import LOCALE_DIR, render_quarterly_markdown
from scanner.report.quarterly import Quarter, report_from_history, report_from_result


def _quarters() -> ModuleType:
    path = Path(__file__).parent / "fixtures" / "report" / "quarters.py"
    spec = importlib.util.spec_from_file_location("report_quarters_q", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


Q = _quarters()


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


def _reachable_sensitive(result, provider: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {r.id for r in iter_resources(result) if r.provider == provider and r.sensitive and r.laws}


@pytest.fixture(scope="module", params=sorted(Q.ORGS))
def stored(request, tmp_path_factory):  # type: ignore[no-untyped-def]
    db = tmp_path_factory.mktemp("hist") / "history.sqlite3"
    return request.param, db, Q.store_quarters(db, request.param)


def test_comparison_with_previous_quarter(stored) -> None:  # type: ignore[no-untyped-def]
    sample, db, quarters = stored
    org = Q.ORGS[sample][0]
    q4, _ = quarters["2026-11-30"]
    q3, q3_info = quarters["2026-08-31"]
    rep = report_from_history(q4.kb, Quarter.parse("2026-Q4"), org, db, pseudonymize=False)
    assert rep.current.as_of == "2026-11-30"  # the latest snapshot of the quarter, not 10-15
    assert rep.changes is not None and rep.changes.previous == q3_info
    new_provider, removed_provider = Q.NEW_REMOVED[sample]
    ids = lambda result, pid: {a.res.id for a in result.assessed if a.res.provider == pid}  # noqa: E731
    assert {c.id for c in rep.changes.new} == ids(q4, new_provider)
    assert {c.id for c in rep.changes.removed} == ids(q3, removed_provider)
    assert all(c.after is None for c in rep.changes.removed) and all(c.before is None for c in rep.changes.new)
    assert {c.id for c in rep.changes.became_reachable} == _reachable_sensitive(q4, new_provider)
    assert {c.id for c in rep.changes.stopped_reachable} == _reachable_sensitive(q3, removed_provider)
    before = {a.res.id: a.exposure_level for a in q3.assessed}
    after = {a.res.id: a.exposure_level for a in q4.assessed}
    changed = {rid for rid in before.keys() & after.keys() if before[rid] != after[rid]}
    assert {c.id for c in rep.changes.level_up + rep.changes.level_down} == changed
    shares = {s.provider: (s.before, s.after) for s in rep.changes.shares}
    assert shares[new_provider][0] == 0 and shares[new_provider][1] == len(ids(q4, new_provider))
    assert shares[removed_provider][1] == 0
    assert rep.changes.deltas["exposure"] == (q3.summary.exposure.score, q4.summary.exposure.score)
    assert rep.changes.deltas["effort"] == (q3.summary.migration.effort, q4.summary.migration.effort)
    # one trend point per stored quarter, from each quarter's latest snapshot
    assert [(p.quarter, p.as_of) for p in rep.trend] == [
        ("2026-Q2", "2026-05-15"), ("2026-Q3", "2026-08-31"), ("2026-Q4", "2026-11-30")]
    assert [p.exposure_score for p in rep.trend] == [quarters[d][0].summary.exposure.score
                                                     for d in ("2026-05-15", "2026-08-31", "2026-11-30")]
    # the headline matches the scan
    assert rep.headline.resources == len(q4.assessed)
    assert rep.headline.exposed == q4.summary.exposure.exposed_resources
    assert rep.headline.sensitive_exposed == sum(1 for r in iter_resources(q4) if r.sensitive and r.laws)


def test_earlier_quarter_and_missing_quarter(stored) -> None:  # type: ignore[no-untyped-def]
    sample, db, quarters = stored
    kb = quarters["2026-11-30"][0].kb
    org = Q.ORGS[sample][0]
    q3 = report_from_history(kb, Quarter.parse("2026-Q3"), org, db, pseudonymize=False)
    assert q3.current.as_of == "2026-08-31" and q3.changes is not None
    assert [p.quarter for p in q3.trend] == ["2026-Q2", "2026-Q3"]  # nothing after the reported quarter
    q2 = report_from_history(kb, Quarter.parse("2026-Q2"), org, db, pseudonymize=False)
    assert q2.changes is None and len(q2.trend) == 1
    with pytest.raises(HistoryError, match=r"no snapshot .* in 2025-Q4 \(stored quarters: 2026-Q2, 2026-Q3, 2026-Q4\)"):
        report_from_history(kb, Quarter.parse("2025-Q4"), org, db)


def test_pseudonymised_report_keeps_pseudonyms_across_quarters(stored) -> None:  # type: ignore[no-untyped-def]
    sample, db, quarters = stored
    q4 = quarters["2026-11-30"][0]
    rep = report_from_history(q4.kb, Quarter.parse("2026-Q4"), Q.ORGS[sample][0], db, pseudonymize=True)
    p = Pseudonymizer.for_db(db)
    new_provider, _ = Q.NEW_REMOVED[sample]
    assert rep.pseudonymized
    assert {c.id for c in rep.changes.became_reachable} == {  # type: ignore[union-attr]
        p.resource(rid) for rid in _reachable_sensitive(q4, new_provider)}
    text = render_quarterly_markdown(rep, q4.kb, "en")
    for a in q4.assessed:
        assert a.res.id not in text
        if len(a.res.name) > 6:
            assert a.res.name not in text, a.res.name
        if a.res.account:
            assert a.res.account not in text
    assert re.search(r"r-[0-9a-f]{12}", text)


def test_questions_follow_the_findings(stored) -> None:  # type: ignore[no-untyped-def]
    sample, db, quarters = stored
    q4 = quarters["2026-11-30"][0]
    rep = report_from_history(q4.kb, Quarter.parse("2026-Q4"), Q.ORGS[sample][0], db, pseudonymize=False)
    ids = {q.id for q in rep.questions}
    health = sum(1 for r in iter_resources(q4) if r.laws and {"health", "genetic-biometric"} & set(r.classes))
    assert ("health-foreign-law" in ids) == (health > 0)
    if health:
        q = next(q for q in rep.questions if q.id == "health-foreign-law")
        assert q.params["count"] == health and q.params["laws"] and q.params["providers"]
    assert "newly-reachable" in ids  # the new provider brought sensitive data within reach of foreign laws
    assert "keys" in ids
    top = rep.providers[0]
    concentrated = top.share_pct >= 40 or rep.headline.lockin_level in ("high", "critical")
    assert ("exit-plan" in ids) == concentrated
    assert concentrated == (sample == "hopital-grand-est")  # Azure holds 40 % of the hospital group's resources
    assert [q.priority for q in rep.questions] == sorted(q.priority for q in rep.questions)


def test_markdown_in_both_languages(stored) -> None:  # type: ignore[no-untyped-def]
    sample, db, quarters = stored
    q4 = quarters["2026-11-30"][0]
    rep = report_from_history(q4.kb, Quarter.parse("2026-Q4"), Q.ORGS[sample][0], db, pseudonymize=True)
    en = render_quarterly_markdown(rep, q4.kb, "en")
    fr = render_quarterly_markdown(rep, q4.kb, "fr")
    assert "## Questions for management" in en and "## What changed since last quarter" in en
    assert "## Questions à poser à la direction" in fr and "## Ce qui a changé depuis le trimestre précédent" in fr
    assert "Questions for management" not in fr
    score = q4.summary.exposure.score
    assert f"| {score:g} / 100 |" in en
    assert f"| {str(score).replace('.', ',')} / 100 |" in fr  # French decimal comma (Babel)
    for law in rep.laws[:3]:
        if law.summary:
            assert law.summary["fr"].split()[0] in fr and law.summary["en"].split()[0] in en
    assert fr.count("\n1. ") == 1 and len(re.findall(r"^\d+\. ", fr, re.M)) == len(rep.questions)


def test_report_without_history_says_so() -> None:
    result = Q.scan_variant("hopital-grand-est", "2026-11-30", set())
    rep = report_from_result(result)
    assert rep.changes is None and len(rep.trend) == 1 and not rep.from_history
    en = render_quarterly_markdown(rep, result.kb, "en")
    fr = render_quarterly_markdown(rep, result.kb, "fr")
    assert "There is no earlier quarter in the history to compare with" in en
    assert "L'historique ne contient pas de trimestre antérieur" in fr
    assert "dossiers-patients" in en  # no pseudonyms unless asked
    sensitive = sum(1 for a in result.assessed if SENSITIVE_CLASSES & set(a.classes))
    assert rep.headline.sensitive == sensitive


def test_markdown_neutralises_hostile_values() -> None:
    from scanner.config import Config
    from scanner.pipeline import scan

    result = scan([Q.HOSTILE], Config(), as_of="2026-11-30", organization="Org | <b>x</b>")
    text = render_quarterly_markdown(report_from_result(result), result.kb, "en")
    assert not re.search(r"(?<!\\)<(script|img|b>)", text)  # every < of an inventory value is escaped
    assert "\\<script\\>" in text and "\\<img src=x" in text
    assert "\u202e" not in text and "x" * 200 not in text  # bidi override removed, long names cut
    assert "[link](javascript" not in text and "\\[link\\]" in text
    for line in text.splitlines():
        if line.startswith("| ") and "patients" in line:  # table rows keep their columns
            assert line.replace("\\|", "").count("|") == 5, line


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def _compiled(lang: str) -> dict[object, object]:
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / "sovscan.mo", "rb") as fh:
        return {_key(m.id): _key(m.string) for m in read_mo(fh) if m.id}


def _source(lang: str) -> dict[object, object]:
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / "sovscan.po", "rb") as fh:
        return {_key(m.id): _key(m.string) for m in read_po(fh) if m.id and not m.fuzzy}


def test_catalogues_cover_the_templates_and_are_compiled() -> None:
    root = Path(__file__).resolve().parent.parent
    method_map = [("scanner/report/html.py", "python"), ("scanner/report/templates/quarterly.*.j2", "jinja2")]
    options = {"scanner/report/templates/quarterly.*.j2": {"extensions": "jinja2.ext.i18n",
                                                           "trim_blocks": "true", "lstrip_blocks": "true"}}
    used = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(root), method_map, options):
        used.add(message if isinstance(message, str) else tuple(message))
    assert len(used) > 150
    for lang in ("en", "fr"):
        source = _source(lang)
        missing = [m for m in used if not source.get(m) or (isinstance(m, tuple) and not all(source[m]))]
        assert missing == [], f"{lang}: untranslated {missing[:5]}"
        assert _compiled(lang) == source, f"{lang}: the .mo is older than the .po: run 'make catalogs'"
    fr = _source("fr")
    for msgid, text in fr.items():  # placeholders survive translation
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        texts = text if isinstance(text, tuple) else (text,)
        wanted = set(re.findall(r"%\(\w+\)s", ids[-1]))
        for t in texts:
            assert set(re.findall(r"%\(\w+\)s", str(t))) == wanted, (msgid, t)
