"""The shared normalisers of ``providers.common``: JSON held in strings, URL-encoded or not."""

from __future__ import annotations

import json
from urllib.parse import quote

from providers.common import maybe_json


def test_url_encoded_documents_decode_to_independent_objects() -> None:
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "é.example"}}]}
    encoded = quote(json.dumps(policy), safe="")
    first = maybe_json(encoded)
    assert first == policy
    first["Statement"].clear()  # a caller may change what it got: the next decoding is untouched
    assert maybe_json(encoded) == policy
    assert maybe_json(quote(json.dumps([1, 2]), safe="")) == [1, 2]


def test_long_url_encoded_documents_decode_without_the_cache() -> None:
    policy = {"Statement": [{"Sid": "s" * 5000, "Effect": "Allow"}, {"Sid": "t" * 5000}]}
    encoded = quote(json.dumps(policy), safe="")
    assert len(encoded) > 8192 and maybe_json(encoded) == policy


def test_strings_that_are_not_json_stay_as_they_are() -> None:
    for text in ("", "plain", "%7Bnot json", "  %5B1,", "{broken", "%41BC", 42, None):
        assert maybe_json(text) == text
    assert maybe_json('  {"a": 1} ') == {"a": 1}
