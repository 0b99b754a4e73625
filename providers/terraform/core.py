"""Shared pieces of the Terraform transform: one resource instance, the per-file context, helpers.

A ``TfInstance`` is one managed resource instance as every Terraform representation shows it
(state v4 ``resources[].instances[]``, ``terraform show -json`` ``values`` and plan
``resource_changes[].change.after``): its address, type, provider and attribute values, with the
attributes that Terraform marks sensitive already removed. The per-provider modules turn it into
``Resource`` and ``Flow`` items; the ``Context`` holds the few cross-resource facts that need the
whole file (a bucket's encryption set by a separate resource, a key store's type), so that each
record is still handled once and nothing is re-parsed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from providers.common import intern
from scanner.model import Flow, Item, KeyControl, KeyRef, Resource


@dataclass(frozen=True, slots=True)
class TfInstance:
    """One managed resource instance, normalised across state, show-json state and plan."""

    address: str  # module.x.aws_s3_bucket.logs["euc1"]
    type: str  # aws_s3_bucket
    provider: str  # sovscan provider id
    values: Mapping[str, Any]  # attribute values, sensitive attributes removed
    source: str  # the input file's display name
    plan_action: str | None = None  # create | update | no-op | replace (plans only)
    provider_region: str | None = None  # region of the provider configuration (plans only)


Later = Callable[["Context"], Iterator[Item]]


class Context:
    """Per-file state: resources held back for refinement, facts for lookups, deferred work."""

    def __init__(self, source: str) -> None:
        self.source = source
        #: Resources whose key may still be set by a configuration resource later in the file.
        self._held: dict[str, Resource] = {}
        self._keys: dict[str, KeyRef] = {}
        self._later: list[Later] = []
        #: Small lookup tables filled during the pass: ``(kind, key) → value``.
        self.facts: dict[tuple[str, str], str | None] = {}

    def hold(self, resource: Resource) -> None:
        """Keep ``resource`` until the end of the file (its key may be set by another record)."""
        self._held[resource.id] = resource

    def set_key(self, resource_id: str, key: KeyRef) -> None:
        """Record the key that a configuration resource gives another resource."""
        self._keys[resource_id] = key

    def later(self, work: Later) -> None:
        """Run ``work`` once the whole file has been read (for lookups across records)."""
        self._later.append(work)

    def finish(self) -> Iterator[Item]:
        for work in self._later:
            yield from work(self)
        for rid, resource in self._held.items():
            key = self._keys.get(rid)
            yield replace(resource, key=key) if key is not None else resource
        self._held.clear()
        self._later.clear()


# --------------------------------------------------------------------------- small helpers


def text(value: Any) -> str | None:
    """A non-empty string, or None (Terraform writes unset strings as ``""`` or null)."""
    return value if isinstance(value, str) and value else None


def block(values: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """The first element of a nested block (state writes blocks as lists), or an empty map."""
    value = values.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, Mapping) else {}


def blocks(values: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    """All elements of a nested block that are objects."""
    value = values.get(name)
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, Mapping)]
    return []


def strings(value: Any) -> list[str]:
    """The non-empty strings of a list attribute (or of a single string)."""
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v]
    return []


_NAME_ATTRIBUTES = ("name", "bucket", "identifier", "function_name", "table_id", "dataset_id",
                    "db_snapshot_identifier", "db_cluster_snapshot_identifier", "snapshot_identifier",
                    "cluster_identifier", "display_name")


def display_name(inst: TfInstance) -> str:
    """A human name: the resource's own name attribute, its ``Name`` tag (AWS), else its Terraform
    address. Never a description: free text that can hold anything, secrets included."""
    for attr in _NAME_ATTRIBUTES:
        value = text(inst.values.get(attr))
        if value:
            return value
    tags = inst.values.get("tags")
    if isinstance(tags, Mapping) and text(tags.get("Name")):
        return str(tags["Name"])
    return inst.address


def make_resource(inst: TfInstance, rid: str, *, region: str | None, raw_region: str | None,
                  account: str | None = None, key: KeyRef | None = None,
                  tags: Mapping[str, str] | None = None,
                  extra: Mapping[str, Any] | None = None) -> Resource:
    """Build the ``Resource`` with the attributes every Terraform record carries.

    Types, regions, accounts and partitions repeat across a million instances: one copy each is
    kept, as the AWS and GCP readers do.
    """
    attributes: dict[str, Any] = {}
    if inst.plan_action:
        attributes["plan_action"] = inst.plan_action
    if extra:
        attributes.update(extra)
        if isinstance(attributes.get("partition"), str):
            attributes["partition"] = sys.intern(attributes["partition"])
    region = intern(region)
    return Resource(id=rid, provider=inst.provider, native_type=sys.intern(inst.type), name=display_name(inst),
                    account=intern(account), region=region,
                    raw_region=region if raw_region == region else intern(raw_region), tags=dict(tags or {}),
                    key=key, source=inst.source, attributes=attributes, tf_address=inst.address)


def flow(source: str, target: str, kind: Any, evidence: str, provider: str | None,
         region: str | None) -> Flow:
    """A ``Flow`` (kept short at call sites)."""
    return Flow(source=source, target=target, kind=kind, evidence=evidence,
                target_provider=provider, target_region=region)


def customer_key(key_id: str | None) -> KeyRef | None:
    """A customer-managed key reference, or None when no key is named."""
    return KeyRef(KeyControl.CUSTOMER, key_id) if key_id else None
