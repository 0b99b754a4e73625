"""Amazon Web Services: offline export formats (``files``), record transforms (``normalize``,
``relations``) shared with the live collector.

Importing this package loads no SDK; ``files.FORMATS`` lists the export formats it reads.
"""
