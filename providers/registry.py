"""The explicit, lazy registry of offline file formats.

Built-in providers are listed in order (most specific formats first); other packages can add
formats through the ``sovscan.providers`` entry-point group, each entry point naming a module
with a ``FORMATS`` tuple. Modules are imported only when formats are needed, so ``sovscan --help``
never pays for them.
"""

from __future__ import annotations

import importlib
from functools import cache
from importlib.metadata import entry_points

from providers.base import FileFormat, InputFile, InventoryFormatError, Shape, load_json, peek_shape

BUILTIN_FORMAT_MODULES = (
    "providers.export",
    "providers.aws.files",
    "providers.azure.files",
    "providers.gcp.files",
    "providers.terraform.files",
)


@cache
def file_formats() -> tuple[FileFormat, ...]:
    """Every known format: built-ins first, then entry-point plugins."""
    formats: list[FileFormat] = []
    for name in BUILTIN_FORMAT_MODULES:
        formats.extend(importlib.import_module(name).FORMATS)
    for ep in entry_points(group="sovscan.providers"):
        module = ep.load()
        formats.extend(getattr(module, "FORMATS", ()))
    return tuple(formats)


def sniff(inp: InputFile) -> tuple[FileFormat, Shape]:
    """The format of a file, from its content; raises ``InventoryFormatError`` if none fits."""
    shape = peek_shape(inp.head())
    if shape.container == "empty":
        raise InventoryFormatError(inp.display, "file is empty", hint="export the inventory again")
    if shape.container == "unknown":
        raise InventoryFormatError(inp.display, "not a JSON or NDJSON document", "byte 0",
                                   "give a cloud inventory export (see docs/formats.md)")
    matches = [fmt for fmt in file_formats() if fmt.sniff(shape)]
    if not matches:
        if shape.container in ("object", "array") and not inp.is_large():
            load_json(inp)  # a file cut short says so, with its position, rather than "unrecognised"
        keys = ", ".join(sorted(shape.keys)[:8]) or "none"
        raise InventoryFormatError(inp.display, f"unrecognised inventory format ({shape.container} with keys: {keys})",
                                   hint="see docs/formats.md for the supported exports")
    return matches[0], shape
