"""Commands beside ``run``, ``explain`` and ``kb``: ``report`` and ``history`` (the quarterly
works-council report), ``plan`` (migration planning), and the live-collection options they share.

They are registered in :mod:`scanner.cli`; everything they do is in plain functions
(:mod:`scanner.history`, :mod:`scanner.report`, :mod:`scanner.plan`) so that other commands can
reuse it.
"""

from scanner.commands.report import history_app, report

__all__ = ["history_app", "report"]
