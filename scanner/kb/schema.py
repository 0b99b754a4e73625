"""Schemas of the knowledge-base data files, validated when the knowledge base loads.

Every record carries ``source`` (a URL, a statute citation, or a named library file such as
``botocore 1.43.11 data/partitions.json``) and ``as_of`` (the date the fact was checked). Models
forbid unknown keys so that a typo in a data file is an error, not a silently ignored field.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

IsoCountry = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]


class Record(BaseModel):
    """Common base: strict keys, provenance on every record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(min_length=3, description="URL, statute, or library file the fact comes from")
    as_of: dt.date = Field(description="date the fact was last checked against its source")
    #: False when the fact could not be checked against a primary source; ``unverified`` then says
    #: what is missing. Unverified facts are shown as such wherever they are used and never alone
    #: raise a finding to high or critical.
    verified: bool = True
    unverified: str = ""


class Localized(BaseModel):
    """A text in English and French."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    en: str = Field(min_length=1)
    fr: str = Field(min_length=1)


# --------------------------------------------------------------------------- countries


class Adequacy(BaseModel):
    """An EU adequacy decision (GDPR Art. 45) covering a country, fully or partly."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    scope: Literal["full", "partial"]
    decision: str  # e.g. "Commission Implementing Decision (EU) 2023/1795"
    note: str = ""  # e.g. "DPF-certified organisations only"


class Country(Record):
    code: IsoCountry
    name: Localized
    eu: bool = False
    eea: bool = False  # true for EU members too
    adequacy: Adequacy | None = None


class Zone(Record):
    """A named set of countries: EU, EEA, a provider multi-region, a CDN edge footprint."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$")]
    name: str
    countries: list[IsoCountry] = Field(min_length=1)


# --------------------------------------------------------------------------- regions


class RegionKind(StrEnum):
    REGION = "region"
    DUAL_REGION = "dual-region"
    MULTI_REGION = "multi-region"
    GEOGRAPHY = "geography"  # Azure logical geographies such as "europe", "france"
    GLOBAL = "global"


class Region(Record):
    """A provider location code → where the bytes are.

    A single region has ``country``; dual- and multi-regions list their ``countries`` (or name a
    ``zone``) and, where the provider documents them, the component ``regions``.
    """

    provider: Slug
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-/]*$")
    name: str
    kind: RegionKind = RegionKind.REGION
    partition: str | None = None  # AWS partition (aws, aws-cn, aws-eusc, ...)
    city: str | None = None
    country: IsoCountry | None = None
    countries: list[IsoCountry] = Field(default_factory=list)
    zone: str | None = None
    regions: list[str] = Field(default_factory=list)  # component regions of dual/multi-regions
    paired: str | None = None  # Azure region pair (geo-redundant storage secondary)
    note: str = ""


# --------------------------------------------------------------------------- providers


class Entity(Record):
    """A legal entity: the operator of a region, or one of its parents."""

    id: Slug
    name: str
    country: IsoCountry  # country of incorporation
    parent: Slug | None = None  # controlling parent entity, None for the ultimate controller
    control_note: str = ""  # how the parent controls it (share, JV terms)
    #: Where an ultimate controller is actually run from when that differs from its incorporation
    #: (offshore holdings such as a Cayman Islands company run from mainland China).
    controlled_from: IsoCountry | None = None
    #: Countries where the group has subsidiaries or business that courts there have used to reach
    #: group data (the OVH/Canada precedent). Scored with a lower weight than incorporation.
    presence: list[IsoCountry] = Field(default_factory=list)


class CertificationScheme(Record):
    id: Slug
    name: str
    issuer: str
    country: IsoCountry | Literal["EU", "INT"]
    description: Localized


class Certification(Record):
    """A provider's (or an offer's) certification or qualification under a scheme."""

    scheme: Slug
    status: Literal["certified", "qualified", "in-progress", "expired", "partial"]
    scope: str = ""  # which services/regions it covers
    date: dt.date | None = None  # issue / qualification date


class OperatorRule(BaseModel):
    """Which entity operates a provider's regions, by partition or by region list."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    entity: Slug
    partition: str | None = None
    regions: list[str] = Field(default_factory=list)


class Provider(Record):
    id: Slug
    name: str
    kind: Literal["hyperscaler", "european", "trusted-cloud", "other"]
    default_operator: Slug  # entity operating regions unless an operator rule says otherwise
    operators: list[OperatorRule] = Field(default_factory=list)
    certifications: list[Certification] = Field(default_factory=list)
    website: str = ""
    note: str = ""


