"""Findings: the worst combinations, named, one engine over rows of conditions.

Rules (ids are stable, used in outputs and tests):

- ``health-data-foreign-law`` (critical): health or genetic data reachable by a foreign law.
- ``sensitive-data-foreign-law`` (high): employee, personal or financial data reachable by a
  foreign law.
- ``transfer-outside-eea`` (high): for an EU/EEA organisation, a copy of personal data in a country
  outside the EU/EEA with no adequacy decision (GDPR Chapter V); (medium) when adequacy is partial
  (e.g. the US under the Data Privacy Framework, which covers certified organisations only).
- ``provider-held-keys`` (medium): sensitive data reachable by a foreign law whose encryption
  keys the provider holds or can use.
- ``unknown-location`` (low): a data-bearing resource whose location the inventory does not show.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.kb.loader import KnowledgeBase
from scanner.scoring.exposure import LawHit

HEALTH = {"health", "genetic-biometric"}
SENSITIVE = {"employee", "personal", "financial"}
SEVERITY_ORDER = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


#: Placeholder for the resource name in a finding template (names may contain any character).
NAME = "\x00name\x00"


@dataclass(frozen=True, slots=True)
class FindingTemplate:
    """A finding as the rules conclude it for one placement profile, before a resource is named."""

    rule: str
    severity: str
    template: str  # message with NAME where the resource name goes
    suffix: str = ""  # distinguishes several findings of one rule on one resource (e.g. per country)


@dataclass(frozen=True, slots=True)
class Finding:
    """A finding on one resource. Message and id are derived, so a million findings stay small."""

    severity: str
    rule: str
    resource: str
    name: str
    template: FindingTemplate

    @property
    def id(self) -> str:
        return f"{self.rule}:{self.resource}{self.template.suffix}"

    @property
    def message(self) -> str:
        return self.template.template.replace(NAME, self.name)


def _laws_text(hits: list[LawHit]) -> str:
    names = list(dict.fromkeys(h.law for h in hits))  # strongest first (hits are sorted by weight)
    return ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")


def finding_templates(kb: KnowledgeBase, home: str, classes: tuple[str, ...], data_bearing: bool,
                      hits: list[LawHit], locations: tuple[str, ...], key_control: str,
                      region_known: bool, category: str | None = None) -> tuple[FindingTemplate, ...]:
    """The findings that apply to every resource of one profile (placement, classes, keys)."""
    # A key does not hold the records, it opens them: say so rather than "holds health data".
    holds = "holds the keys to" if category == "key-management" else "holds"
    out: list[FindingTemplate] = []
    foreign = [h for h in hits if h.foreign and h.weight > 0]
    cls = set(classes)
    name = NAME

    def add(rule: str, severity: str, message: str, suffix: str = "") -> None:
        out.append(FindingTemplate(rule, severity, message, suffix))

    if foreign and data_bearing and cls & HEALTH:
        add("health-data-foreign-law", "critical",
            f"{name} {holds} {'/'.join(sorted(cls & HEALTH))} data, reachable by {_laws_text(foreign)}")
    elif foreign and data_bearing and cls & SENSITIVE:
        add("sensitive-data-foreign-law", "high",
            f"{name} {holds} {'/'.join(sorted(cls & SENSITIVE))} data, reachable by {_laws_text(foreign)}")
    home_country = kb.countries.get(home)
    if data_bearing and home_country is not None and home_country.eea and cls & set(kb.w.transfer_classes):
        for code in locations:
            country = kb.countries.get(code)
            if country is None or country.eea:
                continue
            if country.adequacy is None:
                add("transfer-outside-eea", "high",
                    f"a copy of {name} is in {code}, outside the EU/EEA, with no adequacy decision", f":{code}")
            elif country.adequacy.scope == "partial":
                note = f": {country.adequacy.note}" if country.adequacy.note else ""
                add("transfer-outside-eea", "medium",
                    f"a copy of {name} is in {code}, outside the EU/EEA, where EU adequacy is only "
                    f"partial{note}", f":{code}")
    provider_usable = key_control in ("provider-managed", "customer-managed", "unknown")
    if foreign and data_bearing and cls & (HEALTH | SENSITIVE) and provider_usable:
        add("provider-held-keys", "medium",
            f"{name}: the encryption keys are {key_control.replace('-', ' ')}; the provider can be "
            "compelled to decrypt")
    if data_bearing and not region_known:
        add("unknown-location", "low", f"the inventory does not show where {name} is stored")
    return tuple(out)
