"""The planner: which alternative fits each resource, which resources move together, in what order.

1. **Scope.** Every resource whose provider is not one of the ``--target`` providers moves.
2. **Choice.** Among the service's catalogue alternatives, an offer fits when its provider is a
   target and the qualification records show it holds the required certifications in at least one
   region; it is then placed in such a region. Open-source software fits when ``open-source`` is a
   target, hosted on the first target provider with a compute offer holding the required
   certifications (in a region where it holds them), or self-hosted when no provider is a target.
   Requirements follow the data a resource holds or processes, whatever its category
   (:func:`scanner.scoring.migration.requirements_for`): by default what its data classes need in
   the home country (``required_certifications``: health data in France → HDS), or what
   ``--require`` says for every resource handling non-public data. Candidates are tried in
   ``--target`` order, then in catalogue order.
3. **Units.** Resources that must move together: connected through copy flows (replication,
   replica, failover, backup, multi-region), network peering, encryption keys, or containment
   (an Azure database inside its server, a Cloud KMS key inside its key ring).
4. **Waves.** Units holding health data reachable by a foreign law first, then other sensitive
   data so reachable, then any other exposed unit, then the rest; a unit another one depends on
   (the origin of a CDN, the sink of a log flow) is pulled into the wave of its dependant. Units
   where nothing can move are left out of the waves.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from scanner.kb.loader import KnowledgeBase
from scanner.kb.schema import SENSITIVE_CLASSES, SPECIAL_CLASSES, Alternative, Service
from scanner.plan.costs import Egress, EgressPricer
from scanner.result import Assessed, ScanResult
from scanner.scoring.migration import requirements_for

OPEN_SOURCE = "open-source"
SELF_HOSTED = "self-hosted"
WAVE_NAMES = {1: "health data reachable by a foreign law",
              2: "other sensitive data reachable by a foreign law",
              3: "other resources reachable by a foreign law",
              4: "resources no foreign law reaches"}


NO_EGRESS = Egress(0.0, 0.0, None)


@dataclass(frozen=True)
class PlanOptions:
    """What the user asked for."""

    targets: tuple[str, ...]
    require: frozenset[str] | None = None  # None: what each resource's data classes need
    bandwidth_mbps: float = 1000.0
    exit_date: dt.date = field(default_factory=dt.date.today)
    usd_per_eur: float | None = None

    @property
    def providers(self) -> tuple[str, ...]:
        return tuple(t for t in self.targets if t != OPEN_SOURCE)


@dataclass(slots=True)
class Move:
    """One resource of a unit, with its chosen alternative (or why there is none)."""

    a: Assessed
    alternative: Alternative | None
    host: str | None  # provider that will run it (the offer's provider, the host of open-source software)
    region: str | None  # target region of the host provider
    native_type: str | None  # the host's service type used to re-score
    reason: str | None
    required: tuple[str, ...]
    data_gb: float = 0.0  # volume to transfer (0 for a replica rebuilt from its moved primary)
    egress: Egress = NO_EGRESS

    @property
    def moves(self) -> bool:
        return self.alternative is not None


@dataclass(slots=True)
class Unit:
    id: str
    moves: list[Move]
    depends_on: list[str] = field(default_factory=list)
    wave: int | None = None
    band: int = 4
    exposure_max: float = 0.0
    exposure_after_max: float | None = None
    #: (effort, data_gb, egress list_eur, egress due_eur), summed once on first reading: they are read
    #: several times per unit (priority, records, totals, waves), after the moves' volumes are settled.
    _sums: tuple[int, float, float | None, float | None] | None = field(
        default=None, init=False, repr=False, compare=False)

    @property
    def movable(self) -> bool:
        return any(m.moves for m in self.moves)

    def _totals(self) -> tuple[int, float, float | None, float | None]:
        if self._sums is None:
            moving = [m for m in self.moves if m.moves]
            self._sums = (sum(m.a.effort or 0 for m in moving), round(sum(m.data_gb for m in moving), 3),
                          _egress_sum(moving, "list_eur"), _egress_sum(moving, "due_eur"))
        return self._sums

    @property
    def effort(self) -> int:
        return self._totals()[0]

    @property
    def data_gb(self) -> float:
        return self._totals()[1]

    def egress(self, attr: str) -> float | None:
        if attr == "list_eur":
            return self._totals()[2]
        if attr == "due_eur":
            return self._totals()[3]
        return _egress_sum([m for m in self.moves if m.moves], attr)


def _egress_sum(moving: list[Move], attr: str) -> float | None:
    values: list[float | None] = [getattr(m.egress, attr) for m in moving]
    if any(v is None for v in values):
        return None
    return round(sum(v for v in values if v is not None), 2)


#: (alternative, host, region, native type, reason when no alternative fits)
Choice = tuple[Alternative | None, str | None, str | None, str | None, str | None]


class Chooser:
    """Picks the alternative for each resource; memoised per (service, required, country)."""

    def __init__(self, kb: KnowledgeBase, options: PlanOptions, home: str, on: dt.date | None = None):
        self.kb = kb
        self.options = options
        self.home = home
        self.on = on  # qualifications must be in date on this day (the inventory date)
        self.rank = {t: i for i, t in enumerate(options.targets)}
        self._memo: dict[tuple[Any, ...], Choice] = {}
        #: id of a profile → (the profile, kept alive so its id is not reused; its requirements)
        self._required: dict[int, tuple[Any, tuple[str, ...]]] = {}

    def required(self, a: Assessed) -> tuple[str, ...]:
        """The certifications ``a``'s data needs; computed once per shared profile (one tuple for all)."""
        profile = a.profile
        found = self._required.get(id(profile))
        if found is None:
            found = self._required[id(profile)] = (profile, tuple(sorted(
                requirements_for(self.kb, a.classes, self.home, a.service, self.options.require))))
        return found[1]

    def host_for_open_source(self, required: tuple[str, ...]) -> tuple[str | None, str | None, str | None]:
        """(host provider or None for self-hosted, its compute offer, reason when no host fits)."""
        if not self.options.providers:
            return None, None, None
        for provider in self.options.providers:
            for alt in self.kb.alternatives.values():
                if (alt.provider == provider and alt.kind == "offer" and alt.category == "compute"
                        and self.kb.offer_holds(alt.id, required, self.on)):
                    return provider, alt.id, None
        return None, None, (f"no target provider has a compute offer holding {', '.join(required)} to host it"
                            if required else "no target provider has a compute offer to host it")

    def region_for(self, offer: str, host: str, required: tuple[str, ...], country: str) -> str | None:
        """A region of ``host`` where ``offer`` holds every required scheme (any region when none is)."""
        allowed = set(self.kb.offer_regions(offer, required, self.on)) if required else None
        return pick_region(self.kb, host, country, self.home, allowed)

    def choose(self, a: Assessed) -> Choice:
        """(alternative, host, region, native type, reason when no alternative fits)."""
        svc = a.service
        required = self.required(a)
        country = a.country if a.country and self.kb.in_eea(a.country) else self.home
        key = (id(svc), a.res.provider, a.res.native_type, required, country, a.effort)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._choose(svc, a, required, country)
        return found

    def _choose(self, svc: Service | None, a: Assessed, required: tuple[str, ...], country: str) -> Choice:
        if svc is None:
            return None, None, None, None, f"type {a.res.native_type} is not in the catalogue"
        if svc.effort == 0 and not svc.alternatives:
            return None, None, None, None, "nothing to move: re-created with the resource it belongs to (effort 0)"
        if not svc.alternatives:
            return None, None, None, None, f"no alternative to {svc.name} in the catalogue ({svc.portability})"
        candidates: list[tuple[int, int, Alternative]] = []
        off_target: list[str] = []
        lacking: list[str] = []
        for order, alt_id in enumerate(svc.alternatives):
            alt = self.kb.alternatives.get(alt_id)
            if alt is None:
                continue
            target = OPEN_SOURCE if alt.kind == "open-source" else (alt.provider or "")
            if target not in self.rank:
                off_target.append(alt.id)
                continue
            if alt.kind == "offer" and not self.kb.offer_holds(alt.id, required, self.on):
                held = set(self.kb.offer_schemes(alt.id, self.on))
                missing = sorted(set(required) - held)
                lacking.append(f"{alt.id} lacks {', '.join(missing)}" if missing
                               else f"{alt.id} holds {', '.join(required)} in no single region")
                continue
            candidates.append((self.rank[target], order, alt))
        host_problem: str | None = None
        for _, _, alt in sorted(candidates, key=lambda c: (c[0], c[1])):
            offer: str | None = alt.id
            if alt.kind == "offer":
                host = alt.provider
            else:
                host, offer, host_problem = self.host_for_open_source(required)
                if host_problem:
                    continue
            region = self.region_for(offer, host, required, country) if host and offer else None
            return alt, host or SELF_HOSTED, region, self.native_type(svc, alt, host), None
        reasons = []
        if lacking:
            reasons.append("; ".join(lacking))
        if host_problem:
            reasons.append(f"open-source software: {host_problem}")
        if off_target:
            reasons.append(f"other alternatives are not among the targets ({', '.join(off_target)})")
        return None, None, None, None, "no fitting alternative: " + ("; ".join(reasons) or "none in the catalogue")

    def native_type(self, svc: Service, alt: Alternative, host: str | None) -> str:
        """The host's service type that stands for the alternative when the what-if re-scores.

        An offer maps to the service of its provider, of the same category, that shares the most
        catalogue alternatives with the service it replaces (the provider's S3-compatible bucket
        for S3). Open-source software is run on the host's virtual machines.
        """
        if host is None:
            return f"{SELF_HOSTED}:{alt.id}"
        pool = [s for (p, _), s in self.kb.services.items() if p == host]
        if alt.kind == "open-source":
            vms = sorted((s for s in pool if s.category == "compute"),
                         key=lambda s: (str(s.portability) != "standard", s.effort, s.type))
            return vms[0].type if vms else f"{host}:{alt.id}"
        if self.kb.service(host, alt.id) is not None:  # an offer catalogued under its own id (offers.yaml)
            return alt.id
        wanted = set(svc.alternatives)
        same = [s for s in pool if s.category == alt.category] or pool
        best = sorted(same, key=lambda s: (-len(wanted & set(s.alternatives)), s.type))
        return best[0].type if best and (best[0].category == alt.category or wanted & set(best[0].alternatives)) \
            else f"{host}:{alt.id}"


