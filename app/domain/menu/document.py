"""A menu of measures as data: the document every menu format reads into and writes from,
its totals and its data-quality warnings.

A field added to a measure or effect is added here (the spec), in the seed format
(`seed.py`, both ways), in the table format (`table.py`: a column, both ways), in the read model
(`app/services/menu_read.py`) and in the loader (`app/services/menus.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from app.domain.menu.cells import slug
from app.domain.menu.problems import Problem, Where
from app.domain.vocabulary import CostHorizon, IndicatorUnit

MENU_FORMAT = "waardenzeef-menu/1"
# A plain explanation for residents is one or two sentences: longer is refused, with its place.
PLAIN_EXPLANATION_MAX = 400
HORIZONS: tuple[CostHorizon, ...] = (CostHorizon.YEAR_1, CostHorizon.YEARS_4, CostHorizon.YEARS_10)


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
    """An indicator of the liveability monitor with its baseline, city average and targets.

    Its key names it within the process (measured values, files and the API use it); a file that
    gives none gets one made from the name.
    """

    name: str
    unit: IndicatorUnit
    baseline_year: int
    baseline: Decimal
    city: Decimal | None = None
    lower_is_better: bool = False
    targets: tuple[tuple[int, Decimal], ...] = ()
    key: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", slug(self.name) or "indicator")


@dataclass(frozen=True)
class SubEffectSpec:
    """A sub-effect of a desired effect."""

    key: str
    title: str
    description: str = ""
    plain_explanation: str = ""


@dataclass(frozen=True)
class EffectSpec:
    """A desired effect with its sub-effects and indicators.

    `description` is the official wording (the action plan's); `plain_explanation` says in one or
    two plain sentences what the effect means in daily life, for residents ('' when not given).
    """

    key: str
    title: str
    description: str = ""
    sub_effects: tuple[SubEffectSpec, ...] = ()
    indicators: tuple[IndicatorSpec, ...] = ()
    plain_explanation: str = ""


@dataclass(frozen=True)
class MeasureSpec:
    """A measure on the menu: its costs, the group it is listed under and the effects it serves.

    `plain_explanation` says in one or two plain sentences what the measure does for a resident
    ('' when not given); `description` is the wijkteam's own wording.
    """

    key: str
    title: str
    group: str
    effects: tuple[str, ...]
    costs: Costs = Costs()
    regular: bool = False
    description: str = ""
    organisation: str = ""
    plain_explanation: str = ""


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


def total_costs(measures: Sequence[MeasureSpec]) -> Costs:
    """The sum of the measures' costs per horizon (a missing cost counts as none)."""
    return Costs(*(sum(m.costs.as_tuple()[i] or 0 for m in measures) for i in range(3)))


# What a warning about a measure is about: a cost horizon's value, "regular" or "title".
Place = Callable[[int, str], Where]


def measure_entry(measure: MeasureSpec) -> str:
    """How a measure is named where no row number can: its key and title."""
    return f"measure '{measure.key}' ({measure.title})"


def _measure_warnings(m: MeasureSpec) -> list[tuple[str, Problem]]:
    found: list[tuple[str, Problem]] = []
    y1, y4, y10 = m.costs.as_tuple()
    for longer, shorter, high, low in (
        ("years_10", "years_4", y10, y4),
        ("years_4", "year_1", y4, y1),
    ):
        if high is not None and low is not None and high < low:
            params = {
                "measure": m.title,
                "longer": longer,
                "shorter": shorter,
                "longer_eur": high,
                "shorter_eur": low,
            }
            found.append((longer, Problem("cost_decreases", params)))
    if not m.regular and all(c is None for c in (y1, y4, y10)):
        found.append(("years_4", Problem("no_costs", {"measure": m.title})))
    if m.regular and any(c for c in (y1, y4, y10)):
        found.append(("regular", Problem("regular_with_costs", {"measure": m.title})))
    return found


def _total_warnings(
    measures: Sequence[MeasureSpec], stated_totals: Mapping[str, Costs]
) -> list[Problem]:
    found = []
    for name, stated in stated_totals.items():
        rows = measures if name == "menu" else [m for m in measures if m.group == name]
        computed = total_costs(rows)
        for horizon, got, want in zip(
            HORIZONS, computed.as_tuple(), stated.as_tuple(), strict=True
        ):
            if want is not None and got != want:
                params = {
                    "total": name,
                    "horizon": horizon.value,
                    "computed_eur": got,
                    "stated_eur": want,
                }
                found.append(Problem("total_mismatch", params, Where(entry=f"total '{name}'")))
    return found


def data_quality_warnings(
    measures: Sequence[MeasureSpec], stated_totals: Mapping[str, Costs] | None = None
) -> list[Problem]:
    """Rows whose costs look wrong, and stated totals that the rows do not add up to."""
    found = [
        problem.at(entry=measure_entry(m))
        for m in measures
        for _aspect, problem in _measure_warnings(m)
    ]
    return found + _total_warnings(measures, stated_totals or {})


def menu_warnings(document: MenuDocument, place: Place) -> list[Problem]:
    """Every warning a menu file gets: data quality, measures dearer than the whole budget,
    totals, an empty menu; `place(i, aspect)` says where measure i's warning stands."""
    found = []
    for index, spec in enumerate(document.measures):
        for aspect, problem in _measure_warnings(spec):
            found.append(problem.at(**vars(place(index, aspect))))
        cost = spec.costs.at(document.cost_horizon)
        if cost is not None and not spec.regular and cost > document.budget_eur:
            params = {
                "measure": spec.title,
                "cost_eur": cost,
                "horizon": document.cost_horizon.value,
                "budget_eur": document.budget_eur,
            }
            where = place(index, document.cost_horizon.value)
            found.append(Problem("over_budget", params, where))
    found += _total_warnings(document.measures, document.stated_totals)
    if not document.measures:
        found.append(Problem("no_measures"))
    return found
