"""Scan history: one snapshot per organisation and as-of date, in a local SQLite database.

Quarterly reports compare a quarter with the one before and draw trends over every stored
quarter, so each scan can be kept (``sovscan run --save``, ``sovscan report --save``). A snapshot
holds what those comparisons need and nothing more: the summary, compact per-resource facts
(id, provider, service, category, region, countries, data classes, foreign laws, exposure,
lock-in, effort), findings, flows, coverage and the knowledge-base dates; and, unless it is
pseudonymised, the normalised inventory it was scored from (ids, types, regions, tags, key
references, sizes, flows), so that it can be assessed again (``sovscan plan --snapshot``). Never
raw records, secrets or object contents.

* The database defaults to the user's data directory (platformdirs: ``~/.local/share/sovscan/``
  on Linux); ``--db PATH`` chooses another.
* A snapshot is written in one transaction: a crash or an error leaves either the whole snapshot
  or none of it (SQLite's rollback journal). Saving the same organisation and date again
  replaces the earlier snapshot in that same transaction.
* The schema is versioned with ``PRAGMA user_version``; :data:`MIGRATIONS` lists the steps, applied
  when an older database is opened, inside one ``BEGIN IMMEDIATE`` transaction that reads the
  version again under the write lock (two first opens at once cannot both create the schema). A
  database written by a newer sovscan is refused rather than misread.
* The file says it is sovscan's (``PRAGMA application_id`` = :data:`APPLICATION_ID`): any other
  SQLite file is refused, never written into; a database of an earlier sovscan (no id yet, sovscan's
  tables only) is adopted.
* The database is created readable by its owner only (0600) in a folder created 0700; SQLite's
  journal takes the same mode. The pseudonymisation key beside it is 0600 too.
* Another writer holding the database is waited for :data:`BUSY_TIMEOUT` seconds, then refused
  with one line. Every SQLite error, a damaged file or damaged stored data becomes a
  :class:`HistoryError` (one line, exit 2).
* Deleted snapshots are overwritten (``PRAGMA secure_delete``) and ``forget`` rebuilds the file
  (``VACUUM``), so that forgotten data does not stay in free pages.
* What is stored is what the analysis needs: per resource, a fixed list of fields, the provider
  facts in :data:`STORED_ATTRIBUTES`, and tags with the values of secret-named keys redacted
  (:mod:`scanner.redact`).
* With ``pseudonymize=True`` ids, names and accounts are stored as keyed pseudonyms
  (:mod:`scanner.pseudonym`, key beside the database), so the database itself holds no
  identifiers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import sqlite3
import stat
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from scanner import __version__
from scanner.applications import Indicators
from scanner.errors import SovscanError
from scanner.inventory import Inventory
from scanner.model import Account, Flow, FlowKind, Gap, KeyControl, KeyRef, Resource, SourceInfo
from scanner.pseudonym import Pseudonymizer, private_folder
from scanner.redact import redact_tags
from scanner.result import Assessed, ScanResult, Summary, summary_from_json
from scanner.snapshot_body import BODY_FORMAT, Renaming
from scanner.snapshot_body import SnapFinding as SnapFinding  # the records, defined with their encoding
from scanner.snapshot_body import SnapFlow as SnapFlow
from scanner.snapshot_body import SnapResource as SnapResource
from scanner.snapshot_body import decode as decode_body
from scanner.snapshot_body import encode as encode_body
from scanner.snapshot_details import STATEMENTS as _V3
from scanner.snapshot_details import Details, details_of, indicators_of, load_facts, load_tables, store_facts

DB_NAME = "history.sqlite3"
#: ``PRAGMA application_id`` of a sovscan history database: "SOVS" in ASCII.
APPLICATION_ID = 0x534F5653
#: Seconds to wait for another writer before giving up with one line.
BUSY_TIMEOUT = 30.0
#: Provider facts (``Resource.attributes``) kept with a stored inventory: those the assessment
#: reads (key control, geography pairs) and the placement and key facts it may come to read. Others
#: (SKUs, engines, statuses…) are not stored. Add a key here when the assessment starts to read it.
STORED_ATTRIBUTES = frozenset({"key_control", "geo_pair_needed", "encrypted", "hsm_backed", "protection_level",
                               "location_type", "allowed_regions", "subscription_unknown", "plan_action"})


class HistoryError(SovscanError):
    """The history database cannot be used (missing, newer schema, not a sovscan database)."""


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """One stored snapshot, as ``history list`` shows it (no per-resource rows)."""

    id: int
    organization: str
    as_of: str
    generated_at: str
    tool_version: str
    kb_version: str
    home_country: str
    pseudonymized: bool
    resources: int
    exposed_resources: int
    sensitive_exposed: int
    exposure_score: float
    lockin_score: float | None
    effort: int
    findings: int
    replaced: bool = False  # set by save() when an earlier snapshot of the same key was replaced

    @property
    def date(self) -> dt.date:
        return dt.date.fromisoformat(self.as_of)


@dataclass
class Snapshot:
    """A whole snapshot: loaded from the database, or taken from a scan in memory."""

    info: SnapshotInfo
    summary: Summary
    coverage: dict[str, Any]
    kb_meta: dict[str, Any]
    sources: list[dict[str, Any]]
    resources: list[SnapResource] = field(default_factory=list)
    findings: list[SnapFinding] = field(default_factory=list)
    flows: list[SnapFlow] = field(default_factory=list)
    #: Applications, reach by tier, sizes and knowledge-base facts (:mod:`scanner.snapshot_details`).
    details: Details = field(default_factory=Details)


# --------------------------------------------------------------------------- schema

_V1 = (
    """CREATE TABLE snapshot (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- ids of forgotten snapshots are never reused
        organization TEXT NOT NULL,
        as_of TEXT NOT NULL,
        generated_at TEXT NOT NULL,
        tool_version TEXT NOT NULL,
        kb_version TEXT NOT NULL,
        home_country TEXT NOT NULL,
        pseudonymized INTEGER NOT NULL,
        resources INTEGER NOT NULL,
        exposed_resources INTEGER NOT NULL,
        sensitive_exposed INTEGER NOT NULL,
        exposure_score REAL NOT NULL,
        lockin_score REAL,
        effort INTEGER NOT NULL,
        findings INTEGER NOT NULL,
        summary TEXT NOT NULL,
        coverage TEXT NOT NULL,
        kb_meta TEXT NOT NULL,
        sources TEXT NOT NULL,
        UNIQUE (organization, as_of)
    )""",
    """CREATE TABLE resource (
        snapshot_id INTEGER NOT NULL REFERENCES snapshot(id) ON DELETE CASCADE,
        rid TEXT NOT NULL, name TEXT NOT NULL, account TEXT, provider TEXT NOT NULL,
        service TEXT, service_name TEXT, category TEXT, region TEXT, country TEXT,
        locations TEXT NOT NULL, classes TEXT NOT NULL, laws TEXT NOT NULL,
        exposure REAL NOT NULL, level TEXT NOT NULL, lockin REAL, lockin_level TEXT NOT NULL,
        effort INTEGER, effort_level TEXT NOT NULL, key_control TEXT NOT NULL,
        data_bearing INTEGER NOT NULL, alternatives TEXT NOT NULL
    )""",
    "CREATE INDEX resource_snapshot ON resource (snapshot_id, rid)",
    """CREATE TABLE finding (
        snapshot_id INTEGER NOT NULL REFERENCES snapshot(id) ON DELETE CASCADE,
        rule TEXT NOT NULL, severity TEXT NOT NULL, resource TEXT NOT NULL, suffix TEXT NOT NULL
    )""",
    "CREATE INDEX finding_snapshot ON finding (snapshot_id)",
    """CREATE TABLE flow (
        snapshot_id INTEGER NOT NULL REFERENCES snapshot(id) ON DELETE CASCADE,
        source TEXT NOT NULL, target TEXT NOT NULL, kind TEXT NOT NULL, target_region TEXT,
        target_countries TEXT NOT NULL, evidence TEXT NOT NULL
    )""",
    "CREATE INDEX flow_snapshot ON flow (snapshot_id)",
)


@dataclass(frozen=True)
class Migration:
    """One schema step: the statements that take a database from ``version - 1`` to ``version``.

    ``convert``, when given, runs after the statements, in the same transaction: it rewrites the
    stored data into the new shape.
    """

    version: int
    description: str
    statements: Sequence[str]
    convert: Callable[[sqlite3.Connection], None] | None = None


_V2 = (
    # The normalised inventory behind a snapshot (metadata only: ids, types, regions, tags, keys,
    # sizes, flows), so that a saved snapshot can be re-assessed later (``sovscan plan --snapshot``).
    # Kept only for snapshots saved with real identifiers: a pseudonymised snapshot stores none.
    """CREATE TABLE inventory (
        snapshot_id INTEGER PRIMARY KEY REFERENCES snapshot(id) ON DELETE CASCADE,
        format INTEGER NOT NULL,
        data BLOB NOT NULL
    )""",
)

_V4 = (
    # A snapshot's per-resource facts, findings, flows, applications and per-resource details as one
    # compressed document (scanner.snapshot_body), instead of one row per resource in ``resource``,
    # ``finding``, ``flow``, ``application`` and ``resource_detail`` (about 100 MB a 100k-resource
    # snapshot, mostly the same knowledge-base texts on every row). _compact moves the rows over.
    """CREATE TABLE snapshot_body (
        snapshot_id INTEGER PRIMARY KEY REFERENCES snapshot(id) ON DELETE CASCADE,
        format INTEGER NOT NULL,
        data BLOB NOT NULL
    )""",
)
#: The per-row tables of schema versions 1 to 3, replaced by ``snapshot_body`` in version 4.
_ROW_TABLES = ("resource", "finding", "flow", "application", "resource_detail")


def _compact(conn: sqlite3.Connection) -> None:
    """Schema step 4: every snapshot's rows into its compressed body, then the row tables dropped."""
    for (sid,) in conn.execute("SELECT id FROM snapshot ORDER BY id").fetchall():
        resources, findings, flows = _rows_of_tables(conn, sid)
        details = load_tables(conn, sid)
        conn.execute("INSERT INTO snapshot_body VALUES (?,?,?)",
                     (sid, BODY_FORMAT, encode_body(resources, findings, flows, details if details.known else None)))
    for table in _ROW_TABLES:
        conn.execute(f"DROP TABLE {table}")


