"""``sovscan history list|show|forget``: the stored scan snapshots that quarterly reports compare."""

from __future__ import annotations

from typing import Annotated

import typer

from scanner.commands.common import DbOpt
from scanner.errors import UsageError

history_app = typer.Typer(no_args_is_help=True, help="Stored scan snapshots (the history quarterly reports compare).")


@history_app.command("list")
def history_list(
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation.")] = None,
    db: DbOpt = None,
) -> None:
    """List stored snapshots, oldest first."""
    from scanner.history import list_snapshots
    from scanner.report.quarterly import Quarter

    infos = list_snapshots(db, org)
    if not infos:
        typer.echo("no stored snapshot")
        return
    typer.echo("id\torganisation\tas_of\tquarter\tresources\treachable\tsensitive_reachable\texposure\tpseudonymised")
    for i in infos:
        typer.echo(f"{i.id}\t{i.organization or '-'}\t{i.as_of}\t{Quarter.of(i.as_of)}\t{i.resources}\t"
                   f"{i.exposed_resources}\t{i.sensitive_exposed}\t{i.exposure_score}\t"
                   f"{'yes' if i.pseudonymized else 'no'}")


@history_app.command("show")
def history_show(
    snapshot_id: Annotated[int, typer.Argument(help="Snapshot id (see 'sovscan history list').")],
    db: DbOpt = None,
) -> None:
    """Show one snapshot's key numbers."""
    from scanner.history import load

    snap = load(snapshot_id, db)
    i, s = snap.info, snap.summary
    lines = [
        f"snapshot {i.id}: {i.organization or '(no organisation)'}, inventory of {i.as_of} "
        f"(scanned {i.generated_at}, sovscan {i.tool_version}, knowledge base {i.kb_version})",
        f"resources: {i.resources}; reachable by a foreign law: {i.exposed_resources}; "
        f"sensitive and reachable: {i.sensitive_exposed}",
        f"exposure: {i.exposure_score} ({s.exposure.level}); lock-in: {i.lockin_score} "
        f"({s.lockin.level}); migration effort: {i.effort} points",
        "findings: " + ", ".join(f"{n} {sev}" for sev, n in s.findings.items()),
        "providers: " + ", ".join(f"{p} {100 * v.share:.1f} %" for p, v in s.exposure.by_provider.items()),
        f"identifiers: {'pseudonymised' if i.pseudonymized else 'as in the exports'}",
    ]
    typer.echo("\n".join(lines))


@history_app.command("forget")
def history_forget(
    snapshot_id: Annotated[int | None, typer.Argument(help="Snapshot id to delete.")] = None,
    org: Annotated[str | None, typer.Option("--org", help="Organisation whose snapshots to delete.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Only the snapshot of this date.")] = None,
    all_dates: Annotated[bool, typer.Option("--all", help="Every snapshot of --org.")] = False,
    db: DbOpt = None,
) -> None:
    """Delete stored snapshots (one by id, one by --org and --as-of, or all of --org with --all)."""
    from scanner.history import forget

    if snapshot_id is None and (org is None or (as_of is None and not all_dates)):
        raise UsageError("say what to forget: a snapshot id, --org ORG --as-of DATE, or --org ORG --all")
    gone = forget(db, snapshot_id, org, as_of)
    if not gone:
        raise UsageError("no such snapshot (see 'sovscan history list')")
    for i in gone:
        typer.echo(f"forgot snapshot {i.id} ({i.organization or '(no organisation)'}, {i.as_of})")
