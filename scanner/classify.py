"""Data classification from tags, labels and names, with the evidence for each decision.

Rules come from ``classification.yaml`` (or ``sovscan.toml``). Matching is case- and
accent-insensitive (``Santé`` = ``sante``) and works on whole words: names and tag values are split
on punctuation and camel case, so ``dossiers-patients`` and ``PatientRecords`` both contain
``patient(s)`` but ``compatient`` does not. Tags are checked before names; a resource with no
match is ``unknown`` with source ``default``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from scanner.kb.schema import ClassificationRule, DataClass

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case and strip accents: ``Médical`` → ``medical``."""
    if text.isascii():
        return text.lower()
    return _fold_unicode(text)


@lru_cache(maxsize=65536)
def _fold_unicode(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def words(text: str) -> set[str]:
    """Whole words of a name or value, split on punctuation and camel case, folded."""
    if text.lower() != text:  # only mixed case can hide camel-case word boundaries
        text = _CAMEL.sub(" ", text)
    found = set(_SPLIT.split(fold(text)))
    found.discard("")
    return found


@dataclass(frozen=True)
class Classification:
    classes: tuple[str, ...]
    source: str


_UNKNOWN = Classification((str(DataClass.UNKNOWN),), "default")


class Classifier:
    """Applies the rules in order; all matching classes are kept, the first match is the source."""

    def __init__(self, rules: list[ClassificationRule]):
        self._key: dict[str, list[str]] = {}
        self._value: dict[str, list[str]] = {}
        self._term: dict[str, list[str]] = {}
        self._order: dict[str, int] = {}
        self._tag_cache: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
        for index, rule in enumerate(rules):
            cls = str(rule.data_class)
            self._order.setdefault(cls, index)
            for k in rule.tag_keys:
                self._key.setdefault(fold(k), []).append(cls)
            for v in rule.tag_values:
                self._value.setdefault(fold(v), []).append(cls)
            for t in rule.name_terms:
                self._term.setdefault(fold(t), []).append(cls)

    def classify(self, tags: Mapping[str, str], name: str) -> Classification:
        # Tag sets repeat across an estate: their part of the answer is computed once per set.
        tag_key = tuple(tags.items())
        tag_found = self._tag_cache.get(tag_key)
        if tag_found is None:
            tag_found = self._tag_cache[tag_key] = self._from_tags(tags)
        found = dict(tag_found)
        for word in words(name):
            for cls in self._term.get(word, ()):
                found.setdefault(cls, f"name:{name}")
        if not found:
            return _UNKNOWN
        ordered = tuple(sorted(found, key=lambda c: self._order.get(c, 999)))
        return Classification(ordered, found[ordered[0]])

    def _from_tags(self, tags: Mapping[str, str]) -> dict[str, str]:
        found: dict[str, str] = {}

        def add(classes: list[str], evidence: str) -> None:
            for cls in classes:
                found.setdefault(cls, evidence)

        for key, value in tags.items():
            fkey = fold(key)
            if fkey in self._key:
                add(self._key[fkey], f"tag:{key}")
            fvalue = fold(value.strip())
            if fvalue in self._value:
                add(self._value[fvalue], f"tag:{key}={value}")
            for word in words(value):
                if word in self._term:
                    add(self._term[word], f"tag:{key}={value}")
        return found
