"""Shared test fixtures and helpers: the sample scans, and system tools that some tests need.

Markers (registered in pyproject.toml): ``live`` (real SDK clients against local servers),
``browser`` (headless Chromium, WeasyPrint, poppler), ``slow`` (fuzzing, large inputs). CI runs
every test; outside CI a test needing a missing system tool is skipped with the reason, and in CI
(``CI`` set in the environment) it fails instead, so that a missing tool is never mistaken for a
pass.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from scanner.config import Config
from scanner.pipeline import scan
from scanner.result import ScanResult

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_inventories"
HOSPITAL = SAMPLES / "hopital-grand-est"
UTILITY = SAMPLES / "stadtwerke-auenfeld"


def require_tool(name: str) -> str:
    """The path of a system tool, or skip (outside CI) / fail (in CI) with what to install."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed ('make test' installs it as root: chromium, poppler-utils)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def hospital() -> ScanResult:
    """The French hospital sample, scanned once per test session (as of its export date)."""
    return scan([HOSPITAL], Config(), as_of="2026-11-30", organization="Groupement Hospitalier Grand Est",
                warn=lambda _m: None)


@pytest.fixture(scope="session")
def utility() -> ScanResult:
    """The German municipal utility sample, scanned once per test session."""
    return scan([UTILITY], Config(), as_of="2026-11-30", organization="Stadtwerke Auenfeld", warn=lambda _m: None)
