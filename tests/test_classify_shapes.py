"""Names read by their shape (identifiers as "0") give the words, classes and evidence that reading
each name in full gives, and the shortcut turns itself off for a lexicon that could match an identifier."""

from __future__ import annotations

import random
import re

import pytest

from scanner.classify import Classifier, fold, normalized
from scanner.kb.loader import default_kb
from scanner.kb.schema import ClassificationLexicon, ClassificationRule, DataClass, Sense

KB = default_kb()
BUCKET = KB.service("aws", "AWS::S3::Bucket")


def _in_full(classifier: Classifier, name: str, context: str) -> tuple[tuple[str, str], ...]:
    """The words of ``name`` read without shapes or caches of names."""
    return classifier._read(normalized(name), context)


def _names(rng: random.Random, count: int) -> list[str]:
    """Names mixing rule entries, false friends, language words, identifiers and separators."""
    classifier = Classifier(KB.rules, KB.lexicon)
    stems = sorted(k for _, keys in (*classifier._matcher._prefix, *classifier._matcher._inner) for k in keys)
    words = [*rng.sample(sorted(classifier._matcher._whole), 40), *rng.sample(stems, 20),
             "health", "check", "customer", "gateway", "client", "clients", "personal", "daten", "fichier",
             "web", "sante", "publique", "de", "vol", "vm", "prod", "eu", "west", "3", "hl7", "hl77"]
    ids = ["0a48644c6fd0468af", "becfa441", "5ace", "0005000", "7", "f3", "e4b", "99f9b9d1", "ab12cd"]
    seps = ["-", "_", ".", " ", "", "/"]
    out = []
    for _ in range(count):
        parts = [rng.choice(ids) if rng.random() < 0.35 else rng.choice(words) for _ in range(rng.randint(1, 6))]
        if rng.random() < 0.2:
            parts = [p.capitalize() for p in parts]
        out.append("".join(p + rng.choice(seps) for p in parts))
    return out


def test_names_read_by_shape_give_what_each_name_gives_in_full() -> None:
    rng = random.Random(11)
    classifier = Classifier(KB.rules, KB.lexicon)
    assert classifier._ids is not None  # the default lexicon has no entry an identifier could match
    contexts = [("DataClassification", "application"), ("Datenklasse",), ("equipe", "donnees"), ()]
    found = 0
    for name in _names(rng, 4000):
        keys = rng.choice(contexts)
        for _ in range(2):  # the second time from the caches
            got = classifier._words(name, context_keys=keys)
            assert got == _in_full(classifier, name, " ".join(keys)), name
        found += bool(got) and any(ch.isdigit() for ch in name)
    assert found > 500  # names with identifiers that hold evidence were tried


def test_a_language_word_is_read_in_each_names_own_context() -> None:
    classifier = Classifier(KB.rules, KB.lexicon)
    assert classifier.classify({"Datenklasse": "x"}, "ablage-3", BUCKET).classes == ("unknown",)
    assert classifier.classify({}, "personal-0a1b", BUCKET).classes == ("personal",)
    # the same shape ("personal 0"), another language from the tag keys
    assert classifier.classify({"Datenklasse": "x"}, "personal-7f3e", BUCKET).classes == ("employee",)
    assert classifier.classify({}, "personal-99", BUCKET).classes == ("personal",)
    assert classifier.classify({}, "client-42-fichier", BUCKET).source == "name:client"
    assert classifier.classify({}, "client-43-web", BUCKET).classes == ("unknown",)


def test_evidence_names_the_word_as_written_beside_identifiers() -> None:
    classifier = Classifier(KB.rules, KB.lexicon)
    first = classifier.classify({}, "patients-0a48644c6fd0468af", BUCKET)
    second = classifier.classify({}, "patients-7", BUCKET)
    assert first == second and first.source == "name:patients"
    assert classifier.classify({}, "hl7-feed-0042", BUCKET).source == "name:hl7"
    assert classifier.classify({}, "hl77-feed-0042", BUCKET).classes == ("unknown",)


