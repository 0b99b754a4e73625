"""The quarterly report's data: applications first, the quarter as events, trends and questions.

Everything here is language-neutral: numbers, ids and knowledge-base records. The words come from
the templates (``templates/quarterly.*.j2``) and :mod:`scanner.report.phrases` through the gettext
catalogues, so one :class:`QuarterlyReport` renders in English, French or German, as HTML, PDF or
Markdown.

How the quarters are chosen: the *current* snapshot is the latest stored one whose as-of date
falls in the requested quarter (or a scan made now); the *previous* one is the latest snapshot of
the quarter before. The trend has one point per stored quarter (its latest snapshot), up to the
current quarter. Comparisons are made on ids, so both snapshots are brought to the same form
first: when either is pseudonymised, both are (the pseudonyms are keyed and stable, so a resource
or an application keeps its pseudonym across quarters).

The first page's indicators count applications and resources with sensitive data reachable by a
foreign law by control, by location, and only through presence (apart): counts that can only rise
when more becomes reachable. The 0–100 indices are kept as secondary measures.
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

from scanner.applications import Application, Indicators, Reach
from scanner.errors import InputError, UsageError
from scanner.history import (
    HistoryError,
    SnapFinding,
    SnapFlow,
    Snapshot,
    SnapshotInfo,
    list_snapshots,
    load,
    snapshot_of,
    stored_indicators,
)
from scanner.kb.loader import KnowledgeBase
from scanner.kb.schema import SENSITIVE_CLASSES, Localized
from scanner.pseudonym import Pseudonymizer
from scanner.report.apps import AppView, build_views, detail_of
from scanner.report.events import Changes, compare
from scanner.report.phrases import Sentence
from scanner.report.questions import LegalContext, Question, evaluate, facts, legal_contexts
from scanner.result import UNLISTED, FindingTemplate, ScanResult
from scanner.snapshot_body import Renaming
from scanner.snapshot_details import Details, ResourceDetail

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")


# --------------------------------------------------------------------------- quarters


@dataclass(frozen=True, order=True, slots=True)
class Quarter:
    """A calendar quarter, written ``2026-Q4`` on the command line."""

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
        return self.next().start - dt.timedelta(days=1)

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
class LawRow:
    """A foreign law reaching our data, by tier, with what the knowledge base says of it."""

    id: str
    jurisdiction: str
    apps: dict[str, int]  # tier → applications with sensitive data it reaches that way
    resources: dict[str, int]  # tier → resources it reaches that way
    sensitive: dict[str, int]  # tier → sensitive resources it reaches that way
    verified: bool
    status: str = "in-force"
    status_note: Localized | None = None
    review_by: str = ""
    due: bool = False
    citation: str = ""
    summary: Localized | None = None
    presence_basis: Localized | None = None
    source: str = ""
    as_of: str = ""
    unverified: str = ""

    @property
    def direct(self) -> bool:
        """It reaches some resource by control or location (else only through presence)."""
        return bool(self.resources.get("control") or self.resources.get("location") or self.resources.get("scored"))


@dataclass(frozen=True, slots=True)
class CountryRow:
    code: str
    group: str  # eea | adequacy | other
    adequacy: str | None  # full | partial | None
    resources: int  # resources with a copy there
    sensitive: int  # of which holding sensitive data
    apps: int  # applications with sensitive data having a copy there


@dataclass(frozen=True, slots=True)
class ProviderRow:
    id: str
    controller_country: str | None
    resources: int
    share_pct: float
    apps: int
    sensitive_reachable: int
    mean_lockin: float | None
    effort: int


@dataclass(frozen=True, slots=True)
class ClassRow:
    data_class: str
    resources: int
    reachable: int  # by control or location
    residual_only: int
    apps: int


@dataclass(frozen=True, slots=True)
class ResourceRow:
    """One resource in the annex."""

    id: str
    name: str
    app: str
    provider: str
    service: str
    category: str
    classes: tuple[str, ...]
    countries: tuple[str, ...]
    tiers: tuple[str, ...]
    key_control: str
    exposure: float
    level: str


@dataclass(frozen=True, slots=True)
class TrendPoint:
    quarter: Quarter
    as_of: str
    resources: int
    sensitive_exposed: int
    exposure_score: float
    lockin_score: float | None
    effort: int
    indicators: Indicators | None  # None for snapshots stored without applications


@dataclass(frozen=True, slots=True)
class AlternativeRow:
    id: str
    name: str
    provider: str | None
    kind: str
    certifications: tuple[str, ...]
    url: str


@dataclass(frozen=True, slots=True)
class FindingRow:
    """A finding of the scan behind the report (shown when the report is made from a scan)."""

    severity: str
    rule: str
    resource: str  # the resource's name (or pseudonym)
    app: str  # its application's name (or pseudonym)
    template: FindingTemplate


@dataclass
class QuarterlyReport:
    organization: str
    quarter: Quarter
    home_country: str
    home_in_eea: bool
    current: SnapshotInfo
    pseudonymized: bool
    names_shown: bool
    apps: list[AppView]
    indicators: Indicators
    changes: Changes | None
    laws: list[LawRow]
    countries: list[CountryRow]
    providers: list[ProviderRow]
    classes: list[ClassRow]
    resources: list[ResourceRow]
    resources_total: int
    trend: list[TrendPoint]
    coverage: dict[str, Any]
    unverified: dict[str, str]
    due: dict[str, str]
    methodology: dict[str, Any]
    alternatives: dict[str, AlternativeRow]
    legal: LegalContext | None
    sentences: list[Sentence] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    #: The summary and Cloud Sovereignty Framework evidence of an exit plan (``sovscan plan`` JSON).
    plan: dict[str, Any] | None = None
    #: The findings of the scan, when the report is made from one (``run --format html``, ``report -i``).
    findings: list[FindingRow] = field(default_factory=list)
    findings_total: int = 0

    @property
    def from_history(self) -> bool:
        return self.current.id != 0

    @property
    def sensitive_apps(self) -> list[AppView]:
        return [v for v in self.apps if v.sensitive]

    #: Rows of the main tables; the rest is summed up in one row (content-delivery networks alone can
    #: place copies in fifty countries, and as many local laws, which would bury what matters).
    MAIN_ROWS = 12

    @property
    def main_laws(self) -> list[LawRow]:
        """Laws reaching by control, then the laws reaching the most sensitive data by location."""
        direct = [law for law in self.laws if law.direct]
        return direct[: max(self.MAIN_ROWS, sum(1 for law in direct if law.resources.get("control")))]

    @property
    def other_laws(self) -> list[LawRow]:
        main = {law.id for law in self.main_laws}
        return [law for law in self.laws if law.direct and law.id not in main]

    @property
    def residual_laws(self) -> list[LawRow]:
        return [law for law in self.laws if not law.direct]

    @property
    def main_countries(self) -> list[CountryRow]:
        return self.countries[: self.MAIN_ROWS]

    @property
    def other_countries(self) -> list[CountryRow]:
        return self.countries[self.MAIN_ROWS:]

    def alternative_name(self, alt_id: str) -> str:
        row = self.alternatives.get(alt_id)
        return row.name if row is not None else alt_id

    def app_name(self, app_id: str) -> str:
        return next((v.name for v in self.apps if v.id == app_id), app_id)


# --------------------------------------------------------------------------- pseudonymising snapshots


def pseudonymize_snapshot(snap: Snapshot, p: Pseudonymizer, show_names: bool = False,
                          codes: dict[str, str] | None = None) -> Snapshot:
    """The same snapshot with keyed pseudonyms instead of ids, names and accounts (idempotent).

    Applications get pseudonyms too; with ``show_names`` they keep their names (tag values,
    resource groups, projects, account names), which the organisation chose to show. ``codes``
    keeps the resource pseudonyms computed so far (two quarters share most resources).
    """
    if snap.info.pseudonymized:
        return snap
    codes = {} if codes is None else codes

    def coded(rid: str) -> str:
        found = codes.get(rid)
        if found is None:
            found = codes[rid] = p.resource(rid)
        return found

    accounts: dict[tuple[str, str | None], str | None] = {}
    apps: dict[str, str] = {}
    ids = [coded(r.id) for r in snap.resources]
    resources = []
    for r, rid in zip(snap.resources, ids, strict=True):
        account = accounts.get((r.provider, r.account), "")
        if account == "":
            account = accounts[r.provider, r.account] = p.account(r.provider, r.account)
        resources.append(r.renamed(rid, rid, account))
    findings = [SnapFinding(f.rule, f.severity, coded(f.resource), f.suffix) for f in snap.findings]
    flows = [SnapFlow(coded(f.source), coded(f.target), f.kind, f.target_region, f.target_countries, "")
             for f in snap.flows]
    details = Details(facts=snap.details.facts, known=snap.details.known)
    for app in snap.details.applications.values():
        code = p.application(app.id)
        details.applications[code] = Application(code, app.name if show_names else code, app.basis, app.key)
    for r, rid in zip(snap.resources, ids, strict=True):
        d = detail_of(snap, r)
        app_id = None
        if d.application:
            app_id = apps.get(d.application)
            if app_id is None:
                app_id = apps[d.application] = p.application(d.application)
        details.resources[rid] = ResourceDetail(app_id, d.joined, d.reach, d.size_gb)
        if not snap.details.known and app_id is not None and app_id not in details.applications:
            details.applications[app_id] = Application(app_id, app_id, d.joined)
    coverage = {**snap.coverage, "warnings": []}
    sources = [{**s, "path": None} for s in snap.sources]
    info = dataclasses.replace(snap.info, pseudonymized=True)
    return Snapshot(info, snap.summary, coverage, snap.kb_meta, sources, resources, findings, flows, details)


# --------------------------------------------------------------------------- building


def _controller_country(kb: KnowledgeBase, pid: str) -> str | None:
    prov = kb.providers.get(pid)
    if prov is None:
        return None
    chain = kb.entity_chain(prov.default_operator)
    return (chain[-1].controlled_from or chain[-1].country) if chain else None


def _laws(snap: Snapshot, views: dict[str, AppView], kb: KnowledgeBase, due: dict[str, str]) -> list[LawRow]:
    resources: dict[str, Counter[str]] = {}
    sensitive: dict[str, Counter[str]] = {}
    verified: dict[str, bool] = {}
    # Resources of one profile share their reach: count them per reach (and sensitivity), then add.
    groups: Counter[tuple[int, bool]] = Counter()
    reaches: dict[int, tuple[Reach, ...]] = {}
    for r in snap.resources:
        reach = detail_of(snap, r).reach
        reaches[id(reach)] = reach
        groups[id(reach), r.sensitive] += 1
    for (key, is_sensitive), n in groups.items():
        for hit in reaches[key]:
            if hit.law not in resources:
                resources[hit.law], sensitive[hit.law] = Counter(), Counter()
            resources[hit.law][hit.tier] += n
            sensitive[hit.law][hit.tier] += n if is_sensitive else 0
            verified[hit.law] = verified.get(hit.law, True) and hit.verified
    apps: dict[str, Counter[str]] = {}
    for v in views.values():
        if not v.sensitive:
            continue
        tiers = v.acc.laws_by_tier()
        for tier, laws in tiers.items():
            for law in laws:
                apps.setdefault(law, Counter())[tier] += 1
    rows = []
    for law, counts in resources.items():
        rec = kb.laws.get(law) if not law.startswith(UNLISTED) else None
        jurisdiction = rec.jurisdiction if rec else law.split(":", 1)[-1]
        ok = verified[law] and (rec.verified if rec else True)
        if rec is None:
            rows.append(LawRow(law, jurisdiction, dict(apps.get(law, {})), dict(counts), dict(sensitive[law]), ok))
            continue
        rows.append(LawRow(law, jurisdiction, dict(apps.get(law, {})), dict(counts), dict(sensitive[law]), ok,
                           status=str(rec.status), status_note=rec.status_note, review_by=rec.review_by.isoformat(),
                           due=f"law:{law}" in due, citation=rec.citation, summary=rec.summary,
                           presence_basis=rec.presence_reach.basis if rec.presence_reach else None,
                           source=rec.source, as_of=rec.as_of.isoformat(), unverified=rec.unverified))

    def rank(row: LawRow) -> tuple[Any, ...]:
        control = row.sensitive.get("control", 0)
        location = row.sensitive.get("location", 0) + row.sensitive.get("scored", 0)
        return (not row.direct, not control, -control, -location, row.id.startswith(UNLISTED), row.id)

    rows.sort(key=rank)
    return rows


def _countries(snap: Snapshot, views: dict[str, AppView], kb: KnowledgeBase) -> list[CountryRow]:
    counts: Counter[str] = Counter()
    sensitive: Counter[str] = Counter()
    for r in snap.resources:
        for c in r.locations:
            counts[c] += 1
            sensitive[c] += r.sensitive
    apps: Counter[str] = Counter()
    for v in views.values():
        if v.sensitive:
            apps.update(v.acc.locations)
    rows = []
    for code, n in counts.items():
        rec = kb.countries.get(code)
        adequacy = rec.adequacy.scope if rec is not None and rec.adequacy is not None else None
        group = "eea" if kb.in_eea(code) else ("adequacy" if adequacy else "other")
        rows.append(CountryRow(code, group, adequacy, n, sensitive[code], apps[code]))
    # Most sensitive copies first: the country that matters most is never cut from a list.
    rows.sort(key=lambda c: (-c.sensitive, -c.resources, c.code))
    return rows


def _providers(snap: Snapshot, views: dict[str, AppView], kb: KnowledgeBase) -> list[ProviderRow]:
    per: dict[str, list[Any]] = {}
    for r in snap.resources:
        per.setdefault(r.provider, []).append(r)
    total = len(snap.resources) or 1
    rows = []
    for pid, items in per.items():
        lock = [r.lockin for r in items if r.lockin is not None]
        apps = sum(1 for v in views.values() if pid in v.acc.providers)
        reach = sum(1 for r in items if r.sensitive and detail_of(snap, r).tiers & {"control", "location", "scored"})
        rows.append(ProviderRow(pid, _controller_country(kb, pid), len(items), round(100 * len(items) / total, 1),
                                apps, reach, round(sum(lock) / len(lock), 1) if lock else None,
                                sum(r.effort or 0 for r in items)))
    rows.sort(key=lambda p: (-p.resources, p.id))
    return rows


def _classes(snap: Snapshot, views: dict[str, AppView]) -> list[ClassRow]:
    counts: Counter[str] = Counter()
    reach: Counter[str] = Counter()
    residual: Counter[str] = Counter()
    for r in snap.resources:
        tiers = detail_of(snap, r).tiers
        direct = bool(tiers & {"control", "location", "scored"})
        for cls in r.classes:
            counts[cls] += 1
            reach[cls] += direct
            residual[cls] += (not direct) and "presence" in tiers
    apps: Counter[str] = Counter()
    for v in views.values():
        apps.update(v.acc.classes)
    order = sorted(counts, key=lambda c: (c not in SENSITIVE_CLASSES, -counts[c], c))
    return [ClassRow(c, counts[c], reach[c], residual[c], apps[c]) for c in order]


def _resources(snap: Snapshot, views: dict[str, AppView], kb: KnowledgeBase,
               limit: int) -> tuple[list[ResourceRow], int]:
    """The annex: resources of the applications, those with sensitive data reachable first."""
    by_id = {r.id: r for r in snap.resources}
    rows: list[ResourceRow] = []
    total = sum(len(v.resources) for v in views.values())
    for v in sorted(views.values(), key=AppView.rank):
        for rid in v.resources:
            if len(rows) == limit:
                return rows, total
            r = by_id[rid]
            found = detail_of(snap, r).tiers
            # a resource reached by control or location is said so; "through presence only" otherwise
            tiers = tuple(sorted(found - {"presence"} if found & {"control", "location", "scored"} else found))
            rows.append(ResourceRow(r.id, r.name, v.name, r.provider, r.service_name or r.service or "–",
                                    r.category or "", r.classes, r.locations, tiers, r.key_control, r.exposure,
                                    r.level))
    return rows, total


def _alternatives(views: dict[str, AppView], kb: KnowledgeBase) -> dict[str, AlternativeRow]:
    out: dict[str, AlternativeRow] = {}
    for v in views.values():
        for alt_id in v.alternatives:
            if alt_id in out:
                continue
            alt = kb.alternatives.get(alt_id)
            if alt is None:
                out[alt_id] = AlternativeRow(alt_id, alt_id, None, "offer", (), "")
                continue
            # Schemes by their short names ("HDS", "SecNumCloud 3.2", "ISO/IEC 27001"): proper nouns.
            schemes = tuple(re.split(r" \(|,", kb.schemes[s].name)[0] if s in kb.schemes else s
                            for s in kb.offer_schemes(alt.id))
            out[alt_id] = AlternativeRow(alt.id, alt.name, alt.provider, alt.kind, schemes, alt.url)
    return out


def _trend(infos: Sequence[SnapshotInfo], current: Snapshot, current_views: dict[str, AppView], quarter: Quarter,
           db: Path | None) -> list[TrendPoint]:
    points = {q: i for q, i in latest_per_quarter([*infos, current.info]).items() if q <= quarter}
    stored = stored_indicators([i.id for i in points.values() if i.id], db) if db is not None else {}
    out = []
    for q, i in points.items():
        ind = Indicators.of(v.acc for v in current_views.values()) if i is current.info else stored.get(i.id)
        if i is current.info and not current.details.known:
            ind = None
        out.append(TrendPoint(q, i.as_of, i.resources, i.sensitive_exposed, i.exposure_score, i.lockin_score,
                              i.effort, ind))
    return out


def _sentences(rep: QuarterlyReport) -> list[Sentence]:
    """What matters, in three to five sentences: the quarter's worst news, then the state."""
    out: list[Sentence] = []
    ch = rep.changes
    if ch is not None:
        for e in ch.of_kind("copy-abroad-new"):
            if e.params["classes"]:
                out.append(Sentence("copy-abroad-new", {"app": e.name, "classes": e.params["classes"],
                                                        "countries": e.params["countries"]}, True))
        for e in ch.of_kind("reclassified"):
            if e.params["became_sensitive"]:
                out.append(Sentence("reclassified", {"app": e.name, "classes": [
                    c for c in e.params["gained"] if c in SENSITIVE_CLASSES], "reachable": e.params["reachable"],
                    "laws": e.params["laws"]}, e.params["reachable"] or None))
        for e in ch.of_kind("app-new"):
            if e.params["classes"]:
                reachable = e.params["control"] or e.params["location"]
                out.append(Sentence("app-new", {"app": e.name, "classes": e.params["classes"],
                                                "reachable": reachable, "laws": e.params["laws"]}, reachable or None))
        for e in ch.of_kind("app-removed"):
            if e.params["classes"] and (e.params["control"] or e.params["location"]):
                out.append(Sentence("app-removed", {"app": e.name, "classes": e.params["classes"]}, False))
    out = out[:3]
    ind = rep.indicators
    out.append(Sentence("state", {"total": ind.sensitive_apps, "reachable": ind.apps_reachable,
                                  "control": ind.apps_by_control, "location": ind.apps_by_location}))
    if ch is None:
        worst = next((v for v in rep.apps if v.reachable), None)
        if worst is not None:
            tiers = worst.acc.laws_by_tier()
            laws = [law for law in dict.fromkeys([*tiers["control"], *tiers["location"]])
                    if not law.startswith(UNLISTED)]
            out.append(Sentence("worst", {"app": worst.name, "classes": worst.sensitive_classes, "laws": laws}))
    if ind.apps_residual_only and len(out) < 5:
        out.append(Sentence("residual", {"count": ind.apps_residual_only}))
    if len(out) < 3 and ind.resources_reachable:
        k = ind.keys
        out.append(Sentence("keys", {"total": ind.resources_reachable, "unknown": k.get("unknown", 0),
                                     "provider": k.get("provider-managed", 0), "managed": k.get("customer-managed", 0),
                                     "external": k.get("customer-external", 0)}))
    return out[:5]


