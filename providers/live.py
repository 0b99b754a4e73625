"""The live-collection contract: raw records, options, command-line option groups, gap reasons.

A live collector talks to one cloud with read-only credentials and yields *raw records* in the
same shapes as that provider's exports (an AWS Config configuration item, an Azure Resource Graph
row, a GCP Cloud Asset), so one transform serves both: ``RawRecord(kind, record)``. Partial
failures (access denied in one region, a role that cannot be assumed, a disabled API, a project
that cannot be reached) are ``Gap`` items; account metadata is ``Account`` items. Credentials that
are missing or expired raise ``CredentialsError``.

A provider declares its command-line options once, in its own package (``options.py``), as an
:class:`OptionGroup`: each :class:`LiveOption` names its flag, help and type, and the group's
``settings`` function turns the values the user gave into the provider's own settings object
(validated, normalised). The command line builds ``sovscan run --provider …`` and ``sovscan
plan`` from those groups (see :mod:`providers.registry`); a collector reads its settings from
:attr:`LiveOptions.settings`. Nothing here imports an SDK.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from providers.base import ProviderError
from scanner.errors import EXIT_INTERRUPTED
from scanner.model import Account, Gap


@dataclass(frozen=True)
class RawRecord:
    """One record as the cloud returned it, tagged with the transform that reads it."""

    kind: str  # e.g. ``aws-config-item``, ``azure-resource``, ``gcp-asset``
    record: Mapping[str, Any]


@dataclass(frozen=True)
class LiveOptions:
    """What the collector of ``provider`` is asked to do.

    ``settings`` is the provider's own settings object, built by its option group from the
    command line (``providers.aws.options.AwsSettings`` …); ``scope`` is the non-secret part of
    what the user asked, recorded in a saved inventory's header for the reader's information.
    """

    provider: str
    settings: Any = None
    max_workers: int = 8
    show_progress: bool = False
    scope: Mapping[str, Any] = field(default_factory=dict)
    #: Test hooks: endpoint overrides passed to the SDK clients (never set by the command line).
    endpoints: Mapping[str, str] = field(default_factory=dict)


class CollectionInterrupted(ProviderError):
    """Ctrl-C stopped a live collection: one line saying what was kept, exit 130."""

    exit_code = EXIT_INTERRUPTED


class Collector(Protocol):
    def __call__(self, options: LiveOptions) -> Iterator[RawRecord | Account | Gap]: ...


# --- command-line options, declared by each provider ----------------------------------------------

@dataclass(frozen=True)
class LiveOption:
    """One command-line option of a provider's live collection.

    ``field`` is the keyword the value is given to the group's ``settings`` function under;
    ``flag`` the option as typed (``--regions``). ``multiple`` options may be repeated, and each
    value may hold several comma-separated items. Options the user did not give are not passed,
    so the settings function applies its own defaults (and names them in ``help``). ``secret``
    values (an external id) are never written to a saved inventory.
    """

    field: str
    flag: str
    help: str
    kind: type = str  # str, int, float or bool (a flag)
    multiple: bool = False
    choices: tuple[str, ...] = ()
    metavar: str | None = None
    secret: bool = False


@dataclass(frozen=True)
class OptionGroup:
    """A provider's live-collection options, the function that turns them into its settings, examples.

    ``settings(values)`` receives ``{field: value}`` for the options given (lists for ``multiple``
    options, already split on commas) and returns the provider's settings object; it raises
    :class:`scanner.errors.UsageError` for values that cannot be used.
    """

    options: tuple[LiveOption, ...]
    settings: Callable[[Mapping[str, Any]], Any]
    examples: tuple[str, ...] = ()


def scope_of(group: OptionGroup, values: Mapping[str, Any]) -> dict[str, Any]:
    """The non-secret options given, by flag name, for a saved inventory's header."""
    out: dict[str, Any] = {}
    for opt in group.options:
        if opt.field in values and not opt.secret:
            value = values[opt.field]
            out[opt.flag.lstrip("-")] = list(value) if isinstance(value, tuple | list) else value
    return out


# --- gaps -------------------------------------------------------------------------------------------

#: Gap reasons that mean a collection did not see everything: the terminal and Markdown headline
#: say "incomplete", and ``--strict`` exits 3. ``interrupted``: Ctrl-C or a failure stopped the
#: collection (a saved inventory's trailer says ``complete: false``); ``unreachable``: a project,
#: subscription or account could not be reached over the network.
INCOMPLETE_REASONS = frozenset({"access-denied", "api-disabled", "throttled", "error", "truncated", "interrupted",
                                "unreachable"})

_TAG = re.compile(r"<[^>]{0,400}>")
_URL = re.compile(r"\b(https?)://([^/\s\"'<>]+)[^\s\"'<>]*")
_SPACE = re.compile(r"\s+")


def short_message(text: object, limit: int = 240) -> str:
    """A gap-sized version of an SDK error message: one line, no HTML, URLs cut to their host.

    Error bodies of proxies and load balancers are HTML pages, and SDK messages embed full request
    URLs (with query strings and sometimes signatures); neither belongs in a coverage warning.
    """
    value = html.unescape(_TAG.sub(" ", str(text)))
    value = _URL.sub(lambda m: f"{m.group(1)}://{m.group(2)}/…", value)
    value = _SPACE.sub(" ", value).strip() or "no detail"
    return value if len(value) <= limit else value[:limit - 1].rstrip() + "…"


def incomplete_gaps(gaps: list[Gap]) -> list[Gap]:
    """The gaps that make a collection incomplete (see :data:`INCOMPLETE_REASONS`)."""
    return [g for g in gaps if g.reason in INCOMPLETE_REASONS]


def incomplete_summary(gaps: list[Gap], shown: int = 3) -> str | None:
    """``incomplete: N gaps (scope: what; …)`` for the headline of an output, or None when complete.

    Each gap message starts with the scope it concerns (``account 1111…, region eu-west-3, service
    rds: access denied (…)``); the summary keeps that head and the short reason of the first few.
    """
    missing = incomplete_gaps(gaps)
    if not missing:
        return None
    heads = []
    for gap in missing[:shown]:
        head = gap.message.split(" (", 1)[0].split("; ", 1)[0]
        heads.append(short_message(head, 90))
    more = f"; and {len(missing) - shown} more" if len(missing) > shown else ""
    noun = "gap" if len(missing) == 1 else "gaps"
    return f"incomplete: {len(missing)} {noun} ({'; '.join(heads)}{more})"
