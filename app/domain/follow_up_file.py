"""The follow-up file (CSV or XLSX): the execution of the adopted plan's measures and the measured
values of the indicators, in one table that is exported and imported in the same format.

Each row says in `soort` what it is:

- `maatregel`: a measure of the adopted plan, by `sleutel` (its key; `titel` is there for the
  reader): `status`, `voortgang` (0-100), `organisatie`, `gepland_begin`, `gepland_eind`,
  `begin`, `eind`, `reden`, and `uitgegeven_<jaar>` (whole euros spent in that year);
- `mijlpaal`: a milestone of the measure `sleutel`: `datum` and `tekst`;
- `meting`: a measured value of the indicator `sleutel` (or, without a key, the indicator whose
  name is in `titel`): `jaar`, `waarde` and `bron`.

A column that is left out leaves what it holds as it is; an empty cell empties it (an empty
`waarde` removes that year's value, an empty `uitgegeven_<jaar>` that year's amount). When the
file has the column `datum`, each measure it lists gets exactly the milestones of its `mijlpaal`
rows. A file with only measured values may leave out `soort` (every row is then a `meting`),
as a liveability monitor delivers them. The import is all or nothing: every problem is named by
its row (the column names being row 1) and column, and nothing is written while there is one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from difflib import get_close_matches
from typing import Any

from app.domain.follow_up import (
    CLEAR,
    DATE_FIELDS,
    Execution,
    ExecutionChange,
    Milestone,
    Status,
    apply_change,
    find_status,
)
from app.domain.menu.cells import (
    CellError,
    column_letter,
    is_blank,
    normalise_header,
    parse_date,
    parse_decimal,
    parse_euros,
    parse_year,
    text_of,
)
from app.domain.menu.problems import MenuProblems, Problem, Where

MAX_ROWS = 5000
SHEET = "Voortgang"

KIND = "soort"
KEY = "sleutel"
TITLE = "titel"
STATUS = "status"
PROGRESS = "voortgang"
ORGANISATION = "organisatie"
PLANNED_START = "gepland_begin"
PLANNED_END = "gepland_eind"
ACTUAL_START = "begin"
ACTUAL_END = "eind"
REASON = "reden"
DATE = "datum"
TEXT = "tekst"
YEAR = "jaar"
VALUE = "waarde"
SOURCE = "bron"
SPENT_PREFIX = "uitgegeven_"

MEASURE, MILESTONE, MEASUREMENT = "maatregel", "mijlpaal", "meting"
KINDS = (MEASURE, MILESTONE, MEASUREMENT)
_KIND_ALIASES = {
    "measure": MEASURE,
    "milestone": MILESTONE,
    "measurement": MEASUREMENT,
    "value": MEASUREMENT,
    "indicator": MEASUREMENT,
}

COLUMNS_BEFORE_SPENT: tuple[str, ...] = (
    KIND,
    KEY,
    TITLE,
    STATUS,
    PROGRESS,
    ORGANISATION,
    PLANNED_START,
    PLANNED_END,
    ACTUAL_START,
    ACTUAL_END,
    REASON,
)
COLUMNS_AFTER_SPENT: tuple[str, ...] = (DATE, TEXT, YEAR, VALUE, SOURCE)
KNOWN_COLUMNS = frozenset(COLUMNS_BEFORE_SPENT + COLUMNS_AFTER_SPENT)
HEADER_WORDS = frozenset({KIND, KEY, TITLE, STATUS, PROGRESS, YEAR, VALUE, SOURCE, DATE})
_SPENT_COLUMN = re.compile(r"^uitgegeven_?(\d{4})$")

_USED: dict[str, frozenset[str]] = {
    MEASURE: frozenset(COLUMNS_BEFORE_SPENT),
    MILESTONE: frozenset({KIND, KEY, TITLE, DATE, TEXT}),
    MEASUREMENT: frozenset({KIND, KEY, TITLE, YEAR, VALUE, SOURCE}),
}
# Where a problem of the execution's fields is shown in the file.
FIELD_COLUMNS = {
    "status": STATUS,
    "progress": PROGRESS,
    "organisation": ORGANISATION,
    "planned_start": PLANNED_START,
    "planned_end": PLANNED_END,
    "actual_start": ACTUAL_START,
    "actual_end": ACTUAL_END,
    "reason": REASON,
}
DATE_COLUMNS = dict(
    zip(DATE_FIELDS, (PLANNED_START, PLANNED_END, ACTUAL_START, ACTUAL_END), strict=True)
)
Cell = str | int | Decimal | date | None


@dataclass(frozen=True)
class PlanMeasure:
    """A measure of the adopted plan as the file knows it: its title and its execution now."""

    title: str
    execution: Execution


@dataclass(frozen=True)
class FileContext:
    """What a follow-up file is read against: the plan's measures, the process's indicators
    (key -> name), the statuses and their labels as the reader sees them."""

    measures: Mapping[str, PlanMeasure]
    indicators: Mapping[str, str]
    statuses: Sequence[Status]
    status_labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Measurement:
    """A measured value of an indicator in a year (None: remove it), with its source."""

    indicator: str
    year: int
    value: Decimal | None
    source: str
    row: int


@dataclass(frozen=True)
class FollowUpUpdate:
    """What a file changes: each measure's execution after it, and measured values."""

    executions: Mapping[str, Execution]
    measurements: tuple[Measurement, ...]


