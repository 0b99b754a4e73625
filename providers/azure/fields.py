"""What of an ARM resource row the analysis reads: the allowlist applied as rows are collected.

``EXPORT_FIELDS`` maps the raw-record kind of Azure live collection (``azure-resource``: Resource
Graph rows, subscription rows, ARM list items) to the function that keeps the row's envelope (id,
name, type, location, SKU, kind, subscription, tags with secret-looking values redacted) and, per
resource type, only the ``properties`` that ``providers.azure.normalize`` reads (replication,
encryption keys, failover partners, peerings). Everything else is dropped before the row is
transformed or saved (see ``providers/export.py``); a test checks that the transform gives the
same result on every row of the test fixtures before and after.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.export import TAGS, Spec, keep

ENVELOPE: Spec = {
    "id": True, "name": True, "type": True, "location": True, "sku": {"name": True}, "kind": True,
    "subscriptionId": True, "tenantId": True, "tags": TAGS,
}

_KEY = {"keyvaultproperties": {"keyvaulturi": True, "keyname": True}}

#: Lower-case resource type → allowlist of its ``properties``.
PROPERTIES: dict[str, Spec] = {
    "microsoft.resources/subscriptions": {"managementGroupAncestorsChain": {"name": True}, "state": True},
    "microsoft.storage/storageaccounts": {"secondaryLocation": True,
                                          "encryption": {"keySource": True, **_KEY}},
    "microsoft.compute/disks": {"diskSizeGB": True, "encryption": {"type": True, "diskEncryptionSetId": True}},
    "microsoft.keyvault/vaults": {"sku": {"name": True}},
    "microsoft.sql/servers": {"keyId": True},
    "microsoft.sql/servers/encryptionprotector": {"serverKeyType": True, "uri": True, "serverKeyName": True},
    "microsoft.sql/servers/databases": {"currentBackupStorageRedundancy": True,
                                        "requestedBackupStorageRedundancy": True, "sourceDatabaseId": True,
                                        "createMode": True},
    "microsoft.sql/servers/failovergroups": {"databases": True, "partnerServers": {"id": True, "location": True}},
    "microsoft.sql/servers/databases/replicationlinks": {"partnerDatabaseId": True, "partnerServer": True,
                                                         "partnerDatabase": True, "partnerLocation": True},
    "microsoft.documentdb/databaseaccounts": {"keyVaultKeyUri": True,
                                              "locations": {"locationName": True, "failoverPriority": True},
                                              "writeLocations": {"locationName": True}},
    "microsoft.network/virtualnetworks": {"virtualNetworkPeerings": {
        "properties": {"remoteVirtualNetwork": {"id": True}}, "remoteVirtualNetwork": {"id": True}}},
    "microsoft.network/virtualnetworks/virtualnetworkpeerings": {"remoteVirtualNetwork": {"id": True}},
    "microsoft.recoveryservices/vaults": {"redundancySettings": {"standardTierStorageRedundancy": True}},
    "microsoft.dataprotection/backupvaults": {"storageSettings": {"type": True}},
}


def arm_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """One ARM resource row reduced to what the transform reads."""
    out: dict[str, Any] = keep(record, ENVELOPE)
    rtype = record.get("type")
    spec = PROPERTIES.get(rtype.lower(), {}) if isinstance(rtype, str) else {}
    if "properties" in record:
        out["properties"] = keep(record["properties"], spec)
    return out


EXPORT_FIELDS = {"azure-resource": arm_row}
