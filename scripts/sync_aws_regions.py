"""Compare the AWS region table of the knowledge base with the installed botocore, and update it.

botocore ships every AWS partition and region it knows in ``data/partitions.json`` (region code and
description). ``scanner/kb/data/regions/aws.yaml`` adds what botocore does not say: the city and
the country, checked by a human. This script lists the regions botocore has and the file lacks (and
the other way round) and, with ``--write``, appends the missing ones with their name, partition and
provenance filled in and ``country: null`` so that a human completes them; records already in the
file are never changed.

Usage::

    python scripts/sync_aws_regions.py            # report; exit status 1 when the file lacks regions
    python scripts/sync_aws_regions.py --write    # also append the missing regions to the file
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore  # type: ignore[import-untyped]  # no stubs shipped
import yaml
from botocore.loaders import Loader  # type: ignore[import-untyped]
from pydantic import TypeAdapter

from scanner.kb.schema import Region

DEFAULT_FILE = Path(__file__).resolve().parents[1] / "scanner" / "kb" / "data" / "regions" / "aws.yaml"

#: Pseudo-regions for global endpoints (``aws-global``, ``aws-cn-global``, ``aws-iso-b-global``...).
#: They are not places; importers map them to the ``global`` record.
PSEUDO_REGION = re.compile(r"^aws(-[a-z-]+)?-global$")

#: Note put on appended records so that a reviewer finds them.
UNCHECKED_NOTE = "added from botocore; city and country to be checked by a human"

_REGIONS = TypeAdapter(list[Region])

DESCRIPTION = "Compare the AWS regions of the knowledge base with the installed botocore."


class _Dumper(yaml.SafeDumper):
    """Safe dumper that writes repeated values (dates) in full instead of YAML anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


@dataclass(frozen=True)
class BotoRegion:
    """One region as botocore's partitions data describes it."""

    code: str
    partition: str
    description: str


@dataclass(frozen=True)
class Diff:
    """What botocore and the data file disagree on."""

    missing: list[BotoRegion]  # in botocore, not in the file
    extra: list[str]  # region records in the file that botocore does not know
    renamed: list[tuple[str, str, str]]  # (code, name in file, botocore description)


def botocore_version() -> str:
    return str(botocore.__version__)


def botocore_regions(partitions: Mapping[str, Any] | None = None) -> list[BotoRegion]:
    """Every real region of every partition, read through botocore's own data loader."""
    data = partitions if partitions is not None else Loader().load_data("partitions")
    found: list[BotoRegion] = []
    for partition in data.get("partitions", []):
        part_id = str(partition.get("id", ""))
        for code, info in (partition.get("regions") or {}).items():
            if PSEUDO_REGION.match(code):
                continue
            found.append(BotoRegion(code, part_id, str((info or {}).get("description", code))))
    return sorted(found, key=lambda r: (r.partition, r.code))


def load_records(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """The leading comment lines of the file and its region records (raw dicts, validated)."""
    text = path.read_text(encoding="utf-8")
    header = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    doc = yaml.safe_load(text) or {}
    records = list(doc.get("regions") or [])
    _REGIONS.validate_python(records)  # fail early on a broken file rather than rewrite it
    return header, records


def compare(records: Sequence[Mapping[str, Any]], boto: Iterable[BotoRegion]) -> Diff:
    by_code = {str(r["code"]): r for r in records if r.get("kind", "region") == "region"}
    boto_list = list(boto)
    boto_codes = {b.code for b in boto_list}
    missing = [b for b in boto_list if b.code not in by_code]
    extra = sorted(code for code in by_code if code not in boto_codes)
    renamed = [
        (b.code, str(by_code[b.code].get("name")), b.description)
        for b in boto_list
        if b.code in by_code and by_code[b.code].get("name") != b.description
    ]
    return Diff(missing, extra, renamed)


def new_record(region: BotoRegion, version: str, today: dt.date) -> dict[str, Any]:
    return {
        "provider": "aws",
        "code": region.code,
        "name": region.description,
        "kind": "region",
        "partition": region.partition,
        "city": None,
        "country": None,
        "note": UNCHECKED_NOTE,
        "source": f"botocore {version} data/partitions.json",
        "as_of": today,
    }


def dump(path: Path, header: Sequence[str], records: Sequence[Mapping[str, Any]]) -> None:
    """Write the records back in the layout of the data files (header comments kept)."""
    _REGIONS.validate_python(list(records))
    body = yaml.dump(
        {"regions": [dict(r) for r in records]},
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=110,
    )
    text = "\n".join(header) + ("\n" if header else "") + body
    path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="the aws.yaml to check")
    parser.add_argument("--write", action="store_true", help="append the missing regions to the file")
    args = parser.parse_args(argv)

    version = botocore_version()
    header, records = load_records(args.file)
    diff = compare(records, botocore_regions())

    print(f"botocore {version}: {len(diff.missing)} region(s) missing from {args.file.name}")
    for region in diff.missing:
        print(f"  + {region.code:<20} {region.partition:<12} {region.description}")
    if diff.extra:
        print(f"{len(diff.extra)} region(s) in {args.file.name} that botocore {version} does not know:")
        for code in diff.extra:
            print(f"  - {code}")
    for code, name, description in diff.renamed:
        print(f"  ~ {code}: file says {name!r}, botocore says {description!r}")

    if args.write and diff.missing:
        today = dt.date.today()
        records.extend(new_record(region, version, today) for region in diff.missing)
        dump(args.file, header, records)
        print(f"appended {len(diff.missing)} record(s); set their city and country by hand")
        return 0
    return 1 if diff.missing else 0


if __name__ == "__main__":
    sys.exit(main())
