"""The menu wing: a menu as data (`document`), read from and written to its file formats (`files`,
`seed`, `table`, `cells`), every problem a code with parameters and a place (`problems`)."""

from app.domain.menu.document import (
    HORIZONS,
    MENU_FORMAT,
    PLAIN_EXPLANATION_MAX,
    Costs,
    EffectSpec,
    IndicatorSpec,
    MeasureSpec,
    MenuDocument,
    SubEffectSpec,
    data_quality_warnings,
    total_costs,
)
from app.domain.menu.problems import MenuProblems, Problem, Where

__all__ = [
    "HORIZONS",
    "MENU_FORMAT",
    "PLAIN_EXPLANATION_MAX",
    "Costs",
    "EffectSpec",
    "IndicatorSpec",
    "MeasureSpec",
    "MenuDocument",
    "MenuProblems",
    "Problem",
    "SubEffectSpec",
    "Where",
    "data_quality_warnings",
    "total_costs",
]
