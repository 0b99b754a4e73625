"""The report's catalogues (English, French, German) cover every message of the templates, the
report's Python modules and the rows of data (findings, questions), are compiled, and keep every
placeholder; the report's own data files (questions, legal context) are valid and sourced."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from scanner.kb.provenance import check_source
from scanner.report.catalog import extract_rows
from scanner.report.i18n import LANGS, LOCALE_DIR, Words, typeset_html
from scanner.report.questions import legal_contexts, rules

ROOT = Path(__file__).resolve().parent.parent
_PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def _compiled(lang: str) -> dict[object, object]:
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / "sovscan.mo", "rb") as fh:
        return {_key(m.id): _key(m.string) for m in read_mo(fh) if m.id}


def _source(lang: str) -> dict[object, object]:
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / "sovscan.po", "rb") as fh:
        return {_key(m.id): _key(m.string) for m in read_po(fh) if m.id and not m.fuzzy}


def _used() -> set[object]:
    template_options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
    method_map = [("scanner/report/i18n.py", "python"), ("scanner/report/phrases.py", "python"),
                  ("scanner/report/html.py", "python"), ("scanner/kb/data/findings.yaml", extract_rows),
                  ("scanner/report/data/questions.yaml", extract_rows),
                  ("scanner/report/templates/quarterly.*.j2", "jinja2")]
    used: set[object] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, {"scanner/report/templates/quarterly.*.j2": template_options}):
        used.add(message if isinstance(message, str) else tuple(message))
    return used


def test_catalogues_cover_every_message_and_are_compiled() -> None:
    used = _used()
    assert len(used) > 300
    rows = {r.message for r in rules()} | {(r.message, r.message_plural) for r in rules() if r.message_plural}
    assert any(m in used for m in rows)  # the question rows are extracted
    assert "{name} holds {classes} data, reachable by {laws}" in used  # and the findings rows
    assert LANGS == ("en", "fr", "de")
    for lang in LANGS:
        source = _source(lang)
        missing = [m for m in used if not source.get(m) or (isinstance(m, tuple) and not all(source[m]))]  # type: ignore[arg-type]
        assert missing == [], f"{lang}: untranslated {missing[:5]}"
        assert _compiled(lang) == source, f"{lang}: the .mo is older than the .po: run 'make catalogs'"


@pytest.mark.parametrize("lang", ["fr", "de", "en"])
def test_placeholders_survive_translation(lang: str) -> None:
    for msgid, text in _source(lang).items():
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        texts = text if isinstance(text, tuple) else (text,)
        for i, t in enumerate(texts):
            # form 0 is the singular (French uses it for 0 and 1); the others follow the plural msgid
            wanted = set(_PLACEHOLDER.findall(ids[0] if i == 0 else ids[-1]))
            found = set(_PLACEHOLDER.findall(str(t)))
            # a singular form may leave the count out ("the only application…"), nothing else
            assert found <= wanted and wanted - found <= {"%(num)s"}, (lang, msgid, t)


def test_french_and_german_words_are_not_english() -> None:
    fr, de = _source("fr"), _source("de")
    for msgid in ("What matters this quarter", "The applications", "Appendix C: method, limits and facts to confirm"):
        assert fr[msgid] != msgid and de[msgid] != msgid
    assert Words("de").data_class("employee") == "Beschäftigtendaten"
    assert Words("fr").data_class("health") == "données de santé"
    assert Words("de").country("US") == "Vereinigte Staaten" and Words("fr").country("US") == "États-Unis"


def test_typography_keeps_inventory_values_and_markup_as_they_are() -> None:
    html = ('<style>a :b {}</style><p>Note : 40 % « x »</p><p><bdi>nom : valeur</bdi></p>'
            '<a href="https://example.org/a:b">https://example.org/a:b ?</a><p>10:30, http://x</p>')
    out = typeset_html(html, "fr")
    assert "<style>a :b {}</style>" in out and "<bdi>nom : valeur</bdi>" in out
    assert "Note\u202f: 40\u202f% «\u202fx\u202f»" in out
    assert "https://example.org/a:b ?" in out  # the text of a link is left alone
    assert "10:30, http://x" in out
    assert typeset_html("<p>Hinweis : „x“</p>", "de") == "<p>Hinweis: „x“</p>"
    assert typeset_html("<p>Note : x</p>", "en") == "<p>Note : x</p>"


def test_numbers_dates_and_units_by_babel() -> None:
    fr, de, en = Words("fr"), Words("de"), Words("en")
    assert fr.pct(40.5) == "40,5\u00a0%" and de.pct(40.5) == "40,5\u00a0%" and en.pct(40.5) == "40.5%"
    assert fr.pct(16.7) == "16,7\u00a0%"  # never 16,699999…
    assert fr.num(1234.5) == "1\u202f234,5" and de.num(1234.5) == "1.234,5" and en.num(1234.5) == "1,234.5"
    assert fr.gb(1064) == "1\u202f064\u202fGo" and de.gb(1064) == "1.064\u00a0GB"
    assert fr.date("2026-11-30") == "30 novembre 2026" and de.date("2026-11-30") == "30. November 2026"
    assert fr.few(["a", "b", "c", "d", "e"], 3) == "a, b et 3 autres"
    assert de.few(["a", "b"], 3) == "a und b"


def test_legal_context_is_sourced() -> None:
    contexts = legal_contexts()
    assert set(contexts) == {"FR", "DE"}
    assert contexts["FR"].body == "cse" and contexts["DE"].body == "betriebsrat"
    citations = {a.citation for c in contexts.values() for a in c.articles}
    assert {"Code du travail, art. L2312-8, II, 4°", "Code du travail, art. L2315-3", "§ 87 Abs. 1 Nr. 6 BetrVG",
            "§ 90 BetrVG"} <= citations
    for context in contexts.values():
        for article in context.articles:
            assert check_source(article.url) == [], article.url
            assert article.url.startswith(("https://www.legifrance.gouv.fr/", "https://www.gesetze-im-internet.de/"))
            assert article.verified or article.unverified  # what could not be checked is said
