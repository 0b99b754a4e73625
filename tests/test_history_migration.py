"""Schema step 4: a database written by sovscan with schema version 3 (one row per resource) is
converted to compact snapshot bodies in one transaction, and every snapshot reads back the same.

The old database is written here by code, as version 3 wrote it: the released DDL of steps 1 to 3
(:data:`scanner.history.MIGRATIONS`, never edited once released) and the INSERTs of that version.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import orjson
import pytest

from scanner import history
from scanner.history import HistoryError, connect, inventory_of, list_snapshots, load, save, schema_version
from scanner.pseudonym import Pseudonymizer, key_path, load_or_create_key
from scanner.report.html import render_quarterly_html, render_quarterly_markdown
from scanner.report.quarterly import Quarter, pseudonymize_snapshot, report_from_history
from scanner.result import ScanResult
from scanner.snapshot_body import Renaming, decode, encode
from scanner.snapshot_details import details_of
from tests.fixtures.report import quarters as Q

#: Saved as a version-2 sovscan did (no applications, reach or facts): the report says what it lacks.
WITHOUT_DETAILS = "2026-08-31"
ORG = Q.ORGS["hopital-grand-est"][0]
#: Each chart of an HTML report has a random id.
CHART_ID = re.compile(r"chart-[0-9a-f]{8}-[0-9a-f-]{27}")


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def save_v3(conn: sqlite3.Connection, result: ScanResult, details: bool = True) -> int:
    """Store a scan exactly as schema version 3 did: one row per resource, finding, flow and detail."""
    info = history._info_from_scan(result, False)
    cur = conn.execute(
        "INSERT INTO snapshot (organization, as_of, generated_at, tool_version, kb_version, home_country, "
        "pseudonymized, resources, exposed_resources, sensitive_exposed, exposure_score, lockin_score, effort, "
        "findings, summary, coverage, kb_meta, sources) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (info.organization, info.as_of, info.generated_at, info.tool_version, info.kb_version, info.home_country,
         0, info.resources, info.exposed_resources, 0, info.exposure_score, info.lockin_score, info.effort,
         info.findings, _dumps(result.summary), _dumps(history._coverage(result, False)),
         _dumps(history._kb_meta(result)), _dumps(history._sources(result, False))))
    sid = int(cur.lastrowid or 0)
    resources = list(history.iter_resources(result))
    conn.executemany("INSERT INTO resource VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", [
        (sid, r.id, r.name, r.account, r.provider, r.service, r.service_name, r.category, r.region, r.country,
         _dumps(r.locations), _dumps(r.classes), _dumps(r.laws), r.exposure, r.level, r.lockin, r.lockin_level,
         r.effort, r.effort_level, r.key_control, int(r.data_bearing), _dumps(r.alternatives)) for r in resources])
    conn.executemany("INSERT INTO finding VALUES (?,?,?,?,?)",
                     [(sid, f.rule, f.severity, f.resource, f.suffix) for f in history._findings(result, None)])
    conn.executemany("INSERT INTO flow VALUES (?,?,?,?,?,?,?)", [
        (sid, f.source, f.target, f.kind, f.target_region, _dumps(f.target_countries), f.evidence)
        for f in history._flows(result, None)])
    conn.execute("UPDATE snapshot SET sensitive_exposed = ? WHERE id = ?",
                 (sum(1 for r in resources if r.laws and r.sensitive), sid))
    if details:
        d = details_of(result)
        conn.executemany("INSERT INTO application VALUES (?,?,?,?,?)",
                         [(sid, a.id, a.name, a.basis, a.key) for a in d.applications.values()])
        conn.executemany("INSERT INTO resource_detail VALUES (?,?,?,?,?,?)", [
            (sid, rid, x.application, x.joined, x.size_gb, _dumps([[h.law, h.tier, h.verified] for h in x.reach]))
            for rid, x in d.resources.items()])
        conn.execute("INSERT INTO snapshot_facts VALUES (?,?)", (sid, _dumps(d.facts)))
    conn.execute("INSERT INTO inventory VALUES (?,?,?)", (sid, 1, history._encode_inventory(result)))
    return sid


def _strip_details(db: Path, as_of: str) -> None:
    """Make a snapshot of a version-4 database look like one saved without details."""
    (info,) = [i for i in list_snapshots(db) if i.as_of == as_of]
    with sqlite3.connect(db) as conn:
        (blob,) = conn.execute("SELECT data FROM snapshot_body WHERE snapshot_id = ?", (info.id,)).fetchone()
        resources, findings, flows, *_ = decode(blob)
        conn.execute("UPDATE snapshot_body SET data = ? WHERE snapshot_id = ?",
                     (encode(resources, findings, flows, None), info.id))
        conn.execute("DELETE FROM snapshot_facts WHERE snapshot_id = ?", (info.id,))


def load_key(db: Path) -> Path:
    load_or_create_key(key_path(db))
    return key_path(db)


@pytest.fixture(scope="module")
def results() -> dict[str, ScanResult]:
    plans = Q.PLANS["hopital-grand-est"]
    return {as_of: Q.scan_variant("hopital-grand-est", as_of, drop) for as_of, drop in plans.items()}


def _old_database(path: Path, results: dict[str, ScanResult]) -> Path:
    conn = sqlite3.connect(path, isolation_level=None)
    history.migrate(conn, history.MIGRATIONS[:3])  # the released DDL of version 3
    assert schema_version(conn) == 3
    conn.execute("BEGIN")
    for as_of, result in results.items():
        save_v3(conn, result, details=as_of != WITHOUT_DETAILS)
    conn.execute("COMMIT")
    conn.close()
    return path


def test_a_version_3_database_is_converted_and_reads_the_same(tmp_path: Path, results: dict[str, ScanResult]) -> None:
    old = _old_database(tmp_path / "old.sqlite3", results)
    size_before = old.stat().st_size
    # What version 3 held, read as it read it, before the conversion.
    raw = sqlite3.connect(old)
    before = {sid: (history._rows_of_tables(raw, sid), history.load_tables(raw, sid))
              for (sid,) in raw.execute("SELECT id FROM snapshot")}
    raw.close()
    # The same scans saved by this version (the key copied, so that both databases give the same pseudonyms).
    new = tmp_path / "new.sqlite3"
    for result in results.values():
        save(result, new)
    _strip_details(new, WITHOUT_DETAILS)
    shutil.copy(key_path(new) if key_path(new).exists() else load_key(new), key_path(old))

    conn = connect(old)  # opening converts
    assert schema_version(conn) == history.SCHEMA_VERSION == 4
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert not tables & set(history._ROW_TABLES)
    conn.close()
    assert old.stat().st_size < size_before  # the freed pages were given back (VACUUM)

    assert list_snapshots(old) == list_snapshots(new)
    for info in list_snapshots(old):
        got, want = load(info.id, old), load(info.id, new)
        (resources, findings, flows), details = before[info.id]
        assert (got.resources, got.findings, got.flows) == (resources, findings, flows)
        assert got.details == details
        assert got.details.known == (info.as_of != WITHOUT_DETAILS)
        assert (got.info, got.summary, got.coverage, got.kb_meta, got.sources) == (
            want.info, want.summary, want.coverage, want.kb_meta, want.sources)
        assert (got.resources, got.findings, got.flows, got.details) == (
            want.resources, want.findings, want.flows, want.details)
        assert inventory_of(info.id, old)[1].resources == inventory_of(info.id, new)[1].resources

    kb = results["2026-11-30"].kb
    for quarter in ("2026-Q2", "2026-Q3", "2026-Q4"):
        for pseudonymize in (True, False):
            reports = [report_from_history(kb, Quarter.parse(quarter), ORG, db, pseudonymize) for db in (old, new)]
            assert render_quarterly_markdown(reports[0], kb, "en") == render_quarterly_markdown(reports[1], kb, "en")
            html = [CHART_ID.sub("chart", render_quarterly_html(rep, kb, "fr")) for rep in reports]
            assert html[0] == html[1]
    q4 = report_from_history(kb, Quarter.parse("2026-Q4"), ORG, old, False)
    assert q4.changes is not None and q4.changes.details_missing  # Q3 was saved without details
    assert len(q4.trend) == 3 and q4.trend[-1].indicators is not None


def test_a_failed_conversion_leaves_version_3_untouched(tmp_path: Path, results: dict[str, ScanResult],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    old = _old_database(tmp_path / "old.sqlite3", results)
    calls = []

    def failing(*args: object) -> bytes:
        calls.append(1)
        if len(calls) == 3:
            raise ValueError("a damaged row")  # half-way through the snapshots
        return encode(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(history, "encode_body", failing)
    with pytest.raises(HistoryError, match="stored data is damaged"):
        list_snapshots(old)
    raw = sqlite3.connect(old)
    assert schema_version(raw) == 3
    tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "snapshot_body" not in tables and set(history._ROW_TABLES) <= tables
    assert raw.execute("SELECT COUNT(*) FROM resource").fetchone()[0] == sum(len(r.assessed) for r in results.values())
    raw.close()
    monkeypatch.undo()
    assert [i.as_of for i in list_snapshots(old)] == list(results)  # converted on the next open


def test_pseudonyms_given_while_reading_are_those_of_a_loaded_snapshot(tmp_path: Path,
                                                                       results: dict[str, ScanResult]) -> None:
    db = tmp_path / "h.sqlite3"
    for result in results.values():
        save(result, db)
    _strip_details(db, WITHOUT_DETAILS)
    p = Pseudonymizer.for_db(db)
    for show_names in (False, True):
        codes: dict[str, str] = {}
        for info in list_snapshots(db):
            read = load(info.id, db, Renaming(p, show_names, codes))
            want = pseudonymize_snapshot(load(info.id, db), p, show_names)
            # a snapshot without details is left for the report to pseudonymise (its fallbacks read accounts)
            assert read.info.pseudonymized == (info.as_of != WITHOUT_DETAILS)
            if read.info.pseudonymized:
                assert read == want
                assert any(f.evidence for f in load(info.id, db).flows) and not any(f.evidence for f in read.flows)
            else:
                assert read == load(info.id, db)
