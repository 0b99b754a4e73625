"""The sovscan benchmark (``make bench``): end-to-end time and peak memory against the orjson floor.

For each format (AWS Config snapshot, GCP Cloud Asset export) and size (10k, 100k, 1M resources)
it generates, or re-uses, a synthetic inventory (``generate.py``) and measures, in the same run,
each in a fresh process:

- **floor**: reading the file and parsing it with ``orjson.loads`` (the whole document for the
  AWS snapshot; each line for the NDJSON export), timed inside the child around the read and
  parse only (interpreter start-up excluded), plus that process's peak RSS;
- **end to end**: ``sovscan run --inventory FILE --format json --output /dev/null``, wall time
  of the whole process (start-up, imports, knowledge base, reading, scoring, writing JSON) and its
  peak RSS (``ru_maxrss`` of the reaped child, from ``os.wait4``).

Each measurement is repeated and the medians are reported with the ratio end-to-end / floor. The
requirement measured against: 1M resources end to end in at most 5× the orjson parse time and
under 4 GiB peak memory. Before timing a file it is read once so that both measurements find it
in the page cache. Results go to the terminal and to ``benchmarks/data/results.json``.

Usage: ``python benchmarks/run.py [--sizes 10000,100000] [--formats aws,gcp] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import generate  # the sibling script: ``python benchmarks/run.py`` puts benchmarks/ on sys.path
import orjson

ROOT = Path(__file__).resolve().parent.parent
RESULTS = generate.DATA_DIR / "results.json"
TARGET_RATIO = 5.0
TARGET_RSS_GIB = 4.0
TIMEOUT_S = 3600

#: The floor, run with ``python -c FLOOR FILE GC``: prints the seconds spent reading and parsing.
#: With GC = "off" the cyclic garbage collector is disabled first: a whole 1 GiB document becomes
#: tens of millions of live containers, and the collections their allocation triggers cost more
#: than the parse itself, so "on" measures Python's default settings and "off" the parse alone.
_FLOOR_WHOLE = """
import gc, sys, time, orjson
if sys.argv[2] == "off":
    gc.disable()
t = time.perf_counter()
with open(sys.argv[1], "rb") as fh:
    doc = orjson.loads(fh.read())
print(time.perf_counter() - t)
"""
_FLOOR_LINES = """
import gc, sys, time, orjson
if sys.argv[2] == "off":
    gc.disable()
t = time.perf_counter()
with open(sys.argv[1], "rb") as fh:
    for line in fh:
        orjson.loads(line)
print(time.perf_counter() - t)
"""
_FLOOR = {"aws": _FLOOR_WHOLE, "gcp": _FLOOR_LINES}


@dataclass
class Run:
    """One child process: wall time, peak RSS (MiB), and what it printed on stdout."""

    wall_s: float
    max_rss_mib: float
    stdout: str


@dataclass
class Case:
    """All measurements of one format × size."""

    format: str
    resources: int
    file: str
    file_mib: float
    floor_parse_s: list[float] = field(default_factory=list)  # GC off: the ratio's denominator
    floor_gc_s: list[float] = field(default_factory=list)  # default GC settings
    floor_rss_mib: list[float] = field(default_factory=list)
    e2e_s: list[float] = field(default_factory=list)
    e2e_rss_mib: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        floor = statistics.median(self.floor_parse_s)
        floor_gc = statistics.median(self.floor_gc_s)
        e2e = statistics.median(self.e2e_s)
        return {"floor_parse_s": round(floor, 3), "floor_gc_s": round(floor_gc, 3),
                "floor_rss_mib": round(max(self.floor_rss_mib)), "e2e_s": round(e2e, 3),
                "e2e_rss_mib_max": round(max(self.e2e_rss_mib)), "e2e_rss_mib_min": round(min(self.e2e_rss_mib)),
                "ratio": round(e2e / floor, 2), "ratio_gc": round(e2e / floor_gc, 2),
                "resources_per_s": round(self.resources / e2e)}


def measure(cmd: list[str], timeout: float = TIMEOUT_S) -> Run:
    """Run ``cmd`` in a fresh process; its wall time and its own peak RSS (``os.wait4``).

    Output goes to temporary files rather than pipes, so a chatty child never blocks, and the
    child is reaped with ``wait4`` (``Popen.wait`` would discard its resource usage).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=ROOT)
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode != 0:
        tail = "\n".join(stderr.strip().splitlines()[-5:])
        raise SystemExit(f"command failed (exit {proc.returncode}, after {wall:.0f} s): {' '.join(cmd)}\n{tail}")
    return Run(wall, usage.ru_maxrss / 1024, stdout)  # ru_maxrss is in KiB on Linux


def sovscan_cmd(path: Path) -> list[str]:
    exe = Path(sys.executable).with_name("sovscan")
    return [str(exe), "run", "--inventory", str(path), "--format", "json", "--output", os.devnull]


def floor_cmd(fmt: str, path: Path, gc: str) -> list[str]:
    return [sys.executable, "-c", _FLOOR[fmt], str(path), gc]


def warm(path: Path) -> None:
    """Read the file once, so that every measurement starts from the page cache."""
    with path.open("rb") as fh:
        while fh.read(1 << 24):
            pass


