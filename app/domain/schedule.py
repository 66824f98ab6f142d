"""The bewonersplan put in time (fasering): what each measure costs per year, and when it starts.

Cost profile. A measure's three costs are points on its cumulative cost curve, counted from the
year it starts: `cost_year_1` after its first year, `cost_years_4` after its fourth and
`cost_years_10` after its tenth. What it costs in a year is the rise of that curve, spread evenly
over the years between two points:

- year 1 costs `cost_year_1`; years 2-4 together `cost_years_4 - cost_year_1`, a third each;
  years 5-10 together `cost_years_10 - cost_years_4`, a sixth each; a "regulier" measure costs
  nothing extra in any year.
- Amounts are whole euros. A sum spread over n years gives each of them the sum divided by n,
  rounded down, and the euros left over go one each to the earliest of those years (260,000
  over three years: 86,667, 86,667, 86,666), so the years always add up to the sum exactly.
- An unknown cost is skipped: the rise is spread over the years between the known points around
  it (no year-1 cost: the 4-year cost evenly over years 1-4; no 4-year cost: the 10-year cost
  minus the year-1 cost evenly over years 2-10). After the last known point nothing is assumed
  (no 10-year cost: years 5-10 cost 0). Each case is flagged.
- A point below the one before it cannot be a cumulative cost (Palaver in the Korrewegwijk
  menu: 12,500 over 10 years against 50,000 over 4). The curve stays level there: those years
  cost 0, the row is flagged, and the source's figures are left as they are. No year is ever
  negative.

Schedule. The plan period has as many years as the binding horizon (1, 4 or 10). A measure that
starts in plan year `s` spends its own year `k` in plan year `s + k - 1`, so a later start pushes
part of its cost past the period. The money of each year is the wijkteam's; with carry-over,
what a year leaves unspent goes to the next (a year overspends when the spending up to it exceeds
the money up to it); without, each year has only its own money. The proposal walks the selected
measures in the plan's ranking order and starts each in the earliest year for which no year
overspends; a measure that fits in no year of the period gets no start year (it stays in the
plan, flagged). A measure without extra cost starts in year 1.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

PROFILE_YEARS = 10
HORIZON_YEARS = {"year_1": 1, "years_4": 4, "years_10": 10}
FORMAT = "waardenzeef-schedule/1"

# The points of the cumulative cost curve: (the measure's year, which cost).
_POINTS = ((1, "year_1"), (4, "years_4"), (10, "years_10"))


class ProfileFlag(StrEnum):
    """Why a cost profile is not simply the three costs of a consistent row."""

    NO_COSTS = "no_costs"  # none of the three costs is known: nothing is assumed
    YEAR_1_UNKNOWN = "year_1_unknown"
    YEARS_4_UNKNOWN = "years_4_unknown"
    YEARS_10_UNKNOWN = "years_10_unknown"
    YEARS_4_BELOW_YEAR_1 = "years_4_below_year_1"  # years 2-4 cost 0
    YEARS_10_BELOW_EARLIER = "years_10_below_earlier"  # the years after the earlier point cost 0


@dataclass(frozen=True)
class MeasureCosts:
    """A measure's costs in whole euros (None where unknown), and whether it is 'regulier'."""

    year_1: int | None
    years_4: int | None
    years_10: int | None
    regular: bool = False

    def __post_init__(self) -> None:
        for name in ("year_1", "years_4", "years_10"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValueError(f"cost {name} must be whole euros >= 0, not {value!r}")


@dataclass(frozen=True)
class CostProfile:
    """What a measure costs in each of its own years 1..10, and what was flagged on the way."""

    years: tuple[int, ...]
    flags: tuple[ProfileFlag, ...] = ()

    @property
    def total(self) -> int:
        """The cost over all ten years."""
        return sum(self.years)

    def within(self, years: int) -> int:
        """The cost over the measure's first `years` years."""
        return sum(self.years[:years])


def spread(total: int, years: int) -> tuple[int, ...]:
    """Whole euros spread evenly over some years; the leftover euros go to the earliest ones."""
    if years < 1 or total < 0:
        raise ValueError(f"cannot spread {total} over {years} years")
    base, extra = divmod(total, years)
    return tuple(base + 1 if year < extra else base for year in range(years))


def cost_profile(costs: MeasureCosts) -> CostProfile:
    """A measure's cost in each of its own ten years, by the rules in the module's docstring."""
    if costs.regular:
        return CostProfile((0,) * PROFILE_YEARS)
    known = [(year, getattr(costs, name)) for year, name in _POINTS]
    flags = [ProfileFlag(f"{name}_unknown") for _, name in _POINTS if getattr(costs, name) is None]
    if all(value is None for _, value in known):
        return CostProfile((0,) * PROFILE_YEARS, (ProfileFlag.NO_COSTS,))
    years: list[int] = []
    level, last_year = 0, 0
    for year, value in known:
        if value is None:
            continue
        if value < level:
            flags.append(
                ProfileFlag.YEARS_4_BELOW_YEAR_1
                if year == 4
                else ProfileFlag.YEARS_10_BELOW_EARLIER
            )
        years.extend(spread(max(0, value - level), year - last_year))
        level, last_year = max(level, value), year
    years.extend([0] * (PROFILE_YEARS - last_year))
    return CostProfile(tuple(years), tuple(flags))


@dataclass(frozen=True)
class Item:
    """A selected measure to be put in time: its stable key and its cost profile."""

    key: str
    profile: CostProfile

    @property
    def no_cost(self) -> bool:
        """Whether it costs nothing in any year (it then starts in year 1)."""
        return self.profile.total == 0


@dataclass(frozen=True)
class Money:
    """The money of each year of the plan period, and whether unspent money carries over."""

    per_year: tuple[int, ...]
    carry_over: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "per_year", tuple(self.per_year))
        if not self.per_year:
            raise ValueError("the plan period has no years")
        for amount in self.per_year:
            if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
                raise ValueError(f"money per year must be whole euros >= 0, not {amount!r}")

    @property
    def years(self) -> int:
        """How many years the plan period has."""
        return len(self.per_year)

    @property
    def total(self) -> int:
        """The money of the whole period."""
        return sum(self.per_year)


