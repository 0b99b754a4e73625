"""``sovscan graph``: write the whole jurisdiction graph of a scan as GraphML, node-link JSON or Cypher."""

from __future__ import annotations

from typing import Annotated

import typer

from scanner.commands.common import (
    AllowEmptyOpt,
    AsOfOpt,
    ConfigOpt,
    InventoryOpt,
    OrgOpt,
    OutputOpt,
    open_output,
    scan_inputs,
)
from scanner.errors import UsageError
from scanner.report.graph_export import Dialect, GraphFormat


def graph(
    inventory: InventoryOpt = [],  # noqa: B006 - typer reads the default, never mutates it
    fmt: Annotated[GraphFormat, typer.Option("--format", "-f", help="graphml, cypher or json (node-link).")
                   ] = GraphFormat.graphml,
    dialect: Annotated[Dialect, typer.Option(
        "--dialect", help="Cypher only: neo4j (also Memgraph, FalkorDB) or ladybug (typed tables first).")
    ] = Dialect.neo4j,
    output: OutputOpt = "-",
    config: ConfigOpt = None,
    as_of: AsOfOpt = None,
    org: OrgOpt = None,
    allow_empty: AllowEmptyOpt = False,
) -> None:
    """Write the whole graph (resources, accounts, regions, countries, entities, laws, flows) with attributes."""
    if not inventory:
        raise UsageError("give at least one --inventory PATH")
    from scanner.gc_pause import gc_paused
    from scanner.report.graph_export import write_graph

    with gc_paused():
        result = scan_inputs(inventory, config, as_of, org, allow_empty=allow_empty)
        with open_output(output) as out:
            write_graph(result, fmt, out, dialect)
