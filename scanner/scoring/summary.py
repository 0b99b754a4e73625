"""Summary: totals by law, provider, country and data class; lock-in with concentration; migration.

Last step of an assessment. Per-resource facts (provider, lock-in, size) are read once per
resource; per-profile facts once per (profile, provider), times the number of resources sharing
it, so the summary costs one pass over the estate. Mappings whose order carries no meaning are
sorted (counts descending, then ids), so the same input always gives the same output.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from scanner.kb.loader import KnowledgeBase
from scanner.kb.schema import SENSITIVE_CLASSES
from scanner.result import (
    UNLISTED,
    Assessed,
    ClassCount,
    Concentration,
    ExposureSummary,
    Finding,
    LawCount,
    LockinSummary,
    MigrationSummary,
    Profile,
    ProviderSummary,
    Residual,
    Summary,
    UnlistedCountries,
)
from scanner.scoring.exposure import sensitivity
from scanner.scoring.lockin import hhi, overall_lockin


def _by_count(counts: Mapping[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass
class _Provider:
    resources: int = 0
    exposed: int = 0
    score_sum: float = 0.0
    max: float = 0.0
    lockin_sum: float = 0.0
    lockin_n: int = 0
    effort: int = 0


@dataclass
class _Totals:
    """Running totals over the estate."""

    by_law: Counter[str] = field(default_factory=Counter)
    by_law_sensitive: Counter[str] = field(default_factory=Counter)
    residual_law: Counter[str] = field(default_factory=Counter)
    residual_law_sensitive: Counter[str] = field(default_factory=Counter)
    residual: int = 0
    residual_sensitive: int = 0
    providers: dict[str, _Provider] = field(default_factory=dict)
    by_country: Counter[str] = field(default_factory=Counter)
    by_class: dict[str, list[int]] = field(default_factory=dict)
    by_level: Counter[str] = field(default_factory=Counter)
    effort_levels: Counter[str] = field(default_factory=Counter)
    unlisted: int = 0
    unlisted_sensitive: int = 0
    unlisted_countries: set[str] = field(default_factory=set)
    weighted: float = 0.0
    weight_total: float = 0.0
    exposed: int = 0
    sensitive_exposed: int = 0
    effort: int = 0
    lock_total: float = 0.0
    lock_n: int = 0
    data_gb: float = 0.0

    def add_profile(self, kb: KnowledgeBase, profile: Profile, provider: str, n: int) -> None:
        prov = self.providers[provider]
        scored = {h.law for h in profile.hits if h.counts}
        residual = {h.law for h in profile.hits if h.residual}
        sensitive = not SENSITIVE_CLASSES.isdisjoint(profile.classes)
        for law in scored:
            self.by_law[law] += n
            self.by_law_sensitive[law] += n if sensitive else 0
        if residual and not scored:
            self.residual += n
            self.residual_sensitive += n if sensitive else 0
            for law in residual:
                self.residual_law[law] += n
                self.residual_law_sensitive[law] += n if sensitive else 0
        unlisted = sorted(law[len(UNLISTED):] for law in scored if law.startswith(UNLISTED))
        if unlisted:
            self.unlisted += n
            self.unlisted_sensitive += n if sensitive else 0
            self.unlisted_countries.update(unlisted)
        prov.resources += n
        prov.exposed += n if scored else 0
        prov.score_sum += profile.exposure * n
        prov.max = max(prov.max, profile.exposure)
        for code in profile.locations:
            self.by_country[code] += n
        for cls in profile.classes:
            entry = self.by_class.setdefault(cls, [0, 0])
            entry[0] += n
            entry[1] += n if scored else 0
        sens = sensitivity(kb, profile.classes, profile.data_bearing)
        self.weighted += profile.exposure * sens * n
        self.weight_total += sens * n
        if profile.effort is not None:
            self.effort += profile.effort * n
            prov.effort += profile.effort * n
        self.exposed += n if scored else 0
        self.sensitive_exposed += n if scored and sensitive else 0
        self.by_level[profile.exposure_level] += n
        self.effort_levels[profile.effort_level] += n


def _count_resources(totals: _Totals, assessed: Iterable[Assessed]) -> list[tuple[Profile, str, int]]:
    """Per-resource facts; returns each (profile, provider) with the number of resources sharing it."""
    profiles: dict[int, Profile] = {}
    sizes: Counter[tuple[int, str]] = Counter()
    for a in assessed:
        pid = a.res.provider
        prov = totals.providers.get(pid)
        if prov is None:
            prov = totals.providers[pid] = _Provider()
        if a.lockin is not None:
            totals.lock_total += a.lockin
            totals.lock_n += 1
            prov.lockin_sum += a.lockin
            prov.lockin_n += 1
        if a.res.size_gb:
            totals.data_gb += a.res.size_gb
        profiles[id(a.profile)] = a.profile
        sizes[(id(a.profile), pid)] += 1
    return [(profiles[key], pid, n) for (key, pid), n in sizes.items()]


def summarize(kb: KnowledgeBase, assessed: list[Assessed], findings: list[Finding],
              spend_shares: Mapping[str, float] | None = None) -> Summary:
    """Totals by law, provider, country and data class; lock-in with concentration (by resources and,
    with a billing export, by spend: ``spend_shares`` per provider); migration."""
    totals = _Totals()
    for profile, pid, n in _count_resources(totals, assessed):
        totals.add_profile(kb, profile, pid, n)
    total = len(assessed) or 1
    providers = {pid: ProviderSummary(
        resources=p.resources, share=round(p.resources / total, 4), exposed_resources=p.exposed,
        mean_exposure=round(p.score_sum / p.resources, 1), max_exposure=p.max,
        mean_lockin=round(p.lockin_sum / p.lockin_n, 1) if p.lockin_n else None, effort=p.effort)
        for pid, p in sorted(totals.providers.items(), key=lambda kv: (-kv[1].resources, kv[0]))}
    score = round(totals.weighted / totals.weight_total, 1) if totals.weight_total else 0.0
    counts = {pid: p.resources for pid, p in providers.items()}
    concentration = hhi(counts)
    mean_lock = totals.lock_total / totals.lock_n if totals.lock_n else 0.0
    lockin = overall_lockin(kb, mean_lock, concentration) if totals.lock_n else None
    severities = Counter(f.severity for f in findings)
    exposure = ExposureSummary(
        score=score, level=kb.w.level(score) if score else "none", exposed_resources=totals.exposed,
        by_level=_by_count(totals.by_level),
        by_law={law: LawCount(n, totals.by_law_sensitive[law]) for law, n in _by_count(totals.by_law).items()},
        by_provider=providers, by_country=_by_count(totals.by_country),
        by_data_class={c: ClassCount(v[0], v[1]) for c, v in sorted(totals.by_class.items(),
                                                                    key=lambda kv: (-kv[1][0], kv[0]))},
        unlisted_law_countries=UnlistedCountries(totals.unlisted, totals.unlisted_sensitive,
                                                 sorted(totals.unlisted_countries)),
        residual=Residual(totals.residual, totals.residual_sensitive,
                          {law: LawCount(n, totals.residual_law_sensitive[law])
                           for law, n in _by_count(totals.residual_law).items()}),
        sensitive_exposed=totals.sensitive_exposed)
    return Summary(
        resources=len(assessed), exposure=exposure,
        lockin=LockinSummary(
            score=lockin, level=kb.w.level(lockin), mean_resource_lockin=round(mean_lock, 1),
            concentration=Concentration(concentration, round(concentration * 10000),
                                        {p: round(n / total, 4) for p, n in counts.items()},
                                        dict(spend_shares) if spend_shares is not None else None,
                                        round(sum(v * v for v in spend_shares.values()), 4)
                                        if spend_shares is not None else None),
            by_provider={p: v.mean_lockin for p, v in providers.items()}),
        migration=MigrationSummary(effort=totals.effort, data_gb=round(totals.data_gb, 1),
                                   by_provider={p: v.effort for p, v in providers.items()},
                                   by_level=_by_count(totals.effort_levels)),
        findings={sev: severities.get(sev, 0) for sev in ("critical", "high", "medium", "low")})
