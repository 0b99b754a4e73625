"""What a snapshot keeps beyond its per-resource facts: applications, reach by tier, sizes, and the
knowledge-base facts the scan relied on.

The quarterly report speaks of applications first, counts what is reachable by control, by
location and only through presence apart, sums volumes where the exports show sizes, and tells
which facts of the knowledge base changed between two quarters (a law's status, who runs a
region). Those need, per resource, its application and the tier and verification of every foreign
law reaching it, and, per snapshot, the facts behind the reach. They were stored in tables of
their own (schema step 3 of :mod:`scanner.history`) and, since step 4, in the snapshot's compressed
body (:mod:`scanner.snapshot_body`), with the facts in a small table of their own. Snapshots saved
by an older sovscan stay readable: they simply have no details, and the report says what it cannot
compare.

Pseudonymised snapshots keep pseudonyms here too: resource ids and application ids are keyed
pseudonyms, application names are the application's pseudonym.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from scanner.applications import Application, Indicators, Reach, accumulate, reach_of

if TYPE_CHECKING:
    from scanner.pseudonym import Pseudonymizer
    from scanner.result import ScanResult

#: Schema step 3 of the history database (see :data:`scanner.history.MIGRATIONS`). Since step 4 the
#: applications and per-resource details are kept in the snapshot's compressed body
#: (:mod:`scanner.snapshot_body`) and ``application`` and ``resource_detail`` are gone;
#: ``snapshot_facts`` stays.
STATEMENTS = (
    """CREATE TABLE application (
        snapshot_id INTEGER NOT NULL REFERENCES snapshot(id) ON DELETE CASCADE,
        app_id TEXT NOT NULL, name TEXT NOT NULL, basis TEXT NOT NULL, tag TEXT NOT NULL
    )""",
    "CREATE INDEX application_snapshot ON application (snapshot_id)",
    # reach: JSON [[law, tier, verified], ...] of the foreign laws reaching the resource by control,
    # location or presence; joined: how the resource joined its application (tag:<key>, flow, key, basis).
    """CREATE TABLE resource_detail (
        snapshot_id INTEGER NOT NULL REFERENCES snapshot(id) ON DELETE CASCADE,
        rid TEXT NOT NULL, application TEXT, joined TEXT NOT NULL, size_gb REAL, reach TEXT NOT NULL
    )""",
    "CREATE INDEX resource_detail_snapshot ON resource_detail (snapshot_id)",
    """CREATE TABLE snapshot_facts (
        snapshot_id INTEGER PRIMARY KEY REFERENCES snapshot(id) ON DELETE CASCADE,
        data TEXT NOT NULL
    )""",
)


@dataclass(frozen=True, slots=True)
class ResourceDetail:
    """A resource's application, the foreign laws reaching it with their tier, and its size."""

    application: str | None
    joined: str  # tag:<key> | flow | key | resource-group | project | account | provider
    reach: tuple[Reach, ...] = ()
    size_gb: float | None = None

    @property
    def tiers(self) -> frozenset[str]:
        # Resources of one profile share their reach tuple, and reports ask for the tiers of every
        # resource several times: remember them per tuple (kept alive by the entry, so the id is its own).
        found = _TIERS.get(id(self.reach))
        if found is not None and found[0] is self.reach:
            return found[1]
        tiers = frozenset(r.tier for r in self.reach)
        if len(_TIERS) >= 4096:
            _TIERS.clear()
        _TIERS[id(self.reach)] = (self.reach, tiers)
        return tiers


_TIERS: dict[int, tuple[tuple[Reach, ...], frozenset[str]]] = {}


@dataclass
class Details:
    """The details of one snapshot (empty, with ``known=False``, for snapshots of older versions)."""

    resources: dict[str, ResourceDetail] = field(default_factory=dict)
    applications: dict[str, Application] = field(default_factory=dict)
    #: Knowledge-base facts the scan relied on: law status, who runs each placement used, unverified
    #: facts and facts due for review (see :func:`facts_of`).
    facts: dict[str, Any] = field(default_factory=dict)
    known: bool = False


def _joined(how: str) -> str:
    """How a resource joined its application, without the identifier of the resource it followed."""
    return how.split(":", 1)[0] if how.startswith(("flow:", "key:")) else how


