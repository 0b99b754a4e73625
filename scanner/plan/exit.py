"""Concentration and exit readiness per provider, and the DORA register-of-information rows.

Per provider: share of resources, of resources holding sensitive data, of data volume and of
effort points; the Herfindahl–Hirschman index of the resource shares; the workloads with no
alternative at all in the catalogue (the real lock-in). DORA (Regulation (EU) 2022/2554) Art. 28(3)
asks financial entities for a register of information on their ICT third-party providers (templates
of Commission Implementing Regulation (EU) 2024/2956), Art. 28(8) for exit strategies and Art. 29
for an assessment of ICT concentration risk: ``dora_rows`` fills the provider-level columns the
inventory can support and leaves the others blank (documented in docs/plan.md).
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import IO, Any

from scanner.kb.schema import SENSITIVE_CLASSES
from scanner.plan.planner import Move
from scanner.report.escape import csv_cell
from scanner.result import ScanResult
from scanner.scoring.lockin import hhi


def no_alternative_reason(a: Any) -> str | None:
    """Why a resource has no alternative at all in the catalogue (whatever the targets), or None."""
    svc = a.service
    if svc is None:
        return f"type {a.res.native_type} is not in the catalogue"
    if svc.effort == 0:
        return None  # nothing to move
    if str(svc.portability) == "unique":
        return f"{svc.name}: proprietary, no real equivalent"
    if not svc.alternatives:
        return f"{svc.name}: no alternative in the catalogue"
    return None


def concentration(result: ScanResult) -> dict[str, Any]:
    """Per-provider shares, HHI and the workloads with no alternative at all."""
    resources: Counter[str] = Counter()
    sensitive: Counter[str] = Counter()
    data_gb: dict[str, float] = defaultdict(float)
    effort: Counter[str] = Counter()
    no_alt: list[dict[str, Any]] = []
    no_alt_count: Counter[str] = Counter()
    # What a shared profile decides (sensitive data, the service), looked up once per profile; the
    # reason also depends on the resource type when the service is unknown.
    facts: dict[tuple[int, str], tuple[Any, bool, str | None]] = {}
    for a in result.assessed:
        pid = a.res.provider
        profile = a.profile
        key = (id(profile), a.res.native_type)
        found = facts.get(key)
        if found is None:
            svc = profile.service
            found = facts[key] = (profile, bool(SENSITIVE_CLASSES & set(profile.classes))
                                  and (svc is None or svc.data_bearing), no_alternative_reason(a))
        _, is_sensitive, reason = found
        resources[pid] += 1
        if is_sensitive:
            sensitive[pid] += 1
        data_gb[pid] += a.res.size_gb or 0.0
        effort[pid] += profile.effort or 0
        if reason is not None:
            no_alt_count[pid] += 1
            no_alt.append({"id": a.res.id, "provider": pid, "service": a.service.type if a.service else None,
                           "reason": reason})

    def share(counter: Mapping[str, float], pid: str) -> float:
        total = sum(counter.values())
        return round(counter.get(pid, 0) / total, 4) if total else 0.0

    providers: dict[str, dict[str, Any]] = {
        pid: {"resources": n, "share_resources": share(resources, pid),
              "sensitive_resources": sensitive[pid], "share_sensitive": share(sensitive, pid),
              "data_gb": round(data_gb[pid], 1), "share_data": share(data_gb, pid),
              "effort": effort[pid], "share_effort": share(effort, pid),
              "no_alternative": no_alt_count[pid]}
        for pid, n in resources.most_common()}
    index = hhi(resources)
    out: dict[str, Any] = {"hhi": index, "hhi_10000": round(index * 10000), "providers": providers,
                           "no_alternative": no_alt}
    if result.billing is not None:  # concentration by spend, beside the counts (FOCUS export)
        shares = result.billing.spend_shares()
        for pid, entry in providers.items():
            entry["spend"] = result.billing.spend_by_provider.get(pid)
            entry["share_spend"] = shares.get(pid, 0.0)
        hhi_spend = round(sum(v * v for v in shares.values()), 4)
        out.update({"hhi_spend": hhi_spend, "hhi_spend_10000": round(hhi_spend * 10000),
                    "spend_currency": result.billing.currency, "spend_shares": shares})
    return out


#: Columns of the DORA CSV: (header, what fills it). Codes are those of the ITS templates where the
#: column maps to one; blanks are for the organisation to fill (docs/plan.md lists each).
DORA_COLUMNS = (
    "B_05.01.0010 Identification code of the ICT third-party service provider",
    "B_05.01.0020 Type of code to identify the ICT third-party service provider",
    "B_05.01.0050 Legal name of the ICT third-party service provider",
    "B_05.01.0060 Name of the ICT third-party service provider in Latin alphabet",
    "B_05.01.0080 Country of the ICT third-party service provider headquarters",
    "B_05.01.0090 Currency",
    "B_05.01.0100 Total annual expense or estimated cost",
    "Ultimate parent undertaking (B_05.01)",
    "Country of the ultimate parent undertaking",
    "Countries where data is stored (B_02.02)",
    "Substitutability of the ICT third-party service provider (B_07.01)",
    "Reason if not substitutable (B_07.01)",
    "Existence of an exit plan (B_07.01)",
    "Possibility of reintegration of the contracted ICT service (B_07.01)",
    "Identification of alternative ICT third-party service providers (B_07.01)",
    "sovscan provider id",
    "Resources",
    "Share of resources",
    "Share of sensitive-data resources",
    "Effort points",
    "Workloads with no alternative",
    "Foreign laws reaching the data",
    "Concentration HHI of the estate (0-10000)",
)


def substitutability(effort_mean: float, no_alternative: int) -> str:
    """The ITS value for B_07.01 substitutability, from the catalogue's effort points.

    Not substitutable when a workload has no alternative at all; highly complex from a mean of 7
    points (re-architecture); medium from 5 (data migration); easy below.
    """
    if no_alternative:
        return "Not substitutable"
    if effort_mean >= 7:
        return "Highly complex substitutability"
    if effort_mean >= 5:
        return "Medium complexity in terms of substitutability"
    return "Easily substitutable"


def dora_rows(result: ScanResult, moves: list[Move], conc: dict[str, Any]) -> list[dict[str, str]]:
    """One row per (provider, operating entity) of the estate."""
    kb = result.kb
    groups: dict[tuple[str, str | None], list[Any]] = defaultdict(list)
    for a in result.assessed:
        groups[(a.res.provider, a.operator)].append(a)
    alternatives: dict[str, set[str]] = defaultdict(set)
    for m in moves:
        if m.moves and m.host:
            alternatives[m.a.res.provider].add(m.host)
    no_alt_ids = {x["id"] for x in conc["no_alternative"]}
    rows: list[dict[str, str]] = []
    for (pid, operator), items in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0][0], kv[0][1] or "")):
        # The register names the provider the organisation contracts with (which depends on the
        # organisation's country), not the company that runs the region; the operator when the
        # provider publishes no contracting entity for that country.
        party = kb.contracting_entity(pid, result.home_country) or operator
        chain = kb.entity_chain(party) if party else []
        entity = chain[0] if chain else None
        parent = chain[-1] if chain else None
        countries = sorted({c for a in items for c in a.locations})
        laws = sorted({h.law for a in items for h in a.hits if h.foreign and h.weight > 0})
        efforts = [a.effort for a in items if a.effort is not None]
        mean = sum(efforts) / len(efforts) if efforts else 0.0
        no_alt = sum(1 for a in items if a.res.id in no_alt_ids)
        prov = conc["providers"].get(pid, {})
        alts = sorted(alternatives.get(pid, ()))
        row = dict.fromkeys(DORA_COLUMNS, "")
        row.update({
            DORA_COLUMNS[2]: entity.name if entity else (kb.providers[pid].name if pid in kb.providers else pid),
            DORA_COLUMNS[3]: entity.name if entity else "",
            DORA_COLUMNS[4]: entity.country if entity else "",
            DORA_COLUMNS[7]: parent.name if parent else "",
            DORA_COLUMNS[8]: (parent.controlled_from or parent.country) if parent else "",
            DORA_COLUMNS[9]: " ".join(countries),
            DORA_COLUMNS[10]: substitutability(mean, no_alt),
            DORA_COLUMNS[11]: f"{no_alt} workload(s) with no alternative in the catalogue" if no_alt else "",
            DORA_COLUMNS[14]: " ".join(kb.providers[p].name if p in kb.providers else p for p in alts),
            DORA_COLUMNS[15]: pid,
            DORA_COLUMNS[16]: str(len(items)),
            DORA_COLUMNS[17]: str(prov.get("share_resources", "")),
            DORA_COLUMNS[18]: str(prov.get("share_sensitive", "")),
            DORA_COLUMNS[19]: str(sum(efforts)),
            DORA_COLUMNS[20]: str(no_alt),
            DORA_COLUMNS[21]: " ".join(laws),
            DORA_COLUMNS[22]: str(conc["hhi_10000"]),
        })
        rows.append(row)
    return rows


def write_dora_csv(rows: list[dict[str, str]], out: IO[str]) -> None:
    writer = csv.DictWriter(out, fieldnames=list(DORA_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
