"""Sources of inventories: one package per provider (live collectors and offline export formats)."""
