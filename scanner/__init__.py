"""sovscan: whose laws can reach an organisation's cloud data, and how hard it would be to leave."""

__version__ = "0.1.0"
