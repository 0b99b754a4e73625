"""Applications: the unit a works council, a DPO or management reasons about.

A resource belongs to the application (or workload) it serves. The grouping reads, in order:

1. **Its own tag or label** naming an application: the first key of
   :attr:`ApplicationSettings.tag_keys` present with a non-empty value (``application``, ``app``,
   ``workload``, ``service``, ``projet``… by default; ``[applications] tags`` in ``sovscan.toml``).
   Keys are compared case-insensitively; values are trimmed and compared case-insensitively, so
   ``Dossiers-Patients`` and ``dossiers-patients`` are one application.
2. **What it serves**: a copy (replica, backup, secondary, CDN) serves the application of the
   resource it copies; an encryption key serves the application of the resources it encrypts,
   when they all belong to one application. This follows copy flows transitively.
3. **Where it was created**, when nothing names an application: its Azure resource group, its
   Google Cloud project, its AWS account (or the account, subscription or project of any other
   provider), else its provider alone. The report says which groups are such fallbacks.

Everything here is a pure function of the inventory: the same exports give the same applications,
and an application's id is stable from one quarter to the next as long as its tag, resource
group, project or account is. Aggregation (:class:`AppAccumulator`) is shared by the JSON result
and the quarterly report, so both say the same of an application.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scanner.kb.schema import SENSITIVE_CLASSES

if TYPE_CHECKING:
    from scanner.inventory import Inventory
    from scanner.result import ScanResult

#: Tag and label keys that name an application, in order of precedence (the first present wins).
DEFAULT_TAG_KEYS = ("application", "app", "workload", "service", "projet", "project", "anwendung")

#: How a group was formed, strongest first. ``tag`` is the only one that names an application;
#: the others are fallbacks the report calls by their name.
BASES = ("tag", "resource-group", "project", "account", "provider")

#: Levels in increasing order (as in weights.yaml).
LEVELS = ("none", "low", "medium", "high", "critical")

_AZURE_RG = re.compile(r"^/subscriptions/([^/]+)/resourcegroups/([^/]+)", re.I)
_VAULT_URI = re.compile(r"^https://([a-z0-9-]+)\.vault\.azure\.net/", re.I)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class ApplicationSettings:
    """``[applications]`` in ``sovscan.toml``."""

    #: Tag and label keys naming an application, in order of precedence.
    tag_keys: tuple[str, ...] = DEFAULT_TAG_KEYS
    #: Show application names (tag values, resource groups, projects, account names) in reports
    #: whose resource identifiers are pseudonymised. Off by default: a tag value is an inventory
    #: value like any other, and the organisation decides whether its application names may be read.
    show_names: bool = False


@dataclass(frozen=True, slots=True)
class Application:
    """One application or workload (or the fallback group standing for one)."""

    id: str  # "tag:<value>", "resource-group:<subscription>/<group>", "project:<provider>:<id>", …
    name: str  # the tag value as written, the resource group, project or account name
    basis: str  # one of BASES
    key: str = ""  # the tag key that named it (basis "tag")


@dataclass
class Applications:
    """Every application of an inventory and the application of every resource."""

    apps: dict[str, Application] = field(default_factory=dict)
    of: dict[str, str] = field(default_factory=dict)  # resource id → application id
    #: resource id → how it joined: "tag:<key>", "flow:<resource id>", "key:<resource id>", or a basis
    how: dict[str, str] = field(default_factory=dict)

    def members(self) -> dict[str, list[str]]:
        """Application id → its resource ids, in inventory order."""
        out: dict[str, list[str]] = defaultdict(list)
        for rid, app in self.of.items():
            out[app].append(rid)
        return dict(out)


def _normal(value: str) -> str:
    return _SPACES.sub(" ", value.strip()).casefold()


def _tagged(tags: Mapping[str, str], keys: tuple[str, ...],
            folds: dict[str, str | None] | None = None) -> tuple[str, str] | None:
    """(key, value) of the first application tag present with a value.

    ``folds`` remembers, across calls, each tag key's folded form when it is one of ``keys`` (None
    when it is not): an estate repeats a few tag keys on every resource.
    """
    if not tags:
        return None
    if folds is None:
        folds = {}
    folded: dict[str, tuple[str, str]] = {}
    for k, v in tags.items():
        fk = folds.get(k, "")
        if fk == "":
            norm = k.strip().casefold()
            fk = folds[k] = norm if norm in keys else None
        if fk is not None:
            folded[fk] = (k, v)
    if not folded:
        return None
    for key in keys:
        found = folded.get(key)
        if found is not None and isinstance(found[1], str) and found[1].strip():
            return found[0], found[1].strip()
    return None


def _fallback(provider: str, rid: str, account: str | None, account_names: Mapping[str, str]) -> Application:
    match = _AZURE_RG.match(rid) if provider == "azure" else None
    if match is not None:
        sub, group = match.group(1).lower(), match.group(2).lower()
        return Application(f"resource-group:{sub}/{group}", group, "resource-group")
    if account:
        name = account_names.get(f"{provider}:{account}") or account
        basis = "project" if provider == "gcp" else "account"
        return Application(f"{basis}:{provider}:{account}", name, basis)
    return Application(f"provider:{provider}", provider, "provider")


def _key_owner(key_id: str, ids: set[str], vaults: Mapping[str, str]) -> str | None:
    """The inventory resource a key reference points at (a key, or the Key Vault holding it)."""
    if key_id in ids:
        return key_id
    match = _VAULT_URI.match(key_id)
    if match is not None:
        return vaults.get(match.group(1).lower())
    return None


def group_applications(inventory: Inventory, settings: ApplicationSettings | None = None) -> Applications:
    """Assign every resource of ``inventory`` to an application (see the module docstring)."""
    settings = settings or ApplicationSettings()
    keys = tuple(k.strip().casefold() for k in settings.tag_keys)
    resources = inventory.resources
    out = Applications()
    names: dict[str, Counter[str]] = defaultdict(Counter)
    # 1. own tags
    folds: dict[str, str | None] = {}
    joined: dict[tuple[str, str], tuple[str, str]] = {}  # (key, value) → (application id, how)
    for rid, res in resources.items():
        found = _tagged(res.tags, keys, folds)
        if found is not None:
            ids = joined.get(found)
            if ids is None:
                ids = joined[found] = ("tag:" + _normal(found[1]), f"tag:{found[0].casefold()}")
            app_id = ids[0]
            names[app_id][found[1]] += 1
            if app_id not in out.apps:
                out.apps[app_id] = Application(app_id, found[1], "tag", found[0].casefold())
            out.of[rid] = app_id
            out.how[rid] = ids[1]
    # 2. what a resource serves: copies follow their source, keys the resources they encrypt
    _follow_copies(inventory, out)
    _follow_keys(inventory, out)
    # 3. fallbacks
    account_names = {key: acc.name for key, acc in inventory.accounts.items() if acc.name}
    fallbacks: dict[tuple[str, str | None], Application] = {}  # outside Azure: one per provider and account
    for rid, res in resources.items():
        if rid in out.of:
            continue
        if res.provider == "azure":
            app = _fallback(res.provider, rid, res.account, account_names)
        else:
            found_app = fallbacks.get((res.provider, res.account))
            if found_app is None:
                found_app = fallbacks[(res.provider, res.account)] = _fallback(
                    res.provider, rid, res.account, account_names)
            app = found_app
        out.apps.setdefault(app.id, app)
        out.of[rid] = app.id
        out.how[rid] = app.basis
    # The most frequent spelling of a tag value names its application (ties: the first seen).
    for app_id, spellings in names.items():
        best = spellings.most_common(1)[0][0]
        if best != out.apps[app_id].name:
            app = out.apps[app_id]
            out.apps[app_id] = Application(app.id, best, app.basis, app.key)
    return out


def _follow_copies(inventory: Inventory, out: Applications) -> None:
    """A copy serves the application of what it copies (transitively along copy flows)."""
    targets: dict[str, list[str]] = defaultdict(list)
    for flow in inventory.flows:
        if flow.kind.copies and flow.target in inventory.resources:
            targets[flow.source].append(flow.target)
    if not targets:
        return
    queue = [rid for rid in targets if rid in out.of]
    while queue:
        source = queue.pop()
        for target in targets.get(source, ()):
            if target in out.of:
                continue
            out.of[target] = out.of[source]
            out.how[target] = f"flow:{source}"
            queue.append(target)


def _follow_keys(inventory: Inventory, out: Applications) -> None:
    """A key (or the vault holding it) serves the application of what it encrypts, when that is one."""
    resources = inventory.resources
    ids = set(resources)
    vaults = {rid.rsplit("/", 1)[-1].lower(): rid for rid in ids
              if "/microsoft.keyvault/vaults/" in rid.lower() and rid.count("/") == 8}
    served: dict[str, set[str]] = defaultdict(set)
    example: dict[str, str] = {}
    for rid, res in resources.items():
        if res.key is None or not res.key.key_id or rid not in out.of:
            continue
        owner = _key_owner(res.key.key_id, ids, vaults)
        if owner is None or owner in out.of:
            continue
        served[owner].add(out.of[rid])
        example.setdefault(owner, rid)
    for owner, apps in served.items():
        if len(apps) == 1:
            out.of[owner] = next(iter(apps))
            out.how[owner] = f"key:{example[owner]}"


# --------------------------------------------------------------------------- aggregation


@dataclass(frozen=True, slots=True)
class Reach:
    """One foreign law reaching a resource: the law, the tier, and whether every fact was checked."""

    law: str
    tier: str  # control | location | presence
    verified: bool


@dataclass
class AppAccumulator:
    """What an application holds, where, and who can reach it, summed over its resources.

    Exposure and lock-in are the worst of its resources (the application is as exposed as its most
    exposed data, as hard to move as its hardest piece); effort and volume are sums; key control
    is counted per resource, by what the exports show.
    """

    resources: int = 0
    sensitive_resources: int = 0
    providers: Counter[str] = field(default_factory=Counter)
    classes: set[str] = field(default_factory=set)
    locations: set[str] = field(default_factory=set)
    #: tier → law → verified; "scored" holds reaches of snapshots stored without their tier
    laws: dict[str, dict[str, bool]] = field(
        default_factory=lambda: {"control": {}, "location": {}, "presence": {}, "scored": {}})
    reachable: int = 0  # resources reachable by a foreign law by control or location
    sensitive_reachable: int = 0
    by_control: int = 0  # sensitive resources reachable by control
    by_location: int = 0  # sensitive resources reachable by location
    residual_resources: int = 0  # sensitive resources reachable only through presence
    exposure: float = 0.0
    level: str = "none"
    lockin: float | None = None
    effort: int = 0
    effort_unknown: int = 0
    data_gb: float = 0.0
    sized: int = 0  # resources whose size the exports show
    sensitive_gb: float = 0.0  # size of sensitive resources reachable by control or location
    sensitive_sized: int = 0  # how many of those the exports give a size for
    keys: Counter[str] = field(default_factory=Counter)  # key control of sensitive reachable resources
    unverified: bool = False  # a reach rests on an unverified fact

    def add(self, *, provider: str, classes: Iterable[str], locations: Iterable[str], reach: Iterable[Reach],
            exposure: float, level: str, lockin: float | None, effort: int | None, size_gb: float | None,
            key_control: str, count: int = 1, sized: int | None = None) -> None:
        """Add ``count`` resources sharing these facts (resources of one profile add once).

        ``size_gb`` is each resource's size; with ``sized``, it is instead the total size of the
        ``sized`` resources among the ``count`` whose size the exports show."""
        total_gb, with_size = (None, 0) if size_gb is None else \
            ((size_gb * count, count) if sized is None else (size_gb, sized))
        classes = tuple(classes)
        sensitive = bool(SENSITIVE_CLASSES.intersection(classes))
        self.resources += count
        self.sensitive_resources += count if sensitive else 0
        self.providers[provider] += count
        self.classes.update(classes)
        self.locations.update(locations)
        tiers = set()
        for hit in reach:
            known = self.laws.setdefault(hit.tier, {})
            known[hit.law] = known.get(hit.law, True) and hit.verified
            tiers.add(hit.tier)
            self.unverified |= not hit.verified
        # "scored": a reach whose tier is not known (snapshots stored before tiers were kept)
        scored = bool(tiers & {"control", "location", "scored"})
        self.reachable += count if scored else 0
        if sensitive:
            self.sensitive_reachable += count if scored else 0
            self.by_control += count if "control" in tiers else 0
            self.by_location += count if "location" in tiers else 0
            self.residual_resources += count if tiers == {"presence"} else 0
            if scored:
                self.keys[key_control] += count
                if total_gb is not None:
                    self.sensitive_gb += total_gb
                    self.sensitive_sized += with_size
        if exposure > self.exposure:
            self.exposure = exposure
        if level in LEVELS and LEVELS.index(level) > LEVELS.index(self.level):
            self.level = level
        if lockin is not None and (self.lockin is None or lockin > self.lockin):
            self.lockin = lockin
        if effort is None:
            self.effort_unknown += count
        else:
            self.effort += effort * count
        if total_gb is not None:
            self.data_gb += total_gb
            self.sized += with_size

    @property
    def sensitive(self) -> bool:
        return bool(SENSITIVE_CLASSES.intersection(self.classes))

    @property
    def reachable_sensitive(self) -> bool:
        """Sensitive data of the application is reachable by a foreign law by control or location."""
        return self.sensitive_reachable > 0

    @property
    def residual_only(self) -> bool:
        """Sensitive data of the application is reachable only through presence (the residual tier)."""
        return self.sensitive_reachable == 0 and self.residual_resources > 0

    def laws_by_tier(self) -> dict[str, dict[str, bool]]:
        """Laws per tier; a law that reaches some resource by control or location is not listed
        again under presence (it reaches the application directly)."""
        direct = set(self.laws["control"]) | set(self.laws["location"]) | set(self.laws["scored"])
        out = {"control": dict(self.laws["control"]), "location": dict(self.laws["location"]),
               "presence": {law: ok for law, ok in self.laws["presence"].items() if law not in direct}}
        if self.laws["scored"]:
            out["scored"] = dict(self.laws["scored"])
        return out

    def record(self, app: Application, level_of: Callable[[float | None], str]) -> dict[str, Any]:
        """The ``applications[]`` element of the JSON result."""
        return {
            "id": app.id, "name": app.name, "basis": app.basis, "tag": app.key or None,
            "resources": self.resources, "sensitive_resources": self.sensitive_resources,
            "providers": dict(self.providers.most_common()),
            "data_classes": sorted(self.classes, key=_class_order),
            "locations": sorted(self.locations),
            "laws": {tier: [{"id": law, "verified": ok} for law, ok in laws.items()]
                     for tier, laws in self.laws_by_tier().items()},
            "reachable": {"resources": self.reachable, "sensitive_resources": self.sensitive_reachable,
                          "by_control": self.by_control, "by_location": self.by_location,
                          "residual_only": self.residual_resources},
            "exposure": {"score": round(self.exposure, 1), "level": self.level},
            "lockin": {"score": None if self.lockin is None else round(self.lockin, 1),
                       "level": level_of(self.lockin)},
            "effort": {"points": self.effort, "unknown_resources": self.effort_unknown},
            "data_gb": round(self.data_gb, 3), "sized_resources": self.sized,
            "key_control": dict(sorted(self.keys.items())),
            "verified": not self.unverified,
        }


def _class_order(cls: str) -> tuple[bool, str]:
    return (cls not in SENSITIVE_CLASSES, cls)


def reach_of(hits: Iterable[Any]) -> tuple[Reach, ...]:
    """The foreign reaches of a profile's law hits: by control or location (scored), or presence (residual)."""
    return tuple(Reach(h.law, str(h.trigger), h.verified) for h in hits if h.counts or h.residual)


