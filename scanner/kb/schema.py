"""Schemas of the knowledge-base data files, validated when the knowledge base loads.

Every record carries ``source`` (a URL, a statute citation, or a named library file such as
``botocore 1.43.11 data/partitions.json``) and ``as_of`` (the date the fact was checked). Models
forbid unknown keys so that a typo in a data file is an error, not a silently ignored field.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

IsoCountry = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
ServiceCategory = Literal["storage", "database", "compute", "container", "serverless", "network", "cdn", "dns",
                          "identity", "security", "key-management", "analytics", "ai", "messaging", "logging",
                          "backup", "management", "integration", "email"]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]


class Record(BaseModel):
    """Common base: strict keys, provenance on every record."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    source: str = Field(min_length=3, description="URL, statute, or library file the fact comes from")
    as_of: dt.date = Field(description="date the fact was last checked against its source")
    #: False when the fact could not be checked against a primary source; ``unverified`` then says
    #: what is missing. Unverified facts are shown as such wherever they are used and never alone
    #: raise a finding to high or critical.
    verified: bool = True
    unverified: str = ""
    #: Date of the document or version the fact was read in (a statute's consolidation date, a
    #: judgment's date, a rate's reference day), when it differs from the day it was checked.
    source_date: dt.date | None = None


class Localized(BaseModel):
    """A text in English and French, and in German where the table provides it (laws do)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    en: str = Field(min_length=1)
    fr: str = Field(min_length=1)
    de: str | None = Field(default=None, min_length=1)

    def get(self, lang: str) -> str:
        """The text in ``lang`` (``en``, ``fr``, ``de``), English when that language is missing."""
        text = getattr(self, lang, None) if lang in ("en", "fr", "de") else None
        return text if isinstance(text, str) else self.en


# --------------------------------------------------------------------------- countries


class Adequacy(BaseModel):
    """An EU adequacy decision (GDPR Art. 45) covering a country, fully or partly."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
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


class Presence(Record):
    """Where a group itself does business: one country, with what the group does there.

    The criterion (``docs/knowledge/providers.md``): a company of the group is incorporated in the
    country and carries on the group's cloud or IT business there (sells or provides its services
    to customers there, or runs datacentres or offices serving customers), as the group's annual
    report or registration document, a company registry, or the provider's own legal-entity or
    datacentre pages state it. Ownership of a holding company alone is not presence; control from
    a country (offshore holdings run from the PRC) is ``Entity.controlled_from``, not presence.
    """

    country: IsoCountry
    #: One sentence: what the group itself does there (a subsidiary incorporated there that sells
    #: its services, datacentres, offices serving customers).
    basis: str = Field(min_length=10)


class Entity(Record):
    """A legal entity: the operator of a region, or one of its parents."""

    id: Slug
    name: str
    country: IsoCountry  # country of incorporation
    parent: Slug | None = None  # controlling parent entity, None for the ultimate controller
    control_note: str = ""  # how the parent controls it (share, JV terms)
    #: Where an ultimate controller is actually run from when that differs from its incorporation
    #: (offshore holdings such as a Cayman Islands company run from mainland China). This is
    #: control, not presence.
    controlled_from: IsoCountry | None = None
    #: Countries where the group itself does business (see :class:`Presence`); recorded on the
    #: ultimate controller of each group. Used only for laws with a documented reach over foreign
    #: groups, as a separate, residual tier.
    presence: list[Presence] = Field(default_factory=list)

    def presence_in(self, country: str) -> Presence | None:
        """The presence record for one country, or None."""
        return next((p for p in self.presence if p.country == country), None)


class SchemeText(BaseModel):
    """A scheme's plain-language description in English, French and German."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    en: str = Field(min_length=1)
    fr: str = Field(min_length=1)
    de: str = Field(min_length=1)


class CertificationScheme(Record):
    """A certification or qualification scheme (SecNumCloud, HDS, C5…): what it proves, who issues it."""

    id: Slug
    name: str
    issuer: str
    country: IsoCountry | Literal["EU", "INT"]
    description: SchemeText
    #: Where the issuer publishes who holds it (a list of qualified offers or certified hosts), if anywhere.
    registry: str = ""


#: Statuses under which a qualification record covers a placement (when verified and in date).
HELD_STATUSES = frozenset({"qualified", "certified", "attested"})


class QualificationScope(BaseModel):
    """What a qualification covers, in the knowledge base's own terms.

    Each axis left empty does not restrict: ``regions`` empty covers every region of the holder
    (within ``zone`` when it is set); ``offers``, ``services`` and ``categories`` all empty cover
    every service of the holder. Offer-level schemes (SecNumCloud) must name both axes.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    #: The holder's region codes (``regions/*.yaml``) where the offer is qualified.
    regions: list[str] = Field(default_factory=list)
    #: A zone (``zones.yaml``) every covered placement must lie in, e.g. ``EEA`` for HDS hosting.
    zone: str | None = None
    #: Catalogue offers of the holder (``alternatives.yaml`` ids) that the qualification covers.
    offers: list[Slug] = Field(default_factory=list)
    #: The holder's resource types (``services/*.yaml``) that the qualification covers.
    services: list[str] = Field(default_factory=list)
    #: Service categories of the holder that the qualification covers.
    categories: list[ServiceCategory] = Field(default_factory=list)
    #: The scope as the issuer or the holder words it (sites, product names, exclusions).
    note: str = ""

    @property
    def service_restricted(self) -> bool:
        return bool(self.offers or self.services or self.categories)


