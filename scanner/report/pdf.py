"""PDF of the quarterly report: WeasyPrint lays out the very same HTML (print styles included).

WeasyPrint needs Pango at run time (Debian: ``libpango-1.0-0``, ``libpangoft2-1.0-0``). The HTML is
self-contained, so every URL fetch is refused: a report can never make WeasyPrint read a local
file or reach the network, whatever an inventory contains.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

from scanner.errors import SovscanError


class PdfError(SovscanError):
    """The PDF could not be produced (WeasyPrint or its system libraries missing)."""


def _refuse(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError(f"external resource refused in a sovscan report: {url[:80]}")


def _no_fetch() -> Any:
    """A URL fetcher that refuses everything (WeasyPrint logs a warning and leaves the item out)."""
    try:
        from weasyprint.urls import URLFetcher  # a class in recent WeasyPrint (70), a function in older ones
    except ImportError:  # pragma: no cover - older WeasyPrint
        return _refuse

    class NoFetch(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> NoReturn:
            _refuse(url)

    return NoFetch()


def html_to_pdf(html: str, output: Path | None = None) -> bytes:
    """Lay out ``html`` as PDF; write it to ``output`` when given; return the bytes."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango not found by WeasyPrint's cffi bindings
        raise PdfError(f"PDF output needs WeasyPrint and Pango ({exc}); on Debian: "
                       "apt-get install libpango-1.0-0 libpangoft2-1.0-0") from exc
    document = weasyprint.HTML(string=html, url_fetcher=_no_fetch(), base_url=None)
    data: bytes = document.write_pdf()
    if output is not None:
        output.write_bytes(data)
    return data
