"""The quarter told as events, and the arithmetic that explains every headline change.

Two snapshots of one organisation, brought to the same id space, are compared application by
application. Each change is told once, as the event that best describes it:

* ``app-new`` / ``app-removed``: an application appears or disappears (what it holds and who can
  reach it are said in that event, not again in others);
* ``copy-abroad-new`` / ``copy-abroad-ended``: an application's bytes are now (or no longer) in a
  country outside the EU/EEA, with the flows that put them there;
* ``reclassified``: resources of an application hold other data classes than last quarter;
* ``provider-moved``: an application uses providers it did not use (or no longer uses one);
* ``keys-changed``: who holds the keys of an application's resources changed;
* ``kb-law`` / ``kb-placement``: a fact of the knowledge base this report relies on changed
  between the two scans (a law's status or verification; who operates a region the estate uses).

Every headline count is then reconciled: ``before + entered − left = after``, each application
(or resource) that entered or left the count attributed to exactly one cause, so the numbers on
page one add up with the events told after them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from scanner.applications import Indicators
from scanner.history import Snapshot, SnapshotInfo
from scanner.kb.loader import KnowledgeBase
from scanner.kb.schema import SENSITIVE_CLASSES
from scanner.report.apps import AppView, detail_of

#: Events in the order the report tells them (worst news first within a quarter).
ORDER = ("copy-abroad-new", "app-new", "reclassified", "provider-moved", "keys-changed", "kb-law", "kb-placement",
         "copy-abroad-ended", "app-removed")


@dataclass(frozen=True, slots=True)
class Event:
    """One change of the quarter; ``worse`` says whether it raises exposure (shown as bad news)."""

    kind: str
    app: str | None  # application id (None for knowledge-base events)
    name: str  # the application's name (or pseudonym) as shown
    worse: bool | None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Step:
    """Applications (or resources) that entered (+1) or left (−1) a count, for one cause."""

    cause: str
    sign: int
    items: tuple[str, ...]

    @property
    def delta(self) -> int:
        return self.sign * len(self.items)


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """How a headline count went from ``before`` to ``after``."""

    indicator: str
    before: int
    after: int
    steps: tuple[Step, ...]

    @property
    def adds_up(self) -> bool:
        return self.before + sum(s.delta for s in self.steps) == self.after


@dataclass(frozen=True, slots=True)
class ShareChange:
    provider: str
    before: int
    after: int
    before_pct: float
    after_pct: float


@dataclass
class Changes:
    """What changed since the previous quarter's snapshot."""

    previous: SnapshotInfo
    events: list[Event]
    reconciliations: dict[str, Reconciliation]
    before: Indicators
    after: Indicators
    shares: list[ShareChange]
    indices: dict[str, tuple[float | None, float | None]]
    kb_version_changed: bool
    details_missing: bool  # the previous snapshot was stored without applications and tiers

    def of_kind(self, *kinds: str) -> list[Event]:
        return [e for e in self.events if e.kind in kinds]


# --------------------------------------------------------------------------- events


def _reach_laws(view: AppView, tiers: Iterable[str] = ("control", "location")) -> list[str]:
    laws = view.acc.laws_by_tier()
    return list(dict.fromkeys(law for tier in tiers for law in laws[tier]))


def _app_params(view: AppView, kb: KnowledgeBase) -> dict[str, Any]:
    return {"classes": view.sensitive_classes, "resources": view.acc.resources, "control": view.by_control,
            "location": view.by_location, "residual": view.residual_only, "laws": _reach_laws(view),
            "providers": [p for p, _ in view.acc.providers.most_common()], "outside": view.outside(kb)}


def _app_events(now: dict[str, AppView], before: dict[str, AppView], kb: KnowledgeBase) -> list[Event]:
    events: list[Event] = []
    for app_id, v in now.items():
        if app_id not in before:
            events.append(Event("app-new", app_id, v.name, v.reachable or None, _app_params(v, kb)))
    for app_id, v in before.items():
        if app_id not in now:
            events.append(Event("app-removed", app_id, v.name, False if v.reachable else None, _app_params(v, kb)))
    return events


