"""The provider registry: one record per provider, built-in or plugin, every part imported lazily.

A :class:`Provider` record says what a provider contributes, by module *name*: offline file
formats (a module with ``FORMATS``), raw-record transforms shared by live runs and saved inventories
(``RAW_TRANSFORMS``), a live collector (``collect(options)``) with its command-line option group
(``OPTIONS``, an :class:`providers.live.OptionGroup`), and the pip extra that holds its SDKs.
Nothing is imported until it is needed: ``sovscan --help`` imports the option modules only (no
SDK), an offline scan the format modules only, and ``--provider aws`` imports boto3.

Built-in providers are the lines of :data:`BUILTIN` (``"package:ATTRIBUTE"``, in the order their
formats are tried: most specific first). Other distributions add providers through the
``sovscan.providers`` entry-point group; each entry point names a :class:`Provider` record (or, as
before, a module with a ``FORMATS`` tuple). A plugin that cannot be loaded, or that collides with a
provider or an option already known, is left out and reported once in :func:`problems`; the rest of
sovscan works without it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Any

from providers.base import FileFormat, InputFile, InventoryFormatError, Shape, load_json, peek_shape
from providers.live import Collector, OptionGroup
from scanner.errors import MissingExtraError, UsageError
from scanner.model import Item

ENTRY_POINT_GROUP = "sovscan.providers"

#: Formats that belong to no provider (sovscan's own saved inventory), tried first.
CORE_FORMAT_MODULES = ("providers.export",)

#: Built-in providers, one line each: the record ``PROVIDER`` of each package.
BUILTIN = (
    "providers.aws:PROVIDER",
    "providers.azure:PROVIDER",
    "providers.gcp:PROVIDER",
    "providers.terraform:PROVIDER",
)

Transform = Callable[[Iterable[Mapping[str, Any]], str], Iterator[Item]]


@dataclass(frozen=True)
class Provider:
    """What one provider contributes; every part is a module name, imported when first needed."""

    name: str  # the --provider value and the provider id of its resources (lower case)
    title: str  # for help and messages: "Amazon Web Services"
    formats: str | None = None  # module with FORMATS: tuple[FileFormat, ...]
    transforms: str | None = None  # module with RAW_TRANSFORMS: {raw kind: transform}
    live: str | None = None  # module with collect(options: LiveOptions)
    options: str | None = None  # module with OPTIONS: OptionGroup (no SDK import)
    #: Module with EXPORT_FIELDS: {raw kind: function keeping only the fields the transform reads}.
    export_fields: str | None = None
    extra: str | None = None  # the pip extra with its SDKs: pip install 'sovscan[EXTRA]'
    #: The distribution that provides it (filled in for plugins, for messages).
    distribution: str = "sovscan"

    @property
    def install_hint(self) -> str:
        if self.distribution == "sovscan":
            return f"pip install 'sovscan[{self.extra}]'" if self.extra else "reinstall sovscan"
        return f"reinstall {self.distribution} with its dependencies"

    def option_group(self) -> OptionGroup | None:
        """The provider's live options (imports its options module, never its SDK)."""
        if self.options is None:
            return None
        group = importlib.import_module(self.options).OPTIONS
        if not isinstance(group, OptionGroup):
            raise TypeError(f"{self.options}.OPTIONS is not an OptionGroup")
        return group

    def collector(self) -> Collector:
        """The live collector; a missing SDK raises :class:`MissingExtraError` naming what to install."""
        if self.live is None:
            raise UsageError(f"provider {self.name} reads exported files only; it has no live collector")
        module = _import_needing_sdk(self.live, self)
        fn: Collector = module.collect
        return fn


def _import_needing_sdk(name: str, provider: Provider) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        missing = missing_dependency(provider, exc, own=name.split(".")[0])
        if missing is None:
            raise  # the provider's own module is missing: a broken installation, not an extra
        raise missing from None


def missing_dependency(provider: Provider, exc: ModuleNotFoundError,
                       own: str | None = None) -> MissingExtraError | None:
    """The error to show when a collector needs a module that is not installed (None: not a dependency)."""
    missing = exc.name or ""
    top = missing.split(".")[0]
    if not top or top in ("providers", "scanner", "graphs") or top == own:
        return None
    return MissingExtraError(f"--provider {provider.name} needs the {provider.title} SDK ({missing} is not "
                             f"installed): {provider.install_hint}")


@dataclass(frozen=True)
class Registry:
    """Every provider known, in format order, and what went wrong loading plugins."""

    providers: tuple[Provider, ...]
    problems: tuple[str, ...] = ()

    def get(self, name: str) -> Provider | None:
        return next((p for p in self.providers if p.name == name), None)

    def live(self) -> tuple[Provider, ...]:
        """The providers with a live collector, in order."""
        return tuple(p for p in self.providers if p.live)


