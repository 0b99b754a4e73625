"""The plan at scale, without timing anything: the JSON writer gives the bytes ``json.dump`` gave,
streams its units, and the wave ordering computes each unit's priority once."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
from pathlib import Path
from typing import Any, cast

import pytest

from scanner.config import Config
from scanner.pipeline import scan
from scanner.plan import planner, render
from scanner.plan.document import build_plan, plan_document
from scanner.plan.planner import Move, PlanOptions, Unit, plan_units
from scanner.result import Assessed, ScanResult

HOSPITAL = Path(__file__).parent.parent / "sample_inventories" / "hopital-grand-est"
OPTIONS = PlanOptions(("ovhcloud", "scaleway"), frozenset({"hds"}), 1000.0, dt.date(2026, 12, 1))


def _reference(value: Any) -> bytes:
    """What the plan's JSON writer used to write (json.dump, ensure_ascii=False, indent=1)."""
    return (json.dumps(value, ensure_ascii=False, indent=1) + "\n").encode("utf-8", "backslashreplace")


def _scan() -> ScanResult:
    return scan([HOSPITAL], Config(), as_of="2026-11-30", warn=lambda _m: None)


SCALARS: list[Any] = [0, -3, 2**40, 0.0, -0.0, 0.1, 100.0, 1e-05, -2.5e-07, 0.0001, 0.00012, 1e16, 1.5e300,
                      True, False, None, "", "é 中 😀", "a\x01\x1f\u2028\x7f\"\\\n\t", "x 0.00001", "1e-05,",
                      "  indented", "key\": 0.00001"]


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(4 if depth < 5 else 1)
    if kind == 0:
        magnitude = 10.0 ** rng.randrange(-12, 20)
        return rng.choice([*SCALARS, rng.uniform(-1, 1) * magnitude, round(rng.uniform(0, 1e4), rng.randrange(4))])
    if kind == 1:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["a", "b", "units", " k", "é"]) + str(n): _random_value(rng, depth + 1)
            for n in range(rng.randrange(4))}


def test_dumps_gives_the_bytes_of_json_dumps() -> None:
    rng = random.Random(14)
    values = [*SCALARS, [], {}, [[]], {"a": {}}, {"units": [], "b": [1, [2, {"c": 1e-05}]]}]
    values += [_random_value(rng) for _ in range(2000)]
    for value in values:
        assert render.dumps(value) + b"\n" == _reference(value), value
        # nested one level deeper, as the unit batches are
        shifted = render.dumps([value], shift=1)
        assert shifted == json.dumps([value], ensure_ascii=False, indent=1).replace(
            "\n ", "\n  ").encode(), value


def test_dumps_falls_back_to_the_standard_library_on_a_lone_surrogate() -> None:
    value = {"name": "bad \udcff", "n": [1e-05]}
    assert render.dumps(value) + b"\n" == _reference(value)


@pytest.mark.parametrize("batch", [1, 2, 7, 10_000])
def test_write_json_streams_the_units_and_writes_what_json_dump_wrote(monkeypatch: pytest.MonkeyPatch,
                                                                       batch: int) -> None:
    plan = build_plan(_scan(), OPTIONS, Config())
    full = plan_document(plan)
    monkeypatch.setattr(render, "JSON_BATCH", batch)
    out = io.BytesIO()
    lazy = plan_document(plan, lazy_units=True)
    assert not isinstance(lazy["units"], list)  # an iterator: the records are made as they are written
    render.write_json(lazy, out)
    assert out.getvalue() == _reference(full)
    assert len(full["units"]) > 7
    empty = {**full, "units": []}
    out = io.BytesIO()
    render.write_json({**empty, "units": iter(())}, out)
    assert out.getvalue() == _reference(empty)


def test_priorities_are_computed_once_per_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A quadratic ordering (a priority recomputed at every comparison) would call it far more often."""
    calls: list[int] = []
    original = planner._priority

    def counted(u: Unit) -> tuple[float, float, str]:
        calls.append(1)
        return original(u)

    monkeypatch.setattr(planner, "_priority", counted)
    planned = plan_units(_scan(), OPTIONS)
    assert len(planned.units) > 10 and planned.waves
    assert len(calls) == len(planned.units)


def _unit(rid: str, band: int, exposure: float, movable: bool = True) -> Unit:
    a = cast(Assessed, type("A", (), {"res": type("R", (), {"id": rid})(), "effort": 1})())
    move = Move(a, cast(Any, object()) if movable else None, None, None, None, None, ())
    return Unit("", [move], band=band, exposure_max=exposure)


def test_waves_follow_bands_dependencies_and_priority() -> None:
    units = [
        _unit("a", band=3, exposure=90.0),  # 0
        _unit("b", band=1, exposure=50.0),  # 1: depends on 2, which is pulled into its wave
        _unit("c", band=4, exposure=0.0),   # 2
        _unit("d", band=1, exposure=80.0),  # 3: most urgent of wave 1, ready at once
        _unit("e", band=4, exposure=10.0),  # 4 } a cycle: one component, members by priority
        _unit("f", band=4, exposure=20.0),  # 5 }
        _unit("g", band=4, exposure=99.0, movable=False),  # 6: in no wave
        _unit("h", band=4, exposure=5.0),   # 7
    ]
    import networkx as nx

    order: nx.DiGraph[int] = nx.DiGraph()
    order.add_nodes_from(range(len(units)))
    order.add_edges_from([(2, 1), (4, 5), (5, 4), (6, 7), (7, 0)])
    priority = [planner._priority(u) for u in units]
    ordered, waves = planner._waves(units, order, priority)
    assert waves == [[3, 2, 1], [7, 0], [5, 4]]
    assert ordered == [3, 2, 1, 7, 0, 5, 4]
    assert [u.wave for u in units] == [2, 1, 1, 1, 3, 3, None, 2]
