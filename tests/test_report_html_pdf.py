"""The quarterly report in a real browser (headless Chromium) and a real PDF reader (pdftotext).

Chromium and poppler-utils are Debian packages that ``make test`` installs when missing. The
browser loads each report with console logging on: any script run, script error or blocked
resource shows up as a ``CONSOLE`` line, and the DOM it dumps shows whether an inventory value
was taken for markup.
"""

from __future__ import annotations

import re
import subprocess
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image
from report_tools import tool, weasyprint
from typer.testing import CliRunner

from scanner.cli import app
from scanner.config import Config
from scanner.pipeline import scan
from scanner.report.html import render_html
from scanner.report.pdf import html_to_pdf
from scanner.report.quarterly import Quarter, report_from_history
from tests.fixtures.report import quarters as Q

pytestmark = pytest.mark.browser
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0"]


def _tool(name: str) -> str:
    return tool(name)


def _chromium(page: Path, tmp: Path, *mode: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / f"profile-{len(list(tmp.iterdir()))}"
    done = subprocess.run([_tool("chromium"), *FLAGS, f"--user-data-dir={profile}", *mode, page.as_uri()],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def check_in_browser(html: str, tmp: Path) -> str:
    """Load ``html`` in Chromium: screenshot not empty, no console message, no script; return the DOM."""
    page = tmp / "report.html"
    page.write_text(html, encoding="utf-8")
    shot = tmp / "shot.png"
    taken = _chromium(page, tmp, "--window-size=1280,2400", f"--screenshot={shot}")
    dumped = _chromium(page, tmp, "--dump-dom")
    for run in (taken, dumped):
        console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
        assert console == [], console  # script errors, CSP violations, blocked loads
    with Image.open(shot) as img:
        assert img.size == (1280, 2400)
        grey = img.convert("L")
        histogram = grey.histogram()
        dark = sum(histogram[:100])  # text and chart ink
        assert dark > 5000, "the screenshot is (nearly) blank"
        assert len([n for n in histogram if n]) > 50, "the screenshot has almost no shades: nothing rendered"
        top = grey.crop((0, 0, 1280, 200)).histogram()
        assert sum(top[:100]) > 500, "no heading at the top of the page"
    dom = dumped.stdout
    parser = _Elements()
    parser.feed(dom)
    tags = [t for t, _ in parser.tags]
    assert "script" not in tags and "iframe" not in tags and "img" not in tags
    assert not any("data-pwned" in attrs for _, attrs in parser.tags)
    assert tags.count("svg") >= 1 and "table" in tags and "h1" in tags
    return dom


@pytest.fixture(scope="module")
def stored(tmp_path_factory):  # type: ignore[no-untyped-def]
    db = tmp_path_factory.mktemp("hist") / "history.sqlite3"
    return db, Q.store_quarters(db, "hopital-grand-est")


@pytest.mark.parametrize("lang", ["en", "fr", "de"])
def test_quarterly_html_in_chromium(stored, lang: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, quarters = stored
    q4 = quarters["2026-11-30"][0]
    rep = report_from_history(q4.kb, Quarter.parse("2026-Q4"), "Groupement Hospitalier Grand Est", db)
    html = render_html(rep, lang, q4.kb)
    assert "<link" not in html and "<script" not in html and "@import" not in html
    assert not re.search(r"""src=["']?(https?:|//|file:)|url\(""", html)  # nothing loaded from elsewhere
    hrefs = re.findall(r"""<(\w+)[^>]*\bhref=["']?(https?:|//|file:)""", html)
    assert hrefs and {tag for tag, _ in hrefs} == {"a"}  # only links a reader may follow to a source
    dom = check_in_browser(html, tmp_path)
    assert dom.count("<svg") == 7  # countries, providers, and one small chart per measure of the trend (5)
    heading = {"fr": "Ce qui a changé ce trimestre", "de": "Was sich in diesem Quartal geändert hat",
               "en": "What changed this quarter"}[lang]
    assert heading in dom and "Groupement Hospitalier Grand Est" in dom
    quarters = {"fr": ("2<sup>e</sup> trimestre 2026", "4<sup>e</sup> trimestre 2026"),
                "de": ("2. Quartal 2026", "4. Quartal 2026"), "en": ("Q2 2026", "Q4 2026")}[lang]
    assert all(q in dom for q in quarters)
    assert f'lang="{lang}"' in dom
    assert not re.search(r"arn:aws|/subscriptions/|111122223333", dom)  # pseudonymised


def _pdf_text(pdf: Path) -> str:
    done = subprocess.run([_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout


def test_pdf_from_the_command_line_has_the_key_numbers(stored, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    weasyprint()
    db, quarters = stored
    q4, info = quarters["2026-11-30"]
    q3 = quarters["2026-08-31"][0]
    out = tmp_path / "cse-2026-Q4.pdf"
    ran = CliRunner().invoke(app, ["report", "--quarter", "2026-Q4", "--lang", "fr", "--format", "pdf",
                                   "--db", str(db), "--output", str(out)])
    assert ran.exit_code == 0, ran.output
    assert out.read_bytes().startswith(b"%PDF-")
    text = _pdf_text(out)
    flat = re.sub(r"\s+", " ", text)
    assert "Rapport trimestriel d'exposition" in flat and "Groupement Hospitalier Grand Est" in flat
    assert "L'essentiel du trimestre" in flat and "Questions à poser à la direction" in flat
    assert re.search(r"Annexe D\s?: glossaire", flat)
    fr = lambda x: f"{x:g}".replace(".", ",")  # noqa: E731 - French decimal comma
    assert f"exposition {fr(info.exposure_score)} / 100" in flat  # the index, kept as a secondary measure
    # the trend table's row of the quarter, read across as the PDF lays it out
    # the trend table's row of the quarter: sensitive resources reachable, exposure and lock-in indices
    assert f"{info.sensitive_exposed} {fr(info.exposure_score)} {fr(info.lockin_score)}" in flat
    law = q4.kb.laws["us-cloud-act"]
    assert " ".join(law.summary.fr.split()[:6]) in flat  # the plain-language explanation, in French
    pages = subprocess.run([_tool("pdfinfo"), str(out)], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", pages).group(1)) >= 6  # type: ignore[union-attr]
    assert q3.as_of == "2026-08-31"


def test_hostile_inventory_renders_safely(tmp_path: Path) -> None:
    weasyprint()
    result = scan([Q.HOSTILE], Config(), as_of="2026-11-30", organization="<i>Org</i> \u202eevil")
    html = render_html(result, "en")  # 'run --format html': real names, nothing pseudonymised
    assert "<script>document" not in html and "&lt;script&gt;document" in html
    assert "<img src=x" not in html and "\u202e" not in html
    assert "x" * 200 not in html  # a 3,000-character name is cut
    dom = check_in_browser(html, tmp_path)
    assert "&lt;script&gt;document.body.setAttribute" in dom  # shown as text
    assert "سجلات-المرضى-patients" in dom
    assert "<bdi>" in dom  # inventory values isolated from the text around them
    pdf = tmp_path / "hostile.pdf"
    html_to_pdf(html, pdf)
    text = re.sub(r"\s+", " ", _pdf_text(pdf))
    assert "<script>document.body" in text and "Exposure report" in text


def test_pdf_never_fetches_anything(tmp_path: Path) -> None:
    weasyprint()
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET CONTENT")
    html = (f'<html><body><p>visible</p><img src="{secret.as_uri()}"><link rel="stylesheet" href="{secret.as_uri()}">'
            f'<iframe src="{secret.as_uri()}"></iframe></body></html>')
    out = tmp_path / "x.pdf"
    html_to_pdf(html, out)
    text = _pdf_text(out)
    assert "visible" in text and "TOP SECRET" not in text


def test_run_html_summary_and_command_errors(tmp_path: Path) -> None:
    result = Q.scan_variant("hopital-grand-est", "2026-11-30", set())
    html = unescape(render_html(result, "fr"))
    assert "Rapport d'exposition" in html and "dossiers-patients" in html  # single scan: real names
    assert "Rien à comparer" in html
    de = render_html(result, "de")
    assert "Expositionsbericht" in de and "Das Wichtigste in diesem Quartal" in de
    runner = CliRunner()
    bad = runner.invoke(app, ["report", "--quarter", "2026-Q9", "--db", str(tmp_path / "h.sqlite3"),
                              "-i", str(Q.SAMPLES / "hopital-grand-est")])
    assert bad.exit_code == 2 and "expected a quarter such as 2026-Q4" in bad.output
    empty = runner.invoke(app, ["report", "--db", str(tmp_path / "none.sqlite3")])
    assert empty.exit_code == 2 and "no stored snapshot" in empty.output
    outside = runner.invoke(app, ["report", "--quarter", "2026-Q3", "--as-of", "2026-11-30", "--db",
                                  str(tmp_path / "h.sqlite3"), "-i", str(Q.SAMPLES / "hopital-grand-est")])
    assert outside.exit_code == 2 and "outside 2026-Q3" in outside.output
    md = runner.invoke(app, ["report", "-i", str(Q.SAMPLES / "hopital-grand-est"), "--as-of", "2026-11-30",
                             "--db", str(tmp_path / "h.sqlite3"), "--format", "md", "--lang", "fr", "-o", "-"])
    assert md.exit_code == 0 and "## L'essentiel du trimestre" in md.output
    assert "ghge-dossiers-patients-par" not in md.output and "dossiers-patients" not in md.output  # pseudonymised
    de = runner.invoke(app, ["report", "-i", str(Q.SAMPLES / "hopital-grand-est"), "--as-of", "2026-11-30",
                             "--db", str(tmp_path / "h.sqlite3"), "--format", "md", "--lang", "de", "-o", "-"])
    assert de.exit_code == 0 and "## Das Wichtigste in diesem Quartal" in de.output