@dataclass
class _Row:
    number: int
    kind: str
    cells: dict[str, Any]


class _Reader:
    def __init__(self, header: Sequence[Any]) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.columns: dict[str, int] = {}
        self.spent_years: dict[str, int] = {}
        for index, raw in enumerate(header):
            name = normalise_header(raw)
            if not name:
                continue
            where = Where(row=1, column=name, column_letter=column_letter(index))
            if name in self.columns:
                self.problems.append(Problem("duplicate_column", {"column": name}, where))
                continue
            self.columns[name] = index
            if match := _SPENT_COLUMN.match(name):
                self.spent_years[name] = int(match.group(1))
            elif name not in KNOWN_COLUMNS:
                guess = get_close_matches(name, sorted(KNOWN_COLUMNS), n=1, cutoff=0.6)
                self.problems.append(
                    Problem("unknown_column", {"column": name}, where, guess[0] if guess else None)
                )
        if KEY not in self.columns and TITLE not in self.columns:
            self.fail("missing_column", 1, KEY)

    def where(self, row: int | None, column: str | None) -> Where:
        letter = column_letter(self.columns[column]) if column in self.columns else None
        return Where(row=row, column=column, column_letter=letter)

    def fail(
        self,
        code: str,
        row: int | None,
        column: str | None = None,
        suggestion: str | None = None,
        **params: Any,
    ) -> None:
        values = {"column": column, **params} if column else dict(params)
        self.problems.append(Problem(code, values, self.where(row, column), suggestion))

    def place(self, problem: Problem, row: int, column: str | None) -> None:
        self.problems.append(problem.at(**vars(self.where(row, column))))

    def text(self, row: _Row, name: str, *, max_length: int) -> str:
        text = text_of(row.cells.get(name))
        if len(text) > max_length:
            self.fail("text_too_long", row.number, name, length=len(text), max=max_length)
            return ""
        return text

    def value(self, row: _Row, name: str, parse: Callable[[Any], Any]) -> Any:
        try:
            return parse(row.cells.get(name))
        except CellError as error:
            self.fail(error.code, row.number, name, **error.params)
            return None


def parse_progress(value: Any) -> int | None:
    """A progress in whole percent, 0 to 100 ("50", "50%", a percent-formatted cell); None when
    empty."""
    if is_blank(value):
        return None
    text = text_of(value).rstrip("%").strip() if isinstance(value, str) else value
    try:
        number = parse_decimal(text)
    except CellError:
        raise CellError("not_a_progress", value=text_of(value)) from None
    if number is None or number != int(number) or not 0 <= number <= 100:
        raise CellError("not_a_progress", value=text_of(value))
    return int(number)


