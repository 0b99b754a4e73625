"""Terraform / OpenTofu file formats: raw state v4 and ``terraform show -json`` (state or plan).

``terraform-state`` is the state file itself (``terraform.tfstate``, ``terraform state pull``):
``version`` 4 with ``resources[].instances[]``. Older states (``version`` 3, Terraform < 0.12) and
OpenTofu encrypted states are recognised so that the user gets a clear instruction instead of an
"unknown format". ``terraform-show-json`` is the machine-readable output of ``terraform show
-json`` (or ``tofu show -json``) for a state (``values.root_module`` with nested
``child_modules``) or a saved plan (``resource_changes`` assessed in their *after* state, the
provider region taken from ``configuration.provider_config``). Shapes: HashiCorp "JSON Output
Format" (https://developer.hashicorp.com/terraform/internals/json-format) and reference/input-formats.md §4.

Big files are streamed with ijson (``resources.item`` for a state, one child module at a time
for show-json), so memory stays bounded by the largest single resource or module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import orjson

from providers.base import (
    FileFormat,
    InputFile,
    InventoryFormatError,
    Shape,
    iter_json_items,
    load_json,
    peek_shape,
)
from providers.terraform.mapping import provider_source
from providers.terraform.normalize import Normalizer, sensitive_from_paths, sensitive_from_tree
from scanner.model import Item

_PLAN_KEYS = frozenset({"planned_values", "resource_changes", "prior_state", "configuration"})
_ENCRYPTED_KEYS = frozenset({"encrypted_data", "encryption_version"})


# --------------------------------------------------------------------------- sniffing


def sniff_state(shape: Shape) -> bool:
    """A raw state (any version, so old ones get a clear message) or an OpenTofu encrypted state."""
    if shape.container != "object":
        return False
    if shape.keys >= _ENCRYPTED_KEYS:
        return True
    version = shape.first.get("version")
    return (isinstance(version, int) and not isinstance(version, bool) and "lineage" in shape.keys
            and "format_version" not in shape.keys
            and bool(shape.keys & {"serial", "terraform_version"}))


def sniff_show_json(shape: Shape) -> bool:
    """``terraform show -json`` output: ``format_version`` plus state values or plan keys."""
    if shape.container != "object" or "format_version" not in shape.keys:
        return False
    if "provider_schemas" in shape.keys:  # `terraform providers schema -json` has format_version too
        return False
    return "terraform_version" in shape.keys or bool(shape.keys & (_PLAN_KEYS | {"values"}))


# --------------------------------------------------------------------------- raw state


def _index_suffix(index: Any) -> str:
    if index is None:
        return ""
    if isinstance(index, str):
        return f"[{orjson.dumps(index).decode()}]"
    if isinstance(index, float) and index.is_integer():
        index = int(index)
    return f"[{index}]"


def _refuse_state(inp: InputFile, version: Any, keys: frozenset[str] | set[str]) -> None:
    if keys >= _ENCRYPTED_KEYS:
        raise InventoryFormatError(
            inp.display, "this OpenTofu state is encrypted and cannot be read",
            hint="run `tofu show -json > state.json`, which decrypts it with the configured key, "
                 "and scan state.json")
    if isinstance(version, int) and not isinstance(version, bool) and version < 4:
        raise InventoryFormatError(
            inp.display, f"state format version {version} (Terraform < 0.12) is not supported",
            hint="run `terraform show -json > state.json` with a current Terraform or OpenTofu, or "
                 "upgrade the state with `terraform apply -refresh-only`, and scan the result")
    if version != 4:
        raise InventoryFormatError(inp.display, f"unsupported state format version {version!r}",
                                   hint="this reader understands state version 4; scan the output "
                                        "of `terraform show -json` instead")


def read_state(inp: InputFile) -> Iterator[Item]:
    """Read a raw state v4 file."""
    shape = peek_shape(inp.head())
    if inp.is_large() and "version" in shape.first:
        _refuse_state(inp, shape.first.get("version"), shape.keys)
        resources: Iterator[Any] = iter_json_items(inp, "resources.item")
    else:
        doc = load_json(inp)
        if not isinstance(doc, Mapping):
            raise InventoryFormatError(inp.display, "not a Terraform state: the document is not an object",
                                       hint="pass a terraform.tfstate file or `terraform state pull` output")
        _refuse_state(inp, doc.get("version"), set(doc))
        listed = doc.get("resources") or []
        if not isinstance(listed, list):
            raise InventoryFormatError(inp.display, "`resources` is not a list",
                                       hint="check the file is an unmodified Terraform state")
        resources = iter(listed)
    norm = Normalizer(inp.display)
    for resource in resources:
        yield from _state_resource(norm, resource)
    yield from norm.finish()


def _state_resource(norm: Normalizer, resource: Any) -> Iterator[Item]:
    if not isinstance(resource, Mapping) or not isinstance(resource.get("instances"), list):
        norm.malformed += 1
        return
    module = resource.get("module")
    mode = resource.get("mode")
    base = f"{module}." if isinstance(module, str) and module else ""
    base += "data." if mode == "data" else ""
    base += f"{resource.get('type')}.{resource.get('name')}"
    provider = resource.get("provider")
    ref = provider_source(provider) if isinstance(provider, str) else None
    for instance in resource["instances"]:
        if not isinstance(instance, Mapping):
            norm.malformed += 1
            continue
        if instance.get("deposed"):
            continue  # a deposed object is an old copy being replaced; the current one is listed too
        address = base + _index_suffix(instance.get("index_key"))
        yield from norm.add(address=address, type_=resource.get("type"),
                            provider_ref=ref, values=instance.get("attributes"), mode=mode,
                            sensitive=sensitive_from_paths(instance.get("sensitive_attributes")))


# --------------------------------------------------------------------------- show -json


#: ``format_version`` values of ``terraform show -json`` that this reader understands: 0.1 and 0.2
#: (Terraform 0.12 to 1.0) and 1.x (1.1 and later, and OpenTofu). A minor version only adds keys;
#: a new major version would change the meaning of existing ones ("JSON Output Format",
#: https://developer.hashicorp.com/terraform/internals/json-format, checked 2026-12-04).
_FORMAT_MAJORS = {"0": ("1", "2"), "1": None}


def _check_format_version(inp: InputFile, version: Any) -> None:
    major, _, minor = version.partition(".") if isinstance(version, str) else ("", "", "")
    allowed = _FORMAT_MAJORS.get(major, ())
    if allowed is not None and minor.split(".", 1)[0] not in allowed:
        raise InventoryFormatError(inp.display,
                                   f"unsupported `terraform show -json` format_version {version!r}",
                                   hint="this reader understands format_version 0.1, 0.2 and 1.x; use a "
                                        "Terraform or OpenTofu release that writes one of them")


def read_show_json(inp: InputFile) -> Iterator[Item]:
    """Read ``terraform show -json`` output of a state or of a saved plan."""
    norm = Normalizer(inp.display)
    if inp.is_large():
        shape = peek_shape(inp.head())
        _check_format_version(inp, shape.first.get("format_version"))
        if shape.keys & _PLAN_KEYS:
            variables = next(iter_json_items(inp, "variables"), None)
            configuration = next(iter_json_items(inp, "configuration"), None)
            regions = _provider_regions(configuration, variables)
            for change in iter_json_items(inp, "resource_changes.item"):
                yield from _plan_change(norm, change, regions)
        else:
            for resource in iter_json_items(inp, "values.root_module.resources.item"):
                yield from _show_resource(norm, resource)
            for child in iter_json_items(inp, "values.root_module.child_modules.item"):
                yield from _show_module(norm, child)
    else:
        doc = load_json(inp)
        if not isinstance(doc, Mapping):
            raise InventoryFormatError(inp.display, "not `terraform show -json` output: not an object",
                                       hint="run `terraform show -json` and scan its output")
        _check_format_version(inp, doc.get("format_version"))
        if "resource_changes" in doc or "planned_values" in doc:
            regions = _provider_regions(doc.get("configuration"), doc.get("variables"))
            for change in doc.get("resource_changes") or []:
                yield from _plan_change(norm, change, regions)
        else:
            values = doc.get("values")
            if isinstance(values, Mapping):
                yield from _show_module(norm, values.get("root_module"))
    yield from norm.finish()


def _show_module(norm: Normalizer, module: Any) -> Iterator[Item]:
    if not isinstance(module, Mapping):
        return
    for resource in module.get("resources") or []:
        yield from _show_resource(norm, resource)
    for child in module.get("child_modules") or []:
        yield from _show_module(norm, child)


def _show_resource(norm: Normalizer, resource: Any) -> Iterator[Item]:
    if not isinstance(resource, Mapping):
        norm.malformed += 1
        return
    yield from norm.add(address=str(resource.get("address")), type_=resource.get("type"),
                        provider_ref=resource.get("provider_name"), values=resource.get("values"),
                        mode=resource.get("mode"),
                        sensitive=sensitive_from_tree(resource.get("sensitive_values")))


# Plan actions (HashiCorp JSON output format, "Change Representation"): a replacement is written
# as ["delete","create"] or ["create","delete"]; "forget" (Terraform 1.7+) drops the object from
# state without destroying it.
_ACTIONS = {("no-op",): "no-op", ("create",): "create", ("update",): "update",
            ("delete", "create"): "replace", ("create", "delete"): "replace"}
_INDEX = re.compile(r"\[[^\]]*\]")


def _plan_change(norm: Normalizer, change: Any, regions: Mapping[str, str]) -> Iterator[Item]:
    if not isinstance(change, Mapping) or not isinstance(change.get("change"), Mapping):
        norm.malformed += 1
        return
    if change.get("mode") == "data":
        norm.data_sources += 1
        return
    actions = change["change"].get("actions")
    action = _ACTIONS.get(tuple(actions)) if isinstance(actions, list) else None
    if action is None:
        if isinstance(actions, list) and ("delete" in actions or "forget" in actions):
            norm.removed += 1
        else:
            norm.malformed += 1
        return
    module = _INDEX.sub("", change.get("module_address") or "")
    config_address = f"{module}.{change.get('type')}.{change.get('name')}".lstrip(".")
    yield from norm.add(address=str(change.get("address")), type_=change.get("type"),
                        provider_ref=change.get("provider_name"), values=change["change"].get("after"),
                        mode=change.get("mode"),
                        sensitive=sensitive_from_tree(change["change"].get("after_sensitive")),
                        plan_action=action, provider_region=regions.get(config_address))


def _provider_regions(configuration: Any, variables: Any) -> dict[str, str]:
    """Map each configured resource (``module.x.aws_s3_bucket.dr``) to its provider's region.

    ``configuration.provider_config[key].expressions.region`` is a ``constant_value`` or a
    ``references`` list naming a root variable (``var.dr_region``), resolved through the plan's
    top-level ``variables``. References to module variables or other values are not resolved.
    """
    if not isinstance(configuration, Mapping):
        return {}
    provider_regions: dict[str, str] = {}
    for key, config in (configuration.get("provider_config") or {}).items():
        if isinstance(config, Mapping):
            region = _expression_value(config, variables)
            if region:
                provider_regions[key] = region
    regions: dict[str, str] = {}
    _walk_config(configuration.get("root_module"), "", provider_regions, regions)
    return regions


def _expression_value(config: Mapping[str, Any], variables: Any) -> str | None:
    expressions = config.get("expressions")
    region = expressions.get("region") if isinstance(expressions, Mapping) else None
    if not isinstance(region, Mapping):
        return None
    constant = region.get("constant_value")
    if isinstance(constant, str) and constant:
        return constant
    if config.get("module_address") or not isinstance(variables, Mapping):
        return None
    for ref in region.get("references") or []:
        if isinstance(ref, str) and ref.startswith("var."):
            var = variables.get(ref[4:])
            value = var.get("value") if isinstance(var, Mapping) else None
            if isinstance(value, str) and value:
                return value
    return None


def _walk_config(module: Any, prefix: str, provider_regions: Mapping[str, str], out: dict[str, str]) -> None:
    if not isinstance(module, Mapping):
        return
    for resource in module.get("resources") or []:
        if not isinstance(resource, Mapping):
            continue
        key = str(resource.get("provider_config_key"))
        # A module without a provider block of its own uses its caller's default configuration
        # (key "module_name:aws" then has no entry of its own, as Terraform 0.12 writes it).
        region = provider_regions.get(key) or provider_regions.get(key.rpartition(":")[2])
        if region:
            out[f"{prefix}{resource.get('type')}.{resource.get('name')}"] = region
    calls = module.get("module_calls")
    if isinstance(calls, Mapping):
        for name, call in calls.items():
            if isinstance(call, Mapping):
                _walk_config(call.get("module"), f"{prefix}module.{name}.", provider_regions, out)


FORMATS: tuple[FileFormat, ...] = (
    FileFormat("terraform-state", "multi", "Terraform / OpenTofu state file, version 4", sniff_state,
               read_state),
    FileFormat("terraform-show-json", "multi", "`terraform show -json` of a state or a saved plan",
               sniff_show_json, read_show_json),
)
