"""Pure transforms from Cloud Asset Inventory records to provider-neutral items.

Two record shapes come out of Cloud Asset Inventory, and both the offline importers
(``providers.gcp.files``) and the live collector feed them through here:

* an **Asset** (``google.cloud.asset.v1.Asset``): ``gcloud asset export`` writes it with proto
  field names (``asset_type``, ``update_time``), ``gcloud asset list`` and the REST API with JSON
  names (``assetType``, ``updateTime``); both spellings are accepted. ``resource.data`` is the
  service's own REST representation (always camelCase) and carries the relations read here;
* a **ResourceSearchResult** (``gcloud asset search-all-resources``): no ``resource`` blob, only
  ``location``, ``labels``, ``kmsKeys`` and the project number.

Identifiers. CAI names are turned into the IAM *full resource name* form that every sovscan
importer uses (https://cloud.google.com/iam/docs/full-resource-names, checked 2026-11-30): CAI
writes buckets as ``//storage.googleapis.com/NAME`` and Cloud SQL as
``//cloudsql.googleapis.com/projects/P/instances/I``; these become
``//storage.googleapis.com/projects/_/buckets/NAME`` and
``//sqladmin.googleapis.com/projects/P/instances/I``. Cloud KMS key references
(``projects/P/locations/L/keyRings/R/cryptoKeys/K[/cryptoKeyVersions/N]``) become the key's full
name ``//cloudkms.googleapis.com/projects/P/locations/L/keyRings/R/cryptoKeys/K``, so that a
resource's ``key.key_id`` equals the id of the CryptoKey resource it uses.

Accounts. The account of a resource is its **project id** (``my-project``), taken from the
Project asset's ``projectId``, from a ``projects/ID`` segment of a name (project ids start with a
letter, project numbers are all digits), or from a number→id map learnt from earlier records
(:class:`ProjectIds`). When the id is not known the account is ``projects/NUMBER`` (from
``ancestors`` or the search result's ``project``); :func:`settle_accounts` holds such resources
back until their project's id is learnt, so that one file never gives a project two names.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from providers.common import gcp_region_of, intern, maybe_json, normalize_tags
from scanner.model import Account, Flow, FlowKind, Item, KeyControl, KeyRef, Resource

PROVIDER = "gcp"

_STORAGE = "//storage.googleapis.com/"
_BUCKET_PREFIX = "//storage.googleapis.com/projects/_/buckets/"
_CLOUDSQL = "//cloudsql.googleapis.com/"
_SQLADMIN = "//sqladmin.googleapis.com/"
_KMS = "//cloudkms.googleapis.com/"
_CRM_PROJECTS = "//cloudresourcemanager.googleapis.com/projects/"
_COMPUTE_URL = "https://www.googleapis.com/compute/"
_COMPUTE_URL2 = "https://compute.googleapis.com/compute/"

PROJECT_TYPE = "cloudresourcemanager.googleapis.com/Project"
BUCKET_TYPE = "storage.googleapis.com/Bucket"
DATASET_TYPE = "bigquery.googleapis.com/Dataset"
TABLE_TYPE = "bigquery.googleapis.com/Table"
SQL_TYPE = "sqladmin.googleapis.com/Instance"
CRYPTO_KEY_TYPE = "cloudkms.googleapis.com/CryptoKey"
CRYPTO_KEY_VERSION_TYPE = "cloudkms.googleapis.com/CryptoKeyVersion"
DISK_TYPE = "compute.googleapis.com/Disk"
NETWORK_TYPE = "compute.googleapis.com/Network"
LOG_SINK_TYPE = "logging.googleapis.com/LogSink"
SPANNER_TYPE = "spanner.googleapis.com/Instance"
FIRESTORE_TYPE = "firestore.googleapis.com/Database"
TOPIC_TYPE = "pubsub.googleapis.com/Topic"

#: Types whose data is encrypted at rest with Google-managed keys unless the record names a
#: Cloud KMS key ("Google Cloud encrypts all customer content at rest … by default",
#: https://cloud.google.com/docs/security/encryption/default-encryption, checked 2026-11-30).
#: Only types whose exports show the CMEK field when one is set are listed, so that a missing
#: field really means Google-managed.
_DEFAULT_ENCRYPTED = frozenset({
    BUCKET_TYPE, DATASET_TYPE, TABLE_TYPE, SQL_TYPE, DISK_TYPE, TOPIC_TYPE,
    "compute.googleapis.com/Snapshot", "compute.googleapis.com/Image",
})

#: Cloud KMS protection levels (https://cloud.google.com/kms/docs/reference/rest/v1/ProtectionLevel,
#: checked 2026-11-30). EXTERNAL and EXTERNAL_VPC are Cloud EKM: the key material stays in a key
#: manager outside Google. The default when unset is SOFTWARE.
_PROTECTION = {
    "SOFTWARE": KeyControl.CUSTOMER,
    "HSM": KeyControl.CUSTOMER,
    "HSM_SINGLE_TENANT": KeyControl.CUSTOMER,
    "EXTERNAL": KeyControl.EXTERNAL,
    "EXTERNAL_VPC": KeyControl.EXTERNAL,
}

#: Resource-hierarchy, IAM and DNS types have no region of their own.
_GLOBAL_SERVICES = ("cloudresourcemanager.googleapis.com/", "iam.googleapis.com/", "dns.googleapis.com/",
                    "orgpolicy.googleapis.com/", "cloudbilling.googleapis.com/")

#: Keys that mark an Asset line as policy content (``--content-type=iam-policy`` and friends)
#: rather than resource content.
_POLICY_KEYS = ("iam_policy", "iamPolicy", "org_policy", "orgPolicy", "access_policy", "accessPolicy",
                "os_inventory", "osInventory", "access_level", "accessLevel", "service_perimeter",
                "servicePerimeter", "related_assets", "relatedAssets")


class SkipRecord(Exception):
    """A record that holds no resource (policy content, a deleted asset, an unknown shape)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ProjectIds:
    """What the records have taught about project numbers and ids (``"123"`` → ``"my-project"``).

    A live collector can pre-fill it from Resource Manager; the file readers learn as they go.
    ``fresh`` lists the numbers learnt since :func:`settle_accounts` last looked.
    """

    __slots__ = ("by_number", "fresh")

    def __init__(self, known: Mapping[str, str] | None = None):
        self.by_number: dict[str, str] = dict(known or {})
        self.fresh: list[str] = []

    def learn(self, number: str | None, project_id: str | None) -> None:
        if number and project_id and number not in self.by_number:
            self.by_number[number] = project_id
            self.fresh.append(number)

    def account(self, project_id: str | None, number: str | None) -> str | None:
        """The account to record: the id when known, else ``projects/NUMBER``."""
        if project_id:
            return project_id
        if number:
            return self.by_number.get(number) or f"projects/{number}"
        return None


