"""The live-collection options of ``sovscan run`` and ``sovscan plan``, built from the provider registry.

Each provider declares its options in its own package (an :class:`providers.live.OptionGroup`);
:func:`live_command` wraps a command function so that typer sees, besides the function's own
parameters, ``--provider`` (one choice per provider with a live collector, plugins included),
``--max-workers`` and every provider's options, each in a help section of its own with examples
(:class:`PanelledCommand`). When the command runs, the values given become one
:class:`providers.live.LiveOptions`, passed to the function as ``live`` (None without
``--provider``). An option of another provider than the one chosen, or a provider option without
``--provider``, is a usage error. Nothing here imports an SDK; the registry is read when the
command line is assembled, not when this module is imported.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Annotated, Any

import typer
from typer._click import Context, HelpFormatter  # typer's own (vendored) click, as TyperCommand uses
from typer.core import TyperCommand

from providers.live import LiveOption, LiveOptions, scope_of
from providers.registry import Provider, Registry, problems, registry
from scanner.errors import UsageError

LIVE = "Live collection (read-only)"
DEFAULT_WORKERS = 8
_PREFIX = "live__"


def panel(p: Provider) -> str:
    """The help section of a provider's options."""
    return f"{p.title} live collection (--provider {p.name})"


def _param_name(p: Provider, opt: LiveOption) -> str:
    return f"{_PREFIX}{p.name.replace('-', '_')}__{opt.field}"


def _annotation(p: Provider, opt: LiveOption) -> tuple[Any, Any]:
    """The typer annotation and default of one provider option (unset = None / False)."""
    info = typer.Option(opt.flag, help=opt.help, rich_help_panel=panel(p), metavar=opt.metavar,
                        show_default=False)
    if opt.kind is bool:
        return Annotated[bool, info], False
    kind: Any = opt.kind
    if opt.choices:
        kind = StrEnum(f"{p.name}_{opt.field}", {c: c for c in opt.choices})  # type: ignore[misc,no-redef]
    if opt.multiple:
        return Annotated[list[kind] | None, info], None
    return Annotated[kind | None, info], None


def _common() -> list[inspect.Parameter]:
    live = registry().live()
    choices = StrEnum("LiveProvider", {p.name: p.name for p in live})  # type: ignore[misc]
    names = "|".join(p.name for p in live)
    kw = inspect.Parameter.KEYWORD_ONLY
    return [
        inspect.Parameter("provider", kw, default=None, annotation=Annotated[choices | None, typer.Option(
            "--provider", help="Collect live from this cloud, read-only (its options are listed below).",
            rich_help_panel=LIVE, metavar=names)]),
        inspect.Parameter("max_workers", kw, default=None, annotation=Annotated[int | None, typer.Option(
            "--max-workers", min=1, max=64, rich_help_panel=LIVE, metavar="N", show_default=False,
            help=f"Parallel calls (regions, accounts, projects, services; default: {DEFAULT_WORKERS}).")]),
    ]


def _provider_params() -> list[inspect.Parameter]:
    params: list[inspect.Parameter] = []
    for p in registry().live():
        group = p.option_group()
        for opt in group.options if group else ():
            annotation, default = _annotation(p, opt)
            params.append(inspect.Parameter(_param_name(p, opt), inspect.Parameter.KEYWORD_ONLY, default=default,
                                            annotation=annotation))
    return params


def _given(opt: LiveOption, value: Any) -> tuple[bool, Any]:
    """Whether the user gave the option, and its value as the settings function receives it."""
    if opt.kind is bool:
        return bool(value), True
    if value is None:
        return False, None
    if opt.multiple:
        items = [part.strip() for v in value for part in str(v).split(",") if part.strip()]
        return bool(items) or bool(value), items
    return True, value.value if isinstance(value, StrEnum) else value


