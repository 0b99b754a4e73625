"""What a columnar or per-profile core could reach on a Cloud Asset export: a prototype measurement.

sovscan builds one Python object per record, classifies and assesses it, and writes one result
record per resource. Most of the assessment is already shared by every resource of one placement
profile; what stays per resource is reading the record, its name and labels, and writing its line.
This prototype measures, on the same file and in fresh processes, three lower bounds:

- ``orjson``: decoding every line and throwing it away (the benchmark's floor);
- ``python-minimum``: what any per-record Python core must do at least: decode the line, pick out
  the type, location, project and labels, look up the record's profile in a dictionary and write a
  small result line with orjson. No classification, no graph, no scoring: a core that assessed
  each distinct profile once would still pay this for every resource;
- ``arrow``: reading the fields the analysis needs with Arrow's multithreaded JSON reader into
  columns, counting the distinct placement profiles with a group-by, and writing the per-resource
  lines from the columns (orjson over the rows), the shape a columnar core would have.

Usage: ``python benchmarks/columnar.py FILE.ndjson [--repeat 3]``; prints medians and the number
of distinct profiles. Needs pyarrow (the ``billing`` extra).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _orjson(path: Path) -> int:
    import orjson

    n = 0
    with path.open("rb") as fh:
        for line in fh:
            if line.strip():
                orjson.loads(line)
                n += 1
    return n


def _python_minimum(path: Path) -> int:
    import orjson

    profiles: dict[tuple[object, ...], int] = {}
    with path.open("rb") as fh, open(os.devnull, "wb") as out:
        for line in fh:
            if not line.strip():
                continue
            rec = orjson.loads(line)
            resource = rec.get("resource") or {}
            data = resource.get("data") or {}
            labels = data.get("labels") or {}
            key = (rec.get("asset_type"), resource.get("location"), resource.get("parent"),
                   tuple(sorted(labels.items())) if isinstance(labels, dict) else ())
            index = profiles.get(key)
            if index is None:
                index = profiles[key] = len(profiles)
            out.write(orjson.dumps({"id": rec.get("name"), "type": rec.get("asset_type"), "profile": index}))
            out.write(b"\n")
    return len(profiles)


def _arrow(path: Path) -> int:
    import orjson
    import pyarrow as pa
    import pyarrow.json as pj

    schema = pa.schema([("name", pa.string()), ("asset_type", pa.string()),
                        ("resource", pa.struct([("location", pa.string()), ("parent", pa.string())])),
                        ("ancestors", pa.list_(pa.string()))])
    table = pj.read_json(path, parse_options=pj.ParseOptions(explicit_schema=schema,
                                                             unexpected_field_behavior="ignore"))
    flat = table.flatten()
    keys = ["asset_type", "resource.location", "resource.parent"]
    groups = flat.group_by(keys).aggregate([("name", "count")])
    with open(os.devnull, "wb") as out:
        names = flat.column("name").to_pylist()
        types = flat.column("asset_type").to_pylist()
        for name, kind in zip(names, types, strict=True):
            out.write(orjson.dumps({"id": name, "type": kind}))
            out.write(b"\n")
    return int(groups.num_rows)


STAGES = {"orjson": _orjson, "python-minimum": _python_minimum, "arrow": _arrow}


def _child(stage: str, path: Path) -> None:
    gc.disable()
    start = time.perf_counter()
    count = STAGES[stage](path)
    print(f"{time.perf_counter() - start:.4f} {count}")


def _run(stage: str, path: Path) -> tuple[float, int, int]:
    """Wall seconds inside the child, its count, and its peak RSS in KiB (os.wait4)."""
    proc = subprocess.Popen([sys.executable, __file__, "--child", stage, str(path)], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"{stage} failed")
    seconds, count = out.split()
    return float(seconds), int(count), usage.ru_maxrss


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, nargs="?")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("STAGE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child[0], Path(args.child[1]))
        return 0
    if args.file is None:
        parser.error("an NDJSON file is required")
    path: Path = args.file
    with path.open("rb") as fh:  # into the page cache once, for every stage alike (in chunks: a child
        while fh.read(1 << 24):  # forked from a large parent would report the parent's pages as its peak)
            pass
    times: dict[str, list[float]] = {s: [] for s in STAGES}
    counts: dict[str, int] = {}
    peaks: dict[str, int] = {}
    for _ in range(args.repeat):  # alternate the stages, so drifting load touches each alike
        for stage in STAGES:
            seconds, count, peak = _run(stage, path)
            times[stage].append(seconds)
            counts[stage] = count
            peaks[stage] = max(peaks.get(stage, 0), peak)
    for stage, values in times.items():
        print(f"{stage:15} median {statistics.median(values):7.2f} s  (min {min(values):.2f}, max {max(values):.2f})"
              f"  peak {peaks[stage] / 1024:7.0f} MiB  count {counts[stage]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