def code_state() -> str:
    """The commit measured, with ``+changes`` when the code under test differs from it."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                  check=False).stdout.strip()
        except OSError:
            return ""
    commit = git("rev-parse", "--short", "HEAD")
    dirty = git("status", "--porcelain", "--", "scanner", "providers", "graphs")
    return f"{commit}+changes" if dirty else commit


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    import ijson

    return {
        "cpus": len(os.sched_getaffinity(0)), "cpu_model": cpu, "memory_gib": round(mem_kib / 2**20, 1),
        "os": platform.platform(), "python": platform.python_version(),
        "orjson": orjson.__version__, "ijson": f"{ijson.__version__} ({ijson.backend})",
        "code": code_state(), "date": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    }


def bench(fmt: str, n: int, repeat: int) -> Case:
    path = generate.ensure(fmt, n, log=lambda msg: print(f"  {msg}", flush=True))
    case = Case(fmt, n, path.name, round(path.stat().st_size / 2**20, 1))
    warm(path)
    for i in range(repeat):
        floor = measure(floor_cmd(fmt, path, "off"))
        case.floor_parse_s.append(float(floor.stdout.strip()))
        case.floor_rss_mib.append(floor.max_rss_mib)
        floor_gc = measure(floor_cmd(fmt, path, "on"))
        case.floor_gc_s.append(float(floor_gc.stdout.strip()))
        e2e = measure(sovscan_cmd(path))
        case.e2e_s.append(e2e.wall_s)
        case.e2e_rss_mib.append(e2e.max_rss_mib)
        print(f"  {fmt} {n:>9,} run {i + 1}/{repeat}: orjson {case.floor_parse_s[-1]:6.2f} s "
              f"(GC on {case.floor_gc_s[-1]:6.2f} s, {floor.max_rss_mib:5.0f} MiB), "
              f"sovscan {e2e.wall_s:6.2f} s ({e2e.max_rss_mib:5.0f} MiB)", flush=True)
    return case


def table(cases: list[Case]) -> str:
    head = ("format", "resources", "file MiB", "orjson s", "orjson GC-on s", "sovscan s", "ratio",
            "ratio GC-on", "res/s", "sovscan peak RSS MiB", "orjson peak RSS MiB")
    rows = [head]
    for c in cases:
        s = c.summary()
        rss = f"{s['e2e_rss_mib_max']:,}"
        if s["e2e_rss_mib_max"] - s["e2e_rss_mib_min"] > 0.05 * s["e2e_rss_mib_max"]:
            rss = f"{s['e2e_rss_mib_min']:,}–{rss}"  # runs disagree: show the range
        rows.append((c.format, f"{c.resources:,}", f"{c.file_mib:,.0f}", f"{s['floor_parse_s']:.2f}",
                     f"{s['floor_gc_s']:.2f}", f"{s['e2e_s']:.2f}", f"{s['ratio']:.1f}×", f"{s['ratio_gc']:.1f}×",
                     f"{s['resources_per_s']:,}", rss, f"{s['floor_rss_mib']:,}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(r, widths,
                                                                                                strict=True)))
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def verdicts(cases: list[Case]) -> list[str]:
    out = []
    for c in cases:
        if c.resources < 1_000_000:
            continue
        s = c.summary()
        ratio_ok = s["ratio"] <= TARGET_RATIO
        rss_ok = s["e2e_rss_mib_max"] < TARGET_RSS_GIB * 1024
        out.append(f"{c.format} {c.resources:,}: time {s['ratio']:.1f}× the orjson parse "
                   f"({'met' if ratio_ok else 'NOT met'}, target ≤ {TARGET_RATIO:.0f}×; {s['ratio_gc']:.1f}× "
                   f"orjson with the default GC); peak memory {s['e2e_rss_mib_max'] / 1024:.2f} GiB, worst run "
                   f"({'met' if rss_ok else 'NOT met'}, target < {TARGET_RSS_GIB:.0f} GiB)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in generate.SIZES),
                        help="comma-separated resource counts (default: %(default)s)")
    parser.add_argument("--formats", default=",".join(generate.FORMATS),
                        help="comma-separated formats among aws,gcp (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs per measurement (default: 3 below 1M resources, 2 from 1M)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="results JSON (default: %(default)s)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    formats = [f for f in args.formats.split(",") if f]
    unknown = set(formats) - set(generate.FORMATS)
    if unknown or not sizes or min(sizes) < 1:
        parser.error(f"formats are among {','.join(generate.FORMATS)}; sizes are positive integers")
    info = machine()
    print(f"machine: {info['cpus']} CPUs ({info['cpu_model']}), {info['memory_gib']} GiB, "
          f"Python {info['python']}, orjson {info['orjson']}, ijson {info['ijson']}; code {info['code']}",
          flush=True)
    started = time.perf_counter()
    cases: list[Case] = []
    for n in sorted(sizes):
        for fmt in formats:
            repeat = args.repeat or (3 if n < 1_000_000 else 2)
            cases.append(bench(fmt, n, repeat))
    if code_state() != info["code"]:
        print(f"warning: the code changed during the run ({info['code']} → {code_state()}); re-run",
              flush=True)
        info["code"] = f"{info['code']} → {code_state()} (changed during the run)"
    print()
    print(table(cases))
    for line in verdicts(cases):
        print(line)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(orjson.dumps({
        "machine": info, "generator_version": generate.GENERATOR_VERSION,
        "targets": {"ratio": TARGET_RATIO, "peak_rss_gib": TARGET_RSS_GIB},
        "elapsed_s": round(time.perf_counter() - started, 1),
        "cases": [{**asdict(c), "summary": c.summary()} for c in cases],
    }, option=orjson.OPT_INDENT_2))
    print(f"\nresults written to {args.output} (total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
