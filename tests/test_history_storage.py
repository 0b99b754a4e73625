"""The history database as trusted storage: identity, locking, damage, permissions, forgetting, what is kept."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import stat
import time
import zlib
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from scanner import history
from scanner.cli import app
from scanner.history import APPLICATION_ID, HistoryError, connect, forget, inventory_of, list_snapshots, load, save
from scanner.inventory import Inventory
from scanner.model import Resource
from scanner.pseudonym import key_path
from tests.fixtures.report import quarters as Q

runner = CliRunner()




@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return Q.scan_variant("hopital-grand-est", "2026-11-30", set())


def _one_line(r: object) -> str:
    stderr = r.stderr  # type: ignore[attr-defined]
    assert r.exit_code == 2, (r.exit_code, stderr)  # type: ignore[attr-defined]
    errors = [line for line in stderr.splitlines() if line.startswith("sovscan: error:")]
    assert len(errors) == 1 and "Traceback" not in stderr, stderr
    return errors[0]


def test_a_foreign_sqlite_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE contacts (name TEXT)")
        conn.execute("INSERT INTO contacts VALUES ('Alice')")
    before = other.read_bytes()
    line = _one_line(runner.invoke(app, ["history", "list", "--db", str(other)]))
    assert "not a sovscan history database (its tables: contacts)" in line
    with pytest.raises(HistoryError, match="not a sovscan history database"):
        connect(other)
    assert other.read_bytes() == before  # no schema written into it
    with sqlite3.connect(other) as conn:
        conn.execute("PRAGMA application_id = 1234")
        conn.execute("DROP TABLE contacts")
    with pytest.raises(HistoryError, match="application id 0x4d2"):
        list_snapshots(other)


def test_a_new_database_carries_the_sovscan_application_id(tmp_path: Path, result) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "h.sqlite3"
    save(result, db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID == 0x534F5653
    assert db.read_bytes()[68:72] == b"SOVS"  # the header field, as `file` and other tools read it


def test_a_database_of_an_earlier_sovscan_is_adopted(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    with sqlite3.connect(db) as conn:  # what sovscan wrote before the application id
        for statement in history.MIGRATIONS[0].statements:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
    conn = connect(db)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION
    conn.close()


def test_a_blank_database_is_not_written_by_a_read(tmp_path: Path) -> None:
    blank = tmp_path / "blank.db"
    blank.touch()
    with pytest.raises(HistoryError, match="no history database yet"):
        load(1, blank)
    assert blank.stat().st_size == 0


def _open_first(db: str) -> str:
    try:
        connect(Path(db)).close()
        return "ok"
    except Exception as exc:  # reported to the parent, which fails the test with it
        return f"{type(exc).__name__}: {exc}"


def test_concurrent_first_opens_all_succeed(tmp_path: Path) -> None:
    # The schema check ran outside the transaction: 10 of 90 concurrent first opens failed.
    for round_ in range(3):
        db = tmp_path / f"race{round_}.sqlite3"
        with multiprocessing.get_context("fork").Pool(12) as pool:
            outcomes = pool.map(_open_first, [str(db)] * 36)
        assert outcomes == ["ok"] * 36
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION


def test_a_writer_holding_the_lock_gives_one_line_not_a_crash(tmp_path: Path, result,  # type: ignore[no-untyped-def]
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "h.sqlite3"
    info = save(result, db)
    monkeypatch.setattr(history, "BUSY_TIMEOUT", 0.3)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing, for longer than the timeout
    try:
        started = time.monotonic()
        with pytest.raises(HistoryError, match="in use by another program"):
            save(result, db)
        assert time.monotonic() - started < 5
        line = _one_line(runner.invoke(app, ["history", "forget", str(info.id), "--db", str(db)]))
        assert "in use by another program (waited 0.3 s)" in line
        line = _one_line(runner.invoke(app, ["run", "-i", str(Q.SAMPLES / "hopital-grand-est"), "--format", "json",
                                             "-o", str(tmp_path / "r.json"), "--save", "--db", str(db)]))
        assert "in use by another program" in line
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert [i.id for i in list_snapshots(db)] == [info.id]


def test_damaged_pages_give_one_line(tmp_path: Path, result) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "h.sqlite3"
    info = save(result, db)
    data = bytearray(db.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data), page):  # every page but the header and the first table
        data[offset:offset + 64] = os.urandom(64)
    db.write_bytes(bytes(data))
    for args in (["history", "list"], ["history", "show", str(info.id)], ["history", "forget", str(info.id)]):
        line = _one_line(runner.invoke(app, [*args, "--db", str(db)]))
        assert str(db) in line


def test_bad_stored_json_and_blobs_give_one_line(tmp_path: Path, result) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "h.sqlite3"
    info = save(result, db)
    for statement in ("UPDATE snapshot SET summary = '{'", "UPDATE snapshot SET summary = '[1]'",
                      "UPDATE snapshot SET summary = '{\"exposure\": 1}'", "UPDATE snapshot SET resources = 'many'",
                      "UPDATE snapshot_body SET data = X'789c'", "UPDATE snapshot_body SET data = 'text'",
                      "DELETE FROM snapshot_body", "UPDATE snapshot_facts SET data = '[1]'"):
        fresh = tmp_path / "copy.sqlite3"
        fresh.write_bytes(db.read_bytes())
        with sqlite3.connect(fresh) as conn:
            conn.execute(statement)
        with pytest.raises(HistoryError, match="stored data is damaged"):
            load(info.id, fresh)
        fresh.unlink()
    with sqlite3.connect(db) as conn:
        (body,) = conn.execute("SELECT data FROM snapshot_body").fetchone()
    doc = orjson.loads(zlib.decompress(body))
    damaged = []
    for path, value in ((("resources", "profile", "i", 0), 10**6), (("resources", "id", 3), 7),
                        (("resources", "n"), 3), (("findings", "resource", 0), 10**6),
                        (("details", "reach", "v", 0), "x"), (("flows", "kind", "v"), None),
                        (("resources", "profile", "v", 0, 4), [1]), (("resources",), [])):
        copy = orjson.loads(orjson.dumps(doc))
        parent = copy
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = value
        damaged.append(zlib.compress(orjson.dumps(copy)))
    for blob in (*damaged, zlib.compress(b"[1]"), zlib.compress(b"{")):
        fresh = tmp_path / "copy.sqlite3"
        fresh.write_bytes(db.read_bytes())
        with sqlite3.connect(fresh) as conn:
            conn.execute("UPDATE snapshot_body SET data = ?", (blob,))
        line = _one_line(runner.invoke(app, ["history", "show", str(info.id), "--db", str(fresh)]))
        assert "stored data is damaged" in line
        fresh.unlink()
    for blob in (b"\x00\x01", b"\x1f\x8b\x08\x00" + b"\x00" * 20, 42):
        fresh = tmp_path / "copy.sqlite3"
        fresh.write_bytes(db.read_bytes())
        with sqlite3.connect(fresh) as conn:
            conn.execute("UPDATE inventory SET data = ?", (blob,))
        with pytest.raises(HistoryError, match="stored data is damaged"):
            inventory_of(info.id, fresh)
        line = _one_line(runner.invoke(app, ["plan", "--snapshot", str(info.id), "--db", str(fresh),
                                             "--target", "scaleway", "--format", "json"]))
        assert "stored data is damaged" in line
        fresh.unlink()


def test_the_database_and_key_are_private(tmp_path: Path, result, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    old = os.umask(0o022)
    try:
        save(result, None, pseudonymize=True)
    finally:
        os.umask(old)
    db = history.default_db()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(key_path(db).stat().st_mode) == 0o600
    # a database left readable by an earlier version, in a readable folder, is tightened on use
    os.chmod(db, 0o644)
    os.chmod(db.parent, 0o755)
    list_snapshots(None)
    assert stat.S_IMODE(db.stat().st_mode) == 0o600 and stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    chosen = tmp_path / "mine" / "deeper" / "h.sqlite3"
    save(result, chosen)
    assert stat.S_IMODE(chosen.stat().st_mode) == 0o600
    assert stat.S_IMODE(chosen.parent.stat().st_mode) == 0o700


def test_forget_overwrites_and_rebuilds(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    Q.store_quarters(db)
    with sqlite3.connect(db) as conn:  # a stretch of every compressed body, and the organisation in clear
        markers = [bytes(data[len(data) // 2:len(data) // 2 + 32])
                   for (data,) in conn.execute("SELECT data FROM snapshot_body")]
    markers.append(b"Groupement Hospitalier Grand Est")
    assert all(marker in db.read_bytes() for marker in markers)
    size_before = db.stat().st_size
    with connect(db) as conn:
        assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
    for info in list_snapshots(db):
        forget(db, snapshot_id=info.id)
    assert list_snapshots(db) == []
    assert not any(marker in db.read_bytes() for marker in markers)  # neither in freed pages nor anywhere else
    assert db.stat().st_size < size_before / 4


def test_history_keeps_only_what_the_analysis_needs(tmp_path: Path) -> None:
    from scanner.config import Config
    from scanner.pipeline import assess

    inv = Inventory()
    inv.add_resource(Resource(
        id="arn:aws:s3:::b", provider="aws", native_type="AWS::S3::Bucket", name="b", region="eu-west-3",
        tags={"DataClassification": "PHI", "DbPassword": "Qz7x-pass", "api_token": "Qz7x-token",
              "SSHKey": "Qz7x-key", "owner": "team-a"},
        attributes={"key_control": "customer", "user_data": "Qz7x-userdata", "sku": "Standard"}))
    result = assess(inv, Config(), as_of="2026-11-30", organization="Org")
    db = tmp_path / "h.sqlite3"
    info = save(result, db)
    assert b"Qz7x" not in db.read_bytes()
    _, stored = inventory_of(info.id, db)
    res = stored.resources["arn:aws:s3:::b"]
    assert res.tags == {"DataClassification": "PHI", "DbPassword": "[redacted]", "api_token": "[redacted]",
                        "SSHKey": "[redacted]", "owner": "team-a"}
    assert res.attributes == {"key_control": "customer"}


def test_a_parser_error_next_to_a_secret_never_reaches_the_database(tmp_path: Path) -> None:
    # ijson's message quoted 'password": "Qz7x…' into coverage.warnings, and from there into the history.
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "good.tfstate").write_bytes((Q.SAMPLES / "hopital-grand-est" / "terraform" / "terraform.tfstate")
                                          .read_bytes())
    (folder / "bad.tfstate").write_bytes(b'{"version": 4, "terraform_version": "1.9.0", "serial": 1, "lineage": "x", '
                                         b'"outputs": {}, "resources": [{"password": "Qz7xSecretPw\xff"}]}')
    db = tmp_path / "h.sqlite3"
    r = runner.invoke(app, ["run", "-i", str(folder), "--format", "json", "-o", str(tmp_path / "r.json"),
                            "--save", "--db", str(db)])
    assert r.exit_code == 0, r.stderr
    assert "Qz7x" not in r.stderr and "Qz7x" not in (tmp_path / "r.json").read_text()
    assert b"Qz7x" not in db.read_bytes()
    (info,) = list_snapshots(db)
    assert any("bad.tfstate" in w and "file not read" in w for w in load(info.id, db).coverage["warnings"])