def pick_region(kb: KnowledgeBase, provider: str, country: str, home: str,
                allowed: set[str] | None = None) -> str | None:
    """A region of ``provider`` in ``country``, else in the home country, else anywhere in the EEA.

    ``allowed`` limits the choice to the regions where the chosen offer holds the required
    certifications (qualification records). Among several, the shortest code, then alphabetical
    (``gra`` before ``gra11``): a reproducible choice, documented in docs/plan.md; the plan names
    the region so a reader can change it.
    """
    regions = [r for (p, _), r in kb.regions.items() if p == provider and r.country and str(r.kind) == "region"
               and (allowed is None or r.code in allowed)]
    for wanted in (country, home):
        here = sorted((r.code for r in regions if r.country == wanted), key=lambda c: (len(c), c))
        if here:
            return here[0]
    eea = sorted((r.code for r in regions if r.country and kb.in_eea(r.country)), key=lambda c: (len(c), c))
    return eea[0] if eea else None


def _containers(rid: str, ids: set[str]) -> Iterable[str]:
    """Resources that contain ``rid``: ARM ids and Google full resource names spell containment
    (``…/servers/S/databases/D`` lies inside ``…/servers/S``), so a parent's id is a prefix of its
    children's by whole ``type/name`` pairs."""
    parts = rid.split("/")
    for end in range(len(parts) - 2, 2, -2):
        prefix = "/".join(parts[:end])
        if prefix in ids:
            yield prefix


