"""The source contract shared by every provider, and its small exception family.

A provider contributes *file formats* (offline exports) and, optionally, a live collector. Each
file format knows how to recognise itself from the first bytes of a file (``sniff``) and how to
turn the file into provider-neutral items (``read``). Provider code translates SDK and parser
errors into the exceptions defined here; only the CLI turns them into exit codes.

The reading helpers here (``InputFile.open``/``head``, ``load_json``, ``iter_json_items``,
``iter_ndjson``) open gzip transparently, stream where the file can be large, read within
:class:`ReadLimits` (decompressed size, compression ratio, value length, number length, nesting:
checked on the bytes before a parser sees them, so that no input can exhaust memory or time), and
report errors with the file name and the line/column or byte offset, never quoting the file's
content, so that every importer gives the same one-line messages.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import stat
import sys
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
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


class InputLimitError(InventoryFormatError):
    """An input file breaks one of the reading limits (:class:`ReadLimits`): too large, too deep…"""


class CredentialsError(ProviderError):
    """Credentials are missing, expired or refused."""


class CollectionError(ProviderError):
    """Live collection failed in a way that is not a per-region/per-account gap."""


GZIP_MAGIC = b"\x1f\x8b"
HEAD_BYTES = 256 * 1024
#: Files larger than this (decompressed, counted while reading) are streamed, never loaded whole.
STREAM_THRESHOLD = 64 * 1024 * 1024
#: The most a reader may load whole (``load_json``): four times the streaming threshold, for the
#: formats that need random access (ARM templates, one pretty-printed asset).
WHOLE_LIMIT = 4 * STREAM_THRESHOLD
MIB = 1024 * 1024
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """What one input file may make sovscan read (docs/formats.md, "Limits"; ``[limits]`` in sovscan.toml).

    Enforced while reading, before a parser sees the bytes, so that a decompression bomb or a
    hostile document is refused within seconds and in bounded memory:

    * ``max_bytes``: decompressed bytes of one file.
    * ``max_ratio``: decompressed bytes per compressed byte, checked once ``RATIO_FLOOR`` bytes
      came out of a gzip file. The sample exports compress 3 to 7 times, the benchmark's large and
      repetitive synthetic inventories 11 to 13 (gzip -9); deflate reaches about 1,030 (one
      length/distance pair, 2 bits, gives 258 bytes: https://www.zlib.net/zlib_tech.html), which
      bombs use.
    * ``max_value_bytes``: one JSON string, or one NDJSON line. ijson's C parser buffers a string
      in time that grows with the square of its length (32 MiB took 2.6 s, 512 MiB 13 minutes),
      so the default stays well below what a cloud export holds in one value.
    * ``max_number_chars``: one JSON number. Integers are exact at any size up to this length;
      converting a longer digit string costs quadratic time in CPython.
    * ``max_depth``: nesting of arrays and objects (exports nest a few dozen levels at most).
    """

    max_bytes: int = 16 * 1024 * MIB
    max_ratio: int = 200
    max_value_bytes: int = 16 * MIB
    max_number_chars: int = 20_000
    max_depth: int = 512

    def __post_init__(self) -> None:
        for name, least in _LEAST.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise ValueError(f"{name} must be an integer of at least {least:,}")


#: The smallest value of each limit. A string is measured where it crosses a read chunk, so a
#: value limit below the chunk size could not be enforced; below these, ordinary exports fail.
_LEAST = {"max_bytes": 1 << 20, "max_ratio": 10, "max_value_bytes": 1 << 20, "max_number_chars": 100,
          "max_depth": 16}


DEFAULT_LIMITS = ReadLimits()
#: The compression ratio is judged once this many bytes were decompressed (small files that
#: compress very well are harmless).
RATIO_FLOOR = 16 * MIB
_RAISE_HINT = "if the file is genuine, raise [limits] {} in sovscan.toml (docs/formats.md)"


def _open_regular(path: Path, display: str) -> IO[bytes]:
    """Open a regular file for reading, never blocking: FIFOs, devices and sockets are refused.

    ``O_NONBLOCK`` keeps ``open`` itself from waiting for a FIFO's writer; the type is checked on
    the open descriptor, so a file swapped for a device after a directory listing is still caught.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InventoryFormatError(display, f"cannot be read ({exc.strerror or type(exc).__name__})",
                                   hint="check the file exists and is readable by this user") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InventoryFormatError(display, f"not a regular file ({file_kind(mode)})",
                                       hint="give an exported file, not a device, FIFO or socket")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


def file_kind(mode: int) -> str:
    """A word for a file type, for messages about files that are skipped."""
    for test, word in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISDIR, "a folder"), (stat.S_ISREG, "a regular file")):
        if test(mode):
            return word
    return "a special file"


