"""Questions for management: rows of ``data/questions.yaml`` evaluated by one engine.

The report computes named facts (:func:`facts`); each row asks its question when all its
conditions on those facts hold, and names the facts that fill its message. Messages are msgids of
the gettext catalogues, so the questions read in every language of the report. The legal context
of the reader (``data/legal.yaml``) is loaded and checked here too.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from scanner.errors import SovscanError
from scanner.kb.schema import SPECIAL_CLASSES

if TYPE_CHECKING:
    from scanner.report.i18n import Words
    from scanner.report.quarterly import QuarterlyReport

DATA = Path(__file__).resolve().parent / "data"

_OPS: dict[str, Callable[[Any, Any], bool]] = {">=": operator.ge, ">": operator.gt, "==": operator.eq,
                                                "!=": operator.ne, "<=": operator.le, "<": operator.lt}


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    fact: str
    op: Literal[">=", ">", "==", "!=", "<=", "<"]
    value: float | int | bool | str


class QuestionRule(BaseModel):
    """One row of ``questions.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    priority: int = Field(ge=1, le=3)
    when: list[Condition] = Field(min_length=1)
    count: str | None = None
    params: dict[str, str] = Field(default_factory=dict)
    message: str
    message_plural: str | None = None
    basis: str

    @model_validator(mode="after")
    def _forms(self) -> QuestionRule:
        if (self.count is None) != (self.message_plural is None):
            raise ValueError("a question with a count needs message_plural, and only then")
        return self


