"""The whole JSON result of every sample, pinned: any change to a resource, flow, finding, coverage
line or summary figure shows up as a reviewed diff of ``tests/__snapshots__/``.

Only what changes without the estate changing is removed: the time of generation, the tool version
and the knowledge base's version string (a hash of its files). The date of assessment is fixed, so
facts due for review stay as they were. After an intended change, regenerate with
``pytest tests/test_snapshots.py --snapshot-update`` and read the diff before committing it.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from scanner.config import Config
from scanner.pipeline import scan
from scanner.report.json_out import write_json

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p.name for p in (ROOT / "sample_inventories").iterdir() if (p / "expected.yaml").is_file())
VOLATILE = ("generated_at", "tool_version", "kb_version")
AS_OF = "2026-12-01"


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


def _result(sample: str) -> dict[str, Any]:
    folder = Path("sample_inventories") / sample  # relative, as a user at the project's root sees it
    expected = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    result = scan([folder], Config(home_country=expected.get("home_country", "FR")), as_of=AS_OF,
                  organization=expected.get("organization"), warn=lambda _m: None)
    buf = io.BytesIO()
    write_json(result, buf)
    doc: dict[str, Any] = json.loads(buf.getvalue())
    for key in VOLATILE:
        assert key in doc, key  # a renamed field must not silently escape the pin
        del doc[key]
    return doc


@pytest.mark.parametrize("sample", SAMPLES)
def test_whole_result(sample: str, snapshot_json: SnapshotAssertion, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert _result(sample) == snapshot_json
