"""Facts about Terraform providers and resource types that the importer needs, kept as data.

Three tables: which Terraform provider source address belongs to which cloud provider id
(``registry.terraform.io/hashicorp/aws`` → ``aws``); which utility providers manage no cloud
resource at all (``random``, ``tls``…); and which resource types only *configure* another
resource (S3 bucket encryption, Azure failover groups…), whose facts are folded into the resource
they configure instead of being emitted as resources of their own.

Sources: the Terraform Registry provider addresses (https://registry.terraform.io/browse/providers,
checked 2026-11-30) and each provider's resource documentation for the sub-resource types.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

#: Public registries whose addresses are shortened to ``namespace/type``. OpenTofu's registry
#: mirrors the same namespaces (https://opentofu.org/docs/language/providers/requirements/).
PUBLIC_REGISTRY_HOSTS: Final = frozenset({"registry.terraform.io", "registry.opentofu.org"})

#: ``namespace/type`` (lower case) → sovscan provider id. Source: Terraform Registry, 2026-11-30.
PROVIDERS: Final[dict[str, str]] = {
    "hashicorp/aws": "aws",
    "opentofu/aws": "aws",  # OpenTofu registry fork namespace
    "hashicorp/azurerm": "azure",
    "opentofu/azurerm": "azure",
    "hashicorp/google": "gcp",
    "hashicorp/google-beta": "gcp",
    "opentofu/google": "gcp",
    "scaleway/scaleway": "scaleway",
    "ovh/ovh": "ovhcloud",
    "outscale/outscale": "outscale",
    "outscale-dev/outscale": "outscale",  # the provider's namespace before 2022
    "hetznercloud/hcloud": "hetzner",
    "ionos-cloud/ionoscloud": "ionos",
    "exoscale/exoscale": "exoscale",
    "upcloudltd/upcloud": "upcloud",
    "opentelekomcloud/opentelekomcloud": "otc",
    "stackitcloud/stackit": "stackit",
    "oracle/oci": "oci",
    "hashicorp/oci": "oci",  # legacy address of the Oracle provider (Terraform 0.12 states)
    "ibm-cloud/ibm": "ibm",
    "aliyun/alicloud": "alibaba",
    "hashicorp/alicloud": "alibaba",  # legacy address of the Alibaba Cloud provider
    "huaweicloud/huaweicloud": "huawei",
    "tencentcloudstack/tencentcloud": "tencent",
    "digitalocean/digitalocean": "digitalocean",
    "linode/linode": "linode",
    "cloudflare/cloudflare": "cloudflare",
}

#: Providers that manage no cloud resource (random values, local files, keys generated locally…).
#: Their resources are skipped with one ``skipped`` gap per provider; ``tls`` state holds private
#: keys, which is one more reason never to look inside them.
UTILITY_PROVIDERS: Final = frozenset({
    "hashicorp/random", "hashicorp/null", "hashicorp/time", "hashicorp/tls", "hashicorp/local",
    "hashicorp/external", "hashicorp/archive", "hashicorp/http", "hashicorp/cloudinit",
    "hashicorp/template",
})

_STATE_PROVIDER = re.compile(r'provider\["([^"]+)"\]')
_LEGACY_PROVIDER = re.compile(r"(?:^|\.)provider\.([A-Za-z0-9_-]+)")
_BARE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


@lru_cache(maxsize=512)  # a file names a handful of providers, each on every record
def provider_source(ref: str) -> str:
    """The provider source address of a state ``provider`` field or a show-json ``provider_name``.

    ``provider["registry.terraform.io/hashicorp/aws"].west`` → ``registry.terraform.io/hashicorp/aws``.
    Terraform 0.12, before provider source addresses existed, wrote ``provider.aws`` in states and
    the bare type name (``aws``, ``google``, ``azurerm``) as ``provider_name`` in ``terraform show
    -json`` (format_version 0.1); a name without a source stands for the ``hashicorp`` namespace of
    the public registry (https://developer.hashicorp.com/terraform/language/providers/requirements,
    checked 2026-12-04).
    """
    match = _STATE_PROVIDER.search(ref)
    if match:
        return match.group(1)
    legacy = _LEGACY_PROVIDER.search(ref)
    if legacy:
        return f"hashicorp/{legacy.group(1)}"
    if _BARE_NAME.match(ref):
        return f"hashicorp/{ref.lower()}"
    return ref


@lru_cache(maxsize=512)  # a file names a handful of providers, each on every record
def short_source(source: str) -> str:
    """``namespace/type`` for a public-registry address; other hosts keep their full address."""
    parts = source.lower().split("/")
    if len(parts) == 3 and parts[0] in PUBLIC_REGISTRY_HOSTS:
        return f"{parts[1]}/{parts[2]}"
    return source.lower()


@lru_cache(maxsize=512)  # a file names a handful of providers, each on every record
def provider_id(source: str) -> str | None:
    """The sovscan provider id of a provider source address, or None when unsupported.

    A Terraform 0.12 name without a namespace (``provider.scaleway``, ``provider_name: "ovh"``) was
    read as ``hashicorp/<name>``; before namespaces existed, third-party providers went by their type
    name alone, so such a name is also looked up by type (``scaleway`` → ``scaleway/scaleway``).
    """
    short = short_source(source)
    found = PROVIDERS.get(short)
    if found is None and short.startswith("hashicorp/"):
        found = _BY_TYPE.get(short.partition("/")[2])
    return found


def _ids_by_type() -> dict[str, str]:
    """Provider type → sovscan id, for the types that name one provider only."""
    ids: dict[str, set[str]] = {}
    for address, pid in PROVIDERS.items():
        ids.setdefault(address.rpartition("/")[2], set()).add(pid)
    return {t: next(iter(p)) for t, p in ids.items() if len(p) == 1}


_BY_TYPE: Final = _ids_by_type()


#: Resource types that only configure another resource. Their facts (flows, keys) are folded into
#: the resource they configure; they are never emitted as resources. Types not listed here are
#: emitted as resources even when they look like sub-resources, so that nothing disappears
#: silently. Each entry says what it configures. Sources: the provider docs on the Terraform
#: Registry (AWS provider v4 split of ``aws_s3_bucket``; azurerm and google resource pages),
#: checked 2026-11-30.
FOLDED_TYPES: Final[dict[str, str]] = {
    # AWS S3 bucket configuration, split out of aws_s3_bucket in AWS provider v4.
    "aws_s3_bucket_replication_configuration": "aws_s3_bucket (replication flows)",
    "aws_s3_bucket_server_side_encryption_configuration": "aws_s3_bucket (encryption key)",
    "aws_s3_bucket_versioning": "aws_s3_bucket",
    "aws_s3_bucket_acl": "aws_s3_bucket",
    "aws_s3_bucket_policy": "aws_s3_bucket",
    "aws_s3_bucket_public_access_block": "aws_s3_bucket",
    "aws_s3_bucket_ownership_controls": "aws_s3_bucket",
    "aws_s3_bucket_lifecycle_configuration": "aws_s3_bucket",
    "aws_s3_bucket_logging": "aws_s3_bucket",
    "aws_s3_bucket_cors_configuration": "aws_s3_bucket",
    "aws_s3_bucket_website_configuration": "aws_s3_bucket",
    "aws_s3_bucket_notification": "aws_s3_bucket",
    "aws_s3_bucket_object_lock_configuration": "aws_s3_bucket",
    "aws_s3_bucket_request_payment_configuration": "aws_s3_bucket",
    "aws_s3_bucket_accelerate_configuration": "aws_s3_bucket",
    "aws_s3_object": "aws_s3_bucket (object contents are never read)",
    "aws_s3_bucket_object": "aws_s3_bucket (object contents are never read)",
    # AWS IAM attachments: they bind a policy to a principal that is a resource of its own.
    "aws_iam_role_policy_attachment": "aws_iam_role",
    "aws_iam_role_policy": "aws_iam_role",
    "aws_iam_user_policy_attachment": "aws_iam_user",
    "aws_iam_group_policy_attachment": "aws_iam_group",
    "aws_iam_policy_attachment": "aws_iam_policy",
    "aws_kms_alias": "aws_kms_key",
    "aws_security_group_rule": "aws_security_group",
    "aws_vpc_security_group_ingress_rule": "aws_security_group",
    "aws_vpc_security_group_egress_rule": "aws_security_group",
    "aws_route_table_association": "aws_route_table",
    "aws_volume_attachment": "aws_ebs_volume",
    "aws_lambda_permission": "aws_lambda_function",
    # Azure: settings of another resource, or relations between two resources.
    "azurerm_mssql_failover_group": "azurerm_mssql_server (failover flows)",
    "azurerm_sql_failover_group": "azurerm_sql_server (failover flows, legacy type)",
    "azurerm_storage_account_customer_managed_key": "azurerm_storage_account (encryption key)",
    "azurerm_mssql_server_transparent_data_encryption": "azurerm_mssql_server (encryption key)",
    "azurerm_virtual_network_peering": "azurerm_virtual_network (peering flow)",
    "azurerm_key_vault_access_policy": "azurerm_key_vault",
    "azurerm_subnet_network_security_group_association": "azurerm_subnet",
    "azurerm_network_interface_security_group_association": "azurerm_network_interface",
    "azurerm_storage_blob": "azurerm_storage_account (blob contents are never read)",
    # Google: IAM bindings and network peering.
    "google_compute_network_peering": "google_compute_network (peering flow)",
    "google_storage_bucket_iam_member": "google_storage_bucket",
    "google_storage_bucket_iam_binding": "google_storage_bucket",
    "google_storage_bucket_iam_policy": "google_storage_bucket",
    "google_storage_bucket_object": "google_storage_bucket (object contents are never read)",
    "google_project_iam_member": "google_project",
    "google_project_iam_binding": "google_project",
    "google_project_iam_policy": "google_project",
    "google_kms_crypto_key_iam_member": "google_kms_crypto_key",
    "google_kms_crypto_key_iam_binding": "google_kms_crypto_key",
    # Scaleway and OVHcloud: access rules and database users, which live inside a database
    # instance. (Project-level users such as ovh_cloud_project_user are identities, like
    # aws_iam_user, and stay resources.)
    "scaleway_object_bucket_acl": "scaleway_object_bucket",
    "scaleway_object_bucket_policy": "scaleway_object_bucket",
    "scaleway_object_bucket_website_configuration": "scaleway_object_bucket",
    "scaleway_object_bucket_lock_configuration": "scaleway_object_bucket",
    "scaleway_object": "scaleway_object_bucket (object contents are never read)",
    "scaleway_rdb_acl": "scaleway_rdb_instance",
    "scaleway_rdb_user": "scaleway_rdb_instance",
    "scaleway_rdb_privilege": "scaleway_rdb_instance",
    "ovh_cloud_project_database_user": "ovh_cloud_project_database",
    "ovh_cloud_project_database_ip_restriction": "ovh_cloud_project_database",
    "ovh_cloud_project_database_postgresql_user": "ovh_cloud_project_database",
    "ovh_cloud_project_database_mongodb_user": "ovh_cloud_project_database",
}

#: Google resource types whose Terraform ``id`` is the Cloud Asset relative name, so the full
#: resource name is the service host + id. Source: Cloud Asset "Resource name format" page
#: (https://cloud.google.com/asset-inventory/docs/resource-name-format), checked 2026-11-30.
GOOGLE_ID_HOSTS: Final[dict[str, str]] = {
    "google_kms_crypto_key": "cloudkms.googleapis.com",
    "google_kms_key_ring": "cloudkms.googleapis.com",
    "google_pubsub_topic": "pubsub.googleapis.com",
    "google_pubsub_subscription": "pubsub.googleapis.com",
    "google_container_cluster": "container.googleapis.com",
    "google_cloud_run_v2_service": "run.googleapis.com",
}