def parse_measured(value: Any) -> Decimal | None:
    """A measured value: a number with a decimal comma or point, a percentage sign allowed."""
    if isinstance(value, str) and value.strip().endswith("%"):
        value = value.strip()[:-1]
    return parse_decimal(value)


def reader(
    context: FileContext,
) -> Callable[[Sequence[Any], list[tuple[int, list[Any]]]], tuple[FollowUpUpdate, list[Problem]]]:
    """The rows reader of a follow-up file read against this context (for `read_table_file`)."""

    def read(
        header: Sequence[Any], body: list[tuple[int, list[Any]]]
    ) -> tuple[FollowUpUpdate, list[Problem]]:
        return read_rows(header, body, context)

    return read


def read_rows(
    header: Sequence[Any], body: Sequence[tuple[int, Sequence[Any]]], context: FileContext
) -> tuple[FollowUpUpdate, list[Problem]]:
    """Read a follow-up table into what it changes; raises MenuProblems naming every problem."""
    r = _Reader(header)
    if r.problems and any(p.where.row == 1 for p in r.problems):
        raise MenuProblems(r.problems)
    rows = _rows(r, body)
    if not rows and not r.problems:
        r.fail("no_rows", None)
    executions = _executions(r, rows, context)
    measurements = _measurements(r, rows, context)
    if r.problems:
        raise MenuProblems(r.problems, r.warnings)
    return FollowUpUpdate(executions, tuple(measurements)), r.warnings


def _rows(r: _Reader, body: Sequence[tuple[int, Sequence[Any]]]) -> list[_Row]:
    rows: list[_Row] = []
    has_kind = KIND in r.columns
    for number, values in body:
        if number > MAX_ROWS + 1:
            r.fail("too_many_rows", number, max=MAX_ROWS)
            break
        cells = {name: values[i] if i < len(values) else None for name, i in r.columns.items()}
        if all(is_blank(v) for v in cells.values()):
            continue
        kind_text = text_of(cells.get(KIND)).lower() if has_kind else MEASUREMENT
        if kind_text.startswith("#"):
            continue  # a comment row
        kind = _KIND_ALIASES.get(kind_text, kind_text)
        if kind not in KINDS:
            code = "empty_kind" if not kind_text else "unknown_kind"
            guess = get_close_matches(kind_text, KINDS, n=1, cutoff=0.6) if kind_text else []
            r.fail(
                code,
                number,
                KIND,
                guess[0] if guess else None,
                value=text_of(cells.get(KIND)),
                choices=", ".join(KINDS),
            )
            continue
        used = _USED[kind] | (set(r.spent_years) if kind == MEASURE else set())
        for name, value in cells.items():
            if (
                name not in used
                and not is_blank(value)
                and (name in KNOWN_COLUMNS or name in r.spent_years)
            ):
                r.warnings.append(
                    Problem(
                        "unused_cell",
                        {"column": name, "kind": kind, "value": text_of(value)},
                        r.where(number, name),
                    )
                )
        rows.append(_Row(number, kind, cells))
    return rows


def _measure_key(r: _Reader, row: _Row, context: FileContext) -> str | None:
    key = text_of(row.cells.get(KEY))
    if not key:
        title = text_of(row.cells.get(TITLE)).casefold()
        found = [k for k, m in context.measures.items() if m.title.casefold() == title and title]
        if len(found) == 1:
            return found[0]
        r.fail("empty_cell", row.number, KEY, kind=row.kind)
        return None
    if key not in context.measures:
        guess = get_close_matches(key, list(context.measures), n=1, cutoff=0.6)
        r.fail(
            "unknown_plan_measure",
            row.number,
            KEY,
            guess[0] if guess else None,
            value=key,
        )
        return None
    return key


