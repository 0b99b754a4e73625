"""System tools the report tests need (poppler, Chromium, WeasyPrint's Pango): found, or a clear skip.

Outside CI a missing tool skips the test with the reason and the package to install; in CI (the
``CI`` environment variable is set, and ``make test`` installs the tools) it fails instead, so a
broken environment can never pass for a working one.
"""

from __future__ import annotations

import os
import shutil

import pytest

PACKAGES = {"chromium": "chromium", "pdftotext": "poppler-utils", "pdftoppm": "poppler-utils",
            "pdfinfo": "poppler-utils"}


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI installs it: see 'make sysdeps')")
    pytest.skip(reason)


def tool(name: str) -> str:
    """The path of a command-line tool, or skip (fail in CI) naming the package that provides it."""
    path = shutil.which(name)
    if path is None:
        _missing(f"{name} is missing: apt-get install {PACKAGES.get(name, name)}")
    assert path is not None
    return path


def weasyprint() -> None:
    """Skip (fail in CI) when WeasyPrint cannot load its system libraries."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        _missing(f"WeasyPrint cannot run ({exc}): apt-get install libpango-1.0-0 libpangoft2-1.0-0")
