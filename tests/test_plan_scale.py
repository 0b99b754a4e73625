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


def _strip(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "generated_at"}


def test_releasing_the_results_changes_nothing_in_the_plan() -> None:
    """build_plan(release=True) empties both results' graphs and findings, which no plan output reads."""
    kept = build_plan(_scan(), OPTIONS, Config())
    released = build_plan(_scan(), OPTIONS, Config(), release=True)
    assert released.before.graph is None and released.after.graph is None
    assert released.before.findings == [] and kept.before.findings
    assert _strip(plan_document(released)) == _strip(plan_document(kept))


def test_units_are_the_connected_components_of_the_ties() -> None:
    """Resources tied by a copy flow, a key or containment share a unit, listed in inventory order."""
    import networkx as nx

    result = _scan()
    planned = plan_units(result, OPTIONS)
    ids = {m.a.res.id for m in planned.moving}
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(ids)
    graph.add_edges_from((f.source, f.target) for f in result.flows
                         if f.kind.moves_together and f.source in ids and f.target in ids)
    for m in planned.moving:
        key = m.a.res.key
        if key is not None and key.key_id in ids:
            graph.add_edge(m.a.res.id, key.key_id)
        graph.add_edges_from((m.a.res.id, parent) for parent in planner._containers(m.a.res.id, ids))
    want = {frozenset(c) for c in nx.connected_components(graph)}
    assert {frozenset(m.a.res.id for m in u.moves) for u in planned.units} == want
    assert any(len(u.moves) > 1 for u in planned.units)
    position = {m.a.res.id: n for n, m in enumerate(planned.moving)}
    for u in planned.units:
        assert [position[m.a.res.id] for m in u.moves] == sorted(position[m.a.res.id] for m in u.moves)


def _cli(tmp_path: Path, fmt: str) -> str:
    from typer.testing import CliRunner

    from scanner.cli import app

    out = tmp_path / f"plan.{fmt}"
    res = CliRunner().invoke(app, ["plan", "-i", str(HOSPITAL), "--target", "ovhcloud,scaleway", "--require", "hds",
                                   "--exit-date", "2026-12-01", "--as-of", "2026-11-30", "-f", fmt, "-o", str(out)])
    assert res.exit_code == 0, res.output
    return out.read_bytes().decode("utf-8")


def test_streamed_csv_and_markdown_are_what_the_whole_document_renders(tmp_path: Path) -> None:
    """The command streams the CSV and Markdown plans from lazy unit records: same text as rendering
    the document with every record held."""
    doc = plan_document(build_plan(_scan(), OPTIONS, Config()))
    csv_text = io.StringIO()
    render.write_csv(doc, csv_text)
    assert _cli(tmp_path, "csv") == csv_text.getvalue()
    md = render.render_markdown(doc)
    assert _cli(tmp_path, "md") == md
    assert "### U01 (wave 1)" in md and md.endswith("\n") and not md.endswith("\n\n")
    lazy = plan_document(build_plan(_scan(), OPTIONS, Config()), lazy_units=True)
    streamed = io.StringIO()
    render.write_markdown(lazy, streamed)
    assert streamed.getvalue() == md


def test_json_batches_are_bounded_by_resources_not_units() -> None:
    """A batch of units counted as units could hold most of an estate whose units are large."""
    units = [{"id": f"U{n}", "resources": [{}] * size} for n, size in enumerate([1, 1500, 600, 3, 0, 2500, 1])]
    batches = list(render._batches(units, 2000, render._resources))
    assert [[u["id"] for u in b] for b in batches] == [["U0", "U1", "U2"], ["U3", "U4", "U5"], ["U6"]]
    assert [u for b in batches for u in b] == units
    assert list(render._batches(range(5), 2)) == [[0, 1], [2, 3], [4]]