#: Every schema step, in order. Append new steps; never edit a released one.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "snapshots with per-resource facts, findings and flows", _V1),
    Migration(2, "the normalised inventory of each snapshot, for re-assessment", _V2),
    Migration(3, "applications, reach by tier, sizes and knowledge-base facts of each snapshot", _V3),
    Migration(4, "each snapshot's rows as one compressed document", _V4, _compact),
)
#: Version of the encoding of the ``inventory`` table's data (gzip of NDJSON lines).
INVENTORY_FORMAT = 1
SCHEMA_VERSION = MIGRATIONS[-1].version


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Apply the steps a database has not had yet, in one ``BEGIN IMMEDIATE`` transaction; return the version.

    The version is read again once the write lock is held, so that two processes opening a new
    database at once do not both create the schema. The application id is set in the same
    transaction.
    """
    latest = migrations[-1].version if migrations else 0
    current = _checked_version(conn, latest)
    if current == latest and _application_id(conn) == APPLICATION_ID:
        return current
    converted = False
    with _transaction(conn):
        current = _checked_version(conn, latest)
        existing = current > 0  # a new database has nothing to convert, nor space to give back
        for step in migrations:
            if step.version <= current:
                continue
            for statement in step.statements:
                conn.execute(statement)
            if step.convert is not None:
                step.convert(conn)
                converted = existing
            # user_version lives in the database header and is written in the same transaction.
            conn.execute(f"PRAGMA user_version = {int(step.version)}")
            current = step.version
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    if converted:
        # Rewritten data leaves the old pages free (zeroed by secure_delete): give the space back.
        # VACUUM waits for other connections; if one holds on, the space comes back at the next forget.
        with contextlib.suppress(sqlite3.OperationalError):
            conn.execute("VACUUM")
    return current


def _checked_version(conn: sqlite3.Connection, latest: int) -> int:
    current = schema_version(conn)
    if current > latest:
        raise HistoryError(f"the history database has schema version {current}, newer than this sovscan "
                           f"knows ({latest}): upgrade sovscan, or use another --db")
    return current


def _application_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA application_id").fetchone()[0])


#: Tables of every released schema (and SQLite's own for AUTOINCREMENT).
_OUR_TABLES = frozenset({"snapshot", "resource", "finding", "flow", "inventory", "application", "resource_detail",
                         "snapshot_facts", "snapshot_body", "sqlite_sequence"})


def _identify(conn: sqlite3.Connection, path: Path) -> bool:
    """Refuse a database that is not sovscan's; return whether it is blank (no table, no id)."""
    # One read transaction: another process may be creating the schema between two statements.
    conn.execute("BEGIN")
    try:
        app_id = _application_id(conn)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = schema_version(conn)
    finally:
        conn.execute("COMMIT")
    if app_id == APPLICATION_ID:
        return False
    if app_id != 0:
        raise HistoryError(f"{path}: not a sovscan history database (application id {app_id:#x}); give another --db")
    if not tables and version == 0:
        return True
    if "snapshot" in tables and tables <= _OUR_TABLES and version >= 1:
        return False  # written by a sovscan from before the application id
    shown = ", ".join(sorted(tables)[:5]) or "none"
    raise HistoryError(f"{path}: not a sovscan history database (its tables: {shown}); give another --db")


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception (including KeyboardInterrupt)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def _errors(path: Path) -> Iterator[None]:
    """Every SQLite error and every damaged stored value as one :class:`HistoryError` line."""
    try:
        yield
    except HistoryError:
        raise
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise HistoryError(f"{path}: the history database is in use by another program (waited "
                               f"{BUSY_TIMEOUT:g} s); try again when it has finished") from None
        raise HistoryError(f"{path}: the history database cannot be used ({text})") from None
    except sqlite3.DatabaseError as exc:  # "file is not a database", "database disk image is malformed"
        raise HistoryError(f"{path}: not a usable history database ({exc}); restore it from a backup, or "
                           "move it away to start a new history") from None
    except sqlite3.Error as exc:
        raise HistoryError(f"{path}: the history database cannot be used ({exc})") from None
    except (orjson.JSONDecodeError, zlib.error, EOFError, ValueError, TypeError, LookupError,
            AttributeError) as exc:
        raise HistoryError(f"{path}: stored data is damaged ({type(exc).__name__}); forget the snapshot, or "
                           "restore the database from a backup") from None


