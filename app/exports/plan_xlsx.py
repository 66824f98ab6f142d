"""The bewonersplan as an XLSX workbook, in the reader's language throughout.

Sheets: a summary (what is in the plan, how it was made), the plan (every measure ranked, with
its reason and how it compares with Kiezen), support per group, turnout, money per effect, the
rules side by side, the what-ifs and the method. Numbers are numbers (euros in euro format),
every label and value is words from the catalogue, times are local with the time zone named,
and every figure is the one the PDF prints (a test compares them).
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from app.domain.spreadsheet import harden_workbook, xlsx_value
from app.exports import plan_text as t
from app.exports import schedule_files
from app.exports.content import PlanContent
from app.i18n import euro, ngettext
from app.i18n import gettext as _
from app.wording import note_text

EURO = '"€" #,##0'
EURO_CENTS = '"€" #,##0.00'
DECIMAL = "0.00"
WRAP_AT = 70


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


def _sheet(
    ws: Worksheet,
    header: list[str],
    rows: list[list[Any]],
    formats: dict[int, str] | None = None,
    wrap: tuple[int, ...] = (),
) -> None:
    ws.append([xlsx_value(title) for title in header])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        ws.append([xlsx_value(value) for value in row])
    for column, fmt in (formats or {}).items():
        for (cell,) in ws.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = fmt
    for index, title in enumerate(header, start=1):
        width = max([len(str(title))] + [len(str(r[index - 1])) for r in rows if index <= len(r)])
        ws.column_dimensions[get_column_letter(index)].width = min(max(10, width + 2), WRAP_AT)
        if index in wrap:
            for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"


def _facts(ws: Worksheet, facts: list[tuple[str, Any, str | None]]) -> None:
    """Two columns, what and value; a format per value where it is money."""
    _sheet(ws, [_("What"), _("Value")], [[what, value] for what, value, _f in facts], wrap=(2,))
    for row, (_w, _v, fmt) in enumerate(facts, start=2):
        if fmt:
            ws.cell(row=row, column=2).number_format = fmt


def render(plan: PlanContent) -> bytes:
    """The workbook as bytes."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = _("Summary")
    _summary(summary, plan)
    _plan(book.create_sheet(_("Plan")), plan)
    _support(book.create_sheet(_("Support per group")), plan)
    _turnout(book.create_sheet(_("Turnout")), plan)
    _money(book.create_sheet(_("Money per effect")), plan)
    _rules(book.create_sheet(_("Rules side by side")), plan)
    _what_if(book.create_sheet(_("What if")), plan)
    _method(book.create_sheet(_("Method")), plan)
    if plan.schedule:
        schedule_files.add_xlsx_sheet(book, plan.schedule)
    harden_workbook(book)  # no formulas: every figure is written as the number the PDF prints
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _status(plan: PlanContent) -> str:
    if plan.adopted_at:
        return _("Adopted on %(date)s with the rule %(rule)s.") % {
            "date": t.when(plan.adopted_at),
            "rule": t.method_name(plan.rule, plan.completion),
        }
    return _("Current outcome, computed %(date)s; not adopted.") % {
        "date": t.when(plan.computed_at)
    }


def _summary(ws: Worksheet, plan: PlanContent) -> None:
    counts = {r.kind: r.phone + r.paper for r in plan.turnout}
    chosen = t.summary_measures(plan)
    facts: list[tuple[str, Any, str | None]] = [
        (_("Bewonersplan"), plan.process.title, None),
        (_("Neighbourhood"), f"{plan.process.neighbourhood}, {plan.process.municipality}", None),
        (_("Status"), _status(plan), None),
        (_("How it was made"), t.how_it_was_made(plan), None),
        (_("Rule"), t.method_name(plan.rule, plan.completion), None),
        (_("Ranking"), t.ranking_name(plan.ranked_by), None),
        (_("Available"), plan.ledger.available, EURO),
        (_("In the plan"), plan.ledger.spent, EURO),
        (_("Left"), plan.ledger.left, EURO),
        (_("Measures in the plan"), len(chosen), None),
        (t.round_name("wegen"), counts.get("wegen", 0), None),
        (t.round_name("zeven"), counts.get("zeven", 0), None),
        (t.round_name("kiezen"), counts.get("kiezen", 0), None),
        (_("Participants"), plan.participants, None),
    ]
    _facts(ws, facts)
    ws.append([])
    start = ws.max_row + 1
    ws.append(
        [xlsx_value(_("In the plan, in the order chosen")), _("Cost"), _("Place in the ranking")]
    )
    for cell in ws[start]:
        cell.font = Font(bold=True)
    for m in chosen:
        ws.append([xlsx_value(f"{m.position}. {m.title}"), m.binding_cost, m.rank])
        ws.cell(row=ws.max_row, column=2).number_format = EURO


