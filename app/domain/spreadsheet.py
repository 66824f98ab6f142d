"""Cells of CSV and XLSX files that cannot attack the person who opens them.

A spreadsheet program runs a cell that begins with `=`, `+`, `-` or `@` (and, in some programs,
a tab or carriage return) as a formula: a measure called `=HYPERLINK(...)` would become a link
to anywhere in the wijkteam's Excel (CSV injection, OWASP). Every text cell of every export goes
through here: in CSV such a cell gets a leading apostrophe, as Excel itself writes text that
looks like a formula; in XLSX it is stored as text with Excel's "quote prefix", so it stays text
even when someone edits it. Control characters (which XLSX cannot hold at all) and halves of
surrogate pairs (which UTF-8 cannot encode) are dropped, so no text breaks an export.

Use `csv_writer` for CSV files, `xlsx_value` for every value put in a workbook and
`harden_workbook` before saving it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
# A plain number (a negative indicator value, say) is a number, not a formula.
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
# C0 controls but tab, newline and carriage return; DEL; lone surrogates.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean(text: str) -> str:
    """Text without the characters a spreadsheet file cannot hold."""
    return _UNWRITABLE.sub("", text)


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet program would run this text as a formula."""
    return text.startswith(FORMULA_STARTS)


def neutralise(value: Any) -> Any:
    """A CSV cell's value made safe: text that looks like a formula gets a leading apostrophe."""
    if not isinstance(value, str):
        return value
    text = clean(value)
    return QUOTE + text if looks_like_formula(text) and not _NUMBER.fullmatch(text) else text


def unneutralise(text: str) -> str:
    """A cell read back from one of our CSV files: without the apostrophe neutralise() added."""
    if text.startswith(QUOTE) and looks_like_formula(text[1:]):
        return text[1:]
    return text


class _Writer(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


class SafeCsvWriter:
    """A csv.writer whose every cell goes through neutralise()."""

    def __init__(self, writer: _Writer) -> None:
        self._writer = writer

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row of neutralised cells."""
        self._writer.writerow([neutralise(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write rows of neutralised cells."""
        for row in rows:
            self.writerow(row)


def csv_writer(buffer: Any, **options: Any) -> SafeCsvWriter:
    """csv.writer(buffer, **options), neutralising every cell."""
    return SafeCsvWriter(csv.writer(buffer, **options))


def xlsx_value(value: Any) -> Any:
    """A value to put in a workbook cell: text without the characters XLSX cannot hold."""
    return clean(value) if isinstance(value, str) else value


def harden_workbook(book: Any, *, formulas: Iterable[Any] = ()) -> int:
    """Make every cell of a workbook that would run as a formula plain text; returns how many.

    `formulas` are the cells whose formulas the export wrote on purpose (a total, say).
    """
    keep = {id(cell) for cell in formulas}
    hardened = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if not isinstance(value, str) or id(cell) in keep:
                    continue
                # openpyxl stores text beginning with '=' as a formula ('f'): store it as text.
                if cell.data_type == "f" or (
                    looks_like_formula(value) and not _NUMBER.fullmatch(value)
                ):
                    cell.data_type = "s"
                    cell.quotePrefix = True
                    hardened += 1
    return hardened