def band_of(a: Assessed) -> int:
    foreign = a.profile.reachable
    data = a.profile.data_bearing
    cls = set(a.classes)
    if foreign and data and cls & SPECIAL_CLASSES:
        return 1
    if foreign and data and cls & SENSITIVE_CLASSES:
        return 2
    if foreign:
        return 3
    return 4


@dataclass
class Planned:
    """What :func:`plan_units` concludes."""

    moving: list[Move]
    staying: list[Assessed]
    units: list[Unit]
    waves: list[list[str]]
    unknown_egress_providers: list[str]


def plan_units(result: ScanResult, options: PlanOptions) -> Planned:
    kb = result.kb
    chooser = Chooser(kb, options, result.home_country, _as_date(result.as_of))
    pricer = EgressPricer(kb, options.exit_date, options.usd_per_eur, result.billing)
    targets = set(options.providers)
    moving: list[Move] = []
    staying: list[Assessed] = []
    for a in result.assessed:
        if a.res.provider in targets:
            staying.append(a)
            continue
        alt, host, region, native, reason = chooser.choose(a)
        moving.append(Move(a, alt, host, region, native, reason, chooser.required(a)))
    by_id = {m.a.res.id: m for m in moving}
    ids = set(by_id)

    together, order_edges, copy_sources = _relations(result, moving, ids)
    unknown_egress: set[str] = set()
    for m in moving:
        if not m.moves:
            continue
        # A replica or copy is rebuilt at the destination from its primary when both move.
        # (Two resources listed as copies of each other are both counted: never under-estimate.)
        rid = m.a.res.id
        primary_moves = any(by_id[src].moves and rid not in copy_sources.get(src, ())
                            for src in copy_sources.get(rid, ()))
        m.data_gb = 0.0 if primary_moves else float(m.a.res.size_gb or 0.0)
        m.egress = pricer.cost(m.a.res.provider, m.data_gb)
        if m.egress.list_eur is None:
            unknown_egress.add(m.a.res.provider)

    # Units: the connected components of ``together``, each listed in inventory order, in the
    # inventory order of their first resource (``moving`` is in inventory order).
    unit_of: dict[str, Unit] = {}
    units: list[Unit] = []
    root_unit: dict[int | str, Unit] = {}
    component = _components(together)
    for m in moving:
        rid = m.a.res.id
        root: int | str = component.get(rid, rid)
        unit = root_unit.get(root)
        if unit is None:
            unit = root_unit[root] = Unit("", [], band=band_of(m.a), exposure_max=m.a.exposure)
            units.append(unit)
        else:
            unit.band = min(unit.band, band_of(m.a))
            unit.exposure_max = max(unit.exposure_max, m.a.exposure)
        unit.moves.append(m)
        unit_of[rid] = unit
    del root_unit, component
    index = {id(u): i for i, u in enumerate(units)} if order_edges else {}
    # unit → unit that must move after it (a CDN after its origin…): only the units such a flow ties
    order: nx.DiGraph[int] = nx.DiGraph()
    for first, then in order_edges:
        uf, ut = index[id(unit_of[first])], index[id(unit_of[then])]
        if uf != ut:
            order.add_edge(uf, ut)
    priority = [_priority(u) for u in units]
    ordered, waves_idx = _waves(units, order, priority)
    blocked = sorted((i for i in range(len(units)) if units[i].wave is None), key=priority.__getitem__)
    width = max(2, len(str(len(units))))
    for n, i in enumerate(ordered + blocked, start=1):
        units[i].id = f"U{n:0{width}d}"
    for i in order.nodes:
        units[i].depends_on = sorted(units[p].id for p in order.predecessors(i))
    final = [units[i] for i in ordered + blocked]
    waves = [[units[i].id for i in members] for members in waves_idx]
    return Planned(moving, staying, final, waves, sorted(unknown_egress))