def _plan(ws: Worksheet, plan: PlanContent) -> None:
    header = [
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
        _("Rated by"),
        _("Skipped by"),
        _("Chosen in Kiezen"),
        _("In the Kiezen result"),
        _("Selected"),
        _("Order selected"),
        _("Reason"),
        _("Difference with Kiezen"),
    ]
    rows = [
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
            m.rated_by,
            m.skipped_by,
            m.in_packages,
            "–" if m.in_kiezen is None else _yes(m.in_kiezen),
            _yes(m.selected),
            m.position,
            t.reason(plan, m),
            t.difference(plan, m),
        ]
        for m in plan.measures
    ]
    _sheet(
        ws,
        header,
        rows,
        {4: EURO, 5: EURO, 6: EURO, 7: EURO, 8: DECIMAL, 9: DECIMAL, 10: DECIMAL},
        wrap=(2, 17, 18),
    )
    last = len(plan.measures) + 2
    for offset, (label, value) in enumerate(
        (
            (_("Available"), plan.ledger.available),
            (_("In the plan"), plan.ledger.spent),
            (_("Left"), plan.ledger.left),
        ),
        start=1,
    ):
        ws.cell(row=last + offset, column=6, value=xlsx_value(label)).font = Font(bold=True)
        ws.cell(row=last + offset, column=7, value=value).number_format = EURO


def _support(ws: Worksheet, plan: PlanContent) -> None:
    groups = plan.groups_apart
    header = [_("Measure")]
    for g in groups:
        header += [
            _("%(group)s: contribution") % {"group": t.group_name(g)},
            _("%(group)s: packages") % {"group": t.group_name(g)},
        ]
    if plan.small_groups:
        header.append(t.small_groups_label())
    rows = []
    for m in plan.measures:
        by = {s.group: s for s in m.support_by_group}
        row: list[Any] = [m.title]
        for g in groups:
            support = by.get(g)
            row += [
                None if support is None else support.weighted_contribution,
                None if support is None else support.in_packages,
            ]
        if plan.small_groups:
            row.append("–")
        rows.append(row)
    formats = {2 + 2 * i: DECIMAL for i in range(len(groups))}
    _sheet(ws, header, rows, formats, wrap=(1,))
    if plan.small_groups:
        ws.append([])
        ws.append([xlsx_value(note_text("small_groups_hidden"))])


def _turnout(ws: Worksheet, plan: PlanContent) -> None:
    rows: list[list[Any]] = []
    for r in plan.turnout:
        name = t.round_name(r.kind)
        rows.append([name, r.meeting, r.run, _("all"), r.phone, r.paper, r.phone + r.paper])
        for g in r.by_group:
            rows.append([name, r.meeting, r.run, t.group_name(g.group), g.phone, g.paper,
                         g.phone + g.paper])  # fmt: skip
        if plan.small_groups:
            rows.append([name, r.meeting, r.run, t.small_groups_label(), "–", "–", "–"])
    _sheet(
        ws,
        [_("Round"), _("Meeting"), _("Run"), _("Group"), _("Phone"), _("Paper"), _("Total")],
        rows,
    )
    if plan.small_groups:
        ws.append([])
        ws.append([xlsx_value(note_text("small_groups_hidden"))])


