"""The saved-inventory format: what a live collection gathered, for people who have no credentials.

``sovscan run --provider … --export-inventory FILE`` writes gzip-compressed NDJSON, version 2:

- line 1, the header: ``{"sovscan_inventory": 2, "provider": "aws", "collected_at": ISO-8601,
  "tool_version": …, "source": "live:aws:<collected_at>", "scope": {…options given, secrets left
  out…}}``;
- then one line per item, in collection order: ``{"kind": KIND, "record": {…}}`` for a raw record
  (the cloud's own shape: an AWS Config configuration item, an Azure Resource Graph row, a Cloud
  Asset…, reduced to the fields the analysis reads), ``{"account": {"id", "provider", "name",
  "parent"}}``, or ``{"gap": {"source", "message", "reason"}}``;
- last line, the trailer: ``{"end": {"records": N, "accounts": N, "gaps": N, "complete": true}}``
  after a collection that ran to its end, or ``"complete": false, "reason": "…"`` after one that
  was interrupted (Ctrl-C) or failed. The file is written under a temporary name and renamed when
  the trailer is written, so a process killed outright leaves no file at all.

Reading it back: a file without a trailer, or whose trailer does not match what was read, is
refused; a ``complete: false`` file is read, with a gap of reason ``interrupted`` that makes the
result incomplete (``--strict`` exits 3). Records go through the very transforms the live run
used, in the same order, so the resources, flows and coverage are those of the live run.

What is written (and what a live run itself keeps): each provider declares, per raw-record kind, the
fields its transform reads (``EXPORT_FIELDS`` of its ``fields`` module, an allowlist per resource
type, see :func:`keep`); everything else is dropped as it is collected, so CloudFront origin
headers, environment variables and the like are never kept. Tag values whose key looks like a
secret (``password``, ``secret``, ``token``, ``key``, ``credential``…) are replaced by
``[redacted]`` (:func:`redact_tags`). The external id of ``--org-accounts`` never reaches the header.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import itertools
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import orjson

from providers.base import FileFormat, InputFile, InventoryFormatError, Shape, iter_ndjson
from providers.live import RawRecord
from providers.registry import raw_transforms, registry
from scanner import __version__
from scanner.model import Account, Gap, Item

FORMAT_VERSION = 2
#: Versions this sovscan reads. Version 1 files always had an end line, even after a failure.
READABLE_VERSIONS = frozenset({1, 2})
FORMAT_NAME = "sovscan-inventory"

# --- what is kept -------------------------------------------------------------------------------------

#: A field allowlist: key (matched case-insensitively) → ``True`` (keep the value whole),
#: :data:`TAGS` (keep it as tags, secret-looking values redacted) or the allowlist of the value
#: (lists are walked element by element, positions kept). ``"*"`` matches any key (maps keyed by
#: ids), ``"**"`` the allowlist's keys at any depth below.
Spec = Mapping[str, Any]
TAGS = "tags"

REDACTED = "[redacted]"
WITHHELD = "[withheld]"
#: Tag keys whose values are withheld: keys holding one of these (separators and case ignored:
#: ``DB_PASSWORD``, ``x-auth-token``, ``ApiKey``)…
SECRET_PARTS = ("password", "passwd", "passphrase", "secret", "token", "credential", "apikey", "accesskey",
                "privatekey", "secretkey", "authkey", "connectionstring", "signature")
#: …or one of these as a word of their own (``kms-key``, ``SshKey``, ``pwd``; not ``monkey``, ``keyvault``).
SECRET_WORDS = frozenset({"key", "keys", "pwd", "pass", "cred", "creds", "auth", "sig", "private"})
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_WORD = re.compile(r"[a-z0-9]+")


def is_secret_tag(key: object) -> bool:
    """Whether a tag key looks like it names a secret, so that its value must not be kept."""
    if not isinstance(key, str):
        return False
    flat = "".join(_WORD.findall(key.lower()))
    if any(part in flat for part in SECRET_PARTS):
        return True
    return any(word in SECRET_WORDS for word in _WORD.findall(_CAMEL.sub(r"\1 \2", key).lower()))


def redact_tags(value: Any) -> Any:
    """Tags in any of the shapes clouds use, with the values of secret-looking keys replaced.

    Shapes: ``{k: v}``; ``[{"Key"|"key"|"name": k, "Value"|"value": v}]``; ``[{"tag": "k=v"}]``
    (AWS Config advanced query); ``["k=v"]``; a JSON string of any of those.
    """
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            decoded = orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
        return orjson.dumps(redact_tags(decoded)).decode()
    if isinstance(value, Mapping):
        return {k: REDACTED if is_secret_tag(k) and v not in (None, "") else v for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_tag_entry(entry) for entry in value]
    return value


def _redact_tag_entry(entry: Any) -> Any:
    if isinstance(entry, str):
        key, sep, _ = entry.partition("=")
        return f"{key}={REDACTED}" if sep and is_secret_tag(key) else entry
    if not isinstance(entry, Mapping):
        return entry
    out = dict(entry)
    tag_key = next((entry[k] for k in ("Key", "key", "name") if k in entry), None)
    if is_secret_tag(tag_key):
        for name in ("Value", "value"):
            if out.get(name) not in (None, ""):
                out[name] = REDACTED
    tag = entry.get("tag")
    if isinstance(tag, str):
        out["tag"] = _redact_tag_entry(tag)
    return out


def keep(value: Any, spec: Spec | bool | str) -> Any:
    """``value`` reduced to the fields of ``spec`` (see :data:`Spec`)."""
    if spec is True:
        return value
    if spec == TAGS:
        return redact_tags(value)
    if not isinstance(spec, Mapping):
        return None
    if isinstance(value, list):
        return [keep(v, spec) for v in value]
    if isinstance(value, str):
        # JSON kept in a string (AWS Config advanced query, URL-encoded IAM documents): filtered
        # the same way when it decodes; other text is withheld, but stays text (a transform may
        # report that an export flattened an object to text).
        from providers.common import maybe_json

        decoded = maybe_json(value)
        return orjson.dumps(keep(decoded, spec)).decode() if isinstance(decoded, dict | list) else WITHHELD
    if not isinstance(value, Mapping):
        return value
    lowered = {str(k).lower(): sub for k, sub in spec.items()}
    deep = lowered.get("**")
    deep_keys = {str(k).lower(): sub for k, sub in deep.items()} if isinstance(deep, Mapping) else {}
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = str(key).lower()
        sub = lowered.get(name, lowered.get("*"))
        if sub is None and deep_keys:
            sub = deep_keys.get(name)
            if sub is None and isinstance(item, dict | list):
                below = keep(item, {"**": deep})
                if _holds_something(below):
                    out[key] = below
                continue
        if sub is not None:
            out[key] = keep(item, sub)
    return out


def _holds_something(value: Any) -> bool:
    if isinstance(value, dict):
        return bool(value)
    if isinstance(value, list):
        return any(_holds_something(v) for v in value)
    return value is not None


Minimizer = Callable[[Mapping[str, Any]], dict[str, Any]]


def minimizers() -> dict[str, Minimizer]:
    """Every provider's ``EXPORT_FIELDS``: raw kind → the function that keeps what is needed."""
    import importlib

    out: dict[str, Minimizer] = {}
    for p in registry().providers:
        if p.export_fields is not None:
            for kind, fn in importlib.import_module(p.export_fields).EXPORT_FIELDS.items():
                out.setdefault(kind, fn)
    return out


