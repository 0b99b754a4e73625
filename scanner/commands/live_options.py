"""Command-line options of live collection, shared by ``sovscan run`` and ``sovscan plan``.

Each option is declared once here (its flag, help and panel) and used in both commands'
signatures; :func:`live_options` turns them into the :class:`providers.live.LiveOptions` that the
collectors read. Nothing here imports an SDK.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from providers.live import LiveOptions

LIVE = "Live collection (read-only)"


class Provider(StrEnum):
    aws = "aws"
    azure = "azure"
    gcp = "gcp"


class Via(StrEnum):
    api = "api"
    config = "config"


ProviderOpt = Annotated[Provider | None, typer.Option(
    "--provider", help="Collect live from this cloud, read-only.", rich_help_panel=LIVE)]
ProfileOpt = Annotated[str | None, typer.Option("--profile", help="AWS: named profile.", rich_help_panel=LIVE)]
RegionsOpt = Annotated[str | None, typer.Option(
    "--regions", help="AWS: comma-separated regions (default: every enabled region).", rich_help_panel=LIVE)]
OrgAccountsOpt = Annotated[bool, typer.Option(
    "--org-accounts", help="AWS: walk every account of the AWS Organization, assuming --role-name in each.",
    rich_help_panel=LIVE)]
RoleNameOpt = Annotated[str, typer.Option(
    "--role-name", help="AWS: read-only role assumed in member accounts.", rich_help_panel=LIVE)]
ExternalIdOpt = Annotated[str | None, typer.Option(
    "--external-id", help="AWS: external id for the role assumption.", rich_help_panel=LIVE)]
ViaOpt = Annotated[Via, typer.Option(
    "--via", help="AWS: 'config' takes the inventory from an AWS Config aggregator in one query.",
    rich_help_panel=LIVE)]
AggregatorOpt = Annotated[str | None, typer.Option(
    "--aggregator", help="AWS: Config aggregator name for --via config.", rich_help_panel=LIVE)]
TenantOpt = Annotated[str | None, typer.Option("--tenant", help="Azure: tenant id.", rich_help_panel=LIVE)]
SubscriptionOpt = Annotated[list[str], typer.Option(
    "--subscription", help="Azure: subscription id (repeatable; default: all visible).", rich_help_panel=LIVE)]
OrganizationOpt = Annotated[str | None, typer.Option(
    "--organization", help="GCP: organization id.", rich_help_panel=LIVE)]
FolderOpt = Annotated[str | None, typer.Option("--folder", help="GCP: folder id.", rich_help_panel=LIVE)]
ProjectOpt = Annotated[list[str], typer.Option(
    "--project", help="GCP: project id (repeatable).", rich_help_panel=LIVE)]
MaxWorkersOpt = Annotated[int, typer.Option(
    "--max-workers", min=1, max=64, help="Parallel calls (regions, accounts, services).", rich_help_panel=LIVE)]


def live_options(provider: Provider | None, profile: str | None, regions: str | None, org_accounts: bool,
                 role_name: str, external_id: str | None, via: Via, aggregator: str | None, tenant: str | None,
                 subscription: list[str], organization: str | None, folder: str | None, project: list[str],
                 max_workers: int) -> LiveOptions | None:
    """The collectors' options from the command line, or None without ``--provider``."""
    if provider is None:
        return None
    from providers.live import LiveOptions

    return LiveOptions(
        provider=provider.value, profile=profile,
        regions=tuple(r.strip() for r in (regions or "").split(",") if r.strip()),
        org=org_accounts, role_name=role_name, external_id=external_id, via=via.value, aggregator=aggregator,
        tenant=tenant, subscriptions=tuple(subscription), organization=organization, folder=folder,
        projects=tuple(project), max_workers=max_workers, show_progress=sys.stderr.isatty())
