"""One escaping layer per output kind, for text that comes from an inventory or a file name.

Inventory values (ids, names, types, regions, tags) and file names are written by whoever produced
the export; sovscan passes them to a terminal, to standard error, to Markdown readers and to
spreadsheets, each of which gives some characters a meaning:

* **terminal and standard error** (:func:`visible`, :func:`one_line`, :func:`rich_text`): C0 and
  C1 control characters (ESC starts the sequences that set a window title, draw links or clear the
  screen; 8-bit CSI does the same in one byte; CR moves back over what was printed), DEL, the
  Unicode bidirectional controls that reorder what is displayed ("Trojan Source", CVE-2021-42574),
  line and paragraph separators and lone surrogates are shown as ``\\xNN`` / ``\\uNNNN`` escapes,
  so they are seen and never acted on. :func:`rich_text` also neutralises rich's ``[markup]``.
* **Markdown** (:func:`md_text`, :func:`md_code`): the same characters made visible, line breaks
  turned into spaces (a CR or LF inside a value must not end a table row or start a heading), and
  every character with inline meaning in CommonMark / GitHub-flavoured Markdown or HTML
  backslash-escaped, so that ``<img>``, ``# heading``, ``[link](…)``, ``|`` and entities render as
  text.
* **CSV** (:func:`csv_cell`): controls made visible as for the terminal (a CR in a cell is not
  quoted by Python's ``csv`` with ``\n`` line ends, and ends the row for most readers), then a
  text cell that starts with ``=``, ``+``, ``-`` or ``@`` (or their full-width forms) is prefixed
  with ``'`` so that spreadsheet software reads it as text, not as a formula (OWASP, "CSV
  Injection", https://owasp.org/www-community/attacks/CSV_Injection; the tab and CR it also lists
  are escapes by then). Numbers are written as they are.
"""

from __future__ import annotations

import re

# C0 controls (tab, LF and CR included: a value is one line), DEL, C1 controls, the Arabic letter
# mark, LRM/RLM, the line and paragraph separators, the embedding/override controls
# (U+202A-U+202E), the isolates (U+2066-U+2069) and lone surrogates (which cannot even be encoded
# as UTF-8 on output).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(value: object) -> str:
    """The text with every control, bidi and unencodable character shown as an escape sequence."""
    text = "" if value is None else str(value)
    return _UNSAFE.sub(_escape_char, text)


def one_line(value: object) -> str:
    """A message for standard error: whitespace runs (line breaks included) become one space,
    then what remains of control characters is made visible."""
    text = "" if value is None else str(value)
    return visible(" ".join(text.split()))


def rich_text(value: object) -> str:
    """A value for a rich console: controls made visible, ``[markup]`` neutralised."""
    from rich.markup import escape  # here: only the terminal renderer needs rich, not every command's start

    return escape(visible(value))


# Characters with inline meaning in CommonMark / GFM (emphasis, code, links and images, raw HTML,
# entities, tables, strike-through, headings, math on GitHub) are backslash-escaped: CommonMark
# allows a backslash before any ASCII punctuation and then shows the character literally.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#!&$])")


def md_text(value: object) -> str:
    """An inventory value as Markdown text, rendered literally on one line (table cells included)."""
    text = "" if value is None else str(value)
    text = visible(text.replace("\r\n", " ").replace("\r", " ").replace("\n", " "))
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_code(value: object) -> str:
    """An identifier as a Markdown code span on one line.

    Backticks cannot close the span early (they become ``'``), pipes cannot split a table row
    (GFM reads ``\\|`` as a pipe inside table cells), CR and LF cannot end the row.
    """
    text = "" if value is None else str(value)
    text = visible(text.replace("\r\n", " ").replace("\r", " ").replace("\n", " "))
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


#: First characters that make a spreadsheet read a cell as a formula (OWASP), and their
#: full-width forms, which some spreadsheet software also accepts.
_FORMULA_START = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def csv_cell(value: object) -> object:
    """A CSV cell on one line, controls visible; text a spreadsheet would run as a formula is prefixed with ``'``.

    ``None`` becomes an empty cell; numbers (and booleans) are returned unchanged, since a
    negative number is data, not a formula.
    """
    if value is None:
        return ""
    if isinstance(value, int | float):
        return value
    text = visible(value)
    if text[:1] in _FORMULA_START or text.lstrip(" ")[:1] in _FORMULA_START:
        return "'" + text
    return text
