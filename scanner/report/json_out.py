"""JSON renderer: streams ``resources[]`` one record at a time so a million resources never sit in
memory as one document."""

from __future__ import annotations

from typing import IO

import orjson

from scanner.pipeline import ScanResult
from scanner.report.records import finding_records, flow_records, header, resource_record

_OPTS = orjson.OPT_NON_STR_KEYS


def write_json(result: ScanResult, out: IO[bytes]) -> None:
    head = orjson.dumps(header(result), option=_OPTS)
    out.write(head[:-1] + b',"resources":[')
    first = True
    for a in result.assessed:
        if not first:
            out.write(b",")
        first = False
        out.write(orjson.dumps(resource_record(a), option=_OPTS))
    tail = {"flows": flow_records(result), "findings": finding_records(result),
            "coverage": result.coverage, "summary": result.summary}
    out.write(b"]," + orjson.dumps(tail, option=_OPTS)[1:])
    out.write(b"\n")
