"""What can be wrong with a menu file, as data: a code, its parameters and where it is.

Every reader of the menu wing (the file sniffer, the seed format, the table format, the Dutch
cell values) reports problems, warnings and notes as `Problem`s and translates nothing. The
wording of each code is its catalogue message id in `MESSAGES`, in English; `app/wording.py`
renders a problem in the reader's language at the edge. A new code needs a line here and a
Dutch translation in the catalogue (a test fails on a code without either).

Parameters whose name ends in `_eur` are amounts in whole euros, and `horizon`, `longer` and
`shorter` are cost horizons (`year_1`, `years_4`, `years_10`), so that the renderer can write
them the reader's way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any


def N_(message: str) -> str:  # noqa: N802 (gettext's name for "mark for the catalogue")
    """Mark a message for the catalogue; it is translated when it is shown."""
    return message


@dataclass(frozen=True)
class Where:
    """Where a problem is: the file, its row and column (tables) or entry and field (seed)."""

    file: str | None = None
    row: int | None = None
    column: str | None = None
    column_letter: str | None = None
    entry: str | None = None
    field: str | None = None


@dataclass(frozen=True)
class Problem:
    """A problem, warning or note about a menu file: a code, its parameters and where."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    where: Where = Where()
    suggestion: str | None = None

    def __post_init__(self) -> None:
        if self.code not in MESSAGES:
            raise ValueError(f"{self.code}: a problem code needs its message in MESSAGES")

    def at(self, **where: Any) -> Problem:
        """The same problem placed elsewhere (a shifted row, a file name, no place at all)."""
        return replace(self, where=replace(self.where, **where))

    def __str__(self) -> str:
        """The problem in English, with its place: for logs and the command line."""
        return english(self)


class MenuProblems(ValueError):
    """A menu that cannot be read: every problem found, and the warnings so far."""

    def __init__(self, problems: Sequence[Problem], warnings: Sequence[Problem] = ()) -> None:
        self.problems = tuple(problems)
        self.warnings = tuple(warnings)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s), nothing was written:\n{lines}")