def default_db() -> Path:
    """The default history database: ``<user data dir>/sovscan/history.sqlite3`` (platformdirs)."""
    from platformdirs import user_data_path

    return user_data_path("sovscan", appauthor=False) / DB_NAME


def _private_file(path: Path) -> None:
    """Create the database file 0600 (its folder 0700 when created) unless it exists."""
    private_folder(path.parent, tighten=path.parent == default_db().parent)
    with contextlib.suppress(FileExistsError):  # there already, or just created by another process
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _tighten(path: Path) -> None:
    """A sovscan database of ours that others can read (made by an earlier sovscan) becomes 0600."""
    st = os.stat(path)
    if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & 0o077:
        os.chmod(path, 0o600)


def connect(db: Path | None = None, create: bool = True) -> sqlite3.Connection:
    """Open (and migrate) a history database; ``create=False`` refuses a missing or blank one.

    A file that is not sovscan's is refused before anything is written to it.
    """
    path = db or default_db()
    with _errors(path):
        if not path.exists() and not create:
            raise HistoryError(f"{path}: no history database yet (save a scan with --save first)")
        try:
            _private_file(path)
        except OSError as exc:
            raise HistoryError(f"{path}: cannot create or open the history database ({exc.strerror})") from None
        # isolation_level=None: transactions are explicit (_transaction), never implicit.
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT)
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA secure_delete = ON")  # deleted rows are overwritten, not left in free pages
            if _identify(conn, path) and not create:
                raise HistoryError(f"{path}: no history database yet (save a scan with --save first)")
            _tighten(path)
            migrate(conn)
        except BaseException:
            conn.close()
            raise
    return conn


