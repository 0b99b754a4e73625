"""Benchmark of the scan history: database size and quarterly report time over four quarters.

Builds a history of four quarterly snapshots of one organisation (``sovscan run --save``), each
from an AWS Config snapshot of ``--size`` resources made by :mod:`benchmarks.generate`'s AWS
generator, varying from quarter to quarter as an estate does: some resources decommissioned,
others created, some reclassified (their ``DataClassification`` tag changes). Then times
``sovscan report --quarter <last> --format html`` (and ``pdf``), each in a fresh process, and
prints the database size and the median report time of ``--repeat`` runs.

``--python PATH`` runs sovscan with another interpreter (a virtual environment where another
version of sovscan is installed, e.g. ``pip install`` of ``git archive main`` unpacked in a folder)
to compare versions; ``--build-python PATH`` builds the history with one version and reports with
another: the first command that opens the database then migrates it, and that migration is timed
apart (``history list``).

Usage: ``python benchmarks/history.py [--size 100000] [--repeat 3] [--formats html,pdf]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from generate import DATA_DIR, SEED, aws_records  # the sibling script: python puts benchmarks/ on sys.path

#: CPU time (user + system) of each sovscan run, in order: on a shared machine, steadier than wall time.
CPU_TIMES: list[float] = []
#: Bump when the quarterly inputs change, so cached files are regenerated.
HISTORY_VERSION = 1
ORG = "Groupement hospitalier"
#: As-of dates of the four quarters; the report is made for the last one.
DATES = ("2025-12-31", "2026-03-31", "2026-06-30", "2026-09-30")


def _mix(i: int) -> int:
    """A stable pseudo-random number in [0, 1000) for record ``i`` (Knuth's multiplicative hash)."""
    return (i * 2654435761 >> 7) % 1000


def quarter_records(n: int, quarter: int, quarters: int) -> Iterator[dict[str, Any]]:
    """The ``n`` configuration items of one quarter.

    Every quarter reads the same generated stream (so most resources keep their ids from one
    quarter to the next); record ``i`` (KMS keys excepted) is left out in the earlier quarters
    when its hash falls in a band that shrinks each quarter (about 3 % of the estate is created
    per quarter), another band is decommissioned after quarter one, and 1 % per quarter is
    reclassified as health data.
    """
    created = 30 * (quarters - 1 - quarter)  # per mille not created yet
    emitted = 0
    for i, record in enumerate(aws_records(n + n // 5, SEED)):
        if emitted >= n:
            return
        h = _mix(i)
        if record["resourceType"] != "AWS::KMS::Key":
            if h < created or (quarter >= 1 and 900 <= h < 920):
                continue
            if 500 <= h < 500 + 10 * quarter and record["tags"]:
                record = {**record, "tags": {**record["tags"], "DataClassification": "PHI"}}
        yield record
        emitted += 1


def write_quarter(path: Path, n: int, quarter: int, quarters: int) -> None:
    meta_path = path.with_name(path.name + ".meta.json")
    want = {"history_version": HISTORY_VERSION, "seed": SEED, "resources": n, "quarter": quarter,
            "quarters": quarters}
    if path.exists() and meta_path.exists():
        meta = orjson.loads(meta_path.read_bytes())
        if {k: meta.get(k) for k in want} == want and meta.get("bytes") == path.stat().st_size:
            return
    tmp = path.with_name(path.name + ".tmp")
    started = time.perf_counter()
    with tmp.open("wb", buffering=1 << 20) as fh:
        fh.write(b'{"fileVersion":"1.0","configSnapshotId":"history-' + str(quarter).encode()
                 + b'","configurationItems":[')
        for k, record in enumerate(quarter_records(n, quarter, quarters)):
            fh.write((b"," if k else b"") + orjson.dumps(record))
        fh.write(b"]}")
    os.replace(tmp, path)
    meta_path.write_bytes(orjson.dumps({**want, "bytes": path.stat().st_size}))
    print(f"generated {path.name} in {time.perf_counter() - started:.0f} s", flush=True)


def sovscan(args: list[str], python: str) -> float:
    """Run ``sovscan ARGS`` in a fresh process of ``python``; its wall time (its CPU time in CPU_TIMES)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    # From a neutral folder: ``-m`` puts the working directory first on sys.path, and a checkout
    # there would be imported instead of the interpreter's installed sovscan.
    proc = subprocess.run([python, "-m", "scanner.cli", *args], capture_output=True, text=True,
                          cwd=tempfile.gettempdir())
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU_TIMES.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"sovscan {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="resources per quarter")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each report (median)")
    parser.add_argument("--formats", default="html,pdf", help="report formats to time")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR / "history")
    parser.add_argument("--db", type=Path, help="history database to build (default: a temporary file)")
    parser.add_argument("--reuse-db", action="store_true", help="report on --db as it is, without building it")
    parser.add_argument("--python", default=sys.executable, help="interpreter that runs sovscan (default: this one)")
    parser.add_argument("--build-python", help="interpreter that builds the history (default: --python)")
    args = parser.parse_args()
    quarters = len(DATES)
    python = args.python
    build_python = args.build_python or python
    with tempfile.TemporaryDirectory(prefix="sovscan-history-") as tmp:
        db = args.db or Path(tmp) / "history.sqlite3"
        if not args.reuse_db:
            args.data_dir.mkdir(parents=True, exist_ok=True)
            files = [args.data_dir / f"aws-history-{args.size}-q{q}.json" for q in range(quarters)]
            for q, path in enumerate(files):
                write_quarter(path, args.size, q, quarters)
            for suffix in ("", "-journal", ".key"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            for date, path in zip(DATES, files, strict=True):
                took = sovscan(["run", "-i", str(path), "--org", ORG, "--as-of", date, "--save", "--db", str(db),
                                "--format", "json", "--output", os.devnull], build_python)
                print(f"saved {date}: {took:.1f} s (scan and save), database {db.stat().st_size / 2**20:.1f} MiB",
                      flush=True)
        if build_python != python:
            took = sovscan(["history", "list", "--db", str(db)], python)
            print(f"first open (migration): {took:.1f} s, database {db.stat().st_size / 2**20:.1f} MiB", flush=True)
        size = db.stat().st_size
        quarter = DATES[-1][:4] + "-Q" + str((int(DATES[-1][5:7]) - 1) // 3 + 1)
        times: dict[str, list[float]] = {}
        cpu: dict[str, list[float]] = {}
        for _ in range(args.repeat):
            for fmt in args.formats.split(","):
                out = Path(tmp) / f"report.{fmt}"
                times.setdefault(fmt, []).append(sovscan(
                    ["report", "--quarter", quarter, "--db", str(db), "--format", fmt, "--output", str(out)], python))
                cpu.setdefault(fmt, []).append(CPU_TIMES[-1])
        print(f"\nhistory: {quarters} quarters x {args.size:,} resources, database {size / 2**20:.1f} MiB "
              f"({size / quarters / 2**20:.1f} MiB a snapshot)")
        for fmt, runs in times.items():
            shown = ", ".join(f"{t:.2f}" for t in runs)
            print(f"report {quarter} {fmt}: median {statistics.median(runs):.2f} s ({shown}); "
                  f"CPU median {statistics.median(cpu[fmt]):.2f} s")


if __name__ == "__main__":
    main()
