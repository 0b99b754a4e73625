"""FOCUS billing exports in: real spend, stored volumes and data transfer per provider and resource.

Reads cost and usage exports in the FinOps Open Cost and Usage Specification (FOCUS 1.x) as AWS
Data Exports, Azure Cost Management and the Google Cloud FOCUS view write them: CSV (optionally
gzip-compressed) or Parquet (the ``sovscan[billing]`` extra, pyarrow). Only the FOCUS columns are
read: ``BilledCost``, ``EffectiveCost``, ``BillingCurrency``, ``BillingPeriodStart``,
``ChargePeriodStart``/``ChargePeriodEnd``, ``ChargeCategory``, ``ProviderName``, ``ServiceName``,
``ServiceCategory``, ``RegionId``, ``SubAccountId``, ``ResourceId``, ``ConsumedQuantity`` and
``ConsumedUnit``; every other column is ignored.

What it gives the rest of sovscan, through :class:`Billing`:

* spend per provider, service, region and sub-account (``EffectiveCost``, else ``BilledCost``, of
  usage and purchase rows; taxes, credits and adjustments apart), and its annualised total per
  provider for the DORA register's annual expense;
* per resource (where the export carries ``ResourceId``): the stored volume, from storage rows
  metered in data size × time (``GB-Months``, ``GiB-Hours``…; the volume is the quantity divided by
  the length of the charge period), and the data transferred per month, from networking rows
  metered in data size (``GB``);
* per provider, the observed price of transferred data (cost ÷ gigabytes), used as the egress
  price of the plan instead of the published first tier.

Resources are matched by id, case-insensitively (ARNs, lower-cased Azure ids, Google full resource
names with or without the ``//service/`` prefix). Rows that cannot be read are counted and named
in :attr:`Billing.notes`, never silently dropped.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.errors import InputError, MissingExtraError

if TYPE_CHECKING:
    from scanner.inventory import Inventory

#: FOCUS columns without which an export cannot be used.
REQUIRED = ("BilledCost", "BillingCurrency", "ProviderName", "ChargePeriodStart", "ChargePeriodEnd")

#: ``ProviderName`` as the three clouds write it in their FOCUS exports → sovscan provider id.
PROVIDER_NAMES = {"aws": "aws", "amazon web services": "aws", "microsoft": "azure", "azure": "azure",
                  "microsoft azure": "azure", "google cloud": "gcp", "google cloud platform": "gcp",
                  "google": "gcp", "gcp": "gcp", "oracle": "oci", "oracle cloud infrastructure": "oci",
                  "ovhcloud": "ovhcloud", "scaleway": "scaleway", "ibm cloud": "ibm", "alibaba cloud": "alibaba"}

#: Data-size units of the FOCUS unit format, in decimal gigabytes.
_SIZE = {"b": 1e-9 / 8, "kb": 1e-9 * 1000 / 8, "mb": 1e-3 / 8, "gb": 1 / 8, "tb": 1000 / 8, "pb": 1e6 / 8,
         "B": 1e-9, "KB": 1e-6, "MB": 1e-3, "GB": 1.0, "TB": 1e3, "PB": 1e6,
         "KiB": 1024 / 1e9, "MiB": 1024**2 / 1e9, "GiB": 1024**3 / 1e9, "TiB": 1024**4 / 1e9, "PiB": 1024**5 / 1e9}
_TIME_HOURS = {"hour": 1.0, "hours": 1.0, "day": 24.0, "days": 24.0, "month": None, "months": None}
_UNIT = re.compile(r"^\s*(?P<size>[KMGTP]i?B|B|[kmgtp]?b)(?:\s*-\s*(?P<time>[A-Za-z]+))?\s*$")
#: Hours in a month as the clouds meter GB-Months (8,760 hours a year / 12).
HOURS_PER_MONTH = 730.0
_SPEND_CATEGORIES = frozenset({"usage", "purchase", ""})
_STORAGE = "storage"
_NETWORK = "networking"


@dataclass
class ResourceUsage:
    """What the export says about one resource."""

    cost: float = 0.0
    storage_gb: float | None = None  # average stored volume over the latest billing period
    transfer_gb_per_month: float | None = None  # data transferred, per month on average
    _storage: dict[str, list[float]] = field(default_factory=dict, repr=False)  # period → [GB-h, start, end]
    _transfer: dict[str, float] = field(default_factory=dict, repr=False)  # billing period → GB


@dataclass
class Billing:
    """A FOCUS export, summarised: the small typed interface the scan and the plan read."""

    path: str
    currency: str
    period_start: dt.date | None
    period_end: dt.date | None
    rows: int
    spend_by_provider: dict[str, float]
    spend_by_service: dict[str, float]
    spend_by_region: dict[str, float]
    spend_by_account: dict[str, float]
    resources: dict[str, ResourceUsage]
    transfer_gb_by_provider: dict[str, float]
    transfer_cost_by_provider: dict[str, float]
    notes: list[str] = field(default_factory=list)

    @property
    def days(self) -> float:
        """Days covered by the export's charge periods (at least one)."""
        if self.period_start is None or self.period_end is None:
            return 1.0
        return max(1.0, float((self.period_end - self.period_start).days))

    def annual_spend(self, provider: str) -> float | None:
        """The provider's spend extrapolated to a year (DORA register, B_05.01 c0100), or None."""
        spend = self.spend_by_provider.get(provider)
        if spend is None:
            return None
        return round(spend * 365.0 / self.days, 2)

    def spend_shares(self) -> dict[str, float]:
        """Each provider's share of the spend (0..1), largest first."""
        total = sum(v for v in self.spend_by_provider.values() if v > 0)
        if not total:
            return {}
        shares = {p: round(max(v, 0.0) / total, 4) for p, v in self.spend_by_provider.items()}
        return dict(sorted(shares.items(), key=lambda kv: (-kv[1], kv[0])))

    def egress_price(self, provider: str) -> float | None:
        """The observed price per transferred gigabyte (billing currency), or None."""
        gb = self.transfer_gb_by_provider.get(provider, 0.0)
        cost = self.transfer_cost_by_provider.get(provider)
        if not gb or cost is None:
            return None
        return cost / gb

    def usage(self, resource_id: str) -> ResourceUsage | None:
        return self.resources.get(normalise_id(resource_id))

    def apply(self, inventory: Inventory) -> list[str]:
        """Give resources whose size the inventory does not know the stored volume the export shows.

        Returns the coverage notes (what was applied, and what matched nothing)."""
        applied = 0
        matched: set[str] = set()
        for rid, res in list(inventory.resources.items()):
            use = self.resources.get(normalise_id(rid))
            if use is None:
                continue
            matched.add(normalise_id(rid))
            if res.size_gb is None and use.storage_gb is not None:
                attributes = {**res.attributes, "size_source": f"billing:{self.path}"}
                inventory.resources[rid] = replace(res, size_gb=round(use.storage_gb, 3), attributes=attributes)
                applied += 1
        notes = list(self.notes)
        notes.append(f"billing {self.path}: {applied} resource size(s) taken from stored volumes; "
                     f"{len(matched)} of {len(self.resources)} billed resource id(s) found in the inventory")
        return notes


