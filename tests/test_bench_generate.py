"""The benchmark's synthetic inventories: each generated file is read back by sovscan's own importer
with exactly the number of resources asked for, in the format it claims, with relations."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

from scanner.inventory import load_inventory

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import generate

N = 1500
FORMATS = {"aws": "aws-config-snapshot", "gcp": "gcp-asset-export", "terraform": "terraform-state",
           "azure": "azure-resource-graph"}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_generated_inventory_reads_back_with_exact_count(fmt: str, data_dir: Path) -> None:
    path = generate.ensure(fmt, N, data_dir=data_dir, log=lambda _: None)
    inventory = load_inventory([path], warn=lambda _: None)
    assert len(inventory.resources) == N
    (source,) = inventory.sources
    assert source.format == FORMATS[fmt]
    assert source.resources == N
    # A realistic estate: several types and regions, and relations (copies, keys, trust).
    types = Counter(r.native_type for r in inventory.resources.values())
    regions = {r.region for r in inventory.resources.values()}
    assert len(types) >= 8
    assert len(regions) >= 6
    assert len(inventory.flows) >= N // 100
    keyed = [r for r in inventory.resources.values() if r.key is not None and r.key.key_id in inventory.resources]
    assert keyed, "some resources are encrypted by a key that is in the inventory"
    assert generate.sample_id(fmt, N) in inventory.resources  # what the benchmark's explain asks about


@pytest.mark.parametrize("fmt", ["terraform", "azure"])
def test_generation_is_seeded_and_cached(fmt: str, tmp_path: Path) -> None:
    first = generate.ensure(fmt, 300, data_dir=tmp_path / "a", log=lambda _: None).read_bytes()
    second = generate.ensure(fmt, 300, data_dir=tmp_path / "b", log=lambda _: None).read_bytes()
    assert first == second
    other = generate.ensure(fmt, 300, data_dir=tmp_path / "c", seed=7, log=lambda _: None).read_bytes()
    assert other != first
    logged: list[str] = []
    generate.ensure(fmt, 300, data_dir=tmp_path / "a", log=logged.append)
    assert logged == []  # re-used from the cache


def test_terraform_state_holds_blocks_sovscan_folds_or_skips(data_dir: Path) -> None:
    import orjson

    path = generate.ensure("terraform", N, data_dir=data_dir, log=lambda _: None)
    doc = orjson.loads(path.read_bytes())
    assert doc["version"] == 4 and doc["lineage"]
    kinds = Counter((b["mode"], b["type"] in generate._TF_FOLDED) for b in doc["resources"])
    assert kinds[("data", False)] and kinds[("managed", True)]
    instances = sum(len(b["instances"]) for b in doc["resources"] if b["mode"] == "managed"
                    and b["type"] not in generate._TF_FOLDED)
    assert instances == N
    aliases = {b["provider"] for b in doc["resources"]}
    assert len(aliases) >= 5  # resources spread over regions through provider aliases
