"""Renderers of a scan result: JSON (the stable contract), CSV, Markdown and the terminal summary."""