def normalise_id(resource_id: str) -> str:
    """The key resources are matched by: lower case, Google's ``//service.googleapis.com/`` kept."""
    return resource_id.strip().lower()


def _size_factor(unit: str) -> tuple[float, float | None, bool] | None:
    """(GB per unit, hours per time unit or None for months, has a time part), or None when not a size."""
    m = _UNIT.match(unit or "")
    if m is None:
        return None
    size = _SIZE.get(m.group("size"))
    if size is None:
        return None
    time = m.group("time")
    if time is None:
        return size, None, False
    key = time.lower()
    if key not in _TIME_HOURS:
        return None
    return size, _TIME_HOURS[key], True


def _date(value: str) -> dt.datetime | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _float(value: object) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(str(value))
    except ValueError:
        return None


def _rows(path: Path) -> Iterator[Mapping[str, object]]:
    name = path.name.lower()
    if name.endswith(".parquet"):
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise MissingExtraError(f"{path}: reading Parquet needs pyarrow: pip install 'sovscan[billing]'") from None
        try:
            table = pq.read_table(path)
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
        for batch in table.to_batches():
            yield from batch.to_pylist()
        return
    opener = gzip.open if name.endswith(".gz") else open
    try:
        with opener(path, "rb") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            yield from csv.DictReader(text)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc})") from None