_NUMBER_BYTES = b"0123456789+-.eE"
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_BRACKETS = bytes.maketrans(b"{}", b"[]")
#: An escaped backslash or quote. Backslashes pair from the left, as a parser reads them, so one
#: left-to-right pass blanks the same bytes as replacing every backslash pair, then every
#: backslash-quote, with two underscores.
_ESCAPE = re.compile(rb'\\[\\"]')


@cache
def _long_run(limit: int) -> re.Pattern[bytes]:
    return re.compile(rb"[-+.eE0-9]{%d,}" % (limit + 1))


def _may_hold_run(chunk: bytes, limit: int) -> bool:
    """Whether ``chunk`` may hold more than ``limit`` number bytes in a row.

    Such a run covers a whole block of ``(limit + 1) // 2`` bytes aligned on a multiple of that
    size, and testing a block stops at its first byte that is not part of a number: a few
    operations per block instead of a regular expression over the chunk.
    """
    block = (limit + 1) // 2
    if block < 64:
        return _long_run(limit).search(chunk) is not None
    return any(not chunk[i:i + block].lstrip(_NUMBER_BYTES) for i in range(0, len(chunk) - block + 1, block))


def _outside_strings(chunk: bytes, starts_inside: bool) -> bytes:
    """The parts of a chunk (escapes blanked) that are not inside strings."""
    pieces = chunk.split(b'"')
    return b" ".join(pieces[1::2] if starts_inside else pieces[0::2])


class _JsonGuard:
    """Bounds the nesting, string length and number length of a JSON byte stream as it is read.

    A small lexer at the speed of ``bytes`` methods (no loop over bytes in Python): it only knows
    whether it is inside a string (so brackets and digits in strings do not count), how deep the
    brackets go, and how long the current string or number is. Syntax is left to the parser.
    """

    def __init__(self, limits: ReadLimits):
        self.limits = limits
        self.depth = 0
        self.in_string = False
        self.escaped = False  # the previous chunk ended inside a string with an unpaired backslash
        self.string_len = 0
        self.number_len = 0

    def feed(self, chunk: bytes) -> str | None:
        """Account for ``chunk``; return what limit it breaks, or None."""
        if self.escaped:  # the previous chunk ended inside a string on an unpaired backslash
            self.escaped, chunk = False, b"_" + chunk[1:]
        if b"\\" in chunk:
            # Escapes only occur inside strings: blank escaped backslashes, then escaped quotes
            # (same length, so string lengths stay right); every quote left opens or closes one.
            chunk = _ESCAPE.sub(b"__", chunk)
        started_inside = self.in_string
        first_quote = chunk.find(b'"')
        if first_quote < 0:
            if started_inside:
                self.string_len += len(chunk)
                self.escaped = chunk.endswith(b"\\")
                return self._too_long_string()
            return self._numbers(chunk, False, False) or self._nesting(chunk)
        if started_inside:
            self.string_len += first_quote + 1
            too_long = self._too_long_string()
            if too_long:
                return too_long
        # Only quotes and brackets matter for nesting. Dropping two adjacent quotes keeps the
        # parity of the quotes before every bracket, so strings without brackets vanish in one
        # pass; what remains (brackets in strings are rare) is split on its quotes.
        structure = chunk.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
        pieces = structure.split(b'"') if b'"' in structure else [structure]
        self.in_string ^= len(pieces) % 2 == 0  # an odd number of quotes
        if self.in_string:
            self.string_len = len(chunk) - chunk.rfind(b'"')
            self.escaped = chunk.endswith(b"\\")
        brackets = b"".join(pieces[1::2] if started_inside else pieces[0::2])
        return self._numbers(chunk, started_inside, self.in_string) or self._nesting(brackets)

    def _too_long_string(self) -> str | None:
        if self.string_len > self.limits.max_value_bytes:
            return f"a string longer than {self.limits.max_value_bytes // MIB} MiB"
        return None

    def _numbers(self, chunk: bytes, starts_inside: bool, ends_inside: bool) -> str | None:
        """Track number lengths from the runs of number bytes at the ends of the chunk; a long run
        inside it (rare: digits in a string) is checked on the chunk without its strings."""
        limit = self.limits.max_number_chars
        too_long = f"a number longer than {limit:,} characters"
        lead = 0 if starts_inside else len(chunk) - len(chunk.lstrip(_NUMBER_BYTES))
        if lead == len(chunk):
            self.number_len += lead
            return too_long if self.number_len > limit else None
        if self.number_len + lead > limit:
            return too_long
        if len(chunk) > limit and _may_hold_run(chunk, limit) and _long_run(limit).search(
                _outside_strings(chunk, starts_inside)):
            return too_long
        self.number_len = 0 if ends_inside else len(chunk) - len(chunk.rstrip(_NUMBER_BYTES))
        return None

    def _nesting(self, outside: bytes) -> str | None:
        brackets = outside.translate(_BRACKETS, _NOT_BRACKETS)
        if not brackets:
            return None
        opens = brackets.count(b"[")
        room = self.limits.max_depth - self.depth
        if opens > room:
            # An upper bound of the deepest point: pairs closed within the chunk (one pass of
            # ``replace`` per level), plus the brackets left open at the end.
            nested, rest = 0, brackets
            while b"[]" in rest:
                rest = rest.replace(b"[]", b"")
                nested += 1
                if nested > room:
                    return f"arrays or objects nested deeper than {self.limits.max_depth} levels"
            if rest.count(b"[") + nested > room:
                return f"arrays or objects nested deeper than {self.limits.max_depth} levels"
        self.depth = max(0, self.depth + 2 * opens - len(brackets))
        return None


