"""Reading hostile files: bounded decompression, bounded nesting and values, numbers of any size, no content in errors.

Each test names the crash, bomb or leak it guards against. The 1 GiB bomb measured with its time
and memory is the slow test at the end.
"""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from providers.base import (
    DEFAULT_LIMITS,
    MIB,
    InputFile,
    InputLimitError,
    InventoryFormatError,
    ReadLimits,
    _JsonGuard,
    iter_json_items,
    iter_ndjson,
    load_json,
    peek_shape,
    shallow_events,
)
from scanner.cli import app
from scanner.inventory import load_inventory

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

STATE_HEAD = b'{"version": 4, "terraform_version": "1.9.0", "serial": 3, "lineage": "x", "outputs": {}, "resources": ['
BUCKET = (b'{"mode": "managed", "type": "aws_s3_bucket", "name": "b", '
          b'"provider": "provider[\\"registry.terraform.io/hashicorp/aws\\"]", '
          b'"instances": [{"attributes": {"bucket": "b%d", "region": "eu-west-3"%s}}]}')


def _state(*extra: bytes) -> bytes:
    """A Terraform state with one bucket per ``extra`` attribute text."""
    return STATE_HEAD + b",".join(BUCKET % (n, e) for n, e in enumerate(extra)) + b"]}"


def _gzip(path: Path, pieces: Iterator[bytes]) -> Path:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    with path.open("wb") as fh:
        for piece in pieces:
            fh.write(packer.compress(piece))
        fh.write(packer.flush())
    return path


