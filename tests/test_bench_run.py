"""The benchmark's arithmetic: the floor is the best parse, ratios and spreads come from the right runs."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import run as bench


def _series(*pairs: tuple[float, float]) -> bench.Series:
    series = bench.Series()
    for wall, rss in pairs:
        series.add(bench.Run(wall, rss, ""))
    return series


def test_floor_is_the_best_parse_and_commands_are_ratios_of_medians() -> None:
    case = bench.Case("azure", 10_000, "f.json", 14.0)
    case.floor = _series((2.0, 100), (1.0, 120), (4.0, 90))
    case.floor_gc = _series((3.0, 100), (2.5, 100), (5.0, 100))
    case.commands["run"] = _series((10.0, 300), (12.0, 310), (30.0, 305))
    case.commands["plan"] = _series((20.0, 400), (24.0, 420), (25.0, 410))
    s = case.summary()
    assert (s["floor_best_s"], s["floor_gc_best_s"], s["floor_rss_mib"]) == (1.0, 2.5, 120)
    assert s["run"]["median_s"] == 12.0 and (s["run"]["min_s"], s["run"]["max_s"]) == (10.0, 30.0)
    assert s["run"]["ratio_floor"] == 12.0 and s["run"]["ratio_floor_gc"] == 4.8
    assert s["run"]["peak_rss_mib"] == 310 and s["run"]["resources_per_s"] == 833
    assert s["plan"]["ratio_run"] == 2.0 and "ratio_run" not in s["run"]
    table = bench.table([case])
    assert "12.0× / 4.8× floor" in table and "2.00× run" in table and "10.00–30.00" in table


def test_only_run_at_a_million_unless_plan_is_asked() -> None:
    assert bench.commands_for(100_000, bench.COMMANDS, False) == bench.COMMANDS
    assert bench.commands_for(1_000_000, bench.COMMANDS, False) == ("run",)
    assert bench.commands_for(1_000_000, bench.COMMANDS, True) == ("run", "plan")


def test_verdicts_against_the_targets() -> None:
    case = bench.Case("gcp", 1_000_000, "f.ndjson", 869.0)
    case.floor = _series((2.0, 40))
    case.floor_gc = _series((2.0, 40))
    case.commands["run"] = _series((14.0, 2000), (15.0, 2700))
    (line,) = bench.verdicts([case])
    assert "7.2× the best orjson parse" in line and "NOT met; step of 8× met" in line
    assert "2.64 GiB" in line and "NOT met, target < 2.5 GiB" in line
