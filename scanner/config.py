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

    [limits]                                   # what one input file may make sovscan read
    max_bytes = "32 GiB"                       # (docs/formats.md, "Limits"; bytes or KiB/MiB/GiB)
    max_value_bytes = "64 MiB"
    [applications]                             # how resources are grouped into applications
    tags = ["application", "app", "workload"]  # tag/label keys naming an application, in order
    show_names = true                          # names of applications in pseudonymised reports

A file that cannot be read or does not match is reported as one line naming the file and the key.
Which file was loaded is said on standard error (a ``sovscan.toml`` in the current folder changes
results, so it is never used silently).
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from providers.base import DEFAULT_LIMITS, ReadLimits
from scanner.applications import ApplicationSettings
from scanner.errors import SovscanError
from scanner.kb.loader import KnowledgeBase, KnowledgeBaseError, default_kb, load_kb


class ConfigError(SovscanError):
    """``sovscan.toml`` is unreadable or has an unknown or ill-typed key."""


_KNOWN = {"organization", "home_country", "knowledge", "weights", "classification", "limits", "applications"}
_UNITS = {"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}


@dataclass(frozen=True)
class Config:
    organization: str | None = None
    home_country: str = "FR"
    knowledge: tuple[Path, ...] = ()
    weights: dict[str, Any] = field(default_factory=dict)
    classification_rules: list[dict[str, Any]] | None = None
    limits: ReadLimits = DEFAULT_LIMITS
    applications: ApplicationSettings = field(default_factory=ApplicationSettings)

    def knowledge_base(self) -> KnowledgeBase:
        """The knowledge base with this configuration's extra facts and overrides applied."""
        if not self.knowledge and not self.weights and self.classification_rules is None:
            return default_kb()
        return load_kb(self.knowledge, self.weights, self.classification_rules)


def load_config(path: Path | None, note: Callable[[str], None] | None = None) -> Config:
    """Read ``path`` (or ``./sovscan.toml`` when it exists); defaults otherwise.

    ``note`` is told which file was loaded (the command line prints it on standard error).
    """
    implicit = path is None
    if path is None:
        candidate = Path("sovscan.toml")
        if not candidate.is_file():
            return Config()
        path = candidate
    doc = _read_toml(path)
    if note is not None:
        note(f"using the configuration in {path.resolve()}"
             + (" (found in the current folder; give --config to choose another)" if implicit else ""))
    unknown = set(doc) - _KNOWN
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(sorted(unknown))} "
                          f"(known: {', '.join(sorted(_KNOWN))})")
    organization = doc.get("organization")
    if organization is not None and not isinstance(organization, str):
        raise ConfigError(f"{path}: organization must be a string")
    home = doc.get("home_country", "FR")
    if not (isinstance(home, str) and len(home) == 2 and home.isalpha()):
        raise ConfigError(f"{path}: home_country must be an ISO 3166-1 alpha-2 code such as FR")
    knowledge = doc.get("knowledge", [])
    if not isinstance(knowledge, list) or not all(isinstance(k, str) for k in knowledge):
        raise ConfigError(f"{path}: knowledge must be a list of YAML file paths")
    rules = _classification_rules(path, doc.get("classification", {}))
    weights = doc.get("weights", {})
    if not isinstance(weights, dict):
        raise ConfigError(f"{path}: weights must be a table")
    cfg = Config(organization=organization, home_country=home.upper(), knowledge=_knowledge_files(path, knowledge),
                 weights=weights, classification_rules=rules, limits=_limits(path, doc.get("limits", {})),
                 applications=_applications(path, doc.get("applications", {})))
    try:
        cfg.knowledge_base()
    except KnowledgeBaseError as exc:
        raise ConfigError(str(exc)) from None
    return cfg


def _read_toml(path: Path) -> dict[str, Any]:
    """The parsed file; a missing, unreadable or malformed file is one :class:`ConfigError` line."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (give an existing sovscan.toml to --config)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None


def _classification_rules(path: Path, classification: object) -> list[dict[str, Any]] | None:
    """``[classification]``: only ``rules``, an array of tables (None keeps the shipped rules)."""
    if not isinstance(classification, dict):
        raise ConfigError(f"{path}: classification must be a table (with a 'rules' array of tables)")
    if set(classification) - {"rules"}:
        raise ConfigError(f"{path}: unknown key(s) in classification: "
                          f"{', '.join(sorted(set(classification) - {'rules'}))} (known: rules)")
    rules = classification.get("rules")
    if rules is not None and not (isinstance(rules, list) and all(isinstance(r, dict) for r in rules)):
        raise ConfigError(f"{path}: classification.rules must be an array of tables")
    return rules


def _knowledge_files(path: Path, knowledge: list[str]) -> tuple[Path, ...]:
    """The extra knowledge files, relative to the configuration file; each must exist."""
    files = tuple(path.parent / k for k in knowledge)
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise ConfigError(f"{path}: knowledge file(s) not found: {', '.join(missing)} "
                          "(paths are relative to the sovscan.toml)")
    return files


def _limits(path: Path, table: Any) -> ReadLimits:
    """The ``[limits]`` table: positive integers, byte sizes also as text with a unit ("32 GiB")."""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: limits must be a table")
    known = {f.name for f in dataclasses.fields(ReadLimits)}
    unknown = set(table) - known
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) in limits: {', '.join(sorted(unknown))} "
                          f"(known: {', '.join(sorted(known))})")
    values: dict[str, int] = {}
    for name, value in table.items():
        number = _size(value) if name.endswith("bytes") else value
        if not isinstance(number, int) or isinstance(number, bool) or number <= 0:
            unit = " (a number of bytes, or text such as \"64 MiB\")" if name.endswith("bytes") else ""
            raise ConfigError(f"{path}: limits.{name} must be a positive integer{unit}")
        values[name] = number
    try:
        return dataclasses.replace(DEFAULT_LIMITS, **values)
    except ValueError as exc:
        raise ConfigError(f"{path}: limits.{exc}") from None


def _size(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    m = re.fullmatch(r"\s*(\d+)\s*([KMGT]iB|B)?\s*", value, re.IGNORECASE)
    if m is None:
        return None
    return int(m.group(1)) * _UNITS[(m.group(2) or "").lower()]
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
