"""Load, validate and index the knowledge base (``scanner/kb/data/**/*.yaml``).

Each data file has one or more top-level keys naming the tables it contributes to (``countries``,
``zones``, ``regions``, ``entities``, ``providers``, ``schemes``, ``qualifications``, ``laws``,
``services``, ``alternatives``, ``rules``, ``weights``); adding facts never needs code. Loading validates every
record with the pydantic models of :mod:`scanner.kb.schema`; :meth:`KnowledgeBase.validate` then
checks the cross-references between tables (every region's country exists, every parent entity
exists, every alternative referenced exists…) and returns the problems found. :func:`default_kb`
reads the shipped knowledge base through the on-disk cache of :mod:`scanner.kb.cache`.

Qualifications (SecNumCloud, HDS, C5, ENS, ISO 27001…) are offer- and region-level records:
:meth:`KnowledgeBase.qualifications_for` answers "which qualifications cover this placement"
(provider, region, resource type) and :meth:`KnowledgeBase.offer_qualifications` the same for a
catalogue offer; the CSF evidence, the alternative filter and the planner all read them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from scanner.errors import SovscanError
from scanner.kb.provenance import ALL_TABLES, CHECKED_TABLES, provenance_problems
from scanner.kb.schema import (
    EFFORT_SCALE,
    Alternative,
    CertificationScheme,
    ClassificationLexicon,
    ClassificationRule,
    ContractingRule,
    Country,
    CsfObjective,
    DataClass,
    EgressPrice,
    Entity,
    ExchangeRate,
    FindingRule,
    GlobalService,
    Law,
    LegalIdentifier,
    OperatorRule,
    Provider,
    Qualification,
    Record,
    Region,
    RegionKind,
    Service,
    ServiceCategory,
    Trigger,
    Zone,
)

DATA_DIR = Path(__file__).parent / "data"


class KnowledgeBaseError(SovscanError):
    """A knowledge-base file (shipped or user-supplied) is invalid."""


@dataclass(frozen=True)
class DueForReview:
    """A knowledge-base record whose ``review_by`` date has passed: its status must be re-checked."""

    table: str  # knowledge-base table, e.g. "laws"
    key: str  # the record's id in that table, e.g. "us-fisa-702"
    review_by: dt.date
    record: Record


class LockinWeights(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    portability: dict[str, float]
    coupling_per_neighbour: float
    coupling_max: float
    gravity_per_log10_gb: float
    gravity_max: float
    concentration_weight: float = Field(ge=0, le=1)


class Weights(BaseModel):
    """Scoring weights (``weights.yaml``), overridable from ``sovscan.toml``."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
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