def build_report(current: Snapshot, kb: KnowledgeBase, previous: Snapshot | None = None,
                 history: Sequence[SnapshotInfo] = (), quarter: Quarter | None = None,
                 pseudonymizer: Pseudonymizer | None = None, show_names: bool = False,
                 db: Path | None = None, annex_limit: int = 400) -> QuarterlyReport:
    """Assemble the report from the current snapshot, the previous quarter's and the stored history.

    With a ``pseudonymizer`` (or when either snapshot was stored pseudonymised) identifiers are
    replaced by keyed pseudonyms in both snapshots before they are compared.
    """
    pseudo = current.info.pseudonymized or (previous is not None and previous.info.pseudonymized)
    if pseudonymizer is not None or pseudo:
        if pseudonymizer is None:
            raise HistoryError("one snapshot is stored pseudonymised: the key beside the database is needed to "
                               "compare it with the other")
        codes: dict[str, str] = {}
        current = pseudonymize_snapshot(current, pseudonymizer, show_names, codes)
        previous = pseudonymize_snapshot(previous, pseudonymizer, show_names, codes) if previous is not None else None
        pseudo = True
    quarter = quarter or Quarter.of(current.info.as_of)
    home = current.info.home_country
    views = build_views(current, kb)
    before_views = build_views(previous, kb) if previous is not None else {}
    if previous is not None:
        # An application keeps the name it has now (a pseudonymised older snapshot has none).
        for app_id, v in before_views.items():
            if app_id in views:
                v.app = views[app_id].app
    facts_now = current.details.facts
    unverified = dict(facts_now.get("unverified", {}))
    due = dict(facts_now.get("due", {}))
    unmapped = sum(current.coverage.get("unmapped_types", {}).values())
    unknown_location = sum(1 for r in current.resources if r.data_bearing and not r.locations)
    coverage = {**current.coverage, "unmapped_resources": unmapped, "unknown_location": unknown_location}
    apps = sorted(views.values(), key=AppView.rank)
    annex, total = _resources(current, views, kb, annex_limit)
    used = {law for v in views.values() for tier in v.acc.laws.values() for law in tier}
    methodology = {
        "kb_version": current.kb_meta.get("version", current.info.kb_version),
        "kb_latest_as_of": current.kb_meta.get("latest_as_of", ""),
        "weights_as_of": current.kb_meta.get("weights_as_of", ""),
        "providers": [(pid, (current.kb_meta.get("providers", {}).get(pid) or {}).get("source", ""),
                       (current.kb_meta.get("providers", {}).get(pid) or {}).get("as_of", ""))
                      for pid in sorted({r.provider for r in current.resources})],
        "snapshots": [(i.as_of, i.tool_version, i.kb_version) for i in ([previous.info] if previous else [])
                      + [current.info]],
        "sources": current.sources, "laws_used": sorted(used),
    }
    rep = QuarterlyReport(
        organization=current.info.organization, quarter=quarter, home_country=home, home_in_eea=kb.in_eea(home),
        current=current.info, pseudonymized=pseudo, names_shown=show_names or not pseudo, apps=apps,
        indicators=Indicators.of(v.acc for v in views.values()),
        changes=compare(current, previous, views, before_views, kb) if previous is not None else None,
        laws=_laws(current, views, kb, due), countries=_countries(current, views, kb),
        providers=_providers(current, views, kb), classes=_classes(current, views), resources=annex,
        resources_total=total, trend=_trend(history, current, views, quarter, db), coverage=coverage,
        unverified=unverified, due=due, methodology=methodology, alternatives=_alternatives(views, kb),
        legal=legal_contexts().get(home))
    rep.sentences = _sentences(rep)
    rep.questions = evaluate(facts(rep))
    return rep


