"""A menu as one table of rows (CSV and XLSX): the columns, reading cells, and the way back.

One format of columns serves CSV and XLSX alike. Every row says in its first column (`soort`)
what it is: the process, a desired effect, a sub-effect, an indicator, a measure or a stated
total. Reading reports every problem at once, each with its row (as a spreadsheet program numbers
it, the column names being row 1) and its column; messages are catalogue ids with parameters,
so that each reader sees them in their own language.

Numbers are read as people type them in a Dutch spreadsheet: in amounts, a dot or comma before a
group of three digits separates thousands (48.000 = 48,000 = 48000); in other numbers the comma
is the decimal mark (6,5 = 6.5).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from difflib import get_close_matches
from typing import Any

from app.domain.menu import (
    Costs,
    EffectSpec,
    IndicatorSpec,
    MeasureSpec,
    MenuDocument,
    SubEffectSpec,
    data_quality_warnings,
)
from app.domain.vocabulary import CostHorizon, IndicatorUnit
from app.errors import N_

MAX_ROWS = 5000

# --- the columns -------------------------------------------------------------------------------

KIND = "soort"
KEY = "sleutel"
TITLE = "titel"
DESCRIPTION = "omschrijving"
UNDER = "hoort_bij"
EFFECTS = "effecten"
COST_1 = "kosten_jaar_1"
COST_4 = "kosten_4_jaar"
COST_10 = "kosten_10_jaar"
REGULAR = "regulier"
ORGANISATION = "organisatie"
UNIT = "eenheid"
LOWER_IS_BETTER = "lager_is_beter"
BASELINE_YEAR = "basisjaar"
BASELINE = "basiswaarde"
CITY = "stad"
NEIGHBOURHOOD = "wijk"
MUNICIPALITY = "gemeente"
BUDGET = "budget"
HORIZON = "horizon"
BUDGET_NOTE = "budget_toelichting"
SOURCE = "bron"
TARGET_PREFIX = "doel_"

COLUMNS_BEFORE_TARGETS: tuple[str, ...] = (
    KIND,
    KEY,
    TITLE,
    UNDER,
    EFFECTS,
    COST_1,
    COST_4,
    COST_10,
    REGULAR,
    ORGANISATION,
    DESCRIPTION,
    UNIT,
    LOWER_IS_BETTER,
    BASELINE_YEAR,
    BASELINE,
    CITY,
)
COLUMNS_AFTER_TARGETS: tuple[str, ...] = (
    NEIGHBOURHOOD,
    MUNICIPALITY,
    BUDGET,
    HORIZON,
    BUDGET_NOTE,
    SOURCE,
)
KNOWN_COLUMNS = frozenset(COLUMNS_BEFORE_TARGETS + COLUMNS_AFTER_TARGETS)
REQUIRED_COLUMNS = (KIND, TITLE)
_TARGET_COLUMN = re.compile(r"^doel_?(\d{4})$")

# Row kinds as written in the file (Dutch), with the spellings people also use.
PROCESS, EFFECT, SUB_EFFECT, INDICATOR, MEASURE, TOTAL = (
    "proces",
    "effect",
    "subeffect",
    "indicator",
    "maatregel",
    "totaal",
)
KINDS = (PROCESS, EFFECT, SUB_EFFECT, INDICATOR, MEASURE, TOTAL)
_KIND_ALIASES = {
    "process": PROCESS,
    "sub-effect": SUB_EFFECT,
    "sub_effect": SUB_EFFECT,
    "sub effect": SUB_EFFECT,
    "measure": MEASURE,
    "total": TOTAL,
}

# Which columns each kind of row uses; a value elsewhere is ignored with a warning.
_USED: dict[str, frozenset[str]] = {
    PROCESS: frozenset(
        {KIND, KEY, TITLE, DESCRIPTION, NEIGHBOURHOOD, MUNICIPALITY, BUDGET, HORIZON}
        | {BUDGET_NOTE, SOURCE}
    ),
    EFFECT: frozenset({KIND, KEY, TITLE, DESCRIPTION}),
    SUB_EFFECT: frozenset({KIND, KEY, TITLE, DESCRIPTION, UNDER}),
    INDICATOR: frozenset(
        {KIND, TITLE, UNDER, UNIT, LOWER_IS_BETTER, BASELINE_YEAR, BASELINE, CITY}
    ),
    MEASURE: frozenset(
        {KIND, KEY, TITLE, DESCRIPTION, UNDER, EFFECTS, COST_1, COST_4, COST_10}
        | {REGULAR, ORGANISATION}
    ),
    TOTAL: frozenset({KIND, KEY, COST_1, COST_4, COST_10}),
}

UNIT_WORDS = {
    IndicatorUnit.GRADE: "cijfer",
    IndicatorUnit.PERCENT: "procent",
    IndicatorUnit.SCORE: "score",
}
_UNITS = {word: unit for unit, word in UNIT_WORDS.items()} | {u.value: u for u in IndicatorUnit}
HORIZON_YEARS = {CostHorizon.YEAR_1: 1, CostHorizon.YEARS_4: 4, CostHorizon.YEARS_10: 10}
_YES = {"ja", "j", "yes", "y", "true", "waar", "1", "x", "✓"}
_NO = {"nee", "n", "no", "false", "onwaar", "0", ""}

# --- findings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """A problem or a warning: where (row and column, when known) and what, as a catalogue id.

    Parameters whose name ends in `_eur` are amounts in euros, and `horizon`, `longer` and
    `shorter` are cost horizons, so that a page can format them for its reader.
    """

    message: str
    params: Mapping[str, Any] = field(default_factory=dict)
    row: int | None = None
    column: str | None = None
    column_letter: str | None = None
    suggestion: str | None = None
    entry: str | None = None


class MenuTableError(ValueError):
    """A table that cannot be read as a menu: every problem found, and the warnings so far."""

    def __init__(self, problems: Sequence[Finding], warnings: Sequence[Finding] = ()) -> None:
        self.problems = tuple(problems)
        self.warnings = tuple(warnings)
        super().__init__(f"{len(self.problems)} problem(s) in the menu table")


class CellError(ValueError):
    """A cell that cannot be read: the catalogue message and its parameters."""

    def __init__(self, message: str, **params: Any) -> None:
        self.message = message
        self.params = params
        super().__init__(message % params if params else message)


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def normalise_header(value: Any) -> str:
    """A column name as the reader compares it: lower case, underscores, no stray spaces."""
    text = "" if value is None else str(value)
    text = text.replace("\ufeff", "").strip().lower()
    text = re.sub(r"[\s\-]+", "_", text)
    return re.sub(r"_+", "_", text).strip("_")


def slug(text: str, max_length: int = 60) -> str:
    """A key made from a title: lower-case letters, digits and dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    key = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return key[:max_length].rstrip("-")