def details_of(result: ScanResult, pseudonymizer: Pseudonymizer | None = None) -> Details:
    """The details of a scan, pseudonymised when a pseudonymizer is given."""
    apps = result.applications
    out = Details(facts=facts_of(result), known=True)
    if apps is not None:
        for app in apps.apps.values():
            if pseudonymizer is not None:
                code = pseudonymizer.application(app.id)
                app = Application(code, code, app.basis, app.key)
            out.applications[app.id] = app
    shared: dict[int, tuple[Reach, ...]] = {}
    for a in result.assessed:
        p = a.profile
        reach = shared.get(id(p))
        if reach is None:
            reach = shared[id(p)] = reach_of(p.hits)
        rid = a.res.id
        app_id = apps.of.get(rid) if apps is not None else None
        how = _joined(apps.how.get(rid, "")) if apps is not None else ""
        if pseudonymizer is not None:
            rid = pseudonymizer.resource(rid)
            app_id = pseudonymizer.application(app_id) if app_id is not None else None
        out.resources[rid] = ResourceDetail(app_id, how, reach, a.res.size_gb)
    return out


def facts_of(result: ScanResult) -> dict[str, Any]:
    """The knowledge-base facts behind a scan, as compared from one quarter to the next.

    Laws: status, review date and verification of every law record. Placements: for every region
    (or global placement) the scan used, who operates it, the country its controller is in, and
    the countries its bytes may be in.
    """
    kb = result.kb
    laws = {lid: [str(law.status), law.review_by.isoformat(), law.verified] for lid, law in kb.laws.items()}
    placements: dict[str, list[Any]] = {}
    seen: set[int] = set()
    for a in result.assessed:
        p = a.profile
        if id(p) in seen:
            continue
        seen.add(id(p))
        if not p.placement:
            continue
        key = f"{a.res.provider}:{p.placement}"
        if key in placements:
            continue
        region = kb.region(a.res.provider, p.placement)
        countries = sorted(kb.region_countries(region)) if region is not None else []
        placements[key] = [p.operator, p.controller_country, countries]
    c = result.coverage
    indicators = Indicators.of(accumulate(result).values())
    return {"kb_version": kb.version, "laws": laws, "placements": placements,
            "unverified": dict(c.unverified_facts), "due": dict(c.due_for_review),
            "indicators": {name: getattr(indicators, name) for name in Indicators.__dataclass_fields__}}


def store_facts(conn: sqlite3.Connection, snapshot_id: int, facts: dict[str, Any]) -> None:
    """Write a snapshot's knowledge-base facts and headline counts (inside the caller's transaction).

    They stay in a table of their own, outside the snapshot's compressed body
    (:mod:`scanner.snapshot_body`), so that the trend reads every quarter's counts without
    decoding any resource.
    """
    conn.execute("INSERT INTO snapshot_facts VALUES (?,?)", (snapshot_id, orjson.dumps(facts).decode()))


def load_facts(conn: sqlite3.Connection, snapshot_id: int) -> dict[str, Any] | None:
    """A snapshot's facts; ``None`` when it was saved by a version that kept none."""
    row = conn.execute("SELECT data FROM snapshot_facts WHERE snapshot_id = ?", (snapshot_id,)).fetchone()
    if row is None:
        return None
    facts = orjson.loads(row[0])
    if not isinstance(facts, dict):
        raise TypeError("stored facts are not an object")
    return facts


def indicators_of(conn: sqlite3.Connection, snapshot_ids: list[int]) -> dict[int, Indicators]:
    """The headline indicators stored with each of these snapshots (those saved with details)."""
    out: dict[int, Indicators] = {}
    for sid, data in conn.execute(
            f"SELECT snapshot_id, data FROM snapshot_facts WHERE snapshot_id IN ({','.join('?' * len(snapshot_ids))})",
            snapshot_ids):
        stored = orjson.loads(data).get("indicators")
        if isinstance(stored, dict):
            known = {k: v for k, v in stored.items() if k in Indicators.__dataclass_fields__}
            out[int(sid)] = Indicators(**known)
    return out


def load_tables(conn: sqlite3.Connection, snapshot_id: int) -> Details:
    """A snapshot's details as schema versions 3 stored them, one row per resource (for the migration
    to the compact body); ``known=False`` when it was saved by a version that kept none."""
    facts = load_facts(conn, snapshot_id)
    if facts is None:
        return Details()
    out = Details(facts=facts, known=True)
    for app_id, name, basis, tag in conn.execute(
            "SELECT app_id, name, basis, tag FROM application WHERE snapshot_id = ? ORDER BY rowid", (snapshot_id,)):
        out.applications[app_id] = Application(app_id, name, basis, tag)
    decoded: dict[str, tuple[Reach, ...]] = {}
    for rid, app_id, joined, size_gb, reach in conn.execute(
            "SELECT rid, application, joined, size_gb, reach FROM resource_detail WHERE snapshot_id = ? "
            "ORDER BY rowid", (snapshot_id,)):
        hits = decoded.get(reach)
        if hits is None:
            hits = decoded[reach] = tuple(Reach(law, tier, bool(ok)) for law, tier, ok in orjson.loads(reach))
        out.resources[rid] = ResourceDetail(app_id, joined, hits, size_gb)
    return out
