"""The commands of ``sovscan``, one module each, and what they share (:mod:`scanner.commands.common`).

Each command body is a short call into ``scanner/``; :mod:`scanner.cli` assembles them and maps
errors to exit codes.
"""
