"""The compact encoding of a snapshot's rows: per-resource facts, findings, flows and details.

A 100,000-resource scan repeats the same few hundred texts on every row: the service, its
category, the countries, data classes and foreign laws of each placement profile, the levels, the
alternatives, the finding rules, the application and the reach of every law. Stored one SQLite row
per resource (schema versions 1 to 3 of :mod:`scanner.history`) that made about 100 MB a snapshot.
Since schema version 4 a snapshot's rows are one document in the ``snapshot_body`` table:

* **column by column** (every resource's id, then every name, …), which compresses far better
  than row by row;
* **each repeated value once**: a column of repeated values is stored as its distinct values and,
  per row, the index of its value (dictionary encoding, per snapshot: forgetting a snapshot
  leaves none of its values behind in a shared table); the facts every resource of one
  placement profile shares are one entry of ``profiles``;
* findings and flows name resources by their position in the resource columns;
* the whole document (JSON, orjson) compressed with zlib.

Decoding checks the shapes and types it reads; a damaged document raises ``ValueError``,
``TypeError``, ``LookupError`` or ``zlib.error``, which :mod:`scanner.history` turns into one line.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from scanner.applications import Application, Reach
from scanner.kb.schema import SENSITIVE_CLASSES
from scanner.snapshot_details import Details, ResourceDetail

if TYPE_CHECKING:
    from scanner.pseudonym import Pseudonymizer

#: Version of the encoding of ``snapshot_body.data`` (zlib of the JSON document described above).
BODY_FORMAT = 1
#: zlib level: 6 (the default) compresses a 100k-resource body to within a few percent of 9, faster.
ZLIB_LEVEL = 6


@dataclass(frozen=True, slots=True)
class SnapResource:
    """The facts about one resource that quarter-to-quarter comparisons need."""

    id: str
    name: str
    account: str | None
    provider: str
    service: str | None  # knowledge-base service type, None when unmapped
    service_name: str | None
    category: str | None
    region: str | None
    country: str | None
    locations: tuple[str, ...]
    classes: tuple[str, ...]
    laws: tuple[str, ...]  # foreign laws that reach the data (weight > 0), strongest first
    exposure: float
    level: str
    lockin: float | None
    lockin_level: str
    effort: int | None
    effort_level: str
    key_control: str
    data_bearing: bool
    alternatives: tuple[str, ...]  # alternative ids fitting the data held

    @property
    def sensitive(self) -> bool:
        return bool(SENSITIVE_CLASSES.intersection(self.classes))

    def renamed(self, rid: str, name: str, account: str | None) -> SnapResource:
        """The same facts under another id, name and account (a pseudonym): what ``dataclasses.replace``
        does, without its cost per call (reports rename every resource of two snapshots)."""
        return SnapResource(rid, name, account, self.provider, self.service, self.service_name, self.category,
                            self.region, self.country, self.locations, self.classes, self.laws, self.exposure,
                            self.level, self.lockin, self.lockin_level, self.effort, self.effort_level,
                            self.key_control, self.data_bearing, self.alternatives)

    @property
    def reachable(self) -> bool:
        """Reachable by at least one foreign law."""
        return bool(self.laws)


@dataclass(frozen=True, slots=True)
class SnapFinding:
    rule: str
    severity: str
    resource: str
    suffix: str


@dataclass(frozen=True, slots=True)
class SnapFlow:
    source: str
    target: str
    kind: str
    target_region: str | None
    target_countries: tuple[str, ...]
    evidence: str


#: Fields of :class:`SnapResource` shared by the resources of one placement profile, in order.
PROFILE_FIELDS = ("service", "service_name", "category", "country", "locations", "classes", "laws", "exposure",
                  "level", "effort", "effort_level", "key_control", "data_bearing", "alternatives")
_PROFILE = attrgetter(*PROFILE_FIELDS)
_ID, _ACCOUNT, _PROVIDER, _REGION, _LOCKIN_LEVEL = map(attrgetter, ("id", "account", "provider", "region",
                                                                    "lockin_level"))
_TUPLES = frozenset(i for i, name in enumerate(PROFILE_FIELDS)
                    if name in ("locations", "classes", "laws", "alternatives"))


# --------------------------------------------------------------------------- columns


def _dictionary(values: Iterable[Hashable]) -> dict[str, list[Any]]:
    """A column as its distinct values (``v``) and, per row, the index of its value (``i``)."""
    column = list(values)
    distinct = list(dict.fromkeys(column))
    position = {v: k for k, v in enumerate(distinct)}
    return {"v": distinct, "i": list(map(position.__getitem__, column))}


def _shared(values: Sequence[Any], encode_value: Any) -> dict[str, list[Any]]:
    """Like :func:`_dictionary` for values shared by identity (one tuple object per profile)."""
    ids = list(map(id, values))
    position = {k: n for n, k in enumerate(dict.fromkeys(ids))}
    first = {k: v for k, v in zip(reversed(ids), reversed(values), strict=True)}
    return {"v": [encode_value(first[k]) for k in position], "i": list(map(position.__getitem__, ids))}


def _values(column: Any, n: int, check: Any = None) -> list[Any]:
    """A dictionary-encoded column decoded into ``n`` values (each checked with ``check`` if given)."""
    if not isinstance(column, dict):
        raise TypeError("a stored column is not one")
    distinct, rows = column["v"], column["i"]
    if not isinstance(distinct, list) or not isinstance(rows, list) or len(rows) != n:
        raise ValueError("a stored column has the wrong length")
    if check is not None:
        distinct = [check(v) for v in distinct]
    return [distinct[i] for i in rows]


def _plain(column: Any, n: int) -> list[Any]:
    if not isinstance(column, list) or len(column) != n:
        raise ValueError("a stored column has the wrong length")
    return column


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("a stored text is not one")
    return value


def _text_or_none(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError("a stored text is not one")
    return value


def _texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("a stored list is not a list of strings")
    return tuple(value)


def _number(value: Any) -> Any:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise TypeError("a stored number is not one")
    return value


def _reals(column: list[Any]) -> list[Any]:
    """A column of decimals or nulls (written as floats, as the REAL columns of schema 1 to 3 read them)."""
    if not all(v is None or type(v) is float for v in column):
        raise TypeError("a stored decimal is not one")
    return column


def _strings(column: list[Any]) -> list[str]:
    if not all(type(v) is str for v in column):
        raise TypeError("a stored text is not one")
    return column


def _refs(ids: Sequence[str], position: dict[str, int], values: Iterable[str]) -> list[int | str]:
    """Resource ids as their position in the resource columns (the id itself when not a resource)."""
    return [position.get(v, v) for v in values]


def _deref(ids: list[str], column: Any, n: int, rename: Callable[[str], str] | None = None) -> list[str]:
    """Resource references: positions in ``ids``, or ids of resources outside the snapshot (renamed)."""
    out = [ids[v] if type(v) is int else _text(v) for v in _plain(column, n)]
    if rename is not None:
        refs = _plain(column, n)
        out = [v if type(ref) is int else rename(v) for v, ref in zip(out, refs, strict=True)]
    return out


# --------------------------------------------------------------------------- encoding


def encode(resources: Sequence[SnapResource], findings: Sequence[SnapFinding], flows: Sequence[SnapFlow],
           details: Details | None) -> bytes:
    """A snapshot's rows as one compressed document (``details=None``: saved without details)."""
    ids = list(map(_ID, resources))
    position = {rid: k for k, rid in enumerate(ids)}
    doc: dict[str, Any] = {
        "resources": {
            "n": len(resources), "id": ids,
            "name": [None if r.name == r.id else r.name for r in resources],
            "account": _dictionary(map(_ACCOUNT, resources)),
            "provider": _dictionary(map(_PROVIDER, resources)),
            "region": _dictionary(map(_REGION, resources)),
            "lockin": [None if r.lockin is None else float(r.lockin) for r in resources],
            "lockin_level": _dictionary(map(_LOCKIN_LEVEL, resources)),
            "profile": _dictionary(map(_PROFILE, resources)),
        },
        "findings": {
            "n": len(findings), "rule": _dictionary(f.rule for f in findings),
            "severity": _dictionary(f.severity for f in findings),
            "resource": _refs(ids, position, (f.resource for f in findings)),
            "suffix": _dictionary(f.suffix for f in findings),
        },
        "flows": {
            "n": len(flows), "source": _refs(ids, position, (f.source for f in flows)),
            "target": _refs(ids, position, (f.target for f in flows)),
            "kind": _dictionary(f.kind for f in flows),
            "target_region": _dictionary(f.target_region for f in flows),
            "target_countries": _dictionary(f.target_countries for f in flows),
            "evidence": _dictionary(f.evidence for f in flows),
        },
        "details": None if details is None else _encode_details(details, ids, position),
    }
    return zlib.compress(orjson.dumps(doc), ZLIB_LEVEL)


