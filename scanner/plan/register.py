"""The DORA register of information, filled from the estate: ESA xBRL-CSV report package and readable CSV.

Commission Implementing Regulation (EU) 2024/2956 lays down the templates of the register of
information that Regulation (EU) 2022/2554 (DORA) Art. 28(3) requires. sovscan fills the cells the
estate and the knowledge base can support, in four templates, with the column codes of the ESAs'
reporting framework (the DORA module, whose table and column definitions eba-xbridge ships):

* **B_05.01** ICT third-party service providers, one row per contracting entity: legal name
  (c0050, c0060), type of person (c0070), headquarters country (c0080), currency and annual expense
  from a FOCUS billing export (c0090, c0100), and the identification codes (c0010/c0020,
  c0110/c0120) only from verified knowledge-base LEIs (``legal_identifiers.yaml``).
* **B_02.02** contractual arrangements, specific information, one row per provider: country of
  provision (c0130: the country of the regions the estate uses when there is one), storage of
  data (c0140), location of the data at rest (c0150) and of its processing (c0160), and the
  sensitiveness of the data (c0170) from the data classes.
* **B_05.02** ICT service supply chains: the company that runs the regions when it is not the
  contracting entity, at rank 2 (the knowledge base's operator records).
* **B_07.01** assessment of the ICT services: substitutability (c0050) and its reason (c0060)
  from the catalogue's effort points and the workloads without any alternative, reintegration
  (c0090), and the alternative providers the plan chose (c0110, c0120).

Every filled cell has its source in ``sources.csv``; every cell the organisation must fill
(contract references, its own LEI, function identifiers, dates, notice periods, audit dates,
exit plans…) is left empty and listed in ``empty_cells.csv``. Values that the taxonomy codes as
domain members are written as the regulation's Annex I wording and ISO codes; the reporting tool
that files the package maps them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from scanner.kb.schema import SENSITIVE_CLASSES, SPECIAL_CLASSES
from scanner.plan.exit import concentration, substitutability
from scanner.plan.planner import Move
from scanner.result import ScanResult

#: The DORA module of the ESAs' reporting framework 4.0 (its entry point, as eba-xbridge lists it).
ENTRY_POINT = "http://www.eba.europa.eu/eu/fr/xbrl/crr/fws/dora/4.0/mod/dora.json"
REG = "Commission Implementing Regulation (EU) 2024/2956, Annex I"
#: Every template of the module: the package carries a filing indicator for each.
TEMPLATES = ("B_01.01", "B_01.02", "B_01.03", "B_02.01", "B_02.02", "B_02.03", "B_03.01", "B_03.02",
             "B_03.03", "B_04.01", "B_05.01", "B_05.02", "B_06.01", "B_07.01", "B_99.01")

#: Columns of the four templates sovscan fills, with their meaning (Annex I of the regulation).
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "B_02.02": (
        ("c0010", "Contractual arrangement reference number"),
        ("c0020", "LEI of the entity making use of the ICT service(s)"),
        ("c0030", "Identification code of the ICT third-party service provider"),
        ("c0040", "Type of code to identify the ICT third-party service provider"),
        ("c0050", "Function identifier"),
        ("c0060", "Type of ICT services"),
        ("c0070", "Start date of the contractual arrangement"),
        ("c0080", "End date of the contractual arrangement"),
        ("c0090", "Reason of the termination or ending of the contractual arrangement"),
        ("c0100", "Notice period for the financial entity making use of the ICT service(s)"),
        ("c0110", "Notice period for the ICT third-party service provider"),
        ("c0120", "Country of the governing law of the contractual arrangement"),
        ("c0130", "Country of provision of the ICT services"),
        ("c0140", "Storage of data"),
        ("c0150", "Location of the data at rest (storage)"),
        ("c0160", "Location of management of the data (processing)"),
        ("c0170", "Sensitiveness of the data stored by the ICT third-party service provider"),
        ("c0180", "Level of reliance on the ICT service supporting the critical or important function"),
    ),
    "B_05.01": (
        ("c0010", "Identification code of the ICT third-party service provider"),
        ("c0020", "Type of code to identify the ICT third-party service provider"),
        ("c0030", "Additional identification code of the ICT third-party service provider"),
        ("c0040", "Type of additional identification code"),
        ("c0050", "Legal name of the ICT third-party service provider"),
        ("c0060", "Name of the ICT third-party service provider in Latin alphabet"),
        ("c0070", "Type of person"),
        ("c0080", "Country of the ICT third-party service provider's headquarters"),
        ("c0090", "Currency of the amount reported in c0100"),
        ("c0100", "Total annual expense or estimated cost of the ICT third-party service provider"),
        ("c0110", "Identification code of the ICT third-party service provider's ultimate parent undertaking"),
        ("c0120", "Type of code to identify the ultimate parent undertaking"),
    ),
    "B_05.02": (
        ("c0010", "Contractual arrangement reference number"),
        ("c0020", "Type of ICT services"),
        ("c0030", "Identification code of the ICT third-party service provider"),
        ("c0040", "Type of code to identify the ICT third-party service provider"),
        ("c0050", "Rank"),
        ("c0060", "Identification code of the recipient of sub-contracted ICT services"),
        ("c0070", "Type of code to identify the recipient of sub-contracted ICT services"),
    ),
    "B_07.01": (
        ("c0010", "Contractual arrangement reference number"),
        ("c0020", "Identification code of the ICT third-party service provider"),
        ("c0030", "Type of code to identify the ICT third-party service provider"),
        ("c0040", "Type of ICT services"),
        ("c0050", "Substitutability of the ICT third-party service provider"),
        ("c0060", "Reason if the ICT third-party service provider is considered not substitutable or difficult "
                  "to be substitutable"),
        ("c0070", "Date of the last audit on the ICT third-party service provider"),
        ("c0080", "Existence of an exit plan"),
        ("c0090", "Possibility of reintegration of the contracted ICT service"),
        ("c0100", "Impact of discontinuing the ICT services"),
        ("c0110", "Are there alternative ICT third-party service providers identified?"),
        ("c0120", "Identification of alternative ICT TPP"),
    ),
}
ORGANISATION = "the organisation's own knowledge (contract, governance or procurement records)"


@dataclass
class Register:
    """The register's rows per template (column code → value), with each cell's source and the
    cells left to the organisation."""

    rows: dict[str, list[dict[str, str]]] = field(default_factory=lambda: defaultdict(list))
    sources: list[tuple[str, int, str, str, str]] = field(default_factory=list)  # template, row, col, value, source
    empty: list[tuple[str, int, str, str, str]] = field(default_factory=list)  # template, row, col, meaning, why

    def add(self, template: str, cells: dict[str, tuple[str, str]], why_empty: dict[str, str]) -> None:
        """A row: ``cells`` maps a column to (value, source); every other column is listed as empty."""
        row = {code: "" for code, _ in COLUMNS[template]}
        n = len(self.rows[template]) + 1
        meaning = dict(COLUMNS[template])
        for code, (value, source) in cells.items():
            if value == "":
                continue
            row[code] = value
            self.sources.append((template, n, code, value, source))
        for code in row:
            if row[code] == "":
                self.empty.append((template, n, code, meaning[code], why_empty.get(code, ORGANISATION)))
        self.rows[template].append(row)


def _sensitiveness(classes: set[str]) -> str:
    """Annex I B_02.02 c0170: Low, Medium or High, from the data classes (special categories high)."""
    if classes & SPECIAL_CLASSES:
        return "High"
    if classes & SENSITIVE_CLASSES:
        return "Medium"
    return "Low"


def build_register(result: ScanResult, moves: Iterable[Move]) -> Register:
    """The register rows the estate supports, one provider (contracting entity) at a time."""
    kb = result.kb
    ids = kb.legal_identifiers
    conc = concentration(result)
    no_alt_ids = {x["id"] for x in conc["no_alternative"]}
    alternatives: dict[str, set[str]] = defaultdict(set)
    for m in moves:
        if m.moves and m.host:
            alternatives[m.a.res.provider].add(m.host)
    groups: dict[str, list[Any]] = defaultdict(list)
    for a in result.assessed:
        groups[a.res.provider].append(a)
    reg = Register()
    billing = result.billing
    for pid, items in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        prov = kb.providers.get(pid)
        operators = sorted({a.operator for a in items if a.operator})
        party = kb.contracting_entity(pid, result.home_country) or (operators[0] if operators else None)
        chain = kb.entity_chain(party) if party else []
        entity = chain[0] if chain else None
        parent = chain[-1] if chain else None
        name = entity.name if entity else (prov.name if prov else pid)
        kb_source = f"providers.yaml entity {entity.id} ({entity.source})" if entity else f"providers.yaml {pid}"
        lei = ids.get(entity.id) if entity else None
        parent_lei = ids.get(parent.id) if parent else None
        why: dict[str, str] = {}
        for code, ident in (("c0010", lei), ("c0110", parent_lei)):
            holder = entity if code == "c0010" else parent
            if ident is None:
                why[code] = f"no LEI of {holder.name if holder else name} in the knowledge base: the GLEIF record"
            elif not ident.verified:
                why[code] = f"candidate LEI {ident.lei} not verified at GLEIF ({ident.unverified}); {ident.source}"
        cells: dict[str, tuple[str, str]] = {
            "c0050": (name, kb_source), "c0060": (name, kb_source),
            "c0070": ("Legal person, excluding individual acting in a business capacity", f"{kb_source}: a company"),
            "c0080": (entity.country if entity else "", kb_source),
        }
        if lei is not None and lei.verified:
            cells["c0010"] = (lei.lei, f"legal_identifiers.yaml: {lei.source}")
            cells["c0020"] = ("LEI", "legal_identifiers.yaml")
        if parent_lei is not None and parent_lei.verified:
            cells["c0110"] = (parent_lei.lei, f"legal_identifiers.yaml: {parent_lei.source}")
            cells["c0120"] = ("LEI", "legal_identifiers.yaml")
        why.setdefault("c0020", "the type of code follows the identification code (c0010)")
        why.setdefault("c0120", "the type of code follows the parent's identification code (c0110)")
        annual = billing.annual_spend(pid) if billing is not None else None
        if billing is not None and annual is not None:
            cells["c0090"] = (billing.currency, f"FOCUS BillingCurrency, {billing.path}")
            cells["c0100"] = (f"{annual:.2f}", f"FOCUS EffectiveCost of {pid} over {billing.days:.0f} day(s), "
                                                f"× 365 / days; {billing.path}")
        else:
            why["c0090"] = why["c0100"] = "no billing export (--billing FOCUS file) naming this provider"
        why["c0030"] = why["c0040"] = "optional additional code: " + ORGANISATION
        reg.add("B_05.01", cells, why)

        storage = [a for a in items if a.profile.data_bearing]
        countries = sorted({c for a in storage for c in a.locations})
        processing = sorted({a.country for a in items if a.country})
        provision = processing[0] if len(processing) == 1 else ""
        classes = {c for a in storage for c in a.classes}
        b0202: dict[str, tuple[str, str]] = {
            "c0130": (provision, "country of every region the estate uses at this provider (regions/*.yaml)"),
            "c0140": ("true" if storage else "false", f"{len(storage)} data-bearing resource(s) in the inventory"),
            "c0150": (" ".join(countries), "countries of the regions holding the data or a copy (flows included)"),
            "c0160": (" ".join(processing), "countries of the regions the resources run in"),
            "c0170": (_sensitiveness(classes) if storage else "",
                      f"data classes of the stored data: {' '.join(sorted(classes)) or 'none'}"),
        }
        if lei is not None and lei.verified:
            b0202["c0030"] = (lei.lei, f"legal_identifiers.yaml: {lei.source}")
            b0202["c0040"] = ("LEI", "legal_identifiers.yaml")
        why0202 = {"c0130": "the estate uses regions in several countries at this provider: one per arrangement"
                   if len(processing) > 1 else "no region with a known country",
                   "c0030": why.get("c0010", ""), "c0040": why.get("c0020", ""),
                   "c0060": "Annex III type of ICT services (S01-S19): the estate's services are "
                            + ", ".join(sorted({a.service.category for a in items if a.service})) + "; "
                            + ORGANISATION}
        reg.add("B_02.02", b0202, why0202)

        for op in operators:
            if op == party or op not in kb.entities:
                continue
            op_entity = kb.entities[op]
            op_lei = ids.get(op)
            cells52: dict[str, tuple[str, str]] = {
                "c0050": ("2", f"{op_entity.name} runs regions used here ({op_entity.source}); the contracting "
                               f"entity {name} is rank 1")}
            if op_lei is not None and op_lei.verified:
                cells52["c0060"] = (op_lei.lei, f"legal_identifiers.yaml: {op_lei.source}")
                cells52["c0070"] = ("LEI", "legal_identifiers.yaml")
            reg.add("B_05.02", cells52, {"c0060": f"no verified LEI of {op_entity.name} (operator {op})",
                                         "c0070": "follows c0060"})

        efforts = [a.effort for a in items if a.effort is not None]
        mean = sum(efforts) / len(efforts) if efforts else 0.0
        no_alt = sum(1 for a in items if a.res.id in no_alt_ids)
        alts = sorted(alternatives.get(pid, ()))
        alt_names = " ".join(kb.providers[p].name if p in kb.providers else p for p in alts)
        b0701: dict[str, tuple[str, str]] = {
            "c0050": (substitutability(mean, no_alt),
                      f"catalogue effort points (mean {mean:.1f} over {len(efforts)} resource(s)); "
                      f"{no_alt} workload(s) with no alternative; docs/plan.md"),
            "c0060": (f"{no_alt} workload(s) with no alternative in the catalogue" if no_alt else "",
                      "services.yaml portability and alternatives"),
            "c0090": ("Easy" if mean < 5 and not no_alt else "Difficult" if no_alt or mean >= 7 else "Medium",
                      f"catalogue effort points (mean {mean:.1f}); sovscan's reading, to confirm"),
            "c0110": ("true" if alts else "false", "the plan's chosen alternatives (--target)"),
            "c0120": (alt_names, "the plan's chosen alternatives (--target)"),
        }
        reg.add("B_07.01", b0701, {"c0060": "substitutable: no reason to give",
                                   "c0120": "no alternative among the plan's targets"})
    return reg


# --------------------------------------------------------------------------- writers


def _csv(rows: list[list[str]], neutralise: bool = True) -> str:
    """RFC 4180 CSV; cells of files meant for spreadsheets are neutralised, the package's are not
    (its values are facts for an XBRL processor: a negative number stays a number)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_neutral(c) for c in row] if neutralise else row)
    return out.getvalue()


