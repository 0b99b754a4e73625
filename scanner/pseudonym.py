"""Stable keyed pseudonyms for account ids, resource ids and names in reports.

A works council needs categories and counts, not identifiers: ``--pseudonymize`` replaces every
identifier taken from an inventory by ``HMAC-SHA256(key, kind || value)``, shortened. The key is
random, created once and kept beside the history database (``<db>.key``, 0600: readable by its
owner only, in the database's folder, created 0700), so the same resource keeps the same pseudonym
from one quarter to the next, and nobody without the key can recompute a pseudonym from a guessed
identifier (a plain hash could be reversed by hashing every ARN of a known account). Deleting the
key breaks the link with earlier reports, which is the way to rotate it.

48 bits of the MAC are kept: for a million resources the chance that two share a pseudonym is
about 2 in 1,000 (birthday bound n²/2^49), and a collision only merges two rows of a diff.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from functools import lru_cache
from pathlib import Path

from scanner.errors import SovscanError

KEY_BYTES = 32
_DIGITS = 12  # hex digits kept (48 bits)


class PseudonymKeyError(SovscanError):
    """The key file exists but cannot be used (wrong size, unreadable)."""


def private_folder(folder: Path, tighten: bool = False) -> None:
    """Create ``folder`` (and its parents) if missing, the folder itself readable by its owner only (0700).

    ``tighten`` also removes group and other access from an existing folder we own: for sovscan's
    own data folder, never for a folder the user chose.
    """
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)  # mkdir's mode is filtered by the umask; make it exactly 0700
    elif tighten:
        st = folder.stat()
        if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & 0o077:
            os.chmod(folder, 0o700)


def key_path(db: Path) -> Path:
    """Where the key of a history database lives: beside it, ``<db file name>.key``."""
    return db.with_name(db.name + ".key")


def load_or_create_key(path: Path) -> bytes:
    """Read the key, or create it (owner-only permissions) when it does not exist yet."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        try:
            private_folder(path.parent)
        except OSError as exc:
            raise PseudonymKeyError(f"{path}: cannot create the pseudonymisation key ({exc.strerror})") from exc
        key = secrets.token_bytes(KEY_BYTES)
        try:
            # O_EXCL: two processes creating the key at once must not end up with two keys.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_or_create_key(path)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key.hex().encode("ascii") + b"\n")
        return key
    except OSError as exc:
        raise PseudonymKeyError(f"{path}: cannot read the pseudonymisation key ({exc.strerror})") from exc
    try:
        key = bytes.fromhex(data.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError) as exc:
        raise PseudonymKeyError(f"{path}: not a pseudonymisation key (expected {KEY_BYTES * 2} hex digits); "
                                "move it away to create a new one (earlier pseudonyms will no longer match)") from exc
    if len(key) != KEY_BYTES:
        raise PseudonymKeyError(f"{path}: the key has {len(key)} bytes, expected {KEY_BYTES}")
    return key


class Pseudonymizer:
    """Maps identifiers to pseudonyms with one key; equal inputs give equal outputs."""

    def __init__(self, key: bytes):
        if len(key) < 16:
            raise PseudonymKeyError("a pseudonymisation key needs at least 16 bytes")
        self._key = key
        # Reports look up the same ids many times (resources, findings, flows, two quarters).
        self._mac = lru_cache(maxsize=1 << 16)(self._compute)

    @classmethod
    def for_db(cls, db: Path) -> Pseudonymizer:
        """The pseudonymizer whose key is kept beside ``db`` (created on first use)."""
        return cls(load_or_create_key(key_path(db)))

    def _compute(self, kind: str, value: str) -> str:
        # The kind is part of the MAC input so an account and a resource with the same text differ.
        digest = hmac.new(self._key, kind.encode() + b"\x00" + value.encode("utf-8", "surrogatepass"),
                          hashlib.sha256).hexdigest()
        return digest[:_DIGITS]

    def resource(self, rid: str) -> str:
        """Pseudonym of a resource id; also used in place of the resource's name."""
        return "r-" + self._mac("resource", rid)

    def application(self, app_id: str) -> str:
        """Pseudonym of an application (its id: a tag value, resource group, project or account)."""
        return "app-" + self._mac("application", app_id)

    def account(self, provider: str, account: str | None) -> str | None:
        """Pseudonym of an account, subscription or project id (``None`` stays ``None``)."""
        if account is None:
            return None
        return "a-" + self._mac("account", f"{provider}:{account}")
