"""Fuzzing every importer: random mutations of every sample and fixture file, through the command line.

A seeded mutator (reproducible: each case prints its seed on failure) changes bytes, cuts files,
inserts hostile tokens (deep nesting, huge numbers, invalid UTF-8, lone surrogates, control
characters) and replaces values by others of every JSON type, in plain, gzip and NDJSON files.
The only outcomes allowed are a result (exit 0, valid JSON) or exit 2 with one error line; never
a traceback, exit 1 or 70, a crash of the interpreter, or a secret planted next to an invalid byte
on standard error or in the coverage warnings (parsers quote the bytes around an error; values
that parse are data, and warnings may name them, as they name types and regions). One case in
eight puts three mutants beside an intact file in a folder, which must still be read.

Runs for ``SOVSCAN_FUZZ_SECONDS`` (default 60) from ``SOVSCAN_FUZZ_SEED`` (default fixed), so CI
is reproducible; set another seed to explore.
"""

from __future__ import annotations

import copy
import gzip
import json
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from providers.base import InputFile, InventoryFormatError
from providers.export import InventoryWriter
from providers.live import RawRecord
from providers.registry import file_formats, sniff
from scanner.cli import app
from scanner.inventory import load_inventory

ROOT = Path(__file__).resolve().parent.parent
SECRET = "Qz7xFuzzSecret"
SUFFIXES = (".json", ".json.gz", ".ndjson", ".ndjson.gz", ".jsonl", ".tfstate", ".gz")

runner = CliRunner()


def _seed_files(tmp: Path) -> list[Path]:
    """Every export of the samples and fixtures, and a saved inventory (the one format without a fixture file)."""
    found = sorted(p for folder in (ROOT / "sample_inventories", ROOT / "tests" / "fixtures")
                   for p in folder.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES))
    saved = tmp / "saved-inventory.ndjson.gz"
    snapshot = json.loads(gzip.decompress((ROOT / "tests/fixtures/aws/config_snapshot_euc1.json.gz").read_bytes()))
    writer = InventoryWriter(saved, "aws", {"regions": ["eu-central-1"]})
    for item in snapshot["configurationItems"]:
        writer.write(RawRecord("aws-config-item", item))
    writer.finish()
    return [*found, saved]


def _content(path: Path) -> tuple[bytes, bool]:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data), True
        except (OSError, EOFError):
            return data, False  # a deliberately corrupt fixture: mutated as it is
    return data, False


HOSTILE_TOKENS = [
    b"[" * 700 + b"]" * 700, b"1" * 5000, b"18446744073709551617", b"-1e999", b"NaN", b'"\\ud800"',
    b'"\xed\xa0\x80"', b'"\xff\xfe"', b'"=HYPERLINK(\\"http://x\\")"', b'"\x1b]0;t\x07\xe2\x80\xae"',
    b'"' + SECRET.encode() + b'\xff"', b"{}", b"[]", b"null", b"-3.5", b"true", b'"x"', b"[[1,2,3]]",
]
WRONG_VALUES: list[Any] = [[], {}, 5, -1, -3.5, 2**64, None, "x", True, [[1, 2, 3]], {"a": []}, [1],
                           "\x1b[2J", "password=hunter2", "=1+2", "", "\ud800"]


