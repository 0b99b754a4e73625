"""``sovscan kb validate|show``: check the knowledge base, list its records with their sources."""

from __future__ import annotations

from typing import Annotated

import typer

from scanner.commands.common import ConfigOpt, load_settings
from scanner.errors import UsageError
from scanner.kb.loader import KnowledgeBaseError

kb_app = typer.Typer(no_args_is_help=True, help="Inspect and validate the knowledge base.")


@kb_app.command("validate")
def kb_validate(config: ConfigOpt = None) -> None:
    """Validate every knowledge-base table, the references between them and every record's source."""
    kb = load_settings(config).knowledge_base()
    problems = kb.validate()
    counts = ", ".join(f"{n} {name}" for name, n in kb.counts().items())
    if problems:
        for p in problems:
            typer.echo(f"invalid: {p}", err=True)
        raise KnowledgeBaseError(f"knowledge base has {len(problems)} problem(s)")
    typer.echo(f"knowledge base {kb.version} is valid: {counts}")


@kb_app.command("show")
def kb_show(
    what: Annotated[str, typer.Argument(
        help="laws | providers | regions | services | alternatives | countries | entities")] = "laws",
    config: ConfigOpt = None,
) -> None:
    """List knowledge-base records with their source, the date they were checked, and whether verified."""
    kb = load_settings(config).knowledge_base()
    tables = {"laws": kb.laws, "providers": kb.providers, "regions": kb.regions, "services": kb.services,
              "alternatives": kb.alternatives, "countries": kb.countries, "entities": kb.entities}
    if what not in tables:
        raise UsageError(f"kb show {what!r}: choose one of {', '.join(tables)}")
    for key, rec in tables[what].items():  # type: ignore[attr-defined]
        label = "/".join(key) if isinstance(key, tuple) else key
        checked = "verified" if rec.verified else f"UNVERIFIED: {rec.unverified}"
        typer.echo(f"{label}\t{getattr(rec, 'name', '')}\t{rec.source}\t{rec.as_of}\t{checked}")
