"""Write the Oracle Cloud Infrastructure region table of the knowledge base from the `oci` SDK.

The `oci` package (PyPI) ships its region table in ``oci/regions_definitions.py``: every region
identifier (``REGIONS``), its three-letter key (``REGIONS_SHORT_NAMES``) and its realm
(``REGION_REALMS``: ``oc1`` commercial, ``oc19`` EU Sovereign Cloud, ``oc2``/``oc3`` US
government, ``oc4`` UK government, the others dedicated or sovereign realms). The SDK does not say
where a region is: the city and country below are checked by hand against Oracle's region pages
(region names such as "Germany Central (Frankfurt)") and kept in :data:`PLACES`. Regions the SDK
lists and :data:`PLACES` does not are reported, not guessed; so are places whose country the
knowledge base does not know.

The realm is stored as the region's ``partition`` so that an operator rule can select a realm.

Usage (the SDK is not a dependency of sovscan; install or download it first)::

    python scripts/sync_oci_regions.py                       # compare; exit 1 when they differ
    python scripts/sync_oci_regions.py --write               # rewrite scanner/kb/data/regions/oci.yaml
    python scripts/sync_oci_regions.py --definitions PATH    # read regions_definitions.py from PATH
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter

from scanner.kb.schema import Region

DEFAULT_FILE = Path(__file__).resolve().parents[1] / "scanner" / "kb" / "data" / "regions" / "oci.yaml"

#: region identifier → (city, ISO country), checked by hand against Oracle's region names. A third
#: element says why the place is not certain (then the record is written ``verified: false``).
PLACES: dict[str, tuple[str, str] | tuple[str, str, str]] = {
    "af-casablanca-1": ("Casablanca", "MA"),
    "af-johannesburg-1": ("Johannesburg", "ZA"),
    "ap-batam-1": ("Batam", "ID"),
    "ap-chiyoda-1": ("Chiyoda (Tokyo)", "JP", "dedicated realm oc8; place from the identifier only"),
    "ap-chuncheon-1": ("Chuncheon", "KR"),
    "ap-chuncheon-2": ("Chuncheon", "KR", "dedicated realm oc35; place from the identifier only"),
    "ap-dcc-canberra-1": ("Canberra", "AU", "Dedicated Region (oc10); place from the identifier only"),
    "ap-delhi-1": ("Delhi", "IN"),
    "ap-hyderabad-1": ("Hyderabad", "IN"),
    "ap-ibaraki-1": ("Ibaraki", "JP", "dedicated realm oc8; place from the identifier only"),
    "ap-kulai-2": ("Kulai", "MY"),
    "ap-melbourne-1": ("Melbourne", "AU"),
    "ap-mumbai-1": ("Mumbai", "IN"),
    "ap-osaka-1": ("Osaka", "JP"),
    "ap-seoul-1": ("Seoul", "KR"),
    "ap-seoul-2": ("Seoul", "KR", "dedicated realm oc35; place from the identifier only"),
    "ap-singapore-1": ("Singapore", "SG"),
    "ap-singapore-2": ("Singapore", "SG"),
    "ap-suwon-1": ("Suwon", "KR", "dedicated realm oc35; place from the identifier only"),
    "ap-sydney-1": ("Sydney", "AU"),
    "ap-tokyo-1": ("Tokyo", "JP"),
    "ca-montreal-1": ("Montréal", "CA"),
    "ca-toronto-1": ("Toronto", "CA"),
    "eu-amsterdam-1": ("Amsterdam", "NL"),
    "eu-budapest-1": ("Budapest", "HU", "sovereign realm oc51; place from the identifier only"),
    "eu-crissier-1": ("Crissier", "CH", "realm oc24; place from the identifier only"),
    "eu-dcc-dublin-1": ("Dublin", "IE", "Dedicated Region (oc14); place from the identifier only"),
    "eu-dcc-dublin-2": ("Dublin", "IE", "Dedicated Region (oc14); place from the identifier only"),
    "eu-dcc-milan-1": ("Milan", "IT", "Dedicated Region (oc14); place from the identifier only"),
    "eu-dcc-milan-2": ("Milan", "IT", "Dedicated Region (oc14); place from the identifier only"),
    "eu-dcc-rating-1": ("Ratingen", "DE", "Dedicated Region (oc14); city and country inferred from the identifier"),
    "eu-dcc-rating-2": ("Ratingen", "DE", "Dedicated Region (oc14); city and country inferred from the identifier"),
    "eu-dcc-zurich-1": ("Zurich", "CH", "Dedicated Region (oc24); place from the identifier only"),
    "eu-frankfurt-1": ("Frankfurt", "DE"),
    "eu-frankfurt-2": ("Frankfurt", "DE"),
    "eu-madrid-1": ("Madrid", "ES"),
    "eu-madrid-2": ("Madrid", "ES"),
    "eu-madrid-3": ("Madrid", "ES"),
    "eu-marseille-1": ("Marseille", "FR"),
    "eu-milan-1": ("Milan", "IT"),
    "eu-paris-1": ("Paris", "FR"),
    "eu-stockholm-1": ("Stockholm", "SE"),
    "eu-turin-1": ("Turin", "IT"),
    "eu-zurich-1": ("Zurich", "CH"),
    "il-jerusalem-1": ("Jerusalem", "IL"),
    "me-abudhabi-1": ("Abu Dhabi", "AE"),
    "me-abudhabi-2": ("Abu Dhabi", "AE", "sovereign realm oc29; place from the identifier only"),
    "me-abudhabi-3": ("Abu Dhabi", "AE", "sovereign realm oc26; place from the identifier only"),
    "me-abudhabi-4": ("Abu Dhabi", "AE", "sovereign realm oc29; place from the identifier only"),
    "me-alain-1": ("Al Ain", "AE", "sovereign realm oc26; place from the identifier only"),
    "me-alrayyan-1": ("Al Rayyan", "QA", "realm oc21; place from the identifier only"),
    "me-dcc-doha-1": ("Doha", "QA", "Dedicated Region (oc21); place from the identifier only"),
    "me-dcc-muscat-1": ("Muscat", "OM", "Dedicated Region (oc9); place from the identifier only"),
    "me-dubai-1": ("Dubai", "AE"),
    "me-ibri-1": ("Ibri", "OM", "realm oc9; place from the identifier only"),
    "me-jeddah-1": ("Jeddah", "SA"),
    "me-riyadh-1": ("Riyadh", "SA"),
    "mx-monterrey-1": ("Monterrey", "MX"),
    "mx-queretaro-1": ("Querétaro", "MX"),
    "sa-bogota-1": ("Bogotá", "CO"),
    "sa-riodejaneiro-1": ("Rio de Janeiro", "BR", "realm oc52; place from the identifier only"),
    "sa-santiago-1": ("Santiago", "CL"),
    "sa-saopaulo-1": ("São Paulo", "BR"),
    "sa-valparaiso-1": ("Valparaíso", "CL"),
    "sa-vinhedo-1": ("Vinhedo", "BR"),
    "uk-cardiff-1": ("Cardiff", "GB"),
    "uk-gov-cardiff-1": ("Cardiff", "GB"),
    "uk-gov-london-1": ("London", "GB"),
    "uk-london-1": ("London", "GB"),
    "us-ashburn-1": ("Ashburn", "US"),
    "us-ashburn-2": ("Ashburn", "US", "realm oc42; place from the identifier only"),
    "us-chicago-1": ("Chicago", "US"),
    "us-gov-ashburn-1": ("Ashburn", "US"),
    "us-gov-chicago-1": ("Chicago", "US"),
    "us-gov-phoenix-1": ("Phoenix", "US"),
    "us-langley-1": ("Langley", "US", "US government realm oc2; place from the identifier only"),
    "us-luke-1": ("Luke", "US", "US government realm oc2; place from the identifier only"),
    "us-newark-1": ("Newark", "US", "realm oc42; place from the identifier only"),
    "us-phoenix-1": ("Phoenix", "US"),
    "us-saltlake-2": ("Salt Lake City", "US"),
    "us-sanjose-1": ("San Jose", "US"),
    "us-somerset-1": ("Somerset", "US", "realm oc23; country from the 'us-' prefix only"),
    "us-thames-1": ("Thames", "US", "realm oc23; country from the 'us-' prefix only"),
}

#: Realms the SDK names, as Oracle describes them (OCI documentation, "Regions and Availability
#: Domains" and the EU Sovereign Cloud pages).
REALMS = {"oc1": "commercial realm", "oc2": "US government realm", "oc3": "US government realm",
          "oc4": "UK government realm", "oc19": "EU Sovereign Cloud realm"}

HEADER = """\
# Oracle Cloud Infrastructure regions. GENERATED by scripts/sync_oci_regions.py from the `oci` SDK's
# region table (identifier, key, realm); city and country are checked by hand in the script's
# PLACES table. The realm is stored as `partition` (oc1 commercial, oc19 EU Sovereign Cloud, oc2/oc3
# US government, oc4 UK government, others dedicated or sovereign realms). Do not edit by hand.
"""

_REGIONS = TypeAdapter(list[Region])


class _Dumper(yaml.SafeDumper):
    """Safe dumper that writes repeated values (dates) in full instead of YAML anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


