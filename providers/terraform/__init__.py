"""Terraform and OpenTofu importer: state v4 and ``terraform show -json`` (state or plan).

``providers.terraform.files.FORMATS`` holds the file formats; the per-provider transforms
(``aws``, ``azurerm``, ``google``, ``others``) map resource types of many providers to
provider-neutral records. Importing this package does no work.
"""
