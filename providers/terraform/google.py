"""Google Cloud resources from Terraform (``hashicorp/google``, ``google-beta``).

Ids are Cloud Asset full resource names so that they join with CAI exports: buckets
``//storage.googleapis.com/projects/_/buckets/NAME``, Cloud SQL
``//sqladmin.googleapis.com/projects/P/instances/I``, BigQuery
``//bigquery.googleapis.com/projects/P/datasets/D``, compute resources from their ``self_link``,
types whose Terraform id is already the relative name (KMS, Pub/Sub, GKE…) with their service
host, and ``gcp:ID`` otherwise. Source: https://cloud.google.com/asset-inventory/docs/resource-name-format
(checked 2026-11-30).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from providers.common import gcp_region_of, normalize_tags
from providers.terraform.core import (
    Context,
    TfInstance,
    block,
    customer_key,
    flow,
    make_resource,
    strings,
    text,
)
from providers.terraform.mapping import GOOGLE_ID_HOSTS
from scanner.model import FlowKind, Item, KeyControl, KeyRef

_COMPUTE_PREFIXES = ("/compute/v1/", "/compute/beta/", "/compute/alpha/")


def compute_name(self_link: str | None) -> str | None:
    """``https://www.googleapis.com/compute/v1/projects/p/global/networks/n`` → CAI full name."""
    if not self_link:
        return None
    for prefix in _COMPUTE_PREFIXES:
        _, sep, rest = self_link.partition(prefix)
        if sep:
            return f"//compute.googleapis.com/{rest}"
    return None


#: Types that live where their parent does (a table in its dataset, a database in its instance):
#: the provider configuration's region says nothing about them; the knowledge base's parent rule
#: places them (scanner/hierarchy.py).
PLACED_BY_PARENT = frozenset({"google_bigquery_table", "google_spanner_database", "google_bigtable_table"})


def resource_id(inst: TfInstance) -> str:
    v = inst.values
    project = text(v.get("project"))
    name = text(v.get("name"))
    native_id = text(v.get("id"))
    if inst.type == "google_storage_bucket" and name:
        return f"//storage.googleapis.com/projects/_/buckets/{name}"
    if inst.type == "google_sql_database_instance" and project and name:
        return f"//sqladmin.googleapis.com/projects/{project}/instances/{name}"
    if inst.type == "google_bigquery_dataset" and project and text(v.get("dataset_id")):
        return f"//bigquery.googleapis.com/projects/{project}/datasets/{v['dataset_id']}"
    if inst.type == "google_bigquery_table" and project and text(v.get("dataset_id")) and text(v.get("table_id")):
        return f"//bigquery.googleapis.com/projects/{project}/datasets/{v['dataset_id']}/tables/{v['table_id']}"
    if inst.type == "google_spanner_instance" and project and name:
        return f"//spanner.googleapis.com/projects/{project}/instances/{name}"
    if inst.type == "google_spanner_database" and project and name and text(v.get("instance")):
        instance = str(v["instance"]).rsplit("/", 1)[-1]
        return f"//spanner.googleapis.com/projects/{project}/instances/{instance}/databases/{name}"
    host = GOOGLE_ID_HOSTS.get(inst.type)
    if host and native_id and native_id.startswith("projects/"):
        return f"//{host}/{native_id}"
    compute = compute_name(text(v.get("self_link")))
    if compute:
        return compute
    return f"gcp:{native_id}" if native_id else f"tf:{inst.address}"


def transform(inst: TfInstance, ctx: Context) -> Iterator[Item]:
    """Resource and flows of one google resource instance."""
    v = inst.values
    rid = resource_id(inst)
    raw_region = text(v.get("location")) or text(v.get("region")) or text(v.get("zone"))
    if raw_region is None and "/global/" in (text(v.get("self_link")) or ""):
        raw_region = "global"
    if raw_region is None and inst.type not in PLACED_BY_PARENT:
        raw_region = inst.provider_region
    region = gcp_region_of(raw_region)
    labels = v.get("effective_labels") or v.get("labels")
    key: KeyRef | None = customer_key(text(v.get("kms_key_name")) or text(v.get("encryption_key_name")))
    extra: dict[str, Any] = {}

    if inst.type == "google_storage_bucket":
        # Cloud Storage always encrypts; without a default KMS key Google holds the keys.
        key = customer_key(text(block(v, "encryption").get("default_kms_key_name"))) \
            or KeyRef(KeyControl.PROVIDER)
        for loc in strings(block(v, "custom_placement_config").get("data_locations")):
            target = loc.lower()
            yield flow(rid, f"{rid}#{target}", FlowKind.REPLICATION,
                       "google_storage_bucket.custom_placement_config.data_locations", "gcp",
                       gcp_region_of(target))
    elif inst.type == "google_bigquery_dataset":
        key = customer_key(text(block(v, "default_encryption_configuration").get("kms_key_name"))) \
            or KeyRef(KeyControl.PROVIDER)
    elif inst.type == "google_sql_database_instance":
        master = text(v.get("master_instance_name"))
        if master:
            # The master is named "instance" or "project:instance".
            project, _, instance = master.rpartition(":")
            project = project or text(v.get("project")) or ""
            yield flow(f"//sqladmin.googleapis.com/projects/{project}/instances/{instance}", rid,
                       FlowKind.REPLICA, "google_sql_database_instance.master_instance_name", "gcp", region)
    elif inst.type == "google_kms_crypto_key":
        level = text(block(v, "version_template").get("protection_level")) or ""
        # EXTERNAL and EXTERNAL_VPC keys live in a Cloud EKM partner's key manager.
        extra["key_control"] = (KeyControl.EXTERNAL if level.startswith("EXTERNAL")
                                else KeyControl.CUSTOMER).value
        key = None
        if raw_region is None and rid.startswith("//cloudkms.googleapis.com/"):
            parts = rid.split("/")
            if "locations" in parts:
                raw_region = parts[parts.index("locations") + 1]
                region = gcp_region_of(raw_region)

    account = text(v.get("project"))
    if account is None and rid.startswith("//") and "/projects/" in rid:
        account = rid.split("/projects/", 1)[1].split("/", 1)[0]
        account = None if account == "_" else account
    yield make_resource(inst, rid, region=region, raw_region=raw_region, account=account,
                        key=key, tags=normalize_tags(labels), extra=extra)


def _fold_peering(inst: TfInstance, ctx: Context) -> Iterator[Item]:
    network = compute_name(text(inst.values.get("network")))
    peer = compute_name(text(inst.values.get("peer_network")))
    if network and peer:
        yield flow(network, peer, FlowKind.PEERING, "google_compute_network_peering.peer_network", "gcp",
                   "global" if "/global/" in peer else None)


FOLDS: dict[str, Callable[[TfInstance, Context], Iterator[Item]]] = {
    "google_compute_network_peering": _fold_peering,
}
