"""The sovscan benchmark (``make bench``): every command's time and peak memory against the orjson floor.

For each format (AWS Config snapshot, GCP Cloud Asset export, Terraform state, Azure Resource
Graph) and size (10k, 100k, 1M resources) it generates, or re-uses, a synthetic inventory
(``generate.py``) and measures, each in a fresh process, alternating the measurements of one
repetition:

- **floor**: reading the file and parsing it with ``orjson.loads`` (the whole document; each line
  for the NDJSON export), timed inside the child around the read and parse only (interpreter
  start-up excluded), once with Python's cyclic garbage collector disabled and once with the
  default settings. The floor is the **best** of at least three such runs: the fastest a plain
  parse of the file has been seen to go on this machine, so noise can only make sovscan look worse;
- **sovscan**: ``run`` (JSON result to ``/dev/null``) at every size; ``plan --target
  ovhcloud,scaleway``, ``explain`` of one storage resource (which reads and scores the whole
  inventory, as a user asking about one bucket does) and ``report --format html`` on a
  one-snapshot history (made beforehand with ``run --save`` into a temporary database) at 10k and
  100k; ``plan`` at 1M with ``--plan-1m``. Wall time of the whole process (start-up, imports,
  knowledge base, reading, scoring, writing) and its peak resident memory: ``ru_maxrss`` of the
  reaped child from ``os.wait4``, the figure ``/usr/bin/time -v`` prints as "Maximum resident set
  size".

The table gives, per format × size × command, the median wall time with the spread (min–max) of
the runs, the ratio of ``run`` to the floor (GC off, and GC on), the ratio of ``plan``, ``explain``
and ``report`` to ``run`` on the same input, and the worst peak RSS. Before timing a file it is
read once so that every measurement finds it in the page cache. Results go to the terminal and to
``benchmarks/data/results.json`` (every run's figures).

Usage: ``python benchmarks/run.py [--quick] [--sizes 10000,100000] [--formats aws,gcp,terraform,azure]
[--repeat N] [--commands run,plan,explain,report] [--plan-1m]``.
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
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import generate  # the sibling script: ``python benchmarks/run.py`` puts benchmarks/ on sys.path
import orjson

ROOT = Path(__file__).resolve().parent.parent
RESULTS = generate.DATA_DIR / "results.json"
#: The project's targets for ``run`` at 1M resources (docs/performance.md), and the step of issue 14.
TARGET_RATIO = 5.0
STEP_RATIO = 8.0
TARGET_RSS_GIB = 2.5
TIMEOUT_S = 3600
FLOOR_RUNS = 3  # the floor is the best of at least this many parses (per GC setting)
COMMANDS = ("run", "plan", "explain", "report")
PLAN_TARGETS = "ovhcloud,scaleway"
#: The quarter and date of the one-snapshot history ``report`` reads.
AS_OF, QUARTER, ORG = "2026-11-30", "2026-Q4", "Benchmark"

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
_FLOOR = {"aws": _FLOOR_WHOLE, "gcp": _FLOOR_LINES, "terraform": _FLOOR_WHOLE, "azure": _FLOOR_WHOLE}


@dataclass
class Run:
    """One child process: wall time, peak RSS (MiB), and what it printed on stdout."""

    wall_s: float
    max_rss_mib: float
    stdout: str


@dataclass
class Series:
    """The runs of one command on one input."""

    wall_s: list[float] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)

    def add(self, run: Run, wall: float | None = None) -> None:
        self.wall_s.append(round(run.wall_s if wall is None else wall, 3))
        self.rss_mib.append(round(run.max_rss_mib, 1))

    def median(self) -> float:
        return statistics.median(self.wall_s)


@dataclass
class Case:
    """All measurements of one format × size."""

    format: str
    resources: int
    file: str
    file_mib: float
    floor: Series = field(default_factory=Series)  # GC off: the ratio's denominator (its best run)
    floor_gc: Series = field(default_factory=Series)  # default GC settings
    commands: dict[str, Series] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        best, best_gc = min(self.floor.wall_s), min(self.floor_gc.wall_s)
        out: dict[str, Any] = {"floor_best_s": best, "floor_gc_best_s": best_gc,
                               "floor_rss_mib": round(max(self.floor.rss_mib + self.floor_gc.rss_mib))}
        run = self.commands.get("run")
        for name, series in self.commands.items():
            med = series.median()
            entry: dict[str, Any] = {"median_s": round(med, 3), "min_s": min(series.wall_s),
                                     "max_s": max(series.wall_s), "peak_rss_mib": round(max(series.rss_mib)),
                                     "ratio_floor": round(med / best, 2), "ratio_floor_gc": round(med / best_gc, 2)}
            if name != "run" and run is not None:
                entry["ratio_run"] = round(med / run.median(), 2)
            if name == "run":
                entry["resources_per_s"] = round(self.resources / med)
            out[name] = entry
        return out


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


def sovscan() -> str:
    return str(Path(sys.executable).with_name("sovscan"))


def command(name: str, path: Path, work: Path, fmt: str, n: int) -> list[str]:
    """The command line of one measured sovscan command on ``path``."""
    inv = ["--inventory", str(path)]
    if name == "run":
        return [sovscan(), "run", *inv, "--format", "json", "--output", os.devnull]
    if name == "plan":
        return [sovscan(), "plan", *inv, "--target", PLAN_TARGETS, "--format", "json", "--output",
                str(work / "plan.json")]
    if name == "explain":
        return [sovscan(), "explain", generate.sample_id(fmt, n), *inv]
    if name == "report":
        return [sovscan(), "report", "--db", str(work / "history.sqlite3"), "--quarter", QUARTER, "--org", ORG,
                "--format", "html", "--output", str(work / "report.html")]
    raise ValueError(name)


def save_history(path: Path, work: Path) -> None:
    """The one-snapshot history ``report`` reads (not timed)."""
    measure([sovscan(), "run", "--inventory", str(path), "--format", "json", "--output", os.devnull, "--save",
             "--db", str(work / "history.sqlite3"), "--as-of", AS_OF, "--org", ORG])


def floor_cmd(fmt: str, path: Path, gc: str) -> list[str]:
    return [sys.executable, "-c", _FLOOR[fmt], str(path), gc]


def warm(path: Path) -> None:
    """Read the file once, so that every measurement starts from the page cache."""
    with path.open("rb") as fh:
        while fh.read(1 << 24):
            pass


def code_state() -> str:
    """The commit of the code measured, with ``+changes`` when the working tree differs from it."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                  check=False).stdout.strip()
        except OSError:
            return ""
    # The last commit that changed the code under test: a commit of documentation during a long
    # run does not change what was measured.
    commit = git("log", "-1", "--format=%h", "--", "scanner", "providers", "graphs")
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
        "load_average_start": os.getloadavg()[0],
    }


