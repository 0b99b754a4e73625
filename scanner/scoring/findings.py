"""Findings: the rows of ``findings.yaml`` evaluated by one engine, once per placement profile.

A rule holds when every condition it states holds for the profile (data-bearing service, data
classes of a group, how foreign laws reach it, key control, whether its place is known) and, for
rules evaluated per location, for one of the countries holding a copy. A finding whose reach rests
only on unverified knowledge-base facts is capped at ``medium``: an unverified fact never alone
raises a finding to high or critical. Messages are msgids of the gettext catalogues, filled at
rendering time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scanner.kb.loader import KnowledgeBase
from scanner.kb.schema import SENSITIVE_CLASSES, SPECIAL_CLASSES, FindingCondition, FindingRule
from scanner.result import FindingTemplate, LawHit

SEVERITY_ORDER = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
#: The highest severity a finding may have when every fact behind its reach is unverified.
UNVERIFIED_CAP = "medium"


@dataclass(frozen=True, slots=True)
class Subject:
    """What the rules look at: one profile's conclusions, before a resource is named."""

    classes: tuple[str, ...]
    data_bearing: bool
    holds_keys: bool  # a key-management resource: it opens the data rather than holding it
    hits: Sequence[LawHit]
    locations: tuple[str, ...]
    key_control: str
    region_known: bool


class FindingEngine:
    """Evaluates the findings table for one knowledge base and home country."""

    def __init__(self, kb: KnowledgeBase, home: str):
        self.kb = kb
        home_country = kb.countries.get(home)
        self.home_in_eea = bool(home_country is not None and home_country.eea)
        self.groups: dict[str, frozenset[str]] = {"special": SPECIAL_CLASSES, "sensitive": SENSITIVE_CLASSES,
                                                  "transfer": frozenset(kb.w.transfer_classes)}

    def evaluate(self, s: Subject) -> tuple[FindingTemplate, ...]:
        out: list[FindingTemplate] = []
        fired: set[str] = set()
        scored = [h for h in s.hits if h.counts]
        residual = [h for h in s.hits if h.residual]
        for rule in self.kb.finding_rules:
            if fired.intersection(rule.unless):
                continue
            cond = rule.when
            matched = self._classes(cond, s)
            if matched is None or not self._holds(cond, s, scored, residual):
                continue
            laws = scored if cond.reach == "scored" else residual
            verified = any(h.verified for h in laws) if cond.reach is not None else True
            params = {"classes": "/".join(sorted(matched)), "laws": _laws_text(laws),
                      "key_control": s.key_control.replace("-", " ")}
            message = rule.message_keys if s.holds_keys and rule.message_keys else rule.message
            before = len(out)
            if rule.for_each == "location":
                for country, note in self._locations(cond, s):
                    out.append(self._finding(rule, message, {**params, "country": country, "note": note},
                                             f":{country}", verified))
            else:
                out.append(self._finding(rule, message, params, "", verified))
            if len(out) > before:
                fired.add(rule.rule)
        return tuple(out)

    def _classes(self, cond: FindingCondition, s: Subject) -> frozenset[str] | None:
        """The subject's classes in the rule's group (None when the rule needs a group and none match)."""
        if cond.classes is None:
            return frozenset()
        matched = self.groups[cond.classes].intersection(s.classes)
        return matched or None

    def _holds(self, cond: FindingCondition, s: Subject, scored: list[LawHit], residual: list[LawHit]) -> bool:
        if cond.data_bearing is not None and cond.data_bearing != s.data_bearing:
            return False
        if cond.reach == "scored" and not scored:
            return False
        if cond.reach == "residual-only" and (scored or not residual):
            return False
        if cond.key_control is not None and s.key_control not in cond.key_control:
            return False
        if cond.region_known is not None and cond.region_known != s.region_known:
            return False
        return cond.home_in_eea is None or cond.home_in_eea == self.home_in_eea

    def _locations(self, cond: FindingCondition, s: Subject) -> list[tuple[str, str]]:
        """Countries holding a copy that meet the rule's per-location conditions, with the adequacy note."""
        found: list[tuple[str, str]] = []
        for code in s.locations:
            country = self.kb.countries.get(code)
            if country is None:
                continue
            if cond.outside_eea is not None and cond.outside_eea == country.eea:
                continue
            adequacy = country.adequacy.scope if country.adequacy is not None else "none"
            if cond.adequacy is not None and cond.adequacy != adequacy:
                continue
            found.append((code, country.adequacy.note if country.adequacy is not None else ""))
        return found

    @staticmethod
    def _finding(rule: FindingRule, message: str, params: dict[str, str], suffix: str,
                 verified: bool) -> FindingTemplate:
        severity: str = rule.severity
        if not verified and SEVERITY_ORDER[severity] > SEVERITY_ORDER[UNVERIFIED_CAP]:
            severity = UNVERIFIED_CAP
        return FindingTemplate(rule.rule, severity, message, tuple(sorted(params.items())), suffix)


def _laws_text(hits: Sequence[LawHit]) -> str:
    names = list(dict.fromkeys(h.law for h in hits))  # strongest first (hits are sorted by weight)
    return ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
