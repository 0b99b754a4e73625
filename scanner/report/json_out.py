"""JSON renderer: streams ``resources[]`` and ``findings[]`` one record at a time, so a million
resources never sit in memory as one document."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

import orjson

from scanner.applications import application_records
from scanner.report.records import ResourceEncoder, finding_record, flow_records, header
from scanner.result import ScanResult

_OPTS = orjson.OPT_NON_STR_KEYS


def _array(out: IO[bytes], items: Iterable[bytes]) -> None:
    out.write(b"[")
    first = True
    for chunk in items:
        if not first:
            out.write(b",")
        first = False
        out.write(chunk)
    out.write(b"]")


def write_json(result: ScanResult, out: IO[bytes]) -> None:
    head = orjson.dumps(header(result), option=_OPTS)
    out.write(head[:-1] + b',"resources":')
    encoder = ResourceEncoder()
    of = result.applications.of if result.applications is not None else {}
    _array(out, (encoder.encode(a, of.get(a.res.id)) for a in result.assessed))
    out.write(b',"applications":' + orjson.dumps(application_records(result), option=_OPTS))
    out.write(b',"flows":' + orjson.dumps(flow_records(result), option=_OPTS))
    out.write(b',"findings":')
    _array(out, (orjson.dumps(finding_record(f), option=_OPTS) for f in result.findings))
    tail: dict[str, Any] = {"coverage": result.coverage, "summary": result.summary}
    out.write(b"," + orjson.dumps(tail, option=_OPTS)[1:])
    out.write(b"\n")
