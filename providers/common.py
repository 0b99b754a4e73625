"""Small normalisers that every importer needs: tag shapes, JSON-in-strings, location codes.

Real exports encode the same facts in several ways (tags as a map, a ``[{key,value}]`` list or a
``[{Key,Value}]`` list; configuration blobs as objects or as JSON strings; locations in display
form or with zones). These helpers normalise at the edge so transforms stay simple.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

import orjson


def maybe_json(value: Any) -> Any:
    """Decode ``value`` if it is a string holding a JSON object or array; else return it as is.

    Handles URL-encoded JSON too (IAM policy documents in AWS Config are ``%7B%22Version…``).
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    first = text[:1]
    if first == "%" and text.startswith(("%7B", "%5B")):
        text = _unquote_short(text) if len(text) <= _SHORT_ENCODED else unquote(text)
        first = text[:1]
    if first == "{" or first == "[":
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return value
    return value


#: URL-encoded documents up to this length are decoded through a small cache: the same few trust
#: policies (``lambda.amazonaws.com``, ``ec2.amazonaws.com``…) recur on thousands of IAM roles, and
#: ``unquote`` works one escape at a time in Python. 256 entries of 8 KiB stay below 4 MiB.
_SHORT_ENCODED = 8192
_unquote_short = lru_cache(maxsize=256)(unquote)


def intern(value: str | None) -> str | None:
    """Share one copy of a string that repeats across resources (types, regions, accounts, tags).

    A million-resource inventory repeats a few hundred distinct values millions of times; interning
    them keeps one copy each instead of one per resource.
    """
    return sys.intern(value) if value is not None else None


def normalize_tags(value: Any) -> dict[str, str]:
    """Turn any common tag encoding into a ``{key: value}`` map of strings.

    Accepted: ``{"k": "v"}``; ``[{"key": k, "value": v}]``; ``[{"Key": k, "Value": v}]``;
    ``["k=v", ...]``; ``None``. Non-string values are converted with ``str``.
    """
    if type(value) is dict:
        try:  # the common case, a map of strings: no conversion needed
            return {sys.intern(k): sys.intern(v) for k, v in value.items()}
        except TypeError:
            pass
    value = maybe_json(value)
    if not value:
        return {}
    if isinstance(value, Mapping):
        return {sys.intern(str(k)): sys.intern("" if v is None else str(v)) for k, v in value.items()}
    tags: dict[str, str] = {}
    if isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping):
                key = item.get("key", item.get("Key", item.get("name")))
                val = item.get("value", item.get("Value", ""))
                if key is not None:
                    tags[sys.intern(str(key))] = sys.intern("" if val is None else str(val))
            elif isinstance(item, str):
                key, _, val = item.partition("=")
                tags[key] = val
    return tags


_ZONE_SUFFIX = re.compile(r"^([a-z]+-[a-z]+\d+)-[a-z]$")


@lru_cache(maxsize=4096)
def gcp_region_of(location: str | None) -> str | None:
    """GCP location to canonical form: lower case, zone ``europe-west3-a`` → ``europe-west3``."""
    if not location:
        return None
    loc = location.strip().lower()
    match = _ZONE_SUFFIX.match(loc)
    return match.group(1) if match else loc


@lru_cache(maxsize=4096)
def azure_region_of(location: str | None) -> str | None:
    """Azure location to canonical form: ``"West Europe"`` → ``westeurope``."""
    if not location:
        return None
    return re.sub(r"[\s_-]+", "", location.strip().lower())


_AWS_AZ = re.compile(r"^([a-z]{2}(?:-[a-z]+)+-\d+)[a-z]$")


@lru_cache(maxsize=4096)
def aws_region_of(location: str | None) -> str | None:
    """AWS region to canonical form; availability zones are stripped (``eu-west-3a`` → ``eu-west-3``).

    ``global``/``aws-global`` map to ``global``.
    """
    if not location:
        return None
    loc = location.strip().lower()
    if loc in ("global", "aws-global") or loc.endswith("-global"):
        return "global"
    match = _AWS_AZ.match(loc)
    return match.group(1) if match else loc


def parse_arn(arn: str) -> dict[str, str] | None:
    """Split an ARN into partition, service, region, account and resource; None if not an ARN."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    return {"partition": parts[1], "service": parts[2], "region": parts[3], "account": parts[4],
            "resource": parts[5]}
