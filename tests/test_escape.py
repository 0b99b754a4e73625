"""One escaping layer per output kind: terminal, standard error, explain, Markdown (run and plan), every CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.plan.exit import DORA_COLUMNS, write_dora_csv
from scanner.report.escape import csv_cell, md_code, md_text, one_line, rich_text, visible

runner = CliRunner()

OSC_TITLE = "\x1b]0;owned\x07"  # sets the terminal's window title
OSC_LINK = "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\"  # a hyperlink
CLEAR = "\x1b[2J"  # clears the screen
CSI_8BIT = "\x9b31m"  # the one-byte form of ESC [
RLO = "\u202e"  # right-to-left override ("Trojan Source")
#: Any of these in an output means a terminal or a viewer may act on inventory text.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_visible_shows_controls_bidi_and_surrogates_as_escapes() -> None:
    assert visible(f"a{OSC_TITLE}b") == "a\\x1b]0;owned\\x07b"
    assert visible(CSI_8BIT + RLO + "\u2066x\u2069") == "\\x9b31m\\u202e\\u2066x\\u2069"
    assert visible("line\r\nnext\ttab\x00") == "line\\x0d\\x0anext\\x09tab\\x00"
    assert visible("\ud800") == "\\ud800"
    assert visible("Zürich – 東京 ✓") == "Zürich – 東京 ✓"
    assert one_line("two\nlines\x1b[2J  and\tspaces") == "two lines\\x1b[2J and spaces"
    assert rich_text("[link=http://x]y[/link]\x1b") == "\\[link=http://x]y\\[/link]\\x1b"


def test_markdown_text_and_code_stay_on_one_line_and_literal() -> None:
    assert md_text("a\rb\nc") == "a b c"
    assert md_text("<img src=x onerror=alert(1)>") == "\\<img src=x onerror=alert(1)\\>"
    assert md_text("# heading") == "\\# heading" and md_text("![i](http://x)") == "\\!\\[i\\](http://x)"
    assert md_text("&#x202e; $x$ ~~s~~ | `c`") == "\\&\\#x202e; \\$x\\$ \\~\\~s\\~\\~ \\| \\`c\\`"
    assert md_code("id\rwith|pipe`tick") == "`id with\\|pipe'tick`"
    assert md_code(f"a{CLEAR}") == "`a\\x1b[2J`"


@pytest.mark.parametrize(("value", "cell"), [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
    ("\t=1", "\\x09=1"), ("\r=1", "\\x0d=1"), ("  =1", "'  =1"), ("\uff1d1+1", "'\uff1d1+1"),
    ("id\rnext", "id\\x0dnext"), (f"x{RLO}", "x\\u202e"),
    ("plain", "plain"), (-3.5, -3.5), (0, 0), (None, ""),
])
def test_csv_cells_are_neutralised(value: object, cell: object) -> None:
    assert csv_cell(value) == cell


HOSTILE_NAMES = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3",
                 f"title{OSC_TITLE}", f"link{OSC_LINK}", f"clear{CLEAR}", f"csi{CSI_8BIT}", f"bidi{RLO}txt.exe",
                 "<script>alert(1)</script>", "`tick` <img src=x onerror=alert(1)>", "# heading"]


def _hostile_export(folder: Path) -> Path:
    """An ``az resource list`` whose names, ids, types and regions carry every kind of injection."""
    rows: list[dict[str, Any]] = []
    for n, name in enumerate(HOSTILE_NAMES):
        rows.append({"id": f"/subscriptions/c3d4e5f6-3333-4e4f-8b22-0000000000c3/resourceGroups/rg/providers/"
                           f"Microsoft.Storage/storageAccounts/st{n}\rinjected{CLEAR}",
                     "name": name, "type": "Microsoft.Storage/storageAccounts", "location": "westeurope",
                     "resourceGroup": "rg", "kind": "StorageV2", "properties": None,
                     "tags": {"data-class": "health", "note": f"x{OSC_TITLE}"}})
    rows.append({"id": "/subscriptions/c3d4e5f6-3333-4e4f-8b22-0000000000c3/resourceGroups/rg/providers/"
                       "Microsoft.Evil/things/t1", "name": "t1", "type": f"Microsoft.Evil/things{CLEAR}",
                 "location": f"westeurope{RLO}", "resourceGroup": "rg", "properties": None, "tags": {}})
    path = folder / "az-resource-list.json"
    path.write_text(json.dumps(rows))
    return path


def test_terminal_table_and_explain_act_on_no_control_sequence(tmp_path: Path) -> None:
    export = _hostile_export(tmp_path)
    r = runner.invoke(app, ["run", "-i", str(export), "--format", "table"])
    assert r.exit_code == 0, r.stderr
    assert not UNSAFE.search(r.stdout), repr(UNSAFE.search(r.stdout))
    assert "\\x1b[2J" in r.stdout  # shown, not acted on
    result = json.loads(runner.invoke(app, ["run", "-i", str(export), "--format", "json"]).stdout)
    some_id = next(r["id"] for r in result["resources"] if "injected" in r["id"])
    r = runner.invoke(app, ["explain", some_id, "-i", str(export)])
    assert r.exit_code == 0, r.stderr
    assert not UNSAFE.search(r.stdout) and "\\x0dinjected\\x1b[2j" in r.stdout.lower()


def test_standard_error_acts_on_no_control_sequence_from_file_names(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    _hostile_export(folder)
    (folder / f"evil{OSC_TITLE}{RLO}.json").write_text('{"broken": ')
    r = runner.invoke(app, ["run", "-i", str(folder), "--format", "json", "-o", str(tmp_path / "r.json")])
    assert r.exit_code == 0 and "warning: skipped" in r.stderr
    assert not UNSAFE.search(r.stderr.replace("\n", "")), r.stderr
    r = runner.invoke(app, ["run", "-i", str(folder / f"evil{OSC_TITLE}{RLO}.json"), "--format", "json"])
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    assert not UNSAFE.search(r.stderr.rstrip("\n")) and "evil\\x1b]0;owned\\x07\\u202e.json" in r.stderr


def _tables(text: str) -> list[list[str]]:
    """The Markdown tables of a document, as lists of lines (header first)."""
    tables: list[list[str]] = []
    previous = ""
    for line in text.splitlines():
        if line.startswith("|"):
            if not previous.startswith("|"):
                tables.append([])
            tables[-1].append(line)
        previous = line
    return tables


def _cells(row: str) -> int:
    return row.replace("\\|", "").count("|") - 1


RAW_HTML = re.compile(r"(?<!\\)<(?:img|script)")


def test_run_markdown_keeps_rows_and_renders_nothing(tmp_path: Path) -> None:
    # A CR inside an id ended the table row; raw <img> and headings then rendered.
    export = _hostile_export(tmp_path)
    md = runner.invoke(app, ["run", "-i", str(export), "--format", "md"]).stdout
    assert not UNSAFE.search(md.replace("\n", ""))
    assert not RAW_HTML.search(md) and "\n# heading" not in md and "\\<img" in md
    tables = _tables(md)
    assert len(tables) >= 5
    for table in tables:
        assert {_cells(row) for row in table} == {_cells(table[0])}, table
    findings = next(t for t in tables if t[0].startswith("| Severity"))
    health = [row for row in findings if "| health-data-foreign-law |" in row]
    assert len(health) == len(HOSTILE_NAMES)  # one row per hostile resource, none split
    assert "`microsoft.evil/things\\x1b[2j`" in md and "`azure:westeurope\\u202e`" in md


def test_plan_outputs_escape_markdown_and_neutralise_csv(tmp_path: Path) -> None:
    # plan --format csv wrote =HYPERLINK(…), +cmd|…, @SUM…, -2+3… raw; plan Markdown showed <script>.
    export = _hostile_export(tmp_path)
    out = runner.invoke(app, ["plan", "-i", str(export), "--target", "scaleway", "--format", "csv"])
    assert out.exit_code == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    names = {row["name"] for row in rows}
    for hostile in HOSTILE_NAMES[:4]:
        assert "'" + hostile in names, (hostile, names)
    for row in rows:
        for value in row.values():
            assert value[:1] not in ("=", "+", "-", "@") or (value[:1] == "-" and _number(value)), value
    md = runner.invoke(app, ["plan", "-i", str(export), "--target", "scaleway", "--format", "md"]).stdout
    assert not RAW_HTML.search(md) and not UNSAFE.search(md.replace("\n", ""))
    for table in _tables(md):
        assert {_cells(row) for row in table} == {_cells(table[0])}, table
    unit_rows = [line for line in md.splitlines() if line.startswith("| `/subscriptions")]
    assert len(unit_rows) == len(HOSTILE_NAMES) + 1  # and the resource of an unknown type
    table = runner.invoke(app, ["plan", "-i", str(export), "--target", "scaleway", "--format", "table"]).stdout
    assert not UNSAFE.search(table)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_dora_csv_cells_are_neutralised() -> None:
    row = dict.fromkeys(DORA_COLUMNS, "")
    row[DORA_COLUMNS[2]] = "=cmd|' /C calc'!A0"
    row[DORA_COLUMNS[15]] = "@aws"
    out = io.StringIO()
    write_dora_csv([row], out)
    (written,) = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert written[DORA_COLUMNS[2]] == "'=cmd|' /C calc'!A0" and written[DORA_COLUMNS[15]] == "'@aws"
