"""The command line's error border: every failure maps to its exit code with one line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app

ROOT = Path(__file__).resolve().parent.parent
HOSPITAL = ROOT / "sample_inventories" / "hopital-grand-est"

runner = CliRunner()


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("secret value Qz7x in an unexpected place")


def test_internal_error_exits_70_with_one_line_and_a_private_traceback_file(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("scanner.pipeline.assess", _boom)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    r = runner.invoke(app, ["run", "-i", str(HOSPITAL), "--format", "json"])
    assert r.exit_code == 70
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sovscan: internal error (RuntimeError); please report it")
    assert "Qz7x" not in r.stderr  # the message of an unexpected error may quote input values
    crash = next(tmp_path.glob("sovscan-crash-*.txt"))
    assert str(crash) in lines[0]
    assert crash.stat().st_mode & 0o777 == 0o600
    assert "RuntimeError: secret value" in crash.read_text()


def test_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("scanner.pipeline.assess", interrupted)
    r = runner.invoke(app, ["run", "-i", str(HOSPITAL), "--format", "json"])
    assert r.exit_code == 130 and r.stderr.strip() == "sovscan: interrupted"


def test_nothing_read_exits_2_naming_the_refused_files(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"hello": 1}')
    (tmp_path / "notes.txt").write_text("not an export")
    r = runner.invoke(app, ["run", "-i", str(tmp_path), "--format", "json"])
    assert r.exit_code == 2
    error = [line for line in r.stderr.splitlines() if line.startswith("sovscan: error:")]
    assert len(error) == 1
    assert "no resource was read: 1 file(s) refused" in error[0] and "a.json" in error[0]
    assert "notes.txt" in error[0] and "--allow-empty" in error[0]


def test_allow_empty_accepts_an_empty_result(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"hello": 1}')
    r = runner.invoke(app, ["run", "-i", str(tmp_path), "--format", "json", "--allow-empty"])
    assert r.exit_code == 0, r.stderr
    assert '"resources":[]' in r.stdout


@pytest.mark.parametrize("args", [
    ["run"],
    ["run", "-i", "x", "--as-of", "30/11/2026"],
    ["report", "--quarter", "2026-Q5", "--db", "/nonexistent/h.db"],
    ["plan", "-i", str(HOSPITAL), "--target", "nowhere"],
    ["kb", "show", "nothing"],
])
def test_usage_errors_are_one_line_exit_2(args: list[str]) -> None:
    r = runner.invoke(app, args)
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert r.stderr.count("sovscan: error:") == 1 and "Traceback" not in r.stderr