def _money(ws: Worksheet, plan: PlanContent) -> None:
    title_of = {m.key: m.title for m in plan.measures}
    parent_of = {e.key: e.title for e in plan.money_per_effect}
    rows = [
        [
            e.title,
            parent_of.get(e.parent_key or "", "") if e.parent_key else "",
            e.money,
            e.total,
            ", ".join(title_of.get(k, k) for k in e.measure_keys),
        ]
        for e in plan.money_per_effect
    ]
    _sheet(
        ws,
        [
            _("Effect"),
            _("Part of"),
            _("On the effect itself"),
            _("With its sub-effects"),
            _("From"),
        ],
        rows,
        {3: EURO_CENTS, 4: EURO_CENTS},
        wrap=(1, 5),
    )


def _rules(ws: Worksheet, plan: PlanContent) -> None:
    header = [_("Measure")] + [t.method_name(r.rule, r.completion) for r in plan.rules]
    rows: list[list[Any]] = [
        [m.title] + [_yes(m.key in r.selected_keys) for r in plan.rules] for m in plan.measures
    ]
    rows.append([_("Spent")] + [r.spent for r in plan.rules])
    _sheet(ws, header, rows, wrap=(1,))
    for cell in ws[ws.max_row][1:]:
        cell.number_format = EURO


def _scenario_name(kind: str, group: str | None, budget: int) -> str:
    if kind == "budget_down":
        return _("Budget 10%% lower (%(budget)s)") % {"budget": euro(budget)}
    if kind == "budget_up":
        return _("Budget 10%% higher (%(budget)s)") % {"budget": euro(budget)}
    return _("Everyone weighs like the %(group)s") % {"group": t.group_name(group)}


def _what_if(ws: Worksheet, plan: PlanContent) -> None:
    title_of = {m.key: m.title for m in plan.measures}
    rows: list[list[Any]] = [
        [
            _scenario_name(s.kind, s.group, s.budget),
            ", ".join(title_of[k] for k in s.entered_keys) or "–",
            ", ".join(title_of[k] for k in s.left_keys) or "–",
        ]
        for s in plan.scenarios
    ]
    if plan.small_groups:
        rows.append(
            [t.small_groups_label(), _("no what-if, so that nobody can be recognised."), ""]
        )
    _sheet(ws, [_("What if"), _("In"), _("Out")], rows, wrap=(1, 2, 3))


def _method(ws: Worksheet, plan: PlanContent) -> None:
    facts: list[tuple[str, Any, str | None]] = [
        (_("Process"), plan.process.title, None),
        (_("Version"), plan.process.version, None),
        (_("Rule"), t.rule_name(plan.rule), None),
        (_("Ranking"), t.ranking_name(plan.ranked_by), None),
        (_("Costs that count against the budget"), t.horizon_name(plan.process.cost_horizon), None),
        (
            _("Completion"),
            " ".join(filter(None, (t.completion_text(plan), t.comparison_sentence(plan))))
            if plan.completion
            else _("none"),
            None,
        ),
        (
            _("Participants who did not weigh"),
            _("the mean weights of everyone who weighed stand in"),
            None,
        ),
        (
            _("Discussion list"),
            ngettext(
                "the %(num)s measure with the largest spread",
                "the %(num)s measures with the largest spread",
                5,
            )
            % {"num": 5},
            None,
        ),
        (
            _("Ties"),
            _("the higher weighted contribution, then the lower cost, then the number"),
            None,
        ),
        (_("Measures nobody valued"), _("never chosen, under any rule"), None),
        (
            _("Groups shown apart"),
            _("only groups of at least 5 people"),
            None,
        ),
        (_("Budget"), plan.ledger.available, EURO),
        (_("In the plan"), plan.ledger.spent, EURO),
        (_("Left"), plan.ledger.left, EURO),
        (_("Participants"), plan.participants, None),
        (_("Fingerprint of the ballots (SHA-256)"), plan.fingerprint, None),
        (_("Computed"), t.when(plan.computed_at), None),
        (_("Adopted"), t.when(plan.adopted_at) if plan.adopted_at else _("not adopted"), None),
        *[(_("Note"), note_text(note), None) for note in plan.notes],
    ]
    _facts(ws, facts)