def commands_for(n: int, wanted: tuple[str, ...], plan_1m: bool) -> tuple[str, ...]:
    """``run`` at every size; the other commands below 1M (``plan`` at 1M when asked)."""
    if n < 1_000_000:
        return wanted
    return tuple(c for c in wanted if c == "run" or (c == "plan" and plan_1m))


def bench(fmt: str, n: int, repeat: int, cmds: tuple[str, ...]) -> Case:
    path = generate.ensure(fmt, n, log=lambda msg: print(f"  {msg}", flush=True))
    case = Case(fmt, n, path.name, round(path.stat().st_size / 2**20, 1))
    warm(path)
    with tempfile.TemporaryDirectory(prefix="sovscan-bench-") as tmp:
        work = Path(tmp)
        if "report" in cmds:
            save_history(path, work)
        for i in range(max(repeat, FLOOR_RUNS)):
            parts: list[str] = []
            if i < FLOOR_RUNS or i < repeat:
                for series, gc in ((case.floor, "off"), (case.floor_gc, "on")):
                    floor = measure(floor_cmd(fmt, path, gc))
                    series.add(floor, float(floor.stdout.strip()))
                parts.append(f"orjson {case.floor.wall_s[-1]:.2f} s (GC on {case.floor_gc.wall_s[-1]:.2f} s, "
                             f"{floor.max_rss_mib:.0f} MiB)")
            if i < repeat:
                for name in cmds:
                    run = measure(command(name, path, work, fmt, n))
                    case.commands.setdefault(name, Series()).add(run)
                    parts.append(f"{name} {run.wall_s:.2f} s ({run.max_rss_mib:.0f} MiB)")
            print(f"  {fmt} {n:>9,} round {i + 1}: " + ", ".join(parts), flush=True)
    return case


def _spread(entry: dict[str, Any]) -> str:
    return f"{entry['min_s']:.2f}–{entry['max_s']:.2f}"


def _rss(mib: float) -> str:
    return f"{mib / 1024:.2f} GiB" if mib >= 1024 else f"{mib:,.0f} MiB"


def rows(cases: list[Case]) -> Iterator[tuple[str, ...]]:
    for c in cases:
        s = c.summary()
        floor = f"{s['floor_best_s']:.2f} / {s['floor_gc_best_s']:.2f}"
        for name in c.commands:
            e = s[name]
            if name == "run":
                ratio = f"{e['ratio_floor']:.1f}× / {e['ratio_floor_gc']:.1f}× floor"
            else:
                ratio = f"{e['ratio_run']:.2f}× run"
            yield (c.format, f"{c.resources:,}", f"{c.file_mib:,.0f}", floor, _rss(s["floor_rss_mib"]), name,
                   f"{e['median_s']:.2f}", _spread(e), ratio, _rss(e["peak_rss_mib"]))


