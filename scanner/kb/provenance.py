"""Checks that every knowledge-base fact names a source a reader can open and trust.

A record's ``source`` holds one or more references separated by ``;``. Each reference must be
either an http(s) URL of a page (not a bare domain) on a site that is not known to be unsuitable
(news, blogs, aggregators, encyclopedias, pastes, texts written by a model), or a formal citation
(an EU act with its number, a United States Code section, a court decision's ECLI, a CELEX number,
a company filing by its SEC file or accession number, a company's annual report by name and year, a
registry entry by its number, or a file of a maintained library such as botocore's partition data).
Links to files that are not shipped (``reference/…``, ``docs/…``) and short placeholders are refused.

:func:`provenance_problems` walks every table, nested records included (an entity's
presence entries), and returns one message per problem;
``sovscan kb validate`` prints them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from pydantic import BaseModel

from scanner.kb.schema import Record

#: Hosts (and their subdomains) that are not primary or authoritative sources: news sites, blogs,
#: law-firm and consultancy notes, aggregators, encyclopedias, pastes, model-written texts.
DENIED_HOSTS = frozenset({
    "surefintech.eu", "gist.github.com", "gist.githubusercontent.com", "pastebin.com",
    "wikipedia.org", "wikidata.org", "grokipedia.com", "medium.com", "substack.com", "linkedin.com",
    "reddit.com", "quora.com", "stackoverflow.com", "clubic.com", "linforme.com", "edi-mag.fr",
    "eutoday.net", "azurecloud.expert", "pialab.io", "chambers.com", "itpro.com", "wita.org",
    "kmstixx.com", "techinformed.com", "golem.de", "heise.de", "privacylawyer.ca", "politicsweb.co.za",
    "wilmerhale.com", "lawfaremedia.org", "zdnet.com", "zdnet.fr", "lemagit.fr", "lesechos.fr",
    "silicon.fr", "theregister.com", "techcrunch.com", "reuters.com", "euractiv.com", "usine-digitale.fr",
    # Sources the knowledge base once cited for laws: news, blogs, law-firm notes, translation and
    # statute mirrors that are not the official text.
    "peopleofinternet.com", "cgnnews.net", "zona-m.net", "dlapiper.com", "bakermckenzie.com",
    "lexology.com", "zwillgen.com", "conventuslaw.com", "mondaq.com", "probe42.in", "opennetkorea.org",
    "yomiuri.co.jp", "itresearchart.biz", "lawbrary.ch", "markgraceygdpr.co.uk", "chinalawtranslate.com",
    "wikisource.org",
})
#: Path fragments that mark a page written for machines or a third party's own terms.
DENIED_PATHS = ("llms.txt", "llms-full.txt")

#: Formal citations accepted without a URL: the official number (and year) of an act, a gazette
#: publication, a court decision's neutral citation, or a maintained library's data file. Statutes
#: of countries whose official texts have no stable page are cited this way.
FORMAL_CITATIONS = tuple(re.compile(p) for p in (
    r"\b(Regulation|Directive|Decision) \((EU|EC|EEC|EU, Euratom)\) (No )?\d{2,4}/\d+",
    r"\b\d+ U\.S\.C\. §+ ?\d+",
    r"\bPub\. ?L\. \d+-\d+",  # United States public laws
    r"\b\d+ FR \d+",  # Federal Register (executive orders, rules)
    r"\bECLI:[A-Z]{2}:[A-Z0-9]+:\d{4}:",
    r"\bCELEX:\d",
    r"\bOJ [LC] \d+",
    r"^botocore \d+\.\d+\.\d+ data/",
    # A national act by its official number and year: "Federal Law No. 374-FZ of 2016-07-06",
    # "Royal Decree No. M/19 of 2021-09-16", "Lei n° 12.965 of 2014", "Act No. 21 of 2000".
    r"\b(Act|Law|Code|Decree|Decree-Law|Ordinance|Regulation|Ley|Lei|Loi|Código)\b[^;]{0,120}?"
    r"(\bNo\.|\bNumber\b|\bN°|\bNº|\bn°) ?[A-Z]?/?\d[\d.]*(-[A-Z]{2})?\b[^;]{0,60}?\b(1[89]|20)\d{2}\b",
    r"\bAct \d+ of (1[89]|20)\d{2}\b",  # South Africa: "Act 70 of 2002"
    r"\(Act \d{2,4}\)",  # Laws of Malaysia numbering: "(Act 593)"
    r"\bAct (1[89]|20)\d{2} \(c\. \d+\)",  # United Kingdom chapter numbers
    r"\bR\.S\.C\. \d{4}, c\. [A-Z]-\d+",  # Revised Statutes of Canada
    r"\bSR \d{3}(\.\d+)+\b",  # Swiss Classified Compilation
    r"\b(Official Gazette|Government Gazette|Diario Oficial|Diário Oficial|Journal officiel)\b[^;]*\b(1[89]|20)\d{2}\b",
    r"\bNational People's Congress\b[^;]*\b(19|20)\d{2}-\d{2}-\d{2}\b",  # PRC acts by adopting body and date
    # Court decisions by neutral citation: "2018 BCCA 5", "[2021] ZACC 3", "[2021] EWCA Civ 800".
    r"\b(19|20)\d{2} (SCC|BCCA|BCSC|BCPC|ONCA|ONSC|ONCJ|FC|FCA|CF|QCCA|QCCS|ABCA|ABQB|NSPC) \d+\b",
    r"\[(19|20)\d{2}\] [A-Z]{2,8}( [A-Z][a-z]+)? \d+\b",
    # A company's filing or report by its formal identity, where the copy read has no stable page
    # on the company's or the regulator's site: "Form 10-K for the fiscal year ended May 31, 2021,
    # SEC file no. 001-35992", "SEC accession no. 0000051143-24-000012", "Annual Report 2019".
    r"\bSEC (file|accession) no\. \d[\d-]+\d\b",
    r"\b(Annual Report|Universal Registration Document|Document d'enregistrement universel|"
    r"Geschäftsbericht|Informe Anual)\b[^;]*\b(19|20)\d{2}\b",
    r"\b(19|20)\d{2} (Annual Report|Universal Registration Document|Geschäftsbericht)\b",
    # A company registry entry: "RCS Paris 433 115 904", "Amtsgericht Bonn HRB 6794".
    r"\bRCS [A-Z][\w -]+ \d{3} ?\d{3} ?\d{3}\b",
    r"\b\d{3} ?\d{3} ?\d{3} RCS [A-Z]",
    r"\bAmtsgericht [A-Z][\w -]+,? HR[AB] \d+\b",
    # A data file of another maintained package, by PyPI name, version and path inside the package
    # (the oci SDK's region table, aliyun-python-sdk-core's endpoints, huaweicloudsdkecs regions).
    r"^[a-z][a-z0-9_.-]* \d+(\.\d+)+ [a-z0-9_]+/[\w./-]+\.(json|py|yaml)\b",
))
_URL = re.compile(r"https?://[^\s,;)>\]]+")
_RELATIVE_FILE = re.compile(r"(^|[\s(])(\.{0,2}/)?(reference|docs|shared|scanner|tests)/[\w./-]+")


def check_source(source: str) -> list[str]:
    """What is wrong with one ``source`` value (empty when it is acceptable)."""
    refs = [ref.strip() for ref in source.split(";") if ref.strip()]
    if not refs:
        return ["no source"]
    problems: list[str] = []
    for ref in refs:
        if _RELATIVE_FILE.search(ref):
            problems.append(f"links to a file that is not shipped: {ref!r}")
            continue
        urls = _URL.findall(ref)
        if not urls:
            if not any(p.search(ref) for p in FORMAL_CITATIONS):
                problems.append(f"neither a page URL nor a formal citation: {ref!r}")
            continue
        for url in urls:
            problems.extend(_check_url(url))
    return problems


def _check_url(url: str) -> list[str]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host or "." not in host:
        return [f"not a URL: {url!r}"]
    if any(host == d or host.endswith("." + d) for d in DENIED_HOSTS):
        return [f"not a primary or authoritative source: {url!r}"]
    if any(frag in parts.path for frag in DENIED_PATHS):
        return [f"a page written for machines, not a source: {url!r}"]
    if not parts.path.strip("/") and not parts.query:
        return [f"a bare domain, not the page that states the fact: {url!r}"]
    return []


def _records(value: object, where: str) -> Iterator[tuple[str, Record]]:
    if isinstance(value, Record):
        yield where, value
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _records(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _records(item, f"{where}[{i}]")


def table_records(kb: object, tables: Iterable[str]) -> Iterator[tuple[str, Record]]:
    """``(where, record)`` for every record of the named knowledge-base tables, nested ones too."""
    for table in tables:
        store = getattr(kb, table)
        for key, rec in store.items():
            label = "/".join(key) if isinstance(key, tuple) else str(key)
            yield from _records(rec, f"{table} {label}")


#: Every table whose records carry provenance.
ALL_TABLES = ("countries", "zones", "regions", "entities", "providers", "schemes", "qualifications", "laws",
              "services", "alternatives", "egress_prices", "exchange_rates", "csf_objectives", "global_services",
              "legal_identifiers")


#: Every table is held to these rules by ``sovscan kb validate``.
CHECKED_TABLES = ALL_TABLES


def provenance_problems(kb: object, tables: Iterable[str] = ALL_TABLES) -> list[str]:
    """One message per record whose source or verification note is not acceptable."""
    problems: list[str] = []
    for where, rec in table_records(kb, tables):
        problems.extend(f"{where}: source {p}" for p in check_source(rec.source))
        if not rec.verified and len(rec.unverified.strip()) < 10:
            problems.append(f"{where}: verified is false but 'unverified' does not say what is missing")
    return problems
