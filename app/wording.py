"""The reader's words for what lower layers say in codes: menu problems and plan notes.

The menu wing reports a problem as a code with parameters and a place; this is the one place
that turns it into a sentence in the reader's language, from the catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.domain.menu.problems import (
    DELIMITER_WORDS,
    HORIZON_PARAMS,
    HORIZON_WORDS,
    MESSAGES,
    Problem,
    Where,
)
from app.i18n import euro
from app.i18n import gettext as _


def describe_code(code: str, params: Mapping[str, Any], suggestion: str | None = None) -> str:
    """A problem's sentence in the current language, with amounts and horizons written out."""
    shown: dict[str, Any] = {}
    for name, value in params.items():
        if name.endswith("_eur") and isinstance(value, int):
            shown[name] = euro(value)
        elif name in HORIZON_PARAMS and value in HORIZON_WORDS:
            shown[name] = _(HORIZON_WORDS[value])
        elif name == "delimiter" and value in DELIMITER_WORDS:
            shown[name] = _(DELIMITER_WORDS[value])
        else:
            shown[name] = value
    text = _(MESSAGES[code])
    text = text % shown if shown or "%(" in text else text
    if suggestion:
        text += " " + _("Did you mean '%(suggestion)s'?") % {"suggestion": suggestion}
    return text


def describe(problem: Problem) -> str:
    """A problem's sentence in the current language (without its place)."""
    return describe_code(problem.code, problem.params, problem.suggestion)


def place(where: Where) -> str:
    """Where a problem is, in the current language: row and column, or entry and field."""
    if where.row is not None and where.column:
        letter = f" ({where.column_letter})" if where.column_letter else ""
        return _("Row %(row)s, column %(column)s") % {
            "row": where.row,
            "column": where.column + letter,
        }
    if where.row is not None:
        return _("Row %(row)s") % {"row": where.row}
    if where.entry and where.field:
        return f"{where.entry}, " + _("field %(field)s") % {"field": where.field}
    if where.entry:
        return where.entry
    if where.column:
        return _("Column %(column)s") % {"column": where.column}
    return _("The whole file")


def note_text(note: str) -> str:
    """What a plan note (`PlanContent.notes`) says, in the reader's language."""
    texts = {
        "skipped_not_zero": _(
            "A participant who skipped a measure does not count as 0 for it: its score is the "
            "mean over those who rated it."
        ),
        "stand_in_weights": _(
            "Some participants rated measures without weighing the effects; the group's mean "
            "weights stood in for theirs."
        ),
        "no_closed_rounds": _("No round has been closed yet, so there is nothing to rank."),
        "small_groups_hidden": _(
            "Groups of fewer than 5 people are not shown apart, so that nobody can be "
            "recognised; they count in every total."
        ),
        "unlinked_measures": _(
            "Measures that are linked to no effect cannot be rated and are left out."
        ),
        "unvalued_never_selected": _(
            "A measure that nobody valued above zero (in Zeven; for equal shares on the packages: "
            "that nobody chose in Kiezen) is never chosen, under any rule, even when money is "
            "left: that money stays in the budget."
        ),
    }
    return texts[note]
