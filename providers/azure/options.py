"""The command-line options of Azure live collection and the settings the collector reads.

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

#: A subscription or tenant id: a GUID (https://learn.microsoft.com/azure/azure-portal/get-subscription-tenant-id).
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class AzureSettings:
    """Which directory and subscriptions an Azure collection reads."""

    tenant: str | None = None
    subscriptions: tuple[str, ...] = ()  # lower-case GUIDs; empty = every subscription visible


def settings(values: Mapping[str, Any]) -> AzureSettings:
    """The settings from the options given; raises :class:`UsageError` for what cannot be used."""
    subscriptions: list[str] = []
    for value in values.get("subscriptions", ()):
        sid = value.strip().lower().removeprefix("/subscriptions/")
        if not sid:
            continue
        if not GUID.match(sid):
            raise UsageError(f"--subscription: {value.strip()!r} is not a subscription id (a GUID)")
        if sid not in subscriptions:
            subscriptions.append(sid)
    tenant = values.get("tenant")
    if tenant is not None:
        tenant = str(tenant).strip()
        if not tenant:
            raise UsageError("--tenant: give a tenant id or domain")
    return AzureSettings(tenant=tenant, subscriptions=tuple(subscriptions))


OPTIONS = OptionGroup(
    options=(
        LiveOption("tenant", "--tenant", "Directory (tenant) id or domain to sign in to (default: the "
                   "credential's own).", metavar="TENANT"),
        LiveOption("subscriptions", "--subscription", "Subscription id to read, repeatable or comma-separated "
                   "(default: every subscription the credentials can see).", multiple=True, metavar="ID"),
    ),
    settings=settings,
    examples=(
        "--provider azure",
        "--provider azure --tenant contoso.onmicrosoft.com --subscription ID --subscription ID",
    ),
)
