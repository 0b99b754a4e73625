"""The reports' languages: catalogues, labels of ids, numbers, dates and typography per language.

Words come from the gettext catalogues in ``scanner/locale`` (``sovscan`` domain) through Babel;
numbers, percentages, volumes, amounts and dates are formatted by Babel for the report's language
everywhere (prose, tables and charts alike); country names come from Babel's CLDR data, law names
from the knowledge base (``name_fr``, ``name_de``). :class:`Words` is what the templates and the
chart builder use. Product and provider names (Amazon S3, OVHcloud, PostgreSQL) are proper nouns
and are kept as their makers write them; the category next to them says what they are in the
reader's language.

Typography: French text gets a narrow no-break space (U+202F) before ``: ; ? ! % €`` and ``»``
and after ``«``; German text gets no space before those signs and „…“ quotes. The rules are
applied to the report's own words, never inside inventory values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import Translations
from babel.units import format_unit
from markupsafe import Markup, escape

from scanner.errors import UsageError

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "sovscan"
LANGS = ("en", "fr", "de")

# Bidirectional controls (embeddings, overrides, isolates, marks) and other invisible controls.
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c\x00-\x08\x0b-\x1f\x7f]")
MAX_VALUE = 120  # characters of an inventory value shown in a report
NNBSP = "\u202f"  # narrow no-break space (French typography)


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def clean(value: object, limit: int = MAX_VALUE) -> str:
    """An inventory value made safe to show: no bidi or control characters, at most ``limit`` chars.

    Only inventory values are cut: the tool's own texts (law summaries, citations, sources) never are.
    """
    text = _BIDI.sub("", "" if value is None else str(value)).replace("\n", " ").replace("\r", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


@lru_cache(maxsize=8)
def translations(lang: str) -> Translations:
    """The compiled catalogue of ``lang`` (``scanner/locale/<lang>/LC_MESSAGES/sovscan.mo``)."""
    if lang not in LANGS:
        raise UsageError(f"language {lang!r}: choose one of {', '.join(LANGS)}")
    found = Translations.load(str(LOCALE_DIR), [lang], domain=DOMAIN)
    if not isinstance(found, Translations) and lang != "en":
        raise FileNotFoundError(f"{LOCALE_DIR}/{lang}/LC_MESSAGES/{DOMAIN}.mo is missing: run 'make catalogs'")
    return found  # type: ignore[return-value]


# --------------------------------------------------------------------------- typography

_FR_BEFORE = re.compile(r"[ \u00a0\u202f]*([:;!?%€»])")
_FR_AFTER = re.compile(r"«[ \u00a0\u202f]*")
_FR_STRAIGHT = re.compile(r'"([^"<>\n]{1,200})"')


def _fr_chunk(text: str) -> str:
    def before(m: re.Match[str]) -> str:
        sign = m.group(1)
        start = m.start()
        prev = text[start - 1] if start > 0 else ""
        after = text[m.end()] if m.end() < len(text) else ""
        # "http://", "10:30", "a:b" stay as they are (no space before the sign, none after it either);
        # "word: text" is English-style punctuation in French text and gets its narrow space.
        if m.group(0) == sign and sign in ":;!?" and (not prev or prev.isspace() or prev in "/:;!?"
                                                       or not (after.isspace() or after == "")):
            return sign
        if m.group(0) == sign and sign == "%" and not prev.isdigit():
            return sign
        return NNBSP + sign

    text = _FR_BEFORE.sub(before, text)
    text = _FR_AFTER.sub("«" + NNBSP, text)
    return _FR_STRAIGHT.sub(lambda m: f"«{NNBSP}{m.group(1)}{NNBSP}»", text)


_DE_BEFORE = re.compile(r"[ \u00a0\u202f]+([:;!?])")
_DE_STRAIGHT = re.compile(r'"([^"<>\n]{1,200})"')


def _de_chunk(text: str) -> str:
    text = _DE_BEFORE.sub(r"\1", text)
    return _DE_STRAIGHT.sub("„\\1“", text)


def typeset_text(text: str, lang: str) -> str:
    """The language's typography applied to one plain text of the report's own (a chart label)."""
    return _fr_chunk(text) if lang == "fr" else _de_chunk(text) if lang == "de" else text


_TAG = re.compile(r"(<[^>]*>)")
_SKIP = ("<bdi", "<code", "<style", "<svg", "<a ")
_SKIP_END = {"<bdi": "</bdi>", "<code": "</code>", "<style": "</style>", "<svg": "</svg>", "<a ": "</a>"}


def typeset_html(html: str, lang: str) -> str:
    """Apply the language's typography to the text of an HTML document (not to tags, styles,
    charts, links or inventory values, which sit in ``<bdi>``)."""
    fix = _fr_chunk if lang == "fr" else _de_chunk if lang == "de" else None
    if fix is None:
        return html
    out: list[str] = []
    skipping: str | None = None
    depth = 0
    for part in _TAG.split(html):
        if part.startswith("<"):
            low = part.lower()
            if skipping is None:
                opener = next((s for s in _SKIP if low.startswith(s)), None)
                if opener is not None and not low.endswith("/>"):
                    skipping, depth = _SKIP_END[opener], 1
            elif low.startswith(skipping[:-1]) and not low.startswith("</"):
                depth += 1
            elif low == skipping:
                depth -= 1
                if depth == 0:
                    skipping = None
            out.append(part)
        else:
            out.append(part if skipping is not None else fix(part))
    return "".join(out)


_MD_CODE = re.compile(r"(`[^`]*`|<https?://[^>]*>|\]\([^)]*\))")


def typeset_markdown(text: str, lang: str) -> str:
    """Apply the language's typography to Markdown prose (not to code spans or link targets)."""
    fix = _fr_chunk if lang == "fr" else _de_chunk if lang == "de" else None
    if fix is None:
        return text
    return "".join(part if _MD_CODE.fullmatch(part) else fix(part) for part in _MD_CODE.split(text))


