"""``peek_shape``: the whole shape sniffing sees at the head of each kind of document."""

from __future__ import annotations

import pytest

from providers.base import Shape, peek_shape

KEYS = frozenset


@pytest.mark.parametrize(("head", "expected"), [
    (b"", Shape("empty")),
    (b"\xef\xbb\xbf  # made by a script\n# second\n", Shape("empty")),
    (b"x", Shape("unknown")),
    # One object per line, comment lines between records: the first record's keys and scalars.
    (b'{"a": 1, "b": {"c": 2}}\n# between\n{"a": 2}\n', Shape("ndjson", KEYS({"a", "b"}), {"a": 1})),
    (b'{"a": 1}\n{"b"', Shape("ndjson", KEYS({"a"}), {"a": 1})),
    # A first line that is not a whole object: one object spread over lines.
    (b'{"a": \n{"b": 1}\n', Shape("object", KEYS({"a"}))),
    (b'# only\n{"a": "b"}', Shape("object", KEYS({"a"}), {"a": "b"})),
    (b'{"version": 4, "name": "x", "deep": {"k": 1}, "resources": [{"type": "t", "x": {"y": 1}}, {"z": null}]}',
     Shape("object", KEYS({"version", "name", "deep", "resources"}), {"version": 4, "name": "x"},
           {"resources": KEYS({"type", "x", "z"})})),
    # An array: the first element's keys and scalars only.
    (b'[{"a": 1, "b": [1], "c": {"d": true}}, {"e": 2}]', Shape("array", KEYS({"a", "b", "c"}), {"a": 1})),
])
def test_shape_of_each_kind_of_head(head: bytes, expected: Shape) -> None:
    assert peek_shape(head) == expected