def _repeat(block: bytes, total: int) -> Iterator[bytes]:
    for _ in range(total // len(block)):
        yield block


def _error(args: list[str]) -> str:
    r = runner.invoke(app, args)
    assert r.exit_code == 2, (r.exit_code, r.stdout, r.stderr)
    errors = [line for line in r.stderr.splitlines() if line.startswith("sovscan: error: ")]
    assert len(errors) == 1 and "Traceback" not in r.stderr, r.stderr
    return errors[0]


# --------------------------------------------------------------------------- decompression


def test_a_gzip_bomb_is_refused_by_its_ratio_after_16_mib(tmp_path: Path) -> None:
    # 64 MiB of spaces inside a Terraform state, about 64 KiB compressed: the 16 MiB floor is passed
    # with a ratio near 1,000, far above any export's.
    bomb = _gzip(tmp_path / "state.tfstate.gz",
                 iter([STATE_HEAD, *_repeat(b" " * MIB, 64 * MIB), b"]}"]))
    assert bomb.stat().st_size < 200_000
    started = time.monotonic()
    line = _error(["run", "-i", str(bomb), "--format", "json"])
    assert time.monotonic() - started < 5
    assert "gzip data expands more than 200 times" in line and "max_ratio" in line


def test_the_ratio_limit_is_overridable_in_sovscan_toml(tmp_path: Path) -> None:
    bomb = _gzip(tmp_path / "x.json.gz", iter([b'{"Accounts": [', *_repeat(b" " * MIB, 20 * MIB), b"]}"]))
    (tmp_path / "sovscan.toml").write_text('[limits]\nmax_ratio = 100000\nmax_bytes = "18 MiB"\n')
    line = _error(["run", "-i", str(bomb), "--config", str(tmp_path / "sovscan.toml"), "--format", "json"])
    assert "more than 18 MiB of data (decompressed)" in line and "max_bytes" in line


def test_real_accounting_decides_what_is_streamed(tmp_path: Path) -> None:
    # A gzip file's size says nothing about its content: 70 MiB of data in about 70 KiB is large,
    # 1 MiB of random-looking data in about 1 MiB is not (the former guess, compressed x 8, said
    # the opposite of both).
    big = _gzip(tmp_path / "big.json.gz", iter([b"[", *_repeat(b" " * MIB, 70 * MIB), b"]"]))
    lax = ReadLimits(max_ratio=100_000)
    assert InputFile(big, "big", lax).is_large()
    rng = random.Random(1)
    noisy = json.dumps([rng.getrandbits(64) for _ in range(50_000)]).encode()
    small = _gzip(tmp_path / "small.json.gz", iter([noisy]))
    assert not InputFile(small, "small").is_large()
    with pytest.raises(InputLimitError, match="expands more than 200 times"):
        InputFile(big, "big").is_large()


def test_concatenated_gzip_members_and_zero_padding_are_read(tmp_path: Path) -> None:
    path = tmp_path / "two.json.gz"
    path.write_bytes(gzip.compress(b'{"a": [1, ') + gzip.compress(b'2]}') + b"\x00" * 10)
    assert load_json(InputFile(path, "two")) == {"a": [1, 2]}
    path.write_bytes(gzip.compress(b'{"a": 1}') + b"garbage")
    with pytest.raises(InventoryFormatError, match="unexpected data after the end of the gzip stream"):
        load_json(InputFile(path, "junk"))
    path.write_bytes(gzip.compress(b'{"a": [1, 2, 3]}')[:-12])
    with pytest.raises(InventoryFormatError, match="gzip data is truncated"):
        load_json(InputFile(path, "cut"))


# --------------------------------------------------------------------------- values and lines


def test_one_huge_string_is_refused_before_the_parser_buffers_it(tmp_path: Path) -> None:
    # ijson buffers a string in quadratic time (a 512 MiB string took 13 minutes): refused at
    # 16 MiB, in about a second, in the streaming reader.
    path = tmp_path / "long.tfstate"
    path.write_bytes(_state(b', "user_data": "' + b"x" * (17 * MIB) + b'"'))
    started = time.monotonic()
    with pytest.raises(InputLimitError, match="a string longer than 16 MiB") as caught:
        list(iter_json_items(InputFile(path, "long.tfstate"), "resources.item"))
    assert time.monotonic() - started < 5
    assert caught.value.position is not None and caught.value.position.startswith("byte ")
    line = _error(["run", "-i", str(path), "--format", "json"])
    assert "max_value_bytes" in line


def test_one_huge_ndjson_line_is_refused_without_being_held(tmp_path: Path) -> None:
    path = tmp_path / "cai.ndjson"
    asset = b'{"name": "//storage.googleapis.com/b", "asset_type": "storage.googleapis.com/Bucket", "resource": {}}\n'
    path.write_bytes(asset + b'{"name": "' + b"y" * (17 * MIB) + b'"}\n')
    with pytest.raises(InputLimitError, match="longer than 16 MiB"):
        list(iter_ndjson(InputFile(path, "cai.ndjson")))


def test_deep_nesting_is_refused_quickly_in_detection_and_reading(tmp_path: Path) -> None:
    # '[' * 100000 took 8 GB in detection (ijson builds every event's full prefix).
    deep = b"[" * 100_000 + b"]" * 100_000
    started = time.monotonic()
    shape = peek_shape(deep)
    assert shape.container == "array" and time.monotonic() - started < 2
    events = list(shallow_events(b'{"a": ' + deep + b"}"))
    assert len(events) <= 2 * DEFAULT_LIMITS.max_depth + 4
    path = tmp_path / "deep.json"
    path.write_bytes(deep)
    line = _error(["run", "-i", str(path), "--format", "json"])
    assert "nested deeper than 512 levels" in line
    nested = tmp_path / "nested.tfstate"  # valid until the deep value, read by the streaming path
    nested.write_bytes(_state(b', "x": ' + b"[" * 600 + b"]" * 600))
    with pytest.raises(InputLimitError, match="nested deeper"):
        list(iter_json_items(InputFile(nested, "nested"), "resources.item"))


# --------------------------------------------------------------------------- numbers


def test_a_4300_digit_integer_does_not_crash_detection_in_a_fresh_interpreter(tmp_path: Path) -> None:
    # ijson's C parser segfaulted (exit 139) on an integer CPython refuses to convert.
    path = tmp_path / "big.tfstate"
    path.write_bytes(_state(b', "n": ' + b"7" * 5000).replace(b'"serial": 3', b'"serial": ' + b"1" * 4400))
    code = ("import sys; from scanner.cli import app\n"
            f"sys.argv = ['sovscan', 'run', '-i', {str(path)!r}, '--format', 'json', '-o', {str(tmp_path / 'o')!r}]\n"
            "app()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, (done.returncode, done.stderr)
    result = json.loads((tmp_path / "o").read_text())
    assert [r["name"] for r in result["resources"]] == ["b0"]


def test_integers_beyond_64_bits_are_read_exactly_everywhere(tmp_path: Path) -> None:
    # yajl with use_float refused 2**63 as "integer overflow"; orjson turns longer ones into inf.
    huge = 2**64 + 1
    longer = int("9" * 400)
    text = _state(b', "n": %d, "m": %d, "f": 1.5' % (huge, longer))
    path = tmp_path / "s.tfstate"
    path.write_bytes(text)
    (item,) = iter_json_items(InputFile(path, "s"), "resources.item")
    attributes = item["instances"][0]["attributes"]
    assert attributes["n"] == huge and attributes["m"] == longer and attributes["f"] == 1.5
    assert isinstance(attributes["f"], float)
    whole = load_json(InputFile(path, "s"))
    assert whole["resources"][0]["instances"][0]["attributes"]["m"] == longer
    lines = tmp_path / "l.ndjson"
    lines.write_bytes(b'{"a": 1}\n{"b": %d}\n' % longer)
    assert [obj for _, obj in iter_ndjson(InputFile(lines, "l"))] == [{"a": 1}, {"b": longer}]
    head = _state().replace(b'"serial": 3', b'"serial": %d' % huge)
    assert peek_shape(head).first["serial"] == huge
    assert {"version", "lineage", "resources"} <= peek_shape(head).keys


def test_numbers_longer_than_the_limit_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "n.tfstate"
    path.write_bytes(_state(b', "n": ' + b"1" * 30_000))
    with pytest.raises(InputLimitError, match="a number longer than 20,000 characters"):
        list(iter_json_items(InputFile(path, "n"), "resources.item"))
    digits_in_a_string = tmp_path / "d.tfstate"  # the same digits inside a string are only text
    digits_in_a_string.write_bytes(_state(b', "n": "' + b"1" * 30_000 + b'"'))
    assert len(list(iter_json_items(InputFile(digits_in_a_string, "d"), "resources.item"))) == 1


def test_float_overflow_and_non_numbers_are_refused_with_one_line(tmp_path: Path) -> None:
    for text in (b', "n": 1e999', b', "n": NaN', b', "n": -Infinity'):
        path = tmp_path / "f.tfstate"
        path.write_bytes(_state(text))
        assert "f.tfstate" in _error(["run", "-i", str(path), "--format", "json"])


# --------------------------------------------------------------------------- text and leaks


@pytest.mark.parametrize("bad", [
    b"\xed\xa0\x80",  # a surrogate encoded as UTF-8
    b"\xff",  # not UTF-8 at all
    b"\\ud800",  # an escaped lone surrogate
    b"\\udc00x",
])
def test_invalid_text_is_one_line_without_the_surrounding_bytes(tmp_path: Path, bad: bytes) -> None:
    secret = b"Qz7xPassw0rdSecret"
    body = _state(b', "password": "' + secret + bad + b'"')
    for name, data in (("s.tfstate", body), ("s.tfstate.gz", gzip.compress(body))):
        path = tmp_path / name
        path.write_bytes(data)
        r = runner.invoke(app, ["run", "-i", str(path), "--format", "json"])
        # an escaped surrogate may be read as a replacement character (yajl), or refused: both are fine,
        # a crash or the secret on standard error is not
        assert r.exit_code in (0, 2), r.stderr
        assert "Qz7x" not in r.stderr and "Traceback" not in r.stderr
        if r.exit_code == 2:
            assert r.stderr.count("\n") == 1


def test_parser_messages_never_quote_the_document(tmp_path: Path) -> None:
    # ijson quotes the bytes around a bad byte ('password": "Qz7x…' reached stderr, coverage
    # warnings, the history database and reports): the streaming reader keeps only the reason.
    secret = b"Qz7xPassw0rdSecret"
    body = _state(b', "password": "' + secret + b'" !!, "x": 1')
    path = tmp_path / "bad.tfstate"
    path.write_bytes(body)
    with pytest.raises(InventoryFormatError) as caught:
        list(iter_json_items(InputFile(path, "bad.tfstate"), "resources.item"))
    assert "Qz7x" not in str(caught.value) and "invalid JSON" in str(caught.value)
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "bad.tfstate").write_bytes(body.replace(b"!!", b"\xff"))
    (folder / "good.tfstate").write_bytes(_state(b""))
    warnings: list[str] = []
    inv = load_inventory([folder], warnings.append)
    assert len(inv.resources) == 1 and len(warnings) == 1
    assert all("Qz7x" not in g.message for g in inv.gaps) and "Qz7x" not in warnings[0]


# --------------------------------------------------------------------------- the guard itself


def _reference(doc: bytes) -> tuple[int, int, int]:
    """Deepest nesting, longest string (raw bytes, quotes included) and longest number run, one byte at a time."""
    depth = deepest = longest_string = longest_number = 0
    inside = escaped = False
    start = run = 0
    for i, byte in enumerate(doc):
        char = chr(byte)
        if inside:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                inside = False
                longest_string = max(longest_string, i - start + 1)
            continue
        if char in "0123456789+-.eE":
            run += 1
            longest_number = max(longest_number, run)
            continue
        run = 0
        if char == '"':
            inside, start = True, i
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest, longest_string, longest_number


def _random_value(rng: random.Random, depth: int) -> object:
    roll = rng.random()
    if depth > 0 and roll < 0.35:
        return [_random_value(rng, depth - 1) for _ in range(rng.randint(0, 4))]
    if depth > 0 and roll < 0.6:
        return {_random_text(rng, 8): _random_value(rng, depth - 1) for _ in range(rng.randint(0, 4))}
    if roll < 0.75:
        return rng.choice([rng.randint(-10**6, 10**6), int("9" * rng.randint(1, 1500)), rng.random() * 1e6,
                           True, False, None])
    return _random_text(rng, rng.choice([5, 50, 2500]))


def _random_text(rng: random.Random, size: int) -> str:
    alphabet = 'ab\\"[]{}0123456789 é\u202e\n\t'
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, size)))