# --------------------------------------------------------------------------- taking a snapshot


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _summary(stored: str) -> Summary:
    """A stored summary, typed again (snapshots of older versions lack the newer fields: defaults)."""
    return summary_from_json(orjson.loads(stored))  # errors become one line in _errors


def _shared_facts(a: Assessed) -> tuple[Any, ...]:
    """Columns every resource of one placement profile shares (encoded once per profile)."""
    p = a.profile
    svc = p.service
    laws = tuple(dict.fromkeys(h.law for h in p.hits if h.counts))
    return (svc.type if svc else None, svc.name if svc else None, svc.category if svc else None,
            p.country, p.locations, p.classes, laws, p.exposure, p.exposure_level, p.effort, p.effort_level,
            p.key_control, svc.data_bearing if svc else True, tuple(alt.id for alt in p.alternatives))


def iter_resources(result: ScanResult, pseudonymizer: Pseudonymizer | None = None) -> Iterator[SnapResource]:
    """The per-resource facts of a scan, pseudonymised when a pseudonymizer is given."""
    cache: dict[int, tuple[Any, ...]] = {}
    for a in result.assessed:
        shared = cache.get(id(a.profile))
        if shared is None:
            shared = cache[id(a.profile)] = _shared_facts(a)
        (service, service_name, category, country, locations, classes, laws, exposure, level, effort,
         effort_level, key_control, data_bearing, alternatives) = shared
        res = a.res
        if pseudonymizer is not None:
            rid = name = pseudonymizer.resource(res.id)
            account = pseudonymizer.account(res.provider, res.account)
        else:
            rid, name, account = res.id, res.name or res.id, res.account
        yield SnapResource(rid, name, account, res.provider, service, service_name, category,
                           a.placement or res.region, country, locations, classes, laws, exposure, level,
                           a.lockin, a.lockin_level, effort, effort_level, key_control, data_bearing,
                           alternatives)