# --- reading cells -----------------------------------------------------------------------------

_BLANK = re.compile(r"[\s\u00a0\u202f]+")
_GROUPED = re.compile(r"^\d{1,3}(?:([.,'])\d{3})(?:\1\d{3})*$")
_GROUPED_DECIMALS = re.compile(r"^(\d{1,3}(?:([.,'])\d{3})(?:\2\d{3})*)([.,])(\d+)$")
_PLAIN_DECIMALS = re.compile(r"^(\d+)(?:[.,](\d+))?$")


def _text_of(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def is_blank(value: Any) -> bool:
    """Whether a cell is empty (nothing, or only spaces)."""
    return value is None or (isinstance(value, str) and not value.strip())


def _reject_dates(value: Any) -> None:
    if isinstance(value, datetime | date):
        raise CellError(
            N_("'%(value)s' is a date, not a number; format the cell as a number."),
            value=value.strftime("%d-%m-%Y"),
        )
    if isinstance(value, time):
        raise CellError(
            N_("'%(value)s' is a time, not a number; format the cell as a number."),
            value=value.strftime("%H:%M"),
        )


def parse_euros(value: Any) -> int | None:
    """Whole euros from a cell or a form field (None when empty); CellError says what is wrong."""
    _reject_dates(value)
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(N_("'%(value)s' is not an amount in euros."), value=str(value))
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float | Decimal):
        number = Decimal(str(value))
    else:
        number = _amount_from_text(str(value))
    if number != number.to_integral_value():
        raise CellError(
            N_("'%(value)s' is not a whole number of euros; leave out the cents."),
            value=_text_of(value),
        )
    if number < 0:
        raise CellError(
            N_("'%(value)s' is negative; a cost or budget is 0 or more."), value=_text_of(value)
        )
    if number > 10**12:
        raise CellError(N_("'%(value)s' is too large an amount."), value=_text_of(value))
    return int(number)


def _amount_from_text(raw: str) -> Decimal:
    text = re.sub(r"(?i)€|euros?|eur", "", _BLANK.sub("", raw.strip()))
    negative = text.startswith("-") or text.startswith("−")
    digits = text.lstrip("-−")
    if digits.endswith((",-", ".-")):  # "48.000,-" is how Dutch prices end
        digits = digits[:-2]
    if _GROUPED.match(digits):
        number = Decimal(re.sub(r"[.,']", "", digits))
    elif match := _GROUPED_DECIMALS.match(digits):
        if match.group(2) == match.group(3):
            raise CellError(N_("'%(value)s' is not an amount in euros."), value=raw.strip())
        number = Decimal(re.sub(r"[.,']", "", match.group(1)) + "." + match.group(4))
    elif match := _PLAIN_DECIMALS.match(digits):
        number = Decimal(match.group(1) + ("." + match.group(2) if match.group(2) else ""))
    else:
        raise CellError(
            N_("'%(value)s' is not an amount in euros (write it like 48000 or 48.000)."),
            value=raw.strip(),
        )
    return -number if negative else number


