"""The command-line options of AWS live collection and the settings the collector reads.

Declared here, in the provider's own package, and assembled into ``sovscan run`` and ``sovscan
plan`` by the registry (``providers/registry.py``). Importing this module imports no SDK. Region
names are normalised here (case, blanks); whether they exist is checked by the collector against
botocore's region data for the account's partition, once the partition is known.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from providers.live import LiveOption, OptionGroup
from scanner.errors import UsageError

DEFAULT_ROLE = "SovscanReadOnly"  # a role with the policy of docs/permissions, not an admin role
#: The shape of an AWS region name (``eu-west-3``, ``us-gov-west-1``, ``eusc-de-east-1``).
REGION_SHAPE = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-\d+$")


@dataclass(frozen=True)
class AwsSettings:
    """What an AWS collection reads: which credentials, accounts and regions, by which route."""

    profile: str | None = None
    regions: tuple[str, ...] = ()  # lower case; empty = every region enabled for each account
    org: bool = False  # walk the AWS Organization's member accounts
    role_name: str = DEFAULT_ROLE
    external_id: str | None = None
    via: str = "api"  # "api" or "config" (AWS Config advanced query)
    aggregator: str | None = None
    #: Worker processes for regional calls: 0 = automatic (one per CPU, up to 4, for estates of
    #: 100 or more region × service calls), 1 = threads only. Not a command-line option.
    processes: int = 0


def settings(values: Mapping[str, Any]) -> AwsSettings:
    """The settings from the options given; raises :class:`UsageError` for what cannot be used."""
    regions: list[str] = []
    for value in values.get("regions", ()):
        region = value.strip().lower()
        if not region:
            continue
        if not REGION_SHAPE.match(region):
            raise UsageError(f"--regions: {value.strip()!r} is not an AWS region name (e.g. eu-west-3)")
        if region not in regions:
            regions.append(region)
    org = bool(values.get("org"))
    for flag, field in (("--role-name", "role_name"), ("--external-id", "external_id")):
        if field in values and not org:
            raise UsageError(f"{flag} is used to enter member accounts: add --org-accounts, or leave it out")
    via = str(values.get("via", "api"))
    if "aggregator" in values and via != "config":
        raise UsageError("--aggregator names an AWS Config aggregator: add --via config, or leave it out")
    if via == "config" and (org or regions):
        raise UsageError("--via config reads what the AWS Config recorder or aggregator holds: leave out "
                         "--org-accounts and --regions (the aggregator decides the accounts and regions)")
    role = str(values.get("role_name", DEFAULT_ROLE)).strip()
    if not role:
        raise UsageError("--role-name: give a role name")
    return AwsSettings(profile=values.get("profile"), regions=tuple(regions), org=org, role_name=role,
                       external_id=values.get("external_id"), via=via, aggregator=values.get("aggregator"))


OPTIONS = OptionGroup(
    options=(
        LiveOption("profile", "--profile", "Named profile of ~/.aws/config (its region, endpoint_url, ca_bundle… "
                   "are kept for every account and worker).", metavar="NAME"),
        LiveOption("regions", "--regions", "Regions to read, comma-separated or repeated (default: every region "
                   "enabled for each account). Checked against the partition's regions.", multiple=True,
                   metavar="REGION,…"),
        LiveOption("org", "--org-accounts", "Walk every account of the AWS Organization, assuming --role-name in "
                   "each member.", kind=bool),
        LiveOption("role_name", "--role-name", f"Read-only role assumed in member accounts (default: "
                   f"{DEFAULT_ROLE}).", metavar="NAME"),
        LiveOption("external_id", "--external-id", "External id the member role's trust policy requires (never "
                   "written to outputs).", metavar="ID", secret=True),
        LiveOption("via", "--via", "'config' takes the inventory from AWS Config in one query instead of the "
                   "service APIs (default: api).", choices=("api", "config")),
        LiveOption("aggregator", "--aggregator", "AWS Config aggregator to query with --via config (default: the "
                   "account's own recorder).", metavar="NAME"),
    ),
    settings=settings,
    examples=(
        "--provider aws --profile audit --regions eu-west-3,eu-central-1",
        "--provider aws --org-accounts --role-name SovscanReadOnly --external-id ID "
        "--export-inventory estate.jsonl.gz",
        "--provider aws --via config --aggregator org-aggregator",
    ),
)