def read_focus(path: Path) -> Billing:
    """Read and summarise a FOCUS export (CSV, CSV.gz or Parquet)."""
    if not path.is_file():
        raise InputError(f"{path}: no such billing export")
    summary = _FocusSummary()
    for n, row in enumerate(_rows(path), start=1):
        if n == 1:
            _check_columns(path, row)
        summary.add(row)
    if summary.rows == 0:
        raise InputError(f"{path}: the billing export holds no row")
    return summary.billing(path)


def _check_columns(path: Path, row: Mapping[str, object]) -> None:
    """Refuse an export whose first row lacks a column of :data:`REQUIRED`."""
    missing = [c for c in REQUIRED if c not in row]
    if missing:
        raise InputError(f"{path}: not a FOCUS export: column(s) {', '.join(missing)} missing "
                         "(FOCUS 1.x cost and usage data is expected)")


def _provider_id(raw: str) -> tuple[str, bool]:
    """The sovscan provider id for a ``ProviderName``, and whether it was mapped (else kept as written)."""
    provider = PROVIDER_NAMES.get(raw.lower())
    if provider is None:
        return raw.lower() or "unknown", False
    return provider, True


def _rounded(values: Mapping[str, float]) -> dict[str, float]:
    """Amounts rounded to cents, largest first."""
    return {k: round(v, 2) for k, v in sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))}