def parse_decimal(value: Any) -> Decimal | None:
    """A number with at most two decimals (decimal comma or point); None when empty."""
    _reject_dates(value)
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(N_("'%(value)s' is not a number (write it like 6,5)."), value=str(value))
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(str(value))
    else:
        text = _BLANK.sub("", str(value)).replace("−", "-")
        sign = "-" if text.startswith("-") else ""
        body = text.lstrip("-+")
        if match := _GROUPED_DECIMALS.match(body):
            body = re.sub(r"[.,']", "", match.group(1)) + "." + match.group(4)
        elif re.fullmatch(r"\d+[.,]\d+|\d+", body):
            body = body.replace(",", ".")
        else:
            raise CellError(
                N_("'%(value)s' is not a number (write it like 6,5)."), value=str(value).strip()
            )
        try:
            number = Decimal(sign + body)
        except InvalidOperation:
            raise CellError(
                N_("'%(value)s' is not a number (write it like 6,5)."), value=str(value).strip()
            ) from None
    if number != number.quantize(Decimal("0.01")):
        raise CellError(N_("'%(value)s' has more than 2 decimals."), value=_text_of(value))
    if abs(number) >= 1_000_000:
        raise CellError(N_("'%(value)s' is too large for an indicator."), value=_text_of(value))
    return Decimal(int(number)) if number == number.to_integral_value() else number


def parse_year(value: Any) -> int | None:
    """A year between 1900 and 2200; None when empty."""
    if is_blank(value):
        return None
    if isinstance(value, datetime | date):
        return value.year
    text = _text_of(value)
    if not re.fullmatch(r"\d{4}", text) or not 1900 <= int(text) <= 2200:
        raise CellError(N_("'%(value)s' is not a year (write it like 2026)."), value=text)
    return int(text)


def parse_bool(value: Any) -> bool:
    """Yes or no: ja/nee, yes/no, true/false, waar/onwaar, 1/0, x; empty is no."""
    if isinstance(value, bool):
        return value
    text = _text_of(value).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise CellError(N_("'%(value)s' is not yes or no (write ja or nee)."), value=_text_of(value))


def parse_horizon(value: Any) -> CostHorizon:
    """The binding cost horizon from 1, 4 or 10 (years), or its English name; empty is 4."""
    text = _text_of(value).lower()
    if not text:
        return CostHorizon.YEARS_4
    for horizon in CostHorizon:
        if text == horizon.value:
            return horizon
    digits = re.sub(r"\D", "", text)
    for horizon, years in HORIZON_YEARS.items():
        if digits == str(years):
            return horizon
    raise CellError(
        N_("'%(value)s' is not a cost horizon; write 1, 4 or 10 (years)."), value=_text_of(value)
    )


def parse_unit(value: Any) -> IndicatorUnit:
    """An indicator unit: cijfer, procent or score (or grade, percent)."""
    text = _text_of(value).lower()
    if text in _UNITS:
        return _UNITS[text]
    raise CellError(
        N_("'%(value)s' is not a unit; write cijfer, procent or score."), value=_text_of(value)
    )


def split_keys(value: Any) -> list[str]:
    """A list of effect keys or titles from one cell, separated by commas, semicolons or lines."""
    return [part.strip() for part in re.split(r"[,;\n]", _text_of(value)) if part.strip()]


# --- reading a table ---------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    kind: str
    cells: dict[str, Any]


@dataclass
class _Effect:
    row: int
    key: str
    title: str
    description: str
    parent_ref: str = ""
    parent: str = ""
    indicators: list[IndicatorSpec] = field(default_factory=list)