def _copy_events(v: AppView, old: AppView, kb: KnowledgeBase) -> list[Event]:
    out: list[Event] = []
    gained = [c for c in v.outside(kb) if c not in set(old.outside(kb))]
    lost = [c for c in old.outside(kb) if c not in set(v.outside(kb))]
    old_flows = {(f.source, f.target, f.kind) for f in old.flows_out}
    new_flows = [f for f in v.flows_out if (f.source, f.target, f.kind) not in old_flows]
    if gained:
        out.append(Event("copy-abroad-new", v.id, v.name, True, {
            "countries": gained, "kinds": sorted({f.kind for f in new_flows if set(f.countries) & set(gained)}),
            "flows": sum(1 for f in new_flows if set(f.countries) & set(gained)), "classes": v.sensitive_classes,
            "laws": [law for law in v.acc.laws_by_tier()["location"] if law not in old.acc.laws["location"]]}))
    if lost:
        now_flows = {(f.source, f.target, f.kind) for f in v.flows_out}
        ended = [f for f in old.flows_out if (f.source, f.target, f.kind) not in now_flows]
        out.append(Event("copy-abroad-ended", v.id, v.name, False, {
            "countries": lost, "kinds": sorted({f.kind for f in ended if set(f.countries) & set(lost)}),
            "flows": sum(1 for f in ended if set(f.countries) & set(lost)), "classes": old.sensitive_classes}))
    return out


def _resource_events(v: AppView, old: AppView, now_res: dict[str, Any], old_res: dict[str, Any]) -> list[Event]:
    out: list[Event] = []
    before = set(old.resources)
    both = [rid for rid in v.resources if rid in old_res and rid in before]
    gained: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    reclassified = 0
    keys: Counter[tuple[str, str]] = Counter()
    for rid in both:
        a, b = now_res[rid], old_res[rid]
        if set(a.classes) != set(b.classes):
            reclassified += 1
            gained.update(set(a.classes) - set(b.classes))
            lost.update(set(b.classes) - set(a.classes))
        if a.key_control != b.key_control:
            keys[(b.key_control, a.key_control)] += 1
    if reclassified:
        became = v.sensitive and not old.sensitive
        worse = bool(SENSITIVE_CLASSES & set(gained)) and v.reachable
        out.append(Event("reclassified", v.id, v.name, worse or None, {
            "resources": reclassified, "gained": sorted(gained), "lost": sorted(lost), "became_sensitive": became,
            "no_longer_sensitive": old.sensitive and not v.sensitive, "reachable": v.reachable,
            "control": v.by_control, "location": v.by_location, "laws": _reach_laws(v),
            "providers": [p for p, _ in v.acc.providers.most_common()]}))
    if keys:
        strength = {"customer-external": 3, "customer-managed": 2, "provider-managed": 1, "unknown": 0}
        weaker = sum(n for (b, a), n in keys.items() if strength.get(a, 0) < strength.get(b, 0))
        stronger = sum(n for (b, a), n in keys.items() if strength.get(a, 0) > strength.get(b, 0))
        out.append(Event("keys-changed", v.id, v.name, True if weaker > stronger else (False if stronger else None),
                         {"changes": [(b, a, n) for (b, a), n in sorted(keys.items())],
                          "resources": sum(keys.values())}))
    return out


def _provider_event(v: AppView, old: AppView) -> list[Event]:
    gained = [p for p in v.acc.providers if p not in old.acc.providers]
    lost = [p for p in old.acc.providers if p not in v.acc.providers]
    if not gained and not lost:
        return []
    worse = v.by_control and not old.by_control
    better = old.by_control and not v.by_control
    return [Event("provider-moved", v.id, v.name, True if worse else (False if better else None),
                  {"gained": gained, "lost": lost, "control": v.by_control, "laws": _reach_laws(v, ("control",))})]