def settle_accounts(items: Iterable[Item], projects: ProjectIds) -> Iterator[Item]:
    """Pass items through, holding back resources whose account is still ``projects/NUMBER``.

    They are released with the project id as soon as a later record teaches it, or unchanged at
    the end (then every resource of that project says ``projects/NUMBER``, consistently). Only
    those resources are held, so memory stays proportional to them, not to the file.
    """
    pending: dict[str, list[Resource]] = {}
    for item in items:
        if isinstance(item, Resource) and item.account and item.account.startswith("projects/"):
            number = item.account[9:]
            known = projects.by_number.get(number)
            if known:
                yield replace(item, account=known)
            else:
                pending.setdefault(number, []).append(item)
        else:
            yield item
        if projects.fresh:
            for number in projects.fresh:
                held = pending.pop(number, None)
                if held:
                    project_id = projects.by_number[number]
                    for res in held:
                        yield replace(res, account=project_id)
            projects.fresh.clear()
    for held in pending.values():
        yield from held


# --------------------------------------------------------------------------- names


def canonical_name(name: str) -> str:
    """A CAI asset name in the IAM full-resource-name form used as the resource id."""
    if name.startswith(_STORAGE) and "/" not in name[len(_STORAGE):]:
        return _BUCKET_PREFIX + name[len(_STORAGE):]
    if name.startswith(_CLOUDSQL):
        return _SQLADMIN + name[len(_CLOUDSQL):]
    return name


def kms_key_id(ref: str) -> str:
    """A Cloud KMS key reference as the CryptoKey's full resource name (version stripped)."""
    ref = ref.strip()
    if ref.startswith(_KMS):
        ref = ref[len(_KMS):]
    cut = ref.find("/cryptoKeyVersions/")
    if cut >= 0:
        ref = ref[:cut]
    return _KMS + ref if ref.startswith("projects/") else ref