class _TableReader:
    def __init__(self, header: Sequence[Any]) -> None:
        self.problems: list[Finding] = []
        self.warnings: list[Finding] = []
        self.columns: dict[str, int] = {}
        self.target_years: dict[str, int] = {}
        self.unnamed: list[int] = []
        self.width = len(header)
        self._read_header(header)

    # findings
    def fail(
        self,
        message: str,
        row: int | None = None,
        column: str | None = None,
        suggestion: str | None = None,
        **params: Any,
    ) -> None:
        self.problems.append(self._finding(message, row, column, suggestion, params))

    def warn(
        self,
        message: str,
        row: int | None = None,
        column: str | None = None,
        **params: Any,
    ) -> None:
        self.warnings.append(self._finding(message, row, column, None, params))

    def _finding(
        self,
        message: str,
        row: int | None,
        column: str | None,
        suggestion: str | None,
        params: Mapping[str, Any],
    ) -> Finding:
        letter = column_letter(self.columns[column]) if column in self.columns else None
        values = {"column": column, **params} if column else dict(params)
        return Finding(message, values, row, column, letter, suggestion)

    def _read_header(self, header: Sequence[Any]) -> None:
        for index, raw in enumerate(header):
            name = normalise_header(raw)
            if not name:
                self.unnamed.append(index)
                continue
            if name in self.columns or name in self.target_years:
                self.problems.append(
                    Finding(
                        N_("The column '%(column)s' appears twice in the first row."),
                        {"column": name},
                        1,
                        name,
                        column_letter(index),
                    )
                )
                continue
            if match := _TARGET_COLUMN.match(name):
                self.target_years[name] = int(match.group(1))
                self.columns[name] = index
                continue
            self.columns[name] = index
            if name not in KNOWN_COLUMNS:
                guess = get_close_matches(name, sorted(KNOWN_COLUMNS), n=1, cutoff=0.6)
                self.problems.append(
                    Finding(
                        N_(
                            "The first row has a column '%(column)s' "
                            "that this format does not know."
                        ),
                        {"column": name},
                        1,
                        name,
                        column_letter(index),
                        guess[0] if guess else None,
                    )
                )
        missing = [c for c in REQUIRED_COLUMNS if c not in self.columns]
        if len(missing) == len(REQUIRED_COLUMNS) and header:
            found = ", ".join(_text_of(h) for h in header[:4] if not is_blank(h))
            self.fail(
                N_(
                    "The first row should hold the column names (soort, sleutel, titel, ...); "
                    "it holds '%(found)s'."
                ),
                row=1,
                found=found,
            )
            return
        for name in missing:
            self.fail(N_("The column '%(column)s' is missing from the first row."), 1, column=name)

    def cell(self, row: _Row, name: str) -> Any:
        return row.cells.get(name)

    def text(self, row: _Row, name: str, *, required: bool = False, max_length: int = 300) -> str:
        value = row.cells.get(name)
        if isinstance(value, datetime | date | time):
            value = value.isoformat()
        text = _text_of(value)
        if not text:
            if required:
                self.fail(
                    N_("'%(column)s' is empty; a '%(kind)s' row needs it."),
                    row.number,
                    name,
                    kind=row.kind,
                )
            return ""
        if len(text) > max_length:
            self.fail(
                N_("The text is %(length)s characters long; at most %(max)s fit."),
                row.number,
                name,
                length=len(text),
                max=max_length,
            )
        return text

    def value(self, row: _Row, name: str, parse: Any, *, required: bool = False) -> Any:
        raw = row.cells.get(name)
        try:
            result = parse(raw)
        except CellError as error:
            self.fail(error.message, row.number, name, **error.params)
            return None
        if result is None and required:
            self.fail(
                N_("'%(column)s' is empty; a '%(kind)s' row needs it."),
                row.number,
                name,
                kind=row.kind,
            )
        return result


def read_rows(
    header: Sequence[Any], rows: Iterable[tuple[int, Sequence[Any]]]
) -> tuple[MenuDocument, list[Finding]]:
    """Read a menu table (the column names, then numbered rows) into a menu document.

    Returns the document and its warnings; raises MenuTableError listing every problem.
    """
    r = _TableReader(header)
    if any(p.row == 1 and p.column is None for p in r.problems):
        raise MenuTableError(r.problems)
    parsed = _rows(r, rows)
    if not parsed and not r.problems:
        r.fail(N_("The file has a first row with column names but no rows below it."))
        raise MenuTableError(r.problems, r.warnings)
    document = _document(r, parsed)
    if r.problems or document is None:
        raise MenuTableError(r.problems, r.warnings)
    return document, r.warnings


