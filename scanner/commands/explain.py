"""``sovscan explain``: the paths from one resource to each law that reaches it, in words."""

from __future__ import annotations

from typing import Annotated

import typer

from scanner.commands.common import ConfigOpt, InventoryOpt, scan_inputs
from scanner.errors import UsageError


def explain(
    resource_id: Annotated[str, typer.Argument(help="Resource id (ARN, Azure id, GCP full name) or name.")],
    inventory: InventoryOpt,
    config: ConfigOpt = None,
) -> None:
    """Print the paths from one resource to each law that reaches it, in words."""
    from scanner.explain import explain_lines
    from scanner.gc_pause import gc_paused
    from scanner.report.escape import visible

    with gc_paused():
        result = scan_inputs(inventory, config, None, None)
    found = result.by_id(resource_id)
    if found is None:
        matches = [a for a in result.assessed if a.res.name == resource_id]
        if len(matches) > 1:
            raise UsageError(f"{resource_id}: {len(matches)} resources have this name; give the full id")
        found = matches[0] if matches else None
    if found is None:
        raise UsageError(f"{resource_id}: no such resource in the inventory "
                         "(ids are listed by 'sovscan run --format csv')")
    typer.echo("\n".join(visible(line) for line in explain_lines(result, found)))  # controls made visible
