"""The table format (CSV and XLSX alike): its columns, reading rows into a menu document with
every problem at once on its row and column, and the way back to rows.

Every row says in its first column (`soort`) what it is: the process, a desired effect, a
sub-effect, an indicator, a measure or a stated total. Rows are numbered as a spreadsheet program
numbers them, the column names being row 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from difflib import get_close_matches
from typing import Any

from app.domain.menu.cells import (
    HORIZON_YEARS,
    UNIT_WORDS,
    CellError,
    column_letter,
    is_blank,
    normalise_header,
    parse_bool,
    parse_decimal,
    parse_euros,
    parse_horizon,
    parse_unit,
    parse_year,
    slug,
    split_keys,
    text_of,
)
from app.domain.menu.document import (
    PLAIN_EXPLANATION_MAX,
    Costs,
    EffectSpec,
    IndicatorSpec,
    MeasureSpec,
    MenuDocument,
    SubEffectSpec,
    menu_warnings,
)
from app.domain.menu.problems import MenuProblems, Problem, Where
from app.domain.vocabulary import CostHorizon

MAX_ROWS = 5000

# --- the columns -------------------------------------------------------------------------------

KIND = "soort"
KEY = "sleutel"
TITLE = "titel"
DESCRIPTION = "omschrijving"
PLAIN = "uitleg_bewoners"
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
    PLAIN,
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
    EFFECT: frozenset({KIND, KEY, TITLE, DESCRIPTION, PLAIN}),
    SUB_EFFECT: frozenset({KIND, KEY, TITLE, DESCRIPTION, PLAIN, UNDER}),
    INDICATOR: frozenset(
        {KIND, KEY, TITLE, UNDER, UNIT, LOWER_IS_BETTER, BASELINE_YEAR, BASELINE, CITY}
    ),
    MEASURE: frozenset(
        {KIND, KEY, TITLE, DESCRIPTION, PLAIN, UNDER, EFFECTS, COST_1, COST_4, COST_10}
        | {REGULAR, ORGANISATION}
    ),
    TOTAL: frozenset({KIND, KEY, COST_1, COST_4, COST_10}),
}


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
    plain_explanation: str = ""
    indicators: list[IndicatorSpec] = field(default_factory=list)


class _TableReader:
    def __init__(self, header: Sequence[Any]) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.columns: dict[str, int] = {}
        self.target_years: dict[str, int] = {}
        self.unnamed: list[int] = []
        self.width = len(header)
        self._read_header(header)

    # findings
    def fail(
        self,
        code: str,
        row: int | None = None,
        column: str | None = None,
        suggestion: str | None = None,
        **params: Any,
    ) -> None:
        self.problems.append(self._problem(code, row, column, suggestion, params))

    def warn(
        self,
        code: str,
        row: int | None = None,
        column: str | None = None,
        **params: Any,
    ) -> None:
        self.warnings.append(self._problem(code, row, column, None, params))

    def where(self, row: int | None, column: str | None) -> Where:
        """A place in the table: row, column name and its letter."""
        letter = column_letter(self.columns[column]) if column in self.columns else None
        return Where(row=row, column=column, column_letter=letter)

    def _problem(
        self,
        code: str,
        row: int | None,
        column: str | None,
        suggestion: str | None,
        params: Mapping[str, Any],
    ) -> Problem:
        values = {"column": column, **params} if column else dict(params)
        return Problem(code, values, self.where(row, column), suggestion)

    def _read_header(self, header: Sequence[Any]) -> None:
        for index, raw in enumerate(header):
            name = normalise_header(raw)
            if not name:
                self.unnamed.append(index)
                continue
            if name in self.columns or name in self.target_years:
                where = Where(row=1, column=name, column_letter=column_letter(index))
                self.problems.append(Problem("duplicate_column", {"column": name}, where))
                continue
            if match := _TARGET_COLUMN.match(name):
                self.target_years[name] = int(match.group(1))
                self.columns[name] = index
                continue
            self.columns[name] = index
            if name not in KNOWN_COLUMNS:
                guess = get_close_matches(name, sorted(KNOWN_COLUMNS), n=1, cutoff=0.6)
                where = Where(row=1, column=name, column_letter=column_letter(index))
                self.problems.append(
                    Problem("unknown_column", {"column": name}, where, guess[0] if guess else None)
                )
        missing = [c for c in REQUIRED_COLUMNS if c not in self.columns]
        if len(missing) == len(REQUIRED_COLUMNS) and header:
            found = ", ".join(text_of(h) for h in header[:4] if not is_blank(h))
            self.fail(
                "no_header",
                row=1,
                found=found,
            )
            return
        for name in missing:
            self.fail("missing_column", 1, column=name)

    def cell(self, row: _Row, name: str) -> Any:
        return row.cells.get(name)

    def text(self, row: _Row, name: str, *, required: bool = False, max_length: int = 300) -> str:
        value = row.cells.get(name)
        if isinstance(value, datetime | date | time):
            value = value.isoformat()
        text = text_of(value)
        if not text:
            if required:
                self.fail(
                    "empty_cell",
                    row.number,
                    name,
                    kind=row.kind,
                )
            return ""
        if len(text) > max_length:
            self.fail(
                "text_too_long",
                row.number,
                name,
                length=len(text),
                max=max_length,
            )
        return text

    def plain(self, row: _Row) -> str:
        """The optional plain explanation for residents; too long is a problem on its cell."""
        text = text_of(row.cells.get(PLAIN))
        if len(text) > PLAIN_EXPLANATION_MAX:
            self.fail(
                "plain_too_long", row.number, PLAIN, length=len(text), max=PLAIN_EXPLANATION_MAX
            )
        return text

    def value(self, row: _Row, name: str, parse: Any, *, required: bool = False) -> Any:
        raw = row.cells.get(name)
        try:
            result = parse(raw)
        except CellError as error:
            self.fail(error.code, row.number, name, **error.params)
            return None
        if result is None and required:
            self.fail(
                "empty_cell",
                row.number,
                name,
                kind=row.kind,
            )
        return result


def read_rows(
    header: Sequence[Any], rows: Iterable[tuple[int, Sequence[Any]]]
) -> tuple[MenuDocument, list[Problem]]:
    """Read a menu table (the column names, then numbered rows) into a menu document.

    Returns the document and its warnings; raises MenuProblems listing every problem.
    """
    r = _TableReader(header)
    if any(p.where.row == 1 and p.where.column is None for p in r.problems):
        raise MenuProblems(r.problems)
    parsed = _rows(r, rows)
    if not parsed and not r.problems:
        r.fail("no_rows")
        raise MenuProblems(r.problems, r.warnings)
    document = _document(r, parsed)
    if r.problems or document is None:
        raise MenuProblems(r.problems, r.warnings)
    return document, r.warnings


def _rows(r: _TableReader, rows: Iterable[tuple[int, Sequence[Any]]]) -> list[_Row]:
    parsed: list[_Row] = []
    for number, values in rows:
        if number > MAX_ROWS + 1:
            r.fail("too_many_rows", number, max=MAX_ROWS)
            break
        cells = {name: values[i] if i < len(values) else None for name, i in r.columns.items()}
        extra = [i for i, v in enumerate(values) if not is_blank(v) and i not in r.columns.values()]
        if all(is_blank(v) for v in cells.values()) and not extra:
            continue
        kind_text = text_of(cells.get(KIND)).lower()
        if kind_text.startswith("#"):
            continue  # a comment row
        for index in extra:
            if index >= r.width:
                r.fail(
                    "unnamed_extra_cells",
                    number,
                )
                break
            r.warn(
                "unnamed_column",
                number,
                letter=column_letter(index),
            )
        kind = _KIND_ALIASES.get(kind_text, kind_text)
        if kind not in KINDS:
            if not kind_text:
                r.fail(
                    "empty_kind",
                    number,
                    KIND,
                    choices=", ".join(KINDS),
                )
            else:
                guess = get_close_matches(kind_text, KINDS, n=1, cutoff=0.6)
                r.fail(
                    "unknown_kind",
                    number,
                    KIND,
                    guess[0] if guess else None,
                    value=text_of(cells.get(KIND)),
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
                    "unused_cell",
                    number,
                    name,
                    kind=kind,
                    value=text_of(value),
                )
        parsed.append(row)
    return parsed


def _document(r: _TableReader, rows: list[_Row]) -> MenuDocument | None:
    process_rows = [row for row in rows if row.kind == PROCESS]
    if not process_rows:
        r.fail("no_process_row")
    for extra in process_rows[1:]:
        r.fail(
            "second_process_row",
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
        r.fail("no_effect_row")
    indicator_keys: dict[str, int] = {}
    for row in rows:
        if row.kind == INDICATOR:
            _indicator(r, row, by_ref, top, indicator_keys)
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
                    SubEffectSpec(s.key, s.title, s.description, s.plain_explanation)
                    for s in effects
                    if s.parent == effect.key and s.parent_ref
                ),
                indicators=tuple(effect.indicators),
                plain_explanation=effect.plain_explanation,
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
                "empty_cell",
                row.number,
                UNDER,
                kind=row.kind,
            )
        if row.kind == EFFECT and parent_ref:
            r.fail(
                "effect_under_effect",
                row.number,
                UNDER,
                title=title,
            )
            parent_ref = ""
        if key in seen:
            r.fail(
                "duplicate_effect",
                row.number,
                KEY if text_of(row.cells.get(KEY)) else TITLE,
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
                plain_explanation=r.plain(row),
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
            "unknown_effect",
            number,
            column,
            by_ref[guess[0]].key if guess else None,
            value=ref,
            known=", ".join(dict.fromkeys(known)) or "–",
        )
        return None
    if effect.parent_ref and not sub_effects_allowed:
        r.fail(
            "sub_effect_as_group",
            number,
            column,
            value=ref,
            parent=effect.parent or effect.parent_ref,
        )
        return None
    return effect.key


def _unique_key(r: _TableReader, row: _Row, title: str, seen: dict[str, int], code: str) -> str:
    """The row's key (its own, or made from its title), reported under `code` when an earlier row
    of the same kind has it; `seen` remembers each key's first row."""
    key = r.text(row, KEY, max_length=60) or slug(title)
    if key in seen:
        column = KEY if text_of(row.cells.get(KEY)) else TITLE
        r.fail(code, row.number, column, key=key, first=seen[key])
    elif key:
        seen[key] = row.number
    return key


