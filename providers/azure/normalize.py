"""The pure transform from one Azure Resource Manager resource to provider-neutral items.

Azure Resource Graph rows, ``az resource list`` items, ARM GET responses and (after expression
resolution) ARM template resources all share the ARM resource shape: ``id``, ``name``, ``type``,
``location``, ``sku``, ``kind``, ``tags``, ``properties``. This module turns one such dict into a
:class:`~scanner.model.Resource` plus the :class:`~scanner.model.Flow` records its properties show
(storage geo-replication, SQL failover groups and geo-secondaries, Cosmos DB regions, VNet
peering, geo-redundant backup vaults) and the key that encrypts it. It does no I/O, so the file
readers and the live collector share it.

Facts put in ``Resource.attributes`` (all small and non-secret):

- ``sku``, ``kind``: the SKU name and resource kind as the export gives them (``Standard_RAGRS``,
  ``StorageV2``, ``MongoDB``), which decide replication and portability;
- ``key_control``: on key containers (Key Vault, Managed HSM, their keys), a ``KeyControl`` value;
- ``hsm_backed``: ``True`` for Key Vault premium and Managed HSM;
- ``geo_pair_needed``: ``True`` when a flow goes to the region paired with the resource's own
  region but the export does not name it (``az resource list``, ARM templates); the pipeline fills
  ``target_region`` from the knowledge base's region-pair table;
- ``subscription_unknown``: ``True`` for ARM template resources whose subscription and resource
  group the template cannot tell (their ids use ``unknown`` there).

Field names come from the ARM REST references (learn.microsoft.com/rest/api/storagerp,
/sql, /cosmos-db-resource-provider, /virtualnetwork, /compute/disks, /keyvault,
/recoveryservices, /dataprotection), checked 2026-11-30.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from providers.common import azure_region_of, intern, maybe_json, normalize_tags
from scanner.model import Account, Flow, FlowKind, Gap, Item, KeyControl, KeyRef, Resource

PROVIDER = "azure"

#: Storage SKUs that keep a copy in the secondary (paired) region (Storage REST ``SkuName``).
GEO_STORAGE_SKUS = frozenset({"standard_grs", "standard_ragrs", "standard_gzrs", "standard_ragzrs"})

#: Types that have no region of their own; their ``location`` is ``global`` or missing.
REGIONLESS_TYPES = frozenset({
    "microsoft.network/dnszones",
    "microsoft.network/privatednszones",
    "microsoft.network/frontdoors",
    "microsoft.network/frontdoorwebapplicationfirewallpolicies",
    "microsoft.network/trafficmanagerprofiles",
    "microsoft.cdn/profiles",
})

SUBSCRIPTION_TYPE = "microsoft.resources/subscriptions"
RESOURCE_GROUP_TYPE = "microsoft.resources/subscriptions/resourcegroups"
MANAGEMENT_GROUP_TYPE = "microsoft.management/managementgroups"

#: ``az graph query`` rows of the ResourceContainers table, and REST ``resourceGroups`` items, that
#: are hierarchy, not data holders.
CONTAINER_TYPES = frozenset({RESOURCE_GROUP_TYPE, MANAGEMENT_GROUP_TYPE, "microsoft.resources/resourcegroups"})

_GEO_REDUNDANT = "georedundant"

#: The key of platform-encrypted resources, one shared instance (``KeyRef`` is immutable).
_PROVIDER_KEY = KeyRef(KeyControl.PROVIDER)  # Recovery Services / Data Protection ``StorageType`` value


class RowShapeError(ValueError):
    """A record that is not an ARM resource (no usable ``id``); the reader counts and reports it."""


def canonical_id(raw: str) -> str:
    """Azure resource ids compare case-insensitively; DESIGN.md keys them in lower case."""
    return raw.strip().rstrip("/").lower()


def subscription_of(rid: str) -> str | None:
    """The subscription GUID of a (lower-cased) resource id, if it has one."""
    parts = rid.split("/", 3)
    if len(parts) >= 3 and parts[0] == "" and parts[1] == "subscriptions" and parts[2]:
        return parts[2]
    return None


def type_from_id(rid: str) -> str | None:
    """``/subscriptions/s/resourcegroups/g/providers/ns/t1/n1/t2/n2`` → ``ns/t1/t2``."""
    _, sep, tail = rid.rpartition("/providers/")
    if not sep:
        return None
    parts = tail.split("/")
    if len(parts) < 3 or len(parts) % 2 == 0:
        return None
    return "/".join([parts[0], *parts[1::2]])


def parent_id(rid: str) -> str:
    """The id of the parent of a child resource (``…/servers/a/databases/b`` → ``…/servers/a``)."""
    return rid.rsplit("/", 2)[0]


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _map(value: Any) -> Mapping[str, Any]:
    value = maybe_json(value)
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    value = maybe_json(value)
    return value if isinstance(value, list) else []


class _Facts:
    """What the per-type handlers add to a resource while it is being built."""

    __slots__ = ("attributes", "flows", "key", "region", "rid", "size_gb")

    def __init__(self, rid: str, region: str | None):
        self.rid = rid
        self.region = region
        self.key: KeyRef | None = None
        self.size_gb: float | None = None
        self.attributes: dict[str, Any] = {}
        self.flows: list[Flow] = []

    def flow(self, target: str, kind: FlowKind, evidence: str, target_region: str | None,
             source: str | None = None) -> None:
        self.flows.append(Flow(source or self.rid, target, kind, evidence, PROVIDER, target_region))

    def pair_flow(self, suffix: str, kind: FlowKind, evidence: str) -> None:
        """A copy in the paired region, which the export does not name."""
        self.attributes["geo_pair_needed"] = True
        self.flow(f"{self.rid}#{suffix}", kind, evidence, None)


def _storage(f: _Facts, props: Mapping[str, Any], sku: str | None) -> None:
    secondary = _str(props.get("secondaryLocation"))
    if (sku and sku.lower() in GEO_STORAGE_SKUS) or (sku is None and secondary):
        if secondary:
            f.flow(f"{f.rid}#secondary", FlowKind.REPLICATION,
                   "sku.name + properties.secondaryLocation", azure_region_of(secondary))
        else:
            f.pair_flow("secondary", FlowKind.REPLICATION, f"sku.name ({sku})")
    encryption = _map(props.get("encryption"))
    source = (_str(encryption.get("keySource")) or "").lower()
    if source == "microsoft.storage":
        f.key = _PROVIDER_KEY
    elif source == "microsoft.keyvault":
        # Key Vault and Managed HSM keys alike are held by the customer inside Azure.
        kv = _map(encryption.get("keyvaultproperties") or encryption.get("keyVaultProperties"))
        uri, name = _str(kv.get("keyvaulturi")), _str(kv.get("keyname"))
        key_id = f"{uri.rstrip('/')}/keys/{name}" if uri and name else uri or name
        f.key = KeyRef(KeyControl.CUSTOMER, key_id)


def _disk(f: _Facts, props: Mapping[str, Any], sku: str | None) -> None:
    size = props.get("diskSizeGB")
    if isinstance(size, int | float) and not isinstance(size, bool):
        f.size_gb = float(size)
    encryption = _map(props.get("encryption"))
    kind = (_str(encryption.get("type")) or "").lower()
    des = _str(encryption.get("diskEncryptionSetId"))
    if kind == "encryptionatrestwithplatformkey":
        f.key = _PROVIDER_KEY
    elif "customerkey" in kind or des:
        # ``…WithCustomerKey`` and ``…WithPlatformAndCustomerKeys`` both use a disk encryption set.
        f.key = KeyRef(KeyControl.CUSTOMER, canonical_id(des) if des else None)


def _key_vault(f: _Facts, props: Mapping[str, Any], sku: str | None) -> None:
    f.attributes["key_control"] = KeyControl.CUSTOMER
    vault_sku = _str(_map(props.get("sku")).get("name")) or sku
    if vault_sku and vault_sku.lower() == "premium":
        f.attributes["hsm_backed"] = True


def _managed_hsm(f: _Facts, props: Mapping[str, Any], sku: str | None) -> None:
    f.attributes["key_control"] = KeyControl.CUSTOMER
    f.attributes["hsm_backed"] = True


def _vault_key(f: _Facts, props: Mapping[str, Any], sku: str | None) -> None:
    f.attributes["key_control"] = KeyControl.CUSTOMER


def _sql_server(f: _Facts, props: Mapping[str, Any], sku: str | None) -> None:
    key_id = _str(props.get("keyId"))  # TDE protector in Key Vault, when customer-managed
    if key_id:
        f.key = KeyRef(KeyControl.CUSTOMER, key_id)


def _sql_encryption_protector(f: _Facts, props: Mapping[str, Any], sku: str | None) -> None:
    kind = (_str(props.get("serverKeyType")) or "").lower()
    if kind == "servicemanaged":
        f.key = _PROVIDER_KEY
    elif kind == "azurekeyvault":
        f.key = KeyRef(KeyControl.CUSTOMER, _str(props.get("uri")) or _str(props.get("serverKeyName")))


def _sql_database(f: _Facts, props: Mapping[str, Any], sku: str | None) -> None:
    backup = (_str(props.get("currentBackupStorageRedundancy"))
              or _str(props.get("requestedBackupStorageRedundancy")) or "")
    if backup.lower() in ("geo", "geozone"):
        # Geo-redundant backup storage copies backups to the paired region (SQL REST
        # ``BackupStorageRedundancy``).
        f.pair_flow("geo-backup", FlowKind.BACKUP, f"properties.backupStorageRedundancy ({backup})")
    source = _str(props.get("sourceDatabaseId"))
    mode = (_str(props.get("createMode")) or "").lower()
    if source and mode in ("secondary", "onlinesecondary"):
        # A geo-secondary: the source database's bytes also live here.
        f.flow(f.rid, FlowKind.REPLICA, "properties.sourceDatabaseId (createMode Secondary)",
               f.region, source=canonical_id(source))


def _sql_failover_group(f: _Facts, props: Mapping[str, Any], sku: str | None) -> None:
    server = parent_id(f.rid)
    databases = [canonical_id(d) for d in _list(props.get("databases")) if _str(d)]
    for partner in _list(props.get("partnerServers")):
        partner = _map(partner)
        pid = _str(partner.get("id"))
        if not pid:
            continue
        pid = canonical_id(pid)
        region = azure_region_of(_str(partner.get("location")))
        f.flow(pid, FlowKind.FAILOVER, "properties.partnerServers[].id", region, source=server)
        for db in databases:
            # The failover group keeps a same-named secondary database on the partner server.
            f.flow(f"{pid}/databases/{db.rsplit('/', 1)[-1]}", FlowKind.FAILOVER,
                   "properties.databases[] + properties.partnerServers[].id", region, source=db)


def _sql_replication_link(f: _Facts, props: Mapping[str, Any], sku: str | None) -> None:
    database = parent_id(f.rid)  # …/databases/d/replicationlinks/l → …/databases/d
    target = _str(props.get("partnerDatabaseId"))
    if target:
        target = canonical_id(target)
    else:
        server, name = _str(props.get("partnerServer")), _str(props.get("partnerDatabase"))
        if not (server and name):
            return
        # Older API versions name the partner without its resource group: keep a stable stand-in.
        target = f"{database}#partner/{server.lower()}/{name.lower()}"
    f.flow(target, FlowKind.REPLICA, "properties.partnerDatabase", azure_region_of(
        _str(props.get("partnerLocation"))), source=database)


def _cosmos(f: _Facts, props: Mapping[str, Any], sku: str | None) -> None:
    key_uri = _str(props.get("keyVaultKeyUri"))
    if key_uri:
        f.key = KeyRef(KeyControl.CUSTOMER, key_uri)
    locations = [_map(loc) for loc in _list(props.get("locations"))]
    regions = [(azure_region_of(_str(loc.get("locationName"))), loc.get("failoverPriority"))
               for loc in locations]
    write = next((r for r, prio in regions if prio == 0), None)
    if write is None:
        writes = [_map(w) for w in _list(props.get("writeLocations"))]
        write = azure_region_of(_str(writes[0].get("locationName"))) if writes else None
    seen = {write}
    for region, _ in regions:
        if region and region not in seen:
            seen.add(region)
            f.flow(f"{f.rid}#{region}", FlowKind.MULTI_REGION, "properties.locations[].locationName",
                   region)


def _peering_target(peering: Mapping[str, Any]) -> str | None:
    remote = _map(_map(peering.get("properties")).get("remoteVirtualNetwork")
                  or peering.get("remoteVirtualNetwork"))
    rid = _str(remote.get("id"))
    return canonical_id(rid) if rid else None


def _vnet(f: _Facts, props: Mapping[str, Any], sku: str | None) -> None:
    for peering in _list(props.get("virtualNetworkPeerings")):
        target = _peering_target(_map(peering))
        if target:
            f.flow(target, FlowKind.PEERING,
                   "properties.virtualNetworkPeerings[].properties.remoteVirtualNetwork.id", None)


def _vnet_peering(f: _Facts, props: Mapping[str, Any], sku: str | None) -> None:
    target = _peering_target({"properties": props})
    if target:
        f.flow(target, FlowKind.PEERING, "properties.remoteVirtualNetwork.id", None,
               source=parent_id(f.rid))


def _recovery_vault(f: _Facts, props: Mapping[str, Any], sku: str | None) -> None:
    redundancy = _str(_map(props.get("redundancySettings")).get("standardTierStorageRedundancy"))
    if redundancy and redundancy.lower() == _GEO_REDUNDANT:
        f.pair_flow("secondary", FlowKind.BACKUP,
                    "properties.redundancySettings.standardTierStorageRedundancy (GeoRedundant)")


def _backup_vault(f: _Facts, props: Mapping[str, Any], sku: str | None) -> None:
    for setting in _list(props.get("storageSettings")):
        kind = _str(_map(setting).get("type"))
        if kind and kind.lower() == _GEO_REDUNDANT:
            f.pair_flow("secondary", FlowKind.BACKUP, "properties.storageSettings[].type (GeoRedundant)")
            return


_REPLICATION_LINK = "microsoft.sql/servers/databases/replicationlinks"

_HANDLERS = {
    "microsoft.storage/storageaccounts": _storage,
    "microsoft.compute/disks": _disk,
    "microsoft.keyvault/vaults": _key_vault,
    "microsoft.keyvault/managedhsms": _managed_hsm,
    "microsoft.keyvault/vaults/keys": _vault_key,
    "microsoft.keyvault/managedhsms/keys": _vault_key,
    "microsoft.sql/servers": _sql_server,
    "microsoft.sql/servers/encryptionprotector": _sql_encryption_protector,
    "microsoft.sql/servers/databases": _sql_database,
    "microsoft.sql/servers/failovergroups": _sql_failover_group,
    "microsoft.sql/servers/databases/replicationlinks": _sql_replication_link,
    "microsoft.documentdb/databaseaccounts": _cosmos,
    "microsoft.network/virtualnetworks": _vnet,
    "microsoft.network/virtualnetworks/virtualnetworkpeerings": _vnet_peering,
    "microsoft.recoveryservices/vaults": _recovery_vault,
    "microsoft.dataprotection/backupvaults": _backup_vault,
}


def resource_items(row: Mapping[str, Any], source: str, *, raw_region: str | None = None,
                   region: str | None = None, unknown_subscription: bool = False) -> list[Item]:
    """One ARM resource dict → its ``Resource`` and the ``Flow`` records its properties show.

    ``raw_region``/``region`` override the row's ``location`` (ARM templates resolve it first).
    Raises :class:`RowShapeError` when the row has no resource id.
    """
    raw_id = row.get("id")
    if not isinstance(raw_id, str) or not raw_id.startswith("/"):
        raise RowShapeError("no resource id")
    rid = canonical_id(raw_id)
    native_type = _str(row.get("type"))
    rtype = intern(native_type.lower() if native_type else type_from_id(rid))
    if rtype is None:
        raise RowShapeError("no resource type")
    if raw_region is None and region is None:
        raw_region = _str(row.get("location"))
        region = azure_region_of(raw_region)
    if region is None and rtype in REGIONLESS_TYPES:
        region = "global"
    # Types, regions, subscriptions, SKUs and kinds repeat across a million rows: one copy each, as
    # the AWS and GCP readers do.
    region = intern(region)
    raw_region = region if raw_region == region else intern(raw_region)
    sku_value = row.get("sku")
    sku = _str(sku_value.get("name")) if isinstance(sku_value, Mapping) else None
    facts = _Facts(rid, region)
    if sku:
        facts.attributes["sku"] = intern(sku)
    kind = _str(row.get("kind"))
    if kind:
        facts.attributes["kind"] = intern(kind)
    if unknown_subscription:
        facts.attributes["subscription_unknown"] = True
    handler = _HANDLERS.get(rtype)
    if handler is not None:
        handler(facts, _map(row.get("properties")), sku)
    if rtype == _REPLICATION_LINK:
        return list(facts.flows)  # a relation of its database (the flow), not a resource of its own
    name = _str(row.get("name")) or rid.rsplit("/", 1)[-1]
    resource = Resource(
        id=rid, provider=PROVIDER, native_type=rtype, name=name,
        account=None if unknown_subscription else intern(subscription_of(rid)),
        region=region, raw_region=raw_region, tags=normalize_tags(row.get("tags")),
        key=facts.key, size_gb=facts.size_gb, source=source, attributes=facts.attributes,
    )
    return [resource, *facts.flows]


def subscription_account(row: Mapping[str, Any], source: str) -> Account | None:
    """A ResourceContainers subscription row → ``Account`` (display name, management group)."""
    sub = _str(row.get("subscriptionId")) or subscription_of(canonical_id(_str(row.get("id")) or ""))
    if not sub:
        return None
    chain = _list(_map(row.get("properties")).get("managementGroupAncestorsChain"))
    parent_name = _str(_map(chain[0]).get("name")) if chain else None
    parent = (f"/providers/microsoft.management/managementgroups/{parent_name.lower()}"
              if parent_name else None)
    return Account(id=sub.lower(), provider=PROVIDER, name=_str(row.get("name")), parent=parent,
                   source=source)


class RowTally:
    """Counts the rows a reader could not use, to report them as one ``Gap`` each kind."""

    def __init__(self) -> None:
        self.rows = 0
        self.skipped: Counter[str] = Counter()
        self.flattened = 0  # rows whose ``properties`` were flattened to text by ConvertTo-Json

    def gaps(self, source: str) -> Iterator[Gap]:
        for reason, count in sorted(self.skipped.items()):
            yield Gap(source, f"{count} record(s) skipped: {reason}", "skipped")
        if self.flattened:
            yield Gap(source, f"{self.flattened} row(s) have 'properties' flattened to text, so "
                      "replication and encryption are unknown for them (export with "
                      "'ConvertTo-Json -Depth 100')", "partial")


def rows_to_items(rows: Iterable[Any], source: str, tally: RowTally) -> Iterator[Item]:
    """Resource Graph / ``az resource list`` / ARM GET rows → items, counting unusable rows."""
    for row in rows:
        tally.rows += 1
        if not isinstance(row, Mapping):
            tally.skipped["not a JSON object"] += 1
            continue
        rtype = _str(row.get("type"))
        ltype = rtype.lower() if rtype else None
        if ltype == SUBSCRIPTION_TYPE:
            account = subscription_account(row, source)
            if account is None:
                tally.skipped["subscription row without an id"] += 1
            else:
                yield account
            continue
        if ltype in CONTAINER_TYPES:
            continue  # resource groups and management groups hold no data; the hierarchy is enough
        props = row.get("properties")
        if isinstance(props, str) and props and not isinstance(maybe_json(props), Mapping | list):
            tally.flattened += 1
        try:
            yield from resource_items(row, source)
        except RowShapeError as exc:
            tally.skipped[f"{exc} (not an ARM resource)"] += 1
