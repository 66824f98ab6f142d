"""A menu of measures as data: parsing a menu document, its totals and its data-quality warnings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from app.domain.vocabulary import CostHorizon, IndicatorUnit

MENU_FORMAT = "waardenzeef-menu/1"
HORIZONS: tuple[CostHorizon, ...] = (CostHorizon.YEAR_1, CostHorizon.YEARS_4, CostHorizon.YEARS_10)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a menu document: where (entry, field) and what."""

    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.entry}, field '{self.field}'" if self.field else self.entry
        return f"{where}: {self.message}"


class MenuFormatError(ValueError):
    """A menu document that cannot be loaded; lists every problem found, not just the first."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(
            f"{source}: {len(self.problems)} problem(s), nothing was written:\n{lines}"
        )


@dataclass(frozen=True)
class Costs:
    """A measure's costs in whole euros for year 1, 4 years and 10 years; None where unknown."""

    year_1: int | None = None
    years_4: int | None = None
    years_10: int | None = None

    def at(self, horizon: CostHorizon) -> int | None:
        """The cost for this horizon."""
        return {
            CostHorizon.YEAR_1: self.year_1,
            CostHorizon.YEARS_4: self.years_4,
            CostHorizon.YEARS_10: self.years_10,
        }[horizon]

    def as_tuple(self) -> tuple[int | None, int | None, int | None]:
        """The three costs in horizon order."""
        return (self.year_1, self.years_4, self.years_10)


@dataclass(frozen=True)
class IndicatorSpec:
    """An indicator of the liveability monitor with its baseline, city average and targets."""

    name: str
    unit: IndicatorUnit
    baseline_year: int
    baseline: Decimal
    city: Decimal | None = None
    lower_is_better: bool = False
    targets: tuple[tuple[int, Decimal], ...] = ()


@dataclass(frozen=True)
class SubEffectSpec:
    """A sub-effect of a desired effect."""

    key: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class EffectSpec:
    """A desired effect with its sub-effects and indicators."""

    key: str
    title: str
    description: str = ""
    sub_effects: tuple[SubEffectSpec, ...] = ()
    indicators: tuple[IndicatorSpec, ...] = ()


@dataclass(frozen=True)
class MeasureSpec:
    """A measure on the menu: its costs, the group it is listed under and the effects it serves."""

    key: str
    title: str
    group: str
    effects: tuple[str, ...]
    costs: Costs = Costs()
    regular: bool = False
    description: str = ""
    organisation: str = ""


@dataclass(frozen=True)
class MenuDocument:
    """A whole menu: neighbourhood, process and budget, effects, measures, stated totals."""

    seed_key: str
    neighbourhood_name: str
    municipality: str
    title: str
    budget_eur: int
    cost_horizon: CostHorizon
    effects: tuple[EffectSpec, ...]
    measures: tuple[MeasureSpec, ...]
    description: str = ""
    budget_note: str = ""
    source: str = ""
    stated_totals: Mapping[str, Costs] = field(default_factory=dict)


@dataclass(frozen=True)
class Warning:
    """A data-quality remark that does not stop a load: the row stays as the source has it.

    `code` and `params` let a page say the same thing in the reader's language.
    """

    entry: str
    message: str
    code: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.entry}: {self.message}"


def total_costs(measures: Sequence[MeasureSpec]) -> Costs:
    """The sum of the measures' costs per horizon (a missing cost counts as none)."""
    return Costs(*(sum(m.costs.as_tuple()[i] or 0 for m in measures) for i in range(3)))


