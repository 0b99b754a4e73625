"""Baselines: the findings of an earlier scan, so that a CI gate reports and fails only on new ones.

A baseline is a previous ``sovscan run --format json`` result (its ``findings[].id``) or a snapshot
of the history (``snapshot:ID``; its findings are stored as rule, resource and suffix, the parts of
the same id). A finding id is ``rule:resource[suffix]`` (:attr:`scanner.result.Finding.id`): stable
across runs for the same resource, rule and country, so a finding is *new* when its id is not in
the baseline. A pseudonymised snapshot cannot serve: its resource ids are not the real ones.
"""

from __future__ import annotations

import re
from pathlib import Path

import orjson

from scanner.errors import InputError, UsageError

_SNAPSHOT = re.compile(r"^snapshot:(\d+)$")


def load_baseline(value: str, db: Path | None = None) -> frozenset[str]:
    """The finding ids of a baseline given as a JSON result file or as ``snapshot:ID``."""
    found = _SNAPSHOT.match(value)
    if found:
        return _from_snapshot(int(found.group(1)), db)
    return _from_file(Path(value))


def _from_file(path: Path) -> frozenset[str]:
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise InputError(f"{path}: cannot read the baseline ({exc.strerror})") from None
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{path}: the baseline is not JSON ({exc}); give a 'sovscan run --format json' "
                         "result or snapshot:ID") from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise InputError(f"{path}: not a sovscan JSON result (no findings[]); give a 'sovscan run --format json' "
                         "result or snapshot:ID")
    ids: set[str] = set()
    for n, item in enumerate(data["findings"]):
        fid = item.get("id") if isinstance(item, dict) else None
        if not isinstance(fid, str):
            raise InputError(f"{path}: findings[{n}] has no id; give a 'sovscan run --format json' result")
        ids.add(fid)
    return frozenset(ids)


def _from_snapshot(snapshot_id: int, db: Path | None) -> frozenset[str]:
    from scanner.history import load

    snap = load(snapshot_id, db)
    if snap.info.pseudonymized:
        raise UsageError(f"--baseline snapshot:{snapshot_id} is pseudonymised: its resource ids cannot be matched; "
                         "use a JSON result or a snapshot saved without pseudonyms")
    return frozenset(f"{f.rule}:{f.resource}{f.suffix}" for f in snap.findings)
