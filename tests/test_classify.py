"""The classifier's rules of reading: which resources names count for, false friends, compounds,
language-dependent words, and evidence that names a tag's key but never its value."""

from __future__ import annotations

import pytest

from scanner.classify import Classifier, normalized
from scanner.kb.loader import default_kb
from scanner.kb.schema import ClassificationLexicon, ClassificationRule, DataClass, Sense, Service

KB = default_kb()
CLASSIFIER = Classifier(KB.rules, KB.lexicon)


def _svc(provider: str, native_type: str) -> Service:
    svc = KB.service(provider, native_type)
    assert svc is not None, native_type
    return svc


BUCKET = _svc("aws", "AWS::S3::Bucket")
SECURITY_GROUP = _svc("aws", "AWS::EC2::SecurityGroup")
FUNCTION = _svc("aws", "AWS::Lambda::Function")


def classes(name: str, tags: dict[str, str] | None = None, service: Service | None = BUCKET,
            native_type: str = "AWS::S3::Bucket") -> tuple[str, ...]:
    return CLASSIFIER.classify(tags or {}, name, service, native_type).classes


def test_words_are_split_on_punctuation_and_camel_case_and_folded() -> None:
    assert normalized("PatientRecords_HRData-Santé.Straße") == "patient records hr data sante strasse"


@pytest.mark.parametrize(("name", "expected"), [
    ("lb-health-check", ("unknown",)),
    ("patient-healthcheck", ("health",)),      # the phrase goes, the patient stays
    ("api-healthz", ("unknown",)),
    ("liveness-probe-results", ("unknown",)),
    ("customer-managed-key-backups", ("unknown",)),
    ("MyCustomerGateway", ("unknown",)),
    ("client-certificate-store", ("unknown",)),
    ("millisekunden-messwerte", ("unknown",)),  # ends in "kunden", says nothing of customers
    ("release-candidate-builds", ("unknown",)),
])
def test_false_friends_are_not_evidence(name: str, expected: tuple[str, ...]) -> None:
    assert classes(name) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("Krankenakten", "health"),
    ("Privatpatientenakte", "health"),
    ("stbefundserver", "health"),               # Azure storage account names are glued
    ("Personalakten", "employee"),
    ("Kundenstammdaten", "personal"),
    ("Stammkunden", "personal"),
    ("Gehaltsdaten", "employee"),
    ("patientrecords", "health"),
])
def test_compounds_and_glued_names_are_read_by_their_parts(name: str, expected: str) -> None:
    assert classes(name)[0] == expected


def test_german_personal_is_staff_and_english_personal_is_personal_data() -> None:
    assert classes("Personal-Verwaltung") == ("employee",)
    assert classes("personal-data-store") == ("personal",)
    assert classes("personal") == ("personal",)
    # the language of a tag's key counts too
    assert classes("ablage-3", {"Datenklasse": "Personal"}) == ("employee",)
    assert classes("personnel-planning") == ("employee",)  # French and English "personnel": staff


def test_client_is_a_customer_in_french_and_a_program_in_english() -> None:
    assert classes("fichier-client") == ("personal",)
    assert classes("web-client") == ("unknown",)


def test_names_do_not_classify_resources_that_hold_no_data() -> None:
    assert classes("sg-patient-db", service=SECURITY_GROUP, native_type="AWS::EC2::SecurityGroup") == ("unknown",)
    # tag values neither; a tag key that says it does
    assert classes("sg-1", {"DataClassification": "PHI"}, SECURITY_GROUP, "AWS::EC2::SecurityGroup") == ("unknown",)
    assert classes("sg-1", {"hipaa": "true"}, SECURITY_GROUP, "AWS::EC2::SecurityGroup") == ("health",)
    # a function is not data-bearing but processes data: its name counts
    assert classes("export-patient-records", service=FUNCTION, native_type="AWS::Lambda::Function") == ("health",)


def test_unknown_types_are_judged_by_their_type_name() -> None:
    assert classes("patient-portal-hc", service=None, native_type="compute.googleapis.com/RegionHealthCheck") \
        == ("unknown",)
    assert classes("kundenportal-rt", service=None, native_type="AWS::EC2::TransitGatewayRouteTable") == ("unknown",)
    assert classes("patient_discharges", service=None, native_type="AWS::Glue::Table") == ("health",)


def test_evidence_names_the_tag_key_never_its_value() -> None:
    found = CLASSIFIER.classify({"Projekt": "Patientenportal-Geheimnis-4711"}, "bucket-1", BUCKET, "AWS::S3::Bucket")
    assert found.classes == ("health",) and found.source == "tag:Projekt"
    assert CLASSIFIER.classify({}, "ghge-dossiers-patients", BUCKET).source == "name:patients"


def test_a_phrase_is_read_before_its_words() -> None:
    assert classes("sante-publique-indicateurs") == ("health",)  # not "public"
    assert classes("blood-bank-inventory") == ("health",)  # not "financial"


def test_senses_follow_the_language_hints_of_the_lexicon() -> None:
    lexicon = ClassificationLexicon(senses=[Sense(word="gift", default=None, languages={"de": DataClass.CONFIDENTIAL})],
                                    language_hints={"de": ["daten*"]})
    classifier = Classifier([ClassificationRule(data_class=DataClass.PUBLIC, name_terms=["www"])], lexicon)
    assert classifier.classify({}, "gift-wrapping", None, "AWS::S3::Bucket").classes == ("unknown",)
    assert classifier.classify({}, "gift-datenbank", None, "AWS::S3::Bucket").classes == ("confidential",)
