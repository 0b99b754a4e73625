"""Terraform and OpenTofu importer: state v4 and ``terraform show -json`` (state or plan).

``providers.terraform.files.FORMATS`` holds the file formats; the per-provider transforms
(``aws``, ``azurerm``, ``google``, ``others``) map resource types of many providers to
provider-neutral records. Importing this package does no work.
"""

from providers.registry import Provider

#: This provider's line in the registry (providers/registry.py); module names only, nothing imported.
PROVIDER = Provider("terraform", "Terraform and OpenTofu", formats="providers.terraform.files")