MESSAGES: dict[str, str] = {
    "not_yes_or_no": N_("'%(value)s' is not yes or no (write ja or nee)."),
    "not_a_horizon": N_("'%(value)s' is not a cost horizon; write 1, 4 or 10 (years)."),
    "not_a_unit": N_("'%(value)s' is not a unit; write cijfer, procent or score."),
    "date_not_number": N_("'%(value)s' is a date, not a number; format the cell as a number."),
    "time_not_number": N_("'%(value)s' is a time, not a number; format the cell as a number."),
    "not_an_amount": N_("'%(value)s' is not an amount in euros."),
    "not_an_amount_written": N_(
        "'%(value)s' is not an amount in euros (write it like 48000 or 48.000)."
    ),
    "not_whole_euros": N_("'%(value)s' is not a whole number of euros; leave out the cents."),
    "negative_amount": N_("'%(value)s' is negative; a cost or budget is 0 or more."),
    "amount_too_large": N_("'%(value)s' is too large an amount."),
    "not_a_number": N_("'%(value)s' is not a number (write it like 6,5)."),
    "too_many_decimals": N_("'%(value)s' has more than 2 decimals."),
    "indicator_too_large": N_("'%(value)s' is too large for an indicator."),
    "not_a_year": N_("'%(value)s' is not a year (write it like 2026)."),
    "no_rows": N_("The file has a first row with column names but no rows below it."),
    "no_process_row": N_(
        "There is no row of kind 'proces' with the neighbourhood, title and budget; add one (see the template)."
    ),
    "second_process_row": N_(
        "A second 'proces' row (the first is row %(first)s); a file holds one process."
    ),
    "no_effect_row": N_(
        "The file has no row of kind 'effect'; a menu needs at least one desired effect."
    ),
    "unknown_effect": N_(
        "'%(value)s' is not a desired effect in this file; the effects are: %(known)s."
    ),
    "sub_effect_as_group": N_(
        "'%(value)s' is a sub-effect; use its desired effect '%(parent)s' here (a measure can name sub-effects in 'effecten')."
    ),
    "no_measures": N_("The file has no measures yet; add rows of kind 'maatregel'."),
    "no_header": N_(
        "The first row should hold the column names (soort, sleutel, titel, ...); it holds '%(found)s'."
    ),
    "missing_column": N_("The column '%(column)s' is missing from the first row."),
    "text_too_long": N_("The text is %(length)s characters long; at most %(max)s fit."),
    "plain_kept_frozen": N_(
        "The menu is frozen, so the plain explanations of %(count)s effects and measures were kept "
        "as they were; start a new version of the process to change them."
    ),
    "plain_too_long": N_(
        "The plain explanation is %(length)s characters long; at most %(max)s fit. Keep it to "
        "one or two short sentences a resident understands."
    ),
    "empty_cell": N_("'%(column)s' is empty; a '%(kind)s' row needs it."),
    "too_many_rows": N_("The file has more than %(max)s rows."),
    "unnamed_column": N_("Column %(letter)s has no name in the first row; its value is ignored."),
    "effect_under_effect": N_(
        "An 'effect' row is not listed under another effect; if '%(title)s' is a sub-effect, write 'subeffect' in 'soort'."
    ),
    "duplicate_effect": N_("The effect key '%(key)s' is used twice: in row %(first)s and here."),
    "duplicate_measure": N_("The measure '%(key)s' appears twice: in row %(first)s and here."),
    "duplicate_indicator": N_(
        "The indicator key '%(key)s' is used twice: in row %(first)s and here; give one of them "
        "another key in 'sleutel'."
    ),
    "unknown_total": N_("'%(value)s' is neither a desired effect's key nor 'menu'."),
    "over_budget": N_(
        "%(measure)s costs %(cost_eur)s over %(horizon)s, more than the whole budget (%(budget_eur)s): it can never be chosen."
    ),
    "duplicate_title": N_(
        "The title '%(title)s' is also used in row %(first)s; is it the same measure?"
    ),
    "total_mismatch": N_(
        "The rows add up to %(computed_eur)s over %(horizon)s for '%(total)s'; the 'totaal' row says %(stated_eur)s."
    ),
    "unnamed_extra_cells": N_(
        "This row has more cells than the first row has columns; is there a comma in a number? Put the number in quotes or separate columns with ';'."
    ),
    "empty_kind": N_(
        "'soort' is empty, but the row has values; write what the row is: %(choices)s."
    ),
    "unknown_kind": N_("'%(value)s' is not a kind of row; use one of %(choices)s."),
    "unused_cell": N_(
        "'%(column)s' is not used in a '%(kind)s' row; the value '%(value)s' is ignored."
    ),
    "duplicate_column": N_("The column '%(column)s' appears twice in the first row."),
    "unknown_column": N_("The first row has a column '%(column)s' that this format does not know."),
    "no_costs": N_("%(measure)s has no costs and is not marked as regular (no extra cost)."),
    "regular_with_costs": N_("%(measure)s is marked as regular (no extra cost) but has costs."),
    "file_empty": N_("The file is empty."),
    "file_too_big": N_("The file is %(size)s MB; at most %(max)s MB can be imported."),
    "pdf": N_("This is a PDF document, not a spreadsheet. Upload the menu as XLSX or CSV."),
    "old_excel": N_(
        "This is an old Excel file (.xls, Office 97-2003). Save it as an Excel workbook (.xlsx) or as CSV and upload that."
    ),
    "renamed_xlsx": N_(
        "The file is called '%(name)s' but is not an Excel workbook (perhaps it was renamed). Save it from your spreadsheet program as .xlsx or CSV."
    ),
    "ods": N_(
        "This is an OpenDocument spreadsheet (.ods). Save it as an Excel workbook (.xlsx) or as CSV and upload that."
    ),
    "zip": N_("This is a ZIP archive, not a spreadsheet."),
    "not_a_table": N_("This is a %(format)s file; this file is a table: upload it as XLSX or CSV."),
    "no_sheet": N_("The workbook has no sheet with rows."),
    "read_xlsx": N_(
        "Read as an Excel workbook, sheet '%(sheet)s'. Amounts in text cells with a dot or comma before three digits are read as thousands (48.000 = 48000)."
    ),
    "read_csv": N_(
        "Columns separated by %(delimiter)s. Amounts with a dot or comma before three digits are read as thousands (48.000 = 48000); other numbers may have a decimal comma (6,5)."
    ),
    "picture": N_(
        "This is a picture (%(type)s), not a spreadsheet. Upload the menu as XLSX or CSV."
    ),
    "damaged_xlsx": N_("The file cannot be opened: it is damaged or not a real Excel workbook."),
    "word": N_("This is a Word document, not a spreadsheet."),
    "encoding_utf8_bom": N_("Encoding: UTF-8 with byte order mark."),
    "encoding_utf16": N_("Encoding: UTF-16 (Excel's 'Unicode text')."),
    "encoding_utf8": N_("Encoding: UTF-8."),
    "mojibake": N_(
        "Some letters look converted twice ('%(sample)s'); check accents such as é and ë after the import, or save the file as 'CSV UTF-8' again."
    ),
    "binary": N_(
        "The file is neither text nor a spreadsheet. Upload the menu as an Excel workbook (.xlsx) or as CSV."
    ),
    "utf16_without_bom": N_(
        "The file looks like UTF-16 text without a byte order mark, which cannot be read reliably. Save it as 'CSV UTF-8' and upload that."
    ),
    "encoding_cp1252": N_(
        "Encoding: Windows-1252 (the older 'CSV' of Excel), because the file is not UTF-8."
    ),
    "wrong_bom": N_(
        "The file says it is %(encoding)s but byte %(position)s is not; save it as 'CSV UTF-8' and upload that."
    ),
    "bad_csv_row": N_("Row %(row)s cannot be read as CSV: %(reason)s."),
    "row_above_header": N_("Row %(row)s is above the row of column names; it is ignored."),
    "seed_not_utf8": N_(
        "A %(format)s menu file must be UTF-8 text; byte %(position)s is not. Save it as UTF-8."
    ),
    "seed_invalid": N_("The file is not valid %(format)s (line %(line)s): %(reason)s."),
    "too_many_cells": N_(
        "This row has more cells (%(cells)s) than the first row has columns (%(columns)s); is there a comma in a number? Put the number in quotes, or separate the columns with ';'."
    ),
    "formula_without_value": N_(
        "Cell %(cell)s holds a formula without a computed value; open the file in your spreadsheet program, save it and upload it again."
    ),
    "unknown_encoding": N_(
        "The file is not in an encoding that can be read (UTF-8 or Windows-1252): byte 0x%(byte)s at position %(position)s does not fit. Save it as 'CSV UTF-8' and upload that."
    ),
    "missing": N_("This field is missing."),
    "not_text": N_("This must be text, not %(type)s."),
    "missing_number": N_("This field is missing or not a number."),
    "seed_not_a_number": N_("'%(value)s' is not a number."),
    "not_a_mapping": N_("This must be a mapping of fields (name: value), not %(type)s."),
    "not_a_list": N_("This must be a list, not %(type)s."),
    "not_one_of": N_("'%(value)s' is not one of %(choices)s."),
    "no_effects": N_("There are no desired effects; a menu needs at least one."),
    "total_names_no_effect": N_("This names no desired effect (use an effect key or 'menu')."),
    "three_amounts": N_("This must list three amounts: year 1, 4 years, 10 years."),
    "seed_duplicate_measure": N_("This measure key is used twice (duplicate measure)."),
    "seed_duplicate_key": N_("This key is used twice."),
    "seed_duplicate_indicator": N_(
        "The indicator key '%(key)s' is used twice; give one of them another 'key'."
    ),
    "seed_duplicate_sub_effect": N_("The key '%(key)s' is used twice."),
    "seed_unknown_effect": N_("'%(value)s' is not a desired effect of this menu."),
    "not_effect_keys": N_("This must be a list of effect keys."),
    "not_true_or_false": N_("This must be true or false, not %(value)s."),
    "wrong_format": N_("This must be '%(expected)s', found %(value)s."),
    "process_key_taken": N_(
        "A process with the key '%(key)s' exists already ('%(title)s'). Import into that process from its own page, or give the 'proces' row another key."
    ),
    "cost_decreases": N_(
        "%(measure)s: the cost over %(longer)s (%(longer_eur)s) is lower than over %(shorter)s (%(shorter_eur)s). The source says so; the wijkteam should check it."
    ),
    "seed_group_is_sub_effect": N_(
        "'%(value)s' is a sub-effect; list the measure under its desired effect."
    ),
    "file_unreadable": N_("The file cannot be read: %(reason)s."),
    "duplicate_title_entry": N_(
        "The title '%(title)s' is also used by measure '%(first)s'; is it the same measure?"
    ),
}

