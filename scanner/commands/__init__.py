"""Commands of the quarterly works-council report: ``sovscan report`` and ``sovscan history``.

They are registered in :mod:`scanner.cli`; everything they do is in plain functions
(:mod:`scanner.history`, :mod:`scanner.report.quarterly`, :mod:`scanner.report.html`,
:mod:`scanner.report.pdf`) so that other commands can reuse it.
"""

from scanner.commands.report import history_app, report

__all__ = ["history_app", "report"]