def data_quality_warnings(
    measures: Sequence[MeasureSpec], stated_totals: Mapping[str, Costs] | None = None
) -> list[Warning]:
    """Rows whose costs look wrong, and stated totals that the rows do not add up to."""
    warnings: list[Warning] = []
    for m in measures:
        entry = f"measure '{m.key}' ({m.title})"
        y1, y4, y10 = m.costs.as_tuple()
        if y4 is not None and y10 is not None and y10 < y4:
            warnings.append(
                Warning(
                    entry,
                    f"the 10-year cost ({y10:,} euro) is below the 4-year cost "
                    f"({y4:,} euro); a longer period cannot cost less",
                    "cost_decreases",
                    {
                        "measure": m.title,
                        "longer": "years_10",
                        "shorter": "years_4",
                        "longer_cost": y10,
                        "shorter_cost": y4,
                    },
                )
            )
        if y1 is not None and y4 is not None and y4 < y1:
            warnings.append(
                Warning(
                    entry,
                    f"the 4-year cost ({y4:,} euro) is below the year-1 cost "
                    f"({y1:,} euro); a longer period cannot cost less",
                    "cost_decreases",
                    {
                        "measure": m.title,
                        "longer": "years_4",
                        "shorter": "year_1",
                        "longer_cost": y4,
                        "shorter_cost": y1,
                    },
                )
            )
        if not m.regular and all(c is None for c in (y1, y4, y10)):
            warnings.append(
                Warning(
                    entry,
                    "no costs and not marked as regular (no extra cost)",
                    "no_costs",
                    {"measure": m.title},
                )
            )
        if m.regular and any(c for c in (y1, y4, y10)):
            warnings.append(
                Warning(
                    entry,
                    "marked as regular (no extra cost) but has costs",
                    "regular_with_costs",
                    {"measure": m.title},
                )
            )
    for name, stated in (stated_totals or {}).items():
        rows = measures if name == "menu" else [m for m in measures if m.group == name]
        computed = total_costs(rows)
        for horizon, got, want in zip(
            HORIZONS, computed.as_tuple(), stated.as_tuple(), strict=True
        ):
            if want is not None and got != want:
                warnings.append(
                    Warning(
                        f"total '{name}'",
                        f"the rows add up to {got:,} euro for "
                        f"{horizon.value}, the source states {want:,} euro",
                        "total_mismatch",
                        {"total": name, "horizon": horizon.value, "computed": got, "stated": want},
                    )
                )
    return warnings


# --- parsing ---------------------------------------------------------------------------------


