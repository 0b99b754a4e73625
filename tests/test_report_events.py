"""Every event of the quarterly report's change list, worded whole, in English (Markdown) and French (HTML)."""

from __future__ import annotations

import pytest

from scanner.kb.loader import default_kb
from scanner.report.events import Event
from scanner.report.i18n import Words
from scanner.report.phrases import event


def _app(kind: str, worse: bool | None, **params: object) -> Event:
    return Event(kind, "a", "Paie", worse, dict(params))


def _kb(kind: str, **params: object) -> Event:
    return Event(kind, None, "", True, dict(params))


CLOUD_ACT = ["us-cloud-act"]
EVENTS = [
    Event("app-new", "a", "Dossiers", True, {"resources": 3, "classes": ["health"], "control": True,
                                             "location": False, "residual": False, "laws": CLOUD_ACT}),
    Event("app-new", "a", "Dossiers", False, {"resources": 1, "classes": [], "control": False, "location": False,
                                              "residual": True, "laws": []}),
    _app("app-removed", False, resources=2, classes=["personal"]),
    _app("copy-abroad-new", True, countries=["US", "IN"], kinds=["replica"], laws=CLOUD_ACT),
    _app("copy-abroad-new", True, countries=["US"], kinds=[], laws=[]),
    _app("copy-abroad-ended", False, countries=["US"]),
    _app("reclassified", True, resources=2, gained=["health"], lost=["personal"], became_sensitive=True,
         no_longer_sensitive=False, control=False, location=True, laws=CLOUD_ACT),
    _app("reclassified", False, resources=1, gained=[], lost=["health"], became_sensitive=False,
         no_longer_sensitive=True, control=False, location=False, laws=[]),
    _app("reclassified", False, resources=1, gained=["personal"], lost=[], became_sensitive=False,
         no_longer_sensitive=False, control=False, location=False, laws=[]),
    _app("provider-moved", True, gained=["aws"], lost=["ovhcloud"]),
    _app("provider-moved", True, gained=[], lost=["aws"]),
    _app("keys-changed", True, resources=3,
         changes=[("provider-managed", "customer-managed", 2), ("unknown", "customer-external", 1)]),
    _kb("kb-law", law="us-cloud-act", before=None, after="in-force"),
    _kb("kb-law", law="us-cloud-act", before="in-force", after=None),
    _kb("kb-law", law="us-cloud-act", before="proposed", after="in-force"),
    _kb("kb-law", law="us-cloud-act", before="in-force", after="in-force", verified_after=True),
    _kb("kb-law", law="us-cloud-act", before="in-force", after="in-force", verified_after=False),
    _kb("kb-placement", region="eu-west-3", provider="aws", operator_after="aws-emea-sarl", operator_before="aws-inc"),
]

ENGLISH = [
    ("New application “Dossiers” (3 resources): health data, reachable by a foreign law through its provider's "
     'control. Laws: Stored Communications Act as amended by the CLOUD Act.'),
    ("New application “Dossiers” (1 resource): no sensitive data, reachable only through its provider's "
     'presence abroad (residual, contested).'),
    'The application “Paie” (2 resources: personal data) is no longer in the inventory.',
    ('“Paie” is now copied outside the EU/EEA (United States and India). How: read replica. Laws reaching it '
     'there: Stored Communications Act as amended by the CLOUD Act.'),
    '“Paie” is now copied outside the EU/EEA (United States).',
    '“Paie” is no longer copied outside the EU/EEA (United States).',
    ('“Paie”: 2 resources hold other data than last quarter; now health data; no longer personal data. The '
     'application now holds sensitive data, reachable by a foreign law through a copy abroad. Laws: Stored '
     'Communications Act as amended by the CLOUD Act.'),
    ('“Paie”: 1 resource holds other data than last quarter; no longer health data. The application no longer '
     'holds sensitive data.'),
    '“Paie”: 1 resource holds other data than last quarter; now personal data.',
    '“Paie”: now also with Amazon Web Services; no longer with OVHcloud.',
    '“Paie”: no longer with Amazon Web Services.',
    ("“Paie”: who holds the keys changed for 3 resources: the provider's → ours, kept at the provider (2); not "
     'shown in the exports → held by us, outside the provider (1).'),
    'Knowledge base: Stored Communications Act as amended by the CLOUD Act was added.',
    'Knowledge base: Stored Communications Act as amended by the CLOUD Act was removed.',
    'Knowledge base: Stored Communications Act as amended by the CLOUD Act is now in force (it was proposed).',
    ('Knowledge base: the facts about Stored Communications Act as amended by the CLOUD Act are now checked at '
     'a primary source.'),
    ('Knowledge base: the facts about Stored Communications Act as amended by the CLOUD Act could no longer be '
     'checked at a primary source.'),
    ('Knowledge base: the region eu-west-3 of Amazon Web Services is now run by Amazon Web Services EMEA SARL '
     '(it was Amazon Web Services, Inc.).'),
]