def bucket_id(bucket: str) -> str:
    return _BUCKET_PREFIX + bucket


def _segment_after(name: str, marker: str) -> str | None:
    """The path segment after ``marker`` (``"/projects/"``) in ``name``, if any."""
    start = name.find(marker)
    if start < 0:
        return None
    start += len(marker)
    end = name.find("/", start)
    return name[start:] if end < 0 else name[start:end]


def _project_id_in(name: str) -> str | None:
    """The project id written in a full name; None when the name holds a number or ``_``."""
    seg = _segment_after(name, "/projects/")
    if seg and not seg.isdigit() and seg != "_":
        return seg
    return None


def _location_in(name: str) -> str | None:
    """The location a full name spells (``/locations/L/``, ``/regions/R/``, ``/zones/Z/``, ``/global/``)."""
    for marker in ("/locations/", "/regions/", "/zones/"):
        seg = _segment_after(name, marker)
        if seg:
            return seg
    if "/global/" in name:
        return "global"
    return None


def _number_of(ref: Any) -> str | None:
    """``projects/123`` → ``123``."""
    if isinstance(ref, str) and ref.startswith("projects/"):
        return ref[9:] or None
    return None


def _compute_url_to_name(url: str) -> str:
    """``https://www.googleapis.com/compute/v1/projects/P/global/networks/N`` → full name."""
    for prefix in (_COMPUTE_URL, _COMPUTE_URL2):
        if url.startswith(prefix):
            rest = url[len(prefix):]
            slash = rest.find("/")  # skip the API version (v1, beta)
            return "//compute.googleapis.com/" + rest[slash + 1:]
    if url.startswith("projects/"):
        return "//compute.googleapis.com/" + url
    return url


def _short_name(name: str) -> str:
    return name.rstrip("/").rsplit("/", 1)[-1]


