"""What of a Cloud Asset the analysis reads: the allowlist applied as assets are collected.

``EXPORT_FIELDS`` maps the raw-record kind of Google Cloud live collection (``gcp-asset``) to the
function that keeps the asset's envelope (name, type, ancestors, the resource's location and
parent) and, of ``resource.data``, the fields every asset may use (labels with secret-looking
values redacted, display name, status, location) plus, per asset type, what
``providers.gcp.normalize`` reads (locations, encryption keys, replicas, peerings, sinks).
Everything else is dropped before the asset is transformed or saved (see ``providers/export.py``);
a test checks that the transform gives the same result on every asset of the test fixtures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.export import TAGS, Spec, keep

ENVELOPE: Spec = {
    "name": True, "assetType": True, "asset_type": True, "ancestors": True, "deleted": True,
    "updateTime": True, "update_time": True,
}
RESOURCE: Spec = {"location": True, "parent": True, "version": True, "discoveryName": True}
#: ``resource.data`` fields read for every asset type.
COMMON_DATA: Spec = {
    "labels": TAGS, "displayName": True, "name": True, "status": True, "state": True, "lifecycleState": True,
    "location": True, "region": True, "zone": True, "id": True, "selfLink": True,
}
_KMS = {"kmsKeyName": True}

#: Asset type → allowlist of its ``resource.data`` (beside :data:`COMMON_DATA`).
DATA: dict[str, Spec] = {
    "cloudresourcemanager.googleapis.com/Project": {"projectId": True, "projectNumber": True, "parent": True},
    "storage.googleapis.com/Bucket": {"locationType": True, "encryption": {"defaultKmsKeyName": True},
                                      "customPlacementConfig": {"dataLocations": True}},
    "bigquery.googleapis.com/Dataset": {"defaultEncryptionConfiguration": _KMS},
    "bigquery.googleapis.com/Table": {"encryptionConfiguration": _KMS, "numBytes": True},
    "sqladmin.googleapis.com/Instance": {
        "settings": {"userLabels": TAGS, "dataDiskSizeGb": True,
                     "backupConfiguration": {"location": True, "enabled": True}},
        "diskEncryptionConfiguration": _KMS, "databaseVersion": True, "project": True,
        "masterInstanceName": True, "replicaNames": True, "failoverReplica": {"name": True}},
    "cloudkms.googleapis.com/CryptoKey": {"versionTemplate": {"protectionLevel": True},
                                          "primary": {"protectionLevel": True}, "protectionLevel": True},
    "cloudkms.googleapis.com/CryptoKeyVersion": {"versionTemplate": {"protectionLevel": True},
                                                 "primary": {"protectionLevel": True}, "protectionLevel": True},
    # a customer-supplied key shows as its hash (sha256), never as the key itself
    "compute.googleapis.com/Disk": {"sizeGb": True, "diskEncryptionKey": {"kmsKeyName": True, "sha256": True}},
    "compute.googleapis.com/RegionDisk": {"sizeGb": True, "diskEncryptionKey": {"kmsKeyName": True,
                                                                               "sha256": True}},
    "compute.googleapis.com/Network": {"peerings": {"network": True, "state": True, "name": True}},
    "logging.googleapis.com/LogSink": {"destination": True, "disabled": True},
    "spanner.googleapis.com/Instance": {"config": True},
    "firestore.googleapis.com/Database": {"locationId": True, "cmekConfig": _KMS},
    "pubsub.googleapis.com/Topic": {"kmsKeyName": True,
                                    "messageStoragePolicy": {"allowedPersistenceRegions": True}},
    "appengine.googleapis.com/Application": {"locationId": True},
    "compute.googleapis.com/Snapshot": {"storageLocations": True, "storageBytes": True},
    "compute.googleapis.com/Image": {"storageLocations": True, "storageBytes": True},
    "compute.googleapis.com/MachineImage": {"storageLocations": True, "storageBytes": True},
}


def asset(record: Mapping[str, Any]) -> dict[str, Any]:
    """One Asset reduced to what the transform reads."""
    out: dict[str, Any] = keep(record, ENVELOPE)
    atype = record.get("assetType", record.get("asset_type"))
    resource = record.get("resource")
    if isinstance(resource, Mapping):
        kept = keep(resource, RESOURCE)
        if "data" in resource:
            spec = {**COMMON_DATA, **(DATA.get(atype, {}) if isinstance(atype, str) else {})}
            kept["data"] = keep(resource["data"], spec)
        out["resource"] = kept
    return out


EXPORT_FIELDS = {"gcp-asset": asset}