FRENCH = [
    ('Nouvelle application «\u202f<bdi>Dossiers</bdi>\u202f» (3 ressources) : données de santé, atteignable par '
     'une loi étrangère via le contrôle de son fournisseur. Lois : Stored Communications Act modifié par le '
     'CLOUD Act.'),
    ('Nouvelle application «\u202f<bdi>Dossiers</bdi>\u202f» (1 ressource) : aucune donnée sensible, '
     'atteignable seulement par la présence de son fournisseur à l&#39;étranger (résiduel, contesté).'),
    ('L&#39;application «\u202f<bdi>Paie</bdi>\u202f» (2 ressources : données personnelles) ne figure plus dans '
     'l&#39;inventaire.'),
    ('«\u202f<bdi>Paie</bdi>\u202f» est désormais copiée hors de l&#39;UE/EEE (États-Unis et Inde). Mode de '
     'copie : réplique en lecture. Lois qui l&#39;y atteignent : Stored Communications Act modifié par le CLOUD '
     'Act.'),
    '«\u202f<bdi>Paie</bdi>\u202f» est désormais copiée hors de l&#39;UE/EEE (États-Unis).',
    '«\u202f<bdi>Paie</bdi>\u202f» n&#39;est plus copiée hors de l&#39;UE/EEE (États-Unis).',
    ('«\u202f<bdi>Paie</bdi>\u202f» : 2 ressources contiennent d&#39;autres données qu&#39;au trimestre '
     'précédent; désormais des données de santé; plus de données personnelles. L&#39;application contient '
     'désormais des données sensibles, atteignable par une loi étrangère via une copie à l&#39;étranger. Lois : '
     'Stored Communications Act modifié par le CLOUD Act.'),
    ('«\u202f<bdi>Paie</bdi>\u202f» : 1 ressource contient d&#39;autres données qu&#39;au trimestre précédent; '
     'plus de données de santé. L&#39;application ne contient plus de données sensibles.'),
    ('«\u202f<bdi>Paie</bdi>\u202f» : 1 ressource contient d&#39;autres données qu&#39;au trimestre précédent; '
     'désormais des données personnelles.'),
    '«\u202f<bdi>Paie</bdi>\u202f» : désormais aussi chez Amazon Web Services; n&#39;est plus chez OVHcloud.',
    '«\u202f<bdi>Paie</bdi>\u202f» : n&#39;est plus chez Amazon Web Services.',
    ('«\u202f<bdi>Paie</bdi>\u202f» : le détenteur des clés a changé pour 3 ressources : celles du fournisseur '
     '→ les nôtres, conservées chez le fournisseur (2); non indiqué dans les exports → chez nous, hors du '
     'fournisseur (1).'),
    'Base de connaissances : ajout de Stored Communications Act modifié par le CLOUD Act (États-Unis).',
    'Base de connaissances : retrait de Stored Communications Act modifié par le CLOUD Act (États-Unis).',
    ('Base de connaissances : Stored Communications Act modifié par le CLOUD Act (États-Unis) est désormais en '
     'vigueur (statut précédent : en projet).'),
    ('Base de connaissances : les faits concernant Stored Communications Act modifié par le CLOUD Act '
     '(États-Unis) sont désormais vérifiés à une source primaire.'),
    ('Base de connaissances : les faits concernant Stored Communications Act modifié par le CLOUD Act '
     '(États-Unis) n&#39;ont plus pu être vérifiés à une source primaire.'),
    ('Base de connaissances : la région <bdi>eu-west-3</bdi> de Amazon Web Services est désormais exploitée par '
     'Amazon Web Services EMEA SARL (auparavant : Amazon Web Services, Inc.).'),
]


@pytest.mark.parametrize(("lang", "mode", "expected"), [("en", "md", ENGLISH), ("fr", "html", FRENCH)])
def test_each_event_kind_and_branch_is_worded(lang: str, mode: str, expected: list[str]) -> None:
    w = Words(lang, mode, kb=default_kb())
    assert [str(event(w, e)) for e in EVENTS] == expected


def test_an_unknown_event_kind_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^unknown event kind 'moved-house'$"):
        event(Words("en", "md"), _app("moved-house", None))
