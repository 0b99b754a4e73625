"""The command-line options of Google Cloud live collection and the settings the collector reads.

Declared in the provider's own package and assembled into ``sovscan run`` and ``sovscan plan`` by
the registry (``providers/registry.py``). Importing this module imports no SDK.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from providers.live import LiveOption, OptionGroup
from scanner.errors import UsageError

#: Project ids: 6–30 lower-case letters, digits and hyphens, starting with a letter; or a project
#: number (https://cloud.google.com/resource-manager/docs/creating-managing-projects).
PROJECT = re.compile(r"^([a-z][a-z0-9-]{4,28}[a-z0-9]|\d{1,20})$")
NUMBER = re.compile(r"^\d{1,20}$")


@dataclass(frozen=True)
class GcpSettings:
    """Which part of the resource hierarchy a Google Cloud collection reads."""

    organization: str | None = None  # number, without "organizations/"
    folder: str | None = None  # number, without "folders/"
    projects: tuple[str, ...] = ()  # ids or numbers


def _number(flag: str, value: Any, prefix: str) -> str | None:
    if value is None:
        return None
    text = str(value).strip().removeprefix(prefix)
    if not NUMBER.match(text):
        raise UsageError(f"{flag}: {str(value).strip()!r} is not a numeric id (e.g. 123456789012)")
    return text


def settings(values: Mapping[str, Any]) -> GcpSettings:
    """The settings from the options given; raises :class:`UsageError` for what cannot be used."""
    projects: list[str] = []
    for value in values.get("projects", ()):
        ref = value.strip().removeprefix("projects/")
        if not ref:
            continue
        if not PROJECT.match(ref):
            raise UsageError(f"--project: {value.strip()!r} is not a project id or number")
        if ref not in projects:
            projects.append(ref)
    return GcpSettings(organization=_number("--organization", values.get("organization"), "organizations/"),
                       folder=_number("--folder", values.get("folder"), "folders/"), projects=tuple(projects))


OPTIONS = OptionGroup(
    options=(
        LiveOption("organization", "--organization", "Organization id: every project below it.", metavar="ID"),
        LiveOption("folder", "--folder", "Folder id: every project below it.", metavar="ID"),
        LiveOption("projects", "--project", "Project id or number, repeatable or comma-separated (default, with "
                   "no scope: every active project the credentials can see).", multiple=True, metavar="ID"),
    ),
    settings=settings,
    examples=(
        "--provider gcp --organization 123456789012",
        "--provider gcp --folder 583920174655 --project excare-web",
    ),
)