def _flows(result: ScanResult, pseudonymizer: Pseudonymizer | None) -> list[SnapFlow]:
    kb = result.kb
    wanted = {f.target for f in result.flows}
    targets = {a.res.id: a for a in result.assessed if a.res.id in wanted} if wanted else {}
    resources = result.inventory.resources
    out = []
    for f in result.flows:
        target = targets.get(f.target)
        countries: tuple[str, ...] = ()
        if target is not None:
            countries = target.locations
        elif f.target_region:
            source = resources.get(f.source)
            provider = f.target_provider or (source.provider if source else "")
            region = kb.region(provider, f.target_region)
            countries = tuple(kb.region_countries(region)) if region is not None else ()
        source_id, target_id, evidence = f.source, f.target, f.evidence
        if pseudonymizer is not None:
            # Evidence names export fields, and some of those carry inventory values (rule ids).
            source_id, target_id, evidence = pseudonymizer.resource(f.source), pseudonymizer.resource(f.target), ""
        out.append(SnapFlow(source_id, target_id, str(f.kind), f.target_region, countries, evidence))
    return out


def _findings(result: ScanResult, pseudonymizer: Pseudonymizer | None) -> Iterator[SnapFinding]:
    for f in result.findings:
        rid = pseudonymizer.resource(f.resource) if pseudonymizer is not None else f.resource
        yield SnapFinding(f.rule, f.severity, rid, f.template.suffix)


def _kb_meta(result: ScanResult) -> dict[str, Any]:
    """Knowledge-base version and the dates of the facts a report cites (laws, providers)."""
    kb = result.kb
    return {
        "version": kb.version,
        "latest_as_of": kb.latest_as_of().isoformat(),
        "weights_as_of": kb.w.as_of.isoformat(),
        "laws": {lid: {"as_of": law.as_of.isoformat(), "source": law.source} for lid, law in kb.laws.items()},
        "providers": {pid: {"as_of": p.as_of.isoformat(), "source": p.source} for pid, p in kb.providers.items()},
    }


def _coverage(result: ScanResult, pseudonymized: bool) -> dict[str, Any]:
    c = result.coverage
    return {
        "resources": c.resources,
        "unmapped_types": dict(c.unmapped_types),
        "unknown_regions": dict(c.unknown_regions),
        "warnings_count": len(c.warnings),
        # Warnings quote file paths and resource ids: kept only when identifiers are.
        "warnings": [] if pseudonymized else c.warnings[:200],
        "ignored_files": len(c.ignored_files),
    }


def _sources(result: ScanResult, pseudonymized: bool) -> list[dict[str, Any]]:
    return [{"path": None if pseudonymized else s.path, "format": s.format, "provider": s.provider,
             "records": s.records, "resources": s.resources} for s in result.inventory.sources]


def _info_from_scan(result: ScanResult, pseudonymized: bool, snapshot_id: int = 0,
                    sensitive_exposed: int = 0) -> SnapshotInfo:
    s = result.summary
    return SnapshotInfo(
        id=snapshot_id, organization=result.organization or "", as_of=result.as_of,
        generated_at=result.generated_at, tool_version=__version__, kb_version=result.kb.version,
        home_country=result.home_country, pseudonymized=pseudonymized, resources=s.resources,
        exposed_resources=s.exposure.exposed_resources, sensitive_exposed=sensitive_exposed,
        exposure_score=s.exposure.score, lockin_score=s.lockin.score, effort=s.migration.effort,
        findings=len(result.findings))


def snapshot_of(result: ScanResult, pseudonymizer: Pseudonymizer | None = None) -> Snapshot:
    """A scan as an in-memory snapshot (what a report needs when there is no history yet)."""
    resources = list(iter_resources(result, pseudonymizer))
    pseudo = pseudonymizer is not None
    sensitive_exposed = sum(1 for r in resources if r.reachable and r.sensitive)
    return Snapshot(
        info=_info_from_scan(result, pseudo, 0, sensitive_exposed), summary=result.summary,
        coverage=_coverage(result, pseudo), kb_meta=_kb_meta(result), sources=_sources(result, pseudo),
        resources=resources, findings=list(_findings(result, pseudonymizer)),
        flows=_flows(result, pseudonymizer), details=details_of(result, pseudonymizer))


# --------------------------------------------------------------------------- storing and reading


_INFO_COLUMNS = ("id, organization, as_of, generated_at, tool_version, kb_version, home_country, pseudonymized, "
                 "resources, exposed_resources, sensitive_exposed, exposure_score, lockin_score, effort, findings")


def _info_row(row: Sequence[Any], replaced: bool = False) -> SnapshotInfo:
    return SnapshotInfo(int(row[0]), row[1], row[2], row[3], row[4], row[5], row[6], bool(row[7]), int(row[8]),
                        int(row[9]), int(row[10]), float(row[11]), None if row[12] is None else float(row[12]),
                        int(row[13]), int(row[14]), replaced)