# --------------------------------------------------------------------------- labels of ids

#: Data classes as nouns in running text (their title form capitalises the first letter).
DATA_CLASSES = {
    "health": N_("health data"), "genetic-biometric": N_("genetic or biometric data"),
    "employee": N_("employee data"), "personal": N_("personal data"), "financial": N_("financial data"),
    "confidential": N_("confidential business data"), "internal": N_("internal data"),
    "public": N_("public data"), "unknown": N_("unclassified data"),
}
LEVELS = {"critical": N_("critical"), "high": N_("high"), "medium": N_("medium"), "low": N_("low"),
          "none": N_("none"), "unknown": N_("unknown")}
FLOW_KINDS = {
    "replication": N_("replication"), "replica": N_("read replica"), "backup": N_("backup"),
    "failover": N_("standby copy (failover)"), "cdn": N_("content delivery (CDN)"), "logs": N_("log export"),
    "multi-region": N_("copies in several regions"), "peering": N_("network peering"),
    "trust": N_("access granted to another account"),
}
KEY_CONTROLS = {
    "customer-external": N_("held by us, outside the provider"),
    "customer-managed": N_("ours, kept at the provider"),
    "provider-managed": N_("the provider's"),
    "unknown": N_("not shown in the exports"),
}
TIERS = {"control": N_("by control"), "location": N_("by location"), "presence": N_("through presence only")}
BASES = {
    "tag": N_("named by a tag"), "resource-group": N_("Azure resource group"), "project": N_("Google Cloud project"),
    "account": N_("account"), "provider": N_("provider, no account"),
}
CATEGORIES = {
    "ai": N_("AI"), "analytics": N_("analytics"), "backup": N_("backup"), "cdn": N_("content delivery"),
    "compute": N_("servers"), "container": N_("containers"), "database": N_("database"), "dns": N_("DNS"),
    "email": N_("e-mail"), "identity": N_("identities and access"), "integration": N_("integration"),
    "key-management": N_("encryption keys"), "logging": N_("logs"), "management": N_("management"),
    "messaging": N_("messaging"), "network": N_("network"), "security": N_("security"),
    "serverless": N_("functions"), "storage": N_("storage"),
}
LAW_STATUS = {"in-force": N_("in force"), "lapsed": N_("lapsed"), "amended": N_("amended"),
              "proposed": N_("proposed"), "repealed": N_("repealed")}
QUARTERS = {1: N_("Q1 %(year)s"), 2: N_("Q2 %(year)s"), 3: N_("Q3 %(year)s"), 4: N_("Q4 %(year)s")}