def _kb_events(now: Snapshot, before: Snapshot, used_laws: set[str], used_places: set[str]) -> list[Event]:
    fn, fb = now.details.facts, before.details.facts
    out: list[Event] = []
    laws_now, laws_before = fn.get("laws", {}), fb.get("laws", {})
    for law in sorted(used_laws):
        a, b = laws_now.get(law), laws_before.get(law)
        if a is None or b is None:
            if a != b:
                out.append(Event("kb-law", None, law, None, {"law": law, "before": b[0] if b else None,
                                                             "after": a[0] if a else None}))
            continue
        if a[0] != b[0] or bool(a[2]) != bool(b[2]):
            lapsed = a[0] in ("lapsed", "repealed") and b[0] not in ("lapsed", "repealed")
            out.append(Event("kb-law", None, law, False if lapsed else None, {
                "law": law, "before": b[0], "after": a[0], "verified_before": bool(b[2]),
                "verified_after": bool(a[2])}))
    places_now, places_before = fn.get("placements", {}), fb.get("placements", {})
    for key in sorted(used_places):
        a, b = places_now.get(key), places_before.get(key)
        if a is not None and b is not None and a != b:
            provider, _, region = key.partition(":")
            out.append(Event("kb-placement", None, key, None, {
                "provider": provider, "region": region, "operator_before": b[0], "operator_after": a[0],
                "controller_before": b[1], "controller_after": a[1], "countries_before": b[2],
                "countries_after": a[2]}))
    return out


# --------------------------------------------------------------------------- reconciliation


_ENTER = ("new-application", "reclassified", "new-copy-abroad", "provider-moved", "kb-changed", "resources-changed",
          "other")
_LEAVE = ("removed-application", "declassified", "copy-abroad-ended", "provider-moved", "kb-changed",
          "resources-changed", "other")


def _reconcile(name: str, member: Callable[[AppView], bool], now: dict[str, AppView], before: dict[str, AppView],
               causes: dict[str, set[str]]) -> Reconciliation:
    after_set = {a for a, v in now.items() if member(v)}
    before_set = {a for a, v in before.items() if member(v)}
    entered: dict[str, list[str]] = {c: [] for c in _ENTER}
    left: dict[str, list[str]] = {c: [] for c in _LEAVE}
    for app_id in sorted(after_set - before_set):
        if app_id not in before:
            cause = "new-application"
        else:
            cause = next((c for c in _ENTER[1:-1] if app_id in causes.get(c, set())), "other")
        entered[cause].append(app_id)
    for app_id in sorted(before_set - after_set):
        if app_id not in now:
            cause = "removed-application"
        else:
            cause = next((c for c in _LEAVE[1:-1] if app_id in causes.get(c, set())), "other")
        left[cause].append(app_id)
    steps = [Step(c, +1, tuple(ids)) for c, ids in entered.items() if ids]
    steps += [Step(c, -1, tuple(ids)) for c, ids in left.items() if ids]
    return Reconciliation(name, len(before_set), len(after_set), tuple(steps))


def _reconcile_resources(now: Snapshot, before: Snapshot) -> Reconciliation:
    def reachable(snap: Snapshot) -> dict[str, Any]:
        out = {}
        for r in snap.resources:
            tiers = detail_of(snap, r).tiers
            if r.sensitive and tiers & {"control", "location", "scored"}:
                out[r.id] = r
        return out

    a, b = reachable(now), reachable(before)
    old = {r.id: r for r in before.resources}
    new = {r.id: r for r in now.resources}
    entered: dict[str, list[str]] = {"new-resources": [], "reclassified": [], "newly-reachable": []}
    left: dict[str, list[str]] = {"removed-resources": [], "declassified": [], "no-longer-reachable": []}
    for rid in a.keys() - b.keys():
        prev = old.get(rid)
        key = "new-resources" if prev is None else ("reclassified" if not prev.sensitive else "newly-reachable")
        entered[key].append(rid)
    for rid in b.keys() - a.keys():
        cur = new.get(rid)
        key = "removed-resources" if cur is None else ("declassified" if not cur.sensitive else "no-longer-reachable")
        left[key].append(rid)
    steps = [Step(c, +1, tuple(sorted(ids))) for c, ids in entered.items() if ids]
    steps += [Step(c, -1, tuple(sorted(ids))) for c, ids in left.items() if ids]
    return Reconciliation("resources_reachable", len(b), len(a), tuple(steps))


