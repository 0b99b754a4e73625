"""sovscan: whose laws can reach an organisation's cloud data, and how hard it would be to leave."""

from importlib.metadata import PackageNotFoundError, version

try:
    #: The installed distribution's version: one place (pyproject.toml), read at run time.
    __version__ = version("sovscan")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