class Words:
    """Everything a report says in one language and one output format (``html`` or ``md``)."""

    def __init__(self, lang: str, mode: str = "html", kb: Any = None):
        self.lang = lang
        self.mode = mode
        self.kb = kb
        self.locale = Locale.parse(lang)
        self.t = translations(lang)
        self.home: str | None = None  # the organisation's country, when the report says it

    # -- catalogue
    def _(self, message: str, **params: Any) -> str:
        text = self.t.gettext(message)
        return text % params if params else text

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The translated template for ``n`` (fill it with :meth:`fill` or :meth:`count`)."""
        return self.t.ngettext(singular, plural, n)

    def count(self, template: str, n: int, **params: Any) -> str:
        """A plain-text template filled with ``num`` (``n`` formatted) and ``params``."""
        return template % {"num": self.integer(n), **params}

    # -- numbers (Babel)
    def num(self, value: float | int | None, digits: int = 1) -> str:
        if value is None:
            return "–"
        fmt = "#,##0" if digits == 0 or float(value).is_integer() else "#,##0." + "#" * digits
        return format_decimal(round(float(value), digits), format=fmt, locale=self.locale)

    def integer(self, value: int | None) -> str:
        return "–" if value is None else format_decimal(value, format="#,##0", locale=self.locale)

    def pct(self, value: float | None, digits: int = 1) -> str:
        """``value`` in percent (40.5 → "40.5%", "40,5 %", "40,5 %"), the language's own pattern."""
        if value is None:
            return "–"
        return format_percent(Decimal(str(round(value, digits))) / 100, locale=self.locale,
                              decimal_quantization=False)

    def signed(self, value: float | int | None, digits: int = 1) -> str:
        if value is None:
            return "–"
        text = self.num(abs(value), digits)
        return f"+{text}" if value > 0 else (f"−{text}" if value < 0 else text)

    def gb(self, value: float | None) -> str:
        if value is None:
            return "–"
        if value >= 10000:
            return format_unit(round(value / 1000, 1), "digital-terabyte", length="short", locale=self.locale)
        return format_unit(round(value, 1), "digital-gigabyte", length="short", locale=self.locale)

    def eur(self, value: float | None) -> str:
        return "–" if value is None else format_currency(value, "EUR", locale=self.locale)

    def date(self, iso: str | dt.date | None) -> str:
        if not iso:
            return "–"
        day = iso if isinstance(iso, dt.date) else dt.date.fromisoformat(str(iso)[:10])
        return format_date(day, format="long", locale=self.locale)

    def quarter(self, year: int, number: int) -> str:
        """ "Q4 2026", "4ᵉ trimestre 2026", "4. Quartal 2026" (the year is not a number: no separator).

        In HTML, a French ordinal's letters are set as a superscript (4<sup>e</sup>, 1<sup>er</sup>)."""
        text = self._(QUARTERS[number], year=str(year))
        if self.mode == "html" and self.lang == "fr":
            match = re.match(r"^(\d+)(er|e)(\s.*)$", text)
            if match is not None:
                return Markup("%s<sup>%s</sup>%s") % match.groups()
        return text

    def quarter_text(self, year: int, number: int) -> str:
        """The quarter's name as plain text (page headers)."""
        return self._(QUARTERS[number], year=str(year))

    def quarter_short(self, year: int, number: int) -> str:
        """The quarter's short name for chart axes ("Q4 2026", "T4 2026")."""
        return self._(N_("Q%(number)s %(year)s"), number=str(number), year=str(year))

    def join(self, items: Iterable[str]) -> str:
        texts = [str(i) for i in items]
        return format_list(texts, locale=self.locale) if texts else ""

    def few(self, items: Sequence[str], limit: int = 4) -> str:
        """The first items joined, then "and N others" (never cuts the first); in HTML, items not
        already escaped are escaped."""
        items = list(items)
        if len(items) > limit:
            rest = len(items) - (limit - 1)
            items = [*items[: limit - 1], self.count(self.ngettext("%(num)s other", "%(num)s others", rest), rest)]
        return self.join_values(items)

    # -- names of ids
    def country(self, code: str) -> str:
        name = self.locale.territories.get(code) if len(code) == 2 else None
        if name:
            return str(name)
        rec = self.kb.countries.get(code) if self.kb is not None else None
        return rec.name.get(self.lang) if rec is not None else code

    def law(self, law_id: str) -> str:
        if law_id.startswith("unlisted-law:"):
            return self._("laws of %(country)s (no record in the knowledge base)",
                          country=self.country(law_id.split(":", 1)[1]))
        rec = self.kb.laws.get(law_id) if self.kb is not None else None
        if rec is None:
            return law_id
        if self.lang == "fr" and rec.name_fr:
            return str(rec.name_fr)
        if self.lang == "de" and rec.name_de:
            return str(rec.name_de)
        return str(rec.name)

    def law_short(self, law_id: str) -> str:
        """A law's name without the country in brackets (for lists where the country is said)."""
        return re.sub(r"\s*\((?:[^()]*)\)\s*$", "", self.law(law_id)) or self.law(law_id)

    def entity(self, eid: str | None) -> str:
        """A company of the knowledge base by its name (its id when unknown)."""
        if not eid:
            return "–"
        rec = self.kb.entities.get(eid) if self.kb is not None else None
        return str(rec.name) if rec is not None else eid

    def provider(self, pid: str) -> str:
        rec = self.kb.providers.get(pid) if self.kb is not None else None
        return str(rec.name) if rec is not None else pid

    def label(self, table: dict[str, str], key: str | None) -> str:
        if key is None:
            return "–"
        msg = table.get(key)
        return self._(msg) if msg is not None else key

    def data_class(self, cls: str) -> str:
        return self.label(DATA_CLASSES, cls)

    def data_class_title(self, cls: str) -> str:
        text = self.data_class(cls)
        return text[:1].upper() + text[1:]

    def classes(self, classes: Iterable[str]) -> str:
        return self.join([self.data_class(c) for c in classes])

    def level(self, level: str | None) -> str:
        return self.label(LEVELS, level)

    def flow_kind(self, kind: str) -> str:
        return self.label(FLOW_KINDS, kind)

    def key_control(self, key: str) -> str:
        return self.label(KEY_CONTROLS, key)

    def tier(self, tier: str) -> str:
        return self.label(TIERS, tier)

    def basis(self, basis: str) -> str:
        return self.label(BASES, basis)

    def category(self, cat: str | None) -> str:
        return self.label(CATEGORIES, cat) if cat else "–"

    def status(self, status: str) -> str:
        return self.label(LAW_STATUS, status)

    # -- values from inventories, quoted and escaped for the output format
    # In HTML every method returns Markup (escaped once, never twice); in Markdown, plain text.
    def value(self, text: object, limit: int = MAX_VALUE) -> str:
        """An inventory value, safe for the output: escaped and isolated (HTML) or neutralised (Markdown)."""
        from scanner.report.markdown import md_escape

        cleaned = clean(text, limit)
        if self.mode == "html":
            return Markup("<bdi>%s</bdi>") % cleaned
        return md_escape(cleaned)

    def quoted(self, text: object) -> str:
        """An inventory value in the language's quotation marks."""
        inner = self.value(text)
        pattern = {"fr": f"«{NNBSP}%s{NNBSP}»", "de": "„%s“"}.get(self.lang, "“%s”")
        return Markup(pattern) % inner if self.mode == "html" else pattern % inner

    def own(self, text: str) -> str:
        """The report's own text (a translation), escaped for the output format."""
        return escape(text) if self.mode == "html" else text

    def fill(self, template: str, params: dict[str, str], n: int | None = None) -> str:
        """A translated ``%(name)s`` template filled with values prepared by this object (``num`` is
        ``n``, formatted, when given). In HTML, values not already escaped are escaped."""
        if n is not None:
            params = {"num": self.integer(n), **params}
        if self.mode == "html":
            return escape(template) % params
        return template % params

    def join_values(self, items: Sequence[str]) -> str:
        """Values prepared by this object, joined in the language's way (", ", " and ")."""
        if self.mode == "html":
            return Markup(self.join([str(escape(i)) for i in items]))
        return self.join(items)

    def join_sep(self, items: Sequence[str], sep: str) -> str:
        """Values prepared by this object, joined with a separator of the report's own."""
        if self.mode == "html":
            return Markup(escape(sep)).join(items)
        return sep.join(items)

    def link(self, url: str, text: str | None = None) -> str:
        """A clickable link to a source (http/https only); long addresses may wrap."""
        if not re.match(r"^https?://", url):
            return self.own(text or url)
        if self.mode == "html":
            return Markup('<a href="%s">%s</a>') % (url, text or url)
        return f"[{text}](<{url}>)" if text else f"<{url}>"

    def sources(self, source: str) -> str:
        """A knowledge-base ``source`` (references separated by ``;``) with clickable URLs."""
        parts = [p.strip() for p in source.split(";") if p.strip()]
        linked = [self.link(p) if re.match(r"^https?://", p) else self.own(p) for p in parts]
        if self.mode == "html":
            return Markup("; ").join(linked)
        return "; ".join(linked)


def word_filters(words: Words) -> dict[str, Callable[..., Any]]:
    """Jinja filters bound to one :class:`Words`."""
    return {
        "num": words.num, "integer": words.integer, "pct": words.pct, "signed": words.signed, "gb": words.gb,
        "eur": words.eur, "date": words.date, "join_list": words.join, "country": words.country, "law": words.law,
        "law_short": words.law_short, "provider": words.provider, "data_class": words.data_class,
        "data_class_title": words.data_class_title, "level": words.level, "flow_kind": words.flow_kind,
        "key_control": words.key_control, "tier": words.tier, "basis": words.basis, "category": words.category,
        "status": words.status, "value": words.value, "quoted": words.quoted, "sources": words.sources,
        "classes": words.classes,
    }