class _BoundedReader(io.RawIOBase):
    """The decompressed bytes of a file, counted and checked against :class:`ReadLimits` as they are read.

    gzip members (one or several, as ``gzip`` concatenates them) are inflated here with ``zlib``,
    so the compressed bytes consumed are known exactly and the compression ratio is real, not a
    guess from the file size. ``tell()`` is the number of decompressed bytes delivered, which
    ``io.BufferedReader.tell()`` turns into the parser's position.
    """

    def __init__(self, raw: IO[bytes], display: str, limits: ReadLimits, json_guard: bool = True):
        self.raw = raw
        self.display = display
        self.limits = limits
        self.compressed = 0
        self.produced = 0
        self.guard = _JsonGuard(limits) if json_guard else None
        start = raw.read(2)
        self.gzip = start == GZIP_MAGIC
        self.compressed += len(start)
        self._pending = start
        self._inflater: Any = zlib.decompressobj(wbits=31) if self.gzip else None
        self._member_open = self.gzip

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.produced

    def close(self) -> None:
        if not self.closed:
            self.raw.close()
        super().close()

    def readinto(self, buffer: Any) -> int:
        # At most one chunk at a time: the guard measures a string where it crosses a chunk, so no
        # chunk may be longer than the value limit's minimum (a whole-file read comes in pieces).
        size = min(len(buffer), _CHUNK)
        data = self._inflate(size) if self.gzip else self._plain(size)
        n = len(data)
        if n:
            self._check(data)
            buffer[:n] = data
        return n

    def _plain(self, size: int) -> bytes:
        if self._pending:
            data, self._pending = self._pending[:size], self._pending[size:]
            return data
        data = self.raw.read(size)
        self.compressed += len(data)
        return data

    def _inflate(self, size: int) -> bytes:
        while True:
            if self._pending:
                data, self._pending = self._pending, b""
            else:
                data = self.raw.read(_CHUNK)
                self.compressed += len(data)
                if not data:
                    if self._member_open:
                        raise self._error("gzip data is truncated (the file was cut short)",
                                          "re-download or re-export the file")
                    return b""
            if not self._member_open:
                # Between members: gzip allows zero padding, then another member or the end.
                data = data.lstrip(b"\x00")
                if not data:
                    continue
                if len(data) < 2:
                    more = self.raw.read(1)
                    self.compressed += len(more)
                    data += more
                if not data.startswith(GZIP_MAGIC):
                    raise self._error("unexpected data after the end of the gzip stream",
                                      "re-download or re-export the file")
                self._inflater = zlib.decompressobj(wbits=31)
                self._member_open = True
            try:
                out: bytes = self._inflater.decompress(data, size)
            except zlib.error:
                raise self._error("corrupt gzip data", "re-download or re-export the file") from None
            if self._inflater.eof:
                self._member_open = False
                self._pending = self._inflater.unused_data
            else:
                self._pending = self._inflater.unconsumed_tail
            if out:
                return out

    def _check(self, data: bytes) -> None:
        self.produced += len(data)
        lim = self.limits
        if self.produced > lim.max_bytes:
            raise self._limit(f"more than {lim.max_bytes // MIB:,} MiB of data (decompressed)", "max_bytes")
        if self.gzip and self.produced > RATIO_FLOOR and self.produced > lim.max_ratio * self.compressed:
            raise self._limit(f"gzip data expands more than {lim.max_ratio} times (a decompression bomb?)",
                              "max_ratio")
        if self.guard is not None:
            broken = self.guard.feed(data)
            if broken is not None:
                name = ("max_depth" if "nested" in broken else
                        "max_number_chars" if "number" in broken else "max_value_bytes")
                raise self._limit(broken, name)

    def _error(self, message: str, hint: str) -> InventoryFormatError:
        return InventoryFormatError(self.display, message, f"byte {self.produced}", hint)

    def _limit(self, message: str, name: str) -> InputLimitError:
        return InputLimitError(self.display, message, f"byte {self.produced}", _RAISE_HINT.format(name))


