"""The plan put in time, as data: what the schedule page, the plan's downloads and the API render.

Amounts are whole euros. Years are years of the plan period (1 = the first year); a measure's
`profile` is in its own years (1 = the year it starts). How the profile is made from the three
costs, and how the proposal is made, is documented in `app/domain/schedule.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.i18n import euro
from app.i18n import gettext as _

SCHEDULE_SCHEMA_VERSION = 1

ProfileFlagName = Literal[
    "no_costs",
    "year_1_unknown",
    "years_4_unknown",
    "years_10_unknown",
    "years_4_below_year_1",
    "years_10_below_earlier",
]
ScheduleNote = Literal[
    "money_differs_from_budget",  # the money per year does not add up to the plan's budget
    "binding_cost_differs",  # a flagged row's years do not add up to its binding cost
]


class ScheduledMeasure(BaseModel):
    """A selected measure in time: its yearly costs, its start year, what falls in the period."""

    rank: int
    key: str
    title: str
    is_regular: bool
    cost_year_1: int | None
    cost_years_4: int | None
    cost_years_10: int | None
    binding_cost: int
    profile: list[int] = Field(description="Cost in each of its own years 1..10, whole euros.")
    flags: list[ProfileFlagName] = Field(description="Why the profile is not the plain rule.")
    start_year: int | None = Field(description="Year of the period it starts; null: not in it.")
    by_year: list[int] = Field(description="What it costs in each year of the period.")
    in_period: int
    after_period_binding: int = Field(
        description="Of its cost over the binding horizon, what falls after the period."
    )
    after_period: int = Field(description="All it costs after the period (of its 10 years).")

    @property
    def no_cost(self) -> bool:
        """Whether it costs nothing in any year."""
        return sum(self.profile) == 0

    @property
    def unscheduled(self) -> bool:
        """Whether it has extra cost and no start year in the period."""
        return self.start_year is None and not self.no_cost

    @property
    def last_year(self) -> int | None:
        """The last plan year in which it costs something (None: never)."""
        if self.start_year is None:
            return None
        own = [k for k, amount in enumerate(self.profile, start=1) if amount]
        return self.start_year + own[-1] - 1 if own else None

    def flag_texts(self) -> list[str]:
        """Each flag in the reader's language."""
        return [flag_text(flag, self) for flag in self.flags]


def flag_text(flag: str, m: ScheduledMeasure) -> str:
    """What a cost-profile flag means for this measure."""
    texts = {
        "no_costs": _("No cost is known: it costs nothing here."),
        "year_1_unknown": _("The cost in year 1 is unknown: the 4-year cost is spread evenly."),
        "years_4_unknown": _("The 4-year cost is unknown: the 10-year cost is spread evenly."),
        "years_10_unknown": _("The 10-year cost is unknown: nothing is counted after year 4."),
        "years_4_below_year_1": _(
            "The 4-year cost (%(years_4)s) is below the cost of year 1 (%(year_1)s): years 2 to "
            "4 cost nothing here."
        ),
        "years_10_below_earlier": _(
            "The 10-year cost (%(years_10)s) is below the 4-year cost (%(years_4)s), as the "
            "source prints it: years 5 to 10 cost nothing here."
        ),
    }
    return texts[flag] % {
        "year_1": euro(m.cost_year_1),
        "years_4": euro(m.cost_years_4),
        "years_10": euro(m.cost_years_10),
    }


class ScheduleYear(BaseModel):
    """One year of the period in the ledger."""

    year: int
    money: int = Field(description="This year's own money.")
    carried_in: int = Field(description="Left by earlier years (with carry-over; else 0).")
    available: int
    planned: int
    left: int = Field(description="Below 0: the year overspends.")
    overspent: bool


class OutlookYear(BaseModel):
    """What the selected measures cost in a year after the period."""

    year: int
    planned: int


class ScheduleContent(BaseModel):
    """An adopted plan put in time: start years, ledger per year, and the 10-year outlook."""

    schema_version: int = SCHEDULE_SCHEMA_VERSION
    state: Literal["proposed", "draft", "adopted"] = Field(
        description="proposed: nothing saved yet; draft: saved, not adopted; adopted: immutable."
    )
    schedule_id: int | None = None
    process_id: int
    plan_snapshot_id: int
    plan_fingerprint: str
    fingerprint: str = Field(description="SHA-256 of the plan's fingerprint and this schedule.")
    horizon: str
    years: int = Field(description="Years in the plan period (the binding horizon).")
    budget: int = Field(description="The plan's budget.")
    carry_over: bool = Field(description="Whether money left in a year goes to the next.")
    money: list[int] = Field(description="The money of each year of the period.")
    measures: list[ScheduledMeasure] = Field(description="Selected measures, in ranking order.")
    ledger: list[ScheduleYear]
    overspent_years: list[int]
    unscheduled_keys: list[str] = Field(description="Measures that fit in no year of the period.")
    plan_total: int = Field(description="What the plan spends over the binding horizon.")
    in_period: int
    after_period_binding: int = Field(
        description="Of the binding horizon's costs, what falls after the period (later starts)."
    )
    after_period: int = Field(description="All the selected measures cost after the period.")
    ten_year_total: int = Field(description="All the selected measures cost in their 10 years.")
    outlook: list[OutlookYear] = Field(description="Each year after the period that costs.")
    notes: list[ScheduleNote]
    computed_at: datetime
    adopted_at: datetime | None = None

    @property
    def adoptable(self) -> bool:
        """Whether no year overspends."""
        return not self.overspent_years

    @property
    def money_total(self) -> int:
        """The money of the whole period."""
        return sum(self.money)

    @property
    def left(self) -> int:
        """What the period leaves unspent."""
        return self.money_total - self.in_period

    @property
    def last_year(self) -> int:
        """The last plan year the timeline shows: the period, and every year that still costs."""
        years = [m.last_year for m in self.measures if m.last_year is not None]
        return max([self.years, *years])

    def note_text(self, note: str) -> str:
        """What a schedule note says, in the reader's language."""
        if note == "money_differs_from_budget":
            return _(
                "The money per year adds up to %(money)s; the plan's budget is %(budget)s."
            ) % {"money": euro(self.money_total), "budget": euro(self.budget)}
        return _(
            "For measures whose costs are flagged, the years do not add up to the cost the plan "
            "counted; see the flags."
        )
