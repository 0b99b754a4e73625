"""Azure offline formats: sniffing, full reads of realistic exports, relations, gaps and bad input."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from providers.azure import normalize, template
from providers.azure.files import FORMATS
from providers.base import InputFile, InventoryFormatError, peek_shape
from scanner.model import Account, Flow, FlowKind, Gap, Item, KeyControl, KeyRef, Resource

FIX = Path(__file__).parent / "fixtures" / "azure"
BY_NAME = {fmt.name: fmt for fmt in FORMATS}
SUB = "0f4c2a7e-3b1d-4e8f-9a6c-5d2e1b7f8a90"
HUB = (
    "/subscriptions/7a1b9c3d-2e4f-4a6b-8c0d-1e2f3a4b5c6d/resourcegroups/rg-hub"
    "/providers/microsoft.network/virtualnetworks/vnet-hub-frc"
)
WEU = f"/subscriptions/{SUB}/resourcegroups/rg-excare-phi-weu/providers"
EDGE = f"/subscriptions/{SUB}/resourcegroups/rg-excare-edge/providers"
APP = f"/subscriptions/{SUB}/resourcegroups/rg-excare-app/providers"
NEU_SQL = (
    f"/subscriptions/{SUB}/resourcegroups/rg-excare-phi-neu/providers/microsoft.sql/servers/sql-excare-neu"
)
TPL = "/subscriptions/unknown/resourcegroups/unknown/providers"
CUSTOMER = KeyControl.CUSTOMER
PHI = {"DataClassification": "PHI"}


def _inp(name: str) -> InputFile:
    return InputFile(FIX / name, name)


def _read(fmt: str, name: str) -> list[Item]:
    return list(BY_NAME[fmt].read(_inp(name)))


def _resources(items: Iterable[Item]) -> dict[str, Resource]:
    found = [i for i in items if isinstance(i, Resource)]
    by_id = {r.id: r for r in found}
    assert len(by_id) == len(found), "duplicate resource ids"
    return by_id


def _flows(items: Iterable[Item]) -> set[tuple[str, str, FlowKind, str | None]]:
    return {(f.source, f.target, f.kind, f.target_region) for f in items if isinstance(f, Flow)}


def _gaps(items: Iterable[Item]) -> set[tuple[str, str]]:
    return {(g.reason, g.message) for g in items if isinstance(g, Gap)}


def _res(
    rid: str,
    rtype: str,
    name: str,
    source: str,
    region: str | None,
    raw: str | None = "same",
    account: str | None = SUB,
    **kw: Any,
) -> Resource:
    return Resource(
        id=rid,
        provider="azure",
        native_type=rtype,
        name=name,
        account=account,
        region=region,
        raw_region=region if raw == "same" else raw,
        source=source,
        **kw,
    )


# -- sniffing ---------------------------------------------------------------------------------
SNIFFED = {
    "arg_query.json": "azure-resource-graph",
    "arg_page_truncated.json": "azure-resource-graph",
    "arg_rows.json": "azure-resource-graph",
    "arg_cut.json": "azure-resource-graph",
    "resource_list.json.gz": "azure-resource-list",
    "arm_template.json": "azure-arm-template",
    "unknown.json": None,
    "empty.json": None,
}


@pytest.mark.parametrize(("name", "expected"), sorted(SNIFFED.items()))
def test_each_fixture_is_sniffed_by_exactly_its_own_format(name: str, expected: str | None) -> None:
    shape = peek_shape(_inp(name).head())
    assert [fmt.name for fmt in FORMATS if fmt.sniff(shape)] == ([expected] if expected else [])


def test_every_fixture_is_covered_by_the_sniff_table() -> None:
    assert {p.name for p in FIX.iterdir()} == set(SNIFFED)


@pytest.mark.parametrize(
    "head",
    [
        # AWS Config snapshot, gcloud asset list, Terraform state, ARM parameters file, REST table form
        b'{"fileVersion":"1.0","configSnapshotId":"x","configurationItems":[{"ARN":"arn:aws:s3:::b"}]}',
        b'[{"name":"//storage.googleapis.com/projects/_/buckets/b","assetType":"storage.googleapis.com/Bucket"}]',
        b'{"version":4,"terraform_version":"1.9.0","serial":3,"lineage":"x","resources":[]}',
        b'{"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",'
        b'"contentVersion":"1.0.0.0","parameters":{}}',
        b'[{"id":"i-0abc","type":"instance","resourceGroup":"x"}]',
    ],
)
def test_foreign_shapes_are_rejected(head: bytes) -> None:
    shape = peek_shape(head)
    assert [fmt.name for fmt in FORMATS if fmt.sniff(shape)] == []


def test_rest_response_and_rows_without_tenant_are_resource_graph() -> None:
    rest = peek_shape(
        b'{"totalRecords":1,"count":1,"data":[{"id":"/subscriptions/s/resourceGroups/g/'
        b'providers/Microsoft.Web/sites/a","type":"microsoft.web/sites"}],"facets":[],'
        b'"resultTruncated":"false"}'
    )
    assert BY_NAME["azure-resource-graph"].sniff(rest)
    projected = peek_shape(
        b'[{"id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/a",'
        b'"subscriptionId":"s","location":"westeurope"}]'
    )
    assert [fmt.name for fmt in FORMATS if fmt.sniff(projected)] == ["azure-resource-graph"]


# -- Resource Graph ---------------------------------------------------------------------------
SRC = "arg_query.json"
ARG_RESOURCES = [
    _res(
        f"{WEU}/microsoft.storage/storageaccounts/stexcarephiweu",
        "microsoft.storage/storageaccounts",
        "stexcarephiweu",
        SRC,
        "westeurope",
        tags={**PHI, "owner-team": "ehr"},
        key=KeyRef(CUSTOMER, "https://kv-excare-weu.vault.azure.net/keys/st-phi-cmk"),
        attributes={"sku": "Standard_RAGZRS", "kind": "StorageV2"},
    ),
    _res(
        f"{WEU}/microsoft.storage/storageaccounts/stexcarelogs",
        "microsoft.storage/storageaccounts",
        "stexcarelogs",
        SRC,
        "westeurope",
        key=KeyRef(KeyControl.PROVIDER),
        attributes={"sku": "Standard_LRS", "kind": "StorageV2"},
    ),
    _res(
        f"{WEU}/microsoft.sql/servers/sql-excare-weu",
        "microsoft.sql/servers",
        "sql-excare-weu",
        SRC,
        "westeurope",
        attributes={"kind": "v12.0"},
    ),
    _res(
        f"{WEU}/microsoft.sql/servers/sql-excare-weu/databases/ehr",
        "microsoft.sql/servers/databases",
        "sql-excare-weu/ehr",
        SRC,
        "westeurope",
        tags=PHI,
        attributes={"sku": "GP_Gen5", "kind": "v12.0,user,vcore", "geo_pair_needed": True},
    ),
    _res(
        f"{WEU}/microsoft.sql/servers/sql-excare-weu/failovergroups/fg-excare-ehr",
        "microsoft.sql/servers/failovergroups",
        "sql-excare-weu/fg-excare-ehr",
        SRC,
        "westeurope",
    ),
    _res(
        f"{WEU}/microsoft.documentdb/databaseaccounts/cosmos-excare",
        "microsoft.documentdb/databaseaccounts",
        "cosmos-excare",
        SRC,
        "westeurope",
        tags=PHI,
        key=KeyRef(CUSTOMER, "https://kv-excare-weu.vault.azure.net/keys/cosmos-cmk"),
        attributes={"kind": "GlobalDocumentDB"},
    ),
    _res(
        f"{WEU}/microsoft.network/virtualnetworks/vnet-excare-weu",
        "microsoft.network/virtualnetworks",
        "vnet-excare-weu",
        SRC,
        "westeurope",
    ),
    _res(
        f"{WEU}/microsoft.recoveryservices/vaults/rsv-excare-weu",
        "microsoft.recoveryservices/vaults",
        "rsv-excare-weu",
        SRC,
        "westeurope",
        attributes={"sku": "RS0", "geo_pair_needed": True},
    ),
    _res(
        f"{WEU}/microsoft.compute/disks/disk-ehr-data",
        "microsoft.compute/disks",
        "disk-ehr-data",
        SRC,
        "westeurope",
        tags=PHI,
        size_gb=512.0,
        attributes={"sku": "Premium_LRS"},
        key=KeyRef(CUSTOMER, f"{WEU}/microsoft.compute/diskencryptionsets/des-excare"),
    ),
    _res(
        f"{WEU}/microsoft.compute/disks/vm-ehr-01_osdisk_1",
        "microsoft.compute/disks",
        "vm-ehr-01_OsDisk_1",
        SRC,
        "westeurope",
        size_gb=128.0,
        key=KeyRef(KeyControl.PROVIDER),
        attributes={"sku": "Premium_LRS"},
    ),
    _res(
        f"{WEU}/microsoft.keyvault/vaults/kv-excare-weu",
        "microsoft.keyvault/vaults",
        "kv-excare-weu",
        SRC,
        "westeurope",
        attributes={"key_control": CUSTOMER, "hsm_backed": True},
    ),
    _res(
        f"{WEU}/microsoft.keyvault/managedhsms/hsm-excare",
        "microsoft.keyvault/managedhsms",
        "hsm-excare",
        SRC,
        "westeurope",
        attributes={"sku": "Standard_B1", "key_control": CUSTOMER, "hsm_backed": True},
    ),
    _res(
        f"{EDGE}/microsoft.network/dnszones/excare.example",
        "microsoft.network/dnszones",
        "excare.example",
        SRC,
        "global",
    ),
    _res(
        f"{EDGE}/microsoft.network/trafficmanagerprofiles/tm-excare",
        "microsoft.network/trafficmanagerprofiles",
        "tm-excare",
        SRC,
        "global",
    ),
    _res(
        f"{EDGE}/microsoft.cdn/profiles/afd-excare",
        "microsoft.cdn/profiles",
        "afd-excare",
        SRC,
        "global",
        attributes={"sku": "Standard_AzureFrontDoor", "kind": "frontdoor"},
    ),
    _res(
        f"/subscriptions/{SUB}/resourcegroups/rg-excare-backup-frc/providers/microsoft.dataprotection/"
        "backupvaults/bv-excare-frc",
        "microsoft.dataprotection/backupvaults",
        "bv-excare-frc",
        SRC,
        "francecentral",
        attributes={"geo_pair_needed": True},
    ),
]
BV = ARG_RESOURCES[-1].id
ARG_FLOWS = {
    (
        f"{WEU}/microsoft.storage/storageaccounts/stexcarephiweu",
        f"{WEU}/microsoft.storage/storageaccounts/stexcarephiweu#secondary",
        FlowKind.REPLICATION,
        "northeurope",
    ),
    (
        f"{WEU}/microsoft.sql/servers/sql-excare-weu/databases/ehr",
        f"{WEU}/microsoft.sql/servers/sql-excare-weu/databases/ehr#geo-backup",
        FlowKind.BACKUP,
        None,
    ),
    (f"{WEU}/microsoft.sql/servers/sql-excare-weu", NEU_SQL, FlowKind.FAILOVER, "northeurope"),
    (
        f"{WEU}/microsoft.sql/servers/sql-excare-weu/databases/ehr",
        f"{NEU_SQL}/databases/ehr",
        FlowKind.FAILOVER,
        "northeurope",
    ),
    (
        f"{WEU}/microsoft.documentdb/databaseaccounts/cosmos-excare",
        f"{WEU}/microsoft.documentdb/databaseaccounts/cosmos-excare#germanywestcentral",
        FlowKind.MULTI_REGION,
        "germanywestcentral",
    ),
    (
        f"{WEU}/microsoft.documentdb/databaseaccounts/cosmos-excare",
        f"{WEU}/microsoft.documentdb/databaseaccounts/cosmos-excare#eastus",
        FlowKind.MULTI_REGION,
        "eastus",
    ),
    (f"{WEU}/microsoft.network/virtualnetworks/vnet-excare-weu", HUB, FlowKind.PEERING, None),
    (
        f"{WEU}/microsoft.recoveryservices/vaults/rsv-excare-weu",
        f"{WEU}/microsoft.recoveryservices/vaults/rsv-excare-weu#secondary",
        FlowKind.BACKUP,
        None,
    ),
    (BV, f"{BV}#secondary", FlowKind.BACKUP, None),
}


def test_resource_graph_query_output_gives_every_resource_in_full() -> None:
    items = _read("azure-resource-graph", SRC)
    assert _resources(items) == {r.id: r for r in ARG_RESOURCES}
    assert _gaps(items) == set()
    assert not [i for i in items if isinstance(i, Account)]


def test_resource_graph_relations() -> None:
    items = _read("azure-resource-graph", SRC)
    assert _flows(items) == ARG_FLOWS
    flows = [i for i in items if isinstance(i, Flow)]
    assert {f.target_provider for f in flows} == {"azure"}
    replication = next(f for f in flows if f.kind is FlowKind.REPLICATION)
    assert replication.evidence == "sku.name + properties.secondaryLocation"


def test_truncated_page_becomes_a_gap_with_the_paging_advice() -> None:
    items = _read("azure-resource-graph", "arg_page_truncated.json")
    assert set(_resources(items)) == {
        f"{APP}/microsoft.compute/virtualmachines/vm-app-01",
        f"{APP}/microsoft.storage/storageaccounts/stexcareapp",
    }
    (gap,) = [i for i in items if isinstance(i, Gap)]
    assert gap.reason == "truncated"
    assert "2 row(s) of 250" in gap.message
    assert "--skip-token" in gap.message and "--first 1000" in gap.message


def test_bare_rows_with_resource_containers() -> None:
    src = "arg_rows.json"
    items = _read("azure-resource-graph", src)
    assert [i for i in items if isinstance(i, Account)] == [
        Account(
            SUB,
            "azure",
            "Excare Production",
            "/providers/microsoft.management/managementgroups/mg-health",
            src,
        )
    ]
    assert _resources(items) == {
        r.id: r
        for r in [
            _res(
                f"{APP}/microsoft.web/sites/app-excare-portal",
                "microsoft.web/sites",
                "app-excare-portal",
                src,
                "francecentral",
                tags={"DataClassification": "personal"},
                attributes={"kind": "app,linux"},
            ),
            _res(
                f"{APP}/microsoft.web/serverfarms/asp-excare",
                "microsoft.web/serverfarms",
                "asp-excare",
                src,
                "francecentral",
                attributes={"sku": "P1v3", "kind": "linux"},
            ),
        ]
    }
    assert _gaps(items) == {
        ("skipped", "1 record(s) skipped: no resource id (not an ARM resource)"),
        (
            "partial",
            "1 row(s) have 'properties' flattened to text, so replication and encryption are unknown "
            "for them (export with 'ConvertTo-Json -Depth 100')",
        ),
    }


# -- az resource list -------------------------------------------------------------------------
def test_resource_list_gzip() -> None:
    src = "resource_list.json.gz"
    items = _read("azure-resource-list", src)
    storage = f"{WEU}/microsoft.storage/storageaccounts/stexcarebackup"
    assert _resources(items) == {
        r.id: r
        for r in [
            _res(
                storage,
                "microsoft.storage/storageaccounts",
                "stexcarebackup",
                src,
                "westeurope",
                tags=PHI,
                attributes={"sku": "Standard_RAGRS", "kind": "StorageV2", "geo_pair_needed": True},
            ),
            _res(
                f"{WEU}/microsoft.sql/servers/sql-excare-weu/databases/ehr",
                "microsoft.sql/servers/databases",
                "sql-excare-weu/ehr",
                src,
                "westeurope",
                tags=PHI,
                attributes={"sku": "GP_Gen5", "kind": "v12.0,user,vcore"},
            ),
            _res(
                f"{WEU}/microsoft.keyvault/vaults/kv-excare-weu",
                "microsoft.keyvault/vaults",
                "kv-excare-weu",
                src,
                "westeurope",
                attributes={"key_control": CUSTOMER},
            ),
            _res(
                f"{APP}/microsoft.insights/components/appi-excare",
                "microsoft.insights/components",
                "appi-excare",
                src,
                "francecentral",
                attributes={"kind": "web"},
            ),
            _res(
                f"{EDGE}/microsoft.network/trafficmanagerprofiles/tm-excare",
                "microsoft.network/trafficmanagerprofiles",
                "tm-excare",
                src,
                "global",
            ),
            _res(
                f"{APP}/microsoft.compute/virtualmachines/vm-app-01",
                "microsoft.compute/virtualmachines",
                "vm-app-01",
                src,
                "francecentral",
                tags={"env": "prod"},
            ),
        ]
    }
    # No properties: the secondary region must come from the region-pair table.
    assert _flows(items) == {(storage, f"{storage}#secondary", FlowKind.REPLICATION, None)}
    assert _gaps(items) == set()


# -- ARM export template ----------------------------------------------------------------------
def test_arm_template_resources() -> None:
    src = "arm_template.json"
    items = _read("azure-arm-template", src)
    unk = {"subscription_unknown": True}
    server = f"{TPL}/microsoft.sql/servers/sql-excare-weu"
    vnet = f"{TPL}/microsoft.network/virtualnetworks/vnet-excare-weu"
    rsv = f"{TPL}/microsoft.recoveryservices/vaults/rsv-excare-archive"
    assert _resources(items) == {
        r.id: r
        for r in [
            _res(
                f"{TPL}/microsoft.storage/storageaccounts/stexcarearchive",
                "microsoft.storage/storageaccounts",
                "stexcarearchive",
                src,
                "westeurope",
                "West Europe",
                None,
                tags=PHI,
                key=KeyRef(CUSTOMER, "https://kv-excare-weu.vault.azure.net/keys/archive-cmk"),
                attributes={"sku": "Standard_GRS", "kind": "StorageV2", **unk, "geo_pair_needed": True},
            ),
            _res(
                server,
                "microsoft.sql/servers",
                "sql-excare-weu",
                src,
                "westeurope",
                account=None,
                attributes={"kind": "v12.0", **unk},
            ),
            _res(
                f"{server}/firewallrules/allowallwindowsazureips",
                "microsoft.sql/servers/firewallrules",
                "sql-excare-weu/AllowAllWindowsAzureIps",
                src,
                "westeurope",
                None,
                None,
                attributes=unk,
            ),
            _res(
                f"{server}/databases/ehr",
                "microsoft.sql/servers/databases",
                "sql-excare-weu/ehr",
                src,
                "westeurope",
                account=None,
                tags=PHI,
                attributes={"sku": "GP_Gen5", "kind": "v12.0,user,vcore", **unk},
            ),
            _res(
                f"{server}/failovergroups/fg-excare-ehr",
                "microsoft.sql/servers/failovergroups",
                "sql-excare-weu/fg-excare-ehr",
                src,
                "westeurope",
                None,
                None,
                attributes=unk,
            ),
            _res(
                f"{TPL}/microsoft.documentdb/databaseaccounts/cosmos-excare-archive",
                "microsoft.documentdb/databaseaccounts",
                "cosmos-excare-archive",
                src,
                None,
                "[parameters('location')]",
                None,
                attributes={"kind": "MongoDB", **unk},
            ),
            _res(
                vnet,
                "microsoft.network/virtualnetworks",
                "vnet-excare-weu",
                src,
                None,
                "[resourceGroup().location]",
                None,
                attributes=unk,
            ),
            _res(
                f"{vnet}/virtualnetworkpeerings/peer-hub",
                "microsoft.network/virtualnetworks/virtualnetworkpeerings",
                "vnet-excare-weu/peer-hub",
                src,
                None,
                None,
                None,
                attributes=unk,
            ),
            _res(
                rsv,
                "microsoft.recoveryservices/vaults",
                "rsv-excare-archive",
                src,
                "westeurope",
                account=None,
                attributes={"sku": "RS0", **unk, "geo_pair_needed": True},
            ),
            _res(
                f"{rsv}/backupstorageconfig/vaultstorageconfig",
                "microsoft.recoveryservices/vaults/backupstorageconfig",
                "rsv-excare-archive/vaultstorageconfig",
                src,
                "westeurope",
                None,
                None,
                attributes=unk,
            ),
        ]
    }


def test_arm_template_relations_and_gaps() -> None:
    items = _read("azure-arm-template", "arm_template.json")
    server = f"{TPL}/microsoft.sql/servers/sql-excare-weu"
    storage = f"{TPL}/microsoft.storage/storageaccounts/stexcarearchive"
    cosmos = f"{TPL}/microsoft.documentdb/databaseaccounts/cosmos-excare-archive"
    rsv = f"{TPL}/microsoft.recoveryservices/vaults/rsv-excare-archive"
    # The peering appears inline and as a child resource in exports: one flow only.
    assert [f for f in items if isinstance(f, Flow) and f.kind is FlowKind.PEERING] == [
        Flow(
            f"{TPL}/microsoft.network/virtualnetworks/vnet-excare-weu",
            HUB,
            FlowKind.PEERING,
            "properties.virtualNetworkPeerings[].properties.remoteVirtualNetwork.id",
            "azure",
            None,
        )
    ]
    assert _flows(items) == {
        (storage, f"{storage}#secondary", FlowKind.REPLICATION, None),
        (server, NEU_SQL, FlowKind.FAILOVER, None),
        (f"{server}/databases/ehr", f"{NEU_SQL}/databases/ehr", FlowKind.FAILOVER, None),
        (cosmos, f"{cosmos}#northeurope", FlowKind.MULTI_REGION, "northeurope"),
        (f"{TPL}/microsoft.network/virtualnetworks/vnet-excare-weu", HUB, FlowKind.PEERING, None),
        (rsv, f"{rsv}#secondary", FlowKind.BACKUP, None),
    }
    assert _gaps(items) == {
        (
            "partial",
            "ARM templates do not name their subscription or resource group: resource ids use "
            "'unknown' there and will not merge with other exports (use 'az graph query' for a "
            "complete inventory)",
        ),
        (
            "unknown-region",
            "2 resource(s) take their location from resourceGroup().location: region unknown "
            "(give a Resource Graph export, or set the location parameters)",
        ),
        ("skipped", "1 record(s) skipped: name is an expression that cannot be resolved without deploying"),
        ("skipped", "1 record(s) skipped: nested deployment (its inner template is not expanded)"),
    }


def test_language_version_2_templates_and_nested_children() -> None:
    doc = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "languageVersion": "2.0",
        "parameters": {"name": {"type": "string", "defaultValue": "St-Upper"}, "secret": {"type": "string"}},
        "resources": {
            "st": {
                "type": "Microsoft.Storage/storageAccounts",
                "name": "[toLower(parameters('name'))]",
                "location": "francecentral",
                "sku": {"name": "Standard_LRS"},
                "resources": [{"type": "blobServices", "name": "default"}],
            },
            "ext": {"type": "Microsoft.Storage/storageAccounts", "name": "stshared", "existing": True},
            "nope": {
                "type": "Microsoft.Web/sites",
                "name": "[parameters('secret')]",
                "location": "westeurope",
            },
        },
    }
    items = list(template.template_items(doc, "t.json"))
    st = f"{TPL}/microsoft.storage/storageaccounts/st-upper"
    assert {(r.id, r.region) for r in _resources(items).values()} == {
        (st, "francecentral"),
        (f"{st}/blobservices/default", "francecentral"),
    }
    assert {m for r, m in _gaps(items) if r == "skipped"} == {
        "1 record(s) skipped: reference to an existing resource, not part of this template",
        "1 record(s) skipped: name is an expression that cannot be resolved without deploying",
    }


def test_template_locations_that_stay_unknown_and_untyped_resources() -> None:
    doc = {
        "parameters": {"loc": {"type": "string"}},
        "resources": [
            {"name": "no-type"},
            "not a resource",
            {"type": "Microsoft.Storage/storageAccounts", "name": "stexpr", "location": "[parameters('loc')]"},
            {"type": "Microsoft.Storage/storageAccounts", "name": "stnone"},
            {"type": "Microsoft.Storage/storageAccounts", "name": "stnum", "location": 7},
        ],
    }
    items = list(template.template_items(doc, "t.json"))
    base = f"{TPL}/microsoft.storage/storageaccounts"
    assert {(r.id, r.region, r.raw_region) for r in _resources(items).values()} == {
        (f"{base}/stexpr", None, "[parameters('loc')]"),
        (f"{base}/stnone", None, None),
        (f"{base}/stnum", None, None),
    }
    assert [(g.reason, g.message) for g in items if isinstance(g, Gap)] == [
        ("partial", "ARM templates do not name their subscription or resource group: resource ids use 'unknown' "
                    "there and will not merge with other exports (use 'az graph query' for a complete inventory)"),
        ("unknown-region", "2 resource(s) take their location from an expression without a default value: region "
                           "unknown (give a Resource Graph export, or set the location parameters)"),
        ("skipped", "2 record(s) skipped: template resource without a type"),
    ]


def test_a_template_without_resources_has_no_partial_gap() -> None:
    assert list(template.template_items({"resources": [{"type": "Microsoft.Resources/deployments",
                                                        "name": "inner"}]}, "t.json")) == [
        Gap("t.json", "1 record(s) skipped: nested deployment (its inner template is not expanded)", "skipped")]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("plain", "plain"),
        ("[[notAnExpression]", "[notAnExpression]"),
        ("[concat('a', '-', parameters('p'))]", "a-vp"),
        ("[format('{0}-{1}', parameters('p'), 7)]", "vp-7"),
        ("[toUpper(variables('v').inner)]", "DEEP"),
        ("[variables('list')[1]]", "y"),
        (
            "[resourceId('s1', 'rg-One', 'Microsoft.Sql/servers/databases', 'srv', 'db')]",
            "/subscriptions/s1/resourcegroups/rg-one/providers/microsoft.sql/servers/srv/databases/db",
        ),
        (
            "[resourceId('Microsoft.Network/virtualNetworks', parameters('p'))]",
            f"{TPL}/microsoft.network/virtualnetworks/vp",
        ),
        ("[concat('it''s ', parameters('p'))]", "it's vp"),
    ],
)
def test_template_expressions(expr: str, expected: str) -> None:
    ev = template.Evaluator(
        {
            "parameters": {"p": {"defaultValue": "vp"}},
            "variables": {"v": {"inner": "deep"}, "list": ["x", "y"]},
        }
    )
    assert ev.value(expr) == expected


@pytest.mark.parametrize(
    "expr",
    [
        "[uniqueString(resourceGroup().id)]",
        "[parameters('missing')]",
        "[concat(parameters('nodefault'), 'x')]",
        "[concat('a']",
        "[reference('x').outputs]",
        "[parameters('loop')]",
    ],
)
def test_template_expressions_that_stay_unknown(expr: str) -> None:
    ev = template.Evaluator(
        {"parameters": {"nodefault": {"type": "string"}, "loop": {"defaultValue": "[parameters('loop')]"}}}
    )
    assert ev.value(expr) is template.UNKNOWN


def test_resource_group_location_is_its_own_marker() -> None:
    ev = template.Evaluator({"parameters": {"location": {"defaultValue": "[resourceGroup().location]"}}})
    assert ev.value("[parameters('location')]") is template.RG_LOCATION
    assert ev.tree({"a": ["[parameters('location')]", "x"]}) == {"a": [None, "x"]}


# -- streaming --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("azure-resource-graph", "arg_query.json"),
        ("azure-resource-graph", "arg_page_truncated.json"),
        ("azure-resource-graph", "arg_rows.json"),
        ("azure-resource-list", "resource_list.json.gz"),
    ],
)
def test_streamed_read_gives_the_same_items(fmt: str, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _read(fmt, name)
    monkeypatch.setattr(InputFile, "is_large", lambda self: True)
    streamed = _read(fmt, name)
    assert streamed == whole


def test_streamed_trailer_with_rest_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "rest.json"
    path.write_text(
        '{"totalRecords": 9, "count": 1, "data": [{"id": "/subscriptions/S/resourceGroups/g/'
        'providers/Microsoft.Web/sites/a", "type": "microsoft.web/sites", "properties": {"count": 1}}],'
        ' "facets": [], "resultTruncated": "true", "$skipToken": "abc"}'
    )
    monkeypatch.setattr(InputFile, "is_large", lambda self: True)
    items = list(BY_NAME["azure-resource-graph"].read(InputFile(path, "rest.json")))
    assert {g.reason for g in items if isinstance(g, Gap)} == {"truncated"}
    assert "1 row(s) of 9" in next(g.message for g in items if isinstance(g, Gap))


# -- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", sorted(BY_NAME))
def test_empty_file_is_refused_by_every_format(fmt: str) -> None:
    with pytest.raises(InventoryFormatError) as err:
        list(BY_NAME[fmt].read(_inp("empty.json")))
    assert err.value.path == "empty.json"
    assert "empty" in err.value.message


def test_cut_file_names_line_and_column() -> None:
    with pytest.raises(InventoryFormatError) as err:
        _read("azure-resource-graph", "arg_cut.json")
    assert (err.value.path, err.value.message, err.value.position) == (
        "arg_cut.json",
        "truncated JSON",
        "74:5",
    )


def test_cut_file_streamed_names_the_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(InputFile, "is_large", lambda self: True)
    with pytest.raises(InventoryFormatError) as err:
        _read("azure-resource-graph", "arg_cut.json")
    assert err.value.path == "arg_cut.json"
    assert err.value.message == "truncated JSON"
    assert err.value.position == f"byte {(FIX / 'arg_cut.json').stat().st_size}"


@pytest.mark.parametrize(
    ("fmt", "message"),
    [
        ("azure-resource-graph", "no 'data' list of Resource Graph rows"),
        ("azure-resource-list", "expected a JSON list of resources"),
        ("azure-arm-template", "no 'resources' in this ARM template"),
    ],
)
def test_unknown_shape_is_refused_with_a_hint(fmt: str, message: str) -> None:
    with pytest.raises(InventoryFormatError) as err:
        _read(fmt, "unknown.json")
    assert (err.value.path, err.value.message, err.value.position) == ("unknown.json", message, "1:1")
    assert err.value.hint


def test_table_without_an_id_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "table.json"
    path.write_text('{"totalRecords": 1, "count": 1, "data": {"columns": [{"name": "name", "type": "string"}], '
                    '"rows": [["x"]]}}')
    with pytest.raises(InventoryFormatError, match="no 'id' column"):
        list(BY_NAME["azure-resource-graph"].read(InputFile(path, "table.json")))


def test_corrupt_gzip_is_refused(tmp_path: Path) -> None:
    data = gzip.compress((FIX / "arg_query.json").read_bytes())
    path = tmp_path / "cut.json.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InventoryFormatError) as err:
        list(BY_NAME["azure-resource-graph"].read(InputFile(path, "cut.json.gz")))
    assert err.value.path == "cut.json.gz"
    assert "gzip" in err.value.message or "truncated" in err.value.message


# -- the shared transform, per type -----------------------------------------------------------
def _one(row: dict[str, Any]) -> tuple[Resource, set[tuple[str, str, FlowKind, str | None]]]:
    items = normalize.resource_items(row, "live")
    resource = items[0]
    assert isinstance(resource, Resource)
    return resource, _flows(items)


DB = f"{WEU}/microsoft.sql/servers/sql-excare-weu/databases/ehr"


def test_sql_replication_link_and_geo_secondary() -> None:
    # A replication link is a relation of its database (a replica flow), not a resource of its own.
    items = normalize.resource_items(
        {
            "id": f"{DB}/replicationLinks/5a7c",
            "type": "Microsoft.Sql/servers/databases/replicationLinks",
            "properties": {
                "partnerServer": "sql-excare-neu",
                "partnerDatabase": "ehr",
                "partnerLocation": "North Europe",
                "role": "Primary",
            },
        }, "live")
    assert not [i for i in items if isinstance(i, Resource)]
    assert _flows(items) == {(DB, f"{DB}#partner/sql-excare-neu/ehr", FlowKind.REPLICA, "northeurope")}
    items = normalize.resource_items(
        {
            "id": f"{DB}/replicationLinks/5a7c",
            "type": "microsoft.sql/servers/databases/replicationlinks",
            "properties": {"partnerDatabaseId": f"{NEU_SQL}/databases/EHR", "partnerLocation": "northeurope"},
        }, "live")
    assert _flows(items) == {(DB, f"{NEU_SQL}/databases/ehr", FlowKind.REPLICA, "northeurope")}
    _, flows = _one(
        {
            "id": f"{NEU_SQL}/databases/ehr",
            "type": "microsoft.sql/servers/databases",
            "location": "northeurope",
            "properties": {"createMode": "Secondary", "sourceDatabaseId": DB},
        }
    )
    assert flows == {(DB, f"{NEU_SQL}/databases/ehr", FlowKind.REPLICA, "northeurope")}


@pytest.mark.parametrize(
    ("rtype", "props", "key"),
    [
        (
            "microsoft.sql/servers",
            {"keyId": "https://kv.vault.azure.net/keys/tde/1"},
            KeyRef(CUSTOMER, "https://kv.vault.azure.net/keys/tde/1"),
        ),
        (
            "microsoft.sql/servers/encryptionProtector",
            {"serverKeyType": "ServiceManaged"},
            KeyRef(KeyControl.PROVIDER),
        ),
        (
            "microsoft.sql/servers/encryptionProtector",
            {"serverKeyType": "AzureKeyVault", "uri": "https://kv/keys/k"},
            KeyRef(CUSTOMER, "https://kv/keys/k"),
        ),
        (
            "microsoft.compute/disks",
            {
                "encryption": {
                    "type": "EncryptionAtRestWithPlatformAndCustomerKeys",
                    "diskEncryptionSetId": "/Subscriptions/S/DES",
                }
            },
            KeyRef(CUSTOMER, "/subscriptions/s/des"),
        ),
        (
            "microsoft.storage/storageaccounts",
            {
                "encryption": {
                    "keySource": "Microsoft.Keyvault",
                    "keyvaultproperties": {
                        "keyvaulturi": "https://hsm-excare.managedhsm.azure.net",
                        "keyname": "k1",
                    },
                }
            },
            KeyRef(CUSTOMER, "https://hsm-excare.managedhsm.azure.net/keys/k1"),
        ),
        ("microsoft.storage/storageaccounts", {}, None),
    ],
)
def test_keys(rtype: str, props: dict[str, Any], key: KeyRef | None) -> None:
    resource, _ = _one({"id": f"{WEU}/x/y", "type": rtype, "location": "westeurope", "properties": props})
    assert resource.key == key


def test_cosmos_write_region_from_write_locations_and_regionless_without_location() -> None:
    cosmos = f"{WEU}/microsoft.documentdb/databaseaccounts/c"
    _, flows = _one(
        {
            "id": cosmos,
            "type": "microsoft.documentdb/databaseaccounts",
            "location": "francecentral",
            "properties": {
                "writeLocations": [{"locationName": "France Central"}],
                "locations": [{"locationName": "France Central"}, {"locationName": "France South"}],
            },
        }
    )
    assert flows == {(cosmos, f"{cosmos}#francesouth", FlowKind.MULTI_REGION, "francesouth")}
    zone, _ = _one({"id": f"{EDGE}/Microsoft.Network/privateDnsZones/z.internal"})
    assert (zone.native_type, zone.region, zone.raw_region) == (
        "microsoft.network/privatednszones",
        "global",
        None,
    )


def test_rows_that_are_not_resources_are_counted() -> None:
    tally = normalize.RowTally()
    items = list(
        normalize.rows_to_items(["text", {"id": "not-an-id"}, {"id": "/subscriptions/s/x"}], "f", tally)
    )
    assert items == []
    assert tally.rows == 3
    assert set(tally.gaps("f")) == {
        Gap("f", "1 record(s) skipped: not a JSON object", "skipped"),
        Gap("f", "1 record(s) skipped: no resource id (not an ARM resource)", "skipped"),
        Gap("f", "1 record(s) skipped: no resource type (not an ARM resource)", "skipped"),
    }


# -- Resource Graph tables and ARM REST list pages ----------------------------------------------
def test_table_rows_follow_column_order(tmp_path: Path) -> None:
    rid = "/subscriptions/s1/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/st1"
    doc = {"totalRecords": 2, "count": 2, "resultTruncated": "false",
           "data": {"columns": [{"name": "location", "type": "string"}, {"name": "id", "type": "string"},
                                {"name": "type", "type": "string"}, {"name": "tags", "type": "object"}],
                    "rows": [["westeurope", rid, "microsoft.storage/storageaccounts", {"env": "prod"}], "not a row"]}}
    path = tmp_path / "table.json"
    path.write_text(json.dumps(doc))
    items = list(BY_NAME["azure-resource-graph"].read(InputFile(path, "table.json")))
    (res,) = [i for i in items if isinstance(i, Resource)]
    assert (res.id, res.region, dict(res.tags)) == (rid.lower(), "westeurope", {"env": "prod"})
    assert [(g.reason, g.message) for g in items if isinstance(g, Gap)] == [
        ("skipped", "1 record(s) skipped: not a JSON object")]


def test_rest_pages_give_resources_and_subscription_names(tmp_path: Path) -> None:
    sub = "0b1f6471-1bf0-4dda-aec3-111122223333"
    pages = [{"value": [{"id": f"/subscriptions/{sub}/resourceGroups/g/providers/Microsoft.KeyVault/vaults/kv1",
                         "name": "kv1", "type": "Microsoft.KeyVault/vaults", "location": "francecentral"},
                        {"id": f"/subscriptions/{sub}/resourceGroups/g", "name": "g",
                         "type": "Microsoft.Resources/resourceGroups", "location": "francecentral"}],
              "nextLink": "https://management.azure.com/…&$skiptoken=1"},
             {"value": [{"id": f"/subscriptions/{sub}", "subscriptionId": sub, "displayName": "Production",
                         "state": "Enabled"}]}]
    path = tmp_path / "pages.json"
    path.write_text(json.dumps(pages))
    assert [f.name for f in FORMATS if f.sniff(peek_shape(path.read_bytes()))] == ["azure-rest-list"]
    items = list(BY_NAME["azure-rest-list"].read(InputFile(path, "pages.json")))
    assert [r.native_type for r in items if isinstance(r, Resource)] == ["microsoft.keyvault/vaults"]
    assert [(a.id, a.name) for a in items if isinstance(a, Account)] == [(sub, "Production")]
    assert not [g for g in items if isinstance(g, Gap)]  # the last page has no nextLink
