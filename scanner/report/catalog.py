"""Babel extraction of the messages kept in data rows (findings, questions) for the catalogues.

``make catalogs`` extracts the templates and the report's Python modules with Babel's own
extractors, and the rows of ``scanner/kb/data/findings.yaml`` and ``scanner/report/data/questions.yaml``
with :func:`extract_rows` (declared in ``scanner/locale/babel.cfg``), so that findings and questions
read in every language of the reports.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

import yaml

#: Row keys holding a message, and the key of its plural form when it has one.
MESSAGE_KEYS = {"message": "message_plural", "message_keys": None}


def extract_rows(fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str],
                 options: Mapping[str, Any]) -> Iterator[tuple[int, str | None, str | tuple[str, str], list[str]]]:
    """Yield ``(line, function, message, comments)`` for every message of every row of a YAML table."""
    loader = yaml.SafeLoader(fileobj.read().decode("utf-8"))
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    if node is None or not isinstance(node, yaml.MappingNode):
        return
    for _key, table in node.value:
        if not isinstance(table, yaml.SequenceNode):
            continue
        for row in table.value:
            if not isinstance(row, yaml.MappingNode):
                continue
            values = {k.value: v for k, v in row.value if isinstance(v, yaml.ScalarNode)}
            ident = values["id"].value if "id" in values else values["rule"].value if "rule" in values else ""
            for key, plural in MESSAGE_KEYS.items():
                if key not in values:
                    continue
                line = values[key].start_mark.line + 1
                comment = [f"{ident} ({key})"]
                if plural and plural in values:
                    yield line, "ngettext", (values[key].value, values[plural].value), comment
                else:
                    yield line, "gettext", values[key].value, comment
