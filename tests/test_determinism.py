"""The same input gives the same bytes, whatever the process's string hashing (``PYTHONHASHSEED``).

Python salts the hash of every string per process, so iterating over a set of strings (and over a
dict or ``Counter`` filled from one) gives another order in another process. Each test runs the same
commands in two processes with different hash seeds and compares every output byte for byte, after
removing the one value that may differ: the generation time (``generated_at`` in the JSON, "scanned
…" in the Markdown). Inputs: a small generated estate made of ties (equal counts per law, country,
data class, provider, unmapped type and unknown region, where only a documented tie-break decides
the order), the hospital sample (slow), and a history of two quarters for ``sovscan report``.

Each process runs its commands in turn through the command line (``scanner.cli.app``), so a pair of
processes covers several commands for the cost of two interpreter starts.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from scanner.kb import cache as kb_cache
from scanner.kb.loader import default_kb
from tests.conftest import HOSPITAL, ROOT
from tests.fixtures.report import two_quarters as T

SEEDS = (1, 2)
#: The generation time, the only value allowed to differ (ISO 8601 in UTC, to the second).
GENERATED = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")

#: Runs each command of argv[2] (JSON: [[name, [args…]], …]) through the command line, in this process;
#: a command without ``-o`` has its standard output written to ``<argv[1]>/<name>``. Prints the order in
#: which this process iterates over a set of strings, so the test knows the two seeds differ.
_DRIVER = """
import contextlib, io, json, sys
from pathlib import Path
from scanner.cli import app
out = Path(sys.argv[1])
for name, args in json.loads(sys.argv[2]):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        try:
            app(args, standalone_mode=False)
        except SystemExit as exc:
            if exc.code:
                raise
    if "-o" not in args:
        (out / name).write_text(buf.getvalue(), encoding="utf-8")
print(json.dumps(list({"us-cloud-act", "us-fisa-702", "eu-gdpr", "uk-investigatory-powers-act", "au-tola"})))
"""

#: Commands a process runs: (name of the output file, arguments of ``sovscan``).
Commands = list[tuple[str, list[str]]]
#: The formats of ``sovscan run`` compared (OCSF and OSCAL derive times and ids from the generation time).
RUN_FORMATS = ("json", "md", "csv", "html", "sarif")
PLAN_TARGETS = "ovhcloud,scaleway,open-source"


def _instance(type_: str, name: str, provider: str, attributes: dict[str, object]) -> dict[str, object]:
    return {"mode": "managed", "type": type_, "name": name, "provider": f'provider["registry.terraform.io/{provider}"]',
            "instances": [{"schema_version": 0, "attributes": attributes}]}


def write_ties(folder: Path) -> Path:
    """A Terraform state made of ties: four data classes × three clouds × three regions (France, the
    United States, Singapore), so every US law, and each class, counts the same number of resources;
    Azure and Google Cloud hold as many resources each; two unmapped types and two unknown regions,
    once each."""
    resources = []
    for i, cls in enumerate(("health", "employee", "financial", "personal")):
        for j, region in enumerate(("eu-west-3", "us-east-1", "ap-southeast-1")):
            bucket = f"ties-{cls}-{j}"
            resources.append(_instance("aws_s3_bucket", f"b{i}{j}", "hashicorp/aws", {
                "id": bucket, "bucket": bucket, "arn": f"arn:aws:s3:::{bucket}", "region": region,
                "tags": {"DataClassification": cls}}))
        for j, location in enumerate(("francecentral", "eastus", "southeastasia")):
            account = f"ties{cls[:4]}{j}"
            resources.append(_instance("azurerm_storage_account", f"s{i}{j}", "hashicorp/azurerm", {
                "id": "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-ties/providers/"
                      f"Microsoft.Storage/storageAccounts/{account}",
                "name": account, "location": location, "resource_group_name": "rg-ties",
                "tags": {"DataClassification": cls}}))
        for j, location in enumerate(("EUROPE-WEST9", "US-EAST1", "ASIA-SOUTHEAST1")):
            bucket = f"ties-{cls}-gcs-{j}"
            resources.append(_instance("google_storage_bucket", f"g{i}{j}", "hashicorp/google", {
                "id": bucket, "name": bucket, "location": location, "project": "ties-project",
                "labels": {"dataclassification": cls}}))
    for type_ in ("aws_zzz_unmapped_one", "aws_zzz_unmapped_two"):
        resources.append(_instance(type_, "x", "hashicorp/aws", {
            "id": type_, "arn": f"arn:aws:zzz:eu-west-3:111122223333:{type_}", "region": "eu-west-3"}))
    for region in ("xx-nowhere-1", "yy-nowhere-2"):
        bucket = f"ties-{region}"
        resources.append(_instance("aws_s3_bucket", region.replace("-", "_"), "hashicorp/aws", {
            "id": bucket, "bucket": bucket, "arn": f"arn:aws:s3:::{bucket}", "region": region}))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "terraform.tfstate"
    path.write_text(json.dumps({"version": 4, "terraform_version": "1.9.8", "serial": 1, "lineage": "ties",
                                "outputs": {}, "resources": resources}), encoding="utf-8")
    return path


def _commands(out: Path, inventory: Path, explain: str | None = None) -> Commands:
    src = str(inventory)
    cmds = [(f"run.{fmt}", ["run", "-i", src, "--as-of", "2026-11-30", "-f", fmt, "-o", str(out / f"run.{fmt}")])
            for fmt in RUN_FORMATS]
    cmds.append(("plan.json", ["plan", "-t", PLAN_TARGETS, "-i", src, "--as-of", "2026-11-30", "-f", "json",
                               "-o", str(out / "plan.json")]))
    if explain is not None:
        cmds.append(("explain.txt", ["explain", "-i", src, explain]))
    return cmds


def _in(cmds: Commands) -> Callable[[Path], Commands]:
    """The commands with ``{out}`` replaced by a seed's output folder."""
    return lambda out: [(name, [a.replace("{out}", str(out)) for a in args]) for name, args in cmds]


