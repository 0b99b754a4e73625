"""Markdown summary, rendered from a Jinja2 template; every inventory value is escaped."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from providers.live import incomplete_summary
from scanner.report.escape import md_code, md_text, visible
from scanner.report.jinja import BYTECODE
from scanner.report.records import finding_records
from scanner.result import ScanResult

md_escape = md_text  # the name the templates' filter and other renderers know
__all__ = ["context", "md_code", "md_escape", "render_markdown"]


def _env() -> Environment:
    env = Environment(loader=PackageLoader("scanner.report", "templates"), undefined=StrictUndefined,
                      bytecode_cache=BYTECODE,
                      trim_blocks=True, lstrip_blocks=True, autoescape=False, keep_trailing_newline=True,
                      finalize=lambda value: visible(str(value)))  # no control character reaches the output
    env.filters["md"] = md_escape
    env.filters["code"] = md_code
    return env


def context(result: ScanResult, top: int = 15) -> dict[str, Any]:
    kb = result.kb
    s = result.summary
    exposed = sorted(result.assessed, key=lambda a: (-a.exposure, a.res.id))[:top]
    outside = []
    for f in result.flows:
        target = result.inventory.resources.get(f.target)
        outside.append({"flow": f, "target_region": f.target_region or (target.region if target else None)})
    laws = {lid: kb.laws[lid] for lid in [*s.exposure.by_law, *s.exposure.residual.by_law] if lid in kb.laws}
    tf = {a.res.id: a.res.tf_address for a in result.assessed if a.res.tf_address}
    return {"r": result, "s": s, "kb": kb, "exposed": exposed, "flows": outside, "laws": laws,
            "findings": finding_records(result)[:40], "total_findings": len(result.findings), "tf": tf,
            "incomplete": incomplete_summary(result.inventory.gaps)}


def render_markdown(result: ScanResult) -> str:
    return _env().get_template("summary.md.j2").render(**context(result))
