"""The adopted schedule in the plan's spreadsheet downloads: an XLSX sheet, and CSV columns.

Amounts are whole euros, as numbers. The plan's exports call these when the plan they render has
an adopted schedule (`PlanContent.schedule`).
"""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app.domain.spreadsheet import xlsx_value
from app.exports.schedule_content import ScheduleContent, ScheduledMeasure
from app.i18n import gettext as _

EURO = '"€" #,##0'


def _start(m: ScheduledMeasure) -> str | int:
    if m.no_cost:
        return 1
    return m.start_year if m.start_year is not None else _("not in the period")


def csv_header(schedule: ScheduleContent) -> list[str]:
    """The CSV's extra columns: start year, what each year of the period costs, what comes after."""
    return [
        _("Start year"),
        *[_("Year %(year)s") % {"year": y} for y in range(1, schedule.years + 1)],
        _("After the period"),
    ]


def csv_cells(schedule: ScheduleContent, key: str) -> list[Any]:
    """A measure's extra cells (empty for a measure the plan did not select)."""
    for m in schedule.measures:
        if m.key == key:
            return [_start(m), *m.by_year, m.after_period]
    return [""] * (schedule.years + 2)


def csv_ledger_rows(schedule: ScheduleContent, *, before: int) -> list[list[Any]]:
    """The ledger under the measures: available, planned and left per year (in the year columns).

    `before` is the number of the plan's own columns; the label goes in its second column.
    """
    rows = []
    for label, values in (
        (_("Available"), [r.available for r in schedule.ledger]),
        (_("Planned"), [r.planned for r in schedule.ledger]),
        (_("Left"), [r.left for r in schedule.ledger]),
    ):
        rows.append(["", label, *[""] * (before - 2), "", *values, ""])
    return rows


def add_xlsx_sheet(book: Workbook, schedule: ScheduleContent) -> None:
    """A sheet 'Fasering': start years, yearly costs, ledger, outlook and fingerprint."""
    ws = book.create_sheet(_("Schedule"))
    years = list(range(1, schedule.years + 1))
    header = [
        _("Rank"),
        _("Measure"),
        _("Start year"),
        *[_("Year %(year)s") % {"year": y} for y in years],
        _("In the period"),
        _("After the period"),
        _("Note"),
    ]
    ws.append([xlsx_value(h) for h in header])
    for m in schedule.measures:
        ws.append(
            [
                m.rank,
                xlsx_value(m.title),
                xlsx_value(_start(m)),
                *m.by_year,
                m.in_period,
                m.after_period,
                xlsx_value(" ".join(m.flag_texts())),
            ]
        )
    money_rows = list(range(2, ws.max_row + 1))
    ws.append([])
    ws.append([xlsx_value(h) for h in (_("Year"), _("Available"), _("Planned"), _("Left"))])
    ledger_head = ws.max_row
    for r in schedule.ledger:
        ws.append([r.year, r.available, r.planned, r.left])
    ws.append([xlsx_value(_("Together")), schedule.money_total, schedule.in_period, schedule.left])
    ledger_rows = range(ledger_head + 1, ws.max_row + 1)
    ws.append([])
    ws.append([xlsx_value(_("After the plan period")), None])
    outlook_head = ws.max_row
    for o in schedule.outlook:
        ws.append([o.year, o.planned])
    outlook_rows = range(outlook_head + 1, ws.max_row + 1)
    ws.append([])
    facts = [
        (
            _("Money a year leaves unspent goes to the next year"),
            _("yes") if schedule.carry_over else _("no"),
        ),
        (_("Plan total over its binding horizon"), schedule.plan_total),
        (_("Of which after the period"), schedule.after_period_binding),
        (_("The selected measures over their 10 years"), schedule.ten_year_total),
        (
            _("Adopted"),
            schedule.adopted_at.strftime("%Y-%m-%d %H:%M UTC") if schedule.adopted_at else "-",
        ),
        (_("Fingerprint of the plan with its schedule (SHA-256)"), schedule.fingerprint),
    ]
    facts_head = ws.max_row
    for label, value in facts:
        ws.append([xlsx_value(label), xlsx_value(value)])
    for row in money_rows:
        for column in range(4, 4 + schedule.years + 2):
            ws.cell(row=row, column=column).number_format = EURO
    for row in ledger_rows:
        for column in (2, 3, 4):
            ws.cell(row=row, column=column).number_format = EURO
    for row in outlook_rows:
        ws.cell(row=row, column=2).number_format = EURO
    for row in range(facts_head + 2, facts_head + 5):
        ws.cell(row=row, column=2).number_format = EURO
    for row in (1, ledger_head, outlook_head):
        for cell in ws[row]:
            cell.font = Font(bold=True)
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 40
    for column in range(3, len(header) + 1):
        ws.column_dimensions[get_column_letter(column)].width = 16
    ws.freeze_panes = "A2"