def _encode_details(details: Details, ids: list[str], position: dict[str, int]) -> dict[str, Any]:
    rids = list(details.resources)
    items = list(details.resources.values())
    return {
        "applications": [[a.id, a.name, a.basis, a.key] for a in details.applications.values()],
        "n": len(items),
        # Usually the resources in the same order: then no ids at all.
        "rid": None if rids == ids else _refs(ids, position, rids),
        "application": _dictionary(d.application for d in items),
        "joined": _dictionary(d.joined for d in items),
        "size_gb": [None if d.size_gb is None else float(d.size_gb) for d in items],
        # The resources of one profile share one reach tuple.
        "reach": _shared([d.reach for d in items], lambda reach: [[r.law, r.tier, r.verified] for r in reach]),
    }


# --------------------------------------------------------------------------- decoding


def _profile(value: Any) -> tuple[Any, ...]:
    if not isinstance(value, list) or len(value) != len(PROFILE_FIELDS):
        raise ValueError("a stored profile has the wrong shape")
    out = [_texts(v) if k in _TUPLES else v for k, v in enumerate(value)]
    for k in (0, 1, 2, 3):
        _text_or_none(out[k])
    _text(out[8]), _text(out[10]), _text(out[11])
    _number(out[9])
    out[7] = float(_number(out[7]))
    out[12] = bool(out[12])
    return tuple(out)