def save(result: ScanResult, db: Path | None = None, pseudonymize: bool = False) -> SnapshotInfo:
    """Store a scan as the snapshot of ``(result.organization, result.as_of)``, in one transaction.

    An earlier snapshot with the same organisation and date is replaced (``replaced=True`` in the
    returned info). With ``pseudonymize`` the stored ids, names and accounts are pseudonyms keyed
    with the key beside ``db``.
    """
    path = db or default_db()
    with _errors(path):
        return _save(result, path, pseudonymize)


def _save(result: ScanResult, path: Path, pseudonymize: bool) -> SnapshotInfo:
    pseudonymizer = Pseudonymizer.for_db(path) if pseudonymize else None
    info = _info_from_scan(result, pseudonymize)
    with closing(connect(path)) as conn, _transaction(conn):
        old = conn.execute("SELECT id FROM snapshot WHERE organization = ? AND as_of = ?",
                           (info.organization, info.as_of)).fetchone()
        if old is not None:
            conn.execute("DELETE FROM snapshot WHERE id = ?", (old[0],))
        cur = conn.execute(
            "INSERT INTO snapshot (organization, as_of, generated_at, tool_version, kb_version, home_country, "
            "pseudonymized, resources, exposed_resources, sensitive_exposed, exposure_score, lockin_score, effort, "
            "findings, summary, coverage, kb_meta, sources) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (info.organization, info.as_of, info.generated_at, info.tool_version, info.kb_version,
             info.home_country, int(pseudonymize), info.resources, info.exposed_resources, 0, info.exposure_score,
             info.lockin_score, info.effort, info.findings, _dumps(result.summary),
             _dumps(_coverage(result, pseudonymize)), _dumps(_kb_meta(result)),
             _dumps(_sources(result, pseudonymize))))
        sid = int(cur.lastrowid or 0)
        resources = list(iter_resources(result, pseudonymizer))
        sensitive_exposed = sum(1 for r in resources if r.laws and r.sensitive)
        details = details_of(result, pseudonymizer)
        body = encode_body(resources, list(_findings(result, pseudonymizer)), _flows(result, pseudonymizer), details)
        conn.execute("INSERT INTO snapshot_body VALUES (?,?,?)", (sid, BODY_FORMAT, body))
        conn.execute("UPDATE snapshot SET sensitive_exposed = ? WHERE id = ?", (sensitive_exposed, sid))
        store_facts(conn, sid, details.facts)
        if not pseudonymize:
            conn.execute("INSERT INTO inventory VALUES (?,?,?)", (sid, INVENTORY_FORMAT, _encode_inventory(result)))
    return SnapshotInfo(**{**_as_dict(info), "id": sid, "sensitive_exposed": sensitive_exposed,
                           "replaced": old is not None})


def _as_dict(info: SnapshotInfo) -> dict[str, Any]:
    return {name: getattr(info, name) for name in SnapshotInfo.__dataclass_fields__}


def list_snapshots(db: Path | None = None, organization: str | None = None) -> list[SnapshotInfo]:
    """Stored snapshots, oldest first (of one organisation when given); [] when there is no database."""
    path = db or default_db()
    if not path.exists():
        return []
    with _errors(path), closing(connect(path, create=False)) as conn:
        if organization is None:
            rows = conn.execute(f"SELECT {_INFO_COLUMNS} FROM snapshot ORDER BY organization, as_of").fetchall()
        else:
            rows = conn.execute(f"SELECT {_INFO_COLUMNS} FROM snapshot WHERE organization = ? ORDER BY as_of",
                                (organization,)).fetchall()
        return [_info_row(r) for r in rows]


def organizations(db: Path | None = None) -> list[str]:
    return sorted({s.organization for s in list_snapshots(db)})


def _tuple(text: str) -> tuple[str, ...]:
    value = orjson.loads(text)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("a stored list is not a list of strings")
    return tuple(value)


def _stored(text: Any, kind: type) -> Any:
    """A stored JSON column, checked to be of the expected container type."""
    value = orjson.loads(text)
    if not isinstance(value, kind):
        raise TypeError(f"a stored {kind.__name__} is not one")
    return value


def load(snapshot_id: int, db: Path | None = None, renaming: Renaming | None = None) -> Snapshot:
    """One whole snapshot by id.

    With ``renaming`` (a report that shows pseudonyms), a snapshot stored with real identifiers is
    pseudonymised as it is read when it can be (``info.pseudonymized`` then says so), as
    :func:`scanner.report.quarterly.pseudonymize_snapshot` would after loading it, at a fraction of
    the cost; otherwise it is returned as stored.
    """
    path = db or default_db()
    with _errors(path), closing(connect(path, create=False)) as conn:
        return _load(conn, path, snapshot_id, renaming)