def table(cases: list[Case]) -> str:
    head = ("format", "resources", "file MiB", "orjson best s (GC off / on)", "orjson RSS", "command",
            "median s", "min–max s", "ratio", "peak RSS")
    table_rows = [head, *rows(cases)]
    widths = [max(len(r[i]) for r in table_rows) for i in range(len(head))]
    lines = ["  ".join(cell.rjust(w) if i not in (0, 5) else cell.ljust(w)
                       for i, (cell, w) in enumerate(zip(r, widths, strict=True))) for r in table_rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def verdicts(cases: list[Case]) -> list[str]:
    out = []
    for c in cases:
        if c.resources < 1_000_000 or "run" not in c.commands:
            continue
        e = c.summary()["run"]
        rss_ok = e["peak_rss_mib"] < TARGET_RSS_GIB * 1024
        time_ok = "met" if e["ratio_floor"] <= TARGET_RATIO else (
            f"NOT met; step of {STEP_RATIO:.0f}× {'met' if e['ratio_floor'] <= STEP_RATIO else 'NOT met'}")
        out.append(f"{c.format} {c.resources:,}: run {e['ratio_floor']:.1f}× the best orjson parse "
                   f"(target ≤ {TARGET_RATIO:.0f}×: {time_ok}; {e['ratio_floor_gc']:.1f}× with the default GC); "
                   f"peak memory {_rss(e['peak_rss_mib'])}, worst run "
                   f"({'met' if rss_ok else 'NOT met'}, target < {TARGET_RSS_GIB} GiB)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in generate.SIZES),
                        help="comma-separated resource counts (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="10k resources only (about two minutes)")
    parser.add_argument("--formats", default=",".join(generate.FORMATS),
                        help="comma-separated formats (default: %(default)s)")
    parser.add_argument("--commands", default=",".join(COMMANDS),
                        help="comma-separated sovscan commands (default: %(default)s; only run at 1M)")
    parser.add_argument("--plan-1m", action="store_true", help="also time plan at 1M resources")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs per command (default: 3 below 1M resources, 2 from 1M); the floor "
                             f"is always the best of at least {FLOOR_RUNS}")
    parser.add_argument("--output", type=Path, default=RESULTS, help="results JSON (default: %(default)s)")
    args = parser.parse_args()
    try:
        sizes = [10_000] if args.quick else [int(s) for s in args.sizes.split(",") if s]
    except ValueError:
        parser.error("sizes are positive integers")
    formats = [f for f in args.formats.split(",") if f]
    wanted = tuple(c for c in COMMANDS if c in args.commands.split(","))
    unknown = (set(formats) - set(generate.FORMATS)) | (set(args.commands.split(",")) - set(COMMANDS))
    if unknown or not sizes or min(sizes) < 1 or not wanted or (args.repeat is not None and args.repeat < 1):
        parser.error(f"formats are among {','.join(generate.FORMATS)}, commands among {','.join(COMMANDS)}; "
                     "sizes and --repeat are positive integers")
    info = machine()
    print(f"machine: {info['cpus']} CPUs ({info['cpu_model']}), {info['memory_gib']} GiB, "
          f"Python {info['python']}, orjson {info['orjson']}, ijson {info['ijson']}; code {info['code']}; "
          f"load average {info['load_average_start']:.2f}", flush=True)
    started = time.perf_counter()
    cases: list[Case] = []
    for n in sorted(sizes):
        for fmt in formats:
            repeat = args.repeat or (3 if n < 1_000_000 else 2)
            cases.append(bench(fmt, n, repeat, commands_for(n, wanted, args.plan_1m)))
    if code_state() != info["code"]:
        print(f"warning: the code changed during the run ({info['code']} → {code_state()}); re-run",
              flush=True)
        info["code"] = f"{info['code']} → {code_state()} (changed during the run)"
    info["load_average_end"] = os.getloadavg()[0]
    print()
    print(table(cases))
    print("ratio: run against the best orjson parse of the file (GC off / on); plan, explain and report against "
          "run on the same input. Peak RSS: ru_maxrss of the process (/usr/bin/time -v \"Maximum resident set "
          "size\"), worst run.")
    for line in verdicts(cases):
        print(line)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(orjson.dumps({
        "machine": info, "generator_version": generate.GENERATOR_VERSION,
        "targets": {"ratio": TARGET_RATIO, "step_ratio": STEP_RATIO, "peak_rss_gib": TARGET_RSS_GIB},
        "method": {"floor": f"best of {FLOOR_RUNS}+ fresh processes, GC off and on", "plan_targets": PLAN_TARGETS,
                   "report": f"html, one-snapshot history ({QUARTER})", "peak_rss": "os.wait4 ru_maxrss"},
        "elapsed_s": round(time.perf_counter() - started, 1),
        "cases": [{**asdict(c), "summary": c.summary()} for c in cases],
    }, option=orjson.OPT_INDENT_2))
    print(f"\nresults written to {args.output} (total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
