"""The bewonersplan as data: what the plan page, every download and the JSON API render.

Amounts are whole euros (`int`) where they are costs or budgets and euros with cents (`float`,
rounded to cents) where they are a share of a cost; contributions are floats for reading, with
the exact fraction beside them as text where a recount needs it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from app.exports.schedule_content import ScheduleContent

SCHEMA_VERSION = 2

Note = Literal[
    "skipped_not_zero",  # a participant who skipped a measure does not count as 0 for it
    "stand_in_weights",  # some raters did not weigh: the group's mean weights stood in
    "no_closed_rounds",  # no round has been closed yet: nothing to rank
    "small_groups_hidden",  # groups of fewer than 5 people are not shown apart
    "unlinked_measures",  # measures linked to no effect cannot be rated and are left out
    "unvalued_never_selected",  # what nobody valued is never selected, under every rule
]

Why = Literal[
    "fitted",
    "no_cost",
    "in_optimum",
    "shares",
    "completion",
    "greedy_fitted",
    "did_not_fit",
    "not_in_optimum",
    "supporters_short",
    "greedy_did_not_fit",
    "too_expensive",
    "unvalued",
    "free_not_counted",
]

# The completions of equal shares (app/domain/allocation/completion.py).
Completion = Literal["add1", "add1-greedy", "add1-compare"]
EQUAL_SHARES_RULES = ("equal_shares", "equal_shares_packages")

Difference = Literal[
    "chosen_but_ranked_lower",  # in the Kiezen result, but greedy reached it with too little left
    "chosen_but_unvalued",  # in the Kiezen result, but nobody valued it in Zeven
    "chosen_but_not_optimal",  # in the Kiezen result, but the optimum does without it
    "chosen_but_supporters_short",  # in the Kiezen result, but its supporters' shares ran out
    "chosen_but_greedy_did_not_fit",  # in the Kiezen result, not in the greedy outcome compared
    "chosen_but_free_not_counted",  # in the Kiezen result, free, so worth nothing to equal shares
    "chosen_but_too_expensive",  # cannot happen (the Kiezen result fits), kept for completeness
    "plan_but_did_not_fit_kiezen",  # in the plan; chosen in Kiezen, but did not fit there
    "plan_but_not_chosen",  # in the plan; nobody chose it in Kiezen
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
    """How one stakeholder group valued a measure (only groups of at least 5 people)."""

    group: str | None = Field(description="bewoner, ondernemer, student, werker, or null.")
    rated_by: int
    weighted_contribution: float | None
    in_packages: int


class LineReason(BaseModel):
    """Why a measure is in or out, in numbers (app.domain.reasons explains each)."""

    why: Why
    money_left: float | None = Field(
        None,
        description="Budget left when its turn came (greedy, the equal-shares fill-up, and the "
        "greedy outcome the comparison step took).",
    )
    supporters: int | None = Field(
        None, description="Equal shares: participants who valued it above zero (or chose it)."
    )
    supporters_money: float | None = Field(
        None, description="Equal shares: what its supporters had left together at the end."
    )
    total_with: float | None = Field(
        None, description="Optimal: the best total contribution of a selection that includes it."
    )
    total_best: float | None = Field(None, description="Optimal: the plan's total contribution.")
    budget_needed: int | None = Field(
        None, description="The smallest budget above the plan's at which the rule selects it."
    )
    searched_to: int | None = Field(
        None, description="When no budget up to this one selects it (budget_needed is null)."
    )
    budget_step: int | None = Field(
        None, description="Equal shares: budgets were tried in steps of this many euros."
    )


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
    reason: LineReason | None = Field(None, description="Why it is in or out (schema 2).")
    in_kiezen: bool | None = Field(
        None,
        description="Whether the Kiezen packages fund it from the top (most chosen first, what "
        "still fits); null without a Kiezen round.",
    )
    difference: Difference | None = Field(
        None, description="Why the plan and the Kiezen result differ on it; null when they agree."
    )
    money_per_effect: dict[str, float] = Field(description="Effect key -> euros of its cost.")
    # Schema 1 (plans adopted before schema 2 keep them; their reason text is built from them).
    money_at_turn: float | None = None
    shortfall: float | None = None
    budget_needed: float | None = None
    supporters_needed: int | None = None


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
    completion: Completion | None = Field(
        None, description="Equal shares: its completion (the plan's, when the plan has one)."
    )
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


class KiezenResult(BaseModel):
    """What the room saw after Kiezen: how often each measure was chosen, and what fits."""

    packages: int = Field(description="How many packages were made.")
    fits_keys: list[str] = Field(
        description="Most chosen first (then the cheaper, then menu order), what still fits."
    )
    spent: int
    left: int


class ComparisonCount(BaseModel):
    """Equal shares' comparison step: how many participants preferred which outcome."""

    prefer_equal_shares: int
    prefer_greedy: int
    measure: Literal["projects", "satisfaction"] = Field(
        description="projects: how many of their Kiezen package's measures are funded; "
        "satisfaction: the sum of their own values v_pm of the measures funded."
    )
    switched: bool = Field(description="Whether the greedy outcome was taken (more preferred it).")


class PlanContent(BaseModel):
    """The bewonersplan: ranked measures, ledger, money per effect, turnout, method, fingerprint."""

    schema_version: int = SCHEMA_VERSION
    process: PlanProcess
    computed_at: datetime
    rule: str
    ranked_by: str
    completion: Completion | None = Field(
        None,
        description="Equal shares: add1 (add one alone), add1-greedy (add one, then greedy: the "
        "default) or add1-compare (then the comparison step of Wieliczka 2023); null for the "
        "other rules.",
    )
    comparison: ComparisonCount | None = Field(
        None, description="With add1-compare: the count of the comparison step."
    )
    parameters: dict[str, str | int | float | bool]
    fingerprint: str = Field(
        description="SHA-256 of the anonymised ballots, the menu, the budget, the rule, the "
        "ranking and a completion other than add1-greedy (see the .pb file)."
    )
    public: bool = Field(description="The public version (no ballots file).")
    measures: list[PlanLine]
    ledger: Ledger
    money_per_effect: list[EffectMoney]
    turnout: list[RoundTurnout]
    participants: int
    own_weights: int
    stand_in_weights: int
    rules: list[RuleOutcome]
    scenarios: list[Scenario]
    kiezen: KiezenResult | None = None
    groups_apart: list[str | None] = Field(
        default_factory=list, description="Groups shown apart: those of at least 5 people."
    )
    small_groups: bool = Field(
        False, description="Whether some group has fewer than 5 people (not shown apart)."
    )
    notes: list[Note] = Field(description="What the reader must know to read the plan right.")
    adopted_at: datetime | None = None
    schedule: ScheduleContent | None = Field(
        default=None, description="The adopted plan's latest adopted schedule, if any."
    )
    snapshot_id: int | None = None

    @model_validator(mode="after")
    def _completion_of_older_plans(self) -> PlanContent:
        # Plans adopted before the completion could be chosen were completed by add1-greedy.
        if self.completion is None and self.rule in EQUAL_SHARES_RULES:
            self.completion = "add1-greedy"
        return self