@dataclass(frozen=True, slots=True)
class Indicators:
    """The headline counts: they can only rise when more sensitive data becomes reachable.

    An application counts as reachable by control (or by location) when at least one of its
    resources holding sensitive data is; "residual only" when its sensitive data is reachable
    only through the provider group's presence (the contested tier, outside every other count).
    """

    applications: int = 0
    sensitive_apps: int = 0
    apps_reachable: int = 0  # sensitive applications reachable by control or location
    apps_by_control: int = 0
    apps_by_location: int = 0
    apps_residual_only: int = 0
    sensitive_resources: int = 0
    resources_reachable: int = 0  # sensitive resources reachable by control or location
    resources_by_control: int = 0
    resources_by_location: int = 0
    resources_residual_only: int = 0
    reachable_gb: float = 0.0  # size of the sensitive resources reachable, where the exports show it
    sized: int = 0  # how many of them have a known size
    keys: dict[str, int] = field(default_factory=dict)  # key control of the sensitive resources reachable

    @classmethod
    def of(cls, accs: Iterable[AppAccumulator]) -> Indicators:
        accs = list(accs)
        keys: Counter[str] = Counter()
        for acc in accs:
            keys.update(acc.keys)
        return cls(
            applications=len(accs), sensitive_apps=sum(acc.sensitive for acc in accs),
            apps_reachable=sum(acc.reachable_sensitive for acc in accs),
            apps_by_control=sum(acc.by_control > 0 for acc in accs),
            apps_by_location=sum(acc.by_location > 0 for acc in accs),
            apps_residual_only=sum(acc.residual_only for acc in accs),
            sensitive_resources=sum(acc.sensitive_resources for acc in accs),
            resources_reachable=sum(acc.sensitive_reachable for acc in accs),
            resources_by_control=sum(acc.by_control for acc in accs),
            resources_by_location=sum(acc.by_location for acc in accs),
            resources_residual_only=sum(acc.residual_resources for acc in accs),
            reachable_gb=round(sum(acc.sensitive_gb for acc in accs), 3),
            sized=sum(acc.sensitive_sized for acc in accs), keys=dict(sorted(keys.items())))


