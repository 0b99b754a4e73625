"""The orchestration stays readable: no function of the pipeline, the command group or a command
module runs over 60 lines (the rest of the code is held by ruff's complexity limit)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = [ROOT / "scanner" / "pipeline.py", ROOT / "scanner" / "cli.py",
           *sorted((ROOT / "scanner" / "commands").glob("*.py"))]
LIMIT = 60


def test_orchestration_functions_are_short() -> None:
    long = []
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > LIMIT:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    assert len(MODULES) > 5
    assert long == []