@dataclass(frozen=True)
class InputFile:
    """A file given on the command line or found in a folder, and the limits to read it with."""

    path: Path
    display: str
    limits: ReadLimits = DEFAULT_LIMITS
    _large: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    @property
    def gzipped(self) -> bool:
        with _open_regular(self.path, self.display) as fh:
            return fh.read(2) == GZIP_MAGIC

    def open(self) -> IO[bytes]:
        """Open for reading, decompressing gzip transparently, within :attr:`limits`.

        Reads raise :class:`InventoryFormatError` when the data breaks a limit or the gzip stream
        is corrupt, with the decompressed byte offset as position.
        """
        return io.BufferedReader(self._bounded(), _CHUNK)

    def _bounded(self, json_guard: bool = True) -> _BoundedReader:
        raw = _open_regular(self.path, self.display)
        try:
            return _BoundedReader(raw, self.display, self.limits, json_guard)
        except BaseException:
            raw.close()
            raise

    def head(self, size: int = HEAD_BYTES) -> bytes:
        """The first ``size`` bytes after decompression.

        A gzip file cut short still yields what decompresses, so that sniffing works and the
        full read reports the byte where the data ends.
        """
        with self._bounded(json_guard=False) as reader:
            out = bytearray()
            try:
                while len(out) < size:
                    chunk = reader.read(size - len(out))
                    if not chunk:
                        break
                    out += chunk
            except InventoryFormatError:
                if not out:
                    raise
            return bytes(out)

    def is_large(self) -> bool:
        """Whether the decompressed data exceeds :data:`STREAM_THRESHOLD` (counted, for gzip)."""
        known = self._large.get("large")
        if known is not None:
            return known
        with self._bounded(json_guard=False) as reader:
            if not reader.gzip:
                large = os.fstat(reader.raw.fileno()).st_size > STREAM_THRESHOLD
            else:
                seen = 0
                try:
                    while seen <= STREAM_THRESHOLD:
                        chunk = reader.read(_CHUNK)
                        if not chunk:
                            break
                        seen += len(chunk)
                except InputLimitError:
                    raise
                except InventoryFormatError:
                    pass  # corrupt or cut short: the full read reports it with its position
                large = seen > STREAM_THRESHOLD
        self._large["large"] = large
        return large


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
        lines = _ndjson_shape(text)
        if lines is not None:
            return lines
    return _document_shape(text)


