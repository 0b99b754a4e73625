"""``sovscan.toml``: every refusal is one exact message naming the file; valid keys reach the Config."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.config import Config, ConfigError, load_config
from scanner.kb.loader import default_kb

KNOWN = "applications, classification, home_country, knowledge, limits, organization, weights"


@pytest.mark.parametrize(("text", "message"), [
    ("organization = [", "invalid TOML: "),
    ("colour = 1\nsize = 2", f"unknown key(s) colour, size (known: {KNOWN})"),
    ("organization = 5", "organization must be a string"),
    ('home_country = "FRA"', "home_country must be an ISO 3166-1 alpha-2 code such as FR"),
    ('home_country = "F1"', "home_country must be an ISO 3166-1 alpha-2 code such as FR"),
    ('knowledge = "facts.yaml"', "knowledge must be a list of YAML file paths"),
    ("knowledge = [1]", "knowledge must be a list of YAML file paths"),
    ('classification = "x"', "classification must be a table (with a 'rules' array of tables)"),
    ("classification = {other = 1, more = 2}", "unknown key(s) in classification: more, other (known: rules)"),
    ("classification = {rules = [1]}", "classification.rules must be an array of tables"),
    ("weights = 3", "weights must be a table"),
    ('knowledge = ["a.yaml", "b.yaml"]', "knowledge file(s) not found: {dir}/a.yaml, {dir}/b.yaml "
                                          "(paths are relative to the sovscan.toml)"),
    ("limits = 3", "limits must be a table"),
    ("applications = 3", "applications must be a table"),
])
def test_each_refusal_names_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "sovscan.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(config)
    expected = f"{config}: {message.format(dir=tmp_path)}"
    assert str(info.value).startswith(expected) if message.endswith(": ") else str(info.value) == expected


def test_unreadable_files_are_refused(tmp_path: Path) -> None:
    missing = tmp_path / "none.toml"
    with pytest.raises(ConfigError) as info:
        load_config(missing)
    assert str(info.value) == f"{missing}: no such file (give an existing sovscan.toml to --config)"
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value) == f"{tmp_path}: cannot be read (Is a directory)"
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'organization = "H\xf4pital"\n')
    with pytest.raises(ConfigError) as info:
        load_config(latin)
    assert str(info.value) == f"{latin}: not UTF-8 text"


def test_an_invalid_knowledge_file_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "facts.yaml").write_text("colours: []\n", encoding="utf-8")
    config = tmp_path / "sovscan.toml"
    config.write_text('knowledge = ["facts.yaml"]\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(config)
    assert str(info.value).startswith(f"{tmp_path / 'facts.yaml'}: unknown table 'colours' (expected one of [")


def test_without_a_file_the_defaults_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    told: list[str] = []
    assert load_config(None, told.append) == Config()
    assert told == []
    assert Config().knowledge_base() is default_kb()


def test_every_key_reaches_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "facts.yaml").write_text("countries: []\n", encoding="utf-8")
    config = tmp_path / "sovscan.toml"
    config.write_text("""\
organization = "Hôpital"
home_country = "de"
knowledge = ["facts.yaml"]
[weights.sensitivity]
internal = 0.3
[[classification.rules]]
data_class = "health"
name_terms = ["patient"]
[limits]
max_depth = 64
[applications]
tags = [" app "]
show_names = true
""", encoding="utf-8")
    told: list[str] = []
    cfg = load_config(config, told.append)
    assert told == [f"using the configuration in {config.resolve()}"]
    assert (cfg.organization, cfg.home_country, cfg.knowledge) == ("Hôpital", "DE", (tmp_path / "facts.yaml",))
    assert cfg.weights == {"sensitivity": {"internal": 0.3}}
    assert cfg.classification_rules == [{"data_class": "health", "name_terms": ["patient"]}]
    assert cfg.limits.max_depth == 64
    assert (cfg.applications.tag_keys, cfg.applications.show_names) == (("app",), True)
    kb = cfg.knowledge_base()
    assert kb.w.sensitivity["internal"] == 0.3 and [r.name_terms for r in kb.rules] == [["patient"]]
