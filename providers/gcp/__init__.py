"""Google Cloud: offline Cloud Asset Inventory formats (``files``) and their shared transform (``normalize``).

Nothing is imported here, so that listing providers costs nothing; the format registry imports
``providers.gcp.files`` when it needs the formats.
"""