def _ndjson_shape(text: bytes) -> Shape | None:
    """The shape of one object per line, when the first line is a whole object and another follows."""
    line, sep, rest = text.partition(b"\n")
    rest = rest.lstrip(b" \t\r\n")
    while rest[:1] == b"#":  # comment lines between records (reported by the reader)
        rest = rest.partition(b"\n")[2].lstrip(b" \t\r\n")
    if not (sep and rest[:1] == b"{"):
        return None
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(obj, dict):
        return None
    return Shape("ndjson", frozenset(obj), {k: v for k, v in obj.items() if _scalar(v)})


def _document_shape(text: bytes) -> Shape:
    """The shape of one JSON object or array, from the parser's events over the head."""
    container = "object" if text[:1] == b"{" else "array"
    base = "" if container == "object" else "item"
    keys: set[str] = set()
    first: dict[str, Any] = {}
    nested: dict[str, set[str]] = {}
    for prefix, event, value in shallow_events(text):
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
    return Shape(container, frozenset(keys), first, {k: frozenset(v) for k, v in nested.items()})


#: Prefix given to events deeper than sniffing looks: it matches no key and holds dots.
_DEEP = ".\x00deep."
_SHALLOW = 3


def shallow_events(head: bytes, max_depth: int = DEFAULT_LIMITS.max_depth) -> Iterator[tuple[str, str, Any]]:
    """``ijson.parse``-like ``(prefix, event, value)`` events of the first bytes of a document.

    Unlike ``ijson.parse``, memory does not grow with nesting (prefixes are only built for the
    first levels, which sniffing reads, where ijson builds each event's full prefix), events stop
    at ``max_depth`` levels, numbers of any size are read (integers exactly), and the events
    simply end where the head is cut or stops being valid JSON: what was seen is what sniffing
    can tell.
    """
    yielded = 0
    try:
        for event in _shallow_events(head, max_depth, exact=False):
            yielded += 1
            yield event
    except _IntegerOverflow:
        # yajl reads integers as 64-bit; one beyond: read again with exact numbers (the head is a
        # few hundred KiB, so each conversion is bounded), continuing where the first pass stopped.
        for n, event in enumerate(_shallow_events(head, max_depth, exact=True)):
            if n >= yielded:
                yield event


class _IntegerOverflow(Exception):
    """yajl's fast integer parsing stopped at an integer beyond 64 bits."""


