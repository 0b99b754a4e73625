"""The caches of a scan give the answers computed afresh: per tag, per word shape, per law hit,
per profile part and per finding template; a cache shared between two providers or two
resources never hands one the other's answer."""

from __future__ import annotations

import io
import json
import random
from functools import cache
from pathlib import Path

import pytest

from graphs.paths import Reach
from scanner.classify import Classifier, _Matcher
from scanner.config import Config
from scanner.inventory import Inventory
from scanner.kb.loader import default_kb
from scanner.kb.schema import Service
from scanner.model import Resource
from scanner.pipeline import assess, scan
from scanner.report.json_out import write_json
from scanner.report.records import FindingMessages, finding_record
from scanner.result import AlternativeFit, Finding, FindingTemplate, LawHit, ScanResult
from scanner.scoring.basis import basis
from scanner.scoring.exposure import hits_for
from scanner.scoring.findings import FindingEngine, Subject
from scanner.scoring.migration import fitting_alternatives, requirements_for

KB = default_kb()
SAMPLES = Path(__file__).resolve().parent.parent / "sample_inventories"


@cache
def _samples() -> ScanResult:
    return scan([SAMPLES], Config())


def _fresh() -> Classifier:
    return Classifier(KB.rules, KB.lexicon)


@pytest.mark.parametrize("name", [
    "patient-records-0027685", "vol-0c09043e453e90800", "patients2024", "x12patientx", "hr2data",
    "dossiers-patients-prod-0080093", "sante0publique", "0krankenakten0", "personal-data-01", "hl7-feed",
    "hl77-feed", "hl7patients"])
def test_digit_runs_read_as_one_give_what_each_word_gives(name: str) -> None:
    bucket = KB.service("aws", "AWS::S3::Bucket")
    squeezed = _fresh()
    plain = _fresh()
    plain._matcher._squeeze_digits = False
    assert squeezed._matcher._squeeze_digits  # no rule stem holds a digit (a term may: "hl7")
    for _ in range(2):  # the second time from the caches
        got = squeezed.classify({}, name, bucket, "AWS::S3::Bucket")
        assert got == plain.classify({}, name, bucket, "AWS::S3::Bucket")


def test_words_mixing_entries_letters_and_digits_find_what_they_find_unsqueezed() -> None:
    rng = random.Random(7)
    squeezed = _fresh()._matcher
    plain = _fresh()._matcher
    plain._squeeze_digits = False
    stems = sorted(k for _, keys in (*plain._prefix, *plain._inner) for k in keys)
    pieces = [*rng.sample(stems, 40), "hl7", "x", "ab", "0", "7", "42", "0099", "e", "f3"]
    matched = 0
    for _ in range(3000):
        word = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 5)))
        found = squeezed.find(word)
        assert found == plain.find(word), word
        matched += bool(found) and not word.isalpha()
    assert matched > 500  # words with digits that hold entries were tried


def test_a_stem_with_digits_turns_digit_squeezing_off() -> None:
    matcher = _Matcher(whole=["covid19"], prefix=["covid19"])
    assert not matcher._squeeze_digits
    assert [entry for entry, _ in matcher.find("covid19 covid19data covid20")] == ["covid19", "covid19"]
    words = _Matcher(whole=["hl7"], prefix=["patient"])
    assert words._squeeze_digits
    assert words.find("hl7 hl8 hl77 patient7 patient77") == [
        ("hl7", "hl7"), ("patient", "patient7"), ("patient", "patient77")]


def test_a_tag_cached_for_one_resource_counts_by_the_other_resources_own_rules() -> None:
    classifier = _fresh()
    tags = {"owner": "patient records"}  # a value: evidence only where names count
    bucket = KB.service("aws", "AWS::S3::Bucket")
    group = KB.service("aws", "AWS::EC2::SecurityGroup")
    first = classifier.classify(tags, "x", bucket, "AWS::S3::Bucket")
    second = classifier.classify(dict(tags), "x", group, "AWS::EC2::SecurityGroup")
    again = classifier.classify(dict(tags), "x", bucket, "AWS::S3::Bucket")
    assert first.classes != ("unknown",) and first.source == "tag:owner"
    assert second.classes == ("unknown",)
    assert again == first == _fresh().classify(tags, "x", bucket, "AWS::S3::Bucket")


