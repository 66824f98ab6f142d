"""Importing a menu file (CSV, XLSX, YAML, JSON) into a process: all or nothing, each problem named.

A file is recognised by its content before its name: a PDF, a picture, an old .xls or a renamed
file is named for what it is. CSV files from Dutch spreadsheet programs are read as they come:
UTF-8 with or without BOM, UTF-16 with BOM (Excel's "Unicode text"), or Windows-1252 (Excel's
older "CSV"); the separator (`;`, `,` or tab) is detected from the row of column names, and the
report says what was detected. Loading goes through `menus.load_menu` inside a savepoint, so a
refused import (a frozen menu, a dry run) writes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

import yaml
from sqlmodel import Session, select

from app.domain.menu import MenuDocument, MenuFormatError, parse_menu_document
from app.domain.menu_tables import (
    KIND,
    MAX_ROWS,
    Finding,
    MenuTableError,
    normalise_header,
    read_rows,
    slug,
)
from app.domain.spreadsheet import unneutralise
from app.errors import N_
from app.i18n import euro, gettext
from app.models import Process, User
from app.services import access, audit
from app.services import menus as menus_service

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024


class FileFormat(StrEnum):
    """The menu file formats: one table of columns (CSV, XLSX) or the seed format (YAML, JSON)."""

    CSV = "csv"
    XLSX = "xlsx"
    YAML = "yaml"
    JSON = "json"


@dataclass
class ReadReport:
    """What reading a file gave: its format, how it was read, the document, problems, warnings."""

    filename: str
    format: FileFormat | None = None
    document: MenuDocument | None = None
    problems: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)


@dataclass
class ImportResult:
    """The outcome of an import: the reading, and what was (or in a dry run would be) written."""

    read: ReadReport
    process_id: int | None = None
    created: int = 0
    updated: int = 0
    removed: int = 0
    written: bool = False
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """Whether the file could be imported."""
        return not self.read.problems


# --- recognising and reading a file ------------------------------------------------------------


def read_menu_upload(*, filename: str, data: bytes) -> ReadReport:
    """Recognise a menu file by its content and name, and read it into a document or problems."""
    report = ReadReport(filename=filename)
    name = filename.lower()
    if not data.strip():
        return _refuse(report, N_("The file is empty."))
    if len(data) > MAX_FILE_BYTES:
        return _refuse(
            report,
            N_("The file is %(size)s MB; at most %(max)s MB can be imported."),
            size=round(len(data) / 1024 / 1024, 1),
            max=MAX_FILE_BYTES // 1024 // 1024,
        )
    head = data[:8]
    if head.startswith(b"%PDF"):
        return _refuse(
            report,
            N_("This is a PDF document, not a spreadsheet. Upload the menu as XLSX or CSV."),
        )
    for magic, kind in ((b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF")):
        if head.startswith(magic):
            return _refuse(
                report,
                N_(
                    "This is a picture (%(type)s), not a spreadsheet. "
                    "Upload the menu as XLSX or CSV."
                ),
                type=kind,
            )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return _refuse(
            report,
            N_(
                "This is an old Excel file (.xls, Office 97-2003). Save it as an Excel workbook "
                "(.xlsx) or as CSV and upload that."
            ),
        )
    if head.startswith(b"PK\x03\x04"):
        return _read_zip(report, data)
    if name.endswith((".xlsx", ".xlsm")):
        return _refuse(
            report,
            N_(
                "The file is called '%(name)s' but is not an Excel workbook (perhaps it was "
                "renamed). Save it from your spreadsheet program as .xlsx or CSV."
            ),
            name=filename,
        )
    if name.endswith((".yaml", ".yml")):
        return _read_seed(report, data, FileFormat.YAML)
    if name.endswith(".json"):
        return _read_seed(report, data, FileFormat.JSON)
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith((b"{", b"[")) and not name.endswith((".csv", ".txt", ".tsv")):
        return _read_seed(report, data, FileFormat.JSON)
    if re.match(rb"(#[^\n]*\n|\s)*format:\s*waardenzeef-menu", stripped):
        return _read_seed(report, data, FileFormat.YAML)
    return _read_csv(report, data)


def _refuse(report: ReadReport, message: str, **params: Any) -> ReadReport:
    report.problems.append(Finding(message, params))
    return report


def _read_zip(report: ReadReport, data: bytes) -> ReadReport:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError):
        return _refuse(
            report,
            N_("The file cannot be opened: it is damaged or not a real Excel workbook."),
        )
    if b"opendocument.spreadsheet" in mimetype:
        return _refuse(
            report,
            N_(
                "This is an OpenDocument spreadsheet (.ods). Save it as an Excel workbook "
                "(.xlsx) or as CSV and upload that."
            ),
        )
    if "xl/workbook.xml" not in names:
        if any(n.startswith("word/") for n in names):
            return _refuse(report, N_("This is a Word document, not a spreadsheet."))
        return _refuse(report, N_("This is a ZIP archive, not a spreadsheet."))
    if unpacked > MAX_UNPACKED_BYTES:
        return _refuse(
            report,
            N_("The file is %(size)s MB; at most %(max)s MB can be imported."),
            size=round(unpacked / 1024 / 1024, 1),
            max=MAX_UNPACKED_BYTES // 1024 // 1024,
        )
    return _read_xlsx(report, data)


def _read_xlsx(report: ReadReport, data: bytes) -> ReadReport:
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
            N_("The file cannot be opened: it is damaged or not a real Excel workbook."),
        )
    if not values.worksheets:
        return _refuse(report, N_("The workbook has no sheet with rows."))
    sheet = values["Menu"] if "Menu" in values.sheetnames else values.worksheets[0]
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
                    report.problems.append(
                        Finding(
                            N_(
                                "Cell %(cell)s holds a formula without a computed value; open "
                                "the file in your spreadsheet program, save it and upload it "
                                "again."
                            ),
                            {"cell": cell.coordinate},
                            int(cell.row or 0),
                            None,
                            cell.column_letter,
                        )
                    )
            row.append(value)
        rows.append((int(number or 0), row))
    report.notes.append(
        Finding(
            N_(
                "Read as an Excel workbook, sheet '%(sheet)s'. Amounts in text cells with a dot "
                "or comma before three digits are read as thousands (48.000 = 48000)."
            ),
            {"sheet": sheet.title},
        )
    )
    return _read_table(report, rows)


_MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf]|â€")


def _decode(report: ReadReport, data: bytes) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        report.notes.append(Finding(N_("Encoding: UTF-8 with byte order mark.")))
        return _decode_as(report, data[3:], "utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        report.notes.append(Finding(N_("Encoding: UTF-16 (Excel's 'Unicode text').")))
        return _decode_as(report, data, "utf-16")
    if b"\x00" in data[:4000]:
        zeros = data[:4000].count(b"\x00")
        if zeros > len(data[:4000]) // 4 and (data[1:2] == b"\x00" or data[0:1] == b"\x00"):
            report.problems.append(
                Finding(
                    N_(
                        "The file looks like UTF-16 text without a byte order mark, which "
                        "cannot be read reliably. Save it as 'CSV UTF-8' and upload that."
                    )
                )
            )
        else:
            report.problems.append(
                Finding(
                    N_(
                        "The file is neither text nor a spreadsheet. Upload the menu as an "
                        "Excel workbook (.xlsx) or as CSV."
                    )
                )
            )
        return None
    try:
        text = data.decode("utf-8")
        report.notes.append(Finding(N_("Encoding: UTF-8.")))
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as error:
            byte = data[error.start : error.start + 1].hex().upper()
            report.problems.append(
                Finding(
                    N_(
                        "The file is not in an encoding that can be read (UTF-8 or "
                        "Windows-1252): byte 0x%(byte)s at position %(position)s does not fit. "
                        "Save it as 'CSV UTF-8' and upload that."
                    ),
                    {"byte": byte, "position": error.start},
                )
            )
            return None
        report.notes.append(
            Finding(
                N_(
                    "Encoding: Windows-1252 (the older 'CSV' of Excel), because the file is not "
                    "UTF-8."
                )
            )
        )
    if match := _MOJIBAKE.search(text):
        report.warnings.append(
            Finding(
                N_(
                    "Some letters look converted twice ('%(sample)s'); check accents such as é "
                    "and ë after the import, or save the file as 'CSV UTF-8' again."
                ),
                {"sample": text[match.start() : match.end() + 2]},
            )
        )
    return text


def _decode_as(report: ReadReport, data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        report.problems.append(
            Finding(
                N_(
                    "The file says it is %(encoding)s but byte %(position)s is not; save it as "
                    "'CSV UTF-8' and upload that."
                ),
                {"encoding": encoding.upper(), "position": error.start},
            )
        )
        return None


_DELIMITER_NAMES = {";": N_("semicolon (;)"), ",": N_("comma (,)"), "\t": N_("tab")}


def _read_csv(report: ReadReport, data: bytes) -> ReadReport:
    report.format = FileFormat.CSV
    text = _decode(report, data)
    if text is None:
        return report
    if any(ch in text for ch in "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x1a\x1b"):
        report.problems.append(
            Finding(
                N_(
                    "The file is neither text nor a spreadsheet. Upload the menu as an Excel "
                    "workbook (.xlsx) or as CSV."
                )
            )
        )
        return report
    lines = text.splitlines()
    delimiter = None
    if lines and re.fullmatch(r"sep=.", lines[0].strip()):
        delimiter = lines[0].strip()[-1]
        text = text.split("\n", 1)[1] if "\n" in text else ""
    if delimiter is None:
        delimiter = _sniff_delimiter(text)
    report.notes.append(
        Finding(
            N_(
                "Columns separated by %(delimiter)s. Amounts with a dot or comma before three "
                "digits are read as thousands (48.000 = 48000); other numbers may have a "
                "decimal comma (6,5)."
            ),
            {"delimiter": _DELIMITER_NAMES.get(delimiter, delimiter)},
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
            Finding(
                N_("Row %(row)s cannot be read as CSV: %(reason)s."),
                {"row": len(rows) + 1, "reason": str(error)},
                len(rows) + 1,
            )
        )
        return report
    return _read_table(report, rows, strict_width=True)


def _sniff_delimiter(text: str) -> str:
    # The separator is the one that splits the row of column names into the most known names.
    first = next((line for line in text.splitlines() if line.strip()), "")
    best, best_score = ";", (-1, -1)
    for candidate in (";", ",", "\t"):
        cells = next(csv.reader([first], delimiter=candidate), [])
        known = sum(1 for c in cells if normalise_header(c) in _HEADER_WORDS)
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


def _read_table(
    report: ReadReport, rows: list[tuple[int, list[Any]]], *, strict_width: bool = False
) -> ReadReport:
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
        return _refuse(report, N_("The file is empty."))
    for number, cells in rows[:header_at]:
        if any(_present(c) for c in cells):
            report.warnings.append(
                Finding(
                    N_("Row %(row)s is above the row of column names; it is ignored."),
                    {"row": number},
                    number,
                )
            )
    header_number, header = rows[header_at]
    if strict_width:
        # A CSV row longer than its column names was split at a comma or semicolon inside a cell.
        for number, cells in rows[header_at + 1 :]:
            if len(cells) > len(header):
                report.problems.append(
                    Finding(
                        N_(
                            "This row has more cells (%(cells)s) than the first row has "
                            "columns (%(columns)s); is there a comma in a number? Put the "
                            "number in quotes, or separate the columns with ';'."
                        ),
                        {"cells": len(cells), "columns": len(header)},
                        number,
                    )
                )
    body = [(n - header_number + 1, cells) for n, cells in rows[header_at + 1 :]]
    offset = header_number - 1
    try:
        document, table_warnings = read_rows(header, body)
    except MenuTableError as error:
        report.problems.extend(_shift(f, offset) for f in error.problems)
        report.warnings.extend(_shift(f, offset) for f in error.warnings)
        return report
    report.warnings.extend(_shift(f, offset) for f in table_warnings)
    if not report.problems:
        report.document = document
    return report


def _present(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def _shift(finding: Finding, offset: int) -> Finding:
    if offset and finding.row is not None:
        return replace(finding, row=finding.row + offset)
    return finding


def _read_seed(report: ReadReport, data: bytes, kind: FileFormat) -> ReadReport:
    report.format = kind
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        report.problems.append(
            Finding(
                N_(
                    "A %(format)s menu file must be UTF-8 text; byte %(position)s is not. Save "
                    "it as UTF-8."
                ),
                {"format": kind.value.upper(), "position": error.start},
            )
        )
        return report
    try:
        raw: Any = json.loads(text) if kind == FileFormat.JSON else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else getattr(error, "lineno", "?")
        reason = getattr(error, "problem", None) or getattr(error, "msg", None) or str(error)
        report.problems.append(
            Finding(
                N_("The file is not valid %(format)s (line %(line)s): %(reason)s."),
                {"format": kind.value.upper(), "line": line, "reason": reason},
            )
        )
        return report
    if kind == FileFormat.JSON:
        raw = _json_years(raw)
    try:
        report.document = parse_menu_document(raw, report.filename)
    except MenuFormatError as error:
        report.problems.extend(_seed_finding(p.entry, p.field, p.message) for p in error.problems)
        return report
    report.warnings.extend(_seed_warnings(report.document))
    return report


def _json_years(raw: Any) -> Any:
    # JSON object keys are always text; the seed format's targets are keyed by year (a number).
    if isinstance(raw, dict):
        for effect in raw.get("effects") or []:
            for indicator in (
                (effect or {}).get("indicators") or [] if isinstance(effect, dict) else []
            ):
                if isinstance(indicator, dict) and isinstance(indicator.get("targets"), dict):
                    indicator["targets"] = {
                        int(k) if isinstance(k, str) and k.isdigit() else k: v
                        for k, v in indicator["targets"].items()
                    }
    return raw


def _seed_warnings(document: MenuDocument) -> list[Finding]:
    # The same warnings a table gets, through the table reader's own checks.
    from app.domain.menu_tables import columns_for, document_rows

    columns = columns_for(document)
    rows = document_rows(document, columns)
    try:
        _doc, found = read_rows(
            columns, [(i, [r[c] for c in columns]) for i, r in enumerate(rows, 2)]
        )
    except MenuTableError:
        return []
    return [replace(f, row=None, column=None, column_letter=None) for f in found]


# The seed format's parser (app/domain/menu.py) words its problems in English; each pattern here
# gives the catalogue message for one of them, so that a Dutch reader gets them in Dutch.
_SEED_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), message)
    for pattern, message in (
        (r"^is missing$", N_("This field is missing.")),
        (r"^must be text, not (?P<type>\w+)$", N_("This must be text, not %(type)s.")),
        (
            r"^is (?P<length>\d+) characters long; at most (?P<max>\d+)$",
            N_("The text is %(length)s characters long; at most %(max)s fit."),
        ),
        (
            r"^(?P<value>.+) is not a whole number of euros$",
            N_("'%(value)s' is not a whole number of euros; leave out the cents."),
        ),
        (
            r"^(?P<value>.+) is negative; a cost is 0 or more$",
            N_("'%(value)s' is negative; a cost or budget is 0 or more."),
        ),
        (r"^is missing or not a number$", N_("This field is missing or not a number.")),
        (r"^(?P<value>.+) is not a number$", N_("'%(value)s' is not a number.")),
        (
            r"^must be a mapping of fields, not (?P<type>\w+)$",
            N_("This must be a mapping of fields (name: value), not %(type)s."),
        ),
        (r"^must be a list, not (?P<type>\w+)$", N_("This must be a list, not %(type)s.")),
        (
            r"^(?P<value>.+) is not one of (?P<choices>.+)$",
            N_("'%(value)s' is not one of %(choices)s."),
        ),
        (
            r"^lists no desired effect$",
            N_("There are no desired effects; a menu needs at least one."),
        ),
        (
            r"^names no desired effect \(use an effect key or 'menu'\)$",
            N_("This names no desired effect (use an effect key or 'menu')."),
        ),
        (
            r"^must list three amounts: year 1, 4 years, 10 years$",
            N_("This must list three amounts: year 1, 4 years, 10 years."),
        ),
        (
            r"^is used twice \(duplicate measure\)$",
            N_("This measure key is used twice (duplicate measure)."),
        ),
        (r"^is used twice$", N_("This key is used twice.")),
        (r"^'(?P<key>.+)' is used twice$", N_("The key '%(key)s' is used twice.")),
        (r"^(?P<value>.+) is not a year$", N_("'%(value)s' is not a year (write it like 2026).")),
        (
            r"^'(?P<value>.+)' is not a desired effect of this menu$",
            N_("'%(value)s' is not a desired effect of this menu."),
        ),
        (r"^must be a list of effect keys$", N_("This must be a list of effect keys.")),
        (
            r"^must be true or false, not (?P<value>.+)$",
            N_("This must be true or false, not %(value)s."),
        ),
        (
            r"^must be '(?P<expected>[^']+)', found (?P<value>.+)$",
            N_("This must be '%(expected)s', found %(value)s."),
        ),
    )
)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _seed_finding(entry: str, field_name: str, message: str) -> Finding:
    for pattern, catalogue_message in _SEED_MESSAGES:
        if match := pattern.match(message):
            params = {k: _unquote(v) for k, v in match.groupdict().items()}
            return Finding(catalogue_message, params, column=field_name or None, entry=entry)
    return Finding(N_("%(text)s"), {"text": message}, column=field_name or None, entry=entry)


# --- showing findings --------------------------------------------------------------------------

_HORIZON_WORDS = {"year_1": N_("year 1"), "years_4": N_("4 years"), "years_10": N_("10 years")}


def describe(finding: Finding) -> str:
    """A finding's message in the current language, with amounts and horizons written out."""
    params: dict[str, Any] = {}
    for name, value in finding.params.items():
        if name.endswith("_eur") and isinstance(value, int):
            params[name] = euro(value)
        elif name in {"horizon", "longer", "shorter"} and value in _HORIZON_WORDS:
            params[name] = gettext(_HORIZON_WORDS[value])
        elif name in {"delimiter"}:
            params[name] = gettext(str(value)) if value in _DELIMITER_NAMES.values() else value
        else:
            params[name] = value
    text = gettext(finding.message)
    text = text % params if params or "%(" in text else text
    if finding.suggestion:
        text += " " + gettext("Did you mean '%(suggestion)s'?") % {"suggestion": finding.suggestion}
    return text