@dataclass
class _FocusSummary:
    """Running totals of a FOCUS export while its rows are read, turned into :class:`Billing` at the end."""

    rows: int = 0
    spend: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    by_service: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    by_region: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    by_account: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    resources: dict[str, ResourceUsage] = field(default_factory=lambda: defaultdict(ResourceUsage))
    transfer_gb: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    transfer_cost: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    currencies: set[str] = field(default_factory=set)
    unknown_providers: set[str] = field(default_factory=set)
    unreadable: int = 0
    start: dt.datetime | None = None
    end: dt.datetime | None = None

    def add(self, row: Mapping[str, object]) -> None:
        """Count one row: its period, currency and provider always; spend and volumes for usage and purchases."""
        self.rows += 1
        cost = _float(row.get("EffectiveCost"))
        if cost is None:
            cost = _float(row.get("BilledCost"))
        charge_start = _date(str(row.get("ChargePeriodStart") or ""))
        charge_end = _date(str(row.get("ChargePeriodEnd") or ""))
        if cost is None or charge_start is None or charge_end is None:
            self.unreadable += 1
            return
        self.start = charge_start if self.start is None else min(self.start, charge_start)
        self.end = charge_end if self.end is None else max(self.end, charge_end)
        self.currencies.add(str(row.get("BillingCurrency") or ""))
        raw_provider = str(row.get("ProviderName") or "").strip()
        provider, mapped = _provider_id(raw_provider)
        if not mapped:
            self.unknown_providers.add(raw_provider or "(empty)")
        category = str(row.get("ChargeCategory") or "").strip().lower()
        if category not in _SPEND_CATEGORIES:
            return  # taxes, credits and adjustments are not the price of a service
        self.spend[provider] += cost
        self.by_service[f"{provider}:{row.get('ServiceName') or 'unknown'}"] += cost
        self.by_region[f"{provider}:{row.get('RegionId') or 'global'}"] += cost
        self.by_account[f"{provider}:{row.get('SubAccountId') or 'unknown'}"] += cost
        rid = str(row.get("ResourceId") or "").strip()
        use = self.resources[normalise_id(rid)] if rid else None
        if use is not None:
            use.cost += cost
        self._add_volume(row, provider, cost, use, charge_start, charge_end)

    def _add_volume(self, row: Mapping[str, object], provider: str, cost: float, use: ResourceUsage | None,
                    charge_start: dt.datetime, charge_end: dt.datetime) -> None:
        """Storage rows metered in size × time add to a resource's volume; networking rows in size, to transfer."""
        quantity = _float(row.get("ConsumedQuantity"))
        factor = _size_factor(str(row.get("ConsumedUnit") or ""))
        if quantity is None or factor is None:
            return
        per_unit, hours, timed = factor
        service_category = str(row.get("ServiceCategory") or "").strip().lower()
        period = str(row.get("BillingPeriodStart") or charge_start.date().isoformat())[:10]
        if timed and service_category == _STORAGE and use is not None:
            # Everything in GB-hours; the volume is the GB-hours of a billing period divided by the
            # hours its rows span (daily or monthly rows alike). A month is 730 hours (8,760 / 12).
            gb_hours = quantity * per_unit * (HOURS_PER_MONTH if hours is None else hours)
            held = use._storage.get(period)
            if held is None:
                use._storage[period] = [gb_hours, charge_start.timestamp(), charge_end.timestamp()]
            else:
                held[0] += gb_hours
                held[1] = min(held[1], charge_start.timestamp())
                held[2] = max(held[2], charge_end.timestamp())
        elif not timed and service_category == _NETWORK:
            gb = quantity * per_unit
            self.transfer_gb[provider] += gb
            self.transfer_cost[provider] += cost
            if use is not None:
                use._transfer[period] = use._transfer.get(period, 0.0) + gb

    def _settle_resources(self) -> None:
        """Each resource's volume (latest billing period) and monthly transfer, from the rows added."""
        for use in self.resources.values():
            if use._storage:
                gb_hours, first, last = use._storage[max(use._storage)]
                use.storage_gb = gb_hours / max((last - first) / 3600.0, 1.0)
            if use._transfer:
                use.transfer_gb_per_month = sum(use._transfer.values()) / len(use._transfer)

    def _notes(self, path: Path) -> list[str]:
        notes: list[str] = []
        if self.unreadable:
            notes.append(f"billing {path}: {self.unreadable} row(s) without a readable cost or charge period "
                         "were skipped")
        if self.unknown_providers:
            notes.append(f"billing {path}: ProviderName not mapped to a sovscan provider id, kept as written: "
                         f"{', '.join(sorted(self.unknown_providers))}")
        return notes

    def billing(self, path: Path) -> Billing:
        """The summary of the export; several billing currencies are refused."""
        self._settle_resources()
        currencies = self.currencies - {""}
        if len(currencies) > 1:
            raise InputError(f"{path}: several billing currencies ({', '.join(sorted(currencies))}); "
                             "export one currency per file")
        return Billing(
            path=str(path), currency=next(iter(currencies), ""),
            period_start=self.start.date() if self.start else None,
            period_end=self.end.date() if self.end else None, rows=self.rows,
            spend_by_provider=_rounded(self.spend), spend_by_service=_rounded(self.by_service),
            spend_by_region=_rounded(self.by_region), spend_by_account=_rounded(self.by_account),
            resources=dict(self.resources),
            transfer_gb_by_provider={k: round(v, 3) for k, v in self.transfer_gb.items()},
            transfer_cost_by_provider={k: round(v, 2) for k, v in self.transfer_cost.items()}, notes=self._notes(path))
