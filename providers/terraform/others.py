"""Resources of the other clouds' Terraform providers: Scaleway, OVHcloud, Outscale, Hetzner…

Ids are ``PROVIDER:ID`` from the state's ``id`` attribute (``tf:ADDRESS`` without one). Regions
come from each provider's own attributes, lower-cased, with zones reduced to their region where
the provider's naming makes that unambiguous: Scaleway ``fr-par-1`` → ``fr-par``, Outscale
``eu-west-2a`` → ``eu-west-2``, Hetzner datacentre ``fsn1-dc14`` → location ``fsn1``. OVHcloud
datacentre forms such as ``gra11`` are kept: the knowledge base maps them. Sources: provider
documentation on the Terraform Registry (scaleway/scaleway, ovh/ovh, outscale/outscale,
hetznercloud/hcloud), checked 2026-11-30, and reference/regions.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from providers.common import normalize_tags
from providers.terraform.core import Context, TfInstance, blocks, flow, make_resource, text
from scanner.model import FlowKind, Item

_SCW_ZONE = re.compile(r"^([a-z]{2}-[a-z]{3})-\d+$")
_SCW_LOCALITY = re.compile(r"^[a-z]{2}-[a-z]{3}(?:-\d+)?$")
_OUTSCALE_SUBREGION = re.compile(r"^(.*-\d+)[a-z]$")
_HETZNER_DC = re.compile(r"^([a-z]+\d*)-dc\d+$")
_ALIBABA_ZONE = re.compile(r"^([a-z]{2}-[a-z]+-\d+)[a-z]$")
# OCIDs: ocid1.<resource type>.<realm>.[region].<unique id>; the region is empty for global types.
# Source: https://docs.oracle.com/iaas/Content/General/Concepts/identifiers.htm, checked 2026-11-30.
_OCID = re.compile(r"^ocid1\.[a-z0-9]+\.[a-z0-9]+\.([a-z0-9-]*)\.")

_ACCOUNT_ATTRIBUTES = {
    "scaleway": "project_id", "ovhcloud": "service_name", "oci": "compartment_id",
    "stackit": "project_id", "otc": "project_id", "ionos": "datacenter_id", "alibaba": "resource_group_id",
}


def _lower(value: str | None) -> str | None:
    return value.strip().lower() if value else None


def region_of(inst: TfInstance) -> tuple[str | None, str | None]:
    """``(canonical region, raw value)`` of a resource of a non-hyperscaler provider."""
    v = inst.values
    if inst.provider == "scaleway":
        raw = text(v.get("region")) or text(v.get("zone"))
        if raw is None:
            locality = (text(v.get("id")) or "").partition("/")[0]
            raw = locality if _SCW_LOCALITY.match(locality) else None
        low = _lower(raw)
        match = _SCW_ZONE.match(low or "")
        return (match.group(1) if match else low), raw
    if inst.provider == "ovhcloud":
        nodes = blocks(v, "nodes")
        raw = text(v.get("region")) or text(v.get("region_name")) or (
            text(nodes[0].get("region")) if nodes else None)
        return _lower(raw), raw
    if inst.provider == "outscale":
        raw = (text(v.get("region")) or text(v.get("subregion_name"))
               or text(v.get("placement_subregion_name")))
        low = _lower(raw)
        match = _OUTSCALE_SUBREGION.match(low or "")
        return (match.group(1) if match else low), raw
    if inst.provider == "hetzner":
        raw = text(v.get("location")) or text(v.get("datacenter"))
        low = _lower(raw)
        match = _HETZNER_DC.match(low or "")
        return (match.group(1) if match else low), raw
    if inst.provider == "alibaba":
        # OSS buckets say ``location: oss-eu-central-1``; instances give ``availability_zone:
        # eu-central-1a``. Source: registry.terraform.io aliyun/alicloud docs (alicloud_oss_bucket,
        # alicloud_instance), checked 2026-11-30.
        raw = (text(v.get("region")) or text(v.get("location")) or text(v.get("availability_zone"))
               or text(v.get("zone_id")) or inst.provider_region)
        low = _lower(raw) or ""
        low = low.removeprefix("oss-")
        match = _ALIBABA_ZONE.match(low)
        return (match.group(1) if match else low) or None, raw
    if inst.provider == "cloudflare":
        # An R2 bucket's jurisdiction (eu, us, fedramp) binds where data is stored; its location is
        # only a best-effort hint. Source: developers.cloudflare.com/r2/reference/data-location/,
        # checked 2026-12-04.
        jurisdiction = _lower(text(v.get("jurisdiction")))
        raw = jurisdiction if jurisdiction and jurisdiction != "default" else None
        return (raw or "global"), raw
    raw = text(v.get("region")) or text(v.get("location")) or text(v.get("zone"))
    if raw is None and inst.provider == "oci":
        match = _OCID.match(text(v.get("id")) or "")
        raw = match.group(1) if match and match.group(1) else None
    raw = raw or inst.provider_region
    return _lower(raw), raw


def transform(inst: TfInstance, ctx: Context) -> Iterator[Item]:
    """Resource (and the few flows these providers show) of one resource instance."""
    v = inst.values
    native_id = text(v.get("id"))
    rid = f"{inst.provider}:{native_id}" if native_id else f"tf:{inst.address}"
    region, raw_region = region_of(inst)
    attr = _ACCOUNT_ATTRIBUTES.get(inst.provider)
    account = text(v.get(attr)) if attr else None
    tags = normalize_tags(v.get("tags") or v.get("labels"))

    if inst.type == "scaleway_rdb_read_replica":
        primary = text(v.get("instance_id"))
        if primary:
            yield flow(f"scaleway:{primary}", rid, FlowKind.REPLICA, "scaleway_rdb_read_replica.instance_id",
                       "scaleway", region)
    elif inst.type == "ovh_cloud_project_database":
        yield from _ovh_nodes(rid, v, region)

    yield make_resource(inst, rid, region=region, raw_region=raw_region, account=account, tags=tags)


def _ovh_nodes(rid: str, v: Mapping[str, Any], region: str | None) -> Iterator[Item]:
    """Nodes of a managed database placed in other regions than the first hold copies too."""
    seen = {region}
    for node in blocks(v, "nodes"):
        loc = _lower(text(node.get("region")))
        if loc and loc not in seen:
            seen.add(loc)
            yield flow(rid, f"{rid}#{loc}", FlowKind.REPLICA, "ovh_cloud_project_database.nodes.region",
                       "ovhcloud", loc)