class Article(BaseModel):
    """An article of the reader's legal context, with its official text's address."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    citation: str
    url: str = Field(pattern=r"^https://")
    as_of: dt.date
    verified: bool = True
    unverified: str = ""


class LegalContext(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    body: Literal["cse", "betriebsrat"]
    articles: list[Article]


class RowsError(SovscanError):
    """A data file of the report does not match its schema."""


@lru_cache(maxsize=1)
def rules() -> tuple[QuestionRule, ...]:
    path = DATA / "questions.yaml"
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        found = tuple(QuestionRule.model_validate(row) for row in doc["questions"])
    except (ValidationError, KeyError, TypeError) as exc:
        raise RowsError(f"{path}: {exc}") from None
    ids = [r.id for r in found]
    if len(ids) != len(set(ids)):
        raise RowsError(f"{path}: duplicate question ids")
    return found


@lru_cache(maxsize=1)
def legal_contexts() -> dict[str, LegalContext]:
    path = DATA / "legal.yaml"
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        return {c.country: c for c in (LegalContext.model_validate(row) for row in doc["contexts"])}
    except (ValidationError, KeyError, TypeError) as exc:
        raise RowsError(f"{path}: {exc}") from None


@dataclass(frozen=True, slots=True)
class Fact:
    """A named fact of the report: its kind says how it reads in a question."""

    kind: Literal["number", "percent", "points", "apps", "laws", "countries", "providers", "names"]
    value: Any

    @property
    def number(self) -> float:
        if isinstance(self.value, list | tuple):
            return len(self.value)
        return float(self.value) if self.value is not None else 0.0


@dataclass(frozen=True, slots=True)
class Question:
    """A question asked this quarter: the row, and the facts that fill it."""

    rule: QuestionRule
    params: dict[str, Fact]
    count: int | None

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def priority(self) -> int:
        return self.rule.priority


def evaluate(facts: dict[str, Fact]) -> list[Question]:
    """The questions whose conditions hold, by priority (then in the table's order)."""
    out: list[Question] = []
    for rule in rules():
        if not all(c.fact in facts and _OPS[c.op](facts[c.fact].number if not isinstance(c.value, str)
                                                 else facts[c.fact].value, c.value) for c in rule.when):
            continue
        params = {name: facts[fact] for name, fact in rule.params.items()}
        count = int(facts[rule.count].number) if rule.count is not None else None
        out.append(Question(rule, params, count))
    out.sort(key=lambda q: q.priority)
    return out


def render(w: Words, q: Question) -> str:
    """A question in the reader's language, ready for the output format."""
    template = w.ngettext(q.rule.message, q.rule.message_plural, q.count) \
        if q.count is not None and q.rule.message_plural is not None else w._(q.rule.message)
    return w.fill(template, {name: _fact(w, f) for name, f in q.params.items()}, q.count)


def _fact(w: Words, f: Fact) -> str:
    if f.kind == "number":
        return w.integer(int(f.value))
    if f.kind == "percent":
        return w.pct(float(f.value))
    if f.kind == "points":
        return w.num(f.value, 0)
    if f.kind == "apps":
        return w.few([w.quoted(a) for a in f.value], 4)
    if f.kind == "laws":
        return w.own(w.few([w.law_short(law) for law in f.value], 3))
    if f.kind == "countries":
        return w.own(w.few([w.country(c) for c in f.value], 5))
    if f.kind == "providers":
        return w.own(w.few([w.provider(p) for p in f.value], 3))
    return w.own(w.few([str(v) for v in f.value], 3))


# --------------------------------------------------------------------------- the report's facts


def facts(rep: QuarterlyReport) -> dict[str, Fact]:
    """Every fact the question rows may test or show."""
    reachable = [v for v in rep.apps if v.reachable]
    health = [v for v in reachable if SPECIAL_CLASSES & set(v.sensitive_classes)]
    employee = [v for v in reachable if "employee" in v.sensitive_classes]

    def laws_of(views: list[Any]) -> list[str]:
        counted: Counter[str] = Counter()
        for v in views:
            tiers = v.acc.laws_by_tier()
            counted.update(dict.fromkeys([*tiers["control"], *tiers["location"]], 1))
        return [law for law, _ in counted.most_common() if not law.startswith("unlisted-law:")]

    def providers_of(views: list[Any]) -> list[str]:
        counted: Counter[str] = Counter()
        for v in views:
            counted.update(v.acc.providers)
        return [p for p, _ in counted.most_common()]

    ind = rep.indicators
    keys = ind.keys
    transfer = [c.code for c in rep.countries if c.group != "eea" and c.sensitive]
    out: dict[str, Fact] = {
        "health_apps": Fact("number", len(health)), "health_app_names": Fact("apps", [v.name for v in health]),
        "health_laws": Fact("laws", laws_of(health)), "health_providers": Fact("providers", providers_of(health)),
        "employee_apps": Fact("number", len(employee)),
        "employee_app_names": Fact("apps", [v.name for v in employee]),
        "employee_laws": Fact("laws", laws_of(employee)),
        "keys_unknown": Fact("number", keys.get("unknown", 0)),
        "keys_provider_usable": Fact("number", keys.get("provider-managed", 0) + keys.get("customer-managed", 0)),
        "transfer_countries_count": Fact("number", len(transfer)), "transfer_countries": Fact("countries", transfer),
        "residual_apps": Fact("number", ind.apps_residual_only),
        "reachable_apps": Fact("number", len(reachable)),
        "reachable_effort": Fact("points", sum(v.acc.effort for v in reachable)),
        "unverified_facts": Fact("number", len(rep.unverified)),
        "unknown_location": Fact("number", int(rep.coverage.get("unknown_location", 0))),
        "incomplete": Fact("number", int(rep.coverage.get("unmapped_resources", 0))
                           + int(rep.coverage.get("warnings_count", 0))),
    }
    top = rep.providers[0] if rep.providers else None
    out["top_share"] = Fact("percent", top.share_pct if top else 0.0)
    out["top_provider"] = Fact("providers", [top.id] if top else [])
    with_alts = next((v for v in reachable if v.alternatives), None)
    out["alternative_app_count"] = Fact("number", 1 if with_alts else 0)
    out["alternative_app"] = Fact("apps", [with_alts.name] if with_alts else [])
    out["alternative_names"] = Fact("names", [rep.alternative_name(a) for a in with_alts.alternatives[:3]]
                                    if with_alts else [])
    ch = rep.changes
    abroad = ch.of_kind("copy-abroad-new") if ch is not None else []
    out["new_abroad_apps"] = Fact("number", len(abroad))
    out["new_abroad_names"] = Fact("apps", [e.name for e in abroad])
    countries = list(dict.fromkeys(c for e in abroad for c in e.params["countries"]))
    out["new_abroad_countries"] = Fact("countries", countries)
    entered = [s for s in (ch.reconciliations["apps_reachable"].steps if ch is not None else ()) if s.sign > 0]
    names = {v.id: v.name for v in rep.apps}
    newly = [names.get(a, a) for s in entered for a in s.items]
    out["newly_reachable_apps"] = Fact("number", len(newly))
    out["newly_reachable_names"] = Fact("apps", newly)
    return out
