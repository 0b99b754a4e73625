"""The PDF report's layout, checked page by page on the French, German and English editions.

Each PDF is made from the two-quarter fixture (pseudonymised, as a staff body receives it), every
page is rendered to PNG with pdftoppm, and the rules are checked from the position and size of
every word (``pdftotext -bbox``):

* no page holds less than a third of content, except the last;
* nothing runs off the page (tables and URLs stay inside the margins);
* running headers name the organisation, the quarter and the confidentiality on every page;
* text is at least 9.5 pt in the body (headers and page numbers live in the margins);
* a table of contents with page numbers; clickable links to the primary sources.

DejaVu Sans, the report's font, spans 1.164 em from descender to ascender: a word box ``h`` points
high is set in ``h / 1.164`` points.
"""

from __future__ import annotations

import html
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from report_tools import tool, weasyprint

from tests.fixtures.report import two_quarters as T

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MM = 72 / 25.4
TOP, BOTTOM, SIDE = 20 * MM, 17 * MM, 15 * MM  # the @page margins of the template
EM = 1.164  # DejaVu Sans: (ascender + descender) / units per em
MIN_PT = 9.5




@dataclass(frozen=True)
class Word:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    words: list[Word]

    @property
    def body(self) -> list[Word]:
        return [w for w in self.words if w.y0 > TOP and w.y1 < self.height - BOTTOM]

    @property
    def header(self) -> str:
        return " ".join(w.text for w in self.words if w.y1 < TOP)


_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def _pages(pdf: Path) -> list[Page]:
    done = subprocess.run([tool("pdftotext"), "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True,
                          timeout=120)
    return [Page(float(w), float(h), [Word(float(a), float(b), float(c), float(d), html.unescape(t))
                                      for a, b, c, d, t in _WORD.findall(body)])
            for w, h, body in _PAGE.findall(done.stdout)]


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):  # type: ignore[no-untyped-def]
    tool("pdftotext")
    tool("pdftoppm")
    weasyprint()
    from scanner.report.html import render_quarterly_html
    from scanner.report.pdf import html_to_pdf
    from scanner.report.quarterly import Quarter, report_from_history

    tmp = tmp_path_factory.mktemp("layout")
    db = tmp / "history.sqlite3"
    stored = T.store(db)
    kb = stored["2026-11-30"][0].kb
    rep = report_from_history(kb, Quarter(2026, 4), T.ORG, db, pseudonymize=True)
    out = {}
    for lang in ("fr", "de", "en"):
        pdf = tmp / f"report-{lang}.pdf"
        html_to_pdf(render_quarterly_html(rep, kb, lang), pdf)
        out[lang] = pdf
    return out


HEADER = {"fr": ("4e trimestre 2026", "Confidentiel"), "de": ("4. Quartal 2026", "Vertraulich"),
          "en": ("Q4 2026", "Confidential")}
CONTENTS = {"fr": "Sommaire", "de": "Inhalt", "en": "Contents"}


@pytest.mark.parametrize("lang", ["fr", "de", "en"])
def test_every_page_renders_and_keeps_the_layout_rules(pdfs, lang: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pdf = pdfs[lang]
    pages = _pages(pdf)
    assert 10 <= len(pages) <= 40
    # every page rendered to an image, none blank
    subprocess.run([tool("pdftoppm"), "-r", "30", "-png", str(pdf), str(tmp_path / "p")], check=True, timeout=300)
    images = sorted(tmp_path.glob("p-*.png"))
    assert len(images) == len(pages)
    for image in images:
        with Image.open(image) as img:
            histogram = img.convert("L").histogram()
            assert sum(histogram[:230]) > 500, f"{image.name} is (nearly) blank"
    quarter, marking = HEADER[lang]
    for number, page in enumerate(pages, 1):
        where = f"{lang} page {number}"
        body = page.body
        assert body, where
        # no page less than a third full, except the last
        if number < len(pages):
            fill = (max(w.y1 for w in body) - TOP) / (page.height - TOP - BOTTOM)
            assert fill >= 1 / 3, f"{where} is only {fill:.0%} full"
        # nothing runs off the page
        for w in page.words:
            assert w.x0 >= SIDE - 1 and w.x1 <= page.width - SIDE + 1, f"{where}: {w.text!r} runs off ({w.x1:.0f})"
        # running headers: organisation, quarter, confidentiality
        assert T.ORG in page.header and quarter in page.header and marking in page.header, (where, page.header)
        # body text at least 9.5 pt (the superscript of a French ordinal aside)
        small = [w for w in body if (w.y1 - w.y0) / EM < MIN_PT - 0.05 and w.text not in ("e", "er")]
        assert not small, f"{where}: text under {MIN_PT} pt: {[w.text for w in small[:5]]}"


@pytest.mark.parametrize("lang", ["fr", "de", "en"])
def test_contents_with_page_numbers_and_links_to_sources(pdfs, lang: str) -> None:  # type: ignore[no-untyped-def]
    pdf = pdfs[lang]
    pages = _pages(pdf)
    contents = next(i for i, p in enumerate(pages) if any(w.text == CONTENTS[lang] for w in p.body))
    assert contents <= 2  # right after the first page's summary
    text = subprocess.run([tool("pdftotext"), "-layout", "-f", str(contents + 1), "-l", str(contents + 1), str(pdf),
                           "-"], capture_output=True, text=True, check=True).stdout
    numbered = [line for line in text.splitlines() if re.search(r"\.{5,}\s*\d+\s*$", line)]
    assert len(numbered) >= 12  # sections and appendices, each with its page number
    links = subprocess.run([tool("pdfinfo"), "-url", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000043975196" in links  # L2312-8 (a CSE's rights)
    assert re.search(r"https://www\.govinfo\.gov/\S+", links)  # primary sources of the laws, clickable


def test_page_one_tells_what_matters(pdfs) -> None:  # type: ignore[no-untyped-def]
    text = subprocess.run([tool("pdftotext"), "-l", "1", str(pdfs["fr"]), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = re.sub(r"\s+", " ", text)
    assert "L'essentiel du trimestre" in flat
    assert "est désormais aussi copiée hors de l'UE/EEE (États-Unis)" in flat
    assert "12 des 15 applications contenant des données sensibles" in flat
    assert "Code du travail, art. L2315-3" in flat  # the confidentiality marking and its basis
