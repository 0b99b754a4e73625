"""Google Cloud: offline Cloud Asset Inventory formats (``files``) and their shared transform (``normalize``).

Nothing is imported here, so that listing providers costs nothing; the format registry imports
``providers.gcp.files`` when it needs the formats.
"""

from providers.registry import Provider

#: This provider's line in the registry (providers/registry.py); module names only, nothing imported.
PROVIDER = Provider("gcp", "Google Cloud", formats="providers.gcp.files", transforms="providers.gcp.files",
                    live="providers.gcp.live", options="providers.gcp.options",
                    export_fields="providers.gcp.fields", extra="gcp")