class Qualification(Record):
    """One offer's certification or qualification under a scheme, with the placements it covers.

    Qualifications belong to offers and regions, not to companies: a provider's SecNumCloud
    qualification of one offer says nothing about its other offers or regions.
    """

    id: Slug
    scheme: Slug
    holder: Slug  # provider id
    offer: str = Field(min_length=3)  # the offer's name as the holder or the issuer publishes it
    scope: QualificationScope
    status: Literal["qualified", "certified", "attested", "in-progress", "expired", "withdrawn"]
    #: Certificate number or listing id, only where the issuer or the holder publishes one.
    listing: str = ""
    issued: dt.date | None = None
    valid_until: dt.date | None = None
    #: What the customer must do for a placement to be covered (an option to order, a flag to set).
    conditions: str = ""

    def holds(self, on: dt.date | None = None) -> bool:
        """Whether this record can be relied on: a held status, verified, and in date on ``on``."""
        if self.status not in HELD_STATUSES or not self.verified:
            return False
        return on is None or self.valid_until is None or self.valid_until >= on


class OperatorRule(Record):
    """Who runs a provider's regions: a partition, a list of regions, or (neither) all the others.

    The operator is the entity that runs the region (holds the hardware, staff and data), as the
    provider publishes it. Where the provider does not publish it, the rule names the provider's
    parent or main entity with ``verified: false`` and what is missing. It is not the entity the
    customer contracts with (see :class:`ContractingRule`).
    """

    entity: Slug
    partition: str | None = None
    regions: list[str] = Field(default_factory=list)
    basis: str = ""  # what the source says about who runs these regions


class ContractingRule(Record):
    """Which entity a customer signs the provider's agreement with, by the customer's country.

    From the provider's own customer agreement or contracting-entity page. A rule lists the
    customer countries it covers (``customer_countries``) and/or a zone (``customer_zone``: EEA,
    EU…); a rule with neither covers every other customer country.
    """

    entity: Slug
    customer_countries: list[IsoCountry] = Field(default_factory=list)
    customer_zone: str | None = None
    #: Countries of ``customer_zone`` that the rule leaves out (covered by another rule).
    except_countries: list[IsoCountry] = Field(default_factory=list)
    basis: str = ""


class GroupLink(Record):
    """The group a provider's business belongs to: every company that may run its regions is
    controlled by ``entity``. Verified on its own (an annual report's segment description), it
    keeps a control conclusion verified when *which* company of the group runs a region is not
    published."""

    entity: Slug
    basis: str = Field(min_length=10)


class Provider(Record):
    id: Slug
    name: str
    kind: Literal["hyperscaler", "european", "trusted-cloud", "other"]
    #: The entity running regions that no operator rule selects; equal to the entity of the
    #: catch-all operator rule (no partition, no regions), which carries its provenance.
    default_operator: Slug
    operators: list[OperatorRule] = Field(default_factory=list)
    #: Who the customer contracts with, by customer country (first matching rule wins).
    contracting: list[ContractingRule] = Field(default_factory=list)
    #: The group every company running the provider's main regions belongs to (see GroupLink).
    group: GroupLink | None = None
    website: str = ""
    note: str = ""


class GlobalService(Record):
    """Where a region-less (global) service of a partitioned provider runs, per partition.

    Generated from botocore's endpoint data by ``scripts/sync_aws_global_services.py``: the region
    a partition's global endpoint signs requests for (``partitionEndpoint`` → ``credentialScope``
    region in ``data/endpoints.json``; ``signingRegion`` in the service's endpoint rule set).
    """

    provider: Slug
    service: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")  # botocore endpoint prefix (iam, route53…)
    #: Canonical service types (``AWS::IAM::Role``) or prefixes ending in ``::`` that it serves.
    types: list[str] = Field(min_length=1)
    #: partition id → region code of the same provider.
    placements: dict[str, str] = Field(min_length=1)


# --------------------------------------------------------------------------- laws


class Trigger(StrEnum):
    CONTROL = "control"  # reaches entities incorporated in (or controlled from) the jurisdiction
    LOCATION = "location"  # reaches data located in the jurisdiction's territory


class LawStatus(StrEnum):
    """Where a law stands on ``status_as_of``."""

    IN_FORCE = "in-force"  # enacted and applicable
    LAPSED = "lapsed"  # a sunset date passed without reauthorisation (orders made before may run on)
    AMENDED = "amended"  # in force, recently amended: article numbers or powers changed
    PROPOSED = "proposed"  # not yet enacted or not yet applicable
    REPEALED = "repealed"  # no longer law


