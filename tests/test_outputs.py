"""Safe outputs: never over an input, written atomically; the sovscan.toml loaded is named; config errors, one line."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path
from typing import IO, Any

import pytest
from typer.testing import CliRunner

from scanner.cli import app

ROOT = Path(__file__).resolve().parent.parent
HOSPITAL = ROOT / "sample_inventories" / "hopital-grand-est"
STATE = HOSPITAL / "terraform" / "terraform.tfstate"
runner = CliRunner()


def _one_error(r: Any) -> str:
    assert r.exit_code == 2, (r.exit_code, r.stdout, r.stderr)
    errors = [line for line in r.stderr.splitlines() if line.startswith("sovscan: error:")]
    assert len(errors) == 1 and "Traceback" not in r.stderr, r.stderr
    return str(errors[0])


@pytest.fixture
def state(tmp_path: Path) -> Path:
    path = tmp_path / "state.tfstate"
    path.write_bytes(STATE.read_bytes())
    return path


def test_an_output_over_an_input_is_refused_and_the_input_kept(tmp_path: Path, state: Path) -> None:
    # `-i state.tfstate -o state.tfstate` replaced the state with the report.
    before = state.read_bytes()
    line = _one_error(runner.invoke(app, ["run", "-i", str(state), "-o", str(state), "--format", "json"]))
    assert "this is an input of the command" in line
    link = tmp_path / "link.json"
    link.symlink_to(state)  # the same file under another name
    _one_error(runner.invoke(app, ["run", "-i", str(state), "-o", str(link), "--format", "json"]))
    hard = tmp_path / "hard.json"
    os.link(state, hard)
    _one_error(runner.invoke(app, ["run", "-i", str(state), "-o", str(hard), "--format", "json"]))
    _one_error(runner.invoke(app, ["plan", "-i", str(state), "--target", "scaleway", "-o", str(state),
                                   "--format", "json"]))
    _one_error(runner.invoke(app, ["report", "-i", str(state), "--as-of", "2026-11-30", "-o", str(state),
                                   "--format", "md", "--db", str(tmp_path / "h.db")]))
    assert state.read_bytes() == before


def test_an_output_over_a_file_of_an_input_folder_or_the_database_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "state.tfstate").write_bytes(STATE.read_bytes())
    line = _one_error(runner.invoke(app, ["run", "-i", str(folder), "-o", str(folder / "state.tfstate"),
                                          "--format", "json"]))
    assert "inside the input folder" in line
    db = tmp_path / "history.sqlite3"
    assert runner.invoke(app, ["run", "-i", str(folder), "--save", "--db", str(db), "--format", "json",
                               "-o", str(tmp_path / "r.json")]).exit_code == 0
    saved = db.read_bytes()
    _one_error(runner.invoke(app, ["run", "-i", str(folder), "--db", str(db), "--format", "json", "-o", str(db)]))
    assert db.read_bytes() == saved
    config = tmp_path / "sovscan.toml"
    config.write_text('organization = "x"\n')
    _one_error(runner.invoke(app, ["run", "-i", str(folder), "--config", str(config), "-o", str(config)]))
    assert config.read_text() == 'organization = "x"\n'
    # a new file in the input folder is not an input
    fresh = folder / "result.json"
    assert runner.invoke(app, ["run", "-i", str(folder), "--format", "json", "-o", str(fresh)]).exit_code == 0
    assert json.loads(fresh.read_text())["schema_version"] == 1


def test_a_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path: Path, state: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # A full disk left a truncated output.
    out = tmp_path / "out" / "result.json"
    out.parent.mkdir()
    out.write_text("previous result\n")

    def full_disk(result: Any, fmt: Any, fh: IO[bytes], lang: str = "en") -> None:
        fh.write(b'{"schema_version": 1, "resou')
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("scanner.report.outputs.render", full_disk)
    line = _one_error(runner.invoke(app, ["run", "-i", str(state), "--format", "json", "-o", str(out)]))
    assert "No space left on device" in line and "unchanged" in line
    assert out.read_text() == "previous result\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["result.json"]


def test_outputs_keep_the_modes_a_plain_write_would_give(tmp_path: Path, state: Path) -> None:
    old = os.umask(0o027)
    try:
        new = tmp_path / "new.json"
        assert runner.invoke(app, ["run", "-i", str(state), "--format", "json", "-o", str(new)]).exit_code == 0
        assert stat.S_IMODE(new.stat().st_mode) == 0o640
        kept = tmp_path / "kept.json"
        kept.write_text("old")
        os.chmod(kept, 0o604)
        assert runner.invoke(app, ["run", "-i", str(state), "--format", "json", "-o", str(kept)]).exit_code == 0
        assert stat.S_IMODE(kept.stat().st_mode) == 0o604 and json.loads(kept.read_text())["resources"]
    finally:
        os.umask(old)
    target = tmp_path / "real.json"
    target.write_text("x")
    link = tmp_path / "via-link.json"
    link.symlink_to(target)
    assert runner.invoke(app, ["run", "-i", str(state), "--format", "json", "-o", str(link)]).exit_code == 0
    assert link.is_symlink() and json.loads(target.read_text())["schema_version"] == 1
    assert runner.invoke(app, ["run", "-i", str(state), "--format", "json", "-o", os.devnull]).exit_code == 0
    line = _one_error(runner.invoke(app, ["run", "-i", str(state), "--format", "json", "-o", str(tmp_path)]))
    assert "is a folder" in line


def test_the_loaded_sovscan_toml_is_named(tmp_path: Path, state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A sovscan.toml in the current folder was loaded silently (home_country = "US" halved exposure).
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sovscan.toml").write_text('home_country = "US"\n')
    r = runner.invoke(app, ["plan", "-i", str(state), "--target", "scaleway", "--format", "json",
                            "-o", str(tmp_path / "p.json")])
    assert r.exit_code == 0, r.stderr
    notes = [line for line in r.stderr.splitlines() if "using the configuration" in line]
    assert notes == [f"sovscan: using the configuration in {tmp_path / 'sovscan.toml'} (found in the current "
                     "folder; give --config to choose another)"]  # once, though plan reads it twice
    explicit = tmp_path / "other.toml"
    explicit.write_text('organization = "Org"\n')
    r = runner.invoke(app, ["run", "-i", str(state), "--config", str(explicit), "--format", "json"])
    assert r.exit_code == 0 and f"sovscan: using the configuration in {explicit}\n" in r.stderr


@pytest.mark.parametrize(("text", "expected"), [
    ('classification = "x"', "classification must be a table"),
    ("classification = {other = 1}", "unknown key(s) in classification: other"),
    ('classification = {rules = "x"}', "classification.rules must be an array of tables"),
    ("classification = {rules = [1]}", "classification.rules must be an array of tables"),
    ("organization = 5", "organization must be a string"),
    ('knowledge = ["missing.yaml"]', "knowledge file(s) not found"),
    ("limits = 3", "limits must be a table"),
    ("[limits]\nmax_depth = -1", "limits.max_depth must be a positive integer"),
    ('[limits]\nmax_bytes = "lots"', "limits.max_bytes must be a positive integer"),
    ("[limits]\nmax_value_bytes = 10", "limits.max_value_bytes must be an integer of at least 1,048,576"),
    ("[limits]\nmax_files = 3", "unknown key(s) in limits: max_files"),
    ("home_country = 5", "home_country must be an ISO 3166-1 alpha-2 code"),
    ("\xff = 1", "not UTF-8 text"),
])
def test_configuration_errors_are_one_line(tmp_path: Path, state: Path, text: str, expected: str) -> None:
    config = tmp_path / "sovscan.toml"
    config.write_bytes(text.encode("latin-1"))
    line = _one_error(runner.invoke(app, ["run", "-i", str(state), "--config", str(config), "--format", "json"]))
    assert expected in line and str(config) in line


def test_limits_are_read_with_units(tmp_path: Path) -> None:
    from scanner.config import load_config

    config = tmp_path / "sovscan.toml"
    config.write_text('[limits]\nmax_bytes = "2 GiB"\nmax_value_bytes = 33554432\nmax_depth = 64\n')
    limits = load_config(config).limits
    assert (limits.max_bytes, limits.max_value_bytes, limits.max_depth) == (2 << 30, 32 << 20, 64)
    assert limits.max_ratio == 200 and limits.max_number_chars == 20_000


def test_report_reads_a_plan_whose_values_have_other_json_types(tmp_path: Path, state: Path) -> None:
    # report --plan with "options": [1] crashed with AttributeError.
    plan = tmp_path / "plan.json"
    r = runner.invoke(app, ["plan", "-i", str(state), "--target", "scaleway", "--format", "json", "-o", str(plan)])
    assert r.exit_code == 0, r.stderr
    doc = json.loads(plan.read_text())
    doc["options"] = [1]
    doc["csf"] = {"before": [{"provider": "aws", "SOV-2": [1], "SOV-3": "x"}, 5]}
    plan.write_text(json.dumps(doc))
    out = tmp_path / "report.md"
    r = runner.invoke(app, ["report", "-i", str(state), "--as-of", "2026-11-30", "--plan", str(plan), "--format", "md",
                            "-o", str(out), "--db", str(tmp_path / "h.db")])
    assert r.exit_code == 0, r.stderr
    assert out.read_text().strip()
