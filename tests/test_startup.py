"""What a command pays before it does anything: the modules it imports, the knowledge base read from
the on-disk cache, and the cyclic garbage collector paused (then frozen) around every scanning command."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner import gc_pause
from scanner.cli import app
from scanner.kb import cache as kb_cache
from scanner.kb.loader import default_kb
from tests.conftest import HOSPITAL, ROOT
from tests.fixtures.report import two_quarters as T

#: Imported by a command only when it needs them (graph writers, terminal rendering, YAML files).
HEAVY = ("networkx", "rich", "yaml", "jinja2", "pygal", "babel")

_PROBE = """
import json, sys
from scanner.cli import app
after_import = sorted(m for m in {heavy} if m in sys.modules)
try:
    app(sys.argv[1:], standalone_mode=False)
except SystemExit as exc:
    if exc.code:
        raise
print(json.dumps({{"import": after_import, "run": sorted(m for m in {heavy} if m in sys.modules)}}))
"""


def _probe(args: list[str], cache_home: Path) -> dict[str, list[str]]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    env.pop("SOVSCAN_KB_CACHE", None)
    done = subprocess.run([sys.executable, "-c", _PROBE.format(heavy=HEAVY), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    found: dict[str, list[str]] = json.loads(done.stdout.splitlines()[-1])
    return found


def test_a_scan_with_a_warm_cache_imports_only_what_it_needs(tmp_path: Path) -> None:
    name = kb_cache.keys()[1]
    kb_cache.write(tmp_path / "cache" / "sovscan", name, default_kb())  # where platformdirs puts it on Linux
    found = _probe(["run", "-i", str(HOSPITAL), "-f", "json", "-o", str(tmp_path / "out.json")], tmp_path / "cache")
    assert found["import"] == [], "assembling the command line imports none of them"
    expected = ["networkx"] if sys.platform == "linux" else ["networkx", "yaml"]
    assert found["run"] == expected, "a JSON scan needs the graph, and no YAML when the cache is warm"


_GC_PAUSED = gc_pause.gc_paused


@contextmanager
def _spy(entered: list[bool]) -> Iterator[None]:
    with _GC_PAUSED():
        entered.append(gc.isenabled())
        yield


@pytest.fixture
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("history") / "history.sqlite3"
    T.store(db)
    return db


@pytest.mark.parametrize("command", ["run", "explain", "plan", "graph", "report"])
def test_every_scanning_command_pauses_the_collector(command: str, tmp_path: Path, history: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    entered: list[bool] = []
    monkeypatch.setattr(gc_pause, "gc_paused", lambda: _spy(entered))
    hospital = str(HOSPITAL)
    args = {
        "run": ["run", "-i", hospital, "-f", "json", "-o", str(tmp_path / "out.json")],
        "explain": ["explain", "-i", hospital, "arn:aws:s3:::ghge-dossiers-patients-par"],
        "plan": ["plan", "-t", "ovhcloud,open-source", "-i", hospital, "-f", "json", "-o", str(tmp_path / "p.json")],
        "graph": ["graph", "-i", hospital, "-f", "json", "-o", str(tmp_path / "g.json")],
        "report": ["report", "--db", str(history), "-q", "2026-Q4", "-f", "md", "-o", str(tmp_path / "r.md")],
    }[command]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    assert entered == [False], "the command ran once inside gc_paused, with the collector off"
    assert gc.isenabled()


def _collectable(obj: object) -> bool:
    """In one of the generations the collector walks (frozen objects are in none)."""
    return any(o is obj for o in gc.get_objects())


def test_gc_paused_restores_and_freezes() -> None:
    assert gc.isenabled()
    kept = [[i] for i in range(3)]
    with gc_pause.gc_paused():
        assert not gc.isenabled()
        with gc_pause.gc_paused():  # nested: the outer one stays in charge
            assert not gc.isenabled()
        assert not gc.isenabled() and _collectable(kept[0])
    assert gc.isenabled()
    assert not _collectable(kept[0]), "what was alive is frozen: the collector no longer walks it"
    again = [0]
    with pytest.raises(ValueError), gc_pause.gc_paused(freeze=False):
        raise ValueError("restored on errors too")
    assert gc.isenabled() and _collectable(again)
    gc.disable()
    try:
        with gc_pause.gc_paused():
            pass
        assert not gc.isenabled(), "a collector that was off stays off"
    finally:
        gc.enable()