def _indicator(
    r: _TableReader,
    row: _Row,
    by_ref: Mapping[str, _Effect],
    top: Mapping[str, _Effect],
    seen: dict[str, int],
) -> None:
    name = r.text(row, TITLE, required=True, max_length=200)
    key = _unique_key(r, row, name, seen, "duplicate_indicator")
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
    if None in (effect_key, unit, year, baseline) or not name or not key:
        return
    top[str(effect_key)].indicators.append(
        IndicatorSpec(name, unit, year, baseline, city, bool(lower), tuple(targets), key)
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
        key = _unique_key(r, row, title, seen, "duplicate_measure")
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
        plain = r.plain(row)
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
                    plain_explanation=plain,
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
                "unknown_total",
                row.number,
                KEY,
                value=name,
            )
            continue
        costs = [r.value(row, column, parse_euros) for column in (COST_1, COST_4, COST_10)]
        if name:
            totals[name] = Costs(*costs)
    return totals


_WARNING_COLUMNS = {
    "years_10": COST_10,
    "years_4": COST_4,
    "year_1": COST_1,
    "regular": REGULAR,
    "title": TITLE,
}


def _warnings(
    r: _TableReader, document: MenuDocument, measures: list[tuple[int, MeasureSpec]]
) -> None:
    rows = [number for number, _spec in measures]
    r.warnings.extend(
        menu_warnings(document, lambda i, aspect: r.where(rows[i], _WARNING_COLUMNS[aspect]))
    )
    titles: dict[str, int] = {}
    for number, spec in measures:
        folded = spec.title.casefold()
        if folded in titles:
            r.warn("duplicate_title", number, TITLE, title=spec.title, first=titles[folded])
        titles.setdefault(folded, number)


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
                PLAIN: effect.plain_explanation or None,
            }
        )
        for sub in effect.sub_effects:
            add(
                **{
                    KIND: SUB_EFFECT,
                    KEY: sub.key,
                    TITLE: sub.title,
                    DESCRIPTION: sub.description or None,
                    PLAIN: sub.plain_explanation or None,
                    UNDER: effect.key,
                }
            )
        for indicator in effect.indicators:
            add(
                **{
                    KIND: INDICATOR,
                    KEY: indicator.key,
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
                PLAIN: measure.plain_explanation or None,
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
