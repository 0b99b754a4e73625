"""Microsoft Azure: offline formats (Resource Graph, ``az resource list``, ARM templates) and the transform.

``files`` holds the offline formats; ``normalize`` the pure transform from an ARM resource to
provider-neutral items, shared with the live collector; ``template`` the ARM template expression
subset that export templates need.
"""

from providers.registry import Provider

#: This provider's line in the registry (providers/registry.py); module names only, nothing imported.
PROVIDER = Provider("azure", "Microsoft Azure", formats="providers.azure.files", transforms="providers.azure.files",
                    live="providers.azure.live", options="providers.azure.options",
                    export_fields="providers.azure.fields", extra="azure")
