"""User configuration read from ``sovscan.toml``.

Everything here is optional. Example::

    organization = "Groupement hospitalier"
    home_country = "FR"
    knowledge = ["./our-extra-facts.yaml"]     # more knowledge-base records (same schemas)

    [weights.sensitivity]                      # any key of scanner/kb/data/weights.yaml
    internal = 0.3

    [[classification.rules]]                   # replaces the default classification rules
    data_class = "health"
    tag_values = ["phi", "hds"]
    name_terms = ["patient"]

    [applications]                             # how resources are grouped into applications
    tags = ["application", "app", "workload"]  # tag/label keys naming an application, in order
    show_names = true                          # names of applications in pseudonymised reports

A file that cannot be read or does not match is reported as one line naming the file and the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.applications import ApplicationSettings
from scanner.errors import SovscanError
from scanner.kb.loader import KnowledgeBase, KnowledgeBaseError, default_kb, load_kb


class ConfigError(SovscanError):
    """``sovscan.toml`` is unreadable or has an unknown or ill-typed key."""


_KNOWN = {"organization", "home_country", "knowledge", "weights", "classification", "applications"}


@dataclass(frozen=True)
class Config:
    organization: str | None = None
    home_country: str = "FR"
    knowledge: tuple[Path, ...] = ()
    weights: dict[str, Any] = field(default_factory=dict)
    classification_rules: list[dict[str, Any]] | None = None
    applications: ApplicationSettings = field(default_factory=ApplicationSettings)

    def knowledge_base(self) -> KnowledgeBase:
        """The knowledge base with this configuration's extra facts and overrides applied."""
        if not self.knowledge and not self.weights and self.classification_rules is None:
            return default_kb()
        return load_kb(self.knowledge, self.weights, self.classification_rules)


def load_config(path: Path | None) -> Config:
    """Read ``path`` (or ``./sovscan.toml`` when it exists); defaults otherwise."""
    if path is None:
        candidate = Path("sovscan.toml")
        if not candidate.is_file():
            return Config()
        path = candidate
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (give an existing sovscan.toml to --config)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    unknown = set(doc) - _KNOWN
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(sorted(unknown))} "
                          f"(known: {', '.join(sorted(_KNOWN))})")
    home = doc.get("home_country", "FR")
    if not (isinstance(home, str) and len(home) == 2 and home.isalpha()):
        raise ConfigError(f"{path}: home_country must be an ISO 3166-1 alpha-2 code such as FR")
    knowledge = doc.get("knowledge", [])
    if not isinstance(knowledge, list) or not all(isinstance(k, str) for k in knowledge):
        raise ConfigError(f"{path}: knowledge must be a list of YAML file paths")
    rules = doc.get("classification", {}).get("rules")
    if rules is not None and not isinstance(rules, list):
        raise ConfigError(f"{path}: classification.rules must be an array of tables")
    weights = doc.get("weights", {})
    if not isinstance(weights, dict):
        raise ConfigError(f"{path}: weights must be a table")
    cfg = Config(organization=doc.get("organization"), home_country=home.upper(),
                 knowledge=tuple(path.parent / k for k in knowledge), weights=weights,
                 classification_rules=rules, applications=_applications(path, doc.get("applications", {})))
    try:
        cfg.knowledge_base()
    except KnowledgeBaseError as exc:
        raise ConfigError(str(exc)) from None
    return cfg


def _applications(path: Path, table: object) -> ApplicationSettings:
    """``[applications]``: ``tags`` (a non-empty list of keys) and ``show_names`` (a boolean)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: applications must be a table")
    unknown = set(table) - {"tags", "show_names"}
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) applications.{', applications.'.join(sorted(unknown))} "
                          "(known: applications.tags, applications.show_names)")
    defaults = ApplicationSettings()
    tags = table.get("tags", list(defaults.tag_keys))
    if not isinstance(tags, list) or not tags or not all(isinstance(t, str) and t.strip() for t in tags):
        raise ConfigError(f"{path}: applications.tags must be a non-empty list of tag keys, "
                          'e.g. ["application", "app"]')
    show = table.get("show_names", defaults.show_names)
    if not isinstance(show, bool):
        raise ConfigError(f"{path}: applications.show_names must be true or false")
    return ApplicationSettings(tuple(t.strip() for t in tags), show)