# --------------------------------------------------------------------------- entry points


def report_from_history(kb: KnowledgeBase, quarter: Quarter, organization: str | None = None,
                        db: Path | None = None, pseudonymize: bool = True,
                        current: ScanResult | None = None, show_names: bool = False) -> QuarterlyReport:
    """The report of ``quarter`` from stored snapshots (and, when given, a scan made now as current).

    Without a scan, the current snapshot is the latest stored one in the quarter. The organisation
    may be left out when the database holds only one.
    """
    from scanner.history import default_db

    path = db or default_db()
    pseudonymizer = Pseudonymizer.for_db(path) if pseudonymize else None
    # Pseudonyms given as the snapshots are read (the same as pseudonymize_snapshot's, built once).
    renaming = Renaming(pseudonymizer, show_names) if pseudonymizer is not None else None
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
        snap = load(chosen.id, path, renaming)
    prev_infos = [i for i in infos if i.as_of in quarter.previous()]
    previous = load(max(prev_infos, key=lambda i: (i.as_of, i.id)).id, path, renaming) if prev_infos else None
    rep = build_report(snap, kb, previous, infos, quarter, pseudonymizer, show_names, path)
    if current is not None:
        with_findings(rep, current, pseudonymizer if rep.pseudonymized else None, show_names)
    return rep