def _components(together: nx.Graph[str]) -> dict[str, int]:
    """Resource id → number of its connected component in ``together`` (resources without ties are
    in no component: each is a unit of its own). The graph is emptied once read."""
    component: dict[str, int] = {}
    for n, members in enumerate(nx.connected_components(together)):
        for rid in members:
            component[rid] = n
    together.clear()  # self-referring: freed now rather than by the (paused) cyclic collector
    return component


def _as_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _relations(result: ScanResult, moving: list[Move],
               ids: set[str]) -> tuple[nx.Graph[str], list[tuple[str, str]], dict[str, list[str]]]:
    """What ties moving resources: the graph of those that move together (copies, peering, keys,
    containment; only resources with such a tie are nodes), the flows that only order them (first,
    then), and each copy's primaries."""
    together: nx.Graph[str] = nx.Graph()
    order_edges: list[tuple[str, str]] = []
    copy_sources: dict[str, list[str]] = defaultdict(list)
    for flow in result.flows:
        if flow.source not in ids or flow.target not in ids:
            continue
        if flow.kind.moves_together:
            together.add_edge(flow.source, flow.target)
            if flow.kind.copies:
                copy_sources[flow.target].append(flow.source)
        elif flow.kind.source_moves_first is not None:
            order_edges.append((flow.source, flow.target) if flow.kind.source_moves_first
                               else (flow.target, flow.source))
    for m in moving:
        key = m.a.res.key
        if key is not None and key.key_id and key.key_id in ids:
            together.add_edge(m.a.res.id, key.key_id)
        for parent in _containers(m.a.res.id, ids):
            together.add_edge(m.a.res.id, parent)
    return together, order_edges, copy_sources