# --------------------------------------------------------------------------- laws


class Trigger(StrEnum):
    CONTROL = "control"  # reaches entities incorporated in (or controlled from) the jurisdiction
    LOCATION = "location"  # reaches data located in the jurisdiction's territory


class Law(Record):
    id: Slug
    name: str
    name_fr: str = ""  # the name as French readers know it (reports in French)
    jurisdiction: IsoCountry | Literal["EU"]
    triggers: list[Trigger] = Field(min_length=1)
    #: Countries whose territory triggers the law (location trigger); defaults to the jurisdiction.
    applies_in: list[IsoCountry] = Field(default_factory=list)
    severity: float = Field(ge=0.0, le=1.0, description="access severity weight, see weights.yaml")
    citation: str
    summary: Localized
    status: str = "in force"
    content_access: bool = True  # can compel access to content (not just metadata)
    secret: bool = False  # orders can come with a gag / secrecy duty


# --------------------------------------------------------------------------- services


class Portability(StrEnum):
    STANDARD = "standard"  # standard API or open format (S3 API, PostgreSQL wire, Kubernetes, OCI images)
    COMPATIBLE = "compatible"  # open-source-compatible managed service (managed MySQL, Kafka...)
    PROPRIETARY = "proprietary"  # proprietary API with functional equivalents elsewhere
    UNIQUE = "unique"  # proprietary with no real equivalent


EFFORT_SCALE = (0, 1, 3, 5, 7, 13)


class Service(Record):
    """A resource type of one provider, with what it means for lock-in and migration."""

    type: str  # canonical type: AWS::S3::Bucket, microsoft.storage/storageaccounts, storage.googleapis.com/Bucket
    provider: Slug
    name: str
    category: Literal["storage", "database", "compute", "container", "serverless", "network", "cdn",
                      "dns", "identity", "security", "key-management", "analytics", "ai", "messaging",
                      "logging", "backup", "management", "integration", "email"]
    data_bearing: bool  # holds customer data (not just configuration)
    portability: Portability
    effort: int
    effort_reason: str
    alternatives: list[Slug] = Field(default_factory=list)
    #: Other spellings of this type in other formats: Terraform types, Resource Explorer types.
    aliases: list[str] = Field(default_factory=list)
    #: For region-less services: where the service is placed (a region code of the same
    #: provider, or ``zone:<id>``); see global placement notes in ``note``.
    placement: str | None = None
    #: For a child type (a BigQuery table, a Spanner database, an App Engine version, an S3 bucket's
    #: inventory configuration): the type of its parent, canonical or alias. A resource of this type
    #: whose export gives no location is placed where its parent is (``scanner/hierarchy.py``).
    parent: str | None = None
    #: True for a configuration sub-resource that holds no data of its own: it is folded into its
    #: parent (its flows become the parent's) instead of being assessed as a resource.
    fold: bool = False
    note: str = ""

    @model_validator(mode="after")
    def _fold_needs_parent(self) -> Service:
        if self.fold and not self.parent:
            raise ValueError("a folded type needs its parent type")
        return self

    @field_validator("effort")
    @classmethod
    def _on_scale(cls, value: int) -> int:
        if value not in EFFORT_SCALE:
            raise ValueError(f"effort must be one of {EFFORT_SCALE}")
        return value


class Alternative(Record):
    """A sovereign provider's offer or an open-source project that can replace a service."""

    id: Slug
    name: str
    provider: Slug | None = None  # provider id, or None for software run by oneself
    kind: Literal["offer", "open-source"]
    category: str
    compatible_with: list[str] = Field(default_factory=list)  # APIs: s3, postgresql, kubernetes...
    certifications: list[Slug] = Field(default_factory=list)  # scheme ids the offer holds
    url: str = ""


# --------------------------------------------------------------------------- classification


class DataClass(StrEnum):
    HEALTH = "health"
    GENETIC_BIOMETRIC = "genetic-biometric"
    EMPLOYEE = "employee"
    PERSONAL = "personal"
    FINANCIAL = "financial"
    CONFIDENTIAL = "confidential"
    INTERNAL = "internal"
    PUBLIC = "public"
    UNKNOWN = "unknown"


