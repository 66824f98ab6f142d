"""The bewonersplan as an XLSX workbook: the plan, a summary of the ballots, and the method."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from app.domain.spreadsheet import harden_workbook, xlsx_value
from app.exports import schedule_files
from app.exports.content import PlanContent
from app.i18n import gettext as _
from app.wording import note_text

EURO = '"€" #,##0'
EURO_CENTS = '"€" #,##0.00'
DECIMAL = "0.00"


def _sheet(
    ws: Worksheet, header: list[str], rows: list[list[Any]], formats: dict[int, str]
) -> None:
    ws.append([xlsx_value(title) for title in header])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        ws.append([xlsx_value(value) for value in row])
    for column, fmt in formats.items():
        for (cell,) in ws.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = fmt
    for index, title in enumerate(header, start=1):
        width = max([len(str(title))] + [len(str(r[index - 1])) for r in rows if index <= len(r)])
        ws.column_dimensions[get_column_letter(index)].width = min(max(10, width + 2), 60)
    ws.freeze_panes = "A2"


def render(plan: PlanContent) -> bytes:
    """The workbook as bytes."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = _("Plan")
    _sheet(
        ws,
        [
            _("Rank"),
            _("Measure"),
            _("Group"),
            _("Cost year 1"),
            _("Cost 4 years"),
            _("Cost 10 years"),
            _("Binding cost"),
            _("Weighted contribution"),
            _("Standard deviation"),
            _("Interquartile range"),
            _("Selected"),
            _("Order selected"),
            _("Reason"),
        ],
        [
            [
                m.rank,
                m.title,
                m.group,
                m.cost_year_1,
                m.cost_years_4,
                m.cost_years_10,
                m.binding_cost,
                m.weighted_contribution,
                m.standard_deviation,
                m.interquartile_range,
                _("yes") if m.selected else _("no"),
                m.position,
                m.reason(),
            ]
            for m in plan.measures
        ],
        {4: EURO, 5: EURO, 6: EURO, 7: EURO, 8: DECIMAL, 9: DECIMAL, 10: DECIMAL},
    )
    last = len(plan.measures) + 2
    ws.cell(row=last + 1, column=6, value=_("Available")).font = Font(bold=True)
    ws.cell(row=last + 1, column=7, value=plan.ledger.available).number_format = EURO
    ws.cell(row=last + 2, column=6, value=_("In the plan")).font = Font(bold=True)
    total = ws.cell(
        row=last + 2, column=7, value=f'=SUMIF(K2:K{last - 1},"{_("yes")}",G2:G{last - 1})'
    )
    total.number_format = EURO
    ws.cell(row=last + 3, column=6, value=_("Left")).font = Font(bold=True)
    ws.cell(row=last + 3, column=7, value=plan.ledger.left).number_format = EURO

    ballots = book.create_sheet(_("Ballots"))
    _sheet(
        ballots,
        [
            _("Measure"),
            _("Rated by"),
            _("Skipped by"),
            _("In packages"),
            _("Weighted contribution"),
            _("Standard deviation"),
        ],
        [
            [
                m.title,
                m.rated_by,
                m.skipped_by,
                m.in_packages,
                m.weighted_contribution,
                m.standard_deviation,
            ]
            for m in plan.measures
        ],
        {5: DECIMAL, 6: DECIMAL},
    )
    row = len(plan.measures) + 3
    ballots.cell(row=row, column=1, value=_("Turnout")).font = Font(bold=True)
    for t in plan.turnout:
        for g in t.by_group:
            row += 1
            ballots.append([xlsx_value(t.kind), xlsx_value(g.group or "-"), g.phone, g.paper])
    money = book.create_sheet(_("Money per effect"))
    _sheet(
        money,
        [_("Effect"), _("On the effect itself"), _("With its sub-effects")],
        [[e.title, e.money, e.total] for e in plan.money_per_effect],
        {2: EURO_CENTS, 3: EURO_CENTS},
    )
    method = book.create_sheet(_("Method"))
    facts: list[list[Any]] = [
        [_("Process"), plan.process.title],
        [_("Rule"), plan.rule],
        [_("Ranking"), plan.ranked_by],
        *[[name, value] for name, value in plan.parameters.items()],
        [_("Budget"), plan.ledger.available],
        [_("In the plan"), plan.ledger.spent],
        [_("Left"), plan.ledger.left],
        [_("Participants"), plan.participants],
        [_("Fingerprint of the ballots (SHA-256)"), plan.fingerprint],
        [_("Computed"), plan.computed_at.strftime("%Y-%m-%d %H:%M UTC")],
        [_("Adopted"), plan.adopted_at.strftime("%Y-%m-%d %H:%M UTC") if plan.adopted_at else "-"],
        *[[_("Note"), note_text(note)] for note in plan.notes],
    ]
    _sheet(method, [_("What"), _("Value")], facts, {})
    for row_cells in method.iter_rows(min_row=2):
        if row_cells[0].value in (_("Budget"), _("In the plan"), _("Left")):
            row_cells[1].number_format = EURO
    if plan.schedule:
        schedule_files.add_xlsx_sheet(book, plan.schedule)
    harden_workbook(book, formulas=[total])  # only the plan's own total is a formula
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