@dataclass(frozen=True)
class SdkRegion:
    """One region as the SDK describes it."""

    code: str
    key: str
    realm: str


def sdk_regions(definitions: Any) -> list[SdkRegion]:
    """Every region of the SDK's table (a module or any object with its three attributes)."""
    keys = {v: k for k, v in dict(definitions.REGIONS_SHORT_NAMES).items()}
    realms: Mapping[str, str] = dict(definitions.REGION_REALMS)
    return sorted((SdkRegion(code, keys.get(code, ""), realms.get(code, "")) for code in definitions.REGIONS),
                  key=lambda r: r.code)


def load_definitions(path: Path | None) -> tuple[Any, str]:
    """The SDK's ``regions_definitions`` module and the SDK version (from the path or the package)."""
    if path is None:
        import oci  # type: ignore[import-not-found]  # optional: only this script uses it
        import oci.regions_definitions as definitions  # type: ignore[import-not-found]

        return definitions, str(oci.__version__)
    spec = importlib.util.spec_from_file_location("oci_regions_definitions", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    version_file = path.parent / "version.py"
    version = "unknown"
    if version_file.exists():
        for line in version_file.read_text(encoding="utf-8").splitlines():
            if line.startswith("__version__"):
                version = line.split("=", 1)[1].strip().strip("\"'")
    return module, version


def records(regions: Sequence[SdkRegion], version: str, known_countries: set[str] | None,
            today: dt.date) -> tuple[list[dict[str, Any]], list[str]]:
    """Region records for every SDK region with a checked place; and what was left out, and why."""
    out: list[dict[str, Any]] = []
    skipped: list[str] = []
    for region in regions:
        place = PLACES.get(region.code)
        if place is None:
            skipped.append(f"{region.code} ({region.realm}): no checked place in PLACES")
            continue
        city, country = place[0], place[1]
        if known_countries is not None and country not in known_countries:
            skipped.append(f"{region.code}: country {country} is not in the knowledge base")
            continue
        record: dict[str, Any] = {
            "provider": "oci", "code": region.code, "name": region.key.upper() or region.code,
            "kind": "region", "partition": region.realm or None, "city": city, "country": country,
            "note": REALMS.get(region.realm, f"realm {region.realm}"),
            "source": f"oci {version} oci/regions_definitions.py (REGIONS, REGION_REALMS, REGIONS_SHORT_NAMES)",
            "as_of": today,
        }
        if len(place) == 3:
            record["verified"] = False
            record["unverified"] = place[2]
        out.append(record)
    _REGIONS.validate_python(out)
    return out, skipped


def load_file(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return list((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("regions") or [])


def dump(path: Path, recs: Sequence[Mapping[str, Any]]) -> None:
    body = yaml.dump({"regions": [dict(r) for r in recs]}, Dumper=_Dumper, sort_keys=False,
                     allow_unicode=True, width=110)
    path.write_text(HEADER + body, encoding="utf-8")


def _key(rec: Mapping[str, Any]) -> tuple[Any, ...]:
    return (rec.get("code"), rec.get("partition"), rec.get("city"), rec.get("country"), rec.get("verified", True))


def known_countries() -> set[str]:
    path = Path(__file__).resolve().parents[1] / "scanner" / "kb" / "data" / "countries.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(c["code"]) for c in doc.get("countries") or []}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare or write the OCI region table from the oci SDK.")
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="the oci.yaml to check or write")
    parser.add_argument("--definitions", type=Path, help="path to the SDK's oci/regions_definitions.py")
    parser.add_argument("--write", action="store_true", help="rewrite the file")
    args = parser.parse_args(argv)

    definitions, version = load_definitions(args.definitions)
    fresh, skipped = records(sdk_regions(definitions), version, known_countries(), dt.date.today())
    current = {_key(r) for r in load_file(args.file)}
    changed = sorted({k[0] for k in current ^ {_key(r) for r in fresh}})
    print(f"oci {version}: {len(fresh)} region(s) placed, {len(skipped)} left out, {len(changed)} differing")
    for line in skipped:
        print(f"  - {line}")
    for code in changed:
        print(f"  ~ {code}")
    if args.write:
        dump(args.file, fresh)
        print(f"wrote {args.file}")
        return 0
    return 1 if changed or skipped else 0


if __name__ == "__main__":
    sys.exit(main())
