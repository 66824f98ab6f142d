"""A catalogue of broken menu files: each is refused, every problem named, and nothing written.

The files are in tests/fixtures/menus/ (written by make_fixtures.py there); open them in a
spreadsheet program to see what a user would have typed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import func
from sqlmodel import Session, select

from app import i18n, wording
from app.domain.menu.problems import MESSAGES, Problem
from app.domain.vocabulary import Role
from app.i18n import current_language
from app.models import (
    AuditEvent,
    Effect,
    Indicator,
    Measure,
    MeasureEffect,
    Neighbourhood,
    Process,
    User,
)
from app.services import imports
from app.services import users as users_service

MENUS = Path(__file__).resolve().parent.parent / "fixtures" / "menus"

# file -> every expected problem: (row, column, a part of the English message)
CATALOGUE: dict[str, list[tuple[int | None, str | None, str]]] = {
    "empty.csv": [(None, None, "The file is empty.")],
    "header-only.csv": [(None, None, "column names but no rows below it")],
    "report.pdf": [(None, None, "This is a PDF document, not a spreadsheet")],
    "photo.png": [(None, None, "This is a picture (PNG), not a spreadsheet")],
    "old-excel.xls": [(None, None, "old Excel file (.xls, Office 97-2003)")],
    "renamed.xlsx": [(None, None, "is called 'renamed.xlsx' but is not an Excel workbook")],
    "damaged.xlsx": [(None, None, "damaged or not a real Excel workbook")],
    "letter.docx": [(None, None, "This is a Word document, not a spreadsheet.")],
    "binary.csv": [(None, None, "neither text nor a spreadsheet")],
    "utf16-without-bom.csv": [(None, None, "UTF-16 text without a byte order mark")],
    "wrong-encoding.csv": [(None, None, "not in an encoding that can be read (UTF-8 or Windows")],
    "missing-title.csv": [(7, "titel", "'titel' is empty; a 'maatregel' row needs it")],
    "cost-not-whole.csv": [(7, "kosten_4_jaar", "'12.345,67' is not a whole number of euros")],
    "negative-cost.csv": [(8, "kosten_jaar_1", "'-5000' is negative")],
    "unknown-effect.csv": [(7, "hoort_bij", "'gron' is not a desired effect in this file")],
    "duplicate-measure.csv": [(9, "sleutel", "The measure 'bankjes' appears twice: in row 7")],
    "no-process-row.csv": [(None, None, "There is no row of kind 'proces'")],
    "unknown-column.csv": [(1, "kosten_4jaar", "a column 'kosten_4jaar' that this format")],
    "unknown-kind.csv": [(8, "soort", "'maatregelen' is not a kind of row")],
    "comma-in-number.csv": [(6, None, "more cells (23) than the first row has columns (21)")],
    "budget-and-horizon.csv": [
        (2, "budget", "'een ton' is not an amount in euros"),
        (2, "horizon", "'5' is not a cost horizon; write 1, 4 or 10"),
    ],
    "indicator-errors.csv": [
        (6, "eenheid", "'kilo' is not a unit"),
        (6, "basisjaar", "''25' is not a year"),
        (6, "doel_2030", "'7,255' has more than 2 decimals"),
    ],
    "sub-effect-as-group.csv": [(7, "hoort_bij", "'bomen' is a sub-effect; use its desired")],
    "many-mistakes.xlsx": [
        (4, None, "Cell H4 holds a formula without a computed value"),
        (4, "kosten_jaar_1", "'01-03-2026' is a date, not a number"),
        (5, "titel", "'titel' is empty"),
        (6, "hoort_bij", "'samen' is not a desired effect in this file"),
        (6, "kosten_jaar_1", "'2000.5' is not a whole number of euros"),
    ],
    "broken.yaml": [(None, None, "The file is not valid YAML (line 4)")],
    "wrong-seed.yaml": [
        (None, "group", "'gron' is not a desired effect of this menu."),
        (None, "effects", "'gron' is not a desired effect of this menu."),
        (None, "costs.years_4", "'-20000' is negative"),
    ],
    "broken.json": [(None, None, "The file is not valid JSON (line 1)")],
}
SUGGESTIONS = {
    "unknown-column.csv": "kosten_4_jaar",
    "unknown-kind.csv": "maatregel",
    "unknown-effect.csv": "groen",
}


def _counts(session: Session) -> dict[str, int]:
    tables = (Process, Neighbourhood, Effect, Indicator, Measure, MeasureEffect, AuditEvent)
    return {
        table.__name__: session.exec(select(func.count()).select_from(table)).one()
        for table in tables
    }


@pytest.fixture
def wijkteam(session: Session) -> User:
    user, _ = users_service.create_user(session, email="w@example.org", role=Role.WIJKTEAM)
    return user


def test_the_catalogue_is_big_enough() -> None:
    assert len(CATALOGUE) >= 15
    files = {p.name for p in MENUS.iterdir() if p.suffix != ".py"} - {"good.csv"}
    files -= {"good-excel-ansi.csv"}
    assert files == set(CATALOGUE), "every broken fixture has its expected messages here"


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_a_broken_file_names_every_problem_and_writes_nothing(
    name: str, session: Session, korrewegwijk: int, wijkteam: User
) -> None:
    before = _counts(session)
    result = imports.import_menu(
        session, user=wijkteam, filename=name, data=(MENUS / name).read_bytes()
    )
    session.flush()
    assert not result.ok
    assert not result.written
    assert result.process_id is None
    assert _counts(session) == before, "a refused import writes nothing, not even to the log"
    found = [(f.where.row, f.where.column or f.where.field, str(f)) for f in result.read.problems]
    expected = CATALOGUE[name]
    assert len(found) == len(expected), found
    for (row, column, text), (want_row, want_column, want_text) in zip(
        found, expected, strict=True
    ):
        assert (row, column) == (want_row, want_column), found
        assert want_text in text, found
    if name in SUGGESTIONS:
        assert result.read.problems[0].suggestion == SUGGESTIONS[name]


# Parameters a message may name, with a value of the kind the readers give.
SAMPLE_PARAMS: dict[str, Any] = {
    "longer": "years_10",
    "shorter": "years_4",
    "horizon": "years_4",
    "delimiter": ";",
}


def _sample(message: str) -> dict[str, Any]:
    names = re.findall(r"%\((\w+)\)s", message)
    return {n: SAMPLE_PARAMS.get(n, 12_500 if n.endswith("_eur") else f"<{n}>") for n in names}


def _in(language: str, problem: Problem) -> str:
    token = current_language.set(language)
    try:
        return wording.describe(problem)
    finally:
        current_language.reset(token)


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_problem_code_reads_in_dutch_and_english(code: str) -> None:
    message = MESSAGES[code]
    dutch = _dutch_catalogue().get(message)
    assert dutch, f"{code}: not translated in the Dutch catalogue: {message!r}"
    problem = Problem(code, _sample(message))
    english, shown = _in("en", problem), _in("nl", problem)
    assert "%(" not in english
    assert "%(" not in shown
    assert shown != english, f"{code}: the Dutch text is the English one"


def test_every_fixture_reads_in_dutch_and_english_with_known_codes() -> None:
    codes = set()
    for path in sorted(MENUS.iterdir()):
        if path.suffix == ".py":
            continue
        report = imports.read_menu_file(filename=path.name, data=path.read_bytes())
        for problem in [*report.problems, *report.warnings, *report.notes]:
            assert problem.code in MESSAGES, (path.name, problem.code)
            assert _dutch_catalogue().get(MESSAGES[problem.code]), (path.name, problem.code)
            english, dutch = _in("en", problem), _in("nl", problem)
            assert english != dutch, (path.name, english)
            codes.add(problem.code)
    assert len(codes) >= 30, "the fixtures reach most of the codes"


def test_a_code_without_a_message_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="no_such_code"):
        Problem("no_such_code")


@lru_cache
def _dutch_catalogue() -> dict[str, str]:
    """Message id -> Dutch text, for the entries that are translated and not fuzzy."""
    path = Path(i18n.LOCALES_DIR) / "nl" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale="nl")
    return {
        str(m.id): str(m.string)
        for m in catalogue
        if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
    }


def test_a_file_over_five_megabytes_is_refused(session: Session, wijkteam: User) -> None:
    before = _counts(session)
    data = (MENUS / "good.csv").read_bytes() + b"x" * imports.MAX_FILE_BYTES
    result = imports.import_menu(session, user=wijkteam, filename="big.csv", data=data)
    assert [f.code for f in result.read.problems] == ["file_too_big"]
    assert _counts(session) == before