class PresenceReach(Record):
    """The documented basis on which a compelled-production law reaches a FOREIGN group that merely
    operates or serves customers in the jurisdiction (no incorporation there, no bytes there).

    Only for regimes where a statute or a court decision shows that reach, e.g. the "possession,
    custody, or control" test of 18 U.S.C. § 2713 or a Canadian production order served on a
    foreign provider's local operations. ``source`` is that statute or decision.
    """

    basis: Localized


class Law(Record):
    id: Slug
    name: str
    name_fr: str = ""  # the name as French readers know it (reports in French)
    name_de: str = ""  # the name as German readers know it (reports in German)
    jurisdiction: IsoCountry | Literal["EU"]
    triggers: list[Trigger] = Field(min_length=1)
    #: Countries whose territory triggers the law (location trigger); defaults to the jurisdiction.
    applies_in: list[IsoCountry] = Field(default_factory=list)
    severity: float = Field(ge=0.0, le=1.0, description="access severity weight, see weights.yaml")
    citation: str
    summary: Localized
    status: LawStatus = LawStatus.IN_FORCE
    status_as_of: dt.date = Field(description="date on which the status was established at its source")
    #: Date by which the status must be checked again: soon for volatile facts (a sunset clause, a
    #: pending appeal), within about a year otherwise. Outputs say "due for review" once it passed.
    review_by: dt.date
    #: What is uncertain or about to change in the status (a pending case, an unknown sunset outcome).
    status_note: Localized | None = None
    #: Reach over foreign groups present in the jurisdiction, only where a source documents it.
    presence_reach: PresenceReach | None = None
    content_access: bool = True  # can compel access to content (not just metadata)
    secret: bool = False  # orders can come with a gag / secrecy duty

    @field_validator("review_by")
    @classmethod
    def _review_after_status(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        as_of = info.data.get("status_as_of")
        if isinstance(as_of, dt.date) and value <= as_of:
            raise ValueError("review_by must come after status_as_of")
        return value


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
    category: ServiceCategory
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
    #: Names of children the service creates itself to hold its own metadata (Azure SQL's
    #: ``master`` database): they inherit none of their parent's data classes.
    system_names: list[str] = Field(default_factory=list)
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
    """A sovereign provider's offer or an open-source project that can replace a service.

    An offer carries no certification claim of its own: the qualification records whose scope names
    it (or its category) say which schemes it holds and where (:meth:`KnowledgeBase.offer_schemes`).
    """

    id: Slug
    name: str
    provider: Slug | None = None  # provider id, or None for software run by oneself
    kind: Literal["offer", "open-source"]
    category: str
    compatible_with: list[str] = Field(default_factory=list)  # APIs: s3, postgresql, kubernetes...
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


#: GDPR Art. 9 special categories (health, genetic, biometric): the top of the sensitivity scale.
SPECIAL_CLASSES = frozenset({DataClass.HEALTH.value, DataClass.GENETIC_BIOMETRIC.value})
#: The classes counted as sensitive everywhere (findings, summaries, reports, plans): the special
#: categories, employee data (works-council scope), personal and financial data.
SENSITIVE_CLASSES = SPECIAL_CLASSES | {DataClass.EMPLOYEE.value, DataClass.PERSONAL.value, DataClass.FINANCIAL.value}


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

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
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

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
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

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    name_categories: list[str] = Field(default_factory=list)
    infrastructure_type_terms: list[str] = Field(default_factory=list)
    exclude_phrases: list[str] = Field(default_factory=list)
    senses: list[Sense] = Field(default_factory=list)
    language_hints: dict[str, list[str]] = Field(default_factory=dict)


# --------------------------------------------------------------------------- findings


class FindingCondition(BaseModel):
    """When a finding rule applies; every condition given must hold (``None`` = any)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    data_bearing: bool | None = None
    classes: Literal["special", "sensitive", "transfer"] | None = None
    reach: Literal["scored", "residual-only"] | None = None
    key_control: list[str] | None = None
    region_known: bool | None = None
    home_in_eea: bool | None = None
    outside_eea: bool | None = None  # per-location rules: the copy's country is outside the EEA
    adequacy: Literal["none", "partial"] | None = None  # per-location rules: that country's EU adequacy


class FindingRule(BaseModel):
    """One row of the findings table (``findings.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    rule: Slug
    severity: Literal["critical", "high", "medium", "low"]
    basis: str = Field(min_length=3, description="the legal or methodological basis of the rule")
    when: FindingCondition
    for_each: Literal["location"] | None = None
    unless: list[Slug] = Field(default_factory=list)
    message: str
    message_keys: str | None = None  # the message for a key (it opens the data rather than holding it)


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

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    answer: str
    seal: int = Field(ge=0, le=4)


class CsfCriterion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
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


class LegalIdentifier(Record):
    """An entity's LEI (ISO 17442), from its GLEIF record (``legal_identifiers.yaml``)."""

    entity: Slug
    lei: str = Field(pattern=r"^[A-Z0-9]{18}[0-9]{2}$")
