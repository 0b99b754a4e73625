"""Rich terminal summary: the key numbers, findings, exposure by law and provider, coverage."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from scanner.pipeline import ScanResult
from scanner.report.escape import rich_text as escape  # controls made visible and [markup] neutralised

_LEVEL_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "green", "none": "dim",
                "unknown": "magenta"}


def _lvl(level: str) -> str:
    return f"[{_LEVEL_STYLE.get(level, '')}]{level}[/]"


def render_terminal(result: ScanResult, console: Console, top: int = 10) -> None:
    s = result.summary
    e, lk, m = s["exposure"], s["lockin"], s["migration"]
    kb = result.kb
    title = f"sovscan — {escape(result.organization)}" if result.organization else "sovscan"
    pct = 100 * e["exposed_resources"] / (s["resources"] or 1)
    console.print(Panel.fit(
        f"[bold]{s['resources']}[/] resources, as of {result.as_of}, home country {result.home_country}\n"
        f"Reachable by a foreign law: [bold]{e['exposed_resources']}[/] ({pct:.1f} %)\n"
        f"Exposure {e['score']} {_lvl(e['level'])}   Lock-in {lk['score']} {_lvl(lk['level'])}   "
        f"Concentration HHI {lk['concentration']['hhi_10000']}   Migration effort {m['effort']} points\n"
        f"Findings: [bold red]{s['findings']['critical']} critical[/], [red]{s['findings']['high']} high[/], "
        f"[yellow]{s['findings']['medium']} medium[/], {s['findings']['low']} low",
        title=title, subtitle=f"knowledge base {kb.version}"))

    if e["by_law"]:
        table = Table(title="Foreign laws that reach the data", title_justify="left")
        for col in ("Law", "Resources", "Sensitive"):
            table.add_column(col, justify="right" if col != "Law" else "left")
        for lid, n in e["by_law"].items():
            if lid in kb.laws:
                table.add_row(escape(kb.laws[lid].name), str(n["resources"]), str(n["sensitive_resources"]))
        unlisted = e["unlisted_law_countries"]
        if unlisted["resources"]:
            table.add_row(f"Laws of {len(unlisted['countries'])} other countries with no law record "
                          f"({', '.join(unlisted['countries'])})", str(unlisted["resources"]),
                          str(unlisted["sensitive_resources"]))
        console.print(table)

    table = Table(title="Providers", title_justify="left")
    for col in ("Provider", "Share", "Resources", "Foreign-reachable", "Mean exposure", "Mean lock-in", "Effort"):
        table.add_column(col, justify="left" if col == "Provider" else "right")
    for pid, p in e["by_provider"].items():
        name = kb.providers[pid].name if pid in kb.providers else pid
        table.add_row(escape(name), f"{100 * p['share']:.1f} %", str(p["resources"]), str(p["exposed_resources"]),
                      str(p["mean_exposure"]), "n/a" if p["mean_lockin"] is None else str(p["mean_lockin"]),
                      str(p["effort"]))
    console.print(table)

    if result.findings:
        table = Table(title=f"Findings (top {min(top, len(result.findings))} of {len(result.findings)})",
                      title_justify="left")
        table.add_column("Severity")
        table.add_column("Rule")
        table.add_column("What", overflow="fold")
        for f in result.findings[:top]:
            table.add_row(_lvl(f.severity), f.rule, escape(f.message))
        console.print(table)

    cov = result.coverage
    lines = []
    if cov["unmapped_types"]:
        lines.append("unmapped types: " + ", ".join(f"{escape(k)} ({v})" for k, v in cov["unmapped_types"].items()))
    if cov["unknown_regions"]:
        lines.append("unknown regions: " + ", ".join(f"{escape(k)} ({v})" for k, v in cov["unknown_regions"].items()))
    if cov["warnings"]:
        lines.append(f"{len(cov['warnings'])} warning(s); see the JSON or Markdown output")
    console.print(Panel("\n".join(lines) if lines else "every resource mapped and placed",
                        title="Coverage", title_align="left"))