# The follow-up of an adopted plan (app/domain/follow_up.py, follow_up_file.py) reads its file
# with this wing and reports in the same vocabulary; its own codes:
MESSAGES |= {
    "not_a_date": N_("'%(value)s' is not a date (write it like 15-03-2008)."),
    "unknown_status": N_("'%(value)s' is not a status; use one of %(choices)s."),
    "not_a_progress": N_("'%(value)s' is not a progress; write a whole percentage, 0 to 100."),
    "reason_required": N_(
        "A measure with the status '%(status)s' needs a reason in plain words: why, and what "
        "happens now."
    ),
    "end_before_start": N_("The end (%(end)s) is before the start (%(start)s)."),
    "too_many_milestones": N_("A measure has at most %(max)s milestones."),
    "milestone_text_missing": N_("A milestone needs a short text."),
    "not_an_amount_spent": N_("'%(value)s' is not an amount spent; write whole euros, 0 or more."),
    "unknown_plan_measure": N_("'%(value)s' is not a measure of the adopted plan."),
    "unknown_indicator": N_(
        "'%(value)s' is not an indicator of this process; the indicators are: %(known)s."
    ),
    "duplicate_plan_measure": N_(
        "The measure '%(key)s' has a second 'maatregel' row (the first is row %(first)s)."
    ),
    "status_label_missing": N_("A status needs a name."),
    "status_exists": N_("There is already a status '%(value)s'."),
    "duplicate_measurement": N_(
        "%(indicator)s has a second value for %(year)s (the first is in row %(first)s)."
    ),
}