class _Reader:
    """Collects problems while reading fields, so that one pass reports them all."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, entry: str, field_name: str, message: str) -> None:
        self.problems.append(Problem(entry, field_name, message))

    def text(
        self,
        data: Mapping[str, Any],
        entry: str,
        name: str,
        *,
        required: bool = True,
        max_length: int = 300,
    ) -> str:
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(entry, name, "is missing")
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.fail(entry, name, f"must be text, not {type(value).__name__}")
            return ""
        text = str(value).strip()
        if len(text) > max_length:
            self.fail(entry, name, f"is {len(text)} characters long; at most {max_length}")
        return text

    def euros(self, value: Any, entry: str, name: str) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                self.fail(entry, name, f"{value!r} is not a whole number of euros")
                return None
        if value < 0:
            self.fail(entry, name, f"{value} is negative; a cost is 0 or more")
            return None
        return int(value)

    def number(self, value: Any, entry: str, name: str) -> Decimal | None:
        if value is None or isinstance(value, bool):
            self.fail(entry, name, "is missing or not a number")
            return None
        try:
            return Decimal(str(value).replace(",", "."))
        except InvalidOperation:
            self.fail(entry, name, f"{value!r} is not a number")
            return None

    def mapping(self, value: Any, entry: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.fail(entry, "", f"must be a mapping of fields, not {type(value).__name__}")
            return {}
        return value

    def sequence(self, data: Mapping[str, Any], entry: str, name: str) -> list[Any]:
        value = data.get(name, [])
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(entry, name, f"must be a list, not {type(value).__name__}")
            return []
        return value


def parse_menu_document(data: Any, source: str) -> MenuDocument:
    """Read a menu document (parsed YAML or JSON) or raise MenuFormatError naming every problem."""
    r = _Reader()
    top = r.mapping(data, "document")
    if top and top.get("format") != MENU_FORMAT:
        r.fail("document", "format", f"must be '{MENU_FORMAT}', found {top.get('format')!r}")
    seed_key = r.text(top, "document", "seed_key", max_length=80)
    hood = r.mapping(top.get("neighbourhood"), "neighbourhood")
    process = r.mapping(top.get("process"), "process")
    title = r.text(process, "process", "title", max_length=200)
    budget = r.euros(process.get("budget_eur"), "process", "budget_eur")
    if budget is None and "budget_eur" not in process:
        r.fail("process", "budget_eur", "is missing")
    horizon_value = process.get("cost_horizon", CostHorizon.YEARS_4.value)
    try:
        horizon = CostHorizon(horizon_value)
    except ValueError:
        r.fail(
            "process",
            "cost_horizon",
            f"{horizon_value!r} is not one of {', '.join(h.value for h in CostHorizon)}",
        )
        horizon = CostHorizon.YEARS_4

    effects: list[EffectSpec] = []
    effect_keys: set[str] = set()
    for i, raw in enumerate(r.sequence(top, "document", "effects"), start=1):
        effect = _parse_effect(r, raw, f"effect {i}", effect_keys)
        if effect is not None:
            effects.append(effect)
    if not effects and "effects" in top:
        r.fail("document", "effects", "lists no desired effect")
    top_keys = {e.key for e in effects}

    measures: list[MeasureSpec] = []
    measure_keys: set[str] = set()
    for i, raw in enumerate(r.sequence(top, "document", "measures"), start=1):
        measure = _parse_measure(
            r, raw, f"measure {i}", top_keys | effect_keys, top_keys, measure_keys
        )
        if measure is not None:
            measures.append(measure)

    stated: dict[str, Costs] = {}
    totals = top.get("stated_totals") or {}
    for name, values in r.mapping(totals, "stated_totals").items():
        entry = f"stated_totals '{name}'"
        if name != "menu" and name not in top_keys:
            r.fail(entry, "", "names no desired effect (use an effect key or 'menu')")
        if not isinstance(values, list) or len(values) != 3:
            r.fail(entry, "", "must list three amounts: year 1, 4 years, 10 years")
            continue
        stated[str(name)] = Costs(
            *(r.euros(v, entry, h.value) for v, h in zip(values, HORIZONS, strict=True))
        )

    if r.problems:
        raise MenuFormatError(source, r.problems)
    assert budget is not None
    return MenuDocument(
        seed_key=seed_key,
        neighbourhood_name=r.text(hood, "neighbourhood", "name", max_length=120),
        municipality=r.text(hood, "neighbourhood", "municipality", max_length=120),
        title=title,
        budget_eur=budget,
        cost_horizon=horizon,
        effects=tuple(effects),
        measures=tuple(measures),
        description=r.text(process, "process", "description", required=False, max_length=4000),
        budget_note=r.text(process, "process", "budget_note", required=False, max_length=2000),
        source=r.text(top, "document", "source", required=False, max_length=400),
        stated_totals=stated,
    )


def _parse_effect(r: _Reader, raw: Any, entry: str, seen: set[str]) -> EffectSpec | None:
    data = r.mapping(raw, entry)
    if not data:
        return None
    key = r.text(data, entry, "key", max_length=60)
    if key:
        entry = f"effect '{key}'"
        if key in seen:
            r.fail(entry, "key", "is used twice")
        seen.add(key)
    subs: list[SubEffectSpec] = []
    for j, raw_sub in enumerate(r.sequence(data, entry, "sub_effects"), start=1):
        sub_entry = f"{entry}, sub-effect {j}"
        sub = r.mapping(raw_sub, sub_entry)
        sub_key = r.text(sub, sub_entry, "key", max_length=60)
        if sub_key in seen:
            r.fail(sub_entry, "key", f"'{sub_key}' is used twice")
        seen.add(sub_key)
        subs.append(
            SubEffectSpec(
                sub_key,
                r.text(sub, sub_entry, "title"),
                r.text(sub, sub_entry, "description", required=False, max_length=4000),
            )
        )
    indicators = [
        _parse_indicator(r, raw_ind, f"{entry}, indicator {j}")
        for j, raw_ind in enumerate(r.sequence(data, entry, "indicators"), start=1)
    ]
    return EffectSpec(
        key=key,
        title=r.text(data, entry, "title"),
        description=r.text(data, entry, "description", required=False, max_length=4000),
        sub_effects=tuple(subs),
        indicators=tuple(i for i in indicators if i is not None),
    )


def _parse_indicator(r: _Reader, raw: Any, entry: str) -> IndicatorSpec | None:
    data = r.mapping(raw, entry)
    if not data:
        return None
    name = r.text(data, entry, "name", max_length=200)
    if name:
        entry = f"{entry} ('{name}')"
    unit_value = data.get("unit")
    try:
        unit = IndicatorUnit(str(unit_value))
    except ValueError:
        r.fail(
            entry,
            "unit",
            f"{unit_value!r} is not one of {', '.join(u.value for u in IndicatorUnit)}",
        )
        unit = IndicatorUnit.SCORE
    year = data.get("baseline_year")
    if not isinstance(year, int) or isinstance(year, bool):
        r.fail(entry, "baseline_year", f"{year!r} is not a year")
        year = 0
    baseline = r.number(data.get("baseline"), entry, "baseline")
    city = r.number(data["city"], entry, "city") if data.get("city") is not None else None
    targets: list[tuple[int, Decimal]] = []
    for raw_year, value in r.mapping(data.get("targets") or {}, f"{entry}, targets").items():
        # JSON has only text keys, so "2010" is a year as much as 2010 is.
        year_text = str(raw_year).strip()
        if isinstance(raw_year, bool) or not year_text.isdigit():
            r.fail(entry, "targets", f"{raw_year!r} is not a year")
            continue
        target_year = int(year_text)
        number = r.number(value, entry, f"targets.{target_year}")
        if number is not None:
            targets.append((target_year, number))
    if baseline is None:
        return None
    return IndicatorSpec(
        name,
        unit,
        year,
        baseline,
        city,
        bool(data.get("lower_is_better", False)),
        tuple(sorted(targets)),
    )


def _parse_measure(
    r: _Reader, raw: Any, entry: str, effect_keys: set[str], top_keys: set[str], seen: set[str]
) -> MeasureSpec | None:
    data = r.mapping(raw, entry)
    if not data:
        return None
    key = r.text(data, entry, "key", max_length=60)
    if key:
        entry = f"measure '{key}'"
        if key in seen:
            r.fail(entry, "key", "is used twice (duplicate measure)")
        seen.add(key)
    group = r.text(data, entry, "group", max_length=60)
    if group and group in effect_keys and group not in top_keys:
        r.fail(
            entry, "group", f"'{group}' is a sub-effect; list the measure under its desired effect"
        )
    elif group and group not in effect_keys:
        r.fail(entry, "group", f"'{group}' is not a desired effect of this menu")
    effects = data.get("effects", [group] if group else [])
    if not isinstance(effects, list) or not all(isinstance(e, str) for e in effects):
        r.fail(entry, "effects", "must be a list of effect keys")
        effects = []
    for effect in effects:
        if effect not in effect_keys:
            r.fail(entry, "effects", f"'{effect}' is not a desired effect of this menu")
    regular = data.get("regular", False)
    if not isinstance(regular, bool):
        r.fail(entry, "regular", f"must be true or false, not {regular!r}")
        regular = False
    raw_costs = data.get("costs", [None, None, None])
    if not isinstance(raw_costs, list) or len(raw_costs) != 3:
        r.fail(entry, "costs", "must list three amounts: year 1, 4 years, 10 years")
        raw_costs = [None, None, None]
    costs = Costs(
        *(r.euros(v, entry, f"costs.{h.value}") for v, h in zip(raw_costs, HORIZONS, strict=True))
    )
    return MeasureSpec(
        key=key,
        title=r.text(data, entry, "title"),
        group=group,
        effects=tuple(dict.fromkeys(effects)),
        costs=costs,
        regular=regular,
        description=r.text(data, entry, "description", required=False, max_length=4000),
        organisation=r.text(data, entry, "organisation", required=False, max_length=200),
    )