def build_live_options(provider: str | None, max_workers: int | None,
                       values: Mapping[str, Any]) -> LiveOptions | None:
    """The collector's options from the command line's values (keyed by generated parameter name)."""
    chosen: Provider | None = None
    given: dict[str, dict[str, Any]] = {}
    flags: dict[tuple[str, str], str] = {}
    for p in registry().live():
        group = p.option_group()
        for opt in group.options if group else ():
            present, value = _given(opt, values.get(_param_name(p, opt)))
            if present:
                given.setdefault(p.name, {})[opt.field] = value
                flags[(p.name, opt.field)] = opt.flag
        if p.name == provider:
            chosen = p
    if chosen is None:
        if given:
            name, fields = next(iter(given.items()))
            flag = flags[(name, next(iter(fields)))]
            raise UsageError(f"{flag} is an option of live collection: add --provider {name}")
        if max_workers is not None:
            raise UsageError("--max-workers sets the parallelism of live collection: add --provider")
        return None
    for name, fields in given.items():
        if name != chosen.name:
            flag = flags[(name, next(iter(fields)))]
            raise UsageError(f"{flag} is an option of --provider {name}; it does not apply to --provider "
                             f"{chosen.name}")
    group = chosen.option_group()
    mine = given.get(chosen.name, {})
    settings = group.settings(mine) if group else None
    return LiveOptions(provider=chosen.name, settings=settings, max_workers=max_workers or DEFAULT_WORKERS,
                       show_progress=sys.stderr.isatty(), scope=scope_of(group, mine) if group else {})


class LiveCommand:
    """A command function with the live options of every provider added to what typer sees.

    typer reads ``__signature__`` and ``__annotations__`` when it assembles the command line (not
    when this object is made), so plugins installed in the environment are found then.
    """

    def __init__(self, fn: Callable[..., None]):
        self._fn = fn
        self.__name__ = fn.__name__.lstrip("_")  # typer names the command after it
        self.__qualname__ = fn.__qualname__
        self.__module__ = fn.__module__
        self.__doc__ = fn.__doc__
        self._signature: tuple[Registry, inspect.Signature] | None = None

    @property
    def __signature__(self) -> inspect.Signature:
        # Kept for as long as the registry is the same object: typer reads this dozens of times
        # while it assembles one command line; a reloaded registry (new plugins) builds it anew.
        current = registry()
        if self._signature is None or self._signature[0] is not current:
            own = inspect.signature(self._fn, eval_str=True)
            params = [p for p in own.parameters.values() if p.name != "live"]
            self._signature = (current, own.replace(parameters=[*params, *_common(), *_provider_params()]))
        return self._signature[1]

    @property
    def __annotations__(self) -> dict[str, Any]:  # type: ignore[override]
        return {p.name: p.annotation for p in self.__signature__.parameters.values()}

    def __call__(self, **kwargs: Any) -> None:
        generated = {k: kwargs.pop(k) for k in list(kwargs) if k.startswith(_PREFIX)}
        provider = kwargs.pop("provider", None)
        workers = kwargs.pop("max_workers", None)
        from scanner.commands.common import warn

        for problem in problems():
            warn(problem)
        live = build_live_options(provider.value if isinstance(provider, StrEnum) else provider, workers, generated)
        self._fn(**kwargs, live=live)


def live_command(fn: Callable[..., None]) -> LiveCommand:
    """Give ``fn`` (which takes ``live: LiveOptions | None``) the live options of every provider."""
    return LiveCommand(fn)


class PanelledCommand(TyperCommand):
    """A typer command whose help lists options in sections (one per provider), with examples."""

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        sections: dict[str, list[tuple[str, str]]] = {}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None:
                sections.setdefault(getattr(param, "rich_help_panel", None) or "Options", []).append(record)
        examples = {panel(p): group.examples for p in registry().live() if (group := p.option_group())}
        # Examples are written for the command being described, with its required options.
        required = "".join(f" {param.opts[0]} …" for param in self.get_params(ctx)
                           if param.required and getattr(param, "opts", None))
        for title, records in sections.items():
            with formatter.section(title):
                formatter.write_dl(records)
                if examples.get(title):
                    formatter.write_paragraph()
                    formatter.write_text("Examples:")
                    for line in examples[title]:  # not wrapped: a command line is copied whole
                        formatter.write(f"{' ' * (formatter.current_indent + 2)}sovscan {ctx.info_name}"
                                        f"{required} {line}\n")
