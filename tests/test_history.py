"""History store: snapshots round-trip, one transaction each, versioned schema, pseudonyms, CLI."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner import history
from scanner.cli import app
from scanner.history import (
    SCHEMA_VERSION,
    HistoryError,
    Migration,
    connect,
    default_db,
    forget,
    iter_resources,
    list_snapshots,
    load,
    migrate,
    save,
    schema_version,
)
from scanner.pseudonym import Pseudonymizer, PseudonymKeyError, key_path, load_or_create_key
from tests.fixtures.report import quarters as Q


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return Q.scan_variant("hopital-grand-est", "2026-11-30", set())


def test_snapshot_round_trip(tmp_path: Path, result) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "h.sqlite3"
    info = save(result, db)
    assert (info.organization, info.as_of, info.replaced) == ("Groupement Hospitalier Grand Est", "2026-11-30", False)
    assert info.resources == len(result.assessed) == 84
    assert info.exposure_score == result.summary.exposure.score
    expected_sensitive = sum(1 for r in iter_resources(result) if r.sensitive and r.laws)
    assert info.sensitive_exposed == expected_sensitive > 0
    snap = load(info.id, db)
    assert snap.info == info
    assert snap.resources == list(iter_resources(result))
    assert snap.summary == result.summary
    assert {(f.rule, f.resource, f.suffix) for f in snap.findings} == {
        (f.rule, f.resource, f.template.suffix) for f in result.findings}
    assert {(f.source, f.target, f.kind) for f in snap.flows} == {
        (f.source, f.target, str(f.kind)) for f in result.flows}
    crr = next(f for f in snap.flows if f.kind == "replication" and f.target_region == "us-east-1")
    assert crr.target_countries == ("US",) and crr.evidence
    assert snap.kb_meta["version"] == result.kb.version
    assert set(snap.kb_meta["laws"]) == set(result.kb.laws)
    assert snap.coverage["warnings_count"] == len(result.coverage.warnings)
    assert list_snapshots(db) == [info]


def test_same_organisation_and_date_replaces(tmp_path: Path, result) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "h.sqlite3"
    first = save(result, db)
    second = save(result, db)
    assert second.replaced and second.id > first.id  # ids of replaced snapshots are not reused
    assert [i.id for i in list_snapshots(db)] == [second.id]
    with pytest.raises(HistoryError, match="no snapshot"):
        load(first.id, db)
    with sqlite3.connect(db) as conn:  # the old rows went with it (ON DELETE CASCADE)
        assert conn.execute("SELECT COUNT(*) FROM snapshot_body").fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(*) FROM snapshot_facts").fetchone()[0] == 1


def test_a_crash_while_saving_leaves_the_previous_state(tmp_path: Path, result,  # type: ignore[no-untyped-def]
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "h.sqlite3"
    kept = save(result, db)
    real = history.iter_resources

    def dying(*args, **kwargs):  # type: ignore[no-untyped-def]
        for n, row in enumerate(real(*args, **kwargs)):
            if n == 40:
                raise KeyboardInterrupt  # a crash half-way through the rows
            yield row

    monkeypatch.setattr(history, "iter_resources", dying)
    with pytest.raises(KeyboardInterrupt):
        save(result, db)  # would replace the kept snapshot
    other = Q.scan_variant("hopital-grand-est", "2026-08-31", {"gcp"})
    with pytest.raises(KeyboardInterrupt):
        save(other, db)  # a new one
    monkeypatch.undo()
    assert list_snapshots(db) == [kept]
    assert load(kept.id, db).resources == list(iter_resources(result))
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM snapshot_body").fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(*) FROM snapshot").fetchone()[0] == 1


def test_schema_is_versioned_and_migrated_step_by_step(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    conn = connect(db)
    assert schema_version(conn) == SCHEMA_VERSION == len(history.MIGRATIONS) == 4
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"snapshot", "snapshot_body", "snapshot_facts", "inventory"} <= tables
    assert not tables & {"resource", "finding", "flow", "application", "resource_detail"}  # rows of versions 1-3
    later = SCHEMA_VERSION + 1
    steps = (*history.MIGRATIONS, Migration(later, "a later step", ("ALTER TABLE snapshot ADD COLUMN note TEXT",)))
    assert migrate(conn, steps) == later
    assert migrate(conn, steps) == later  # applied once only
    columns = {r[1] for r in conn.execute("PRAGMA table_info(snapshot)")}
    assert "note" in columns
    broken = (*steps, Migration(later + 1, "fails half-way", ("CREATE TABLE extra (x)", "THIS IS NOT SQL")))
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, broken)
    assert schema_version(conn) == later  # the failed step left nothing behind
    assert "extra" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    with pytest.raises(HistoryError, match="newer than this sovscan"):
        connect(db)  # that later version is unknown to the released migrations


def test_a_version_1_database_is_migrated_in_place(tmp_path: Path) -> None:
    db = tmp_path / "v1.sqlite3"
    conn = sqlite3.connect(db)
    migrate(conn, history.MIGRATIONS[:1])
    assert schema_version(conn) == 1
    conn.close()
    conn = connect(db)  # the released migrations bring it to the current version
    assert schema_version(conn) == SCHEMA_VERSION
    assert "inventory" in {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()


def test_not_a_database_and_missing_database(tmp_path: Path) -> None:
    bad = tmp_path / "notes.sqlite3"
    bad.write_text("hello, this is not SQLite\n" * 100)
    with pytest.raises(HistoryError, match="not a usable history database"):
        connect(bad)
    assert list_snapshots(tmp_path / "none.sqlite3") == []
    with pytest.raises(HistoryError, match="no history database yet"):
        load(1, tmp_path / "none.sqlite3")


def test_default_db_is_in_the_user_data_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_db() == tmp_path / "data" / "sovscan" / "history.sqlite3"


def test_pseudonymised_snapshots_hold_no_identifiers(tmp_path: Path, result) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "h.sqlite3"
    info = save(result, db, pseudonymize=True)
    assert info.pseudonymized
    key_file = key_path(db)
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    raw = db.read_bytes()
    for needle in (b"111122223333", b"dossiers-patients", b"ghge-registre-pg", b"a1b2c3d4-1111", b"arn:aws"):
        assert needle not in raw, needle
    snap = load(info.id, db)
    p = Pseudonymizer(load_or_create_key(key_file))
    assert {r.id for r in snap.resources} == {p.resource(a.res.id) for a in result.assessed}
    assert all(r.name == r.id and r.id.startswith("r-") for r in snap.resources)
    assert {r.account for r in snap.resources} == {p.account(a.res.provider, a.res.account) for a in result.assessed}
    assert all(f.evidence == "" for f in snap.flows)
    assert snap.coverage["warnings"] == [] and all(s["path"] is None for s in snap.sources)
    # stable: the same key gives the same pseudonyms next quarter; another key gives others
    again = save(Q.scan_variant("hopital-grand-est", "2027-02-28", set()), db, pseudonymize=True)
    assert {r.id for r in load(again.id, db).resources} == {r.id for r in snap.resources}
    other = Pseudonymizer(b"k" * 32)
    assert other.resource(result.assessed[0].res.id) != p.resource(result.assessed[0].res.id)


def test_bad_key_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3.key"
    path.write_text("not hex\n")
    with pytest.raises(PseudonymKeyError, match="not a pseudonymisation key"):
        load_or_create_key(path)
    path.write_text("abcd\n")
    with pytest.raises(PseudonymKeyError, match="2 bytes"):
        load_or_create_key(path)


def test_forget(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    stored = Q.store_quarters(db)
    ids = {as_of: info.id for as_of, (_, info) in stored.items()}
    assert [i.as_of for i in list_snapshots(db)] == list(Q.PLANS["hopital-grand-est"])
    assert [i.id for i in forget(db, snapshot_id=ids["2026-05-15"])] == [ids["2026-05-15"]]
    gone = forget(db, organization="Groupement Hospitalier Grand Est", as_of="2026-10-15")
    assert [i.as_of for i in gone] == ["2026-10-15"]
    assert [i.as_of for i in list_snapshots(db)] == ["2026-08-31", "2026-11-30"]
    with pytest.raises(HistoryError):
        forget(db)
    assert len(forget(db, organization="Groupement Hospitalier Grand Est")) == 2
    assert list_snapshots(db) == []
    with sqlite3.connect(db) as conn:
        for table in ("snapshot_body", "snapshot_facts", "inventory"):
            assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0


def test_history_commands(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    runner = CliRunner()
    sample = str(Q.SAMPLES / "hopital-grand-est")
    out = runner.invoke(app, ["report", "-i", sample, "--org", "GHGE", "--as-of", "2026-11-30", "--save",
                              "--db", str(db), "--format", "md", "-o", str(tmp_path / "r.md")])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "r.md").read_text().startswith("# Exposure report")
    listed = runner.invoke(app, ["history", "list", "--db", str(db)])
    assert listed.exit_code == 0
    rows = [line.split("\t") for line in listed.output.strip().splitlines()]
    assert rows[0][:4] == ["id", "organisation", "as_of", "quarter"]
    assert rows[1][1:5] == ["GHGE", "2026-11-30", "2026-Q4", "84"]
    shown = runner.invoke(app, ["history", "show", rows[1][0], "--db", str(db)])
    assert shown.exit_code == 0 and "resources: 84" in shown.output and "GHGE" in shown.output
    refused = runner.invoke(app, ["history", "forget", "--org", "GHGE", "--db", str(db)])
    assert refused.exit_code == 2 and "say what to forget" in refused.output
    done = runner.invoke(app, ["history", "forget", "--org", "GHGE", "--as-of", "2026-11-30", "--db", str(db)])
    assert done.exit_code == 0 and "forgot snapshot" in done.output
    assert runner.invoke(app, ["history", "list", "--db", str(db)]).output.strip() == "no stored snapshot"
    missing = runner.invoke(app, ["history", "show", "7", "--db", str(db)])
    assert missing.exit_code == 2 and "no snapshot 7" in missing.output