def _float(value: Any) -> float | None:
    """int64 fields are JSON strings in REST (``"dataDiskSizeGb": "20"``)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# --------------------------------------------------------------------------- per-type details


class _Facts:
    """What the per-type readers add to a resource, before it is frozen."""

    __slots__ = ("attributes", "flows", "key", "location", "size_gb", "tags")

    def __init__(self) -> None:
        self.location: str | None = None
        self.key: KeyRef | None = None
        self.size_gb: float | None = None
        self.tags: Any = None
        self.attributes: dict[str, Any] = {}
        self.flows: list[Flow] = []


def _cmek(ref: Any) -> KeyRef | None:
    key = _str(ref)
    return KeyRef(KeyControl.CUSTOMER, kms_key_id(key)) if key else None


def _bucket(rid: str, data: dict[str, Any], facts: _Facts) -> None:
    facts.location = _str(data.get("location"))
    loc_type = _str(data.get("locationType"))
    if loc_type:
        facts.attributes["location_type"] = loc_type
    facts.key = _cmek(_dict(data.get("encryption")).get("defaultKmsKeyName"))
    # A configurable dual-region names its two regions here; each holds a full copy
    # (https://cloud.google.com/storage/docs/locations#location-dr, checked 2026-11-30).
    places = _dict(data.get("customPlacementConfig")).get("dataLocations")
    if isinstance(places, list):
        for place in places:
            if isinstance(place, str) and place:
                region = gcp_region_of(place)
                facts.flows.append(Flow(
                    rid, f"{rid}#{region}", FlowKind.REPLICATION,
                    "resource.data.customPlacementConfig.dataLocations", PROVIDER, region))


def _dataset(rid: str, data: dict[str, Any], facts: _Facts) -> None:
    facts.location = _str(data.get("location"))
    facts.key = _cmek(_dict(data.get("defaultEncryptionConfiguration")).get("kmsKeyName"))


def _table(rid: str, data: dict[str, Any], facts: _Facts) -> None:
    facts.location = _str(data.get("location"))
    facts.key = _cmek(_dict(data.get("encryptionConfiguration")).get("kmsKeyName"))
    size = _float(data.get("numBytes"))
    if size is not None:
        facts.size_gb = size / 2**30


def _sql_instance_id(ref: str, project: str | None) -> str | None:
    """``project:instance`` or a bare instance name (same project) → full name."""
    proj, sep, inst = ref.rpartition(":")
    if not sep:
        proj = project or ""
    if not proj or not inst:
        return None
    return f"{_SQLADMIN}projects/{proj}/instances/{inst}"


def _sql(rid: str, data: dict[str, Any], facts: _Facts) -> None:
    region = _str(data.get("region"))
    facts.location = region
    settings = _dict(data.get("settings"))
    facts.tags = settings.get("userLabels")
    facts.size_gb = _float(settings.get("dataDiskSizeGb"))
    facts.key = _cmek(_dict(data.get("diskEncryptionConfiguration")).get("kmsKeyName"))
    version = _str(data.get("databaseVersion"))
    if version:
        facts.attributes["database_version"] = version
    project = _str(data.get("project")) or _project_id_in(rid)
    master = _str(data.get("masterInstanceName"))
    if master:
        source = _sql_instance_id(master, project)
        if source:
            facts.flows.append(Flow(source, rid, FlowKind.REPLICA, "resource.data.masterInstanceName",
                                    PROVIDER, gcp_region_of(region)))
    replicas = data.get("replicaNames")
    if isinstance(replicas, list):
        for replica in replicas:
            target = _sql_instance_id(replica, project) if isinstance(replica, str) else None
            if target:
                facts.flows.append(Flow(rid, target, FlowKind.REPLICA, "resource.data.replicaNames"))
    failover = _str(_dict(data.get("failoverReplica")).get("name"))
    if failover:
        target = _sql_instance_id(failover, project)
        if target:
            facts.flows.append(Flow(rid, target, FlowKind.FAILOVER, "resource.data.failoverReplica.name"))
    # Automated backups go to a multi-region by default or to the location named here
    # (https://cloud.google.com/sql/docs/mysql/backup-recovery/backups, checked 2026-11-30).
    backup = _dict(settings.get("backupConfiguration"))
    backup_loc = _str(backup.get("location"))
    if backup_loc and backup.get("enabled") is not False:
        where = gcp_region_of(backup_loc)
        facts.flows.append(Flow(rid, f"{rid}#backup", FlowKind.BACKUP,
                                "resource.data.settings.backupConfiguration.location", PROVIDER, where))


def _crypto_key(rid: str, data: dict[str, Any], facts: _Facts) -> None:
    level = _str(_dict(data.get("versionTemplate")).get("protectionLevel")) \
        or _str(_dict(data.get("primary")).get("protectionLevel")) \
        or _str(data.get("protectionLevel")) or "SOFTWARE"
    facts.attributes["protection_level"] = level
    facts.attributes["key_control"] = str(_PROTECTION.get(level, KeyControl.UNKNOWN))


def _disk(rid: str, data: dict[str, Any], facts: _Facts) -> None:
    facts.location = _str(data.get("zone")) or _str(data.get("region"))
    if facts.location and "/" in facts.location:  # zone and region are URLs in REST
        facts.location = _short_name(facts.location)
    facts.size_gb = _float(data.get("sizeGb"))
    enc = _dict(data.get("diskEncryptionKey"))
    if enc.get("kmsKeyName"):
        facts.key = _cmek(enc.get("kmsKeyName"))
    elif enc.get("sha256") or enc.get("rawKey") or enc.get("rsaEncryptedKey"):
        # A customer-supplied key (CSEK) is sent with each request and not kept by Google
        # (https://cloud.google.com/docs/security/encryption/customer-supplied-encryption-keys, 2026-11-30).
        facts.key = KeyRef(KeyControl.EXTERNAL)
    status = _str(data.get("status"))
    if status:
        facts.attributes["status"] = status


def _network(rid: str, data: dict[str, Any], facts: _Facts) -> None:
    peerings = data.get("peerings")
    if isinstance(peerings, list):
        for peering in peerings:
            peer = _str(_dict(peering).get("network"))
            if peer and peering.get("state") != "INACTIVE":
                facts.flows.append(Flow(rid, _compute_url_to_name(peer), FlowKind.PEERING,
                                        "resource.data.peerings[].network"))


def _sink_target(dest: str) -> tuple[str, str | None]:
    """A sink destination (``storage.googleapis.com/B``…) → (target id, target location)."""
    if dest.startswith("storage.googleapis.com/"):
        return bucket_id(dest[len("storage.googleapis.com/"):]), None
    target = "//" + dest if "/" in dest and not dest.startswith("//") else dest
    # Only Logging's own buckets name their region in the destination; Cloud Storage, BigQuery
    # and Pub/Sub destinations do not (their region is on the target resource, if exported).
    seg = _segment_after(target, "/locations/") if target.startswith("//logging.") else None
    return target, seg


def _log_sink(rid: str, data: dict[str, Any], facts: _Facts) -> None:
    dest = _str(data.get("destination"))
    if dest and not data.get("disabled"):
        target, where = _sink_target(dest)
        facts.flows.append(Flow(rid, target, FlowKind.LOGS, "resource.data.destination",
                                PROVIDER if where else None, gcp_region_of(where)))


def _spanner(rid: str, data: dict[str, Any], facts: _Facts) -> None:
    # ``config`` is ``projects/P/instanceConfigs/regional-europe-west1`` or a multi-region
    # configuration such as ``eur3`` or ``nam-eur-asia1``.
    config = _str(data.get("config"))
    if config:
        code = _short_name(config)
        facts.location = code[9:] if code.startswith("regional-") else code
    state = _str(data.get("state"))
    if state:
        facts.attributes["status"] = state


def _firestore(rid: str, data: dict[str, Any], facts: _Facts) -> None:
    facts.location = _str(data.get("locationId"))
    facts.key = _cmek(_dict(data.get("cmekConfig")).get("kmsKeyName"))


#: App Engine location ids that differ from the region names used everywhere else: "Two locations,
#: which are called europe-west and us-central in App Engine commands and in the Google Cloud
#: console, are called europe-west1 and us-central1, respectively, elsewhere"
#: (https://cloud.google.com/appengine/docs/standard/locations, checked 2026-12-04).
_APP_ENGINE_LOCATIONS = {"europe-west": "europe-west1", "us-central": "us-central1"}


def _app_engine(rid: str, data: dict[str, Any], facts: _Facts) -> None:
    location = _str(data.get("locationId"))
    if location:
        facts.location = _APP_ENGINE_LOCATIONS.get(location.lower(), location)


def _located_in_data(rid: str, data: dict[str, Any], facts: _Facts) -> None:
    """``data.location`` as a location name (``projects/P/locations/us-central1-b``) or a code.

    Bigtable clusters keep their zone there
    (https://cloud.google.com/bigtable/docs/reference/admin/rest/v2/projects.instances.clusters,
    checked 2026-12-04); Cloud Asset records often leave ``resource.location`` empty for them.
    """
    location = _str(data.get("location"))
    if location:
        facts.location = _segment_after(location, "/locations/") or _short_name(location)


def _storage_locations(rid: str, data: dict[str, Any], facts: _Facts) -> None:
    """Snapshots and images: ``storageLocations`` (a region or a multi-region such as ``us``).

    https://cloud.google.com/compute/docs/reference/rest/v1/snapshots (``storageLocations[]``),
    checked 2026-12-04. Several locations mean copies in each.
    """
    places = [p for p in data.get("storageLocations") or [] if isinstance(p, str) and p]
    if places:
        facts.location = places[0]
        for place in places[1:]:
            region = gcp_region_of(place)
            facts.flows.append(Flow(rid, f"{rid}#{region}", FlowKind.MULTI_REGION,
                                    "resource.data.storageLocations", PROVIDER, region))
    size = _float(data.get("storageBytes"))
    if size is not None:
        facts.size_gb = size / 2**30


def _topic(rid: str, data: dict[str, Any], facts: _Facts) -> None:
    facts.key = _cmek(data.get("kmsKeyName"))
    allowed = _dict(data.get("messageStoragePolicy")).get("allowedPersistenceRegions")
    if isinstance(allowed, list) and allowed:
        facts.attributes["allowed_regions"] = sorted({r for r in allowed if isinstance(r, str)})


_DETAILS = {
    BUCKET_TYPE: _bucket,
    DATASET_TYPE: _dataset,
    TABLE_TYPE: _table,
    SQL_TYPE: _sql,
    CRYPTO_KEY_TYPE: _crypto_key,
    CRYPTO_KEY_VERSION_TYPE: _crypto_key,
    DISK_TYPE: _disk,
    "compute.googleapis.com/RegionDisk": _disk,
    NETWORK_TYPE: _network,
    LOG_SINK_TYPE: _log_sink,
    SPANNER_TYPE: _spanner,
    FIRESTORE_TYPE: _firestore,
    TOPIC_TYPE: _topic,
    "appengine.googleapis.com/Application": _app_engine,
    "bigtableadmin.googleapis.com/Cluster": _located_in_data,
    "compute.googleapis.com/Snapshot": _storage_locations,
    "compute.googleapis.com/Image": _storage_locations,
    "compute.googleapis.com/MachineImage": _storage_locations,
}


def _region(primary: str | None, fallback: str | None, name: str,
            asset_type: str) -> tuple[str | None, str | None]:
    """(canonical region, raw value) from the richest location the record gives."""
    raw = primary or fallback or _location_in(name)
    if not raw and asset_type.startswith(_GLOBAL_SERVICES):
        raw = "global"
    return gcp_region_of(raw), raw


def _status(data: dict[str, Any]) -> str | None:
    """The first non-empty string of ``status``, ``state`` and ``lifecycleState``."""
    for key in ("status", "state", "lifecycleState"):
        value = data.get(key)
        if value and isinstance(value, str):
            return value
    return None


# --------------------------------------------------------------------------- assets


def _get2(obj: Mapping[str, Any], snake: str, camel: str) -> Any:
    value = obj.get(snake)
    return obj.get(camel) if value is None else value


def _project_parent(data: dict[str, Any], ancestors: Any) -> str | None:
    parent = data.get("parent")
    if isinstance(parent, dict) and parent.get("type") and parent.get("id"):
        return f"{parent['type']}s/{parent['id']}"  # v1: {"type": "folder", "id": "123"}
    if isinstance(parent, str) and parent:
        return parent  # v3: "folders/123"
    if isinstance(ancestors, list) and len(ancestors) > 1 and isinstance(ancestors[1], str):
        return ancestors[1]
    return None


def _project_display_name(data: dict[str, Any]) -> str | None:
    name = _str(data.get("displayName")) or _str(data.get("name"))
    return None if name is None or name.startswith("projects/") else name


def asset_items(asset: Mapping[str, Any], source: str, projects: ProjectIds) -> list[Item]:
    """One CAI Asset (snake_case or camelCase) → its resource, flows and account.

    Raises :class:`SkipRecord` when the record holds no resource.
    """
    asset = _live_asset(asset)
    name = asset.get("name")
    asset_type = _get2(asset, "asset_type", "assetType")
    if not isinstance(name, str) or not name.startswith("//") or not isinstance(asset_type, str):
        raise SkipRecord("not a Cloud Asset record (no full name or asset type)")
    resource = _resource_content(asset)
    data = _dict(maybe_json(resource.get("data")))
    ancestors = asset.get("ancestors")
    number = _number_of(ancestors[0]) if isinstance(ancestors, list) and ancestors else None
    parent_project = _segment_after(_str(resource.get("parent")) or "", "/projects/")
    if number is None and parent_project and parent_project.isdigit():
        number = parent_project  # no ancestors: the direct parent is the project

    items: list[Item] = []
    if asset_type == PROJECT_TYPE:
        rid, project_id, number = _project_identity(name, data, number)
        if project_id:
            items.append(Account(project_id, PROVIDER, _project_display_name(data),
                                 _project_parent(data, ancestors), source))
    else:
        rid = canonical_name(name)
        project_id = _project_id_in(rid)
        if project_id is None and parent_project and not parent_project.isdigit():
            project_id = parent_project
    projects.learn(number, project_id)
    facts = _Facts()
    detail = _DETAILS.get(asset_type)
    if detail is not None:
        detail(rid, data, facts)
    items.append(_asset_resource(rid, asset_type, data, facts, _str(resource.get("location")), name, source,
                                 projects.account(project_id, number)))
    items.extend(facts.flows)
    return items


def _live_asset(asset: Mapping[str, Any]) -> Mapping[str, Any]:
    """The asset itself, out of a history record (TemporalAsset); deleted assets are skipped."""
    if "window" in asset and isinstance(asset.get("asset"), dict):  # TemporalAsset (history)
        if asset.get("deleted"):
            raise SkipRecord("deleted asset")
        asset = asset["asset"]
    if asset.get("deleted") is True:
        raise SkipRecord("deleted asset")
    return asset


def _resource_content(asset: Mapping[str, Any]) -> dict[str, Any]:
    """The asset's ``resource``; an export of policies instead of resources is skipped."""
    resource = asset.get("resource")
    if isinstance(resource, dict):
        return resource
    if any(key in asset for key in _POLICY_KEYS):
        raise SkipRecord("policy content, not resource content (export with --content-type=resource)")
    return {}