class ClassificationRule(BaseModel):
    """Terms that put a resource in a data class when found in tags, labels or names.

    ``tag_keys``: a tag whose key matches (case-insensitive) is evidence by itself (``hipaa``).
    ``tag_values``: a tag whose value matches (``DataClassification=PHI``). ``name_terms``: whole
    words in the resource name or a tag value (split on punctuation and camel case).
    ``name_stems``: the beginning or the end of a word, which is how compounds carry the class
    (German ``Patientenakte``, ``Stammkunden``; glued English ``patientrecords``); stems of six
    letters or more also match inside a word (``Privatpatientenakte``). Matching is case- and
    accent-insensitive.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    data_class: DataClass
    tag_keys: list[str] = Field(default_factory=list)
    tag_values: list[str] = Field(default_factory=list)
    name_terms: list[str] = Field(default_factory=list)
    name_stems: list[Annotated[str, Field(min_length=4)]] = Field(default_factory=list)


class Sense(BaseModel):
    """A word whose data class depends on the language it is written in (a false friend).

    German *Personal* is the staff (employee data), English *personal* is personal data; French
    *client* is a customer, English *client* usually a program. ``default`` applies when no
    language hint is found beside the word (``None``: no class).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    word: str = Field(min_length=2)
    default: DataClass | None = None
    languages: dict[str, DataClass | None] = Field(default_factory=dict)


class ClassificationLexicon(BaseModel):
    """What keeps name-based classification precise (``classification.yaml``, ``lexicon``).

    - ``name_categories``: service categories whose resources can hold or process data even when
      the service is not data-bearing (a function, a pipeline); resources of other categories
      (network, DNS, identity, management…) and of non-data-bearing services in them get a class
      from their tag keys and data flows only, never from their name or tag values.
    - ``infrastructure_type_terms``: words of a native type name that mark a type the knowledge
      base does not know as infrastructure-only (``HealthCheck``, ``CustomerGateway``, ``Route``).
      Here and in ``language_hints`` a word matches whole, unless written ``word*`` (a word
      beginning with it), ``*word`` (ending with it) or ``*word*`` (containing it).
    - ``exclude_phrases``: phrases whose words are not evidence (``health check``, ``customer
      gateway``, ``client certificate``); matched with or without separators.
    - ``senses``: words whose class depends on the language (``personal``, ``client``).
    - ``language_hints``: words that tell the language of a name, for ``senses``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    name_categories: list[str] = Field(default_factory=list)
    infrastructure_type_terms: list[str] = Field(default_factory=list)
    exclude_phrases: list[str] = Field(default_factory=list)
    senses: list[Sense] = Field(default_factory=list)
    language_hints: dict[str, list[str]] = Field(default_factory=dict)


# --------------------------------------------------------------------------- migration planning


class EgressPrice(Record):
    """A provider's published price for data sent to the internet (first paid tier).

    Used to estimate what leaving a provider costs before the EU Data Act removes switching
    charges (Regulation (EU) 2023/2854, Art. 29: none from 2027-01-12).
    """

    provider: Slug
    price_per_unit: float = Field(ge=0)  # price of the first paid tier, per ``unit`` of data
    currency: Literal["EUR", "USD"]
    unit: Literal["GB", "GiB"] = "GB"
    free_per_month: float = Field(default=0, ge=0)  # free allowance per month, in ``unit`` (not applied)
    tier: str = ""  # the tier as published, e.g. "first 10 TB / month"
    note: str = ""


class ExchangeRate(Record):
    """A reference exchange rate: how many units of ``currency`` one euro buys."""

    currency: Literal["USD"]
    per_eur: float = Field(gt=0)


class CsfAnswer(BaseModel):
    """One rung of a criterion's answer ladder and the SEAL level it guarantees."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    answer: str
    seal: int = Field(ge=0, le=4)


class CsfCriterion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^\d\.\d$")
    name: str
    ladder: list[CsfAnswer] = Field(min_length=2)
    #: Whether sovscan answers it from the knowledge base and the inventory; else manual assessment.
    automated: bool = False
    how: str = ""  # how sovscan answers it (for automated criteria)


class CsfObjective(Record):
    """An objective of the European Commission's Cloud Sovereignty Framework (SOV-1 … SOV-8)."""

    id: str = Field(pattern=r"^SOV-[1-8]$")
    name: str
    weight: float = Field(ge=0, le=1)
    criteria: list[CsfCriterion] = Field(default_factory=list)
