"""Scoring formulas: exposure, lock-in, migration effort, and the findings rules."""
