"""The cyclic garbage collector paused while a command builds its long-lived objects.

A scan allocates millions of records that live until the command ends (the knowledge base, the
inventory, the graph, the result). Each full collection walks every object alive, and allocating
them triggers many: measured at 30 % of a 100,000-resource scan (docs/performance.md). Nothing a
command builds relies on the cyclic collector to free memory it needs again, so the commands that
scan (``run``, ``explain``, ``plan``, ``report``, ``graph``) run inside :func:`gc_paused`.

When the collector is resumed, every object alive is first moved to the permanent generation
(:func:`gc.freeze`): while the collector was off, all of them piled up in the youngest generation,
and the first collections after it is back on would otherwise walk them all again, as would the
collection at interpreter exit. Frozen objects are still freed by reference counting; only
reference cycles among them stay until the process ends, which a command-line process does soon.
This module imports nothing heavy, so a command pays nothing for it at start-up.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused(freeze: bool = True) -> Iterator[None]:
    """Disable the cyclic collector for the block; on leaving, freeze what is alive (``freeze``)
    and restore the collector as it was. Nested uses leave the outer one in charge."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if freeze:
                gc.freeze()
            gc.enable()