def even_money(budget: int, years: int, *, carry_over: bool = False) -> Money:
    """The budget spread evenly over the years of the period (the default)."""
    return Money(spread(budget, years), carry_over)


@dataclass(frozen=True)
class LedgerYear:
    """One year of the period: its money, what earlier years left, what is planned, what is left."""

    year: int
    money: int
    carried_in: int
    planned: int

    @property
    def available(self) -> int:
        """This year's money plus what earlier years left (with carry-over)."""
        return self.money + self.carried_in

    @property
    def left(self) -> int:
        """What remains (below zero: the year overspends)."""
        return self.available - self.planned

    @property
    def overspent(self) -> bool:
        """Whether the year spends more than it has."""
        return self.left < 0


@dataclass(frozen=True)
class Schedule:
    """Selected measures in ranking order, their start years (None: not in the period), money."""

    items: tuple[Item, ...]
    starts: Mapping[str, int | None]
    money: Money
    _spending: tuple[tuple[int, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))
        keys = [item.key for item in self.items]
        if len(set(keys)) != len(keys):
            raise ValueError("two measures share a key")
        if set(self.starts) != set(keys):
            raise ValueError("every measure needs a start year (or None), and only those")
        for key, start in self.starts.items():
            if start is not None and not 1 <= start <= self.money.years:
                raise ValueError(f"measure {key!r}: start year {start} is outside the period")
        object.__setattr__(self, "starts", MappingProxyType(dict(self.starts)))
        object.__setattr__(
            self,
            "_spending",
            tuple(_shifted(i.profile, self.starts[i.key], self.span) for i in self.items),
        )

    @property
    def years(self) -> int:
        """The years of the plan period."""
        return self.money.years

    @property
    def span(self) -> int:
        """The plan years in which a measure starting in the period can still cost something."""
        return self.years + PROFILE_YEARS - 1

    def spending(self, key: str) -> tuple[int, ...]:
        """What a measure costs in each plan year 1..span (all 0 when it has no start year)."""
        for item, spending in zip(self.items, self._spending, strict=True):
            if item.key == key:
                return spending
        raise KeyError(key)

    def planned(self, year: int) -> int:
        """What all measures together cost in a plan year."""
        return sum(spending[year - 1] for spending in self._spending)

    @property
    def ledger(self) -> tuple[LedgerYear, ...]:
        """Each year of the period: money, carried in, planned, left."""
        rows: list[LedgerYear] = []
        carried = 0
        for year, money in enumerate(self.money.per_year, start=1):
            row = LedgerYear(year, money, carried, self.planned(year))
            rows.append(row)
            carried = row.left if self.money.carry_over else 0
        return tuple(rows)

    @property
    def overspent_years(self) -> tuple[int, ...]:
        """The years that spend more than they have (empty: the schedule can be adopted)."""
        return tuple(row.year for row in self.ledger if row.overspent)

    @property
    def unscheduled(self) -> tuple[str, ...]:
        """Measures with extra cost that have no start year in the period."""
        return tuple(i.key for i in self.items if self.starts[i.key] is None and not i.no_cost)

    @property
    def in_period(self) -> int:
        """What the schedule spends within the period."""
        return sum(self.planned(year) for year in range(1, self.years + 1))

    def after_period(self, key: str | None = None, *, within: int = PROFILE_YEARS) -> int:
        """What a measure (or all) costs after the period, of its first `within` own years."""
        total = 0
        for item in self.items:
            start = self.starts[item.key]
            if (key is None or item.key == key) and start is not None:
                past = max(0, self.years - start + 1)  # own years that fall in the period
                total += sum(item.profile.years[past:within])
        return total

    @property
    def outlook(self) -> tuple[tuple[int, int], ...]:
        """(plan year, cost) for each year after the period up to the last that costs anything."""
        rows = [(year, self.planned(year)) for year in range(self.years + 1, self.span + 1)]
        while rows and rows[-1][1] == 0:
            rows.pop()
        return tuple(rows)