def minimize(stream: Iterable[RawRecord | Account | Gap]) -> Iterator[RawRecord | Account | Gap]:
    """The collected items with each raw record reduced to what the analysis reads, tags redacted."""
    fns = minimizers()
    for item in stream:
        if isinstance(item, RawRecord):
            fn = fns.get(item.kind)
            if fn is not None:
                item = RawRecord(item.kind, fn(item.record))
        yield item


# --- writing ------------------------------------------------------------------------------------------

class InventoryWriter:
    """Streams a collection into a saved-inventory file, renamed into place when it ends.

    :meth:`finish` writes the trailer of a complete collection; :meth:`abort` that of an interrupted
    or failed one (``complete: false`` and the reason). Until one of them is called the file only
    exists under a temporary name in the same folder.
    """

    def __init__(self, path: Path, provider: str, scope: Mapping[str, Any]):
        self.path = path
        self.collected_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        self.source = f"live:{provider}:{self.collected_at}"
        self._partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        try:
            raw: IO[bytes] = open(self._partial, "wb")  # noqa: SIM115 - closed in _end()
        except OSError as exc:
            from scanner.errors import OutputError

            raise OutputError(f"{path}: cannot write the saved inventory ({exc.strerror})") from None
        self._fh = gzip.GzipFile(fileobj=raw, mode="wb", filename=path.name)
        self._raw = raw
        self.counts = {"records": 0, "accounts": 0, "gaps": 0}
        self.closed = False
        self._line({"sovscan_inventory": FORMAT_VERSION, "provider": provider, "collected_at": self.collected_at,
                    "tool_version": __version__, "source": self.source, "scope": dict(scope)})

    def _line(self, obj: Mapping[str, Any]) -> None:
        self._fh.write(orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS) + b"\n")

    def write(self, item: RawRecord | Account | Gap) -> None:
        if isinstance(item, RawRecord):
            self._line({"kind": item.kind, "record": item.record})
            self.counts["records"] += 1
        elif isinstance(item, Account):
            self._line({"account": {"id": item.id, "provider": item.provider, "name": item.name,
                                    "parent": item.parent}})
            self.counts["accounts"] += 1
        else:
            self._line({"gap": {"source": item.source, "message": item.message, "reason": item.reason}})
            self.counts["gaps"] += 1

    def finish(self) -> None:
        """The collection ran to its end: write the trailer ``complete: true`` and put the file in place."""
        self._end({**self.counts, "complete": True})

    def abort(self, reason: str) -> None:
        """The collection stopped early: write ``complete: false`` with the reason, put the file in place."""
        self._end({**self.counts, "complete": False, "reason": reason})

    def _end(self, trailer: Mapping[str, Any]) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self._line({"end": trailer})
            self._fh.close()
            self._raw.flush()
            os.fsync(self._raw.fileno())
            self._raw.close()
            os.replace(self._partial, self.path)
        except OSError as exc:
            self._raw.close()
            self._partial.unlink(missing_ok=True)
            from scanner.errors import OutputError

            raise OutputError(f"{self.path}: cannot write the saved inventory ({exc.strerror})") from None


