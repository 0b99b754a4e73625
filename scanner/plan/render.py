"""Renderers of a plan document: JSON, CSV (one row per resource), Markdown, terminal, DORA CSV.

Every renderer reads the JSON document of :func:`scanner.plan.document.plan_document`, so the
forms cannot disagree.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import IO, Any

import orjson
from rich.console import Console
from rich.table import Table

from scanner.report.escape import csv_cell, md_code, md_text, rich_text

CSV_COLUMNS = ("unit", "wave", "id", "name", "provider", "service", "region", "data_classes",
               "required_certifications", "alternative", "alternative_provider", "host", "target_region",
               "certifications", "reason", "effort", "data_gb", "egress_cost_eur", "exposure_before",
               "exposure_after")


#: Resources serialised per call to orjson (whole units, at least one): large enough to amortise the
#: call, small enough to bound memory (a batch of units counted as units could hold a large share of
#: the estate when units gather hundreds of resources).
JSON_BATCH = 2000
#: Lines (Markdown) or rows (CSV) written per call to the text stream.
TEXT_BATCH = 4096
_ORJSON = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
#: Ends of the floats orjson spells otherwise than Python's ``repr`` (1e-05 as ``0.00001``, 2.5e-07
#: as ``2.5e-7``): the end of a number token that is the last of its line (a string ends with a quote).
_FLOAT_ENDS = (re.compile(rb"0\.0000[0-9]+(?=,?\n|\Z)"), re.compile(rb"e-[0-9](?=,?\n|\Z)"))
_NUMBER = frozenset(b"0123456789.")


@cache
def _indent_pattern(depth: int) -> re.Pattern[bytes]:
    """A line indented by exactly ``2 * depth`` spaces (orjson's indentation at ``depth``)."""
    return re.compile(b"\n" + b" " * (2 * depth) + b"(?! )")


def dumps(value: Any, shift: int = 0) -> bytes:
    """``json.dumps(value, ensure_ascii=False, indent=1)`` in UTF-8, byte for byte, at orjson's speed.

    Every indented line (all but the first and last of an array or object) is indented ``shift``
    more levels, for the items of an array nested in a larger document. orjson indents by two
    spaces: lines are re-indented depth by depth (a JSON text has no raw newline inside a string,
    so every line starts with its indentation), and floats below 1e-4 are spelled as ``repr``
    spells them. A value orjson refuses (a lone surrogate in a string)
    goes through the standard library, its text encoded as :func:`scanner.commands.common.write_output`
    encodes text.
    """
    try:
        data = orjson.dumps(value, option=_ORJSON)
    except orjson.JSONEncodeError:
        text = json.dumps(value, ensure_ascii=False, indent=1)
        if shift:
            text = text.replace("\n ", "\n" + " " * (1 + shift))
        return text.encode("utf-8", "backslashreplace")
    depth = 1
    # Going deeper, a line already re-indented (d + shift spaces) can never match a deeper pattern
    # (exactly 2 * (d + 1) or more spaces) while shift <= 2, and lines of depth d + 1 exist only below
    # lines of depth d.
    assert 0 <= shift <= 2, shift
    while b"\n" + b" " * (2 * depth) in data:
        data = _indent_pattern(depth).sub(b"\n" + b" " * (depth + shift), data)
        depth += 1
    return _as_repr(data)


def _as_repr(data: bytes) -> bytes:
    """Respell as ``repr`` would the floats below 1e-4 (rare: searched by their literal ends)."""
    for pattern in _FLOAT_ENDS:
        pieces: list[bytes] = []
        last = 0
        for m in pattern.finditer(data):
            start = m.start()
            while start > 0 and data[start - 1] in _NUMBER:
                start -= 1
            if start < last or (start > 0 and data[start - 1] not in b" -"):
                continue  # not a number token
            pieces += (data[last:start], repr(float(data[start:m.end()])).encode())
            last = m.end()
        if pieces:
            data = b"".join([*pieces, data[last:]])
    return data


def write_json(doc: dict[str, Any], out: IO[bytes]) -> None:
    """The document as ``json.dump(doc, ensure_ascii=False, indent=1)`` would write it, plus a newline.

    ``doc["units"]`` may be any iterable (see ``plan_document(lazy_units=True)``): the units are
    serialised and written by batches of :data:`JSON_BATCH`, never all held at once.
    """
    units = doc["units"]
    head = dumps({**doc, "units": []})
    marker = b'\n "units": []'  # a top-level key: the only lines indented by exactly one space
    at = head.index(marker)
    out.write(head[:at] + b'\n "units": [')
    first = True
    for batch in _batches(units, JSON_BATCH, _resources):
        # "[\n  {…},\n  {…}\n]": the items, at depth 2 of the document, between the brackets' lines
        items = dumps(batch, shift=1)[2:-2]
        out.write((b"\n" if first else b",\n") + items)
        first = False
    out.write((b"]" if first else b"\n ]") + head[at + len(marker):] + b"\n")


def _resources(unit: Any) -> int:
    """The weight of a unit record in a batch: its resources (1 at least)."""
    return max(1, len(unit.get("resources", ()))) if isinstance(unit, dict) else 1


def _batches(items: Iterable[Any], size: int, weight: Callable[[Any], int] | None = None) -> Iterator[list[Any]]:
    """Consecutive lists of ``items`` whose weights (1 each by default) reach ``size``, the last one less."""
    batch: list[Any] = []
    total = 0
    for item in items:
        batch.append(item)
        total += 1 if weight is None else weight(item)
        if total >= size:
            yield batch
            batch = []
            total = 0
    if batch:
        yield batch


def write_csv(doc: dict[str, Any], out: IO[str]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for unit in doc["units"]:
        for r in unit["resources"]:
            alt = r["alternative"] or {}
            writer.writerow([csv_cell(v) for v in (
                unit["id"], unit["wave"] or "", r["id"], r["name"], r["provider"], r["service"] or "",
                r["region"] or "", " ".join(r["data_classes"]), " ".join(r["required_certifications"]),
                alt.get("id", ""), alt.get("provider") or ("" if not alt else "open-source"), alt.get("host", ""),
                alt.get("region") or "", " ".join(alt.get("certifications", [])), r["reason"] or "",
                r["effort"], r["data_gb"], "" if r["egress_cost_eur"] is None else r["egress_cost_eur"],
                r["exposure_before"], "" if r["exposure_after"] is None else r["exposure_after"])])


def _md(text: Any) -> str:
    return md_text(text)


def _eur(value: float | None) -> str:
    return "unknown" if value is None else f"{value:,.2f} €"


def render_markdown(doc: dict[str, Any]) -> str:
    return "".join(line + "\n" for line in markdown_lines(doc))


def write_markdown(doc: dict[str, Any], out: IO[str]) -> None:
    """:func:`render_markdown` written as it is made: ``doc["units"]`` may be an iterator
    (``plan_document(lazy_units=True)``), and no unit's lines are held after they are written."""
    for batch in _batches(markdown_lines(doc), TEXT_BATCH):
        out.write("".join(line + "\n" for line in batch))


def markdown_lines(doc: dict[str, Any]) -> Iterator[str]:
    """The lines of the Markdown plan, without their newlines."""
    o, t, b, a = doc["options"], doc["totals"], doc["before"], doc["after"]
    lines = [f"# Migration plan{' — ' + _md(doc['organization']) if doc['organization'] else ''}", "",
             f"Targets: {', '.join(o['targets'])}; certifications required: "
             f"{', '.join(o['require']) if o['require'] else 'what each resource’s data classes need'}; "
             f"bandwidth {o['bandwidth_mbps']:g} Mbit/s; exit date {o['exit_date']}"
             + (" (EU Data Act: no switching charges from 2027-01-12)" if o["data_act_no_switching_charges"] else "")
             + ".", "",
             "## Before and after", "",
             "| | before | after |", "|---|---|---|",
             f"| exposure (0-100) | {b['exposure']} ({b['exposure_level']}) | "
             f"{a['exposure']} ({a['exposure_level']}) |",
             f"| resources reachable by a foreign law | {b['exposed_resources']} | {a['exposed_resources']} |",
             f"| health-data resources reachable by a foreign law | {b['health_resources_reachable']} | "
             f"{a['health_resources_reachable']} |",
             f"| lock-in (0-100) | {b['lockin']} | {a['lockin']} |",
             f"| concentration (HHI, 0-10000) | {b['concentration_hhi_10000']} | {a['concentration_hhi_10000']} |",
             f"| critical findings | {b['findings']['critical']} | {a['findings']['critical']} |", "",
             "The *after* column is a full re-scoring of the estate with the planned placements.", "",
             "## Totals", "",
             f"- units: {t['units']} ({t['units_in_waves']} in waves), resources moving: {t['resources_moving']}, "
             f"without a fitting alternative: {t['resources_without_alternative']}",
             f"- effort: {t['effort']} points; data: {t['data_gb']:g} GB; transfer: {t['transfer_hours']:g} h",
             f"- egress: {_eur(t['egress_cost_eur'])} (at list price: {_eur(t['egress_list_eur'])})", "",
             "## Waves", ""]
    for w in doc["waves"]:
        lines.append(f"- **Wave {w['wave']}** ({'; '.join(w['priority'])}): {', '.join(w['units'])} — "
                     f"{w['effort']} points, {w['data_gb']:g} GB, {w['transfer_hours']:g} h")
    lines += ["", "## Units", ""]
    yield from lines
    for u in doc["units"]:
        lines = []
        wave = f"wave {u['wave']}" if u["wave"] else "not planned (nothing can move)"
        deps = f", after {', '.join(u['depends_on'])}" if u["depends_on"] else ""
        after = "" if u["exposure_after"] is None else f" → {u['exposure_after']}"
        lines += [f"### {u['id']} ({wave}{deps})", "",
                  f"{u['effort']} points, {u['data_gb']:g} GB, egress {_eur(u['egress_cost_eur'])}, "
                  f"{u['transfer_hours']:g} h; exposure {u['exposure_before']}{after}", "",
                  "| resource | provider | classes | alternative | target | why not |", "|---|---|---|---|---|---|"]
        for r in u["resources"]:
            alt = r["alternative"]
            lines.append(f"| {md_code(r['id'])} | {_md(r['provider'])} | {_md(' '.join(r['data_classes']))} | "
                         f"{_md(alt['name']) + ' (' + ', '.join(alt['certifications']) + ')' if alt else '—'} | "
                         f"{(alt['host'] or '') + ':' + (alt['region'] or '?') if alt else ''} | "
                         f"{_md(r['reason'] or '')} |")
        lines.append("")
        yield from lines
    lines = ["## Concentration and exit readiness", "",
             f"HHI before {doc['concentration']['before']['hhi_10000']}, after "
             f"{doc['concentration']['after']['hhi_10000']} (0-10000).", "",
             "| provider | resources | share | sensitive share | data share | effort share | no alternative |",
             "|---|---|---|---|---|---|---|"]
    for pid, p in doc["concentration"]["before"]["providers"].items():
        lines.append(f"| {_md(pid)} | {p['resources']} | {p['share_resources']:.1%} | {p['share_sensitive']:.1%} | "
                     f"{p['share_data']:.1%} | {p['share_effort']:.1%} | {p['no_alternative']} |")
    no_alt = doc["concentration"]["before"]["no_alternative"]
    if no_alt:
        lines += ["", "Workloads with no alternative at all:", ""]
        lines += [f"- {md_code(x['id'])}: {_md(x['reason'])}" for x in no_alt]
    lines += ["", "## EU Cloud Sovereignty Framework evidence (SOV-2, SOV-3)", "",
              "Levels are what the knowledge base supports (upper bounds until the manual criteria are "
              "assessed); SOV-1 and SOV-4 to SOV-8 need manual assessment.", "",
              "| provider | SOV-2 | why | SOV-3 | why |", "|---|---|---|---|---|"]
    for side in ("before", "after"):
        for ev in doc["csf"][side]:
            s2, s3 = ev["SOV-2"], ev["SOV-3"]
            why2 = "; ".join(f"{k} {v['answer']}" for k, v in s2["criteria"].items())
            why3 = "; ".join(f"{k} {v['answer']}" for k, v in s3["criteria"].items())
            lines.append(f"| {_md(ev['provider'])} ({side}) | ≤ {s2['seal']} | {_md(why2)} | ≤ {s3['seal']} | "
                         f"{_md(why3)} |")
    lines += ["", "## Egress prices used", ""]
    for pid, p in doc["egress_prices"].items():
        lines.append(f"- {pid}: {p['price_per_unit']} {p['currency']}/{p['unit']} ({_md(p['tier'])}); "
                     f"{_md(p['source'])}, {p['as_of']}")
    yield from lines


def render_terminal(doc: dict[str, Any], console: Console) -> None:
    b, a, t = doc["before"], doc["after"], doc["totals"]
    head = Table(title="Before and after (re-scored)")
    for col in ("", "before", "after"):
        head.add_column(col)
    head.add_row("exposure", f"{b['exposure']} {b['exposure_level']}", f"{a['exposure']} {a['exposure_level']}")
    head.add_row("reachable by a foreign law", str(b["exposed_resources"]), str(a["exposed_resources"]))
    head.add_row("lock-in", str(b["lockin"]), str(a["lockin"]))
    head.add_row("concentration (HHI)", str(b["concentration_hhi_10000"]), str(a["concentration_hhi_10000"]))
    console.print(head)
    console.print(f"{t['units']} units, {len(doc['waves'])} waves; effort {t['effort']} points; {t['data_gb']:g} GB; "
                  f"egress {_eur(t['egress_cost_eur'])} (list {_eur(t['egress_list_eur'])}); "
                  f"{t['transfer_hours']:g} h at {doc['options']['bandwidth_mbps']:g} Mbit/s; "
                  f"{t['resources_without_alternative']} resource(s) without a fitting alternative")
    units = Table(title="Units")
    for col in ("unit", "wave", "resources", "moving", "effort", "GB", "egress €", "exposure"):
        units.add_column(col)
    for u in doc["units"]:
        moving = sum(1 for r in u["resources"] if r["alternative"])
        units.add_row(rich_text(u["id"]), str(u["wave"] or "-"), str(len(u["resources"])), str(moving),
                      str(u["effort"]), f"{u['data_gb']:g}", _eur(u["egress_cost_eur"]),
                      f"{u['exposure_before']} → {u['exposure_after']}")
    console.print(units)