#: The application counts reconciled, with the membership each counts.
APP_COUNTS: dict[str, Callable[[AppView], bool]] = {
    "apps_reachable": lambda v: v.reachable,
    "apps_by_control": lambda v: v.sensitive and v.by_control,
    "apps_by_location": lambda v: v.sensitive and v.by_location,
    "apps_residual_only": lambda v: v.residual_only,
}


def compare(current: Snapshot, previous: Snapshot, now: dict[str, AppView], before: dict[str, AppView],
            kb: KnowledgeBase) -> Changes:
    """Events and reconciliations between two snapshots in the same id space."""
    now_res = {r.id: r for r in current.resources}
    old_res = {r.id: r for r in previous.resources}
    events = _app_events(now, before, kb)
    causes: dict[str, set[str]] = {c: set() for c in (*_ENTER, *_LEAVE)}
    for app_id, v in now.items():
        old = before.get(app_id)
        if old is None:
            continue
        found = _copy_events(v, old, kb) + _resource_events(v, old, now_res, old_res) + _provider_event(v, old)
        events.extend(found)
        kinds = {e.kind for e in found}
        if "copy-abroad-new" in kinds:
            causes["new-copy-abroad"].add(app_id)
        if "copy-abroad-ended" in kinds:
            causes["copy-abroad-ended"].add(app_id)
        if "provider-moved" in kinds:
            causes["provider-moved"].add(app_id)
        if set(v.sensitive_classes) - set(old.sensitive_classes) or (v.sensitive and not old.sensitive):
            causes["reclassified"].add(app_id)
        if (old.sensitive and not v.sensitive) or set(old.sensitive_classes) - set(v.sensitive_classes):
            causes["declassified"].add(app_id)
        if set(v.resources) != set(old.resources):
            causes["resources-changed"].add(app_id)
    used_laws = {law for views in (now, before) for v in views.values() for tier in v.acc.laws.values()
                 for law in tier}
    used_places = {f"{r.provider}:{r.region}" for snap in (current, previous) for r in snap.resources if r.region}
    kb_events = _kb_events(current, previous, used_laws, used_places) if previous.details.known else []
    events.extend(kb_events)
    if kb_events:
        touched_laws = {e.params["law"] for e in kb_events if e.kind == "kb-law"}
        touched_places = {e.name for e in kb_events if e.kind == "kb-placement"}
        for app_id, v in now.items():
            old = before.get(app_id)
            laws = {law for tier in v.acc.laws.values() for law in tier}
            if old is not None:
                laws |= {law for tier in old.acc.laws.values() for law in tier}
            places = {f"{now_res[rid].provider}:{now_res[rid].region}" for rid in v.resources}
            if laws & touched_laws or places & touched_places:
                causes["kb-changed"].add(app_id)
    events.sort(key=lambda e: (ORDER.index(e.kind), e.name.casefold()))
    recs = {name: _reconcile(name, member, now, before, causes) for name, member in APP_COUNTS.items()}
    recs["resources_reachable"] = _reconcile_resources(current, previous)
    count_now = Counter(r.provider for r in current.resources)
    count_before = Counter(r.provider for r in previous.resources)
    tot_now, tot_before = len(current.resources) or 1, len(previous.resources) or 1
    shares = [ShareChange(p, count_before[p], count_now[p], round(100 * count_before[p] / tot_before, 1),
                          round(100 * count_now[p] / tot_now, 1))
              for p in sorted(set(count_now) | set(count_before), key=lambda p: (-count_now[p], p))]
    ci, pi = current.info, previous.info
    indices: dict[str, tuple[float | None, float | None]] = {
        "exposure": (pi.exposure_score, ci.exposure_score), "lockin": (pi.lockin_score, ci.lockin_score),
        "effort": (pi.effort, ci.effort), "resources": (pi.resources, ci.resources)}
    return Changes(pi, events, recs, Indicators.of(v.acc for v in before.values()),
                   Indicators.of(v.acc for v in now.values()), shares, indices, pi.kb_version != ci.kb_version,
                   not previous.details.known)
