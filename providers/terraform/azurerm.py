"""Azure resources from Terraform (``hashicorp/azurerm``): ids, regions, keys and flows.

Ids are the ``id`` attribute lower-cased (Azure ids compare case-insensitively; DESIGN.md), the
region is ``location`` squashed to its canonical name. Relations follow the azurerm schemas
(reference/input-formats.md §4.3): storage geo-replication, customer-managed keys, SQL failover
groups, Cosmos DB geo-locations and virtual network peerings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from providers.common import azure_region_of, normalize_tags
from providers.terraform.core import (
    Context,
    TfInstance,
    block,
    blocks,
    customer_key,
    flow,
    make_resource,
    text,
)
from scanner.model import FlowKind, Item, KeyControl, KeyRef

#: Replication types that keep a copy in the paired region. Source: Azure Storage redundancy
#: (https://learn.microsoft.com/azure/storage/common/storage-redundancy), checked 2026-11-30.
GEO_REPLICATION = frozenset({"GRS", "RAGRS", "GZRS", "RAGZRS"})


def _subscription(rid: str) -> str | None:
    parts = rid.split("/")
    return parts[2] if len(parts) > 2 and parts[1] == "subscriptions" and parts[2] else None


def _parent(rid: str, child: str) -> str:
    """The id of the resource a child resource belongs to (``…/failovergroups/x`` → server id)."""
    head, sep, _ = rid.partition(f"/{child}/")
    return head if sep else rid


def transform(inst: TfInstance, ctx: Context) -> Iterator[Item]:
    """Resource and flows of one azurerm resource instance."""
    v = inst.values
    native_id = text(v.get("id"))
    rid = native_id.lower() if native_id else f"tf:{inst.address}"
    raw_region = text(v.get("location")) or inst.provider_region
    region = azure_region_of(raw_region)
    key: KeyRef | None = customer_key(text(v.get("key_vault_key_id")) or text(v.get("managed_hsm_key_id")))
    extra: dict[str, Any] = {}

    if inst.type == "azurerm_storage_account":
        cmk = block(v, "customer_managed_key")
        # Storage is always encrypted; without a customer key Microsoft holds the keys.
        key = customer_key(text(cmk.get("key_vault_key_id")) or text(cmk.get("managed_hsm_key_id"))) \
            or KeyRef(KeyControl.PROVIDER)
        replication = (text(v.get("account_replication_type")) or "").upper()
        if replication in GEO_REPLICATION:
            raw_secondary = text(v.get("secondary_location"))
            if raw_secondary is None:
                extra["geo_pair_needed"] = True  # the paired region must come from the region table
            yield flow(rid, f"{rid}#secondary", FlowKind.REPLICATION,
                       "azurerm_storage_account.account_replication_type", "azure",
                       azure_region_of(raw_secondary))
        ctx.hold(make_resource(inst, rid, region=region, raw_region=raw_region,
                               account=_subscription(rid), key=key, tags=normalize_tags(v.get("tags")),
                               extra=extra))
        return
    if inst.type in ("azurerm_mssql_server", "azurerm_sql_server"):
        ctx.hold(make_resource(inst, rid, region=region, raw_region=raw_region,
                               account=_subscription(rid), key=key, tags=normalize_tags(v.get("tags"))))
        return
    if inst.type in ("azurerm_key_vault_key", "azurerm_key_vault_managed_hardware_security_module_key"):
        # A Key Vault or Managed HSM key is held by Microsoft's service for the customer; a key
        # imported with BYOK still lives there, so both count as customer-managed (DESIGN.md).
        extra["key_control"] = KeyControl.CUSTOMER.value
        key = None
    elif inst.type == "azurerm_cosmosdb_account":
        yield from _cosmos(rid, v, region)

    yield make_resource(inst, rid, region=region, raw_region=raw_region, account=_subscription(rid),
                        key=key, tags=normalize_tags(v.get("tags")), extra=extra)


def _cosmos(rid: str, v: Mapping[str, Any], region: str | None) -> Iterator[Item]:
    seen = {region}
    for geo in blocks(v, "geo_location"):
        loc = azure_region_of(text(geo.get("location")))
        if loc and loc not in seen:
            seen.add(loc)
            yield flow(rid, f"{rid}#{loc}", FlowKind.REPLICA,
                       "azurerm_cosmosdb_account.geo_location.location", "azure", loc)


# --------------------------------------------------------------------------- folded types


def _fold_failover(inst: TfInstance, ctx: Context) -> Iterator[Item]:
    v = inst.values
    own = text(v.get("id"))
    server = (text(v.get("server_id")) or (_parent(own.lower(), "failovergroups") if own else "")).lower()
    if not server:
        return
    partners = blocks(v, "partner_server") or blocks(v, "partner_servers")  # legacy azurerm_sql_*
    databases = [d.lower() for d in v.get("databases") or [] if isinstance(d, str) and d]
    for partner in partners:
        pid = (text(partner.get("id")) or "").lower()
        if not pid:
            continue
        loc = azure_region_of(text(partner.get("location")))
        yield flow(server, pid, FlowKind.FAILOVER, f"{inst.type}.partner_server.id", "azure", loc)
        for db in databases:
            name = db.rsplit("/", 1)[-1]
            yield flow(db, f"{pid}/databases/{name}", FlowKind.FAILOVER, f"{inst.type}.databases",
                       "azure", loc)


def _fold_storage_cmk(inst: TfInstance, ctx: Context) -> Iterator[Item]:
    account = text(inst.values.get("storage_account_id"))
    key = customer_key(text(inst.values.get("key_vault_key_id"))
                       or text(inst.values.get("managed_hsm_key_id")))
    if account and key:
        ctx.set_key(account.lower(), key)
    return iter(())


def _fold_tde(inst: TfInstance, ctx: Context) -> Iterator[Item]:
    server = text(inst.values.get("server_id"))
    if server:
        # An empty key id means service-managed transparent data encryption.
        key = customer_key(text(inst.values.get("key_vault_key_id"))
                           or text(inst.values.get("managed_hsm_key_id"))) or KeyRef(KeyControl.PROVIDER)
        ctx.set_key(server.lower(), key)
    return iter(())


def _fold_vnet_peering(inst: TfInstance, ctx: Context) -> Iterator[Item]:
    own, remote = text(inst.values.get("id")), text(inst.values.get("remote_virtual_network_id"))
    if own and remote:
        yield flow(_parent(own.lower(), "virtualnetworkpeerings"), remote.lower(), FlowKind.PEERING,
                   "azurerm_virtual_network_peering.remote_virtual_network_id", "azure", None)


FOLDS: dict[str, Callable[[TfInstance, Context], Iterator[Item]]] = {
    "azurerm_mssql_failover_group": _fold_failover,
    "azurerm_sql_failover_group": _fold_failover,
    "azurerm_storage_account_customer_managed_key": _fold_storage_cmk,
    "azurerm_mssql_server_transparent_data_encryption": _fold_tde,
    "azurerm_virtual_network_peering": _fold_vnet_peering,
}