def _executions(r: _Reader, rows: list[_Row], context: FileContext) -> dict[str, Execution]:
    measure_rows: dict[str, _Row] = {}
    milestones: dict[str, list[tuple[_Row, Milestone]]] = {}
    for row in rows:
        if row.kind not in (MEASURE, MILESTONE):
            continue
        key = _measure_key(r, row, context)
        if row.kind == MEASURE:
            if key is not None and key in measure_rows:
                r.fail(
                    "duplicate_plan_measure",
                    row.number,
                    KEY,
                    key=key,
                    first=measure_rows[key].number,
                )
            elif key is not None:
                measure_rows[key] = row
            continue
        on = r.value(row, DATE, parse_date)
        text = r.text(row, TEXT, max_length=1000)
        for column, given in ((DATE, on), (TEXT, text)):
            if column in r.columns and not given and is_blank(row.cells.get(column)):
                r.fail("empty_cell", row.number, column, kind=row.kind)
        if key is not None and on is not None and text:
            milestones.setdefault(key, []).append((row, Milestone(on, text)))
    if milestones or any(row.kind == MILESTONE for row in rows):
        for column in (DATE, TEXT):
            if column not in r.columns:
                r.fail("missing_column", 1, column)
    results: dict[str, Execution] = {}
    replace_milestones = DATE in r.columns
    for key in dict.fromkeys([*measure_rows, *milestones]):
        plan_measure = context.measures[key]
        measure_row = measure_rows.get(key)
        change = _change(r, measure_row, context) if measure_row is not None else ExecutionChange()
        listed = milestones.get(key, [])
        if replace_milestones:
            change = replace(change, milestones=tuple(m for _r, m in listed))
        after, problems = apply_change(plan_measure.execution, change, context.statuses)
        for problem in problems:
            r.place(problem, *_position(problem.where.field or "", measure_row, listed, r))
        results[key] = after
    return results


def _position(
    field_name: str, row: _Row | None, listed: list[tuple[_Row, Milestone]], r: _Reader
) -> tuple[int, str | None]:
    """The row and column where a problem of an execution's field shows in the file."""
    if field_name.startswith("milestones."):
        parts = field_name.split(".")
        index = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        if index < len(listed):
            return listed[index][0].number, TEXT if parts[-1] == "text" else DATE
        return (listed[0][0].number if listed else (row.number if row else 1)), DATE
    if field_name.startswith("spent."):
        year = field_name.split(".", 1)[1]
        column = next((c for c, y in r.spent_years.items() if str(y) == year), None)
        return (row.number if row else 1), column
    return (row.number if row else 1), FIELD_COLUMNS.get(field_name)


def _change(r: _Reader, row: _Row, context: FileContext) -> ExecutionChange:
    values: dict[str, Any] = {}
    if STATUS in r.columns:
        typed = text_of(row.cells.get(STATUS))
        if not typed:
            r.fail("empty_cell", row.number, STATUS, kind=row.kind)
        else:
            try:
                status = find_status(context.statuses, typed, labels=context.status_labels)
                values["status"] = status.key
            except KeyError:
                r.fail(
                    "unknown_status",
                    row.number,
                    STATUS,
                    value=typed,
                    choices=", ".join(
                        context.status_labels.get(s.key, s.label) for s in context.statuses
                    ),
                )
    if PROGRESS in r.columns:
        values["progress"] = r.value(row, PROGRESS, parse_progress)
    if ORGANISATION in r.columns:
        values["organisation"] = r.text(row, ORGANISATION, max_length=1000)
    if REASON in r.columns:
        values["reason"] = r.text(row, REASON, max_length=4000)
    for name, column in DATE_COLUMNS.items():
        if column in r.columns:
            raw = row.cells.get(column)
            parsed = r.value(row, column, parse_date)
            if parsed is not None:
                values[name] = parsed
            elif is_blank(raw):
                values[name] = CLEAR
    spent: dict[int, int | None] = {}
    for column, year in r.spent_years.items():
        raw = row.cells.get(column)
        amount = r.value(row, column, parse_euros)
        if amount is not None or is_blank(raw):
            spent[year] = amount
    if spent:
        values["spent"] = spent
    return ExecutionChange(**values)