#: Validation schemas are built on first use, not at import: a knowledge base read from the cache
#: (:mod:`scanner.kb.cache`) is not validated again, so a command that finds it there never builds them.
_DEFER = ConfigDict(defer_build=True)
_TABLES: dict[str, Any] = {
    "countries": TypeAdapter(list[Country], config=_DEFER),
    "zones": TypeAdapter(list[Zone], config=_DEFER),
    "regions": TypeAdapter(list[Region], config=_DEFER),
    "entities": TypeAdapter(list[Entity], config=_DEFER),
    "providers": TypeAdapter(list[Provider], config=_DEFER),
    "schemes": TypeAdapter(list[CertificationScheme], config=_DEFER),
    "qualifications": TypeAdapter(list[Qualification], config=_DEFER),
    "laws": TypeAdapter(list[Law], config=_DEFER),
    "services": TypeAdapter(list[Service], config=_DEFER),
    "alternatives": TypeAdapter(list[Alternative], config=_DEFER),
    "rules": TypeAdapter(list[ClassificationRule], config=_DEFER),
    "egress_prices": TypeAdapter(list[EgressPrice], config=_DEFER),
    "exchange_rates": TypeAdapter(list[ExchangeRate], config=_DEFER),
    "csf_objectives": TypeAdapter(list[CsfObjective], config=_DEFER),
    "findings": TypeAdapter(list[FindingRule], config=_DEFER),
    "global_services": TypeAdapter(list[GlobalService], config=_DEFER),
    "legal_identifiers": TypeAdapter(list[LegalIdentifier], config=_DEFER),
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
    qualifications: dict[str, Qualification] = field(default_factory=dict)
    laws: dict[str, Law] = field(default_factory=dict)
    services: dict[tuple[str, str], Service] = field(default_factory=dict)
    alternatives: dict[str, Alternative] = field(default_factory=dict)
    rules: list[ClassificationRule] = field(default_factory=list)
    lexicon: ClassificationLexicon = field(default_factory=ClassificationLexicon)
    weights: Weights | None = None
    egress_prices: dict[str, EgressPrice] = field(default_factory=dict)
    exchange_rates: dict[str, ExchangeRate] = field(default_factory=dict)
    csf_objectives: dict[str, CsfObjective] = field(default_factory=dict)
    finding_rules: list[FindingRule] = field(default_factory=list)
    #: (provider, botocore endpoint prefix) → where the global service runs in each partition.
    global_services: dict[tuple[str, str], GlobalService] = field(default_factory=dict)
    #: entity id → its LEI from GLEIF (the DORA register of information).
    legal_identifiers: dict[str, LegalIdentifier] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    digest: str = ""
    _aliases: dict[tuple[str, str], Service] = field(default_factory=dict)
    _holders: dict[str, list[Qualification]] | None = None
    _partitions: dict[tuple[str, str], Region | None] = field(default_factory=dict)
    _offer_holds: dict[tuple[str, frozenset[str], dt.date | None], bool] = field(default_factory=dict)

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

        ``partition:<id>`` (see :meth:`global_placement`) becomes a synthetic multi-region made of
        every region of that partition, with the partition set so that its operator rule applies.
        Unknown codes with a numeric suffix fall back to their family (``gra11`` → ``gra``), as
        providers number datacentres inside a documented site.
        """
        if not code:
            return None
        if code.startswith("partition:"):
            return self._partition_region(provider, code[len("partition:"):])
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

    def _partition_region(self, provider: str, partition: str) -> Region | None:
        key = (provider, partition)
        if key not in self._partitions:
            members = sorted(r.code for (prov, _), r in self.regions.items()
                             if prov == provider and r.partition == partition and r.kind == RegionKind.REGION)
            first = self.regions.get((provider, members[0])) if members else None
            self._partitions[key] = None if first is None else Region.model_construct(
                provider=provider, code=f"partition:{partition}", name=f"{partition} partition (region-less service)",
                kind=RegionKind.MULTI_REGION, partition=partition, city=None, country=None, countries=[],
                zone=None, regions=members, paired=None,
                note="a region-less service of this partition: it runs in one or more of the partition's regions",
                source=first.source, as_of=first.as_of)
        return self._partitions[key]

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

    def operator_rule(self, provider: str, region: Region | None, code: str | None) -> OperatorRule | None:
        """The operator rule that decides who runs a provider's region, with its provenance.

        Rules selecting a partition or listing the region come first, in file order; then the
        catch-all rule (no partition, no regions). A provider without a catch-all rule gets a rule
        made from ``default_operator`` and the provider record's own provenance.
        """
        prov = self.providers.get(provider)
        if prov is None:
            return None
        if code and code.startswith("partition:") and region is not None and region.regions:
            # A region-less service of a partition runs in one of its regions: their operator when
            # they share one; else the first region's (aws-cn: Sinnet; both aws-cn operators are
            # PRC companies, so the laws reached are the same).
            rules = [self.operator_rule(provider, self.region(provider, member), member) for member in region.regions]
            if any(rule is not None and rule.partition for rule in rules):
                return next(rule for rule in rules if rule is not None and rule.partition)
            return rules[0]
        catch_all: OperatorRule | None = None
        for rule in prov.operators:
            if not rule.partition and not rule.regions:
                catch_all = catch_all or rule
                continue
            if rule.partition and region is not None and region.partition == rule.partition:
                return rule
            if code and code in rule.regions:
                return rule
        if catch_all is not None:
            return catch_all
        return OperatorRule(entity=prov.default_operator, source=prov.source, as_of=prov.as_of,
                            verified=prov.verified, unverified=prov.unverified)

    def operator_of(self, provider: str, region: Region | None, code: str | None) -> str | None:
        """The entity running a provider's region (operator rules first, then the default).

        This is who runs the region, not who the customer contracts with
        (:meth:`contracting_entity`).
        """
        rule = self.operator_rule(provider, region, code)
        return rule.entity if rule is not None else None

    def contracting_rule(self, provider: str, customer_country: str | None) -> ContractingRule | None:
        """The contracting rule that applies to a customer in ``customer_country`` (ISO code)."""
        prov = self.providers.get(provider)
        if prov is None:
            return None
        fallback: ContractingRule | None = None
        for rule in prov.contracting:
            if not rule.customer_countries and not rule.customer_zone:
                fallback = fallback or rule
                continue
            if customer_country is None or customer_country in rule.except_countries:
                continue
            if customer_country in rule.customer_countries:
                return rule
            zone = self.zones.get(rule.customer_zone or "")
            if zone is not None and customer_country in zone.countries:
                return rule
        return fallback

    def contracting_entity(self, provider: str, customer_country: str | None) -> str | None:
        """The entity a customer in ``customer_country`` signs the provider's agreement with.

        None when the provider publishes no contracting rule that covers the country.
        """
        rule = self.contracting_rule(provider, customer_country)
        return rule.entity if rule is not None else None

    def global_placement(self, provider: str, service_type: str, partition: str | None) -> str | None:
        """Where a region-less resource of ``service_type`` runs in ``partition``: a region code.

        ``service_type`` is the native type of the resource (canonical or any alias). Order:
        the per-partition region derived from botocore's endpoint data (``global_services``);
        for a partition other than the provider's main one with no such data, ``partition:<id>``
        (every region of that partition, never the main partition's region); else the service's
        own ``placement`` (edge footprints, services without partitions).
        """
        svc = self.service(provider, service_type)
        canonical = svc.type if svc is not None else service_type
        main = self._main_partition(provider)
        if svc is not None and partition in (None, main) and svc.placement and svc.placement.startswith("zone:"):
            return svc.placement  # edge footprint: cached copies may sit in any of its countries
        if partition:
            for gs in self.global_services.values():
                if gs.provider == provider and partition in gs.placements and any(
                        canonical == t or (t.endswith("::") and canonical.startswith(t)) for t in gs.types):
                    return gs.placements[partition]
            if partition != main and self._partition_region(provider, partition) is not None:
                return f"partition:{partition}"
        return svc.placement if svc is not None else None

    def _main_partition(self, provider: str) -> str | None:
        """The partition of the provider's ``global`` record (``aws`` for AWS), if it has one."""
        record = self.regions.get((provider, "global"))
        return record.partition if record is not None else None

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

    def due_for_review(self, on: dt.date) -> list[DueForReview]:
        """Records of any table whose ``review_by`` date is before ``on``, oldest deadline first.

        Laws carry ``review_by`` (a sunset clause, a pending appeal); any other record type that
        gains the field is included without code changes.
        """
        due: list[DueForReview] = []
        for table in ALL_TABLES:
            for key, rec in getattr(self, table).items():
                review_by = getattr(rec, "review_by", None)
                if isinstance(review_by, dt.date) and review_by < on:
                    label = "/".join(key) if isinstance(key, tuple) else str(key)
                    due.append(DueForReview(table, label, review_by, rec))
        return sorted(due, key=lambda d: (d.review_by, d.table, d.key))

    def laws_in(self, country: str) -> list[Law]:
        """Laws that reach data located in ``country`` (location trigger), by id."""
        return [law for law in sorted(self.laws.values(), key=lambda law: law.id)
                if Trigger.LOCATION in law.triggers and country in (law.applies_in or [law.jurisdiction])]
    # ------------------------------------------------------------------ qualifications
    def _region_matches(self, provider: str, code: str | None, qual: Qualification) -> bool:
        scope = qual.scope
        if not scope.regions and scope.zone is None:
            return True
        if not code:
            return False  # an unknown placement cannot be shown to lie in the qualified regions
        region = self.region(provider, code)
        if scope.regions and code not in scope.regions and (region is None or region.code not in scope.regions):
            return False
        if scope.zone is not None:
            zone = self.zones.get(scope.zone)
            countries = self.region_countries(region) if region is not None else []
            if zone is None or not countries or not set(countries) <= set(zone.countries):
                return False
        return True

    def qualifications_for(self, provider: str, region_code: str | None,
                           service_type: str | None) -> list[Qualification]:
        """The qualifications whose scope covers a placement: this provider, region and resource type.

        Matches on the holder, then the region (the code or the family it falls back to, and the
        scope's zone), then the resource type: named in ``services`` (aliases accepted) or of a
        category in ``categories``. Records of every status and verification are returned; use
        :meth:`Qualification.holds` before relying on one. A placement whose region or type is
        unknown is covered only by records that do not restrict that axis.
        """
        found: list[Qualification] = []
        svc = self.service(provider, service_type) if service_type else None
        canonical = svc.type if svc is not None else service_type
        for qual in self._by_holder().get(provider, ()):
            if not self._region_matches(provider, region_code, qual):
                continue
            scope = qual.scope
            if scope.service_restricted:
                if canonical is None:
                    continue
                if canonical not in scope.services and (svc is None or svc.category not in scope.categories):
                    continue
            found.append(qual)
        return found

    def offer_qualifications(self, alternative_id: str, region_code: str | None = None) -> list[Qualification]:
        """The qualifications covering a catalogue offer (by id or category), in ``region_code`` if given."""
        alt = self.alternatives.get(alternative_id)
        if alt is None or alt.provider is None:
            return []
        found: list[Qualification] = []
        for qual in self._by_holder().get(alt.provider, ()):
            scope = qual.scope
            if scope.service_restricted and alt.id not in scope.offers and alt.category not in scope.categories:
                continue
            if region_code is not None and not self._region_matches(alt.provider, region_code, qual):
                continue
            found.append(qual)
        return found

    def offer_schemes(self, alternative_id: str, on: dt.date | None = None) -> list[str]:
        """Schemes a catalogue offer holds somewhere (verified, in-date records only), sorted."""
        return sorted({q.scheme for q in self.offer_qualifications(alternative_id) if q.holds(on)})

    def offer_regions(self, alternative_id: str, schemes: Iterable[str],
                      on: dt.date | None = None) -> list[str]:
        """The holder's region codes where the offer holds every scheme in ``schemes``, sorted."""
        alt = self.alternatives.get(alternative_id)
        if alt is None or alt.provider is None:
            return []
        wanted = set(schemes)
        quals = [q for q in self.offer_qualifications(alternative_id) if q.holds(on) and q.scheme in wanted]
        codes = sorted(code for (prov, code) in self.regions if prov == alt.provider)
        return [code for code in codes
                if wanted <= {q.scheme for q in quals if self._region_matches(alt.provider, code, q)}]

    def offer_holds(self, alternative_id: str, schemes: Iterable[str], on: dt.date | None = None) -> bool:
        """Whether the offer holds every scheme in ``schemes`` in at least one placement.

        A holder without region records qualifies only through records that do not restrict the
        region (no region list, no zone).
        """
        wanted = frozenset(schemes)
        if not wanted:
            return True
        key = (alternative_id, wanted, on)
        held = self._offer_holds.get(key)
        if held is None:  # the tables do not change once loaded: one answer per offer, schemes and day
            if self.offer_regions(alternative_id, wanted, on):
                held = True
            else:
                unrestricted = {q.scheme for q in self.offer_qualifications(alternative_id)
                                if q.holds(on) and not q.scope.regions and q.scope.zone is None}
                held = wanted <= unrestricted
            self._offer_holds[key] = held
        return held

    def _by_holder(self) -> dict[str, list[Qualification]]:
        if self._holders is None:
            index: dict[str, list[Qualification]] = {}
            for qual in sorted(self.qualifications.values(), key=lambda q: q.id):
                index.setdefault(qual.holder, []).append(qual)
            self._holders = index
        return self._holders

    def _qualification_problems(self) -> list[str]:
        problems: list[str] = []
        categories = set(get_args(ServiceCategory))
        for qual in self.qualifications.values():
            where = f"qualification {qual.id}"
            if qual.scheme not in self.schemes:
                problems.append(f"{where}: unknown certification scheme {qual.scheme}")
            if qual.holder not in self.providers:
                problems.append(f"{where}: unknown holder {qual.holder}")
            scope = qual.scope
            problems.extend(f"{where}: unknown region {qual.holder}/{code}"
                            for code in scope.regions if self.region(qual.holder, code) is None)
            if scope.zone is not None and scope.zone not in self.zones:
                problems.append(f"{where}: unknown zone {scope.zone}")
            for offer in scope.offers:
                alt = self.alternatives.get(offer)
                if alt is None:
                    problems.append(f"{where}: unknown offer {offer}")
                elif alt.provider != qual.holder:
                    problems.append(f"{where}: offer {offer} belongs to {alt.provider}, not {qual.holder}")
            problems.extend(f"{where}: unknown service {qual.holder}/{typ}"
                            for typ in scope.services if self.service(qual.holder, typ) is None)
            problems.extend(f"{where}: unknown category {c}" for c in scope.categories if c not in categories)
            if qual.issued and qual.valid_until and qual.valid_until < qual.issued:
                problems.append(f"{where}: valid_until before issued")
        return problems

    def in_eea(self, country: str) -> bool:
        c = self.countries.get(country)
        return bool(c and c.eea)

    # ------------------------------------------------------------------ validation
    def validate(self) -> list[str]:
        """Cross-reference checks over every table; returns one message per problem."""
        return [
            *self.duplicates,
            *self._zone_problems(),
            *self._region_problems(),
            *self._entity_problems(),
            *self._provider_problems(),
            *self._law_problems(),
            *self._service_problems(),
            *self._global_service_problems(),
            *self._alternative_problems(),
            *self._qualification_problems(),
            *self._egress_problems(),
            *provenance_problems(self, CHECKED_TABLES),
            *self._weight_problems(),
        ]

    def _unknown_countries(self, codes: Iterable[str | None], where: str) -> list[str]:
        """One message per code that is set but names no country of the ``countries`` table."""
        return [f"{where}: unknown country {code}" for code in codes if code and code not in self.countries]

    def _zone_problems(self) -> list[str]:
        problems: list[str] = []
        for zone in self.zones.values():
            problems.extend(self._unknown_countries(zone.countries, f"zone {zone.id}"))
        return problems

    def _region_problems(self) -> list[str]:
        problems: list[str] = []
        for (prov, code), region in self.regions.items():
            where = f"region {prov}/{code}"
            problems.extend(self._unknown_countries([region.country, *region.countries], where))
            if region.zone and region.zone not in self.zones:
                problems.append(f"{where}: unknown zone {region.zone}")
            if region.paired and (prov, region.paired) not in self.regions:
                problems.append(f"{where}: unknown paired region {region.paired}")
            problems.extend(f"{where}: unknown component region {sub}"
                            for sub in region.regions if (prov, sub) not in self.regions)
            if region.kind != RegionKind.GLOBAL and not self.region_countries(region):
                problems.append(f"{where}: no country")
        return problems

    def _entity_problems(self) -> list[str]:
        problems: list[str] = []
        for ent in self.entities.values():
            where = f"entity {ent.id}"
            problems.extend(self._unknown_countries([ent.country], where))
            problems.extend(self._unknown_countries([ent.controlled_from], f"{where} controlled_from"))
            problems.extend(self._unknown_countries([p.country for p in ent.presence], f"{where} presence"))
            checks = (
                (bool(ent.presence and ent.parent), "presence belongs on the group's ultimate controller"),
                (len({p.country for p in ent.presence}) != len(ent.presence), "presence lists a country twice"),
                (bool(ent.parent and ent.parent not in self.entities), f"unknown parent {ent.parent}"),
                (len(self.entity_chain(ent.id)) > 30, "parent chain too long (cycle?)"),
            )
            problems.extend(f"{where}: {message}" for failed, message in checks if failed)
        return problems

    def _provider_problems(self) -> list[str]:
        problems: list[str] = []
        for provider in self.providers.values():
            where = f"provider {provider.id}"
            entity_ids = [provider.default_operator, *(r.entity for r in provider.operators),
                          *(r.entity for r in provider.contracting)]
            problems.extend(f"{where}: unknown entity {ent_id}" for ent_id in entity_ids
                            if ent_id not in self.entities)
            problems.extend(self._group_problems(provider))
            problems.extend(self._operator_rule_problems(provider))
            problems.extend(self._contracting_rule_problems(provider))
        return problems

    def _group_problems(self, provider: Provider) -> list[str]:
        """The group a provider names exists and holds its default operator."""
        if provider.group is None:
            return []
        group = provider.group.entity
        if group not in self.entities:
            return [f"provider {provider.id}: unknown group entity {group}"]
        if group not in {e.id for e in self.entity_chain(provider.default_operator)}:
            return [f"provider {provider.id}: default operator {provider.default_operator} is not "
                    f"in the group of {group}"]
        return []

    def _operator_rule_problems(self, provider: Provider) -> list[str]:
        """At most one catch-all operator rule, and it names the default operator."""
        problems: list[str] = []
        catch_alls = [r for r in provider.operators if not r.partition and not r.regions]
        if len(catch_alls) > 1:
            problems.append(f"provider {provider.id}: more than one catch-all operator rule")
        if catch_alls and catch_alls[0].entity != provider.default_operator:
            problems.append(f"provider {provider.id}: catch-all operator rule names {catch_alls[0].entity}, "
                            f"default_operator {provider.default_operator}")
        return problems

    def _contracting_rule_problems(self, provider: Provider) -> list[str]:
        """Contracting rules name known zones and countries; at most one of them is a catch-all."""
        problems: list[str] = []
        for rule in provider.contracting:
            if rule.customer_zone and rule.customer_zone not in self.zones:
                problems.append(f"provider {provider.id}: contracting rule names unknown zone {rule.customer_zone}")
            problems.extend(self._unknown_countries([*rule.customer_countries, *rule.except_countries],
                                                    f"provider {provider.id} contracting"))
        if len([r for r in provider.contracting if not r.customer_countries and not r.customer_zone]) > 1:
            problems.append(f"provider {provider.id}: more than one catch-all contracting rule")
        return problems

    def _law_problems(self) -> list[str]:
        problems: list[str] = []
        for law in self.laws.values():
            jurisdiction = law.jurisdiction if law.jurisdiction != "EU" else None
            problems.extend(self._unknown_countries([jurisdiction, *law.applies_in], f"law {law.id}"))
        return problems

    def _service_problems(self) -> list[str]:
        problems: list[str] = []
        for (prov, typ), svc in self.services.items():
            where = f"service {prov}/{typ}"
            if prov not in self.providers:
                problems.append(f"{where}: unknown provider {prov}")
            problems.extend(f"{where}: unknown alternative {alt}"
                            for alt in svc.alternatives if alt not in self.alternatives)
            if svc.placement and self.region(prov, svc.placement) is None:
                problems.append(f"{where}: unknown placement {svc.placement}")
            if svc.parent and self.service(prov, svc.parent) is None:
                problems.append(f"{where}: unknown parent type {svc.parent}")
            if svc.effort not in EFFORT_SCALE:
                problems.append(f"{where}: effort {svc.effort} not on the scale")
        return problems

    def _global_service_problems(self) -> list[str]:
        problems: list[str] = []
        for (prov, name), gs in self.global_services.items():
            for part, code in gs.placements.items():
                placed = self.regions.get((prov, code))
                if placed is None:
                    problems.append(f"global service {prov}/{name}: unknown region {code} ({part})")
                elif placed.partition != part:
                    problems.append(f"global service {prov}/{name}: {code} is not in partition {part}")
        return problems

    def _alternative_problems(self) -> list[str]:
        return [f"alternative {alternative.id}: unknown provider {alternative.provider}"
                for alternative in self.alternatives.values()
                if alternative.provider and alternative.provider not in self.providers]

    def _egress_problems(self) -> list[str]:
        return [
            *(f"egress price {p}: unknown provider" for p in self.egress_prices if p not in self.providers),
            *(f"egress price {p.provider}: no exchange rate for {p.currency}"
              for p in self.egress_prices.values() if p.currency != "EUR" and p.currency not in self.exchange_rates),
        ]

    def _weight_problems(self) -> list[str]:
        """The weights cover every data class and effort, stay in range and name known schemes."""
        if self.weights is None:
            return ["weights.yaml: missing"]
        weights = self.weights
        return [
            *(f"weights: no sensitivity for data class {dc}" for dc in DataClass if dc not in weights.sensitivity),
            *(f"weights: sensitivity {name}={value} outside 0..1"
              for name, value in weights.sensitivity.items() if not 0 <= value <= 1),
            *(f"weights: mitigation {name}={value} outside 0..1"
              for name, value in weights.mitigation.items() if not 0 <= value < 1),
            *(f"weights: no migration level for effort {effort}"
              for effort in EFFORT_SCALE if effort not in weights.migration_levels),
            *(f"weights: unknown certification scheme {s}"
              for cls_reqs in weights.required_certifications.values()
              for schemes in cls_reqs.values() for s in schemes if s not in self.schemes),
        ]

    def counts(self) -> dict[str, int]:
        return {"countries": len(self.countries), "zones": len(self.zones), "regions": len(self.regions),
                "entities": len(self.entities), "providers": len(self.providers),
                "certification schemes": len(self.schemes), "qualifications": len(self.qualifications),
                "laws": len(self.laws),
                "services": len(self.services), "alternatives": len(self.alternatives),
                "classification rules": len(self.rules)}


def _read_yaml(path: Path) -> Any:
    import yaml  # here: a knowledge base read from the cache (scanner.kb.cache) needs no YAML

    # libyaml's safe loader when PyYAML was built with it (several times faster), else the pure one.
    safe_loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=safe_loader)
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
    """The shipped knowledge base, loaded once per process (from the on-disk cache when it is current)."""
    from scanner.kb.cache import cached

    return cached(load_kb)


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


#: Tables whose records are kept by key: table → (attribute of :class:`KnowledgeBase`, the record's key).
_KEYED_TABLES: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "countries": ("countries", lambda rec: rec.code),
    "zones": ("zones", lambda rec: rec.id),
    "regions": ("regions", lambda rec: (rec.provider, rec.code)),
    "entities": ("entities", lambda rec: rec.id),
    "providers": ("providers", lambda rec: rec.id),
    "schemes": ("schemes", lambda rec: rec.id),
    "qualifications": ("qualifications", lambda rec: rec.id),
    "laws": ("laws", lambda rec: rec.id),
    "alternatives": ("alternatives", lambda rec: rec.id),
    "egress_prices": ("egress_prices", lambda rec: rec.provider),
    "exchange_rates": ("exchange_rates", lambda rec: rec.currency),
    "csf_objectives": ("csf_objectives", lambda rec: rec.id),
    "global_services": ("global_services", lambda rec: (rec.provider, rec.service)),
    "legal_identifiers": ("legal_identifiers", lambda rec: rec.entity),
    "services": ("services", lambda rec: (rec.provider, rec.type)),
}
#: Tables whose records are kept in file order, without a key: table → attribute of :class:`KnowledgeBase`.
_LISTED_TABLES = {"rules": "rules", "findings": "finding_rules"}


def _index(kb: KnowledgeBase, table: str, records: list[Any], path: Path) -> None:
    """Add a file's validated records to their table; a key seen before is reported as a duplicate."""
    if table in _LISTED_TABLES:
        getattr(kb, _LISTED_TABLES[table]).extend(records)
        return
    attribute, key_of = _KEYED_TABLES[table]
    store: dict[Any, Any] = getattr(kb, attribute)
    for rec in records:
        key = key_of(rec)
        if key in store:
            kb.duplicates.append(f"{path}: duplicate {table} id {key}")
        store[key] = rec
        if table == "services":
            _index_aliases(kb, rec, path)


def _index_aliases(kb: KnowledgeBase, rec: Service, path: Path) -> None:
    """Make a service findable by its type and each alias, case-insensitive; report clashing aliases."""
    for name in (rec.type, *rec.aliases):
        key = (rec.provider, name.lower())
        other = kb._aliases.get(key)
        if other is not None and other is not rec:
            kb.duplicates.append(f"{path}: type alias {name} maps to {other.type} and {rec.type}")
        kb._aliases[key] = rec