def test_the_same_name_and_tags_in_two_providers_keep_their_own_profiles() -> None:
    inv = Inventory()
    tags = {"DataClassification": "PHI"}
    inv.add_resource(Resource(id="arn:aws:s3:::dossiers-patients", provider="aws", native_type="AWS::S3::Bucket",
                              name="dossiers-patients", region="eu-west-3", tags=tags))
    inv.add_resource(Resource(id="//storage.googleapis.com/projects/_/buckets/dossiers-patients", provider="gcp",
                              native_type="storage.googleapis.com/Bucket", name="dossiers-patients",
                              region="europe-west9", tags=tags))
    result = assess(inv, Config())
    aws, gcp = result.assessed
    assert aws.classes == gcp.classes
    assert aws.profile is not gcp.profile
    assert aws.service is not None and gcp.service is not None and aws.service is not gcp.service
    assert {alt.id for alt in aws.alternatives} == {
        alt.id for alt in _alternatives_afresh(aws.service, aws.classes)}
    assert {alt.id for alt in gcp.alternatives} == {
        alt.id for alt in _alternatives_afresh(gcp.service, gcp.classes)}
    assert aws.hits and gcp.hits and {h.via[0] for h in aws.hits}.isdisjoint(h.via[0] for h in gcp.hits)


def _alternatives_afresh(svc: Service, classes: tuple[str, ...]) -> list[AlternativeFit]:
    return fitting_alternatives(KB, svc, requirements_for(KB, classes, "FR", svc))


def test_every_cached_basis_and_weight_is_the_one_computed_afresh() -> None:
    result = _samples()
    seen = 0
    for a in result.assessed:
        for hit in a.hits:
            assert hit.basis == basis(KB, hit), hit
            seen += 1
        # Weighing again without the shared (law, tier) weights gives the same hits.
        raw = list(a.hits)
        again = hits_for(KB, _as_reaches(raw), result.home_country)
        assert [(h.law, h.trigger, h.via, h.foreign, h.weight) for h in again] == \
            [(h.law, h.trigger, h.via, h.foreign, h.weight) for h in raw]
    assert seen > 50


def _as_reaches(hits: list[LawHit]) -> list[Reach]:
    return [Reach(h.law, h.trigger, h.via, h.verified) for h in hits]


def test_finding_messages_filled_once_per_template_equal_each_findings_own() -> None:
    result = _samples()
    messages = FindingMessages()
    assert result.findings
    for f in result.findings:
        assert messages(f) == f.message
    template = FindingTemplate("r", "high", "{name} holds {classes} ({laws})", (("classes", "{name}"), ("laws", "x")))
    for name in ["plain", "{classes}", "a\x00b", "{}"]:
        f = Finding("high", "r", "id", name, template)
        assert messages(f) == f.message == f"{name} holds {{name}} (x)"
    odd = FindingTemplate("r", "high", "{name} \x00 {laws}", (("laws", "x"),))
    assert messages(Finding("high", "r", "id", "n", odd)) == "n \x00 x"


def test_findings_written_in_batches_are_the_records_one_by_one() -> None:
    result = _samples()
    buf = io.BytesIO()
    write_json(result, buf)
    data = json.loads(buf.getvalue())
    assert data["findings"] == [finding_record(f) for f in result.findings]
    assert len(data["resources"]) == len(result.assessed)


def test_findings_shared_by_profiles_are_the_rules_evaluated_afresh() -> None:
    result = _samples()
    engine = FindingEngine(KB, result.home_country)
    copies = 0
    for a in result.assessed:
        p = a.profile
        svc = p.service
        subject = Subject(p.classes, p.data_bearing, svc is not None and svc.category == "key-management", p.hits,
                          p.locations, p.key_control, p.placement is not None)
        assert p.findings == engine.evaluate(subject), a.res.id
        copies += any(len(h.via) > 4 and not h.via[0].startswith("region:") for h in p.hits)
    assert copies  # profiles of resources with copies were among them


def test_the_same_account_in_two_providers_falls_back_to_two_applications() -> None:
    from scanner.applications import group_applications

    inv = Inventory()
    for provider, rid in [("aws", "arn:aws:s3:::a"), ("gcp", "//storage.googleapis.com/projects/_/buckets/b"),
                          ("aws", "arn:aws:s3:::c"), ("aws", "arn:aws:s3:::d")]:
        inv.add_resource(Resource(id=rid, provider=provider, native_type="x", name=rid, account="shared",
                                  tags={"app": "billing"} if rid.endswith("d") else {}))
    apps = group_applications(inv)
    assert apps.of["arn:aws:s3:::a"] == apps.of["arn:aws:s3:::c"] == "account:aws:shared"
    assert apps.of["//storage.googleapis.com/projects/_/buckets/b"] == "project:gcp:shared"
    assert apps.of["arn:aws:s3:::d"] == "tag:billing" and apps.how["arn:aws:s3:::d"] == "tag:app"
