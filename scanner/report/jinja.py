"""One compiled copy of each report template per process.

The quarterly and summary renderers build a Jinja2 environment per call (its filters and globals
are bound to one language and knowledge base), and a fresh environment compiles every template
again: about 0.14 s per template, more than rendering takes. Environments share this in-memory
bytecode cache instead; Jinja2 checks the template source's checksum, so an edited template is
compiled anew.
"""

from __future__ import annotations

import threading

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket


class MemoryBytecodeCache(BytecodeCache):
    """Jinja2 bytecode kept in a dict for the life of the process."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            data = self._code.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: Bucket) -> None:
        data = bucket.bytecode_to_string()
        with self._lock:
            self._code[bucket.key] = data

    def clear(self) -> None:
        with self._lock:
            self._code.clear()


BYTECODE = MemoryBytecodeCache()