@pytest.mark.parametrize("lexicon, rule", [
    # a whole word that is an identifier
    (ClassificationLexicon(), ClassificationRule(data_class=DataClass.HEALTH, name_terms=["a1"])),
    # a stem an identifier can begin with
    (ClassificationLexicon(), ClassificationRule(data_class=DataClass.HEALTH, name_stems=["faced"])),
    # a language hint that is an identifier
    (ClassificationLexicon(senses=[Sense(word="gift", default=None, languages={"de": DataClass.CONFIDENTIAL})],
                           language_hints={"de": ["ab12"]}),
     ClassificationRule(data_class=DataClass.PUBLIC, name_terms=["www"])),
    # a false friend that could run into an identifier ("data bad12")
    (ClassificationLexicon(exclude_phrases=["data bad"]),
     ClassificationRule(data_class=DataClass.PERSONAL, name_terms=["data"])),
])
def test_a_lexicon_that_can_match_an_identifier_reads_every_name_in_full(
        lexicon: ClassificationLexicon, rule: ClassificationRule) -> None:
    classifier = Classifier([rule], lexicon)
    assert classifier._ids is None
    for name in ["a1-x", "faced0-x", "gift-ab12", "gift-ab13", "data-bad12", "data-bad-12"]:
        assert classifier._words(name) == _in_full(classifier, name, "")


def test_identifier_words_read_as_one_only_when_no_entry_could_match_them() -> None:
    classifier = Classifier([ClassificationRule(data_class=DataClass.HEALTH, name_terms=["de"],
                                                name_stems=["patient"])],
                            ClassificationLexicon(exclude_phrases=["health check"]))
    assert classifier._ids is not None  # "de" holds no digit: no identifier is that word
    assert classifier._words("de-0de-de0-7") == (("health", "de"),)
    assert classifier._words("patient0-ab12") == (("health", "patient0"),)


def test_tag_sets_that_differ_by_tags_giving_no_class_share_an_answer_computed_afresh() -> None:
    rng = random.Random(5)
    shared = Classifier(KB.rules, KB.lexicon)
    group = KB.service("aws", "AWS::EC2::SecurityGroup")
    telling = [("hipaa", "true"), ("DataClassification", "PHI"), ("DataClassification", "internal"),
               ("owner", "patient records"), ("Name", "paie-0042"), ("pii", "yes"), ("usage", "journaux")]
    silent = [("Name", "vol-0a48644c6fd0468af"), ("cost-center", "cc-1234"), ("environment", "prod"),
              ("Name", "web-7")]
    names = ["bucket-1", "patients-0042", "fichier-client-7", "personal-0a1b", "www-site", "salaires-7f",
             "patients-salaires-1", "patients-www-fichier-clients", "salaires-patients"]
    told = set()
    for _ in range(500):
        tags = dict(rng.sample(telling, rng.randint(0, 3)) + rng.sample(silent, rng.randint(0, 3)))
        name = rng.choice(names)
        service, native_type = rng.choice([(BUCKET, "AWS::S3::Bucket"), (group, "AWS::EC2::SecurityGroup")])
        got = shared.classify(tags, name, service, native_type)
        assert got == Classifier(KB.rules, KB.lexicon).classify(tags, name, service, native_type), (tags, name)
        told.add(got)
    assert len(told) > 15  # many answers, tag and name evidence mixed
    assert len(shared._said_cache) < len(shared._tag_cache)  # and tag sets shared them


def _normalized_word_by_word(text: str) -> str:
    """The reading of a name spelled out: camel case split where the case is mixed, folded, split."""
    if text.lower() != text:
        text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", text)
    return " ".join(w for w in re.split(r"[^a-z0-9]+", fold(text)) if w)


def test_normalised_names_are_the_words_spelled_out() -> None:
    rng = random.Random(3)
    pieces = ["Patient", "HR", "data", "Santé", "STRASSE", "Straße", "ẞ", "x9", "_", "-", " ", ".", "é", "Ü",
              "kv", "0A1b", "ﬁ", "İ", "Σ", "ø", "--"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        assert normalized(text) == _normalized_word_by_word(text), text
