"""An on-disk cache of the shipped knowledge base, so that a command does not parse and validate
its YAML files at every start.

Loading the knowledge base (libyaml, then pydantic validation of every record) took about a fifth of
the start-up of ``sovscan run``; reading the same :class:`~scanner.kb.loader.KnowledgeBase` back
from a pickle takes a tenth of that. The file lives in the user's cache folder (platformdirs:
``~/.cache/sovscan/`` on Linux, ``$XDG_CACHE_HOME`` honoured) and is named by a digest of
everything the loaded object depends on: the name and bytes of every data file, the source of the
modules that define its classes, and the versions of sovscan, Python, pydantic and pydantic-core.
A change to any of them gives another name, so a stale file is never read; writing a new file
removes the older ones.

pickle runs code when it loads, so a file is read only from a folder that the user owns and that
nobody else may write to, and only if the file is the user's own and not writable by others. A file
that cannot be read, unpickled or checked (not a knowledge base, or not the digest of the current
data) is ignored and replaced. Writing is atomic (a private temporary file renamed) and best
effort: on a read-only or full disk the command works as before, only slower. ``SOVSCAN_KB_CACHE=0``
in the environment turns the cache off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pydantic
import pydantic_core

from scanner import __version__
from scanner.kb import loader
from scanner.kb.loader import DATA_DIR, KnowledgeBase

#: Bump when the cached object changes shape in a way the digest of the sources would not show.
FORMAT = 1
#: The modules whose classes a cached knowledge base holds: editing one invalidates the cache.
_SOURCES = ("schema.py", "loader.py", "provenance.py")
_PREFIX, _SUFFIX = "kb-", ".pickle"


def enabled() -> bool:
    return os.environ.get("SOVSCAN_KB_CACHE", "1") != "0"


def cache_dir() -> Path:
    from platformdirs import user_cache_path

    return user_cache_path("sovscan", appauthor=False)


def data_files() -> list[Path]:
    """The shipped data files, in the order :func:`~scanner.kb.loader.load_kb` reads them."""
    return sorted(DATA_DIR.rglob("*.yaml"))


def keys() -> tuple[str, str]:
    """(digest of the data files as :attr:`KnowledgeBase.digest` has it, name of the cache file)."""
    data = hashlib.sha256()
    key = hashlib.sha256(f"sovscan-kb-cache {FORMAT} {__version__} {sys.version} {pydantic.VERSION} "
                         f"{pydantic_core.__version__} {DATA_DIR}".encode())
    for path in data_files():
        raw = path.read_bytes()
        data.update(raw)
        key.update(f"\0{path.relative_to(DATA_DIR).as_posix()}\0".encode())
        key.update(raw)
    here = Path(loader.__file__).parent
    for name in _SOURCES:
        key.update(f"\0{name}\0".encode())
        key.update((here / name).read_bytes())
    key.update(data.digest())
    return data.hexdigest(), f"{_PREFIX}{key.hexdigest()[:32]}{_SUFFIX}"


def _private(st: os.stat_result) -> bool:
    """Owned by this user and writable by nobody else (always true where there are no owners)."""
    getuid = getattr(os, "getuid", None)
    if getuid is None:
        return True
    return st.st_uid == getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def read(folder: Path, name: str, digest: str) -> KnowledgeBase | None:
    """The cached knowledge base, or None when there is none that can be trusted and used."""
    try:
        if not _private(folder.stat()):
            return None
        with (folder / name).open("rb") as fh:
            if not _private(os.fstat(fh.fileno())):
                return None
            kb = pickle.load(fh)
    # A cache must never stop a command: a truncated, corrupt or foreign file (any exception that
    # unpickling can raise: EOFError, UnpicklingError, AttributeError, ImportError…) is a miss.
    except Exception:
        return None
    if not isinstance(kb, KnowledgeBase) or kb.digest != digest:
        return None
    return kb


def write(folder: Path, name: str, kb: KnowledgeBase) -> None:
    """Store ``kb`` as ``name`` (atomically, 0600 in a 0700 folder) and remove older files; best effort."""
    tmp: str | None = None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(folder.stat()):
            return  # it would never be read back (see read)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".kb-", suffix=".tmp")  # created 0600
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(kb, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / name)
        tmp = None
        for old in folder.glob(f"{_PREFIX}*{_SUFFIX}"):
            if old.name != name:
                old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError):
        pass  # no cache this time: the knowledge base was loaded all the same
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def cached(load: Callable[[], KnowledgeBase]) -> KnowledgeBase:
    """The shipped knowledge base from the cache when it is current, else ``load()`` (then cached)."""
    if not enabled():
        return load()
    try:
        digest, name = keys()
        folder = cache_dir()
    except OSError:
        return load()
    kb = read(folder, name, digest)
    if kb is None:
        kb = load()
        if kb.digest == digest:  # the files did not change while they were being read
            write(folder, name, kb)
    return kb
