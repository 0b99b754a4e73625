"""`sovscan run --provider` end to end with a stand-in collector: saved inventories re-read identically,
--strict exits 3, credentials errors are one line and exit 2, a cut saved inventory is refused."""

from __future__ import annotations

import gzip
import json
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

import providers.live
from providers.base import CredentialsError
from providers.live import LiveOptions, RawRecord
from scanner.cli import app
from scanner.model import Account, Gap

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "gcp" / "cai-export.ndjson"
runner = CliRunner()


def _collect(options: LiveOptions) -> Iterator[RawRecord | Account | Gap]:
    yield Account("excare-prod", "gcp", "Excare Production", "organizations/123", "live:gcp")
    for line in FIXTURE.read_bytes().splitlines():
        if line.strip():
            yield RawRecord("gcp-asset", orjson.loads(line))
    yield Gap("live:gcp", "project excare-sandbox, all locations, cloudasset: access denied", "access-denied")


def _no_credentials(options: LiveOptions) -> Iterator[RawRecord | Account | Gap]:
    raise CredentialsError("no Application Default Credentials: run 'gcloud auth application-default login'")
    yield  # pragma: no cover - makes this a generator


@pytest.fixture
def fake_gcp(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("fake_sovscan_gcp_collector")
    module.collect = _collect  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(providers.live.LIVE_MODULES, "gcp", module.__name__)


def test_saved_inventory_reads_back_identically(fake_gcp: None, tmp_path: Path) -> None:
    saved = tmp_path / "inventory.jsonl.gz"
    live = runner.invoke(app, ["run", "--provider", "gcp", "--export-inventory", str(saved), "-f", "json",
                               "--as-of", "2026-11-30"])
    assert live.exit_code == 0, live.stderr
    offline = runner.invoke(app, ["run", "-i", str(saved), "-f", "json", "--as-of", "2026-11-30"])
    assert offline.exit_code == 0, offline.stderr
    a, b = json.loads(live.stdout), json.loads(offline.stdout)
    assert a["resources"] and a["resources"] == b["resources"]
    assert a["flows"] == b["flows"] and a["findings"] == b["findings"] and a["summary"] == b["summary"]
    assert a["coverage"] == b["coverage"]
    assert any("access denied" in w for w in a["coverage"]["warnings"])
    assert [s["format"] for s in a["sources"]] == ["live-gcp"]
    assert [s["format"] for s in b["sources"]] == ["sovscan-inventory"]
    lines = gzip.decompress(saved.read_bytes()).splitlines()
    header, trailer = json.loads(lines[0]), json.loads(lines[-1])
    assert header["sovscan_inventory"] == 1 and header["provider"] == "gcp"
    assert trailer["end"] == {"records": len(lines) - 4, "accounts": 1, "gaps": 1}


def test_strict_exits_3_on_an_incomplete_collection(fake_gcp: None) -> None:
    r = runner.invoke(app, ["run", "--provider", "gcp", "--strict", "-f", "json"])
    assert r.exit_code == 3 and "incomplete" in r.stderr
    assert json.loads(r.stdout)["resources"]  # the output is still written


def test_cut_saved_inventory_is_refused(fake_gcp: None, tmp_path: Path) -> None:
    saved = tmp_path / "inventory.jsonl.gz"
    first = runner.invoke(app, ["run", "--provider", "gcp", "--export-inventory", str(saved), "-f", "json"])
    assert first.exit_code == 0
    lines = gzip.decompress(saved.read_bytes()).splitlines(keepends=True)
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(gzip.compress(b"".join(lines[:-1])))
    r = runner.invoke(app, ["run", "-i", str(cut), "-f", "json"])
    assert r.exit_code == 2 and "incomplete (no end line)" in r.stderr and "Traceback" not in r.stderr


def test_missing_credentials_is_one_line_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("fake_sovscan_gcp_nocreds")
    module.collect = _no_credentials  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(providers.live.LIVE_MODULES, "gcp", module.__name__)
    r = runner.invoke(app, ["run", "--provider", "gcp", "-f", "json"])
    assert r.exit_code == 2
    assert r.stderr.strip().count("\n") == 0 and "gcloud auth application-default login" in r.stderr


def test_export_needs_a_provider(tmp_path: Path) -> None:
    r = runner.invoke(app, ["run", "-i", str(FIXTURE), "--export-inventory", str(tmp_path / "x.gz")])
    assert r.exit_code == 2 and "--provider" in r.stderr


def test_plan_on_a_live_run(fake_gcp: None) -> None:
    r = runner.invoke(app, ["plan", "--provider", "gcp", "--target", "ovhcloud,scaleway,open-source", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    moved = [res for u in doc["units"] for res in u["resources"]]
    assert moved and all(res["provider"] == "gcp" for res in moved)
    assert doc["before"]["exposure"] > doc["after"]["exposure"]
    both = runner.invoke(app, ["plan", "--provider", "gcp", "--snapshot", "1", "--target", "ovhcloud"])
    assert both.exit_code == 2 and "--snapshot" in both.stderr