def accumulate(result: ScanResult) -> dict[str, AppAccumulator]:
    """Application id → what its resources hold and who can reach them."""
    apps = result.applications
    accs: dict[str, AppAccumulator] = defaultdict(AppAccumulator)
    if apps is None:
        return accs
    # Resources of one application and one profile share everything but their lock-in and size:
    # count them first, then add each group once (a million resources, a few thousand groups).
    of = apps.of
    groups: dict[tuple[str, int], list[Any]] = {}
    for a in result.assessed:
        p = a.profile
        key = (of.get(a.res.id, ""), id(p))
        g = groups.get(key)
        if g is None:
            g = groups[key] = [p, a.res.provider, 0, None, 0.0, 0]
        g[2] += 1
        lockin, size = a.lockin, a.res.size_gb
        if lockin is not None and (g[3] is None or lockin > g[3]):
            g[3] = lockin
        if size is not None:
            g[4] += size
            g[5] += 1
    reaches: dict[int, tuple[Reach, ...]] = {}  # a profile serves several applications: its reach once
    for (app_id, pid), (p, provider, count, lockin, size, sized) in groups.items():
        reach = reaches.get(pid)
        if reach is None:
            reach = reaches[pid] = reach_of(p.hits)
        accs[app_id].add(provider=provider, classes=p.classes, locations=p.locations, reach=reach,
                         exposure=p.exposure, level=p.exposure_level, lockin=lockin, effort=p.effort,
                         size_gb=size if sized else None, key_control=p.key_control, count=count, sized=sized)
    return accs


def application_records(result: ScanResult) -> list[dict[str, Any]]:
    """``applications[]`` of the JSON result, most exposed first."""
    apps = result.applications
    if apps is None:
        return []
    accs = accumulate(result)
    rows = [(apps.apps[app_id], acc) for app_id, acc in accs.items() if app_id in apps.apps]
    rows.sort(key=lambda row: (-row[1].exposure, not row[1].sensitive, row[0].name.casefold(), row[0].id))
    return [acc.record(app, result.kb.w.level) for app, acc in rows]
