"""CSV renderer: one row per resource, for spreadsheets; coverage as trailing comment rows."""

from __future__ import annotations

import csv
from typing import IO

from scanner.report.escape import csv_cell
from scanner.result import ScanResult

COLUMNS = ["id", "provider", "native_type", "service", "category", "name", "account", "region", "placement",
           "country", "locations", "data_classes", "classification_source", "key_control", "operator",
           "controller_country", "foreign_laws", "residual_laws", "exposure_score", "exposure_level", "lockin_score",
           "lockin_level", "portability", "effort", "effort_level", "data_gb", "alternatives", "tf_address"]


def _cell(value: object) -> object:
    return csv_cell(value)  # spreadsheet formulas from inventory values are neutralised (CSV injection)


def write_csv(result: ScanResult, out: IO[str]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for a in result.assessed:
        res, svc = a.res, a.service
        foreign = sorted({h.law for h in a.hits if h.counts})
        residual = sorted({h.law for h in a.hits if h.residual})
        writer.writerow([_cell(v) for v in (
            res.id, res.provider, res.native_type, svc.type if svc else "", svc.category if svc else "",
            res.name, res.account, res.region, a.placement, a.country, " ".join(a.locations),
            " ".join(a.classes), a.class_source, a.key_control, a.operator, a.controller_country,
            " ".join(foreign), " ".join(residual), a.exposure, a.exposure_level, a.lockin, a.lockin_level,
            svc.portability if svc else "", a.effort, a.effort_level, res.size_gb,
            " ".join(alt.id for alt in a.alternatives), res.tf_address)])
    cov = result.coverage
    writer.writerow([_cell(f"# coverage: {cov.resources} resources; unmapped types: "
                     + (", ".join(f"{k}={v}" for k, v in cov.unmapped_types.items()) or "none")
                     + "; unknown regions: "
                     + (", ".join(f"{k}={v}" for k, v in cov.unknown_regions.items()) or "none")
                     + f"; warnings: {len(cov.warnings)}")])
