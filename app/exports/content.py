"""The bewonersplan as data: what the plan page, every download and the JSON API render.

Amounts are whole euros (`int`) where they are costs or budgets and euros with cents (`float`,
rounded to cents) where they are a share of a cost; contributions are floats for reading, with
the exact fraction beside them as text where a recount needs it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.exports.schedule_content import ScheduleContent
from app.i18n import euro
from app.i18n import gettext as _

SCHEMA_VERSION = 1
PUBLIC_MIN_GROUP = 5  # a group smaller than this is not shown apart in the public plan

Note = Literal[
    "skipped_not_zero",  # a participant who skipped a measure does not count as 0 for it
    "stand_in_weights",  # some raters did not weigh: the group's mean weights stood in
    "no_closed_rounds",  # no round has been closed yet: nothing to rank
    "small_groups_hidden",  # public version: groups under PUBLIC_MIN_GROUP are not shown apart
    "unlinked_measures",  # measures linked to no effect cannot be rated and are left out
]


class PlanProcess(BaseModel):
    id: int
    title: str
    neighbourhood: str
    municipality: str
    version: int
    budget_eur: int
    cost_horizon: str = Field(description="year_1, years_4 or years_10: the cost that binds.")


class GroupSupport(BaseModel):
    """How one stakeholder group valued a measure."""

    group: str | None = Field(description="bewoner, ondernemer, student, werker, or null.")
    rated_by: int
    weighted_contribution: float | None
    in_packages: int


class PlanLine(BaseModel):
    """One measure in the plan: its place, costs, contribution, spread, support and verdict."""

    rank: int
    measure_id: int
    key: str
    title: str
    group: str = Field(description="Title of the effect the measure is listed under.")
    cost_year_1: int | None
    cost_years_4: int | None
    cost_years_10: int | None
    binding_cost: int
    is_regular: bool
    weighted_contribution: float = Field(description="V_m: mean of v_pm over its raters (0..3).")
    weighted_contribution_exact: str = Field(description="V_m as an exact fraction.")
    value_per_euro: float | None = Field(description="V_m per 1,000 euro; null for no cost.")
    standard_deviation: float
    interquartile_range: float
    rated_by: int
    skipped_by: int
    in_packages: int
    support_by_group: list[GroupSupport]
    in_discussion_list: bool
    selected: bool
    position: int | None = Field(description="Order in which the rule selected it.")
    verdict: Literal["selected", "did_not_fit", "no_support", "supporters_short", "not_in_optimum"]
    money_at_turn: float | None
    shortfall: float | None
    budget_needed: float | None
    supporters_needed: int | None
    money_per_effect: dict[str, float] = Field(description="Effect key -> euros of its cost.")

    def reason(self) -> str:
        """Why it is in or out, in the reader's language."""
        if self.verdict == "selected":
            if self.is_regular or self.binding_cost == 0:
                return _("In the plan: no extra cost.")
            return _("In the plan, as number %(position)s.") % {"position": self.position}
        if self.verdict == "did_not_fit":
            return _(
                "Did not fit: only %(left)s was left at its turn; it would have fitted with a "
                "budget of %(needed)s."
            ) % {
                "left": euro(_round(self.money_at_turn)),
                "needed": euro(_round(self.budget_needed)),
            }
        if self.verdict == "no_support":
            return _("Out: nobody valued it above zero.")
        if self.verdict == "supporters_short":
            return _(
                "Out: its supporters had %(money)s left, %(short)s short; it needed at least "
                "%(needed)s supporters."
            ) % {
                "money": euro(_round(self.money_at_turn)),
                "short": euro(_round(self.shortfall)),
                "needed": self.supporters_needed,
            }
        return _("Out: the best combination within the budget does without it.")


def _round(value: float | None) -> int | None:
    return None if value is None else round(value)


class IndicatorTarget(BaseModel):
    name: str
    unit: str
    lower_is_better: bool
    baseline_year: int
    baseline_value: float
    city_value: float | None
    targets: dict[int, float]


class EffectMoney(BaseModel):
    """The money the selection puts into a desired effect or sub-effect."""

    effect_id: int
    key: str
    title: str
    parent_key: str | None
    money: float = Field(description="Euros on this effect itself.")
    total: float = Field(description="Euros on this effect and its sub-effects.")
    measure_keys: list[str]
    indicators: list[IndicatorTarget]


class Ledger(BaseModel):
    available: int
    spent: int
    left: int


class GroupTurnout(BaseModel):
    group: str | None
    phone: int
    paper: int


class RoundTurnout(BaseModel):
    """One closed round the plan uses: who took part, on the phone and on paper."""

    kind: Literal["wegen", "zeven", "kiezen"]
    round_id: int
    run: int
    meeting: str
    closed_at: datetime | None
    phone: int
    paper: int
    by_group: list[GroupTurnout]


class RuleOutcome(BaseModel):
    """One selection rule on the same ballots, for comparison."""

    rule: str
    selected_keys: list[str]
    spent: int
    total_contribution: float
    differs: bool = Field(description="Whether its selection differs from the plan's rule.")


class Scenario(BaseModel):
    """A what-if: the budget 10% lower or higher, or one group's weights for everyone."""

    kind: Literal["budget_down", "budget_up", "group_weights"]
    group: str | None
    budget: int
    selected_keys: list[str]
    entered_keys: list[str]
    left_keys: list[str]


class PlanContent(BaseModel):
    """The bewonersplan: ranked measures, ledger, money per effect, turnout, method, fingerprint."""

    schema_version: int = SCHEMA_VERSION
    process: PlanProcess
    computed_at: datetime
    rule: str
    ranked_by: str
    parameters: dict[str, str | int | float | bool]
    fingerprint: str = Field(description="SHA-256 of the anonymised ballots (see the .pb file).")
    public: bool = Field(description="The public version: small groups are not shown.")
    measures: list[PlanLine]
    ledger: Ledger
    money_per_effect: list[EffectMoney]
    turnout: list[RoundTurnout]
    participants: int
    own_weights: int
    stand_in_weights: int
    rules: list[RuleOutcome]
    scenarios: list[Scenario]
    notes: list[Note] = Field(description="What the reader must know to read the plan right.")
    adopted_at: datetime | None = None
    schedule: ScheduleContent | None = Field(
        default=None, description="The adopted plan's latest adopted schedule, if any."
    )
    snapshot_id: int | None = None