def _load(conn: sqlite3.Connection, path: Path, snapshot_id: int, renaming: Renaming | None = None) -> Snapshot:
    row = conn.execute(f"SELECT {_INFO_COLUMNS}, summary, coverage, kb_meta, sources FROM snapshot WHERE id = ?",
                       (snapshot_id,)).fetchone()
    if row is None:
        raise HistoryError(f"{path}: no snapshot {snapshot_id} (see 'sovscan history list')")
    snap = Snapshot(info=_info_row(row[:15]), summary=_summary(row[15]), coverage=_stored(row[16], dict),
                    kb_meta=_stored(row[17], dict), sources=_stored(row[18], list))
    body = conn.execute("SELECT format, data FROM snapshot_body WHERE snapshot_id = ?", (snapshot_id,)).fetchone()
    if body is None:
        raise ValueError("a snapshot without its body")
    if body[0] != BODY_FORMAT:
        raise HistoryError(f"{path}: snapshot {snapshot_id} is stored in format {body[0]!r}, which this sovscan "
                           "cannot read; upgrade sovscan")
    decoded = decode_body(body[1], None if snap.info.pseudonymized else renaming)
    snap.resources, snap.findings, snap.flows, snap.details = decoded[:4]
    if snap.details.known:
        snap.details.facts = load_facts(conn, snapshot_id) or {}
    if decoded.renamed:
        snap.info = dataclasses.replace(snap.info, pseudonymized=True)
        snap.coverage = {**snap.coverage, "warnings": []}
        snap.sources = [{**s, "path": None} for s in snap.sources]
    return snap


def _rows_of_tables(conn: sqlite3.Connection, snapshot_id: int) -> tuple[
        list[SnapResource], list[SnapFinding], list[SnapFlow]]:
    """A snapshot's rows as schema versions 1 to 3 stored them (for the migration to version 4)."""
    decoded: dict[str, tuple[str, ...]] = {}

    def tup(text: str) -> tuple[str, ...]:
        value = decoded.get(text)
        if value is None:
            value = decoded[text] = _tuple(text)
        return value

    resources = [SnapResource(
        r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], tup(r[9]), tup(r[10]), tup(r[11]),
        float(r[12]), r[13], r[14], r[15], r[16], r[17], r[18], bool(r[19]), tup(r[20]))
        for r in conn.execute("SELECT rid, name, account, provider, service, service_name, category, region, "
                              "country, locations, classes, laws, exposure, level, lockin, lockin_level, effort, "
                              "effort_level, key_control, data_bearing, alternatives FROM resource "
                              "WHERE snapshot_id = ? ORDER BY rowid", (snapshot_id,))]
    findings = [SnapFinding(*r) for r in conn.execute(
        "SELECT rule, severity, resource, suffix FROM finding WHERE snapshot_id = ? ORDER BY rowid",
        (snapshot_id,))]
    flows = [SnapFlow(r[0], r[1], r[2], r[3], tup(r[4]), r[5]) for r in conn.execute(
        "SELECT source, target, kind, target_region, target_countries, evidence FROM flow "
        "WHERE snapshot_id = ? ORDER BY rowid", (snapshot_id,))]
    return resources, findings, flows


def stored_indicators(snapshot_ids: Sequence[int], db: Path | None = None) -> dict[int, Indicators]:
    """The headline indicators stored with these snapshots (those saved with details, schema step 3)."""
    path = db or default_db()
    if not snapshot_ids or not path.exists():
        return {}
    with closing(connect(path, create=False)) as conn:
        return indicators_of(conn, list(snapshot_ids))


def find(organization: str, as_of: str, db: Path | None = None) -> SnapshotInfo | None:
    for info in list_snapshots(db, organization):
        if info.as_of == as_of:
            return info
    return None


def forget(db: Path | None = None, snapshot_id: int | None = None, organization: str | None = None,
           as_of: str | None = None) -> list[SnapshotInfo]:
    """Delete snapshots by id, by organisation and date, or every snapshot of an organisation.

    Returns what was deleted (in one transaction). At least one selector must be given.
    """
    if snapshot_id is None and organization is None:
        raise HistoryError("say which snapshot to forget: an id, or an organisation (and a date)")
    path = db or default_db()
    victims = [s for s in list_snapshots(path, organization)
               if (snapshot_id is None or s.id == snapshot_id) and (as_of is None or s.as_of == as_of)]
    if victims:
        with _errors(path), closing(connect(path, create=False)) as conn:
            with _transaction(conn):
                # secure_delete (set on every connection) overwrites the deleted rows' content
                conn.executemany("DELETE FROM snapshot WHERE id = ?", [(s.id,) for s in victims])
            # … and VACUUM rebuilds the file without the freed pages (it cannot run in a transaction).
            conn.execute("VACUUM")
    return victims


