"""Transform Terraform resource instances into provider-neutral items, one file at a time.

The readers in ``files.py`` hand each managed or data resource instance to a ``Normalizer``.
It maps the provider address to a sovscan provider id, drops the attributes Terraform marks
sensitive before anything looks at them, folds configuration-only types (mapping.FOLDED_TYPES)
into the resource they configure, dispatches to the per-provider transform, and at the end of the
file reports what it skipped (data sources, unsupported providers, planned deletions, malformed
records) as ``Gap`` items with counts, so nothing disappears silently.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from providers.terraform import aws, azurerm, google, others
from providers.terraform.core import Context, TfInstance
from providers.terraform.mapping import FOLDED_TYPES, UTILITY_PROVIDERS, provider_id, provider_source, short_source
from scanner.model import Gap, Item

Transform = Callable[[TfInstance, Context], Iterator[Item]]

_TRANSFORMS: dict[str, Transform] = {
    "aws": aws.transform, "azure": azurerm.transform, "gcp": google.transform,
}
_FOLDS: dict[str, Transform] = {**aws.FOLDS, **azurerm.FOLDS, **google.FOLDS}


def sensitive_from_paths(paths: Any) -> frozenset[str]:
    """Top-level attribute names of a state ``sensitive_attributes`` list.

    Each path is a list of steps ``{"type": "get_attr", "value": "password"}``; the whole
    top-level attribute is dropped, whatever part of it is sensitive.
    """
    names: set[str] = set()
    if not isinstance(paths, list):
        return frozenset()
    for path in paths:
        steps = path if isinstance(path, list) else [path]
        if steps and isinstance(steps[0], Mapping) and steps[0].get("type") == "get_attr":
            value = steps[0].get("value")
            if isinstance(value, str):
                names.add(value)
    return frozenset(names)


def _has_true(tree: Any) -> bool:
    if tree is True:
        return True
    if isinstance(tree, Mapping):
        return any(_has_true(v) for v in tree.values())
    if isinstance(tree, list):
        return any(_has_true(v) for v in tree)
    return False


def sensitive_from_tree(tree: Any) -> frozenset[str]:
    """Top-level attribute names of a show-json ``sensitive_values``/``after_sensitive`` tree."""
    if not isinstance(tree, Mapping):
        return frozenset()
    return frozenset(k for k, v in tree.items() if _has_true(v))


class Normalizer:
    """Turns the resource instances of one Terraform file into items, counting what it skips."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.ctx = Context(source)
        self.data_sources = 0
        self.malformed = 0
        self.removed = 0
        self.unsupported: Counter[str] = Counter()
        self.utility: Counter[str] = Counter()
        self.folded: Counter[str] = Counter()

    def add(self, *, address: str, type_: Any, provider_ref: Any, values: Any, mode: Any = "managed",
            sensitive: frozenset[str] = frozenset(), plan_action: str | None = None,
            provider_region: str | None = None) -> Iterator[Item]:
        """Items of one resource instance (nothing for skipped or folded ones)."""
        if mode == "data":
            self.data_sources += 1
            return
        if mode != "managed" or not isinstance(type_, str) or not isinstance(provider_ref, str) \
                or not isinstance(values, Mapping):
            self.malformed += 1
            return
        provider_ref = provider_source(provider_ref)  # show-json of Terraform 0.12 writes "aws", "google"…
        short = short_source(provider_ref)
        provider = provider_id(provider_ref)
        if provider is None:
            (self.utility if short in UTILITY_PROVIDERS else self.unsupported)[provider_ref] += 1
            return
        if sensitive:
            values = {k: v for k, v in values.items() if k not in sensitive}
        inst = TfInstance(address=address, type=type_, provider=provider, values=values,
                          source=self.source, plan_action=plan_action, provider_region=provider_region)
        if type_ in FOLDED_TYPES:
            self.folded[type_] += 1
            fold = _FOLDS.get(type_)
            if fold is not None:
                yield from fold(inst, self.ctx)
            return
        yield from _TRANSFORMS.get(provider, others.transform)(inst, self.ctx)

    def finish(self) -> Iterator[Item]:
        """Held-back resources, deferred flows, then one gap per kind of skipped record."""
        yield from self.ctx.finish()
        if self.data_sources:
            yield Gap(self.source, f"{self.data_sources} data source instance(s) skipped: they read "
                      "resources that are managed elsewhere", "skipped")
        for ref, count in sorted(self.unsupported.items()):
            yield Gap(self.source, f"{count} resource instance(s) of unsupported Terraform provider "
                      f"{ref} skipped", "unsupported")
        for ref, count in sorted(self.utility.items()):
            yield Gap(self.source, f"{count} resource instance(s) of utility provider {ref} skipped: "
                      "they are not cloud resources", "skipped")
        if self.folded:
            detail = ", ".join(f"{t} ({n})" for t, n in sorted(self.folded.items()))
            yield Gap(self.source, f"{self.folded.total()} resource instance(s) that only configure another "
                      f"resource were folded into it: {detail}", "folded")
        if self.removed:
            yield Gap(self.source, f"{self.removed} resource instance(s) that the plan deletes or "
                      "forgets were not assessed", "skipped")
        if self.malformed:
            yield Gap(self.source, f"{self.malformed} resource record(s) of an unexpected shape skipped",
                      "bad-record")