# --- reading ------------------------------------------------------------------------------------------

def transform_stream(stream: Iterable[RawRecord | Account | Gap], source: str) -> Iterator[Item]:
    """Turn collected items into provider-neutral items: runs of raw records of one kind go, in order,
    through that kind's transform; accounts and gaps pass through."""
    transforms = raw_transforms()

    def key(item: RawRecord | Account | Gap) -> str:
        return item.kind if isinstance(item, RawRecord) else ""

    for kind, group in itertools.groupby(stream, key=key):
        if not kind:
            # Accounts are attributed to the collection as a whole, live or re-read.
            yield from (dataclasses.replace(item, source=source) if isinstance(item, Account) else item
                        for item in group if not isinstance(item, RawRecord))
            continue
        transform = transforms.get(kind)
        if transform is None:
            raise InventoryFormatError(source, f"unknown raw record kind {kind!r}",
                                       hint="the file was written by a newer sovscan or a provider plugin that "
                                            "is not installed")
        yield from transform((rec.record for rec in group if isinstance(rec, RawRecord)), source)


def _sniff(shape: Shape) -> bool:
    return shape.container in ("ndjson", "object") and "sovscan_inventory" in shape.keys


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class _Reader:
    """One saved inventory, read line by line with each line's shape checked."""

    def __init__(self, inp: InputFile):
        self.inp = inp
        self.trailer: dict[str, Any] | None = None
        self.counts = {"records": 0, "accounts": 0, "gaps": 0}
        self.last_line = 1

    def bad(self, lineno: int, what: str) -> InventoryFormatError:
        return InventoryFormatError(self.inp.display, what, f"{lineno}:1",
                                    "the saved inventory was altered; collect again")

    def items(self, lines: Iterator[tuple[int, Any]], source: str) -> Iterator[RawRecord | Account | Gap]:
        for lineno, obj in lines:
            self.last_line = lineno
            if self.trailer is not None:
                raise self.bad(lineno, "line after the end line")
            if not isinstance(obj, dict) or len(obj) != (2 if "kind" in obj else 1):
                raise self.bad(lineno, "expected one JSON object per line: a record, an account, a gap or the end")
            yield from self._one(lineno, obj, source)

    def _one(self, lineno: int, obj: dict[str, Any], source: str) -> Iterator[RawRecord | Account | Gap]:
        if "kind" in obj:
            record = obj.get("record")
            if not isinstance(obj["kind"], str) or not isinstance(record, dict):
                raise self.bad(lineno, "a record line needs a string 'kind' and an object 'record'")
            self.counts["records"] += 1
            yield RawRecord(obj["kind"], record)
        elif "account" in obj:
            acct = obj["account"]
            if not isinstance(acct, dict) or not isinstance(acct.get("id"), str) \
                    or not isinstance(acct.get("provider"), str):
                raise self.bad(lineno, "an account line needs an object with string 'id' and 'provider'")
            self.counts["accounts"] += 1
            yield Account(acct["id"], acct["provider"], _str_or_none(acct.get("name")),
                          _str_or_none(acct.get("parent")), source)
        elif "gap" in obj:
            gap = obj["gap"]
            if not isinstance(gap, dict) or not all(isinstance(gap.get(k), str) for k in ("source", "message")):
                raise self.bad(lineno, "a gap line needs an object with string 'source' and 'message'")
            self.counts["gaps"] += 1
            yield Gap(gap["source"], gap["message"], _str_or_none(gap.get("reason")) or "warning")
        elif "end" in obj:
            end = obj["end"]
            if not isinstance(end, dict):
                raise self.bad(lineno, "the end line needs an object")
            self.trailer = end
        else:
            raise self.bad(lineno, f"unknown line with key {next(iter(obj))[:40]!r}")

    def check_end(self, version: int, source: str) -> Iterator[Gap]:
        trailer = self.trailer
        if trailer is None:
            raise InventoryFormatError(self.inp.display, "saved inventory is incomplete (no end line)",
                                       f"after line {self.last_line}",
                                       "the collection was interrupted before it could mark the file; collect again")
        for name, count in self.counts.items():
            if trailer.get(name) != count:
                raise InventoryFormatError(self.inp.display, f"the end line counts {trailer.get(name)!r} {name}, "
                                           f"the file holds {count}", f"{self.last_line}:1",
                                           "the saved inventory was cut or altered; collect again")
        if version == 1:
            yield Gap(source, "saved inventory written by an earlier sovscan, which did not record whether the "
                              "collection ran to its end; collect again to be sure it is complete", "warning")
        elif trailer.get("complete") is not True:
            reason = trailer.get("reason")
            why = reason if isinstance(reason, str) and reason else "no reason recorded"
            yield Gap(source, f"saved inventory is incomplete: the collection stopped early ({why[:300]}); "
                              f"{self.counts['records']} record(s) were saved before it stopped", "interrupted")


def _read(inp: InputFile) -> Iterator[Item]:
    lines = iter_ndjson(inp)
    first = next(lines, None)
    if first is None:
        raise InventoryFormatError(inp.display, "file is empty", hint="export the inventory again")
    _, header = first
    version = header.get("sovscan_inventory") if isinstance(header, dict) else None
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        raise InventoryFormatError(inp.display, f"saved-inventory version {version!r} is not supported", "1:1",
                                   f"this sovscan reads versions {', '.join(map(str, sorted(READABLE_VERSIONS)))}")
    assert isinstance(header, dict)
    source = str(header.get("source") or inp.display)
    reader = _Reader(inp)
    yield from transform_stream(reader.items(lines, source), source)
    yield from reader.check_end(version, source)


FORMATS = (FileFormat(FORMAT_NAME, "multi", "inventory saved by sovscan run --export-inventory (gzip NDJSON)",
                      _sniff, _read),)