# --------------------------------------------------------------------------- stored inventories


def _encode_inventory(result: ScanResult) -> bytes:
    """The scan's normalised inventory as gzip-compressed NDJSON (one resource, flow or account a line)."""
    inv = result.inventory
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: gzip framing
    chunks: list[bytes] = []
    for res in inv.resources.values():
        attributes = {k: v for k, v in res.attributes.items() if k in STORED_ATTRIBUTES}
        line = {"r": [res.id, res.provider, res.native_type, res.name, res.account, res.region, res.raw_region,
                      redact_tags(res.tags), [res.key.control.value, res.key.key_id] if res.key else None,
                      res.size_gb, res.source, attributes]}
        chunks.append(packer.compress(orjson.dumps(line, option=orjson.OPT_NON_STR_KEYS) + b"\n"))
    for flow in inv.flows:
        line = {"f": [flow.source, flow.target, str(flow.kind), flow.evidence, flow.target_provider,
                      flow.target_region]}
        chunks.append(packer.compress(orjson.dumps(line) + b"\n"))
    for acc in inv.accounts.values():
        chunks.append(packer.compress(orjson.dumps({"a": [acc.id, acc.provider, acc.name, acc.parent,
                                                          acc.source]}) + b"\n"))
    for gap in inv.gaps:
        chunks.append(packer.compress(orjson.dumps({"g": [gap.source, gap.message, gap.reason]}) + b"\n"))
    for src in inv.sources:
        chunks.append(packer.compress(orjson.dumps({"s": [src.path, src.format, src.provider, src.records,
                                                          src.resources]}) + b"\n"))
    chunks.append(packer.flush())
    return b"".join(chunks)


def inventory_of(snapshot_id: int, db: Path | None = None) -> tuple[SnapshotInfo, Inventory]:
    """The normalised inventory stored with a snapshot, ready to be assessed again."""
    path = db or default_db()
    info = next((s for s in list_snapshots(path) if s.id == snapshot_id), None)
    if info is None:
        raise HistoryError(f"no snapshot {snapshot_id} in {path} (see 'sovscan history list')")
    with _errors(path):
        with closing(connect(path, create=False)) as conn:
            row = conn.execute("SELECT format, data FROM inventory WHERE snapshot_id = ?", (snapshot_id,)).fetchone()
        if row is None:
            why = "it was saved pseudonymised" if info.pseudonymized else "it was saved by an older sovscan"
            raise HistoryError(f"snapshot {snapshot_id} has no stored inventory ({why}); scan again with --save")
        if row[0] != INVENTORY_FORMAT:
            raise HistoryError(f"snapshot {snapshot_id}: stored inventory format {row[0]!r} is not supported")
        return info, _decode_inventory(row[1])


def _check_types(values: tuple[Any, ...], kind: Any) -> None:
    if not all(isinstance(v, kind) for v in values):
        raise TypeError("a stored value has the wrong type")


def _decode_inventory(blob: Any) -> Inventory:
    """A stored inventory (gzip NDJSON); damaged data raises the errors :func:`_errors` maps."""
    if not isinstance(blob, bytes):
        raise TypeError("the stored inventory is not a blob")
    inv = Inventory()
    for line in zlib.decompress(blob, 31).splitlines():
        obj = _stored(line, dict)
        if "r" in obj:
            (rid, provider, native_type, name, account, region, raw_region, tags, key, size_gb, source,
             attributes) = obj["r"]
            _check_types((rid, provider, native_type, name, source), str)
            _check_types((account, region, raw_region), str | None)
            _check_types((tags, attributes), dict)
            _check_types((size_gb,), int | float | None)
            inv.resources[rid] = Resource(rid, provider, native_type, name, account, region, raw_region, tags,
                                          KeyRef(KeyControl(key[0]), key[1]) if key else None, size_gb, source,
                                          attributes)
        elif "f" in obj:
            src, tgt, kind, evidence, tprov, tregion = obj["f"]
            inv.flows.append(Flow(src, tgt, FlowKind(kind), evidence, tprov, tregion))
        elif "a" in obj:
            aid, provider, name, parent, source = obj["a"]
            inv.accounts[f"{provider}:{aid}"] = Account(aid, provider, name, parent, source)
        elif "g" in obj:
            inv.gaps.append(Gap(*obj["g"]))
        elif "s" in obj:
            inv.sources.append(SourceInfo(*obj["s"]))
        else:
            raise ValueError("a stored inventory line of an unknown kind")
    return inv