def _shifted(profile: CostProfile, start: int | None, span: int) -> tuple[int, ...]:
    if start is None:
        return (0,) * span
    before = start - 1
    return ((0,) * before + profile.years + (0,) * span)[:span]


def _fits(spending: Sequence[int], money: Money) -> bool:
    available = 0
    for year, amount in enumerate(money.per_year):
        available = (available if money.carry_over else 0) + amount - spending[year]
        if available < 0:
            return False
    return True


def propose(items: Iterable[Item], money: Money) -> dict[str, int | None]:
    """Start years in ranking order: each measure in the earliest year where no year overspends."""
    span = money.years + PROFILE_YEARS - 1
    spending = [0] * span
    starts: dict[str, int | None] = {}
    for item in items:
        starts[item.key] = None
        for start in range(1, money.years + 1):
            trial = [
                a + b for a, b in zip(spending, _shifted(item.profile, start, span), strict=True)
            ]
            if item.no_cost or _fits(trial, money):
                starts[item.key] = start
                spending = trial
                break
    return starts


def fingerprint(schedule: Schedule, *, plan_fingerprint: str, horizon: str) -> str:
    """SHA-256 of a canonical text of the plan's fingerprint and the whole schedule."""
    lines = [
        FORMAT,
        f"plan {plan_fingerprint}",
        f"horizon {horizon}",
        f"money {' '.join(str(m) for m in schedule.money.per_year)}",
        f"carry_over {'yes' if schedule.money.carry_over else 'no'}",
    ]
    for item in schedule.items:
        start = schedule.starts[item.key]
        lines.append(
            f"measure {item.key} start {'-' if start is None else start} "
            f"profile {' '.join(str(c) for c in item.profile.years)}"
        )
    return hashlib.sha256(("\n".join(lines) + "\n").encode()).hexdigest()
