"""The source contract shared by every provider, and its small exception family.

A provider contributes *file formats* (offline exports) and, optionally, a live collector. Each
file format knows how to recognise itself from the first bytes of a file (``sniff``) and how to
turn the file into provider-neutral items (``read``). Provider code translates SDK and parser
errors into the exceptions defined here; only the CLI turns them into exit codes.

The reading helpers here (``load_json``, ``iter_json_items``, ``iter_ndjson``) open gzip
transparently, stream where the file can be large, and report errors with the file name and the
line/column or byte offset, so that every importer gives the same one-line messages.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import ijson
import orjson

from scanner.errors import SovscanError
from scanner.model import Item


class ProviderError(SovscanError):
    """Base class of every error a provider raises on purpose."""


class InventoryFormatError(ProviderError):
    """An input file that cannot be read: unknown shape, empty, truncated or corrupt."""

    def __init__(self, path: str, message: str, position: str | None = None, hint: str | None = None):
        self.path = path
        self.message = message
        self.position = position
        self.hint = hint
        where = f"{path}:{position}" if position else path
        text = f"{where}: {message}"
        if hint:
            text += f" ({hint})"
        super().__init__(text)


class CredentialsError(ProviderError):
    """Credentials are missing, expired or refused."""


class CollectionError(ProviderError):
    """Live collection failed in a way that is not a per-region/per-account gap."""


GZIP_MAGIC = b"\x1f\x8b"
HEAD_BYTES = 256 * 1024
#: Files larger than this (uncompressed size unknown for gzip: compressed size × 8) are streamed.
STREAM_THRESHOLD = 64 * 1024 * 1024


@dataclass(frozen=True)
class InputFile:
    """A file given on the command line or found in a folder."""

    path: Path
    display: str

    @property
    def gzipped(self) -> bool:
        with self.path.open("rb") as fh:
            return fh.read(2) == GZIP_MAGIC

    def open(self) -> IO[bytes]:
        """Open for reading, decompressing gzip transparently."""
        raw = self.path.open("rb")
        if raw.read(2) == GZIP_MAGIC:
            raw.seek(0)
            return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
        raw.seek(0)
        return raw

    def head(self, size: int = HEAD_BYTES) -> bytes:
        """The first ``size`` bytes after decompression.

        A gzip file cut short still yields what decompresses, so that sniffing works and the
        full read reports the byte where the data ends.
        """
        with self.path.open("rb") as raw:
            start = raw.read(2)
            if start != GZIP_MAGIC:
                return start + raw.read(max(size - 2, 0))
            raw.seek(0)
            inflater = zlib.decompressobj(wbits=31)
            out = bytearray()
            try:
                while len(out) < size:
                    chunk = raw.read(64 * 1024)
                    if not chunk:
                        break
                    out += inflater.decompress(chunk, size - len(out))
                    if inflater.eof:
                        break
            except zlib.error as exc:
                if not out:
                    raise InventoryFormatError(self.display, f"corrupt gzip data: {exc}", "byte 0",
                                               "re-download or re-export the file") from None
            return bytes(out)

    def is_large(self) -> bool:
        size = self.path.stat().st_size
        return (size * 8 if self.gzipped else size) > STREAM_THRESHOLD


@dataclass(frozen=True)
class Shape:
    """What the beginning of a file looks like, for format sniffing.

    ``container`` is ``object`` (one JSON object), ``array`` (a JSON array), ``ndjson`` (one
    object per line), ``empty`` or ``unknown``. ``keys`` are the top-level keys of an object, or
    the keys of the first element / first line. ``first`` holds the scalar values seen at that
    level (e.g. ``{"name": "//storage...", "fileVersion": "1.0"}``), and ``nested`` the keys of the
    first element of each top-level list (``{"configurationItems": {...keys}}``).
    """

    container: str
    keys: frozenset[str] = frozenset()
    first: dict[str, Any] = field(default_factory=dict)
    nested: dict[str, frozenset[str]] = field(default_factory=dict)


def peek_shape(head: bytes) -> Shape:
    """Describe the beginning of a JSON / NDJSON document from its first bytes."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    # Files of one JSON object per line sometimes start with '#' comment lines (a header written by
    # the script that made them): the first record decides the format, and the reader reports the
    # comments (``iter_ndjson``'s ``on_comment``).
    while text[:1] == b"#":
        _, sep, text = text.partition(b"\n")
        text = text.lstrip(b" \t\r\n") if sep else b""
    if not text:
        return Shape("empty")
    if text[:1] not in (b"{", b"["):
        return Shape("unknown")
    if text[:1] == b"{":
        line, sep, rest = text.partition(b"\n")
        rest = rest.lstrip(b" \t\r\n")
        while rest[:1] == b"#":  # comment lines between records (reported by the reader)
            rest = rest.partition(b"\n")[2].lstrip(b" \t\r\n")
        if sep and rest[:1] == b"{":
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                obj = None
            if isinstance(obj, dict):
                return Shape("ndjson", frozenset(obj), {k: v for k, v in obj.items() if _scalar(v)})
    container = "object" if text[:1] == b"{" else "array"
    base = "" if container == "object" else "item"
    keys: set[str] = set()
    first: dict[str, Any] = {}
    nested: dict[str, set[str]] = {}
    try:
        for prefix, event, value in ijson.parse(io.BytesIO(text)):
            if event == "map_key":
                if prefix == base:
                    keys.add(value)
                elif container == "object" and prefix.endswith(".item") and prefix.count(".") == 1:
                    nested.setdefault(prefix[:-5], set()).add(value)
            elif event in ("string", "number", "boolean", "null"):
                key = prefix if container == "object" else prefix[5:]
                if key in keys and "." not in key and key not in first:
                    first[key] = value
            elif event == "end_map" and prefix == base and container == "array":
                break
    except (ijson.JSONError, ijson.IncompleteJSONError):
        pass  # the head is cut mid-document; what was seen is enough for sniffing
    return Shape(container, frozenset(keys), first, {k: frozenset(v) for k, v in nested.items()})


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _json_error_position(exc: orjson.JSONDecodeError) -> str:
    return f"{exc.lineno}:{exc.colno}"


