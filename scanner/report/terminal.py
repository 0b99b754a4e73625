"""Rich terminal summary: the key numbers, findings, exposure by law and provider, coverage."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from providers.live import incomplete_summary
from scanner.report.escape import rich_text as escape  # controls made visible and [markup] neutralised
from scanner.result import UNLISTED, ScanResult

_LEVEL_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "green", "none": "dim",
                "unknown": "magenta"}


def _lvl(level: str) -> str:
    return f"[{_LEVEL_STYLE.get(level, '')}]{level}[/]"


def render_terminal(result: ScanResult, console: Console, top: int = 10) -> None:
    s = result.summary
    e, lk, m = s.exposure, s.lockin, s.migration
    kb = result.kb
    title = f"sovscan — {escape(result.organization)}" if result.organization else "sovscan"
    pct = 100 * e.exposed_resources / (s.resources or 1)
    residual = (f"\nOnly through the group's presence (residual, contested): [bold]{e.residual.resources}[/]"
                if e.residual.resources else "")
    console.print(Panel.fit(
        f"[bold]{s.resources}[/] resources, as of {result.as_of}, home country {result.home_country}\n"
        f"Reachable by a foreign law (control or location): [bold]{e.exposed_resources}[/] ({pct:.1f} %)"
        f"{residual}\n"
        f"Exposure {e.score} {_lvl(e.level)}   Lock-in {lk.score} {_lvl(lk.level)}   "
        f"Concentration HHI {lk.concentration.hhi_10000}   Migration effort {m.effort} points\n"
        f"Findings: [bold red]{s.findings['critical']} critical[/], [red]{s.findings['high']} high[/], "
        f"[yellow]{s.findings['medium']} medium[/], {s.findings['low']} low",
        title=title, subtitle=f"knowledge base {kb.version}"))
    incomplete = incomplete_summary(result.inventory.gaps)
    if incomplete:
        console.print(f"[bold yellow]{escape(incomplete)}[/]: the figures leave out what could not be read")
    _laws(result, console)
    _providers(result, console)
    if result.findings:
        table = Table(title=f"Findings (top {min(top, len(result.findings))} of {len(result.findings)})",
                      title_justify="left")
        table.add_column("Severity")
        table.add_column("Rule")
        table.add_column("What", overflow="fold")
        resources = result.inventory.resources
        for f in result.findings[:top]:
            res = resources.get(f.resource)
            where = f"\n[dim]Terraform: {escape(res.tf_address)}[/]" if res is not None and res.tf_address else ""
            table.add_row(_lvl(f.severity), f.rule, escape(f.message) + where)
        console.print(table)
    _coverage(result, console)


def _law_name(result: ScanResult, lid: str) -> str:
    law = result.kb.laws.get(lid)
    if law is None:
        return lid
    return law.name + ("" if law.verified else " (unverified)")


def _laws(result: ScanResult, console: Console, top_laws: int = 8) -> None:
    e = result.summary.exposure
    if not e.by_law and not e.residual.by_law:
        return
    table = Table(title="Foreign laws that reach the data", title_justify="left")
    for col in ("Law", "Tier", "Resources", "Sensitive"):
        table.add_column(col, justify="left" if col in ("Law", "Tier") else "right")
    listed = [(lid, n) for lid, n in e.by_law.items() if not lid.startswith(UNLISTED)]
    for lid, n in listed[:top_laws]:
        table.add_row(escape(_law_name(result, lid)), "control or location", str(n.resources),
                      str(n.sensitive_resources))
    if len(listed) > top_laws:
        rest = listed[top_laws:]
        table.add_row(f"{len(rest)} more laws (see the JSON or Markdown output)", "control or location",
                      f"≤ {max(n.resources for _, n in rest)}", f"≤ {max(n.sensitive_resources for _, n in rest)}")
    unlisted = e.unlisted_law_countries
    if unlisted.resources:
        table.add_row(f"Laws of {len(unlisted.countries)} other countries with no law record "
                      f"({', '.join(unlisted.countries)})", "location", str(unlisted.resources),
                      str(unlisted.sensitive_resources))
    for lid, n in e.residual.by_law.items():
        table.add_row(escape(_law_name(result, lid)), "presence only (residual, contested)", str(n.resources),
                      str(n.sensitive_resources))
    console.print(table)


def _providers(result: ScanResult, console: Console) -> None:
    kb = result.kb
    table = Table(title="Providers", title_justify="left")
    for col in ("Provider", "Share", "Resources", "Foreign-reachable", "Mean exposure", "Mean lock-in", "Effort"):
        table.add_column(col, justify="left" if col == "Provider" else "right")
    for pid, p in result.summary.exposure.by_provider.items():
        name = kb.providers[pid].name if pid in kb.providers else pid
        table.add_row(escape(name), f"{100 * p.share:.1f} %", str(p.resources), str(p.exposed_resources),
                      str(p.mean_exposure), "n/a" if p.mean_lockin is None else str(p.mean_lockin), str(p.effort))
    console.print(table)


def _coverage(result: ScanResult, console: Console) -> None:
    cov = result.coverage
    lines = []
    if cov.unmapped_types:
        lines.append("unmapped types: " + ", ".join(f"{escape(k)} ({v})" for k, v in cov.unmapped_types.items()))
    if cov.unknown_regions:
        lines.append("unknown regions: " + ", ".join(f"{escape(k)} ({v})" for k, v in cov.unknown_regions.items()))
    if cov.warnings:
        lines.append(f"{len(cov.warnings)} warning(s); see the JSON or Markdown output")
    console.print(Panel("\n".join(lines) if lines else "every resource mapped and placed",
                        title="Coverage", title_align="left"))
