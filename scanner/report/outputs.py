"""The scan result's output formats behind one interface: ``render(result, fmt, out, lang)``.

Each format writes to a binary stream; JSON streams its resources one by one, so a million
resources never sit in memory as one document. The terminal table is written by
:func:`scanner.report.terminal.render_terminal` to a console instead.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from enum import StrEnum
from typing import IO

from scanner.result import ScanResult


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    md = "md"
    html = "html"
    sarif = "sarif"
    ocsf = "ocsf"
    oscal = "oscal"


def _json(result: ScanResult, out: IO[bytes], lang: str) -> None:
    from scanner.report.json_out import write_json

    write_json(result, out)


def _csv(result: ScanResult, out: IO[bytes], lang: str) -> None:
    from scanner.report.csv_out import write_csv

    text = io.StringIO()
    write_csv(result, text)
    out.write(text.getvalue().encode("utf-8"))


def _md(result: ScanResult, out: IO[bytes], lang: str) -> None:
    from scanner.report.markdown import render_markdown

    out.write(render_markdown(result).encode("utf-8"))


def _html(result: ScanResult, out: IO[bytes], lang: str) -> None:
    from scanner.report.html import render_html

    out.write(render_html(result, lang).encode("utf-8"))


def _sarif(result: ScanResult, out: IO[bytes], lang: str) -> None:
    from scanner.report.sarif import write_sarif

    write_sarif(result, out)


def _ocsf(result: ScanResult, out: IO[bytes], lang: str) -> None:
    from scanner.report.ocsf import write_ocsf

    write_ocsf(result, out)


def _oscal(result: ScanResult, out: IO[bytes], lang: str) -> None:
    from scanner.report.oscal import write_oscal

    write_oscal(result, out)


def _table(result: ScanResult, out: IO[bytes], lang: str) -> None:
    from rich.console import Console

    from scanner.report.terminal import render_terminal

    text = io.StringIO()
    render_terminal(result, Console(file=text, width=120, force_terminal=False))
    out.write(text.getvalue().encode("utf-8"))


RENDERERS: dict[Format, Callable[[ScanResult, IO[bytes], str], None]] = {
    Format.table: _table, Format.json: _json, Format.csv: _csv, Format.md: _md, Format.html: _html,
    Format.sarif: _sarif, Format.ocsf: _ocsf, Format.oscal: _oscal,
}


def render(result: ScanResult, fmt: Format, out: IO[bytes], lang: str = "en") -> None:
    RENDERERS[fmt](result, out, lang)
