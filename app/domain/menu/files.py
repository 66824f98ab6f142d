"""Reading a menu file as it comes (CSV, XLSX, YAML, JSON): recognising it, decoding it, and
handing it to the table or seed reader; every problem at once, as codes.

A file is recognised by its content before its name: a PDF, a picture, an old .xls or a renamed
file is named for what it is. CSV files from Dutch spreadsheet programs are read as they come:
UTF-8 with or without BOM, UTF-16 with BOM (Excel's "Unicode text"), or Windows-1252 (Excel's
older "CSV"); the separator (`;`, `,` or tab) is detected from the row of column names, and the
notes say what was detected.

Other tables of the same kind (a row per thing, its kind in `soort`, in CSV or XLSX) are read the
same way with `read_table_file` and a `TableSpec` that names their sheet, their column names and
the function that reads their rows (the follow-up file of `app/domain/follow_up_file.py`).
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Generic, TypeVar

from app.domain.menu.cells import normalise_header
from app.domain.menu.document import MenuDocument
from app.domain.menu.problems import MenuProblems, Problem, Where
from app.domain.menu.seed import read_seed
from app.domain.menu.table import KIND, MAX_ROWS, read_rows
from app.domain.spreadsheet import unneutralise

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024


class FileFormat(StrEnum):
    """The menu file formats: one table of columns (CSV, XLSX) or the seed format (YAML, JSON)."""

    CSV = "csv"
    XLSX = "xlsx"
    YAML = "yaml"
    JSON = "json"


D = TypeVar("D")

# Reads a table's rows: the column names, then (row number, cells) with the column names as row
# 1; returns what the rows hold and the warnings, or raises MenuProblems naming every problem.
RowsReader = Callable[[Sequence[Any], list[tuple[int, list[Any]]]], tuple[D, list[Problem]]]


@dataclass
class FileReport(Generic[D]):
    """What reading a file gave: its format, the document, problems, warnings, and notes on how
    it was read."""

    filename: str
    format: FileFormat | None = None
    document: D | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)


ReadReport = FileReport[MenuDocument]


@dataclass(frozen=True)
class TableSpec(Generic[D]):
    """A kind of table file: the sheet it is read from, words of its column names (to tell the
    separator of a CSV file), and the reader of its rows."""

    read: RowsReader[D]
    sheet: str
    header_words: frozenset[str]


_SeedReader = Callable[[FileReport[D], bytes, FileFormat], FileReport[D]]


def read_menu_file(*, filename: str, data: bytes) -> ReadReport:
    """Recognise a menu file by its content and name, and read it into a document or problems."""
    return _read_file(ReadReport(filename=filename), data, MENU_TABLE, _read_seed)


def read_table_file(*, filename: str, data: bytes, table: TableSpec[D]) -> FileReport[D]:
    """Recognise a CSV or XLSX file by its content and name, and read its table with `table`."""
    return _read_file(FileReport[D](filename=filename), data, table, None)


def _read_file(
    report: FileReport[D], data: bytes, table: TableSpec[D], seed: _SeedReader[D] | None
) -> FileReport[D]:
    name = report.filename.lower()
    if not data.strip():
        return _refuse(report, "file_empty")
    if len(data) > MAX_FILE_BYTES:
        return _refuse(
            report,
            "file_too_big",
            size=round(len(data) / 1024 / 1024, 1),
            max=MAX_FILE_BYTES // 1024 // 1024,
        )
    head = data[:8]
    if head.startswith(b"%PDF"):
        return _refuse(
            report,
            "pdf",
        )
    for magic, kind in ((b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF")):
        if head.startswith(magic):
            return _refuse(
                report,
                "picture",
                type=kind,
            )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return _refuse(
            report,
            "old_excel",
        )
    if head.startswith(b"PK\x03\x04"):
        return _read_zip(report, data, table)
    if name.endswith((".xlsx", ".xlsm")):
        return _refuse(
            report,
            "renamed_xlsx",
            name=report.filename,
        )
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    seed_format: FileFormat | None = None
    if name.endswith((".yaml", ".yml")):
        seed_format = FileFormat.YAML
    elif name.endswith(".json") or (
        stripped.startswith((b"{", b"[")) and not name.endswith((".csv", ".txt", ".tsv"))
    ):
        seed_format = FileFormat.JSON
    elif re.match(rb"(#[^\n]*\n|\s)*format:\s*waardenzeef-menu", stripped):
        seed_format = FileFormat.YAML
    if seed_format is not None:
        if seed is None:
            return _refuse(report, "not_a_table", format=seed_format.value.upper())
        return seed(report, data, seed_format)
    return _read_csv(report, data, table)


def _refuse(report: FileReport[D], code: str, **params: Any) -> FileReport[D]:
    report.problems.append(Problem(code, params))
    return report


def _read_zip(report: FileReport[D], data: bytes, table: TableSpec[D]) -> FileReport[D]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError):
        return _refuse(
            report,
            "damaged_xlsx",
        )
    if b"opendocument.spreadsheet" in mimetype:
        return _refuse(
            report,
            "ods",
        )
    if "xl/workbook.xml" not in names:
        if any(n.startswith("word/") for n in names):
            return _refuse(report, "word")
        return _refuse(report, "zip")
    if unpacked > MAX_UNPACKED_BYTES:
        return _refuse(
            report,
            "file_too_big",
            size=round(unpacked / 1024 / 1024, 1),
            max=MAX_UNPACKED_BYTES // 1024 // 1024,
        )
    return _read_xlsx(report, data, table)


def _read_xlsx(report: FileReport[D], data: bytes, table: TableSpec[D]) -> FileReport[D]:
    import openpyxl

    report.format = FileFormat.XLSX
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
            formulas = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    except Exception:  # openpyxl raises many kinds for a damaged workbook
        return _refuse(
            report,
            "damaged_xlsx",
        )
    if not values.worksheets:
        return _refuse(report, "no_sheet")
    sheet = values[table.sheet] if table.sheet in values.sheetnames else values.worksheets[0]
    formula_sheet = formulas[sheet.title]
    rows: list[tuple[int, list[Any]]] = []
    for cells in sheet.iter_rows(max_row=min(sheet.max_row, MAX_ROWS + 20), max_col=80):
        number = cells[0].row if cells else len(rows) + 1
        row: list[Any] = []
        for cell in cells:
            value = cell.value
            if isinstance(value, str):
                value = value.strip()
            elif isinstance(value, float | int) and not isinstance(value, bool):
                value = Decimal(str(value))
                if "%" in str(cell.number_format):
                    value *= 100
            if value is None:
                source = formula_sheet.cell(row=cell.row, column=cell.column).value
                if isinstance(source, str) and source.startswith("="):
                    where = Where(row=int(cell.row or 0), column_letter=cell.column_letter)
                    report.problems.append(
                        Problem("formula_without_value", {"cell": cell.coordinate}, where)
                    )
            row.append(value)
        rows.append((int(number or 0), row))
    report.notes.append(
        Problem(
            "read_xlsx",
            {"sheet": sheet.title},
        )
    )
    return _read_table(report, rows, table)


_MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf]|â€")


def _decode(report: FileReport[D], data: bytes) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        report.notes.append(Problem("encoding_utf8_bom"))
        return _decode_as(report, data[3:], "utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        report.notes.append(Problem("encoding_utf16"))
        return _decode_as(report, data, "utf-16")
    if b"\x00" in data[:4000]:
        zeros = data[:4000].count(b"\x00")
        if zeros > len(data[:4000]) // 4 and (data[1:2] == b"\x00" or data[0:1] == b"\x00"):
            report.problems.append(Problem("utf16_without_bom"))
        else:
            report.problems.append(Problem("binary"))
        return None
    try:
        text = data.decode("utf-8")
        report.notes.append(Problem("encoding_utf8"))
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as error:
            byte = data[error.start : error.start + 1].hex().upper()
            report.problems.append(
                Problem(
                    "unknown_encoding",
                    {"byte": byte, "position": error.start},
                )
            )
            return None
        report.notes.append(Problem("encoding_cp1252"))
    if match := _MOJIBAKE.search(text):
        report.warnings.append(
            Problem(
                "mojibake",
                {"sample": text[match.start() : match.end() + 2]},
            )
        )
    return text


def _decode_as(report: FileReport[D], data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        report.problems.append(
            Problem(
                "wrong_bom",
                {"encoding": encoding.upper(), "position": error.start},
            )
        )
        return None


def _read_csv(report: FileReport[D], data: bytes, table: TableSpec[D]) -> FileReport[D]:
    report.format = FileFormat.CSV
    text = _decode(report, data)
    if text is None:
        return report
    if any(ch in text for ch in "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x1a\x1b"):
        report.problems.append(Problem("binary"))
        return report
    lines = text.splitlines()
    delimiter = None
    if lines and re.fullmatch(r"sep=.", lines[0].strip()):
        delimiter = lines[0].strip()[-1]
        text = text.split("\n", 1)[1] if "\n" in text else ""
    if delimiter is None:
        delimiter = _sniff_delimiter(text, table.header_words)
    report.notes.append(
        Problem(
            "read_csv",
            {"delimiter": delimiter},
        )
    )
    rows: list[tuple[int, list[Any]]] = []
    try:
        for number, record in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1):
            rows.append((number, [unneutralise(cell.strip()) for cell in record]))
            if number > MAX_ROWS + 20:
                break
    except csv.Error as error:
        report.problems.append(
            Problem(
                "bad_csv_row",
                {"row": len(rows) + 1, "reason": str(error)},
                Where(row=len(rows) + 1),
            )
        )
        return report
    return _read_table(report, rows, table, strict_width=True)


def _sniff_delimiter(text: str, header_words: frozenset[str]) -> str:
    # The separator is the one that splits the row of column names into the most known names.
    first = next((line for line in text.splitlines() if line.strip()), "")
    best, best_score = ";", (-1, -1)
    for candidate in (";", ",", "\t"):
        cells = next(csv.reader([first], delimiter=candidate), [])
        known = sum(1 for c in cells if normalise_header(c) in header_words)
        score = (known, len(cells))
        if score > best_score:
            best, best_score = candidate, score
    return best


_HEADER_WORDS = frozenset(
    {
        "soort",
        "sleutel",
        "titel",
        "omschrijving",
        "hoort_bij",
        "effecten",
        "kosten_jaar_1",
        "kosten_4_jaar",
        "kosten_10_jaar",
        "regulier",
        "budget",
    }
)


MENU_TABLE = TableSpec(read=read_rows, sheet="Menu", header_words=_HEADER_WORDS)


def _read_table(
    report: FileReport[D],
    rows: list[tuple[int, list[Any]]],
    table: TableSpec[D],
    *,
    strict_width: bool = False,
) -> FileReport[D]:
    header_at = next(
        (
            i
            for i, (_n, cells) in enumerate(rows[:10])
            if any(normalise_header(c) == KIND for c in cells)
        ),
        None,
    )
    if header_at is None:
        header_at = next((i for i, (_n, cells) in enumerate(rows) if any(cells)), None)
    if header_at is None:
        return _refuse(report, "file_empty")
    for number, cells in rows[:header_at]:
        if any(_present(c) for c in cells):
            report.warnings.append(Problem("row_above_header", {"row": number}, Where(row=number)))
    header_number, header = rows[header_at]
    if strict_width:
        # A CSV row longer than its column names was split at a comma or semicolon inside a cell.
        for number, cells in rows[header_at + 1 :]:
            if len(cells) > len(header):
                report.problems.append(
                    Problem(
                        "too_many_cells",
                        {"cells": len(cells), "columns": len(header)},
                        Where(row=number),
                    )
                )
    body = [(n - header_number + 1, cells) for n, cells in rows[header_at + 1 :]]
    offset = header_number - 1
    try:
        document, table_warnings = table.read(header, body)
    except MenuProblems as error:
        report.problems.extend(_shift(f, offset) for f in error.problems)
        report.warnings.extend(_shift(f, offset) for f in error.warnings)
        return report
    report.warnings.extend(_shift(f, offset) for f in table_warnings)
    if not report.problems:
        report.document = document
    return report


def _present(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def _shift(problem: Problem, offset: int) -> Problem:
    if offset and problem.where.row is not None:
        return problem.at(row=problem.where.row + offset)
    return problem


def _read_seed(report: ReadReport, data: bytes, kind: FileFormat) -> ReadReport:
    report.format = kind
    try:
        report.document, found = read_seed(data, kind.value)
    except MenuProblems as error:
        report.problems.extend(error.problems)
        return report
    report.warnings.extend(found)
    return report