def _chunks(rng: random.Random, data: bytes) -> Iterator[bytes]:
    pos = 0
    while pos < len(data):
        size = rng.choice([1, 2, 3, 7, 64, 333, 500])
        yield data[pos:pos + size]
        pos += size


def test_the_guard_agrees_with_a_byte_by_byte_lexer() -> None:
    # Limits far below the defaults (the chunks stay below the value limit, as the 64 KiB reads
    # stay below its 1 MiB minimum), over random documents cut at random places.
    limits = SimpleNamespace(max_value_bytes=2000, max_number_chars=1000, max_depth=12)
    rng = random.Random(20261204)
    checked = {"deep": 0, "string": 0, "number": 0, "fine": 0}
    for _ in range(400):
        value = _random_value(rng, rng.randint(1, 16))
        doc = json.dumps(value, ensure_ascii=rng.random() < 0.5).encode()
        deepest, longest_string, longest_number = _reference(doc)
        guard = _JsonGuard(limits)  # type: ignore[arg-type]
        broken = next((b for b in (guard.feed(c) for c in _chunks(rng, doc)) if b), None)
        over = {kind for kind, beyond in (("nested", deepest > limits.max_depth),
                                          ("string", longest_string > limits.max_value_bytes + 1),
                                          ("number", longest_number > limits.max_number_chars)) if beyond}
        if over:
            assert broken is not None, (over, doc[:200])
            kind = next(k for k in ("nested", "string", "number") if k in broken)
            # the guard may stop at another limit only if the reference saw it broken too, or at
            # the nesting bound, which may count up to twice the real depth
            assert kind in over or (kind == "nested" and deepest > limits.max_depth // 2), (kind, over)
            for k in over:
                checked[{"nested": "deep"}.get(k, k)] += 1
        elif deepest <= limits.max_depth // 2 and longest_string <= limits.max_value_bytes - 1:
            assert broken is None, (broken, deepest, longest_string, longest_number)
            assert guard.depth == 0 and not guard.in_string
            checked["fine"] += 1
    assert min(checked.values()) >= 10, checked



@pytest.mark.parametrize("backslashes", range(1, 8))
def test_runs_of_backslashes_before_a_quote_pair_from_the_left(backslashes: int) -> None:
    # An even run escapes itself and the quote after it ends the string; an odd run escapes the
    # quote. Fed whole and cut after every byte, the guard must end at the same place.
    text = b'["a' + b"\\" * backslashes + b'"'
    closed = backslashes % 2 == 0
    doc = text + (b"]" if closed else b'"]')
    limits = SimpleNamespace(max_value_bytes=2000, max_number_chars=1000, max_depth=12)
    for cut in range(len(doc) + 1):
        guard = _JsonGuard(limits)  # type: ignore[arg-type]
        assert guard.feed(doc[:cut]) is None and guard.feed(doc[cut:]) is None
        assert (guard.depth, guard.in_string) == (0, False), (backslashes, cut)
    guard = _JsonGuard(limits)  # type: ignore[arg-type]
    guard.feed(text)
    assert guard.in_string is not closed and guard.depth == 1


# --------------------------------------------------------------------------- the 1 GiB bomb, measured


@pytest.mark.slow
def test_a_1_gib_in_1_mib_bomb_is_refused_in_seconds_and_little_memory(tmp_path: Path) -> None:
    """The acceptance measure: under 10 s and below 500 MiB, for every kind of content."""
    cases = {
        "state.tfstate.gz": [STATE_HEAD, *_repeat(b" " * MIB, 1024 * MIB), b"]}"],
        "string.json.gz": [STATE_HEAD, b'{"a": "', *_repeat(b"x" * MIB, 1024 * MIB), b'"}]}'],
        "line.ndjson.gz": [b'{"name": "//x", "asset_type": "a", "resource": {"data": "',
                           *_repeat(b"y" * MIB, 1024 * MIB), b'"}}\n'],
        "unknown.json.gz": [b'{"x": [', *_repeat(b"0," * (MIB // 2), 1024 * MIB), b"0]}"],
    }
    for name, pieces in cases.items():
        bomb = _gzip(tmp_path / name, iter(pieces))
        assert bomb.stat().st_size < 1_100_000, (name, bomb.stat().st_size)
        # VmHWM, the peak resident memory of this process's own address space (getrusage's
        # ru_maxrss would include the pytest process it was started from: Linux keeps it across exec)
        code = ("import re, sys, time\nfrom scanner.cli import app\n"
                f"sys.argv = ['sovscan', 'run', '-i', {str(bomb)!r}, '--format', 'json']\n"
                "started = time.monotonic()\n"
                "try:\n    app()\nexcept SystemExit as exc:\n    code = exc.code\n"
                "peak = re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read()).group(1)\n"
                "print(code, time.monotonic() - started, peak)\n")
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
        wall = time.monotonic() - started  # the whole command, interpreter start included
        exit_code, seconds, max_rss_kib = done.stdout.split()
        assert exit_code == "2" and done.stderr.count("\n") == 1, done.stderr
        assert wall < 10, (name, wall)
        assert int(max_rss_kib) < 500 * 1024, (name, max_rss_kib)
        print(f"{name}: {bomb.stat().st_size} bytes, refused in {float(seconds):.2f} s ({wall:.2f} s with start-up), "
              f"peak memory {int(max_rss_kib) // 1024} MiB: {done.stderr.strip()}")


@pytest.mark.parametrize("escape", [b"\\ud800x", b"\\udc00", b"x\\udbff"])
def test_the_streaming_reader_never_yields_a_lone_surrogate(tmp_path: Path, escape: bytes) -> None:
    # yajl reads an escaped lone surrogate as "?" or refuses it; never as text that cannot be written out
    path = tmp_path / "s.tfstate"
    path.write_bytes(_state(b', "name": "' + escape + b'"'))
    try:
        (item,) = iter_json_items(InputFile(path, "s"), "resources.item")
    except InventoryFormatError as exc:
        assert exc.position is not None and "invalid" in exc.message
        return
    name = item["instances"][0]["attributes"]["name"]
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in name), name
    name.encode("utf-8")


def test_ijson_messages_in_bytes_form_are_reduced_to_their_reason() -> None:
    from providers.base import json_error_reason

    class Fake(Exception):
        pass

    leaky = Fake("b'lexical error: invalid bytes in UTF8 string.\\n   {\"password\": \"Qz7xsecret\\xff\"}"
                 "\\n  (right here) ------^\\n'")
    assert json_error_reason(leaky) == "invalid bytes in UTF8 string"
    assert json_error_reason(Fake("parse error: premature EOF\n   [1, 2\n  (right here) ------^")) == "premature EOF"
    assert json_error_reason(Fake("something else quoting Qz7x")) == "invalid JSON"