def _project_identity(name: str, data: dict[str, Any], number: str | None) -> tuple[str, str | None, str | None]:
    """(resource id, project id, project number) of a project asset; its own number wins over the ancestors'."""
    project_id = _str(data.get("projectId")) or _project_id_in(name)
    own = str(data.get("projectNumber") or _segment_after(name, "/projects/") or "")
    if own.isdigit():
        number = own
    return (_CRM_PROJECTS + project_id if project_id else name), project_id, number


def _asset_resource(rid: str, asset_type: str, data: dict[str, Any], facts: _Facts, location: str | None,
                    name: str, source: str, account: str | None) -> Resource:
    """The resource of an asset, from its service data and what the type's detail rule found in it."""
    region, raw = _region(facts.location, location, name, asset_type)
    key = facts.key
    if key is None and data and asset_type in _DEFAULT_ENCRYPTED:
        key = KeyRef(KeyControl.PROVIDER)
    attributes = facts.attributes
    if "status" not in attributes:
        status = _status(data)
        if status:
            attributes["status"] = status
    labels = facts.tags if facts.tags is not None else data.get("labels")
    tags = {} if labels is None else normalize_tags(labels)
    display = _project_display_name(data) if asset_type == PROJECT_TYPE else _str(data.get("displayName"))
    region = intern(region)
    return Resource(
        id=rid, provider=PROVIDER, native_type=sys.intern(asset_type),
        name=display or _short_name(rid),
        account=intern(account),
        region=region, raw_region=region if raw == region else intern(raw), tags=tags, key=key,
        size_gb=facts.size_gb,
        source=source, attributes=attributes,
    )


