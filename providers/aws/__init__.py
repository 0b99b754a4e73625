"""Amazon Web Services: offline export formats (``files``), record transforms (``normalize``,
``relations``) shared with the live collector.

Importing this package loads no SDK; ``files.FORMATS`` lists the export formats it reads.
"""

from providers.registry import Provider

#: This provider's line in the registry (providers/registry.py); module names only, nothing imported.
PROVIDER = Provider("aws", "Amazon Web Services", formats="providers.aws.files", transforms="providers.aws.files",
                    live="providers.aws.live", options="providers.aws.options",
                    export_fields="providers.aws.fields", extra="aws")