def _neutral(text: str) -> str:
    """Neutralise spreadsheet formulas (as scanner/report/csv_out.py does)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def readable_rows(reg: Register) -> list[list[str]]:
    """One line per filled or empty cell: template, row, column code, meaning, value, source or why empty."""
    out = [["template", "row", "column", "meaning", "value", "source_or_missing"]]
    meaning = {(t, c): m for t, cols in COLUMNS.items() for c, m in cols}
    for t, n, c, value, source in reg.sources:
        out.append([t, str(n), c, meaning[(t, c)], value, source])
    for t, n, c, m, why in reg.empty:
        out.append([t, str(n), c, m, "", f"to fill: {why}"])
    out[1:] = sorted(out[1:], key=lambda r: (r[0], int(r[1]), r[2]))
    return out


def write_readable(reg: Register, out: IO[str]) -> None:
    out.write(_csv(readable_rows(reg)))


def write_package(reg: Register, out: IO[bytes], ref_date: dt.date, entity_lei: str | None = None,
                  name: str = "register") -> None:
    """The ESAs' xBRL-CSV report package (a zip under the folder ``name``): META-INF/reportPackage.json,
    reports/report.json, parameters.csv, FilingIndicators.csv and one CSV per filled template. The
    companions (:func:`write_companions`) are written beside it: the package admits no other file."""
    root = name
    report = {"documentInfo": {"documentType": "https://xbrl.org/2021/xbrl-csv", "extends": [ENTRY_POINT]}}
    params = [["name", "value"], ["entityID", f"lei:{entity_lei}" if entity_lei else ""],
              ["refPeriod", ref_date.isoformat()], ["baseCurrency", ""], ["decimalsInteger", "0"],
              ["decimalsMonetary", "-3"]]
    currencies = {r["c0090"] for r in reg.rows.get("B_05.01", []) if r.get("c0090")}
    if len(currencies) == 1:
        params[3][1] = f"iso4217:{next(iter(currencies))}"
    filled = {t for t, rows in reg.rows.items() if rows}
    indicators = [["templateID", "reported"]] + [[t, "true" if t in filled else "false"] for t in TEMPLATES]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{root}/META-INF/reportPackage.json",
                   json.dumps({"documentInfo": {"documentType": "https://xbrl.org/report-package/2023"}}, indent=2))
        z.writestr(f"{root}/reports/report.json", json.dumps(report, indent=2))
        z.writestr(f"{root}/reports/parameters.csv", _csv(params, neutralise=False))
        z.writestr(f"{root}/reports/FilingIndicators.csv", _csv(indicators, neutralise=False))
        for template in sorted(filled):
            codes = [c for c, _ in COLUMNS[template]]
            rows = [codes] + [[r[c] for c in codes] for r in reg.rows[template]]
            z.writestr(f"{root}/reports/{template.lower()}.csv", _csv(rows, neutralise=False))


def write_companions(reg: Register, sources: IO[str], empty: IO[str]) -> None:
    """``sources.csv`` (every filled cell and its source) and ``empty_cells.csv`` (every cell to fill)."""
    sources.write(_csv([["template", "row", "column", "value", "source"]]
                       + [[t, str(n), c, v, s] for t, n, c, v, s in reg.sources]))
    empty.write(_csv([["template", "row", "column", "meaning", "to_fill_from"]]
                     + [[t, str(n), c, m, w] for t, n, c, m, w in reg.empty]))