class Renaming:
    """Keyed pseudonyms given to a snapshot's ids while it is decoded, each computed once.

    The result is what :func:`scanner.report.quarterly.pseudonymize_snapshot` makes of the
    decoded snapshot (resource ids and names, accounts, application ids, and application names
    unless ``show_names``; flow evidence emptied), without building every row twice. ``codes``
    may be shared by the two quarters of a report, which share most resources.
    """

    def __init__(self, pseudonymizer: Pseudonymizer, show_names: bool = False,
                 codes: dict[str, str] | None = None):
        self.p = pseudonymizer
        self.show_names = show_names
        self.codes = {} if codes is None else codes
        self._accounts: dict[tuple[str, str | None], str | None] = {}
        self._apps: dict[str, str] = {}

    def resource(self, rid: str) -> str:
        found = self.codes.get(rid)
        if found is None:
            found = self.codes[rid] = self.p.resource(rid)
        return found

    def account(self, provider: str, account: str | None) -> str | None:
        key = (provider, account)
        if key not in self._accounts:
            self._accounts[key] = self.p.account(provider, account)
        return self._accounts[key]

    def application(self, app_id: str | None) -> str | None:
        if not app_id:
            return None
        found = self._apps.get(app_id)
        if found is None:
            found = self._apps[app_id] = self.p.application(app_id)
        return found


class Body(NamedTuple):
    resources: list[SnapResource]
    findings: list[SnapFinding]
    flows: list[SnapFlow]
    details: Details
    renamed: bool  # the ids are pseudonyms given by the Renaming


