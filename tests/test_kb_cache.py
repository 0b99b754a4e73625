"""The on-disk cache of the knowledge base: used when current, ignored when stale, corrupt or foreign,
never fatal, private, and giving the same knowledge base as the YAML files."""

from __future__ import annotations

import os
import pickle
import stat
from pathlib import Path

import pytest

from scanner.kb import cache
from scanner.kb.loader import KnowledgeBase, load_kb


@pytest.fixture(scope="module")
def fresh() -> KnowledgeBase:
    return load_kb()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The cache folder, under a temporary XDG_CACHE_HOME (platformdirs reads it at each call)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("SOVSCAN_KB_CACHE", raising=False)
    return cache.cache_dir()


class Loads:
    """A stand-in for load_kb that counts its calls."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.calls = 0

    def __call__(self) -> KnowledgeBase:
        self.calls += 1
        return self.kb


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("kb-*.pickle"))


def test_miss_then_hit(folder: Path, fresh: KnowledgeBase) -> None:
    load = Loads(fresh)
    assert cache.cached(load) is fresh and load.calls == 1
    [path] = _files(folder)
    assert path.name == cache.keys()[1]
    if hasattr(os, "getuid"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = cache.cached(load)
    assert load.calls == 1, "the second start reads the cache"
    assert again is not fresh and again.digest == fresh.digest and again.version == fresh.version
    for table in ("countries", "zones", "regions", "entities", "providers", "schemes", "qualifications", "laws",
                  "services", "alternatives", "egress_prices", "exchange_rates", "csf_objectives",
                  "global_services", "legal_identifiers"):
        assert getattr(again, table) == getattr(fresh, table), table
    assert again.rules == fresh.rules and again.finding_rules == fresh.finding_rules
    assert again.lexicon == fresh.lexicon and again.weights == fresh.weights
    assert again._aliases == fresh._aliases and again.files == fresh.files
    # look-ups work on the cached copy as on the loaded one
    assert again.region("aws", "eu-west-3") == fresh.region("aws", "eu-west-3")
    assert again.validate() == fresh.validate()


def test_a_corrupt_file_is_ignored_and_replaced(folder: Path, fresh: KnowledgeBase) -> None:
    name = cache.keys()[1]
    folder.mkdir(parents=True, mode=0o700)
    for garbage in (b"", b"not a pickle", pickle.dumps({"a": 1})[:-3], pickle.dumps(["not", "a", "kb"])):
        (folder / name).write_bytes(garbage)
        os.chmod(folder / name, 0o600)
        load = Loads(fresh)
        assert cache.cached(load) is fresh and load.calls == 1
        assert cache.read(folder, name, fresh.digest) is not None, "replaced by a good file"


def test_a_knowledge_base_of_other_data_is_not_used(folder: Path, fresh: KnowledgeBase) -> None:
    digest, name = cache.keys()
    folder.mkdir(parents=True, mode=0o700)
    other = KnowledgeBase(digest="0" * 64)
    (folder / name).write_bytes(pickle.dumps(other))
    os.chmod(folder / name, 0o600)
    assert cache.read(folder, name, digest) is None
    load = Loads(fresh)
    assert cache.cached(load) is fresh and load.calls == 1


def test_older_files_are_removed(folder: Path, fresh: KnowledgeBase) -> None:
    folder.mkdir(parents=True, mode=0o700)
    stale = folder / "kb-0123456789abcdef0123456789abcdef.pickle"
    stale.write_bytes(b"old")
    cache.cached(Loads(fresh))
    assert [p.name for p in _files(folder)] == [cache.keys()[1]]


def test_the_key_follows_the_data_and_the_code(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    digest, name = cache.keys()
    monkeypatch.setattr(cache, "FORMAT", cache.FORMAT + 1)
    bumped = cache.keys()
    assert bumped[0] == digest and bumped[1] != name
    monkeypatch.undo()
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.yaml").write_text("countries: []\n", encoding="utf-8")
    monkeypatch.setattr(cache, "DATA_DIR", data)
    first = cache.keys()
    (data / "a.yaml").write_text("countries: []\nzones: []\n", encoding="utf-8")
    second = cache.keys()
    assert first[0] != second[0] and first[1] != second[1]


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="no file owners on this system")
def test_a_file_others_may_write_is_not_read(folder: Path, fresh: KnowledgeBase) -> None:
    cache.cached(Loads(fresh))
    digest, name = cache.keys()
    assert cache.read(folder, name, digest) is not None
    os.chmod(folder / name, 0o666)
    assert cache.read(folder, name, digest) is None
    os.chmod(folder / name, 0o600)
    os.chmod(folder, 0o777)
    assert cache.read(folder, name, digest) is None
    (folder / name).unlink()
    cache.cached(Loads(fresh))
    assert _files(folder) == [], "nothing is written where it would not be read back"


def test_off_and_unwritable(folder: Path, fresh: KnowledgeBase, monkeypatch: pytest.MonkeyPatch,
                            tmp_path: Path) -> None:
    monkeypatch.setenv("SOVSCAN_KB_CACHE", "0")
    load = Loads(fresh)
    assert cache.cached(load) is fresh and cache.cached(load) is fresh and load.calls == 2
    assert not folder.exists()
    monkeypatch.delenv("SOVSCAN_KB_CACHE")
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # the cache folder cannot be created
    load = Loads(fresh)
    assert cache.cached(load) is fresh and cache.cached(load) is fresh and load.calls == 2
