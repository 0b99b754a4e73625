"""The quarterly works-council report's data: current state, change since last quarter, trends.

Everything here is language-neutral: numbers, ids and knowledge-base records. The words come from
the templates (``templates/quarterly.*.j2``) through the gettext catalogues in ``scanner/locale``,
so the same :class:`QuarterlyReport` renders in English or French, as HTML, PDF or Markdown.

How the quarters are chosen: the *current* snapshot is the latest stored one whose as-of date
falls in the requested quarter (or a scan made now); the *previous* one is the latest snapshot of
the quarter before. The trend has one point per stored quarter (its latest snapshot), up to the
current quarter. Comparisons are made resource by resource on ids, so both snapshots are brought
to the same form first: when either is pseudonymised, both are (the pseudonyms are keyed and
stable, so a resource keeps its pseudonym across quarters).

Questions for management are rows (an id and its numbers) derived from the findings; their
wording lives in the catalogues.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.errors import InputError, UsageError
from scanner.history import (
    HistoryError,
    SnapResource,
    Snapshot,
    SnapshotInfo,
    list_snapshots,
    load,
    snapshot_of,
)
from scanner.kb.loader import KnowledgeBase
from scanner.kb.schema import SENSITIVE_CLASSES
from scanner.kb.schema import SPECIAL_CLASSES as HEALTH
from scanner.pseudonym import Pseudonymizer
from scanner.result import UNLISTED, ScanResult

#: Key controls under which the provider can decrypt when compelled (see the findings rules).
PROVIDER_USABLE_KEYS = frozenset({"provider-managed", "customer-managed", "unknown"})
LEVELS = ("none", "low", "medium", "high", "critical")
_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")


# --------------------------------------------------------------------------- quarters


@dataclass(frozen=True, order=True, slots=True)
class Quarter:
    """A calendar quarter, written ``2026-Q4``."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = _QUARTER.match(text)
        if match is None:
            raise UsageError(f"{text!r}: expected a quarter such as 2026-Q4")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: dt.date | str) -> Quarter:
        date = dt.date.fromisoformat(day) if isinstance(day, str) else day
        return cls(date.year, (date.month - 1) // 3 + 1)

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> dt.date:
        nxt = self.next()
        return nxt.start - dt.timedelta(days=1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def __contains__(self, day: object) -> bool:
        if isinstance(day, str):
            day = dt.date.fromisoformat(day)
        return isinstance(day, dt.date) and self.start <= day <= self.end

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"


def latest_per_quarter(infos: Iterable[SnapshotInfo]) -> dict[Quarter, SnapshotInfo]:
    """The latest snapshot of each quarter, in quarter order."""
    best: dict[Quarter, SnapshotInfo] = {}
    for info in infos:
        q = Quarter.of(info.as_of)
        if q not in best or (info.as_of, info.id) > (best[q].as_of, best[q].id):
            best[q] = info
    return dict(sorted(best.items()))


# --------------------------------------------------------------------------- report rows


@dataclass(frozen=True, slots=True)
class Headline:
    """The few numbers on the first page."""

    resources: int
    exposed: int
    exposed_pct: float
    sensitive: int
    sensitive_exposed: int
    health_exposed: int
    employee_exposed: int
    exposure_score: float
    exposure_level: str
    lockin_score: float | None
    lockin_level: str
    top_provider: str | None
    top_share_pct: float
    effort: int
    data_gb: float
    foreign_laws: int
    countries: int
    countries_outside_eea: int
    flows_outside_eea: int
    provider_held_keys: int
    findings: dict[str, int]


@dataclass(frozen=True, slots=True)
class LawRow:
    id: str
    name: str
    jurisdiction: str
    resources: int
    sensitive: int
    health: int
    citation: str
    summary: dict[str, str]  # lang → text
    source: str
    as_of: str
    unlisted_countries: tuple[str, ...] = ()  # for the row grouping copies in countries with no law record


@dataclass(frozen=True, slots=True)
class ProviderRow:
    id: str
    name: str
    kind: str
    controller_country: str | None
    resources: int
    share_pct: float
    exposed: int
    sensitive_exposed: int
    mean_exposure: float
    mean_lockin: float | None
    effort: int


@dataclass(frozen=True, slots=True)
class CountryRow:
    code: str
    name: dict[str, str]
    resources: int
    sensitive: int
    eea: bool


@dataclass(frozen=True, slots=True)
class ClassRow:
    data_class: str
    resources: int
    reachable: int
    sensitive: bool


@dataclass(frozen=True, slots=True)
class FlowRow:
    source: str  # name (or pseudonym) of the source resource
    target: str
    kind: str
    target_region: str | None
    countries: tuple[str, ...]  # target countries outside the EU/EEA
    classes: tuple[str, ...]
    evidence: str


@dataclass(frozen=True, slots=True)
class AlternativeRow:
    id: str
    name: str
    provider: str | None  # provider name, None for software run by oneself
    kind: str
    certifications: tuple[str, ...]  # scheme names
    url: str


@dataclass(frozen=True, slots=True)
class WorkloadRow:
    """One service in use that holds exposed data, and what could replace it."""

    provider: str
    service: str
    resources: int
    sensitive: int
    max_exposure: float
    level: str
    classes: tuple[str, ...]
    laws: tuple[str, ...]
    effort: int | None
    alternatives: tuple[AlternativeRow, ...]


@dataclass(frozen=True, slots=True)
class ResourceChange:
    id: str
    name: str
    provider: str
    service: str | None
    classes: tuple[str, ...]
    before: str | None  # exposure level before (None: did not exist)
    after: str | None  # exposure level now (None: removed)
    laws: tuple[str, ...] = ()  # laws gained (became reachable) or lost (stopped being)


@dataclass(frozen=True, slots=True)
class ShareChange:
    provider: str
    name: str
    before_pct: float
    after_pct: float
    before: int
    after: int

    @property
    def delta_pct(self) -> float:
        return round(self.after_pct - self.before_pct, 1)


@dataclass
class Changes:
    """What changed since the previous quarter's snapshot."""

    previous: SnapshotInfo
    new: list[ResourceChange]
    removed: list[ResourceChange]
    level_up: list[ResourceChange]
    level_down: list[ResourceChange]
    became_reachable: list[ResourceChange]
    stopped_reachable: list[ResourceChange]
    shares: list[ShareChange]
    deltas: dict[str, tuple[float | None, float | None]]
    kb_changed: bool


@dataclass(frozen=True, slots=True)
class TrendPoint:
    quarter: str
    as_of: str
    resources: int
    exposed: int
    sensitive_exposed: int
    exposure_score: float
    lockin_score: float | None
    effort: int


@dataclass(frozen=True, slots=True)
class Question:
    """A question for management: ``id`` selects the wording in the catalogues, ``params`` fill it."""

    id: str
    priority: int  # 1 = ask first
    params: dict[str, Any]


@dataclass
class QuarterlyReport:
    organization: str
    quarter: Quarter
    home_country: str
    home_in_eea: bool
    current: SnapshotInfo
    pseudonymized: bool
    headline: Headline
    laws: list[LawRow]
    providers: list[ProviderRow]
    countries: list[CountryRow]
    classes: list[ClassRow]
    class_law: dict[str, dict[str, int]]  # data class → law id → resources (top laws only)
    flows_out: list[FlowRow]
    workloads: list[WorkloadRow]
    changes: Changes | None
    trend: list[TrendPoint]
    questions: list[Question]
    glossary: list[str]
    coverage: dict[str, Any]
    methodology: dict[str, Any]
    most_exposed: list[SnapResource] = field(default_factory=list)
    #: The summary and Cloud Sovereignty Framework evidence of an exit plan (``sovscan plan`` JSON),
    #: when one is given (``sovscan report --plan FILE``).
    plan: dict[str, Any] | None = None

    @property
    def from_history(self) -> bool:
        return self.current.id != 0


# --------------------------------------------------------------------------- pseudonymising snapshots


def pseudonymize_snapshot(snap: Snapshot, p: Pseudonymizer) -> Snapshot:
    """The same snapshot with keyed pseudonyms instead of ids, names and accounts (idempotent)."""
    if snap.info.pseudonymized:
        return snap
    resources = [dataclasses.replace(r, id=p.resource(r.id), name=p.resource(r.id),
                                     account=p.account(r.provider, r.account)) for r in snap.resources]
    findings = [dataclasses.replace(f, resource=p.resource(f.resource)) for f in snap.findings]
    flows = [dataclasses.replace(f, source=p.resource(f.source), target=p.resource(f.target), evidence="")
             for f in snap.flows]
    coverage = {**snap.coverage, "warnings": []}
    sources = [{**s, "path": None} for s in snap.sources]
    info = dataclasses.replace(snap.info, pseudonymized=True)
    return Snapshot(info, snap.summary, coverage, snap.kb_meta, sources, resources, findings, flows)


# --------------------------------------------------------------------------- building


def _law_name(kb: KnowledgeBase, law: str) -> str:
    rec = kb.laws.get(law)
    return rec.name if rec is not None else law


def _provider_name(kb: KnowledgeBase, pid: str) -> str:
    rec = kb.providers.get(pid)
    return rec.name if rec is not None else pid


def _controller_country(kb: KnowledgeBase, pid: str) -> str | None:
    prov = kb.providers.get(pid)
    if prov is None:
        return None
    chain = kb.entity_chain(prov.default_operator)
    return (chain[-1].controlled_from or chain[-1].country) if chain else None


def _country_name(kb: KnowledgeBase, code: str) -> dict[str, str]:
    rec = kb.countries.get(code)
    return {"en": rec.name.en, "fr": rec.name.fr} if rec is not None else {"en": code, "fr": code}


def _listed(laws: Iterable[str]) -> list[str]:
    return [law for law in laws if not law.startswith(UNLISTED)]


def _headline(snap: Snapshot, kb: KnowledgeBase, flows_out: list[FlowRow], providers: list[ProviderRow]) -> Headline:
    res = snap.resources
    s = snap.summary
    exposed = sum(1 for r in res if r.reachable)
    sensitive = [r for r in res if r.sensitive]
    laws = {law for r in res for law in _listed(r.laws)}
    countries = {c for r in res for c in r.locations}
    top = providers[0] if providers else None
    return Headline(
        resources=len(res), exposed=exposed, exposed_pct=round(100 * exposed / len(res), 1) if res else 0.0,
        sensitive=len(sensitive), sensitive_exposed=sum(1 for r in sensitive if r.reachable),
        health_exposed=sum(1 for r in sensitive if r.reachable and HEALTH.intersection(r.classes)),
        employee_exposed=sum(1 for r in sensitive if r.reachable and "employee" in r.classes),
        exposure_score=s.exposure.score, exposure_level=s.exposure.level,
        lockin_score=s.lockin.score, lockin_level=s.lockin.level,
        top_provider=top.name if top else None, top_share_pct=top.share_pct if top else 0.0,
        effort=s.migration.effort, data_gb=s.migration.data_gb,
        foreign_laws=len(laws), countries=len(countries),
        countries_outside_eea=sum(1 for c in countries if not kb.in_eea(c)),
        flows_outside_eea=len(flows_out),
        provider_held_keys=sum(1 for r in sensitive if r.reachable and r.key_control in PROVIDER_USABLE_KEYS),
        findings=dict(s.findings))


def _laws(snap: Snapshot, kb: KnowledgeBase) -> list[LawRow]:
    counts: Counter[str] = Counter()
    sensitive: Counter[str] = Counter()
    health: Counter[str] = Counter()
    unlisted: set[str] = set()
    unlisted_counts = [0, 0, 0]
    for r in snap.resources:
        is_sensitive, is_health = r.sensitive, bool(HEALTH.intersection(r.classes))
        grouped = False
        for law in r.laws:
            if law.startswith(UNLISTED):
                unlisted.add(law[len(UNLISTED):])
                if not grouped:
                    grouped = True
                    unlisted_counts[0] += 1
                    unlisted_counts[1] += is_sensitive
                    unlisted_counts[2] += is_health
                continue
            counts[law] += 1
            sensitive[law] += is_sensitive
            health[law] += is_health
    rows = []
    for law, n in sorted(counts.items(), key=lambda kv: (-sensitive[kv[0]], -kv[1], kv[0])):
        rec = kb.laws.get(law)
        if rec is None:  # a law of an older knowledge base: named by id, explained nowhere
            rows.append(LawRow(law, law, "", n, sensitive[law], health[law], "", {}, "", ""))
            continue
        rows.append(LawRow(law, rec.name, rec.jurisdiction, n, sensitive[law], health[law], rec.citation,
                           {"en": rec.summary.en, "fr": rec.summary.fr}, rec.source, rec.as_of.isoformat()))
    if unlisted:
        rows.append(LawRow(UNLISTED, "", "", unlisted_counts[0], unlisted_counts[1], unlisted_counts[2], "", {},
                           "", "", tuple(sorted(unlisted))))
    return rows


def _providers(snap: Snapshot, kb: KnowledgeBase) -> list[ProviderRow]:
    per: dict[str, list[SnapResource]] = {}
    for r in snap.resources:
        per.setdefault(r.provider, []).append(r)
    total = len(snap.resources) or 1
    rows = []
    for pid, items in per.items():
        prov = kb.providers.get(pid)
        lock = [r.lockin for r in items if r.lockin is not None]
        rows.append(ProviderRow(
            pid, _provider_name(kb, pid), prov.kind if prov else "other", _controller_country(kb, pid), len(items),
            round(100 * len(items) / total, 1), sum(1 for r in items if r.reachable),
            sum(1 for r in items if r.reachable and r.sensitive),
            round(sum(r.exposure for r in items) / len(items), 1), round(sum(lock) / len(lock), 1) if lock else None,
            sum(r.effort or 0 for r in items)))
    rows.sort(key=lambda p: (-p.resources, p.id))
    return rows


def _countries(snap: Snapshot, kb: KnowledgeBase) -> list[CountryRow]:
    counts: Counter[str] = Counter()
    sensitive: Counter[str] = Counter()
    for r in snap.resources:
        for c in r.locations:
            counts[c] += 1
            sensitive[c] += r.sensitive
    return [CountryRow(c, _country_name(kb, c), n, sensitive[c], kb.in_eea(c))
            for c, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _classes(snap: Snapshot, top_laws: Sequence[str]) -> tuple[list[ClassRow], dict[str, dict[str, int]]]:
    counts: Counter[str] = Counter()
    reach: Counter[str] = Counter()
    matrix: dict[str, dict[str, int]] = {}
    wanted = set(top_laws)
    for r in snap.resources:
        for cls in r.classes:
            counts[cls] += 1
            reach[cls] += r.reachable
            if r.reachable:
                row = matrix.setdefault(cls, {})
                for law in r.laws:
                    if law in wanted:
                        row[law] = row.get(law, 0) + 1
    order = sorted(counts, key=lambda c: (c not in SENSITIVE_CLASSES, -counts[c], c))
    return ([ClassRow(c, counts[c], reach[c], c in SENSITIVE_CLASSES) for c in order],
            {c: matrix.get(c, {}) for c in order})


def _flows_out(snap: Snapshot, kb: KnowledgeBase) -> list[FlowRow]:
    by_id = {r.id: r for r in snap.resources} if snap.flows else {}
    rows = []
    for f in snap.flows:
        outside = tuple(c for c in f.target_countries if not kb.in_eea(c))
        if not outside:
            continue
        src = by_id.get(f.source)
        tgt = by_id.get(f.target)
        rows.append(FlowRow(src.name if src else f.source, tgt.name if tgt else f.target, f.kind, f.target_region,
                            outside, src.classes if src else (), f.evidence))
    rows.sort(key=lambda row: (not SENSITIVE_CLASSES.intersection(row.classes), row.kind, row.source))
    return rows


def _alternative(kb: KnowledgeBase, alt_id: str) -> AlternativeRow:
    alt = kb.alternatives.get(alt_id)
    if alt is None:
        return AlternativeRow(alt_id, alt_id, None, "offer", (), "")
    schemes = tuple(kb.schemes[s].name if s in kb.schemes else s for s in kb.offer_schemes(alt.id))
    return AlternativeRow(alt.id, alt.name, _provider_name(kb, alt.provider) if alt.provider else None, alt.kind,
                          schemes, alt.url)


def _workloads(snap: Snapshot, kb: KnowledgeBase, top: int = 8) -> list[WorkloadRow]:
    groups: dict[tuple[str, str], list[SnapResource]] = {}
    for r in snap.resources:
        if r.reachable and r.data_bearing:
            groups.setdefault((r.provider, r.service_name or r.service or "?"), []).append(r)
    rows = []
    for (pid, service), items in groups.items():
        worst = max(items, key=lambda r: r.exposure)
        alts = list(dict.fromkeys(a for r in items for a in r.alternatives))
        rows.append(WorkloadRow(
            _provider_name(kb, pid), service, len(items), sum(1 for r in items if r.sensitive), worst.exposure,
            worst.level, tuple(sorted({c for r in items for c in r.classes})),
            tuple(dict.fromkeys(law for r in items for law in _listed(r.laws)))[:4], worst.effort,
            tuple(_alternative(kb, a) for a in alts[:5])))
    rows.sort(key=lambda w: (-w.max_exposure, -w.sensitive, -w.resources, w.provider, w.service))
    return rows[:top]


def _change(r: SnapResource, before: str | None, after: str | None, laws: tuple[str, ...] = ()) -> ResourceChange:
    return ResourceChange(r.id, r.name, r.provider, r.service_name or r.service, r.classes, before, after, laws)


def _rank(r: ResourceChange) -> tuple[Any, ...]:
    lvl = r.after if r.after is not None else r.before
    return (-LEVELS.index(lvl) if lvl in LEVELS else 0, not SENSITIVE_CLASSES.intersection(r.classes), r.name)


def compare(current: Snapshot, previous: Snapshot, kb: KnowledgeBase) -> Changes:
    """Resource-by-resource comparison of two snapshots in the same id space."""
    now = {r.id: r for r in current.resources}
    before = {r.id: r for r in previous.resources}
    new = [_change(r, None, r.level) for rid, r in now.items() if rid not in before]
    removed = [_change(r, r.level, None) for rid, r in before.items() if rid not in now]
    up: list[ResourceChange] = []
    down: list[ResourceChange] = []
    became: list[ResourceChange] = []
    stopped: list[ResourceChange] = []
    for rid, r in now.items():
        old = before.get(rid)
        if old is not None and old.level != r.level:
            (up if LEVELS.index(r.level) > LEVELS.index(old.level) else down).append(_change(r, old.level, r.level))
        if r.sensitive and r.reachable and (old is None or not old.reachable):
            became.append(_change(r, old.level if old else None, r.level, tuple(_listed(r.laws))[:4]))
    for rid, old in before.items():
        r_now = now.get(rid)
        if old.sensitive and old.reachable and (r_now is None or not r_now.reachable):
            stopped.append(_change(old, old.level, r_now.level if r_now else None, tuple(_listed(old.laws))[:4]))
    shares: list[ShareChange] = []
    count_now = Counter(r.provider for r in current.resources)
    count_before = Counter(r.provider for r in previous.resources)
    tot_now, tot_before = len(current.resources) or 1, len(previous.resources) or 1
    for pid in sorted(set(count_now) | set(count_before), key=lambda p: (-count_now[p], p)):
        shares.append(ShareChange(pid, _provider_name(kb, pid), round(100 * count_before[pid] / tot_before, 1),
                                  round(100 * count_now[pid] / tot_now, 1), count_before[pid], count_now[pid]))
    ci, pi = current.info, previous.info
    deltas: dict[str, tuple[float | None, float | None]] = {
        "resources": (pi.resources, ci.resources),
        "exposed": (pi.exposed_resources, ci.exposed_resources),
        "sensitive_exposed": (sum(1 for r in previous.resources if r.sensitive and r.reachable),
                              sum(1 for r in current.resources if r.sensitive and r.reachable)),
        "exposure": (pi.exposure_score, ci.exposure_score),
        "lockin": (pi.lockin_score, ci.lockin_score),
        "effort": (pi.effort, ci.effort),
    }
    for items in (new, removed, up, down, became, stopped):
        items.sort(key=_rank)
    return Changes(pi, new, removed, up, down, became, stopped, shares, deltas, pi.kb_version != ci.kb_version)


def _questions(rep: QuarterlyReport, kb: KnowledgeBase) -> list[Question]:
    h = rep.headline
    qs: list[Question] = []
    res = rep.most_exposed  # every reachable resource at this point (cut to the top 15 afterwards)

    def laws_of(pred: Any) -> list[str]:
        counted = Counter(law for r in res if pred(r) for law in _listed(r.laws))
        return [_law_name(kb, law) for law, _ in counted.most_common(3)]

    def providers_of(pred: Any) -> list[str]:
        counted = Counter(r.provider for r in res if pred(r))
        return [_provider_name(kb, p) for p, _ in counted.most_common(3)]

    def health(r: SnapResource) -> bool:
        return r.reachable and bool(HEALTH.intersection(r.classes))

    def employee(r: SnapResource) -> bool:
        return r.reachable and "employee" in r.classes

    if h.health_exposed:
        qs.append(Question("health-foreign-law", 1, {"count": h.health_exposed, "laws": laws_of(health),
                                                     "providers": providers_of(health)}))
    if h.employee_exposed:
        qs.append(Question("employee-foreign-law", 1, {"count": h.employee_exposed, "laws": laws_of(employee),
                                                       "providers": providers_of(employee)}))
    if h.provider_held_keys:
        qs.append(Question("keys", 2, {"count": h.provider_held_keys}))
    if rep.flows_out or h.countries_outside_eea:
        countries = sorted({c.code for c in rep.countries if not c.eea and c.sensitive})
        if countries:
            qs.append(Question("transfers", 2, {"count": len(countries), "countries": countries[:8],
                                                "flows": len(rep.flows_out)}))
    if rep.changes is not None and rep.changes.became_reachable:
        qs.append(Question("newly-reachable", 1, {"count": len(rep.changes.became_reachable)}))
    if rep.changes is not None:
        before, after = rep.changes.deltas["exposure"]
        if before is not None and after is not None and after - before >= 1:
            qs.append(Question("exposure-rising", 2, {"before": before, "after": after}))
    if rep.providers and h.exposed and (rep.providers[0].share_pct >= 40 or h.lockin_level in ("high", "critical")):
        top = rep.providers[0]
        qs.append(Question("exit-plan", 2, {"provider": top.name, "share": top.share_pct}))
    if h.effort and h.exposed:
        qs.append(Question("migration-budget", 3, {"effort": h.effort, "workloads": len(rep.workloads)}))
    if rep.workloads and any(w.alternatives for w in rep.workloads):
        first = next(w for w in rep.workloads if w.alternatives)
        qs.append(Question("alternatives", 3, {"service": first.service, "alternative": first.alternatives[0].name}))
    unknown = rep.coverage.get("unknown_location", 0)
    if unknown:
        qs.append(Question("unknown-location", 3, {"count": unknown}))
    if rep.coverage.get("unmapped_resources") or rep.coverage.get("warnings_count"):
        qs.append(Question("inventory-complete", 3, {"count": rep.coverage.get("unmapped_resources", 0)}))
    qs.sort(key=lambda q: q.priority)
    return qs


#: Glossary entries shown in every report (their wording is in the catalogues).
GLOSSARY = ("foreign-law", "extraterritorial", "cloud-act", "fisa-702", "eea", "adequacy", "region",
            "provider", "exposure", "data-class", "sensitive-data", "encryption-keys", "lock-in",
            "concentration", "migration-effort", "replication", "pseudonym", "secnumcloud", "hds")


def build_report(current: Snapshot, kb: KnowledgeBase, previous: Snapshot | None = None,
                 history: Sequence[SnapshotInfo] = (), quarter: Quarter | None = None,
                 pseudonymizer: Pseudonymizer | None = None) -> QuarterlyReport:
    """Assemble the report from the current snapshot, the previous quarter's and the stored history.

    With a ``pseudonymizer`` (or when either snapshot was stored pseudonymised) identifiers are
    replaced by keyed pseudonyms in both snapshots before they are compared.
    """
    pseudo = current.info.pseudonymized or (previous is not None and previous.info.pseudonymized)
    if pseudonymizer is not None or pseudo:
        if pseudonymizer is None:
            raise HistoryError("one snapshot is stored pseudonymised: the key beside the database is needed to "
                               "compare it with the other")
        current = pseudonymize_snapshot(current, pseudonymizer)
        previous = pseudonymize_snapshot(previous, pseudonymizer) if previous is not None else None
        pseudo = True
    quarter = quarter or Quarter.of(current.info.as_of)
    home = current.info.home_country
    flows_out = _flows_out(current, kb)
    providers = _providers(current, kb)
    laws = _laws(current, kb)
    top_laws = [row.id for row in laws if row.id != UNLISTED][:6]
    classes, class_law = _classes(current, top_laws)
    unmapped = sum(current.coverage.get("unmapped_types", {}).values())
    unknown_location = sum(1 for r in current.resources if r.data_bearing and not r.locations)
    coverage = {**current.coverage, "unmapped_resources": unmapped, "unknown_location": unknown_location}
    points = latest_per_quarter([*history, current.info])
    trend = [TrendPoint(str(q), i.as_of, i.resources, i.exposed_resources, i.sensitive_exposed, i.exposure_score,
                        i.lockin_score, i.effort) for q, i in points.items() if q <= quarter]
    used_laws = [row for row in laws if row.id != UNLISTED]
    methodology = {
        "kb_version": current.kb_meta.get("version", current.info.kb_version),
        "kb_latest_as_of": current.kb_meta.get("latest_as_of", ""),
        "weights_as_of": current.kb_meta.get("weights_as_of", ""),
        "laws": [(row.name, row.source, row.as_of) for row in used_laws],
        "providers": [(p.name, (current.kb_meta.get("providers", {}).get(p.id) or {}).get("source", ""),
                       (current.kb_meta.get("providers", {}).get(p.id) or {}).get("as_of", "")) for p in providers],
        "snapshots": [(i.as_of, i.tool_version, i.kb_version) for i in ([previous.info] if previous else [])
                      + [current.info]],
        "sources": current.sources,
    }
    most = sorted((r for r in current.resources if r.reachable), key=lambda r: (-r.exposure, not r.sensitive, r.name))
    rep = QuarterlyReport(
        organization=current.info.organization, quarter=quarter, home_country=home, home_in_eea=kb.in_eea(home),
        current=current.info, pseudonymized=pseudo, headline=_headline(current, kb, flows_out, providers),
        laws=laws, providers=providers, countries=_countries(current, kb), classes=classes, class_law=class_law,
        flows_out=flows_out, workloads=_workloads(current, kb),
        changes=compare(current, previous, kb) if previous is not None else None, trend=trend, questions=[],
        glossary=list(GLOSSARY), coverage=coverage, methodology=methodology, most_exposed=most)
    rep.questions = _questions(rep, kb)
    rep.most_exposed = most[:15]
    return rep


# --------------------------------------------------------------------------- entry points


def report_from_history(kb: KnowledgeBase, quarter: Quarter, organization: str | None = None,
                        db: Path | None = None, pseudonymize: bool = True,
                        current: ScanResult | None = None) -> QuarterlyReport:
    """The report of ``quarter`` from stored snapshots (and, when given, a scan made now as current).

    Without a scan, the current snapshot is the latest stored one in the quarter. The organisation
    may be left out when the database holds only one.
    """
    from scanner.history import default_db

    path = db or default_db()
    pseudonymizer = Pseudonymizer.for_db(path) if pseudonymize else None
    all_infos = list_snapshots(path)
    if current is not None:
        organization = (current.organization or "") if organization is None else organization
    if organization is None:
        orgs = sorted({i.organization for i in all_infos})
        if len(orgs) > 1:
            raise HistoryError(f"the history holds several organisations ({', '.join(repr(o) for o in orgs)}): "
                               "choose one with --org")
        organization = orgs[0] if orgs else ""
    infos = [i for i in all_infos if i.organization == organization]
    if current is not None:
        snap = snapshot_of(current)
        infos = [i for i in infos if i.as_of != current.as_of]
        if Quarter.of(current.as_of) != quarter:
            raise HistoryError(f"the scan is dated {current.as_of}, outside {quarter}: give --as-of a date in "
                               f"{quarter}, or leave --quarter out")
    else:
        in_quarter = [i for i in infos if i.as_of in quarter]
        if not in_quarter:
            known = ", ".join(sorted({str(Quarter.of(i.as_of)) for i in infos})) or "none"
            who = f" for {organization!r}" if organization else ""
            raise HistoryError(f"no snapshot{who} in {quarter} (stored quarters: {known}); scan with "
                               "'sovscan report -i PATH --save' or 'sovscan run --save' first")
        chosen = max(in_quarter, key=lambda i: (i.as_of, i.id))
        snap = load(chosen.id, path)
    prev_infos = [i for i in infos if i.as_of in quarter.previous()]
    previous = load(max(prev_infos, key=lambda i: (i.as_of, i.id)).id, path) if prev_infos else None
    return build_report(snap, kb, previous, infos, quarter, pseudonymizer)


def report_from_result(result: ScanResult, pseudonymizer: Pseudonymizer | None = None) -> QuarterlyReport:
    """A report of one scan alone: the current state, nothing to compare with."""
    return build_report(snapshot_of(result), result.kb, pseudonymizer=pseudonymizer)


PLAN_KEYS = ("units", "waves", "effort", "data_gb", "egress_cost_eur", "transfer_hours",
             "resources_without_alternative", "exposure", "lockin", "concentration", "targets")


def plan_section(path: Path) -> dict[str, Any]:
    """What the report shows of an exit plan: its summary and the framework evidence, checked."""
    import orjson

    try:
        doc = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: not a plan (invalid JSON); write it with "
                         "'sovscan plan … --format json --output FILE'") from None
    summary = doc.get("summary") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or doc.get("schema_version") != 1 or not isinstance(summary, dict) or any(
            key not in summary for key in PLAN_KEYS):
        raise InputError(f"{path}: not a sovscan plan of schema version 1; write it with "
                         "'sovscan plan … --format json --output FILE'")
    csf = doc.get("csf", {}).get("before", []) if isinstance(doc.get("csf"), dict) else []
    def obj(value: Any) -> dict[str, Any]:  # a value of another JSON type reads as an empty object
        return value if isinstance(value, dict) else {}

    return {"summary": summary, "as_of": doc.get("as_of"), "exit_date": obj(doc.get("options")).get("exit_date"),
            "csf": [{"provider": row.get("provider"), "sov2": obj(row.get("SOV-2")).get("seal"),
                     "sov3": obj(row.get("SOV-3")).get("seal")} for row in csf if isinstance(row, dict)]}
