"""FOCUS billing exports in (spend, real volumes, observed transfer price) and the DORA register of
information out (xBRL-CSV report package checked with eba-xbridge, readable CSV, companions)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.billing import read_focus
from scanner.cli import app
from scanner.errors import InputError
from scanner.kb.loader import default_kb
from scanner.kb.provenance import check_source

ROOT = Path(__file__).resolve().parent.parent
HOSPITAL = ROOT / "sample_inventories" / "hopital-grand-est"
STADTWERKE = ROOT / "sample_inventories" / "stadtwerke-auenfeld"
FOCUS = ROOT / "tests" / "fixtures" / "focus" / "hopital-2026-11.csv"
runner = CliRunner()

# Hand-computed from the fixture's rows (EffectiveCost of usage rows; the tax and the credit apart).
SPEND = {"aws": 1150.00 + 2200.00 + 90.00 + 2950.00, "azure": 12.40 + 12.40 + 455.00, "gcp": 140.00}
TOTAL = sum(SPEND.values())


def _check_billing(path: Path) -> None:
    bill = read_focus(path)
    assert bill.currency == "EUR" and bill.days == 30
    assert bill.spend_by_provider == pytest.approx(SPEND)
    assert bill.spend_shares() == pytest.approx({p: round(v / TOTAL, 4) for p, v in SPEND.items()})
    # 48,000 GB-Months billed over 720 hours, a month being metered as 730 hours.
    assert bill.usage("arn:aws:s3:::ghge-dossiers-patients-par").storage_gb == pytest.approx(48000 * 730 / 720)
    # Thirty... two daily rows of 24,000 GiB-hours: 1,000 GiB held.
    azure = bill.usage("/subscriptions/a1b2c3d4-1111-4c2e-8f00-0000000000a1/resourcegroups/rg-ghge-dpi-prod-frc/"
                       "providers/microsoft.storage/storageaccounts/stghgedossiersfrc")
    assert azure is not None and azure.storage_gb == pytest.approx(1000 * 1.073741824)
    assert bill.usage("arn:aws:s3:::ghge-imagerie-pacs-par").transfer_gb_per_month == pytest.approx(1000)
    assert bill.egress_price("aws") == pytest.approx(0.09)
    assert bill.annual_spend("aws") == pytest.approx(round(SPEND["aws"] * 365 / 30, 2))
    assert bill.spend_by_region["aws:eu-west-3"] == pytest.approx(SPEND["aws"])
    assert bill.spend_by_account["azure:a1b2c3d4-1111-4c2e-8f00-0000000000a1"] == pytest.approx(SPEND["azure"])


def test_focus_csv_is_read() -> None:
    _check_billing(FOCUS)


def test_focus_parquet_is_read(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    with open(FOCUS, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    numeric = {"BilledCost", "EffectiveCost", "ListCost", "ConsumedQuantity", "PricingQuantity"}
    columns = {k: [float(r[k]) if k in numeric and r[k] else (None if k in numeric else r[k]) for r in rows]
               for k in rows[0]}
    path = tmp_path / "focus.parquet"
    pq.write_table(pa.table(columns), path)
    _check_billing(path)


def test_a_file_that_is_not_focus_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "costs.csv"
    bad.write_text("Date,Amount\n2026-11-01,12\n")
    result = runner.invoke(app, ["run", "-i", str(HOSPITAL), "--billing", str(bad), "-f", "json", "-o",
                                 str(tmp_path / "x.json")])
    assert result.exit_code == 2
    assert "not a FOCUS export" in result.output and "BilledCost" in result.output


def _plan(tmp_path: Path, *extra: str) -> dict[str, object]:
    out = tmp_path / "plan.json"
    result = runner.invoke(app, ["plan", "-i", str(HOSPITAL), "-t", "ovhcloud,scaleway", "--exit-date", "2026-12-04",
                                 "-f", "json", "-o", str(out), *extra])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def test_focus_changes_volumes_concentration_and_egress(tmp_path: Path) -> None:
    before = _plan(tmp_path)
    after = _plan(tmp_path, "--billing", str(FOCUS))
    tb, ta = before["totals"], after["totals"]  # type: ignore[index]
    assert ta["data_gb"] > tb["data_gb"] + 150_000  # the two large buckets now have their real volume
    assert after["coverage"]["sizes_unknown"] == before["coverage"]["sizes_unknown"] - 4  # type: ignore[index]
    conc = after["concentration"]["before"]  # type: ignore[index]
    # AWS holds 30 % of the resources but 91 % of the spend: by spend the estate is far more concentrated.
    assert conc["providers"]["aws"]["share_resources"] < 0.35 < 0.9 < conc["providers"]["aws"]["share_spend"]
    assert conc["hhi_spend"] > conc["hhi"]
    assert "hhi_spend" not in before["concentration"]["before"]  # type: ignore[index]
    moves = {m["id"]: m for u in after["units"] for m in u["resources"]}  # type: ignore[union-attr]
    patients = moves["arn:aws:s3:::ghge-dossiers-patients-par"]
    assert patients["data_gb"] == pytest.approx(48000 * 730 / 720, abs=0.001)
    # Egress priced at the observed 90 EUR / 1,000 GB of the export, not the published tier.
    assert patients["egress_list_eur"] == pytest.approx(round(48000 * 730 / 720 * 0.09, 2))


def test_run_summary_has_concentration_by_spend(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = runner.invoke(app, ["run", "-i", str(HOSPITAL), "--billing", str(FOCUS), "-f", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    conc = json.loads(out.read_text())["summary"]["lockin"]["concentration"]
    assert conc["spend_shares"]["aws"] == pytest.approx(round(SPEND["aws"] / TOTAL, 4))
    assert conc["hhi_spend"] > conc["hhi"]


# --------------------------------------------------------------------------- DORA register


def _register(tmp_path: Path, sample: Path, *extra: str) -> Path:
    out = tmp_path / "register.zip"
    result = runner.invoke(app, ["plan", "-i", str(sample), "-t", "ovhcloud,scaleway", "-f", "dora-xbrl",
                                 "-o", str(out), "--entity-lei", "529900T8BM49AURSDO55", *extra])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("sample", [HOSPITAL, STADTWERKE], ids=lambda p: p.name)
def test_register_package_passes_the_xbrl_csv_rules(sample: Path, tmp_path: Path) -> None:
    pytest.importorskip("xbridge")
    from xbridge.validation import validate

    package = _register(tmp_path, sample)
    assert validate(package, eba=False)["XBRL"]["errors"] == {}
    eba = validate(package, eba=True)
    # Left to the organisation: the submission's file name (its LEI, country, module, date) and the
    # key columns it alone knows (contract references, function ids…), each listed as an empty cell.
    assert set(eba["EBA"]["errors"]) <= {"EBA-NAME-001", "CSV-044"}
    empty = {(e["template"].lower(), int(e["row"]), e["column"])
             for e in csv.DictReader(io.StringIO((tmp_path / "register.empty_cells.csv").read_text(encoding="utf-8")))}
    keys = eba["EBA"]["errors"]["CSV-044"]
    assert keys
    for error in keys:
        found = re.search(r"(b_\d\d\.\d\d)\.csv row (\d+): key column '(c\d{4})' is empty", error["message"])
        assert found, error["message"]
        assert (found.group(1), int(found.group(2)) - 1, found.group(3)) in empty, error["message"]


def test_register_cells_sources_and_empty_cells(tmp_path: Path) -> None:
    package = _register(tmp_path, HOSPITAL, "--billing", str(FOCUS))
    with zipfile.ZipFile(package) as z:
        names = set(z.namelist())
        assert {"register/META-INF/reportPackage.json", "register/reports/report.json",
                "register/reports/parameters.csv", "register/reports/FilingIndicators.csv",
                "register/reports/b_05.01.csv", "register/reports/b_02.02.csv",
                "register/reports/b_07.01.csv"} <= names
        b0501 = list(csv.DictReader(io.StringIO(z.read("register/reports/b_05.01.csv").decode())))
        b0202 = list(csv.DictReader(io.StringIO(z.read("register/reports/b_02.02.csv").decode())))
        params = dict(csv.reader(io.StringIO(z.read("register/reports/parameters.csv").decode())))
    assert params["entityID"] == "lei:529900T8BM49AURSDO55" and params["baseCurrency"] == "iso4217:EUR"
    aws = next(r for r in b0501 if r["c0050"] == "Amazon Web Services EMEA SARL")
    assert aws["c0080"] == "LU" and aws["c0090"] == "EUR"
    assert float(aws["c0100"]) == pytest.approx(round(SPEND["aws"] * 365 / 30, 2))
    assert aws["c0010"] == ""  # no verified LEI in the knowledge base: left to fill, never guessed
    # AWS: health data with a copy in the US (and CloudFront's footprint for the CDN).
    assert any({"FR", "US"} <= set(r["c0150"].split()) and r["c0170"] == "High" for r in b0202)
    sources = list(csv.DictReader(io.StringIO((tmp_path / "register.sources.csv").read_text(encoding="utf-8"))))
    empty = list(csv.DictReader(io.StringIO((tmp_path / "register.empty_cells.csv").read_text(encoding="utf-8"))))
    assert any(s["template"] == "B_05.01" and s["column"] == "c0100" and "FOCUS" in s["source"] for s in sources)
    filled = {(s["template"], s["row"], s["column"]) for s in sources}
    missing = {(e["template"], e["row"], e["column"]) for e in empty}
    assert not filled & missing
    assert ("B_02.02", "1", "c0010") in missing and ("B_05.01", "1", "c0010") in missing
    assert any("candidate LEI INR2EJN1ERAN0W5ZP974" in e["to_fill_from"] for e in empty)


def test_readable_register(tmp_path: Path) -> None:
    out = tmp_path / "register.csv"
    result = runner.invoke(app, ["plan", "-i", str(STADTWERKE), "-t", "ovhcloud", "-f", "dora-register",
                                 "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {"B_02.02", "B_05.01", "B_07.01"} <= {r["template"] for r in rows}
    assert all(r["value"] or r["source_or_missing"].startswith("to fill:") for r in rows)


def test_register_without_output_file_is_refused() -> None:
    result = runner.invoke(app, ["plan", "-i", str(STADTWERKE), "-t", "ovhcloud", "-f", "dora-xbrl"])
    assert result.exit_code == 2 and "--output" in result.output


def test_legal_identifiers_have_provenance() -> None:
    ids = default_kb().legal_identifiers
    assert ids, "the table is loaded"
    for entity, rec in ids.items():
        assert entity in default_kb().entities
        assert check_source(rec.source) == []
        assert rec.verified or rec.unverified


# --------------------------------------------------------------------------- FOCUS rows, one rule each

_FOCUS_HEADER = ("BilledCost,EffectiveCost,BillingCurrency,BillingPeriodStart,ChargePeriodStart,ChargePeriodEnd,"
                 "ChargeCategory,ProviderName,ServiceName,ServiceCategory,RegionId,SubAccountId,ResourceId,"
                 "ConsumedQuantity,ConsumedUnit")
_FOCUS_ROWS = (
    # BilledCost stands in for a missing EffectiveCost; 240 GB-hours over the first day.
    "10,,EUR,2026-11-01,2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,Usage,AWS,S3,Storage,eu-west-3,111,"
    "arn:aws:s3:::b,240,GB-Hours",
    # Same bucket, id in another case, next day, metered in GB-days: 240 GB-hours more, 48 hours spanned.
    "5,4,EUR,2026-11-01,2026-11-02T00:00:00Z,2026-11-03T00:00:00Z,Usage,Amazon Web Services,S3,Storage,eu-west-3,"
    "111,ARN:aws:s3:::B,10,GB-Days",
    # Transfer out of the bucket: 20 GB for 2.
    "2,2,EUR,2026-11-01,2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,Usage,AWS,S3,Networking,,111,arn:aws:s3:::b,20,GB",
    # Unreadable cost, then unreadable charge period: counted and skipped.
    "x,,EUR,2026-11-01,2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,Usage,AWS,S3,Storage,eu-west-3,111,,,",
    "1,1,EUR,2026-11-01,yesterday,2026-11-02T00:00:00Z,Usage,AWS,S3,Storage,eu-west-3,111,,,",
    # A tax row widens the period but is not spend.
    "7,7,EUR,2026-11-01,2026-10-31T00:00:00Z,2026-11-01T00:00:00Z,Tax,AWS,,,,,,,",
    # An unknown provider is kept as written; an empty one becomes "unknown".
    "3,3,,2026-11-01,2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,Usage,Hetzner,Cloud,Compute,fsn1,h1,,,",
    "1,1,EUR,2026-11-01,2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,,,,,,,,,",
    # Google storage in GB-months, two billing periods: the latest one gives the volume.
    "6,6,EUR,,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,Usage,Google Cloud,GCS,Storage,europe-west9,p1,"
    "//storage.googleapis.com/projects/_/buckets/g,3,GB-Months",
    "6,6,EUR,,2026-11-01T00:00:00Z,2026-11-11T00:00:00Z,Usage,Google Cloud,GCS,Storage,europe-west9,p1,"
    "//storage.googleapis.com/projects/_/buckets/g,1,GB-Months",
    # Units that are not data sizes, and data size × time outside storage: cost only.
    "4,4,EUR,2026-11-01,2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,Usage,Microsoft,VM,Compute,francecentral,s1,"
    "/subscriptions/s1/vm,24,Hours",
    "4,4,EUR,2026-11-01,2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,Usage,Microsoft,VM,Compute,francecentral,s1,"
    "/subscriptions/s1/vm,24,GB-Hours",
)


def test_focus_rows_are_summarised_rule_by_rule(tmp_path: Path) -> None:
    path = tmp_path / "focus.csv"
    path.write_text("\n".join((_FOCUS_HEADER, *_FOCUS_ROWS)) + "\n", encoding="utf-8")
    bill = read_focus(path)
    assert (bill.path, bill.currency, bill.rows) == (str(path), "EUR", len(_FOCUS_ROWS))
    assert (bill.period_start, bill.period_end, bill.days) == (dt.date(2026, 10, 1), dt.date(2026, 11, 11), 41)
    assert bill.spend_by_provider == {"aws": 16.0, "gcp": 12.0, "azure": 8.0, "hetzner": 3.0, "unknown": 1.0}
    assert bill.spend_by_service == {"aws:S3": 16.0, "gcp:GCS": 12.0, "azure:VM": 8.0, "hetzner:Cloud": 3.0,
                                     "unknown:unknown": 1.0}
    assert bill.spend_by_region == {"aws:eu-west-3": 14.0, "gcp:europe-west9": 12.0, "azure:francecentral": 8.0,
                                    "hetzner:fsn1": 3.0, "aws:global": 2.0, "unknown:global": 1.0}
    assert bill.spend_by_account == {"aws:111": 16.0, "gcp:p1": 12.0, "azure:s1": 8.0, "hetzner:h1": 3.0,
                                     "unknown:unknown": 1.0}
    assert list(bill.spend_by_provider) == ["aws", "gcp", "azure", "hetzner", "unknown"]  # largest first
    assert bill.transfer_gb_by_provider == {"aws": 20.0}
    assert bill.transfer_cost_by_provider == {"aws": 2.0}
    assert bill.notes == [
        f"billing {path}: 2 row(s) without a readable cost or charge period were skipped",
        f"billing {path}: ProviderName not mapped to a sovscan provider id, kept as written: (empty), Hetzner",
    ]
    assert set(bill.resources) == {"arn:aws:s3:::b", "//storage.googleapis.com/projects/_/buckets/g",
                                   "/subscriptions/s1/vm"}
    bucket = bill.resources["arn:aws:s3:::b"]
    assert (bucket.cost, bucket.storage_gb, bucket.transfer_gb_per_month) == (16.0, 10.0, 20.0)
    gcs = bill.resources["//storage.googleapis.com/projects/_/buckets/g"]
    # 1 GB-month = 730 GB-hours, held over the 240 hours of the 2026-11 rows.
    assert (gcs.cost, gcs.storage_gb, gcs.transfer_gb_per_month) == (12.0, pytest.approx(730 / 240), None)
    vm = bill.resources["/subscriptions/s1/vm"]
    assert (vm.cost, vm.storage_gb, vm.transfer_gb_per_month) == (8.0, None, None)


def test_focus_export_without_rows_or_with_two_currencies_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text(_FOCUS_HEADER + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"^.*empty\.csv: the billing export holds no row$"):
        read_focus(empty)
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("\n".join((_FOCUS_HEADER, _FOCUS_ROWS[0], _FOCUS_ROWS[0].replace(",EUR,", ",USD,"))) + "\n",
                     encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_focus(mixed)
    assert str(info.value) == f"{mixed}: several billing currencies (EUR, USD); export one currency per file"
    with pytest.raises(InputError) as info:
        read_focus(tmp_path / "missing.csv")
    assert str(info.value) == f"{tmp_path / 'missing.csv'}: no such billing export"
    partial = tmp_path / "partial.csv"
    partial.write_text("BilledCost,ProviderName\n1,AWS\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_focus(partial)
    assert str(info.value) == (f"{partial}: not a FOCUS export: column(s) BillingCurrency, ChargePeriodStart, "
                               "ChargePeriodEnd missing (FOCUS 1.x cost and usage data is expected)")
