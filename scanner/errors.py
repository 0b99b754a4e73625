"""The one family of errors sovscan raises on purpose, and the exit code each maps to.

Every module raises a subclass of :class:`SovscanError` for a problem the user can act on (a bad
file, a wrong option, a broken configuration, missing credentials, a history database it cannot
use). The command line's border (:mod:`scanner.cli`) prints its message as one line and exits with
its ``exit_code``; anything else that escapes is an internal error (exit 70, traceback written to a
file). Exit code 1 is reserved for ``--fail-on``, so a CI gate never mistakes a crash for a finding.
"""

from __future__ import annotations

#: Exit codes of the command line (DESIGN.md, "Command line").
EXIT_OK = 0
EXIT_FAIL_ON = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


class SovscanError(Exception):
    """A problem the user can act on: one line on standard error, exit ``exit_code``."""

    exit_code = EXIT_USAGE


class UsageError(SovscanError):
    """Options that do not fit together or a value of the wrong form."""


class InputError(SovscanError):
    """An input that cannot be used (a file, a folder, a saved inventory)."""


class EmptyInventoryError(InputError):
    """Nothing was read at all: no resource in any input (exit 2 unless ``--allow-empty``)."""


class OutputError(SovscanError):
    """An output that cannot be written where asked."""


class MissingExtraError(SovscanError):
    """An optional dependency (an SDK extra such as ``sovscan[aws]``) is not installed."""


class IncompleteCollectionError(SovscanError):
    """A live collection was incomplete and ``--strict`` was given."""

    exit_code = EXIT_INCOMPLETE