def _run_seeds(tmp: Path, build: Callable[[Path], Commands]) -> dict[int, Path]:
    """Run the commands ``build`` gives for each seed's output folder, one process per seed, both at once."""
    folders = {seed: tmp / f"seed-{seed}" for seed in SEEDS}
    # The first process reads the knowledge base from its YAML files (an empty cache), the second
    # from the on-disk cache (scanner.kb.cache), so the cache is held to the same bytes too.
    caches = {seed: tmp / f"cache-{seed}" for seed in SEEDS}
    digest, name = kb_cache.keys()
    kb_cache.write(caches[SEEDS[1]] / "sovscan", name, default_kb())  # where platformdirs puts it on Linux
    procs = {}
    for seed, folder in folders.items():
        folder.mkdir(parents=True, exist_ok=True)
        cmds = build(folder)
        env = {**os.environ, "PYTHONHASHSEED": str(seed), "XDG_CACHE_HOME": str(caches[seed])}
        env.pop("SOVSCAN_KB_CACHE", None)
        procs[seed] = subprocess.Popen([sys.executable, "-c", _DRIVER, str(folder), json.dumps(cmds)], cwd=ROOT,
                                       env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    orders = []
    for seed, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"seed {seed}: {stderr.decode(errors='replace')[-2000:]}"
        orders.append(json.loads(stdout.decode().splitlines()[-1]))
    # The test means something only if the two processes iterate over sets of strings differently.
    assert orders[0] != orders[1], "PYTHONHASHSEED did not change the order of a set of strings"
    if sys.platform == "linux":  # the first process found no cache and wrote one
        assert kb_cache.read(caches[SEEDS[0]] / "sovscan", name, digest) is not None
    return folders


def _normalised(path: Path) -> bytes:
    data = path.read_bytes()
    assert data, f"{path.name} is empty"
    return GENERATED.sub(b"<generated>", data)


def _assert_identical(folders: dict[int, Path], names: list[str]) -> None:
    first, second = (folders[s] for s in SEEDS)
    different = [name for name in names if _normalised(first / name) != _normalised(second / name)]
    assert not different, f"outputs differ between PYTHONHASHSEED={SEEDS[0]} and {SEEDS[1]}: {different}"


def test_ties_give_the_same_bytes_whatever_the_hash_seed(tmp_path: Path) -> None:
    ties = write_ties(tmp_path / "ties")
    cmds = _commands(Path("{out}"), ties, explain="arn:aws:s3:::ties-health-1")
    folders = _run_seeds(tmp_path, _in(cmds))
    names = [name for name, _ in cmds]
    _assert_identical(folders, names)
    # the ties are there: equal counts whose order only the documented tie-break decides
    result = json.loads((folders[SEEDS[0]] / "run.json").read_bytes())
    exposure = result["summary"]["exposure"]
    by_law = exposure["by_law"]
    us = [law for law in by_law if law.startswith("us-")]
    assert len(us) >= 3 and len({by_law[law]["resources"] for law in us}) == 1
    assert us == sorted(us), "laws of equal count are ordered by id"
    counts = [v["resources"] for v in by_law.values()]
    assert counts == sorted(counts, reverse=True), "laws are ordered by count, descending"
    classes = [c for c, v in exposure["by_data_class"].items() if v["resources"] == 9]
    assert classes == ["employee", "financial", "health", "personal"]
    assert list(exposure["by_provider"]) == ["aws", "azure", "gcp"]
    coverage = result["coverage"]
    assert list(coverage["unmapped_types"]) == ["aws_zzz_unmapped_one", "aws_zzz_unmapped_two"]
    assert list(coverage["unknown_regions"]) == ["aws:xx-nowhere-1", "aws:yy-nowhere-2"]


@pytest.mark.slow
def test_hospital_sample_gives_the_same_bytes_whatever_the_hash_seed(tmp_path: Path) -> None:
    cmds = _commands(Path("{out}"), HOSPITAL, explain="arn:aws:s3:::ghge-dossiers-patients-par")
    folders = _run_seeds(tmp_path, _in(cmds))
    _assert_identical(folders, [name for name, _ in cmds])


def test_quarterly_report_gives_the_same_bytes_whatever_the_hash_seed(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    T.store(db)

    def build(out: Path) -> Commands:
        return [(f"report.{fmt}", ["report", "--db", str(db), "-q", "2026-Q4", "-f", fmt,
                                   "-o", str(out / f"report.{fmt}")]) for fmt in ("html", "md")]

    folders = _run_seeds(tmp_path, build)
    _assert_identical(folders, ["report.html", "report.md"])
    html = (folders[SEEDS[0]] / "report.html").read_text(encoding="utf-8")
    ids = re.findall(r'<svg [^>]*\bid="(chart-[^"]+)"', html)
    assert len(ids) >= 3 and len(set(ids)) == len(ids), "every chart has its own id"