def report_from_result(result: ScanResult, pseudonymizer: Pseudonymizer | None = None) -> QuarterlyReport:
    """A report of one scan alone: the current state, nothing to compare with."""
    rep = build_report(snapshot_of(result), result.kb, pseudonymizer=pseudonymizer)
    return with_findings(rep, result, pseudonymizer)


#: Findings shown in a report (the most severe first; the JSON output has them all).
FINDINGS_SHOWN = 40


def with_findings(rep: QuarterlyReport, result: ScanResult, pseudonymizer: Pseudonymizer | None = None,
                  show_names: bool = False) -> QuarterlyReport:
    """The report with the scan's findings, named as the report names resources and applications."""
    apps = result.applications
    rows = []
    for f in result.findings[:FINDINGS_SHOWN]:
        app_id = apps.of.get(f.resource) if apps is not None else None
        app = apps.apps[app_id] if apps is not None and app_id in apps.apps else None
        if pseudonymizer is not None:
            name = pseudonymizer.resource(f.resource)
            app_name = (app.name if show_names else pseudonymizer.application(app.id)) if app else ""
        else:
            name, app_name = f.name or f.resource, app.name if app else ""
        rows.append(FindingRow(f.severity, f.rule, name, app_name, f.template))
    rep.findings = rows
    rep.findings_total = len(result.findings)
    return rep


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
