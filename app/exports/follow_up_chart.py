"""An indicator's small chart, as geometry for a server-rendered SVG (no script, no inline style):
the way to the targets (a dashed line from the baseline through the targets), the measured
values (a solid line from the baseline), the targets and the city's average.

Coordinates are in the SVG's own units (a viewBox of WIDTH x HEIGHT); the template scales it to
the width of the page. Labels are in the reader's notation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.exports.follow_up_content import IndicatorFollowUp, value_text

WIDTH, HEIGHT = 320, 180
LEFT, RIGHT, TOP, BOTTOM = 44, 20, 14, 30


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    year: int


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Chart:
    """Everything the SVG draws, in viewBox units."""

    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    course: str  # "x,y x,y ...": baseline, then each target
    measured: str  # baseline, then each measured value
    baseline: Point
    values: tuple[Point, ...]
    targets: tuple[Point, ...]
    city: Tick | None

    @property
    def plot_width(self) -> float:
        """The width of the plotting area."""
        return self.right - self.left


def _nice_step(span: float) -> float:
    raw = span / 4 if span > 0 else 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= factor * power:
            return factor * power
    return 10.0 * power


def chart(indicator: IndicatorFollowUp) -> Chart:
    """The geometry of an indicator's chart."""
    years = [indicator.baseline_year]
    years += [t.year for t in indicator.targets] + [v.year for v in indicator.values]
    first, last = min(years), max(years)
    if last == first:
        last = first + 1
    numbers = [indicator.baseline] + [t.value for t in indicator.targets]
    numbers += [v.value for v in indicator.values]
    if indicator.city is not None:
        numbers.append(indicator.city)
    low, high = min(numbers), max(numbers)
    step = _nice_step(high - low)
    low = math.floor(low / step) * step
    high = math.ceil(high / step) * step
    if high == low:
        high = low + step
    left, right, top, bottom = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM

    def x(year: int) -> float:
        return round(float(left + (year - first) / (last - first) * (right - left)), 1)

    def y(value: float) -> float:
        return round(float(bottom - (value - low) / (high - low) * (bottom - top)), 1)

    def point(year: int, value: float) -> Point:
        return Point(x(year), y(value), value_text(value, indicator.unit), year)

    baseline = point(indicator.baseline_year, indicator.baseline)
    targets = tuple(
        point(t.year, t.value) for t in indicator.targets if t.year > indicator.baseline_year
    )
    values = tuple(
        point(v.year, v.value) for v in indicator.values if v.year > indicator.baseline_year
    )
    labelled = sorted({indicator.baseline_year, *(p.year for p in targets + values)})
    y_ticks = []
    count = round((high - low) / step)
    for index in range(count + 1):
        value = low + index * step
        y_ticks.append(Tick(y(value), value_text(value, indicator.unit)))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        x_ticks=tuple(Tick(x(year), str(year)) for year in labelled),
        y_ticks=tuple(y_ticks),
        course=" ".join(f"{p.x},{p.y}" for p in (baseline, *targets)),
        measured=" ".join(f"{p.x},{p.y}" for p in (baseline, *values)),
        baseline=baseline,
        values=values,
        targets=targets,
        city=(
            Tick(y(indicator.city), value_text(indicator.city, indicator.unit))
            if indicator.city is not None
            else None
        ),
    )