def _resolve(value: str) -> Any:
    module, _, attribute = value.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attribute.split(".") if attribute else ():
        obj = getattr(obj, part)
    return obj


def _from_entry_point(ep: EntryPoint) -> Provider:
    obj = ep.load()
    dist = ep.dist.name if ep.dist is not None else ep.value.split(":")[0]
    if isinstance(obj, ModuleType):
        if isinstance(getattr(obj, "PROVIDER", None), Provider):
            obj = obj.PROVIDER
        elif hasattr(obj, "FORMATS"):  # a module of formats only
            return Provider(ep.name, ep.name, formats=obj.__name__, distribution=dist)
    if not isinstance(obj, Provider):
        raise TypeError(f"{ep.value} is not a providers.registry.Provider record")
    return Provider(**{**obj.__dict__, "distribution": dist})


def _check_plugin(plugin: Provider, known: list[Provider], flags: dict[str, str]) -> list[str]:
    """The option flags a plugin adds; raises ValueError when it collides with what is known."""
    if not plugin.name or plugin.name != plugin.name.lower() or any(p.name == plugin.name for p in known):
        raise ValueError(f"provider name {plugin.name!r} is empty, not lower case or already taken")
    group = plugin.option_group()
    added = [opt.flag for opt in group.options] if group else []
    taken = [flag for flag in added if flag in flags or flag in RESERVED_FLAGS]
    if taken or len(set(added)) != len(added):
        raise ValueError(f"option {', '.join(taken or added)} already belongs to another provider or command")
    if plugin.formats is not None:
        formats = importlib.import_module(plugin.formats).FORMATS
        if not all(isinstance(f, FileFormat) for f in formats):
            raise TypeError(f"{plugin.formats}.FORMATS holds something that is not a FileFormat")
    return added


#: Flags of the commands themselves, which no provider may declare.
RESERVED_FLAGS = frozenset({"--provider", "--max-workers", "--inventory", "--format", "--output", "--config",
                            "--as-of", "--org", "--strict", "--export-inventory", "--help", "--save", "--db",
                            "--target", "--snapshot", "--lang", "--fail-on", "--allow-empty"})


@cache
def registry() -> Registry:
    """Built-in providers, then the plugins of the ``sovscan.providers`` entry-point group."""
    known: list[Provider] = [_resolve(line) for line in BUILTIN]
    flags: dict[str, str] = {}
    for provider in known:
        group = provider.option_group()
        for opt in group.options if group else ():
            flags[opt.flag] = provider.name
    problems: list[str] = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            plugin = _from_entry_point(ep)
            added = _check_plugin(plugin, known, flags)
        except Exception as exc:  # a plugin's own failure must not stop sovscan: report it, go on
            problems.append(f"provider plugin {ep.name!r} ({ep.value}) ignored: {type(exc).__name__}: {exc}")
            continue
        known.append(plugin)
        flags.update(dict.fromkeys(added, plugin.name))
    return Registry(tuple(known), tuple(problems))


def reset() -> None:
    """Forget what was loaded (after installing or removing a plugin in the same process)."""
    registry.cache_clear()
    file_formats.cache_clear()
    raw_transforms.cache_clear()


def provider(name: str) -> Provider:
    """The provider called ``name``; raises KeyError when none is."""
    found = registry().get(name)
    if found is None:
        raise KeyError(name)
    return found


def problems() -> tuple[str, ...]:
    """One message per plugin that was left out (to show as warnings)."""
    return registry().problems


@cache
def file_formats() -> tuple[FileFormat, ...]:
    """Every known format: sovscan's own first, then each provider's, in registry order."""
    formats: list[FileFormat] = []
    for name in CORE_FORMAT_MODULES:
        formats.extend(importlib.import_module(name).FORMATS)
    for p in registry().providers:
        if p.formats is not None:
            formats.extend(importlib.import_module(p.formats).FORMATS)
    return tuple(formats)


@cache
def raw_transforms() -> Mapping[str, Transform]:
    """Every provider's raw-record transforms, by kind (for live runs and saved inventories)."""
    out: dict[str, Transform] = {}
    for p in registry().providers:
        if p.transforms is not None:
            for kind, fn in importlib.import_module(p.transforms).RAW_TRANSFORMS.items():
                out.setdefault(kind, fn)
    return out


def collector(name: str) -> Collector:
    """The live collector of provider ``name`` (see :meth:`Provider.collector`)."""
    return provider(name).collector()


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