def decode(blob: Any, renaming: Renaming | None = None) -> Body:
    """The rows of a stored snapshot body; the details are ``Details()`` when it was saved without.

    With ``renaming``, ids, names and accounts are given their pseudonyms as they are read, when
    the body has details for every resource (``renamed``); otherwise they are left as stored, for
    the caller to pseudonymise (what a report says of resources without details derives from
    their real accounts).
    """
    if not isinstance(blob, bytes):
        raise TypeError("the stored snapshot body is not a blob")
    doc = orjson.loads(zlib.decompress(blob))
    if not isinstance(doc, dict):
        raise TypeError("the stored snapshot body is not an object")
    if renaming is not None and not (isinstance(doc["details"], dict) and doc["details"]["rid"] is None):
        renaming = None
    res = doc["resources"]
    n = res["n"]
    ids = _strings(_plain(res["id"], n))
    names = _plain(res["name"], n)
    accounts = _values(res["account"], n, _text_or_none)
    providers = _values(res["provider"], n, _text)
    rename = None
    if renaming is not None:
        rename = renaming.resource
        ids = [rename(rid) for rid in ids]
        names = [None] * n  # a pseudonymised resource is named by its pseudonym
        accounts = [renaming.account(provider, account) for provider, account in zip(providers, accounts, strict=True)]
    resources = [
        SnapResource(rid, rid if name is None else _text(name), account, provider, p[0], p[1], p[2], region, p[3],
                     p[4], p[5], p[6], p[7], p[8], lockin, lockin_level, p[9], p[10], p[11], p[12], p[13])
        for rid, name, account, provider, region, lockin, lockin_level, p in zip(
            ids, names, accounts, providers,
            _values(res["region"], n, _text_or_none), _reals(_plain(res["lockin"], n)),
            _values(res["lockin_level"], n, _text), _values(res["profile"], n, _profile), strict=True)]
    f = doc["findings"]
    m = f["n"]
    findings = [SnapFinding(*row) for row in zip(
        _values(f["rule"], m, _text), _values(f["severity"], m, _text), _deref(ids, f["resource"], m, rename),
        _values(f["suffix"], m, _text), strict=True)]
    fl = doc["flows"]
    k = fl["n"]
    evidence = _values(fl["evidence"], k, _text)
    flows = [SnapFlow(*row) for row in zip(
        _deref(ids, fl["source"], k, rename), _deref(ids, fl["target"], k, rename), _values(fl["kind"], k, _text),
        _values(fl["target_region"], k, _text_or_none), _values(fl["target_countries"], k, _texts),
        evidence if renaming is None else [""] * k, strict=True)]
    details = Details() if doc["details"] is None else _decode_details(doc["details"], ids, renaming)
    return Body(resources, findings, flows, details, renaming is not None)


def _reach(value: Any) -> tuple[Reach, ...]:
    if not isinstance(value, list):
        raise TypeError("a stored reach is not a list")
    return tuple(Reach(_text(law), _text(tier), bool(ok)) for law, tier, ok in value)


def _decode_details(doc: Any, ids: list[str], renaming: Renaming | None) -> Details:
    if not isinstance(doc, dict):
        raise TypeError("stored details are not an object")
    out = Details(known=True)
    for app_id, name, basis, key in doc["applications"]:
        _text(app_id), _text(name)
        if renaming is not None:
            code = renaming.p.application(app_id)
            app_id, name = code, (name if renaming.show_names else code)
        out.applications[app_id] = Application(app_id, name, _text(basis), _text(key))
    n = doc["n"]
    rids = ids if doc["rid"] is None else _deref(ids, doc["rid"], n)
    sizes = _reals(_plain(doc["size_gb"], n))
    apps = _values(doc["application"], n, _text_or_none if renaming is None else
                   lambda v: renaming.application(_text_or_none(v)))
    for rid, app_id, joined, size_gb, reach in zip(
            rids, apps, _values(doc["joined"], n, _text), sizes, _values(doc["reach"], n, _reach), strict=True):
        out.resources[rid] = ResourceDetail(app_id, joined, reach, size_gb)
    return out
