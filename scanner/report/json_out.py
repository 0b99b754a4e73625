"""JSON renderer: streams ``resources[]`` and ``findings[]`` one record at a time, so a million
resources never sit in memory as one document."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

import orjson

from scanner.applications import application_records
from scanner.report.records import FindingMessages, ResourceEncoder, flow_records, header
from scanner.result import Finding, ScanResult

_OPTS = orjson.OPT_NON_STR_KEYS


#: Findings encoded at a time (one ``orjson.dumps`` call for a list of them), and resources joined
#: at a time before they are written.
_BATCH = 256


def _array(out: IO[bytes], items: Iterable[bytes]) -> None:
    # Each chunk is written as it comes: joining large records first costs more memory than the
    # calls it saves (the allocator keeps the joined blocks' space).
    out.write(b"[")
    first = True
    for chunk in items:
        if not first:
            out.write(b",")
        first = False
        out.write(chunk)
    out.write(b"]")


def _finding_batches(findings: Sequence[Finding]) -> Iterator[bytes]:
    """``findings[]`` elements, encoded a batch at a time (one list per call, brackets removed)."""
    message = FindingMessages()
    for start in range(0, len(findings), _BATCH):
        rows = [{"id": f"{f.rule}:{f.resource}{f.template.suffix}", "severity": f.severity, "rule": f.rule,
                 "resource": f.resource, "message": message(f)} for f in findings[start:start + _BATCH]]
        yield orjson.dumps(rows, option=_OPTS)[1:-1]


def _resource_batches(result: ScanResult) -> Iterator[bytes]:
    """``resources[]`` elements, joined a batch at a time (one write per batch, not two per record)."""
    encoder = ResourceEncoder()
    of = result.applications.of if result.applications is not None else {}
    assessed = result.assessed
    for start in range(0, len(assessed), _BATCH):
        yield b",".join([encoder.encode(a, of.get(a.res.id)) for a in assessed[start:start + _BATCH]])


def write_json(result: ScanResult, out: IO[bytes]) -> None:
    head = orjson.dumps(header(result), option=_OPTS)
    out.write(head[:-1] + b',"resources":')
    _array(out, _resource_batches(result))
    out.write(b',"applications":' + orjson.dumps(application_records(result), option=_OPTS))
    out.write(b',"flows":' + orjson.dumps(flow_records(result), option=_OPTS))
    out.write(b',"findings":')
    _array(out, _finding_batches(result.findings))
    tail: dict[str, Any] = {"coverage": result.coverage, "summary": result.summary}
    out.write(b"," + orjson.dumps(tail, option=_OPTS)[1:])
    out.write(b"\n")