HORIZON_WORDS = {"year_1": N_("year 1"), "years_4": N_("4 years"), "years_10": N_("10 years")}
HORIZON_PARAMS = frozenset({"horizon", "longer", "shorter"})
DELIMITER_WORDS = {";": N_("semicolon (;)"), ",": N_("comma (,)"), "\t": N_("tab")}


def place(where: Where) -> str:
    """Where, in English: the entry and field, or the row and column."""
    parts = [p for p in (where.file, where.entry) if p]
    if where.row is not None:
        parts.append(f"row {where.row}")
    if where.field:
        parts.append(f"field {where.field}")
    elif where.column:
        letter = f" ({where.column_letter})" if where.column_letter else ""
        parts.append(f"column {where.column}{letter}")
    return ", ".join(parts)


def english(problem: Problem, *, with_place: bool = True) -> str:
    """A problem in English (the catalogue's message ids), with its place first."""
    params = {
        name: f"€{value:,}"
        if name.endswith("_eur") and isinstance(value, int)
        else HORIZON_WORDS.get(str(value), value)
        if name in HORIZON_PARAMS
        else DELIMITER_WORDS.get(str(value), value)
        if name == "delimiter"
        else value
        for name, value in problem.params.items()
    }
    message = MESSAGES[problem.code]
    text = message % params if params else message
    if problem.suggestion:
        text += f" Did you mean '{problem.suggestion}'?"
    where = place(problem.where) if with_place else ""
    return f"{where}: {text}" if where else text