def _walk(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            paths.extend(_walk(v, (*path, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node[:20]):
            paths.extend(_walk(v, (*path, i)))
    return paths


def _structural(rng: random.Random, data: bytes) -> bytes:
    """Replace, delete or add a value somewhere in the document (or in one NDJSON line)."""
    lines = data.splitlines()
    ndjson = len(lines) > 1 and all(line.strip()[:1] == b"{" for line in lines if line.strip())
    try:
        targets = [json.loads(line) for line in lines if line.strip()] if ndjson else [json.loads(data)]
    except ValueError:
        return _bytes(rng, data)
    index = rng.randrange(len(targets))
    doc = targets[index]
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(_walk(doc))
        if not path:
            doc = copy.deepcopy(rng.choice(WRONG_VALUES))
            continue
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        action = rng.random()
        if action < 0.7:
            parent[path[-1]] = copy.deepcopy(rng.choice(WRONG_VALUES))
        elif action < 0.85 and isinstance(parent, dict):
            parent.pop(path[-1], None)
        elif isinstance(parent, dict):
            parent[f"extra{rng.randint(0, 9)}"] = copy.deepcopy(rng.choice(WRONG_VALUES))
    targets[index] = doc
    if ndjson:
        return b"\n".join(json.dumps(t).encode("utf-8", "surrogatepass") for t in targets) + b"\n"
    return json.dumps(doc, indent=rng.choice([None, 1])).encode("utf-8", "surrogatepass")


def _bytes(rng: random.Random, data: bytes) -> bytes:
    """Flip, delete, duplicate or cut bytes, or put a hostile token after a comma or colon."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        action = rng.random()
        pos = rng.randrange(len(out) + 1)
        if action < 0.25 and out:
            out[min(pos, len(out) - 1)] = rng.randrange(256)
        elif action < 0.4:
            del out[pos:pos + rng.randint(1, 64)]
        elif action < 0.5:
            out[pos:pos] = out[pos:pos + rng.randint(1, 256)]
        elif action < 0.6:
            del out[pos:]
        else:
            separators = [i for i in range(len(out)) if out[i] in b",:["][:5000]
            at = rng.choice(separators) + 1 if separators else pos
            token = rng.choice(HOSTILE_TOKENS)
            out[at:at] = token + (b"," if out[at - 1:at] in (b",", b"[") else b"")
    return bytes(out)


def _mutant(rng: random.Random, seed_file: Path) -> bytes:
    data, gzipped = _content(seed_file)
    mutate: Callable[[random.Random, bytes], bytes] = _structural if rng.random() < 0.5 else _bytes
    mutated = mutate(rng, data)
    if not gzipped:
        return mutated
    packed = gzip.compress(mutated, mtime=0)
    if rng.random() < 0.15:  # damage the compressed stream itself
        damaged = bytearray(packed)
        damaged[rng.randrange(10, len(damaged))] ^= 1 << rng.randrange(8)
        return bytes(damaged)
    return packed


def _check(r: Any, case: str, folder_mode: bool, out: Path) -> str:
    stderr = r.stderr
    assert "Traceback" not in stderr and SECRET not in stderr, (case, stderr)
    errors = [line for line in stderr.splitlines() if line.startswith("sovscan: error:")]
    others = [line for line in stderr.splitlines()
              if line and not line.startswith(("sovscan: error:", "sovscan: warning:", "sovscan: using"))]
    assert not others, (case, stderr)
    if r.exit_code == 0:
        assert not errors, (case, stderr)
        result = json.loads(out.read_text())
        assert all(SECRET not in w for w in result["coverage"]["warnings"]), case
        if folder_mode:
            assert any(s["path"].endswith("intact" + SUFFIX_OF[case]) for s in result["sources"]), case
        return "result"
    assert r.exit_code == 2 and not folder_mode, (case, r.exit_code, stderr)
    assert len(errors) == 1 and stderr.endswith("\n") and stderr.count("\n") == len(stderr.splitlines()), (case, stderr)
    return "refused"


SUFFIX_OF: dict[str, str] = {}


def _suffix(path: Path) -> str:
    return next(s for s in sorted(SUFFIXES, key=len, reverse=True) if path.name.endswith(s))


@pytest.mark.slow
def test_mutated_inputs_give_a_result_or_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # a crash report, if any, stays in the test's folder
    seeds = _seed_files(tmp_path)
    readable = {p for p in seeds if _readable(p)}
    recognised = {sniff(InputFile(p, p.name))[0].name for p in readable}
    assert recognised == {f.name for f in file_formats()}, "every importer has at least one seed file"
    budget = float(os.environ.get("SOVSCAN_FUZZ_SECONDS", "60"))
    master = random.Random(int(os.environ.get("SOVSCAN_FUZZ_SEED", "20261204")))
    outcomes = {"result": 0, "refused": 0}
    deadline = time.monotonic() + budget
    n = 0
    while time.monotonic() < deadline:
        n += 1
        case_seed = master.getrandbits(32)
        rng = random.Random(case_seed)
        seed_file = seeds[n % len(seeds)]
        suffix = _suffix(seed_file)
        work = tmp_path / f"case{n}"
        work.mkdir()
        folder_mode = seed_file in readable and rng.random() < 0.125
        case = f"seed={case_seed} file={seed_file.relative_to(ROOT) if ROOT in seed_file.parents else seed_file.name}"
        SUFFIX_OF[case] = suffix
        if folder_mode:
            for k in range(3):
                (work / f"mutant{k}{suffix}").write_bytes(_mutant(rng, seed_file))
            (work / f"intact{suffix}").write_bytes(seed_file.read_bytes())
            target = work
        else:
            target = work / f"mutant{suffix}"
            target.write_bytes(_mutant(rng, seed_file))
        out = tmp_path / "out.json"
        out.unlink(missing_ok=True)
        r = runner.invoke(app, ["run", "-i", str(target), "--format", "json", "--allow-empty", "-o", str(out)])
        outcomes[_check(r, case, folder_mode, out)] += 1
        for child in work.iterdir():
            child.unlink()
        work.rmdir()
    assert not list(tmp_path.glob("sovscan-crash-*")), "an internal error was reported"
    assert n >= 50 and outcomes["result"] and outcomes["refused"], outcomes
    print(f"fuzz: {n} cases in {budget:g} s: {outcomes}")


def _readable(path: Path) -> bool:
    """Whether a seed file is read without error (the fixtures include broken files on purpose)."""
    try:
        load_inventory([path], lambda _m: None)
    except InventoryFormatError:
        return False
    return True
