"""Data classification from tags, labels and names, with the evidence for each decision.

Rules come from ``classification.yaml`` (or ``sovscan.toml``), precision aids from its ``lexicon``.
A name or tag value is read as words: split on punctuation and camel case (``PatientRecords``,
``HRData``), lower-cased and accent-folded (``Santé`` = ``sante``, ``Straße`` = ``strasse``).

- Phrases that are known false friends (``health check``, ``customer gateway``, ``client
  certificate``…) are removed first, with or without separators (``healthcheck``, ``HealthCheck``).
- ``name_terms`` match whole words; ``name_stems`` match the beginning or the end of a word, where
  compounds carry their meaning (German ``Krankenakten``, ``Stammkunden``), and stems of six
  letters or more anywhere in a word (``Privatpatientenakte``, Azure's glued ``stbefundserver``).
- A word whose class depends on its language (German *Personal* = staff, English *personal* =
  personal data; French *client* = customer) takes the class of the language that the other words
  of the name show (``language_hints``), else its default.

Names and tag values only count for resources that can hold or process data: the service is
data-bearing or of a category listed in ``lexicon.name_categories``; for types the knowledge base
does not know, unless the type's own name marks it as infrastructure (``HealthCheck``, ``Route``).
Other resources get a class only from tag keys (``hipaa``, ``pii``) and, later in the pipeline,
from the data flows that copy classified data into them.

The evidence recorded is ``tag:KEY`` (the key only: tag values can hold anything, secrets
included), ``name:WORD`` (the word of the name that matched) or ``default``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import overload

from scanner.kb.schema import ClassificationLexicon, ClassificationRule, DataClass, Service

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[^a-z0-9]+")
_DIGITS = re.compile(r"[0-9]+")
#: A word of hexadecimal digits holding at least one digit: a generated identifier, a hash, a serial number.
_ID_WORD = re.compile(r"\b[a-f]*[0-9][0-9a-f]*\b")
_HEXADECIMAL = re.compile(r"[0-9a-f]+")
#: Stems at least this long also match inside a word, not only at its beginning or end.
INFIX_STEM = 6
#: Tag sets whose classes are remembered before the cache is emptied.
TAG_CACHE = 100_000
#: Name shapes (names with their identifiers read as one) whose words are remembered.
NAME_CACHE = 100_000


def fold(text: str) -> str:
    """Lower-case and strip accents: ``Médical`` → ``medical``, ``Straße`` → ``strasse``."""
    if text.isascii():
        return text.lower()
    return _fold_unicode(text)


@lru_cache(maxsize=65536)
def _fold_unicode(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("ß", "ss").replace("ẞ", "SS"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def normalized(text: str) -> str:
    """The words of a name or value, folded and joined by single spaces."""
    folded = text.lower()
    if folded != text:  # only mixed case can hide camel-case word boundaries
        text = _CAMEL.sub(" ", text)
        folded = text.lower()
    if not text.isascii():
        folded = _fold_unicode(text)
    return _SPLIT.sub(" ", folded).strip(" ")


def _alternation(items: Iterable[str]) -> str:
    # Longest first, so that "patients" is tried before "patient".
    return "|".join(re.escape(i) for i in sorted(set(items), key=lambda i: (-len(i), i)))


def _phrase(text: str) -> str:
    """A phrase as a pattern whose words may be glued or separated: ``health ?check``."""
    return " ?".join(re.escape(w) for w in normalized(text).split())


def glued(text: str) -> str:
    """A term as a key: its normalised words without separators (``ressources humaines`` →
    ``ressourceshumaines``), the form every match is reported in."""
    return normalized(text).replace(" ", "")


class _Matcher:
    """Finds words (and phrases), word beginnings, word ends and inner parts among a name's words.

    Matching works on words with set look-ups (a regular expression of several hundred
    alternatives costs far more per name), and each word's matches are cached: an estate repeats the
    same words (``prod``, ``eu``, ``data``) across millions of names.
    """

    CACHE = 200_000  # words remembered before the cache is emptied

    def __init__(self, whole: Iterable[str] = (), prefix: Iterable[str] = (), suffix: Iterable[str] = (),
                 inner: Iterable[str] = ()):
        self._whole: set[str] = set()
        self._phrases: dict[str, list[tuple[str, ...]]] = {}  # first word → phrases of several words
        for item in whole:
            parts = tuple(normalized(item).split())
            if not parts:
                continue
            self._whole.add("".join(parts))  # also matches the phrase written glued ("personaldata")
            if len(parts) > 1:
                self._phrases.setdefault(parts[0], []).append(parts)
        for phrases in self._phrases.values():
            phrases.sort(key=len, reverse=True)  # the longest phrase first, as a reader would
        self._prefix = self._by_length(prefix)
        self._suffix = self._by_length(suffix)
        self._inner = self._by_length(inner)
        self._cache: dict[str, tuple[str, ...]] = {}
        # With no digit in any beginning, end or inner entry, a part of a word that holds a digit
        # never matches one: for those, each run of digits can stand as one ("vol0c09043e" has the
        # parts "vol0c0e" has), so generated identifiers and serial numbers share a few cache
        # entries instead of one each. Whole words (``hl7``) are still looked up as written.
        pieces = [k for _, keys in (*self._prefix, *self._suffix, *self._inner) for k in keys]
        self._squeeze_digits = not any(ch.isdigit() for e in pieces for ch in e)
        self._parts_cache: dict[str, tuple[str, ...]] = {}

    @staticmethod
    def _by_length(items: Iterable[str]) -> list[tuple[int, frozenset[str]]]:
        by_len: dict[int, set[str]] = {}
        for item in items:
            key = glued(item)
            if key:
                by_len.setdefault(len(key), set()).add(key)
        return sorted((n, frozenset(keys)) for n, keys in by_len.items())

    @classmethod
    def stems(cls, terms: Iterable[str], stems: Iterable[str]) -> _Matcher:
        """Rule terms (whole words) and stems (beginning or end, anywhere from six letters)."""
        stems = list(stems)
        return cls(terms, stems, stems, [s for s in stems if len(glued(s)) >= INFIX_STEM])

    @classmethod
    def patterns(cls, items: Iterable[str]) -> _Matcher:
        """Lexicon words: whole unless marked ``word*`` (beginning), ``*word`` (end), ``*word*`` (inside)."""
        whole: list[str] = []
        prefix: list[str] = []
        suffix: list[str] = []
        inner: list[str] = []
        for item in items:
            core = item.strip("*")
            if item.startswith("*") and item.endswith("*"):
                inner.append(core)
                prefix.append(core)
                suffix.append(core)
            elif item.endswith("*"):
                prefix.append(core)
            elif item.startswith("*"):
                suffix.append(core)
            whole.append(core)
        return cls(whole, prefix, suffix, inner)

    def reads_identifiers(self) -> bool:
        """Whether a word of hexadecimal digits holding a digit can match: a whole word or a
        phrase's word is one, or a beginning, end or inner entry is hexadecimal."""
        words = [*self._whole, *(word for phrases in self._phrases.values() for p in phrases for word in p)]
        pieces = [key for _, keys in (*self._prefix, *self._suffix, *self._inner) for key in keys]
        return any(_ID_WORD.fullmatch(w) for w in words) or any(_HEXADECIMAL.fullmatch(p) for p in pieces)

    def _in_word(self, word: str) -> tuple[str, ...]:
        """The entries found in one word: the word itself, its beginning, its end, inside it."""
        found = self._cache.get(word)
        if found is not None:
            return found
        if self._squeeze_digits and not word.isalpha():
            # Not remembered as written (identifiers rarely repeat); its parts are, by shape.
            squeezed = _DIGITS.sub("0", word)
            parts = self._parts_cache.get(squeezed)
            if parts is None:
                if len(self._parts_cache) >= self.CACHE:
                    self._parts_cache.clear()
                runs = [len(run) for run in squeezed.split("0")]  # letters between digits
                parts = self._parts_cache[squeezed] = tuple(dict.fromkeys(
                    self._parts(squeezed, runs[0], runs[-1], max(runs))))
            return tuple(dict.fromkeys([word, *parts])) if word in self._whole else parts
        size = len(word)
        found = tuple(dict.fromkeys([word, *self._parts(word, size, size, size)] if word in self._whole
                                    else self._parts(word, size, size, size)))
        if len(self._cache) >= self.CACHE:
            self._cache.clear()
        self._cache[word] = found
        return found

    def _parts(self, word: str, lead: int, trail: int, longest: int) -> list[str]:
        """The beginning, end and inner entries found in one word, in that order; ``lead``,
        ``trail`` and ``longest`` bound the entries worth trying (letters before the first digit,
        after the last, and the longest run between digits: no entry holds a digit)."""
        hits: list[str] = []
        size = len(word)
        for n, keys in self._prefix:
            if n > lead:
                break
            if word[:n] in keys:
                hits.append(word[:n])
        for n, keys in self._suffix:
            if n > trail:
                break
            if word[size - n:] in keys:
                hits.append(word[size - n:])
        for n, keys in self._inner:
            if n + 2 > size or n > longest:
                break
            hits.extend(word[i:i + n] for i in range(1, size - n) if word[i:i + n] in keys)
        return hits

    def find(self, text: str) -> list[tuple[str, str]]:
        """``(matched entry, glued; word it was found in)`` for every match in normalised ``text``."""
        words = text.split()
        found: list[tuple[str, str]] = []
        phrases, cache = self._phrases, self._cache
        covered = 0  # words that belong to a phrase already found ("sante publique" is not "publique")
        for i, word in enumerate(words):
            if i < covered:
                continue
            if word in phrases:
                phrase = next((p for p in phrases[word] if tuple(words[i:i + len(p)]) == p), None)
                if phrase is not None:
                    found.append(("".join(phrase), word))
                    covered = i + len(phrase)
                    continue
            hits = cache.get(word)
            if hits is None:
                hits = self._in_word(word)
            for entry in hits:
                found.append((entry, word))
        return found