def load_json(inp: InputFile) -> Any:
    """Parse a whole (small) JSON document, with errors naming line and column."""
    try:
        with inp.open() as fh:
            data = fh.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise InventoryFormatError(inp.display, f"corrupt or truncated gzip data: {exc}",
                                   hint="re-download or re-export the file") from None
    if not data.strip():
        raise InventoryFormatError(inp.display, "file is empty", hint="export the inventory again")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        truncated = "EOF" in str(exc) or exc.pos >= len(data.rstrip()) - 1
        what = "truncated JSON" if truncated else f"invalid JSON: {exc.msg}"
        raise InventoryFormatError(inp.display, what, _json_error_position(exc),
                                   "the export is incomplete; export it again" if truncated
                                   else "check the file was not edited or mixed with other output") from None


class _Counting(io.RawIOBase):
    """Wraps a stream to know how many decompressed bytes were consumed (for error offsets)."""

    def __init__(self, inner: IO[bytes]):
        self.inner = inner
        self.offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.offset += n
        return n

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        self.offset += len(data)
        return data


def _syntax_error(inp: InputFile, truncated: bool, truncated_text: str, invalid_text: str, position: str,
                  invalid_hint: str) -> InventoryFormatError:
    """One message for a document cut short (export again) or malformed (say what to check)."""
    if truncated:
        return InventoryFormatError(inp.display, truncated_text, position, "the export is incomplete; export it again")
    return InventoryFormatError(inp.display, invalid_text, position, invalid_hint)


def iter_json_items(inp: InputFile, prefix: str) -> Iterator[Any]:
    """Stream the elements found at ijson ``prefix`` (e.g. ``configurationItems.item``).

    Numbers come back as ``float``/``int`` rather than ``Decimal``. Errors carry the byte offset
    (in the decompressed stream) where parsing stopped.
    """
    with inp.open() as fh:
        counter = _Counting(fh)
        try:
            yield from ijson.items(counter, prefix, use_float=True)
        except ijson.IncompleteJSONError as exc:
            raise _syntax_error(inp, "premature EOF" in str(exc), "truncated JSON",
                                f"invalid JSON: {str(exc).splitlines()[0]}", f"byte {counter.offset}",
                                "check the file was not edited or mixed with other output") from None
        except (OSError, EOFError, zlib.error) as exc:
            raise InventoryFormatError(inp.display, f"corrupt or truncated gzip data: {exc}",
                                       f"byte {counter.offset}", "re-download or re-export the file") from None


def iter_ndjson(inp: InputFile, on_comment: Callable[[int], None] | None = None) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, object)`` for each non-blank line of an NDJSON file.

    A line starting with ``#`` is a comment, which JSON does not allow: with ``on_comment`` it is
    skipped and its number passed on (for the reader to report), otherwise it is refused with a
    message naming the line.
    """
    lineno = 0
    try:
        with inp.open() as fh:
            for lineno, line in enumerate(fh, start=1):
                stripped = line.strip()
                if not stripped:
                    continue
                if stripped[:1] == b"#":
                    if on_comment is None:
                        raise InventoryFormatError(inp.display, f"line {lineno} is a comment ('#'), which JSON "
                                                   "does not allow", f"{lineno}:1",
                                                   "remove the comment lines")
                    on_comment(lineno)
                    continue
                try:
                    yield lineno, orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise _syntax_error(inp, not line.endswith(b"\n"), "truncated line",
                                        f"invalid JSON: {exc.msg}", f"{lineno}:{exc.colno}",
                                        "each line must be one JSON object") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise InventoryFormatError(inp.display, f"corrupt or truncated gzip data: {exc}",
                                   f"after line {lineno}", "re-download or re-export the file") from None


Reader = Callable[[InputFile], Iterator[Item]]


@dataclass(frozen=True)
class FileFormat:
    """An offline export format: how to recognise it and how to read it."""

    name: str  # stable id shown in ``sources[].format``, e.g. ``aws-config-snapshot``
    provider: str  # provider id, or ``multi`` for Terraform
    description: str
    sniff: Callable[[Shape], bool]
    read: Reader