def _rows(r: _TableReader, rows: Iterable[tuple[int, Sequence[Any]]]) -> list[_Row]:
    parsed: list[_Row] = []
    for number, values in rows:
        if number > MAX_ROWS + 1:
            r.fail(N_("The file has more than %(max)s rows."), number, max=MAX_ROWS)
            break
        cells = {name: values[i] if i < len(values) else None for name, i in r.columns.items()}
        extra = [i for i, v in enumerate(values) if not is_blank(v) and i not in r.columns.values()]
        if all(is_blank(v) for v in cells.values()) and not extra:
            continue
        kind_text = _text_of(cells.get(KIND)).lower()
        if kind_text.startswith("#"):
            continue  # a comment row
        for index in extra:
            if index >= r.width:
                r.fail(
                    N_(
                        "This row has more cells than the first row has columns; is there a "
                        "comma in a number? Put the number in quotes or separate columns with ';'."
                    ),
                    number,
                )
                break
            r.warn(
                N_("Column %(letter)s has no name in the first row; its value is ignored."),
                number,
                letter=column_letter(index),
            )
        kind = _KIND_ALIASES.get(kind_text, kind_text)
        if kind not in KINDS:
            if not kind_text:
                r.fail(
                    N_(
                        "'soort' is empty, but the row has values; "
                        "write what the row is: %(choices)s."
                    ),
                    number,
                    KIND,
                    choices=", ".join(KINDS),
                )
            else:
                guess = get_close_matches(kind_text, KINDS, n=1, cutoff=0.6)
                r.fail(
                    N_("'%(value)s' is not a kind of row; use one of %(choices)s."),
                    number,
                    KIND,
                    guess[0] if guess else None,
                    value=_text_of(cells.get(KIND)),
                    choices=", ".join(KINDS),
                )
            continue
        row = _Row(number, kind, cells)
        for name, value in cells.items():
            used = _USED[kind] | (set(r.target_years) if kind == INDICATOR else set())
            if name not in used and name in r.columns and not is_blank(value):
                if name not in KNOWN_COLUMNS and name not in r.target_years:
                    continue  # already reported as an unknown column
                r.warn(
                    N_(
                        "'%(column)s' is not used in a '%(kind)s' row; "
                        "the value '%(value)s' is ignored."
                    ),
                    number,
                    name,
                    kind=kind,
                    value=_text_of(value),
                )
        parsed.append(row)
    return parsed


def _document(r: _TableReader, rows: list[_Row]) -> MenuDocument | None:
    process_rows = [row for row in rows if row.kind == PROCESS]
    if not process_rows:
        r.fail(
            N_(
                "There is no row of kind 'proces' with the neighbourhood, title and budget; "
                "add one (see the template)."
            )
        )
    for extra in process_rows[1:]:
        r.fail(
            N_("A second 'proces' row (the first is row %(first)s); a file holds one process."),
            extra.number,
            KIND,
            first=process_rows[0].number,
        )
    effects = _effects(r, rows)
    by_ref = _effect_lookup(effects)
    top = {e.key: e for e in effects if not e.parent_ref}
    for effect in effects:
        if effect.parent_ref:
            effect.parent = _reference(r, effect.row, UNDER, effect.parent_ref, by_ref, top) or ""
    if not top:
        r.fail(
            N_("The file has no row of kind 'effect'; a menu needs at least one desired effect.")
        )
    for row in rows:
        if row.kind == INDICATOR:
            _indicator(r, row, by_ref, top)
    measures = _measures(r, rows, effects, by_ref, top)
    totals = _totals(r, rows, top)
    process = _process(r, process_rows[0]) if process_rows else None
    if process is None or r.problems:
        return None
    key, title, hood, municipality, budget, horizon, description, note, source = process
    specs = []
    for effect in effects:
        if effect.parent_ref:
            continue
        specs.append(
            EffectSpec(
                key=effect.key,
                title=effect.title,
                description=effect.description,
                sub_effects=tuple(
                    SubEffectSpec(s.key, s.title, s.description)
                    for s in effects
                    if s.parent == effect.key and s.parent_ref
                ),
                indicators=tuple(effect.indicators),
            )
        )
    document = MenuDocument(
        seed_key=key,
        neighbourhood_name=hood,
        municipality=municipality,
        title=title,
        budget_eur=budget,
        cost_horizon=horizon,
        effects=tuple(specs),
        measures=tuple(spec for _row, spec in measures),
        description=description,
        budget_note=note,
        source=source,
        stated_totals=totals,
    )
    _warnings(r, document, measures)
    return document


def _process(
    r: _TableReader, row: _Row
) -> tuple[str, str, str, str, int, CostHorizon, str, str, str] | None:
    key = r.text(row, KEY, max_length=80)
    title = r.text(row, TITLE, required=True, max_length=200)
    hood = r.text(row, NEIGHBOURHOOD, required=True, max_length=120)
    municipality = r.text(row, MUNICIPALITY, required=True, max_length=120)
    budget = r.value(row, BUDGET, parse_euros, required=True)
    horizon = r.value(row, HORIZON, parse_horizon)
    description = r.text(row, DESCRIPTION, max_length=4000)
    note = r.text(row, BUDGET_NOTE, max_length=2000)
    source = r.text(row, SOURCE, max_length=400)
    if budget is None or horizon is None:
        return None
    return key, title, hood, municipality, budget, horizon, description, note, source