@dataclass(frozen=True)
class Classification:
    classes: tuple[str, ...]
    source: str


_UNKNOWN = Classification((str(DataClass.UNKNOWN),), "default")


@dataclass(slots=True)
class _TagAnswer:
    """What a tag set says, alone and (remembered per name's words) with a name."""

    by_key: dict[str, str]  # class → evidence, from tag keys
    by_value: dict[str, str]  # class → evidence, from tag values
    keys_only: Classification  # where names and values do not count
    with_values: Classification  # where they count but the name adds nothing
    with_names: dict[tuple[tuple[str, str], ...], Classification] = field(default_factory=dict)


class Classifier:
    """Applies the rules in order; all matching classes are kept, the first match is the source."""

    def __init__(self, rules: list[ClassificationRule], lexicon: ClassificationLexicon | None = None):
        lexicon = lexicon or ClassificationLexicon()
        self._key: dict[str, list[str]] = {}
        self._value: dict[str, list[str]] = {}
        self._classes_of: dict[str, list[str]] = {}  # a term or stem → classes
        self._order: dict[str, int] = {}
        terms: set[str] = set()
        stems: set[str] = set()
        for index, rule in enumerate(rules):
            cls = str(rule.data_class)
            self._order.setdefault(cls, index)
            for k in rule.tag_keys:
                self._key.setdefault(fold(k), []).append(cls)
            for v in rule.tag_values:
                self._value.setdefault(fold(v), []).append(cls)
            for t in rule.name_terms:
                self._classes_of.setdefault(glued(t), []).append(cls)
                terms.add(t)
            for st in rule.name_stems:
                self._classes_of.setdefault(glued(st), []).append(cls)
                stems.add(st)
        self._senses = {glued(s.word): s for s in lexicon.senses}
        self._matcher = _Matcher.stems(terms | set(self._senses), stems)
        phrases = [p for p in (_phrase(x) for x in lexicon.exclude_phrases) if p]
        self._exclude = re.compile(_alternation_raw(phrases)) if phrases else None
        # The first word of each phrase, to skip the expression for the many names that hold none.
        keys = {normalized(x).split()[0] for x in lexicon.exclude_phrases if normalized(x)}
        self._exclude_keys = re.compile(_alternation(keys)) if keys else None
        self._hints = {lang: _Matcher.patterns(hints) for lang, hints in lexicon.language_hints.items()}
        self._name_categories = frozenset(lexicon.name_categories)
        self._infra = _Matcher.patterns(lexicon.infrastructure_type_terms) \
            if lexicon.infrastructure_type_terms else None
        self._tag_cache: dict[tuple[tuple[str, str], ...], _TagAnswer] = {}
        self._said_cache: dict[tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...], _TagAnswer] = {}
        self._type_cache: dict[tuple[str, str | None], bool] = {}
        self._item_cache: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {}
        # Names differ mostly by their identifiers (``vol-0a48644c6fd0468af``, ``vm-0005000``). When
        # neither the rules nor the hints can match such a word and no false friend has a
        # hexadecimal word (a phrase could then run into one), it is never evidence, never part of
        # a phrase and never tells a language: a name is read with each of them as "0", and names
        # of the same shape share one reading.
        friends = [w for x in lexicon.exclude_phrases for w in normalized(x).split()]
        reads_ids = self._matcher.reads_identifiers() or any(h.reads_identifiers() for h in self._hints.values()) \
            or any(_HEXADECIMAL.fullmatch(w) for w in friends)
        self._ids: re.Pattern[str] | None = None if reads_ids else _ID_WORD
        self._shapes: dict[str, tuple[tuple[str, str], ...]] = {}  # words of a shape that needs no context
        self._contextual: set[str] = set()  # shapes holding a word whose class depends on the language
        self._in_context: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}

    # ------------------------------------------------------------------ which resources
    def names_apply(self, service: Service | None, native_type: str = "") -> bool:
        """Whether names and tag values are evidence for a resource of this service or type."""
        key = (native_type, service.type if service is not None else None)
        known = self._type_cache.get(key)
        if known is None:
            if service is not None:
                known = service.data_bearing or service.category in self._name_categories
            elif native_type and self._infra is not None:
                known = not self._infra.find(normalized(native_type))
            else:
                known = True
            self._type_cache[key] = known
        return known

    # ------------------------------------------------------------------ matching
    def _words(self, text: str, context: str = "", context_keys: Iterable[str] = ()) -> tuple[tuple[str, str], ...]:
        """``(class, word)`` found in a name or value; ``context`` (and ``context_keys``, joined by
        spaces, only when a word's language is needed) adds words that tell its language."""
        norm = normalized(text)
        if self._ids is not None:
            norm = self._ids.sub("0", norm)
        return self._shape_words(norm, context, context_keys)

    def _shape_words(self, norm: str, context: str, context_keys: Iterable[str]) -> tuple[tuple[str, str], ...]:
        """:meth:`_words` of a name or value already normalised, its identifiers read as "0"."""
        found = self._shapes.get(norm)
        if found is not None:
            return found
        if norm not in self._contextual:
            alone = self._read(norm, None)
            if alone is not None:
                if len(self._shapes) >= NAME_CACHE:
                    self._shapes.clear()
                self._shapes[norm] = alone
                return alone
            if len(self._contextual) >= NAME_CACHE:
                self._contextual.clear()
            self._contextual.add(norm)
        if context_keys:
            context = " ".join(context_keys)
        key = (norm, context)
        found = self._in_context.get(key)
        if found is None:
            if len(self._in_context) >= NAME_CACHE:
                self._in_context.clear()
            found = self._in_context[key] = self._read(norm, context)
        return found

    @overload
    def _read(self, norm: str, context: str) -> tuple[tuple[str, str], ...]: ...
    @overload
    def _read(self, norm: str, context: None) -> tuple[tuple[str, str], ...] | None: ...

    def _read(self, norm: str, context: str | None) -> tuple[tuple[str, str], ...] | None:
        """``(class, word)`` found in normalised words; None when a word's class depends on the
        language and no ``context`` is given."""
        if self._exclude is not None and self._exclude_keys is not None and self._exclude_keys.search(norm):
            norm = self._exclude.sub(" ", norm)
        out: list[tuple[str, str]] = []
        language: str | bool | None = False  # computed on first need
        for entry, word in self._matcher.find(norm):
            sense = self._senses.get(entry)
            if sense is not None:
                if entry != word:  # a sense word inside a compound says nothing by itself
                    continue
                if context is None:
                    return None
                if language is False:
                    language = self._language(f"{norm} {normalized(context)}")
                cls = sense.languages.get(language, sense.default) if isinstance(language, str) \
                    else sense.default
                if cls is not None:
                    out.append((str(cls), word))
                continue
            for cls_name in self._classes_of.get(entry, ()):
                out.append((cls_name, word))
        return tuple(out)

    def _language(self, text: str) -> str | None:
        """The language whose hint words appear most in ``text`` (None when none or a tie)."""
        scores = {lang: len({word for _, word in matcher.find(text)}) for lang, matcher in self._hints.items()}
        best = max(scores.values(), default=0)
        leaders = [lang for lang, n in scores.items() if n == best]
        return leaders[0] if best and len(leaders) == 1 else None

    # ------------------------------------------------------------------ classification
    def classify(self, tags: Mapping[str, str], name: str, service: Service | None = None,
                 native_type: str = "") -> Classification:
        """Classes of a resource from its tags and name; see the module docstring."""
        return self.answer(tags, name, self.names_apply(service, native_type))

    def answer(self, tags: Mapping[str, str], name: str, names: bool) -> Classification:
        """Classes of a resource from its tags and name, where ``names`` says whether names and tag
        values count for it (:meth:`names_apply`)."""
        # Tag sets repeat across an estate: their part of the answer is computed once per set.
        tag_key = tuple(tags.items())
        told = self._tag_cache.get(tag_key)
        if told is None:
            if len(self._tag_cache) >= TAG_CACHE:  # unique Name tags would otherwise fill it
                self._tag_cache.clear()
            told = self._tag_cache[tag_key] = self._tag_answer(tags)
        if not names:
            return told.keys_only
        shape = normalized(name)
        if self._ids is not None:
            shape = self._ids.sub("0", shape)
        words = self._shapes.get(shape)  # the _words of the name, as most names are read
        if words is None:
            words = self._shape_words(shape, "", tags.keys())
        if not words:  # most names: the answer is the tag set's own
            return told.with_values
        answer = told.with_names.get(words)
        if answer is None:
            found = dict(told.by_key)
            for cls, evidence in told.by_value.items():
                found.setdefault(cls, evidence)
            for cls, word in words:
                found.setdefault(cls, f"name:{word}")
            if len(told.with_names) >= NAME_CACHE:
                told.with_names.clear()
            answer = told.with_names[words] = self._answer(found)
        return answer

    def _answer(self, found: dict[str, str]) -> Classification:
        """The classes found, in rule order, with the evidence of the first."""
        if not found:
            return _UNKNOWN
        ordered = tuple(sorted(found, key=lambda c: self._order.get(c, 999)))
        return Classification(ordered, found[ordered[0]])

    def _tag_answer(self, tags: Mapping[str, str]) -> _TagAnswer:
        """What a tag set says. Only the tags that give a class count, by key: tag sets that differ
        by the others (a ``Name``, a cost centre) share one answer."""
        said: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = []
        items = self._item_cache
        for item in tags.items():
            found = items.get(item)
            if found is None:
                if len(items) >= TAG_CACHE:
                    items.clear()
                found = items[item] = self._from_tag(*item)
            if found[0] or found[1]:
                said.append((item[0], *found))
        key = tuple(said)
        told = self._said_cache.get(key)
        if told is None:
            if len(self._said_cache) >= TAG_CACHE:
                self._said_cache.clear()
            told = self._said_cache[key] = self._tell(key)
        return told

    def _tell(self, said: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]) -> _TagAnswer:
        """Classes from tag keys (always evidence) and from tag values (only where names count), from
        ``(key, classes from the key, classes from the value)`` of each tag that gives one, and the
        answers they give alone: where names do not count (keys only) and where they count but the
        name adds nothing (keys, then values)."""
        by_key: dict[str, str] = {}
        by_value: dict[str, str] = {}
        for key, from_key, from_value in said:
            evidence = f"tag:{key}"
            for cls in from_key:
                by_key.setdefault(cls, evidence)
            for cls in from_value:
                by_value.setdefault(cls, evidence)
        with_values = dict(by_key)
        for cls, evidence in by_value.items():
            with_values.setdefault(cls, evidence)
        return _TagAnswer(by_key, by_value, self._answer(dict(by_key)), self._answer(with_values))

    def _from_tag(self, key: str, value: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Classes from one tag's key and from its value, in rule order (a tag repeats across tag sets)."""
        from_value = [*self._value.get(fold(value.strip()), ()), *(cls for cls, _ in self._words(value, key))]
        return tuple(self._key.get(fold(key), ())), tuple(from_value)


def _alternation_raw(patterns: Iterable[str]) -> str:
    return "|".join(sorted(set(patterns), key=lambda p: (-len(p), p)))
