"""Load, validate and index the knowledge base (``scanner/kb/data/**/*.yaml``).

Each data file has one or more top-level keys naming the tables it contributes to (``countries``,
``zones``, ``regions``, ``entities``, ``providers``, ``schemes``, ``laws``, ``services``,
``alternatives``, ``rules``, ``weights``); adding facts never needs code. Loading validates every
record with the pydantic models of :mod:`scanner.kb.schema`; :meth:`KnowledgeBase.validate` then
checks the cross-references between tables (every region's country exists, every parent entity
exists, every alternative referenced exists…) and returns the problems found.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from scanner.errors import SovscanError
from scanner.kb.provenance import CHECKED_TABLES, provenance_problems
from scanner.kb.schema import (
    EFFORT_SCALE,
    Alternative,
    CertificationScheme,
    ClassificationLexicon,
    ClassificationRule,
    Country,
    CsfObjective,
    DataClass,
    EgressPrice,
    Entity,
    ExchangeRate,
    Law,
    Provider,
    Region,
    RegionKind,
    Service,
    Zone,
)

DATA_DIR = Path(__file__).parent / "data"
#: libyaml's safe loader when PyYAML was built with it (several times faster), else the pure one.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KnowledgeBaseError(SovscanError):
    """A knowledge-base file (shipped or user-supplied) is invalid."""


class LockinWeights(BaseModel):
    model_config = ConfigDict(extra="forbid")
    portability: dict[str, float]
    coupling_per_neighbour: float
    coupling_max: float
    gravity_per_log10_gb: float
    gravity_max: float
    concentration_weight: float = Field(ge=0, le=1)


class Weights(BaseModel):
    """Scoring weights (``weights.yaml``), overridable from ``sovscan.toml``."""

    model_config = ConfigDict(extra="forbid")
    version: int
    source: str
    as_of: dt.date
    sensitivity: dict[str, float]
    metadata_only_sensitivity: float = Field(ge=0, le=1)
    mitigation: dict[str, float]
    trigger: dict[str, float]
    unlisted_location_severity: float = Field(ge=0, le=1)
    levels: dict[str, float]
    lockin: LockinWeights
    migration_levels: dict[int, str]
    required_certifications: dict[str, dict[str, list[str]]]
    transfer_classes: list[str]

    @field_validator("sensitivity", "required_certifications")
    @classmethod
    def _class_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = set(value) - {str(dc) for dc in DataClass}
        if unknown:
            raise ValueError(f"unknown data class(es): {', '.join(sorted(unknown))}")
        return value

    @field_validator("transfer_classes")
    @classmethod
    def _class_list(cls, value: list[str]) -> list[str]:
        return list(cls._class_keys(dict.fromkeys(value)))

    def level(self, score: float | None) -> str:
        """Map a 0-100 score to ``none|low|medium|high|critical`` with the configured thresholds."""
        if score is None:
            return "unknown"
        result = "none"
        for name in ("low", "medium", "high", "critical"):
            if score >= self.levels[name]:
                result = name
        return result


_TABLES: dict[str, Any] = {
    "countries": TypeAdapter(list[Country]),
    "zones": TypeAdapter(list[Zone]),
    "regions": TypeAdapter(list[Region]),
    "entities": TypeAdapter(list[Entity]),
    "providers": TypeAdapter(list[Provider]),
    "schemes": TypeAdapter(list[CertificationScheme]),
    "laws": TypeAdapter(list[Law]),
    "services": TypeAdapter(list[Service]),
    "alternatives": TypeAdapter(list[Alternative]),
    "rules": TypeAdapter(list[ClassificationRule]),
    "egress_prices": TypeAdapter(list[EgressPrice]),
    "exchange_rates": TypeAdapter(list[ExchangeRate]),
    "csf_objectives": TypeAdapter(list[CsfObjective]),
}
#: File-level keys that describe a file rather than contribute a table.
_FILE_META = {"source", "as_of", "version", "description"}


@dataclass
class KnowledgeBase:
    """All knowledge tables, indexed for the look-ups the pipeline makes."""

    countries: dict[str, Country] = field(default_factory=dict)
    zones: dict[str, Zone] = field(default_factory=dict)
    regions: dict[tuple[str, str], Region] = field(default_factory=dict)
    entities: dict[str, Entity] = field(default_factory=dict)
    providers: dict[str, Provider] = field(default_factory=dict)
    schemes: dict[str, CertificationScheme] = field(default_factory=dict)
    laws: dict[str, Law] = field(default_factory=dict)
    services: dict[tuple[str, str], Service] = field(default_factory=dict)
    alternatives: dict[str, Alternative] = field(default_factory=dict)
    rules: list[ClassificationRule] = field(default_factory=list)
    lexicon: ClassificationLexicon = field(default_factory=ClassificationLexicon)
    weights: Weights | None = None
    egress_prices: dict[str, EgressPrice] = field(default_factory=dict)
    exchange_rates: dict[str, ExchangeRate] = field(default_factory=dict)
    csf_objectives: dict[str, CsfObjective] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    digest: str = ""
    _aliases: dict[tuple[str, str], Service] = field(default_factory=dict)

    # ------------------------------------------------------------------ look-ups
    @property
    def w(self) -> Weights:
        assert self.weights is not None, "weights.yaml missing"
        return self.weights

    @property
    def version(self) -> str:
        """``<latest as_of>+<content digest>``: changes whenever any fact changes."""
        return f"{self.latest_as_of().isoformat()}+{self.digest[:10]}"

    def latest_as_of(self) -> dt.date:
        dates = [r.as_of for table in (self.countries, self.laws, self.entities, self.providers)
                 for r in table.values()]
        dates += [r.as_of for r in self.regions.values()] + [r.as_of for r in self.services.values()]
        return max(dates, default=self.w.as_of)

    def service(self, provider: str, native_type: str) -> Service | None:
        """The service record for a native type (canonical type or any alias), case-insensitive."""
        return self._aliases.get((provider, native_type.lower()))

    def region(self, provider: str, code: str | None) -> Region | None:
        """A provider's location by code; ``zone:<id>`` placements become synthetic multi-regions.

        Unknown codes with a numeric suffix fall back to their family (``gra11`` → ``gra``), as
        providers number datacentres inside a documented site.
        """
        if not code:
            return None
        if code.startswith("zone:"):
            zone = self.zones.get(code[5:])
            if zone is None:
                return None
            return Region.model_construct(
                provider=provider, code=code, name=zone.name, kind=RegionKind.MULTI_REGION, partition=None,
                city=None, country=None, countries=list(zone.countries), zone=zone.id, regions=[],
                paired=None, note="", source=zone.source, as_of=zone.as_of)
        found = self.regions.get((provider, code))
        if found is None:
            family = re.sub(r"\d+$", "", code)
            if family != code:
                found = self.regions.get((provider, family))
        return found

    def region_countries(self, region: Region) -> list[str]:
        """Every country a region may hold bytes in."""
        if region.country:
            return [region.country]
        countries = list(region.countries)
        if not countries and region.zone and region.zone in self.zones:
            countries = list(self.zones[region.zone].countries)
        if not countries:
            for code in region.regions:
                sub = self.region(region.provider, code)
                if sub is not None:
                    countries.extend(self.region_countries(sub))
        return sorted(set(countries))

    def operator_of(self, provider: str, region: Region | None, code: str | None) -> str | None:
        """The entity operating a provider's region (operator rules first, then the default)."""
        prov = self.providers.get(provider)
        if prov is None:
            return None
        for rule in prov.operators:
            if rule.partition and region is not None and region.partition == rule.partition:
                return rule.entity
            if code and code in rule.regions:
                return rule.entity
        return prov.default_operator

    def entity_chain(self, entity_id: str) -> list[Entity]:
        """The entity and its parents up to the ultimate controller."""
        chain: list[Entity] = []
        seen: set[str] = set()
        current: str | None = entity_id
        while current and current in self.entities and current not in seen:
            seen.add(current)
            ent = self.entities[current]
            chain.append(ent)
            current = ent.parent
        return chain

    def in_eea(self, country: str) -> bool:
        c = self.countries.get(country)
        return bool(c and c.eea)

    # ------------------------------------------------------------------ validation
    def validate(self) -> list[str]:
        """Cross-reference checks over every table; returns one message per problem."""
        problems = list(self.duplicates)
        known_countries = set(self.countries)

        def country_ok(code: str | None, where: str) -> None:
            if code and code not in known_countries:
                problems.append(f"{where}: unknown country {code}")

        for zone in self.zones.values():
            for c in zone.countries:
                country_ok(c, f"zone {zone.id}")
        for (prov, code), region in self.regions.items():
            where = f"region {prov}/{code}"
            country_ok(region.country, where)
            for c in region.countries:
                country_ok(c, where)
            if region.zone and region.zone not in self.zones:
                problems.append(f"{where}: unknown zone {region.zone}")
            if region.paired and (prov, region.paired) not in self.regions:
                problems.append(f"{where}: unknown paired region {region.paired}")
            for sub in region.regions:
                if (prov, sub) not in self.regions:
                    problems.append(f"{where}: unknown component region {sub}")
            if region.kind != RegionKind.GLOBAL and not self.region_countries(region):
                problems.append(f"{where}: no country")
        for ent in self.entities.values():
            country_ok(ent.country, f"entity {ent.id}")
            country_ok(ent.controlled_from, f"entity {ent.id} controlled_from")
            for c in ent.presence:
                country_ok(c, f"entity {ent.id} presence")
            if ent.parent and ent.parent not in self.entities:
                problems.append(f"entity {ent.id}: unknown parent {ent.parent}")
            if len(self.entity_chain(ent.id)) > 30:
                problems.append(f"entity {ent.id}: parent chain too long (cycle?)")
        for provider in self.providers.values():
            for ent_id in [provider.default_operator, *(r.entity for r in provider.operators)]:
                if ent_id not in self.entities:
                    problems.append(f"provider {provider.id}: unknown entity {ent_id}")
            for cert in provider.certifications:
                if cert.scheme not in self.schemes:
                    problems.append(f"provider {provider.id}: unknown certification scheme {cert.scheme}")
        for law in self.laws.values():
            if law.jurisdiction != "EU":
                country_ok(law.jurisdiction, f"law {law.id}")
            for c in law.applies_in:
                country_ok(c, f"law {law.id}")
        for (prov, typ), svc in self.services.items():
            where = f"service {prov}/{typ}"
            if prov not in self.providers:
                problems.append(f"{where}: unknown provider {prov}")
            for alt in svc.alternatives:
                if alt not in self.alternatives:
                    problems.append(f"{where}: unknown alternative {alt}")
            if svc.placement and self.region(prov, svc.placement) is None:
                problems.append(f"{where}: unknown placement {svc.placement}")
            if svc.parent and self.service(prov, svc.parent) is None:
                problems.append(f"{where}: unknown parent type {svc.parent}")
            if svc.effort not in EFFORT_SCALE:
                problems.append(f"{where}: effort {svc.effort} not on the scale")
        for alternative in self.alternatives.values():
            if alternative.provider and alternative.provider not in self.providers:
                problems.append(f"alternative {alternative.id}: unknown provider {alternative.provider}")
            problems.extend(f"alternative {alternative.id}: unknown certification scheme {scheme}"
                            for scheme in alternative.certifications if scheme not in self.schemes)
        problems.extend(f"egress price {p}: unknown provider" for p in self.egress_prices if p not in self.providers)
        problems.extend(f"egress price {p.provider}: no exchange rate for {p.currency}"
                        for p in self.egress_prices.values()
                        if p.currency != "EUR" and p.currency not in self.exchange_rates)
        problems.extend(provenance_problems(self, CHECKED_TABLES))
        if self.weights is None:
            problems.append("weights.yaml: missing")
        else:
            problems.extend(f"weights: no sensitivity for data class {dc}"
                            for dc in DataClass if dc not in self.weights.sensitivity)
            for name, value in self.weights.sensitivity.items():
                if not 0 <= value <= 1:
                    problems.append(f"weights: sensitivity {name}={value} outside 0..1")
            for name, value in self.weights.mitigation.items():
                if not 0 <= value < 1:
                    problems.append(f"weights: mitigation {name}={value} outside 0..1")
            for effort in EFFORT_SCALE:
                if effort not in self.weights.migration_levels:
                    problems.append(f"weights: no migration level for effort {effort}")
            for cls_reqs in self.weights.required_certifications.values():
                for schemes in cls_reqs.values():
                    problems.extend(f"weights: unknown certification scheme {s}"
                                    for s in schemes if s not in self.schemes)
        return problems

    def counts(self) -> dict[str, int]:
        return {"countries": len(self.countries), "zones": len(self.zones), "regions": len(self.regions),
                "entities": len(self.entities), "providers": len(self.providers),
                "certification schemes": len(self.schemes), "laws": len(self.laws),
                "services": len(self.services), "alternatives": len(self.alternatives),
                "classification rules": len(self.rules)}


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise KnowledgeBaseError(f"{path}{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None


def _first_error(path: Path, table: str, exc: ValidationError) -> KnowledgeBaseError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    return KnowledgeBaseError(f"{path}: {table}.{loc}: {err['msg']} ({exc.error_count()} error(s) in all)")


def load_kb(extra_files: Iterable[Path] = (), weight_overrides: Mapping[str, Any] | None = None,
            rules_override: list[dict[str, Any]] | None = None) -> KnowledgeBase:
    """Load the shipped knowledge base, then ``extra_files`` (user data), then overrides."""
    files = sorted(DATA_DIR.rglob("*.yaml")) + list(extra_files)
    kb = KnowledgeBase()
    digest = hashlib.sha256()
    for path in files:
        raw = path.read_bytes()
        digest.update(raw)
        doc = _read_yaml(path)
        if not isinstance(doc, dict):
            raise KnowledgeBaseError(f"{path}: expected a mapping of tables at the top level")
        kb.files.append(str(path))
        if "weights" in path.name or "sensitivity" in doc:
            _merge_weights(kb, path, doc)
            continue
        for key, value in doc.items():
            if key in _FILE_META:
                continue
            if key == "lexicon":  # one object (classification.yaml), not a table of records
                try:
                    kb.lexicon = ClassificationLexicon.model_validate(value or {})
                except ValidationError as exc:
                    raise _first_error(path, key, exc) from None
                continue
            adapter = _TABLES.get(key)
            if adapter is None:
                raise KnowledgeBaseError(f"{path}: unknown table '{key}' (expected one of {sorted(_TABLES)})")
            try:
                records = adapter.validate_python(value or [])
            except ValidationError as exc:
                raise _first_error(path, key, exc) from None
            _index(kb, key, records, path)
    kb.digest = digest.hexdigest()
    if weight_overrides:
        base = kb.w.model_dump()
        _deep_update(base, dict(weight_overrides))
        try:
            kb.weights = Weights.model_validate(base)
        except ValidationError as exc:
            raise _first_error(Path("sovscan.toml"), "weights", exc) from None
    if rules_override is not None:
        try:
            kb.rules = TypeAdapter(list[ClassificationRule]).validate_python(rules_override)
        except ValidationError as exc:
            raise _first_error(Path("sovscan.toml"), "classification", exc) from None
    return kb


@cache
def default_kb() -> KnowledgeBase:
    """The shipped knowledge base, loaded once per process."""
    return load_kb()


def _merge_weights(kb: KnowledgeBase, path: Path, doc: dict[str, Any]) -> None:
    try:
        kb.weights = Weights.model_validate(doc)
    except ValidationError as exc:
        raise _first_error(path, "weights", exc) from None


def _deep_update(base: dict[str, Any], upd: dict[str, Any]) -> None:
    for key, value in upd.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_update(base[key], value)
        else:
            base[key] = value


def _index(kb: KnowledgeBase, table: str, records: list[Any], path: Path) -> None:
    def put(store: dict[Any, Any], key: Any, rec: Any) -> None:
        if key in store:
            kb.duplicates.append(f"{path}: duplicate {table} id {key}")
        store[key] = rec

    for rec in records:
        if table == "countries":
            put(kb.countries, rec.code, rec)
        elif table == "zones":
            put(kb.zones, rec.id, rec)
        elif table == "regions":
            put(kb.regions, (rec.provider, rec.code), rec)
        elif table == "entities":
            put(kb.entities, rec.id, rec)
        elif table == "providers":
            put(kb.providers, rec.id, rec)
        elif table == "schemes":
            put(kb.schemes, rec.id, rec)
        elif table == "laws":
            put(kb.laws, rec.id, rec)
        elif table == "alternatives":
            put(kb.alternatives, rec.id, rec)
        elif table == "rules":
            kb.rules.append(rec)
        elif table == "egress_prices":
            put(kb.egress_prices, rec.provider, rec)
        elif table == "exchange_rates":
            put(kb.exchange_rates, rec.currency, rec)
        elif table == "csf_objectives":
            put(kb.csf_objectives, rec.id, rec)
        elif table == "services":
            put(kb.services, (rec.provider, rec.type), rec)
            for name in (rec.type, *rec.aliases):
                key = (rec.provider, name.lower())
                other = kb._aliases.get(key)
                if other is not None and other is not rec:
                    kb.duplicates.append(f"{path}: type alias {name} maps to {other.type} and {rec.type}")
                kb._aliases[key] = rec