def _effects(r: _TableReader, rows: list[_Row]) -> list[_Effect]:
    effects: list[_Effect] = []
    seen: dict[str, int] = {}
    for row in rows:
        if row.kind not in (EFFECT, SUB_EFFECT):
            continue
        title = r.text(row, TITLE, required=True)
        key = r.text(row, KEY, max_length=60) or slug(title)
        if not key:
            continue
        parent_ref = r.text(row, UNDER, max_length=300)
        if row.kind == SUB_EFFECT and not parent_ref:
            r.fail(
                N_("'%(column)s' is empty; a '%(kind)s' row needs it."),
                row.number,
                UNDER,
                kind=row.kind,
            )
        if row.kind == EFFECT and parent_ref:
            r.fail(
                N_(
                    "An 'effect' row is not listed under another effect; if '%(title)s' is a "
                    "sub-effect, write 'subeffect' in 'soort'."
                ),
                row.number,
                UNDER,
                title=title,
            )
            parent_ref = ""
        if key in seen:
            r.fail(
                N_("The effect key '%(key)s' is used twice: in row %(first)s and here."),
                row.number,
                KEY if _text_of(row.cells.get(KEY)) else TITLE,
                key=key,
                first=seen[key],
            )
            continue
        seen[key] = row.number
        effects.append(
            _Effect(
                row.number,
                key,
                title,
                r.text(row, DESCRIPTION, max_length=4000),
                parent_ref if row.kind == SUB_EFFECT else "",
            )
        )
    return effects


def _effect_lookup(effects: list[_Effect]) -> dict[str, _Effect]:
    lookup: dict[str, _Effect] = {}
    for effect in effects:
        lookup.setdefault(effect.title.casefold(), effect)
    for effect in effects:
        lookup[effect.key.casefold()] = effect
    return lookup


def _reference(
    r: _TableReader,
    number: int,
    column: str,
    ref: str,
    by_ref: Mapping[str, _Effect],
    top: Mapping[str, _Effect],
    *,
    sub_effects_allowed: bool = False,
) -> str | None:
    effect = by_ref.get(ref.casefold())
    if effect is None:
        known = sorted(top) + sorted(e.key for e in by_ref.values() if e.parent_ref)
        guess = get_close_matches(ref.casefold(), list(by_ref), n=1, cutoff=0.6)
        r.fail(
            N_("'%(value)s' is not a desired effect in this file; the effects are: %(known)s."),
            number,
            column,
            by_ref[guess[0]].key if guess else None,
            value=ref,
            known=", ".join(dict.fromkeys(known)) or "–",
        )
        return None
    if effect.parent_ref and not sub_effects_allowed:
        r.fail(
            N_(
                "'%(value)s' is a sub-effect; use its desired effect '%(parent)s' here "
                "(a measure can name sub-effects in 'effecten')."
            ),
            number,
            column,
            value=ref,
            parent=effect.parent or effect.parent_ref,
        )
        return None
    return effect.key


def _indicator(
    r: _TableReader, row: _Row, by_ref: Mapping[str, _Effect], top: Mapping[str, _Effect]
) -> None:
    name = r.text(row, TITLE, required=True, max_length=200)
    under = r.text(row, UNDER, required=True)
    effect_key = _reference(r, row.number, UNDER, under, by_ref, top) if under else None
    unit = r.value(row, UNIT, lambda v: None if is_blank(v) else parse_unit(v), required=True)
    lower = r.value(row, LOWER_IS_BETTER, parse_bool)
    year = r.value(row, BASELINE_YEAR, parse_year, required=True)
    baseline = r.value(row, BASELINE, parse_decimal, required=True)
    city = r.value(row, CITY, parse_decimal)
    targets: list[tuple[int, Decimal]] = []
    for column, target_year in sorted(r.target_years.items(), key=lambda kv: kv[1]):
        value = r.value(row, column, parse_decimal)
        if value is not None:
            targets.append((target_year, value))
    if None in (effect_key, unit, year, baseline) or not name:
        return
    top[str(effect_key)].indicators.append(
        IndicatorSpec(name, unit, year, baseline, city, bool(lower), tuple(targets))
    )