def _indicator_key(r: _Reader, row: _Row, context: FileContext) -> str | None:
    key = text_of(row.cells.get(KEY))
    if key:
        if key in context.indicators:
            return key
        guess = get_close_matches(key, list(context.indicators), n=1, cutoff=0.6)
        r.fail(
            "unknown_indicator",
            row.number,
            KEY,
            guess[0] if guess else None,
            value=key,
            known=", ".join(context.indicators) or "–",
        )
        return None
    name = text_of(row.cells.get(TITLE))
    by_name = {n.casefold(): k for k, n in context.indicators.items()}
    if name and name.casefold() in by_name:
        return by_name[name.casefold()]
    if not name:
        r.fail("empty_cell", row.number, KEY, kind=row.kind)
        return None
    guess = get_close_matches(name.casefold(), list(by_name), n=1, cutoff=0.6)
    r.fail(
        "unknown_indicator",
        row.number,
        TITLE,
        context.indicators[by_name[guess[0]]] if guess else None,
        value=name,
        known=", ".join(context.indicators.values()) or "–",
    )
    return None


def _measurements(r: _Reader, rows: list[_Row], context: FileContext) -> list[Measurement]:
    found: list[Measurement] = []
    seen: dict[tuple[str, int], int] = {}
    if any(row.kind == MEASUREMENT for row in rows):
        for column in (YEAR, VALUE):
            if column not in r.columns:
                r.fail("missing_column", 1, column)
    for row in rows:
        if row.kind != MEASUREMENT:
            continue
        key = _indicator_key(r, row, context)
        year = r.value(row, YEAR, parse_year)
        if year is None and is_blank(row.cells.get(YEAR)) and YEAR in r.columns:
            r.fail("empty_cell", row.number, YEAR, kind=row.kind)
        value = r.value(row, VALUE, parse_measured)
        source = r.text(row, SOURCE, max_length=200)
        if key is None or year is None:
            continue
        if (key, year) in seen:
            r.fail(
                "duplicate_measurement",
                row.number,
                YEAR,
                indicator=context.indicators[key],
                year=year,
                first=seen[(key, year)],
            )
            continue
        seen[(key, year)] = row.number
        found.append(Measurement(key, year, value, source, row.number))
    return found


# --- writing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureState:
    """A measure of the plan as the file writes it."""

    key: str
    title: str
    status_label: str
    execution: Execution


@dataclass(frozen=True)
class MeasurementState:
    """A measured value as the file writes it."""

    key: str
    name: str
    year: int
    value: Decimal
    source: str


def columns_for(spent_years: Sequence[int]) -> list[str]:
    """The file's columns, with an `uitgegeven_<jaar>` column per year."""
    return [
        *COLUMNS_BEFORE_SPENT,
        *(f"{SPENT_PREFIX}{year}" for year in sorted(set(spent_years))),
        *COLUMNS_AFTER_SPENT,
    ]


def state_rows(
    measures: Sequence[MeasureState],
    measurements: Sequence[MeasurementState],
    columns: Sequence[str],
) -> list[dict[str, Cell]]:
    """The rows of the file for a follow-up state, each a mapping of column to value."""
    rows: list[dict[str, Cell]] = []

    def add(values: Mapping[str, Cell]) -> None:
        rows.append({name: values.get(name) for name in columns})

    for measure in measures:
        e = measure.execution
        spent: dict[str, Cell] = {f"{SPENT_PREFIX}{y}": a for y, a in e.spent.items()}
        add(
            {
                KIND: MEASURE,
                KEY: measure.key,
                TITLE: measure.title,
                STATUS: measure.status_label,
                PROGRESS: e.progress,
                ORGANISATION: e.organisation or None,
                PLANNED_START: e.planned_start,
                PLANNED_END: e.planned_end,
                ACTUAL_START: e.actual_start,
                ACTUAL_END: e.actual_end,
                REASON: e.reason or None,
                **spent,
            }
        )
        for milestone in e.milestones:
            add(
                {
                    KIND: MILESTONE,
                    KEY: measure.key,
                    TITLE: measure.title,
                    DATE: milestone.on,
                    TEXT: milestone.text,
                }
            )
    for measurement in measurements:
        add(
            {
                KIND: MEASUREMENT,
                KEY: measurement.key,
                TITLE: measurement.name,
                YEAR: measurement.year,
                VALUE: measurement.value,
                SOURCE: measurement.source or None,
            }
        )
    return rows
