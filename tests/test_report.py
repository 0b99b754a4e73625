"""Renderers on hostile inventory values: Markdown stays a table, CSV cannot inject formulas."""

from __future__ import annotations

import csv
import io
import json

from scanner.config import Config
from scanner.inventory import Inventory
from scanner.model import Resource
from scanner.pipeline import assess
from scanner.report.csv_out import write_csv
from scanner.report.json_out import write_json
from scanner.report.markdown import md_code, md_escape, render_markdown

HOSTILE = "<script>alert(1)</script> | *bold* [link](http://x) `tick` =HYPERLINK(\"x\")"


def _result():  # type: ignore[no-untyped-def]
    inv = Inventory()
    inv.add_resource(Resource(id="arn:aws:s3:::evil|bucket", provider="aws", native_type="AWS::S3::Bucket",
                              name=HOSTILE, region="eu-west-3", tags={"DataClassification": "PHI"}))
    inv.add_resource(Resource(id="arn:aws:s3:::formula", provider="aws", native_type="AWS::S3::Bucket",
                              name="=1+2", region="eu-west-3"))
    return assess(inv, Config())


def test_markdown_escapes_inventory_values() -> None:
    assert md_escape("<b>|x_y") == "\\<b\\>\\|x\\_y"
    assert md_code("a|b`c") == "`a\\|b'c`"
    text = render_markdown(_result())
    assert "<script>" not in text and "\\<script\\>" in text
    rows = [line for line in text.splitlines() if "health-data-foreign-law" in line]
    assert rows
    for row in rows:  # every row keeps its five column separators: the pipe in the name is escaped
        assert row.replace("\\|", "").count("|") == 5, row


def test_csv_neutralises_formulas() -> None:
    out = io.StringIO()
    write_csv(_result(), out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    names = {row[5] for row in rows[1:-1]}
    assert "'=1+2" in names and HOSTILE in names


def test_json_round_trips_hostile_names() -> None:
    buf = io.BytesIO()
    write_json(_result(), buf)
    data = json.loads(buf.getvalue())
    assert {r["name"] for r in data["resources"]} == {HOSTILE, "=1+2"}
    assert any(f["rule"] == "health-data-foreign-law" and HOSTILE in f["message"] for f in data["findings"])


def test_streamed_resources_equal_the_contract_records() -> None:
    from pathlib import Path

    from scanner.pipeline import scan
    from scanner.report.records import ResourceEncoder, resource_record

    root = Path(__file__).resolve().parent.parent / "sample_inventories"
    result = scan([root], Config())
    encoder = ResourceEncoder(max_cached=3)  # small, so the cache is also cleared and refilled
    for a in result.assessed:
        assert json.loads(encoder.encode(a)) == json.loads(json.dumps(resource_record(a)))