def _measures(
    r: _TableReader,
    rows: list[_Row],
    effects: list[_Effect],
    by_ref: Mapping[str, _Effect],
    top: Mapping[str, _Effect],
) -> list[tuple[int, MeasureSpec]]:
    measures: list[tuple[int, MeasureSpec]] = []
    seen: dict[str, int] = {}
    for row in rows:
        if row.kind != MEASURE:
            continue
        title = r.text(row, TITLE, required=True)
        key = r.text(row, KEY, max_length=60) or slug(title)
        if key in seen:
            r.fail(
                N_("The measure '%(key)s' appears twice: in row %(first)s and here."),
                row.number,
                KEY if _text_of(row.cells.get(KEY)) else TITLE,
                key=key,
                first=seen[key],
            )
        elif key:
            seen[key] = row.number
        under = r.text(row, UNDER, required=True)
        group = _reference(r, row.number, UNDER, under, by_ref, top) if under else None
        refs = split_keys(row.cells.get(EFFECTS))
        linked = [
            _reference(r, row.number, EFFECTS, ref, by_ref, top, sub_effects_allowed=True)
            for ref in refs
        ]
        costs = [r.value(row, column, parse_euros) for column in (COST_1, COST_4, COST_10)]
        regular = r.value(row, REGULAR, parse_bool)
        organisation = r.text(row, ORGANISATION, max_length=200)
        description = r.text(row, DESCRIPTION, max_length=4000)
        if group is None or not title or not key:
            continue
        effect_keys = [k for k in linked if k] or [group]
        measures.append(
            (
                row.number,
                MeasureSpec(
                    key=key,
                    title=title,
                    group=group,
                    effects=tuple(dict.fromkeys(effect_keys)),
                    costs=Costs(*costs),
                    regular=bool(regular),
                    description=description,
                    organisation=organisation,
                ),
            )
        )
    return measures


def _totals(r: _TableReader, rows: list[_Row], top: Mapping[str, _Effect]) -> dict[str, Costs]:
    totals: dict[str, Costs] = {}
    for row in rows:
        if row.kind != TOTAL:
            continue
        name = r.text(row, KEY, required=True)
        if name and name != "menu" and name not in top:
            r.fail(
                N_("'%(value)s' is neither a desired effect's key nor 'menu'."),
                row.number,
                KEY,
                value=name,
            )
            continue
        costs = [r.value(row, column, parse_euros) for column in (COST_1, COST_4, COST_10)]
        if name:
            totals[name] = Costs(*costs)
    return totals


def _warnings(
    r: _TableReader, document: MenuDocument, measures: list[tuple[int, MeasureSpec]]
) -> None:
    columns = {"years_10": COST_10, "years_4": COST_4, "year_1": COST_1}
    titles: dict[str, int] = {}
    for number, spec in measures:
        for warning in data_quality_warnings([spec]):
            params = dict(warning.params)
            if warning.code == "cost_decreases":
                r.warn(
                    N_(
                        "%(measure)s: the cost over %(longer)s (%(longer_eur)s) is lower than "
                        "over %(shorter)s (%(shorter_eur)s). It is imported as it is; check it."
                    ),
                    number,
                    columns[str(params["longer"])],
                    measure=spec.title,
                    longer=params["longer"],
                    shorter=params["shorter"],
                    longer_eur=params["longer_cost"],
                    shorter_eur=params["shorter_cost"],
                )
            elif warning.code == "no_costs":
                r.warn(
                    N_("%(measure)s has no costs and is not marked as regular (no extra cost)."),
                    number,
                    COST_4,
                    measure=spec.title,
                )
            elif warning.code == "regular_with_costs":
                r.warn(
                    N_("%(measure)s is marked as regular (no extra cost) but has costs."),
                    number,
                    REGULAR,
                    measure=spec.title,
                )
        cost = spec.costs.at(document.cost_horizon)
        if cost is not None and not spec.regular and cost > document.budget_eur:
            r.warn(
                N_(
                    "%(measure)s costs %(cost_eur)s over %(horizon)s, more than the whole "
                    "budget (%(budget_eur)s): it can never be chosen."
                ),
                number,
                columns[document.cost_horizon.value],
                measure=spec.title,
                cost_eur=cost,
                horizon=document.cost_horizon.value,
                budget_eur=document.budget_eur,
            )
        folded = spec.title.casefold()
        if folded in titles:
            r.warn(
                N_("The title '%(title)s' is also used in row %(first)s; is it the same measure?"),
                number,
                TITLE,
                title=spec.title,
                first=titles[folded],
            )
        titles.setdefault(folded, number)
    for warning in data_quality_warnings(list(document.measures), document.stated_totals):
        if warning.code == "total_mismatch":
            params = dict(warning.params)
            r.warn(
                N_(
                    "The rows add up to %(computed_eur)s over %(horizon)s for '%(total)s'; "
                    "the 'totaal' row says %(stated_eur)s."
                ),
                total=params["total"],
                horizon=params["horizon"],
                computed_eur=params["computed"],
                stated_eur=params["stated"],
            )
    if not document.measures:
        r.warn(N_("The file has no measures yet; add rows of kind 'maatregel'."))


# --- writing a table ---------------------------------------------------------------------------


def columns_for(document: MenuDocument, extra_target_years: Iterable[int] = ()) -> list[str]:
    """The column names for a document: the fixed ones, with a `doel_<year>` per target year."""
    years = sorted(
        {year for e in document.effects for i in e.indicators for year, _v in i.targets}
        | set(extra_target_years)
    )
    return [
        *COLUMNS_BEFORE_TARGETS,
        *(f"{TARGET_PREFIX}{year}" for year in years),
        *COLUMNS_AFTER_TARGETS,
    ]


