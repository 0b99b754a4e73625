"""Egress cost and transfer time of moving data off a provider.

Egress is priced at the provider's published first paid tier (``egress_prices.yaml``), applied to
every gigabyte moved: an upper bound, since the free monthly allowance is shared with normal traffic
and higher tiers are cheaper. The EU Data Act (Regulation (EU) 2023/2854, Art. 29(1)-(3)) lets a
provider charge reduced switching charges only until 2027-01-12 and none from that date; data egress
for a switch is a switching charge, so exits dated on or after 2027-01-12 cost nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scanner.billing import Billing
from scanner.kb.loader import KnowledgeBase

#: Regulation (EU) 2023/2854 Art. 29(1): from this date no switching charges may be imposed.
DATA_ACT_NO_SWITCHING_CHARGES = dt.date(2027, 1, 12)
GB_PER_GIB = 1.073741824


@dataclass(frozen=True, slots=True)
class Egress:
    """The egress cost of some gigabytes leaving one provider."""

    list_eur: float | None  # at the published price, whatever the date
    due_eur: float | None  # what may be charged on the exit date (0 under Data Act Art. 29 after 2027-01-12)
    price_source: str | None


class EgressPricer:
    """Prices per provider, converted to euros once."""

    def __init__(self, kb: KnowledgeBase, exit_date: dt.date, usd_per_eur: float | None = None,
                 billing: Billing | None = None):
        self.exit_date = exit_date
        self.data_act_applies = exit_date >= DATA_ACT_NO_SWITCHING_CHARGES
        self._eur_per_gb: dict[str, tuple[float, str]] = {}
        for provider, price in kb.egress_prices.items():
            per_gb = price.price_per_unit / (GB_PER_GIB if price.unit == "GiB" else 1.0)
            if price.currency != "EUR":
                rate = usd_per_eur or kb.exchange_rates[price.currency].per_eur
                per_gb /= rate
            self._eur_per_gb[provider] = (per_gb, price.source)
        # A FOCUS export that bills transferred data gives the price this organisation really pays.
        if billing is not None and billing.currency in ("EUR", "USD"):
            for provider in billing.transfer_gb_by_provider:
                paid = billing.egress_price(provider)
                if paid is None:
                    continue
                observed: float = paid
                if billing.currency == "USD":
                    usd = usd_per_eur or (kb.exchange_rates["USD"].per_eur if "USD" in kb.exchange_rates else None)
                    if usd is None:
                        continue
                    observed /= usd
                self._eur_per_gb[provider] = (observed, f"billing:{billing.path} (observed transfer price)")

    def eur_per_gb(self, provider: str) -> float | None:
        found = self._eur_per_gb.get(provider)
        return found[0] if found else None

    def cost(self, provider: str, data_gb: float) -> Egress:
        found = self._eur_per_gb.get(provider)
        if data_gb <= 0:
            return Egress(0.0, 0.0, found[1] if found else None)
        if found is None:
            return Egress(None, 0.0 if self.data_act_applies else None, None)
        list_eur = round(data_gb * found[0], 2)
        return Egress(list_eur, 0.0 if self.data_act_applies else list_eur, found[1])


def transfer_hours(data_gb: float, bandwidth_mbps: float) -> float:
    """Hours to send ``data_gb`` (decimal gigabytes) at ``bandwidth_mbps`` megabits per second."""
    if data_gb <= 0:
        return 0.0
    return round(data_gb * 8000.0 / bandwidth_mbps / 3600.0, 2)
