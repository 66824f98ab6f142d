"""The follow-up file written as CSV (as Dutch Excel opens it) or XLSX: the same format the import
reads (`app/domain/follow_up_file.py`), every text cell neutralised against formulas."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from app.domain.follow_up_file import (
    COLUMNS_AFTER_SPENT,
    COLUMNS_BEFORE_SPENT,
    KIND,
    KINDS,
    SHEET,
    TITLE,
    MeasurementState,
    MeasureState,
    columns_for,
    state_rows,
)
from app.domain.menu.problems import N_
from app.domain.spreadsheet import csv_writer, harden_workbook, xlsx_value
from app.i18n import gettext

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

COLUMN_HELP: dict[str, str] = {
    "soort": N_(
        "What the row is: maatregel (a measure of the adopted plan), mijlpaal (a milestone of "
        "it) or meting (a measured value of an indicator)."
    ),
    "sleutel": N_("The key of the measure (maatregel, mijlpaal) or of the indicator (meting)."),
    "titel": N_(
        "The measure's title or the indicator's name, for the reader; a meting without a key "
        "is found by its name."
    ),
    "status": N_("The status: one of the statuses listed below."),
    "voortgang": N_("Progress in whole percent, 0 to 100; empty: the status's default."),
    "organisatie": N_("The organisation that carries out the measure."),
    "gepland_begin": N_("Planned start, a date like 15-03-2008."),
    "gepland_eind": N_("Planned end."),
    "begin": N_("Actual start."),
    "eind": N_("Actual end."),
    "reden": N_(
        "Why, in plain words: required for 'uitgesteld' and 'gaat niet door' (and the "
        "wijkteam's own statuses that need one)."
    ),
    "uitgegeven_<jaar>": N_("Money actually spent in that year, whole euros; one column a year."),
    "datum": N_("Mijlpaal: the day."),
    "tekst": N_("Mijlpaal: a short text."),
    "jaar": N_("Meting: the year measured."),
    "waarde": N_("Meting: the value (decimal comma allowed); empty removes that year's value."),
    "bron": N_("Meting: where the value comes from (for example the liveability monitor)."),
}
FILE_NOTE = N_(
    "A column left out leaves what it holds as it is. When the file has the column 'datum', each "
    "measure it lists gets exactly the milestones of its mijlpaal rows. The import is all or "
    "nothing: every problem is named by row and column, and nothing changes while there is one."
)


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    return str(value)


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return xlsx_value(value)


def follow_up_csv(
    measures: Sequence[MeasureState], measurements: Sequence[MeasurementState]
) -> bytes:
    """The file as CSV for Dutch spreadsheet programs: UTF-8 with BOM, ';', decimal comma."""
    columns = columns_for(sorted({y for m in measures for y in m.execution.spent}))
    buffer = io.StringIO()
    writer = csv_writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    for row in state_rows(measures, measurements, columns):
        writer.writerow([_csv_value(row[c]) for c in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def follow_up_xlsx(
    measures: Sequence[MeasureState],
    measurements: Sequence[MeasurementState],
    statuses: Sequence[tuple[str, str]],
) -> bytes:
    """The file as a workbook: sheet 'Voortgang' with the rows, 'Uitleg' explaining them
    (`statuses`: each status's label and what it means)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    columns = columns_for(sorted({y for m in measures for y in m.execution.spent}))
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = SHEET
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E3F1EA")
    for index, row in enumerate(state_rows(measures, measurements, columns), start=2):
        sheet.append([_xlsx_value(row[c]) for c in columns])
        for column, value in enumerate(row.values(), start=1):
            if isinstance(value, date):
                sheet.cell(row=index, column=column).number_format = "DD-MM-YYYY"
    sheet.freeze_panes = "D2"
    for index, name in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = {TITLE: 40, "reden": 40, "tekst": 40}.get(
            name, max(12, len(name) + 2)
        )
    kinds = DataValidation(type="list", formula1=f'"{",".join(KINDS)}"', allow_blank=True)
    kinds.add(f"A2:A{max(2000, sheet.max_row)}")
    sheet.add_data_validation(kinds)
    assert columns[0] == KIND
    help_sheet = workbook.create_sheet("Uitleg")
    help_sheet.append([gettext("Column"), gettext("Meaning")])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    for name in (*COLUMNS_BEFORE_SPENT, "uitgegeven_<jaar>", *COLUMNS_AFTER_SPENT):
        help_sheet.append([name, gettext(COLUMN_HELP[name])])
    help_sheet.append([])
    help_sheet.append([gettext("Status"), gettext("Meaning")])
    for label, meaning in statuses:
        help_sheet.append([xlsx_value(label), xlsx_value(meaning)])
    help_sheet.append([])
    help_sheet.append([gettext(FILE_NOTE)])
    help_sheet.column_dimensions["A"].width = 20
    help_sheet.column_dimensions["B"].width = 100
    for row_cells in help_sheet.iter_rows(min_row=2):
        row_cells[-1].alignment = Alignment(wrap_text=True, vertical="top")
    harden_workbook(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