def document_rows(
    document: MenuDocument, columns: Sequence[str]
) -> list[dict[str, str | int | Decimal | None]]:
    """The rows of a document, each a mapping of column name to value (None for empty)."""
    rows: list[dict[str, str | int | Decimal | None]] = []

    def add(**values: str | int | Decimal | None) -> None:
        rows.append({name: values.get(name) for name in columns})

    add(
        **{
            KIND: PROCESS,
            KEY: document.seed_key,
            TITLE: document.title,
            DESCRIPTION: document.description or None,
            NEIGHBOURHOOD: document.neighbourhood_name,
            MUNICIPALITY: document.municipality,
            BUDGET: document.budget_eur,
            HORIZON: HORIZON_YEARS[document.cost_horizon],
            BUDGET_NOTE: document.budget_note or None,
            SOURCE: document.source or None,
        }
    )
    for effect in document.effects:
        add(
            **{
                KIND: EFFECT,
                KEY: effect.key,
                TITLE: effect.title,
                DESCRIPTION: effect.description or None,
            }
        )
        for sub in effect.sub_effects:
            add(
                **{
                    KIND: SUB_EFFECT,
                    KEY: sub.key,
                    TITLE: sub.title,
                    DESCRIPTION: sub.description or None,
                    UNDER: effect.key,
                }
            )
        for indicator in effect.indicators:
            add(
                **{
                    KIND: INDICATOR,
                    TITLE: indicator.name,
                    UNDER: effect.key,
                    UNIT: UNIT_WORDS[indicator.unit],
                    LOWER_IS_BETTER: "ja" if indicator.lower_is_better else "nee",
                    BASELINE_YEAR: indicator.baseline_year,
                    BASELINE: indicator.baseline,
                    CITY: indicator.city,
                    **{f"{TARGET_PREFIX}{year}": value for year, value in indicator.targets},
                }
            )
    for measure in document.measures:
        add(
            **{
                KIND: MEASURE,
                KEY: measure.key,
                TITLE: measure.title,
                UNDER: measure.group,
                EFFECTS: ", ".join(measure.effects),
                COST_1: measure.costs.year_1,
                COST_4: measure.costs.years_4,
                COST_10: measure.costs.years_10,
                REGULAR: "ja" if measure.regular else "nee",
                ORGANISATION: measure.organisation or None,
                DESCRIPTION: measure.description or None,
            }
        )
    for name, costs in document.stated_totals.items():
        add(
            **{
                KIND: TOTAL,
                KEY: name,
                COST_1: costs.year_1,
                COST_4: costs.years_4,
                COST_10: costs.years_10,
            }
        )
    return rows


def seed_mapping(document: MenuDocument) -> dict[str, Any]:
    """A document in the seed format (`waardenzeef-menu/1`), ready for YAML or JSON."""

    def number(value: Decimal | None) -> int | float | None:
        if value is None:
            return None
        return int(value) if value == value.to_integral_value() else float(value)

    data: dict[str, Any] = {
        "format": "waardenzeef-menu/1",
        "seed_key": document.seed_key,
    }
    if document.source:
        data["source"] = document.source
    data["neighbourhood"] = {
        "name": document.neighbourhood_name,
        "municipality": document.municipality,
    }
    data["process"] = {
        "title": document.title,
        "description": document.description,
        "budget_eur": document.budget_eur,
        "cost_horizon": document.cost_horizon.value,
        "budget_note": document.budget_note,
    }
    data["effects"] = [
        {
            "key": e.key,
            "title": e.title,
            "description": e.description,
            "sub_effects": [
                {"key": s.key, "title": s.title, "description": s.description}
                for s in e.sub_effects
            ],
            "indicators": [
                {
                    "name": i.name,
                    "unit": i.unit.value,
                    "lower_is_better": i.lower_is_better,
                    "baseline_year": i.baseline_year,
                    "baseline": number(i.baseline),
                    "city": number(i.city),
                    "targets": {year: number(value) for year, value in i.targets},
                }
                for i in e.indicators
            ],
        }
        for e in document.effects
    ]
    data["measures"] = [
        {
            "key": m.key,
            "title": m.title,
            "group": m.group,
            "effects": list(m.effects),
            "costs": list(m.costs.as_tuple()),
            "regular": m.regular,
            "description": m.description,
            "organisation": m.organisation,
        }
        for m in document.measures
    ]
    if document.stated_totals:
        data["stated_totals"] = {
            name: list(costs.as_tuple()) for name, costs in document.stated_totals.items()
        }
    return data