def _priority(u: Unit) -> tuple[float, float, str]:
    """Most urgent first: the most exposed, then the heaviest, then by id (reproducible)."""
    return (-u.exposure_max, -u.data_gb, min(m.a.res.id for m in u.moves))


def _waves(units: list[Unit], order: nx.DiGraph[int],
           priority: list[tuple[float, float, str]]) -> tuple[list[int], list[list[int]]]:
    """Waves by band (most sensitive exposed data first); a unit another movable unit depends on
    is pulled into the earliest wave of its dependants; inside a wave, a topological order of the
    dependencies, most urgent first among the units that are ready (``priority[i]`` of unit ``i``,
    computed once: the ordering is O(n log n)). Sets ``Unit.wave``.

    ``order`` holds the dependencies between units (a unit no flow orders need not be in it).
    """
    is_movable = [u.movable for u in units]
    sub: nx.DiGraph[int] = nx.DiGraph()  # a plain graph: views of a large graph are slow to walk
    sub.add_edges_from((a, b) for a, b in order.edges if is_movable[a] and is_movable[b])
    # Strongly connected components stand for one unit each (cdn/logs cycles between units are not
    # expected; if they happen, their units share a wave and keep their priority order). Units no
    # dependency ties (nearly all) are components of their own, outside any graph.
    dag = nx.condensation(sub)
    members: list[list[int]] = [sorted(dag.nodes[c]["members"], key=priority.__getitem__) for c in range(len(dag))]
    successors: list[list[int]] = [list(dag.successors(c)) for c in range(len(dag))]
    band = [min(units[i].band for i in ms) for ms in members]
    for c in reversed(list(nx.topological_sort(dag))):
        band[c] = min([band[c], *(band[d] for d in successors[c])])
    tied = set(sub.nodes)
    sub.clear()  # self-referring: freed now rather than by the (paused) cyclic collector
    dag.clear()
    for i, movable in enumerate(is_movable):
        if movable and i not in tied:
            members.append([i])
            successors.append([])
            band.append(units[i].band)
    # A component's urgency is its most urgent unit's; no two are equal (the last field is a
    # resource id, and units share none), so the order below is fully determined.
    key = [priority[ms[0]] for ms in members]
    by_band: dict[int, list[int]] = defaultdict(list)
    for c, b in enumerate(band):
        by_band[b].append(c)
    ordered: list[int] = []
    waves: list[list[int]] = []
    for wave_band in sorted(by_band):
        wave = [i for c in _ready_first(successors, by_band[wave_band], key) for i in members[c]]
        waves.append(wave)
        ordered.extend(wave)
    for number, wave in enumerate(waves, start=1):
        for i in wave:
            units[i].wave = number
    return ordered, waves


def _ready_first(successors: list[list[int]], nodes: list[int],
                 key: list[tuple[float, float, str]]) -> list[int]:
    """A topological order of ``nodes`` (edges among them only), the smallest ``key`` first among
    those whose predecessors are placed (Kahn's algorithm with a heap)."""
    inside = set(nodes)
    waiting = dict.fromkeys(nodes, 0)
    for c in nodes:
        for d in successors[c]:
            if d in inside:
                waiting[d] += 1
    ready = [(key[c], c) for c in nodes if not waiting[c]]
    heapq.heapify(ready)
    out: list[int] = []
    while ready:
        _, c = heapq.heappop(ready)
        out.append(c)
        for d in successors[c]:
            if d in inside:
                waiting[d] -= 1
                if not waiting[d]:
                    heapq.heappush(ready, (key[d], d))
    return out