def _shallow_events(head: bytes, max_depth: int, exact: bool) -> Iterator[tuple[str, str, Any]]:
    path: list[str] = []
    events = ijson.basic_parse(io.BytesIO(head), use_float=not exact)
    try:
        while True:
            try:
                if exact:
                    with _exact_integers():
                        event, value = next(events)
                else:
                    event, value = next(events)
            except StopIteration:
                return
            depth = len(path)
            if event == "map_key":
                prefix = ".".join(path[:-1]) if depth <= _SHALLOW else _DEEP
                path[-1] = value if depth <= _SHALLOW else ""
            elif event in ("start_map", "start_array"):
                prefix = ".".join(path) if depth <= _SHALLOW else _DEEP
                if depth >= max_depth:
                    return
                path.append("" if event == "start_map" else "item")
            elif event in ("end_map", "end_array"):
                path.pop()
                prefix = ".".join(path) if depth - 1 <= _SHALLOW else _DEEP
            else:
                prefix = ".".join(path) if depth <= _SHALLOW else _DEEP
                if isinstance(value, Decimal):
                    value = float(value)
            yield prefix, event, value
    except (ijson.JSONError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        if not exact and _yajl_reason(exc) == "integer overflow":
            raise _IntegerOverflow from None
        return  # the head is cut mid-document, or is not valid JSON: stop at what was seen


@contextmanager
def _exact_integers() -> Iterator[None]:
    """Let the parser convert integers of any length (CPython refuses more than 4,300 digits by default).

    Only around the parser's own conversions: the number-length limit of the reading guard bounds
    their cost, and every other conversion in the process keeps CPython's protection. Without it
    ijson's C parser, given a longer integer, crashes the interpreter (it does not check the error).
    """
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(old)


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


#: The messages of yajl (ijson's C parser) as they start: "parse error: premature EOF",
#: "lexical error: invalid char in json text." Their further lines quote the document around the
#: error, and for bytes the whole message is one ``repr`` line: only these words are ever shown.
_YAJL_REASON = re.compile(r"^(?:b['\"])?((?:lexical|parse) error: [a-z0-9 ,()'-]{1,80}?)\.?(?:\\n|\n|$)", re.I)


def _yajl_reason(exc: BaseException) -> str:
    """What went wrong in a parser error, in the parser's words, never quoting the document."""
    if isinstance(exc, UnicodeDecodeError):
        return "invalid UTF-8 text"
    m = _YAJL_REASON.match(str(exc))
    if m is None:
        return "invalid JSON"
    reason = m.group(1).split(": ", 1)[1]
    return reason


def json_error_reason(exc: BaseException) -> str:
    """A short description of a JSON parser error that never quotes the document.

    ijson's messages show the bytes around a bad byte (a password next to an invalid byte would
    be printed, logged and stored); orjson's ``msg`` names the problem only. Importers that parse
    with ijson themselves use this for their messages.
    """
    if isinstance(exc, orjson.JSONDecodeError):
        return exc.msg
    return _yajl_reason(exc)


def _position(exc: json.JSONDecodeError) -> str:
    return f"{exc.lineno}:{exc.colno}"


def _tidy(value: Any) -> Any:
    """Numbers as ``int``/``float`` (not ``Decimal``) and text that can be written out.

    Used where a slower, exact parser had to read a document: float overflow is refused as the
    fast parsers refuse it, and lone surrogates (which JSON escapes can spell, and which cannot be
    encoded on output) are refused too.
    """
    if isinstance(value, dict):
        return {_tidy(k): _tidy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    if isinstance(value, Decimal):
        number = float(value)
        if not math.isfinite(number):
            raise _BadValue("a number too large for a double-precision float")
        return number
    if isinstance(value, str) and _SURROGATE.search(value):
        raise _BadValue("text with a lone surrogate (not valid Unicode)")
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")


class _BadValue(ValueError):
    """A value the fast parsers would have refused (see :func:`_tidy`)."""


def _refuse_constant(name: str) -> Any:
    raise _BadValue(f"{name} is not a JSON number")


def _exact_loads(text: bytes | str) -> Any:
    """Parse a document whose integers do not fit 64 bits (orjson makes them infinite floats)."""
    with _exact_integers():
        return _tidy(json.loads(text, parse_constant=_refuse_constant))


def _integer_at(data: bytes, pos: int) -> bool:
    """Whether the number orjson stopped at (``pos``) is an integer (digits, maybe a sign)."""
    m = re.match(rb"-?[0-9]+", data[pos:pos + 32])
    return m is not None and data[pos + m.end():pos + m.end() + 1] not in (b".", b"e", b"E")


def _loads(data: bytes) -> Any:
    """orjson, or an exact parser for integers beyond 64 bits; errors as ``JSONDecodeError``/``_BadValue``."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if exc.msg.startswith("number is infinity") and _integer_at(data, exc.pos):
            return _exact_loads(data)
        raise


def load_json(inp: InputFile) -> Any:
    """Parse a whole JSON document (at most :data:`WHOLE_LIMIT` bytes), with errors naming line and column."""
    with inp.open() as fh:
        data = fh.read(WHOLE_LIMIT + 1)
    if len(data) > WHOLE_LIMIT:
        raise InputLimitError(inp.display, f"too large to be read whole (more than {WHOLE_LIMIT // MIB} MiB)",
                              hint="this format is read whole; split the export")
    if not data.strip():
        raise InventoryFormatError(inp.display, "file is empty", hint="export the inventory again")
    try:
        return _loads(data)
    except json.JSONDecodeError as exc:  # orjson's JSONDecodeError is one
        truncated = "EOF" in exc.msg or exc.pos >= len(data.rstrip()) - 1
        what = "truncated JSON" if truncated else f"invalid JSON: {exc.msg}"
        raise InventoryFormatError(inp.display, what, _position(exc),
                                   "the export is incomplete; export it again" if truncated
                                   else "check the file was not edited or mixed with other output") from None
    except _BadValue as exc:
        raise InventoryFormatError(inp.display, f"invalid JSON: {exc}",
                                   hint="check the file was not edited or mixed with other output") from None


def _syntax_error(inp: InputFile, truncated: bool, truncated_text: str, invalid_text: str, position: str,
                  invalid_hint: str) -> InventoryFormatError:
    """One message for a document cut short (export again) or malformed (say what to check)."""
    if truncated:
        return InventoryFormatError(inp.display, truncated_text, position, "the export is incomplete; export it again")
    return InventoryFormatError(inp.display, invalid_text, position, invalid_hint)


def iter_json_items(inp: InputFile, prefix: str) -> Iterator[Any]:
    """Stream the elements found at ijson ``prefix`` (e.g. ``configurationItems.item``).

    Numbers come back as ``float``/``int`` rather than ``Decimal``. The fast pass reads integers
    as 64-bit (yajl); when one does not fit, the file is read again with exact integers from the
    element where the fast pass stopped. Errors carry the byte offset (in the decompressed stream)
    where parsing stopped, and never quote the document.
    """
    done = 0
    try:
        for item in _items(inp, prefix, exact=False):
            done += 1
            yield item
    except _IntegerOverflow:
        for n, item in enumerate(_items(inp, prefix, exact=True)):
            if n >= done:
                yield item


def _items(inp: InputFile, prefix: str, exact: bool) -> Iterator[Any]:
    with inp.open() as fh:
        items = ijson.items(fh, prefix, use_float=not exact)
        try:
            while True:
                try:
                    if exact:
                        with _exact_integers():
                            item = next(items)
                        item = _tidy(item)
                    else:
                        item = next(items)
                except StopIteration:
                    return
                yield item
        except _BadValue as exc:
            raise InventoryFormatError(inp.display, f"invalid JSON: {exc}", f"byte {fh.tell()}",
                                       "check the file was not edited or mixed with other output") from None
        except (ijson.JSONError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
            reason = _yajl_reason(exc)
            if reason == "integer overflow" and not exact:
                raise _IntegerOverflow from None
            raise _syntax_error(inp, reason == "premature EOF", "truncated JSON", f"invalid JSON: {reason}",
                                f"byte {fh.tell()}",
                                "check the file was not edited or mixed with other output") from None


def iter_ndjson(inp: InputFile, on_comment: Callable[[int], None] | None = None) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, object)`` for each non-blank line of an NDJSON file.

    Lines are read up to ``limits.max_value_bytes``: a longer line is refused, never held whole. A
    line starting with ``#`` is a comment, which JSON does not allow: with ``on_comment`` it is
    skipped and its number passed on (for the reader to report), otherwise it is refused with a
    message naming the line.
    """
    longest = inp.limits.max_value_bytes
    lineno = 0
    with inp.open() as fh:
        while True:
            line = fh.readline(longest + 1)
            if not line:
                return
            lineno += 1
            if len(line) > longest:
                raise InputLimitError(inp.display, f"a line longer than {longest // MIB} MiB", f"line {lineno}",
                                      _RAISE_HINT.format("max_value_bytes"))
            stripped = line.strip()
            if not stripped:
                continue
            if stripped[:1] == b"#":
                if on_comment is None:
                    raise InventoryFormatError(inp.display, f"line {lineno} is a comment ('#'), which JSON "
                                               "does not allow", f"{lineno}:1", "remove the comment lines")
                on_comment(lineno)
                continue
            try:
                obj = _loads(line)
            except json.JSONDecodeError as exc:
                raise _syntax_error(inp, not line.endswith(b"\n"), "truncated line",
                                    f"invalid JSON: {exc.msg}", f"{lineno}:{exc.colno}",
                                    "each line must be one JSON object") from None
            except _BadValue as exc:
                raise InventoryFormatError(inp.display, f"invalid JSON: {exc}", f"line {lineno}",
                                           "each line must be one JSON object") from None
            yield lineno, obj


Reader = Callable[[InputFile], Iterator[Item]]


@dataclass(frozen=True)
class FileFormat:
    """An offline export format: how to recognise it and how to read it."""

    name: str  # stable id shown in ``sources[].format``, e.g. ``aws-config-snapshot``
    provider: str  # provider id, or ``multi`` for Terraform
    description: str
    sniff: Callable[[Shape], bool]
    read: Reader