def describe_all(findings: Sequence[Finding]) -> list[str]:
    """Every finding as one line, with its place first (English, for the API and the log)."""
    lines = []
    for f in findings:
        where = []
        if f.entry:
            where.append(f.entry)
        if f.row is not None:
            where.append(f"row {f.row}")
        if f.column and f.entry:
            where.append(f"field {f.column}")
        elif f.column:
            where.append(
                f"column {f.column}" + (f" ({f.column_letter})" if f.column_letter else "")
            )
        params = {
            name: f"€{value:,}"
            if name.endswith("_eur") and isinstance(value, int)
            else _HORIZON_WORDS.get(str(value), value)
            if name in {"horizon", "longer", "shorter"}
            else value
            for name, value in f.params.items()
        }
        text = (f.message % params) if params else f.message
        if f.suggestion:
            text += f" Did you mean '{f.suggestion}'?"
        lines.append(f"{', '.join(where)}: {text}" if where else text)
    return lines


# --- loading into a process --------------------------------------------------------------------


def import_menu(
    session: Session,
    *,
    user: User,
    filename: str,
    data: bytes,
    process_id: int | None = None,
    dry_run: bool = False,
    ip_address: str = "",
) -> ImportResult:
    """Read a menu file and load it as a new process or into this one; all or nothing."""
    target = access.process_for(session, user=user, process_id=process_id) if process_id else None
    read = read_menu_upload(filename=filename, data=data)
    result = ImportResult(read=read, dry_run=dry_run)
    if read.problems or read.document is None:
        return result
    document = read.document
    if target is None:
        key = document.seed_key or _free_key(session, _key_for(document))
        existing = session.exec(select(Process).where(Process.seed_key == key)).first()
        if existing is not None:
            read.problems.append(
                Finding(
                    N_(
                        "A process with the key '%(key)s' exists already ('%(title)s'). Import "
                        "into that process from its own page, or give the 'proces' row "
                        "another key."
                    ),
                    {"key": key, "title": existing.title},
                    column="sleutel",
                )
            )
            return result
        document = replace(document, seed_key=key)
    savepoint = session.begin_nested()
    try:
        if target is not None:
            assert target.id is not None
            if not target.seed_key:
                target.seed_key = _free_key(session, document.seed_key or f"process-{target.id}")
            document = replace(document, seed_key=target.seed_key)
        loaded = menus_service.load_menu(session, document=document)
        audit.record(
            session,
            action="menu.imported",
            user_id=user.id,
            object_type="process",
            object_id=loaded.process_id,
            process_id=loaded.process_id,
            ip_address=ip_address,
            detail={
                "file": filename[:200],
                "format": str(read.format),
                "new_process": target is None,
                "created": loaded.created,
                "updated": loaded.updated,
                "removed": loaded.removed,
            },
        )
        session.flush()
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    result.process_id = None if dry_run and target is None else loaded.process_id
    result.created, result.updated, result.removed = (
        loaded.created,
        loaded.updated,
        loaded.removed,
    )
    result.written = not dry_run
    return result


def _key_for(document: MenuDocument) -> str:
    # A readable key for a process from a file that named none: its title, with the
    # neighbourhood in front when the title does not already say it.
    title, hood = slug(document.title), slug(document.neighbourhood_name)
    return (title if hood and hood in title else slug(f"{hood} {title}")) or "menu"


def _free_key(session: Session, base: str) -> str:
    base = base[:70] or "menu"
    taken = set(
        session.exec(select(Process.seed_key).where(Process.seed_key.startswith(base))).all()  # type: ignore[union-attr]
    )
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key