# --------------------------------------------------------------------------- search results


def search_result_items(result: Mapping[str, Any], source: str, projects: ProjectIds) -> list[Item]:
    """One ``ResourceSearchResult`` → its resource (and account, for projects).

    Search results carry no service data, so they give no flows; ``kmsKeys`` tells a
    customer-managed key from the default.
    """
    name = result.get("name")
    asset_type = result.get("assetType") or result.get("asset_type")
    if not isinstance(name, str) or not name.startswith("//") or not isinstance(asset_type, str):
        raise SkipRecord("not a search result (no full name or asset type)")
    number = _number_of(result.get("project"))
    attrs = _dict(result.get("additionalAttributes"))
    items: list[Item] = []
    rid = canonical_name(name)
    if asset_type == PROJECT_TYPE:
        project_id = _str(attrs.get("projectId")) or _project_id_in(name)
        if project_id:
            rid = _CRM_PROJECTS + project_id
            parent = _str(result.get("parentFullResourceName"))
            parent_ref = parent.split(".googleapis.com/", 1)[-1] if parent else None
            folders = result.get("folders")
            if not parent_ref and isinstance(folders, list) and folders:
                parent_ref = folders[0]
            items.append(Account(project_id, PROVIDER, _str(result.get("displayName")),
                                 parent_ref or _str(result.get("organization")), source))
    else:
        project_id = _project_id_in(rid)
        if project_id is None:
            parent = result.get("parentFullResourceName")
            if isinstance(parent, str) and parent.startswith(_CRM_PROJECTS):
                project_id = _project_id_in(parent)
    projects.learn(number, project_id)

    keys = result.get("kmsKeys")
    key_ref = keys[0] if isinstance(keys, list) and keys else result.get("kmsKey")
    key = _cmek(key_ref)
    if key is None and asset_type in _DEFAULT_ENCRYPTED:
        # ``kmsKeys`` is filled for every type listed there when a CMEK is set, and JSON output
        # leaves empty lists out, so its absence means Google-managed keys.
        key = KeyRef(KeyControl.PROVIDER)
    location = _str(result.get("location"))
    region, raw = _region(location, None, name, asset_type)
    attributes: dict[str, Any] = {}
    state = _str(result.get("state"))
    if state:
        attributes["status"] = state
    items.append(Resource(
        id=rid, provider=PROVIDER, native_type=asset_type,
        name=_str(result.get("displayName")) or _short_name(rid),
        account=projects.account(project_id, number),
        region=region, raw_region=raw, tags=normalize_tags(result.get("labels")), key=key,
        source=source, attributes=attributes,
    ))
    return items
