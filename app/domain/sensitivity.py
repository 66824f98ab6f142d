"""How robust a bewonersplan is: what changes when the budget moves or one group's weights count.

Two kinds of scenario, each compared with the plan as computed:

- the budget 10% lower and 10% higher (exact: a budget of 100,000 becomes 90,000 and 110,000;
  a budget that is not divisible becomes a fraction of a euro, which the rules handle exactly);
- for each stakeholder group that weighed, everyone's weights replaced by that group's mean
  weights ("what if everyone weighed like the students"); scores and packages stay as they are,
  so under equal shares on the Kiezen packages these scenarios never change anything.

A scenario reports the measures that enter and leave the selection, and the measures whose place
in the ranking moves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from app.domain.allocation import Completion, Satisfaction
from app.domain.vocabulary import StakeholderGroup
from app.domain.waardenzeef import (
    Id,
    Number,
    Plan,
    RankBy,
    Rule,
    Sieve,
    make_plan,
    mean_weights,
)

BUDGET_STEP = Fraction(1, 10)


class ScenarioKind(StrEnum):
    """What a scenario varies."""

    BUDGET_DOWN = "budget_down"
    BUDGET_UP = "budget_up"
    GROUP_WEIGHTS = "group_weights"


@dataclass(frozen=True)
class RankMove:
    """A measure whose place in the ranking differs from the plan's."""

    measure_id: Id
    rank: int
    scenario_rank: int


@dataclass(frozen=True)
class Scenario:
    """One variation of the plan and what it changes."""

    kind: ScenarioKind
    budget: Number
    group: StakeholderGroup | None
    selected: tuple[Id, ...]
    entered: tuple[Id, ...]
    left: tuple[Id, ...]
    moved: tuple[RankMove, ...]
    plan: Plan

    @property
    def changed(self) -> bool:
        """Whether the selection differs from the plan's."""
        return bool(self.entered or self.left)


@dataclass(frozen=True)
class Sensitivity:
    """The plan and its scenarios: budget down, budget up, and one per stakeholder group."""

    plan: Plan
    budget_down: Scenario
    budget_up: Scenario
    groups: tuple[Scenario, ...]

    @property
    def scenarios(self) -> tuple[Scenario, ...]:
        """All scenarios in report order."""
        return (self.budget_down, self.budget_up, *self.groups)

    @property
    def stable(self) -> tuple[Id, ...]:
        """The measures selected in the plan and in every scenario, in the plan's order."""
        return tuple(m for m in self.plan.selected if all(m in s.selected for s in self.scenarios))


def sensitivity(
    sieve: Sieve,
    rule: Rule = Rule.GREEDY,
    ranked_by: RankBy = RankBy.CONTRIBUTION,
    *,
    stand_in_weights: bool = True,
    completion: bool | Completion = True,
    package_satisfaction: Satisfaction = Satisfaction.COST,
    groups: Iterable[StakeholderGroup] | None = None,
) -> Sensitivity:
    """The plan with these settings, and how its selection changes in each scenario.

    `groups` limits the group scenarios to these groups (the plan shows none for a group of
    fewer than 5 people, see `app.domain.groups`); by default every group that weighed.
    """

    def plan_for(variant: Sieve, weights: dict[Id, Fraction] | None = None) -> Plan:
        return make_plan(
            variant,
            rule,
            ranked_by,
            stand_in_weights=stand_in_weights,
            completion=completion,
            package_satisfaction=package_satisfaction,
            weights_override=weights,
        )

    base = plan_for(sieve)
    down = _budget(sieve, 1 - BUDGET_STEP)
    up = _budget(sieve, 1 + BUDGET_STEP)
    budget_down = _compare(base, ScenarioKind.BUDGET_DOWN, None, plan_for(down))
    budget_up = _compare(base, ScenarioKind.BUDGET_UP, None, plan_for(up))
    allowed = None if groups is None else set(groups)
    scenarios = []
    for group in _groups_that_weighed(sieve):
        if allowed is not None and group not in allowed:
            continue
        members = [p.id for p in sieve.participants if p.group is group]
        weights = mean_weights(sieve, members)
        scenario = plan_for(sieve, weights)
        scenarios.append(_compare(base, ScenarioKind.GROUP_WEIGHTS, group, scenario))
    return Sensitivity(base, budget_down, budget_up, tuple(scenarios))


def _budget(sieve: Sieve, factor: Fraction) -> Sieve:
    budget = Fraction(sieve.budget) * factor
    exact = budget.numerator if budget.denominator == 1 else budget
    return Sieve(
        sieve.effects,
        sieve.measures,
        exact,
        sieve.participants,
        sieve.weights,
        sieve.scores,
        sieve.packages,
    )


def _groups_that_weighed(sieve: Sieve) -> list[StakeholderGroup]:
    weighed = {b.participant_id for b in sieve.weights}
    present = {p.group for p in sieve.participants if p.id in weighed and p.group is not None}
    return [g for g in StakeholderGroup if g in present]


def _compare(
    base: Plan, kind: ScenarioKind, group: StakeholderGroup | None, other: Plan
) -> Scenario:
    before = {m.measure.id: m.rank for m in base.measures}
    after = {m.measure.id: m.rank for m in other.measures}
    moved = tuple(
        RankMove(measure_id, before[measure_id], after[measure_id])
        for measure_id in _in_rank_order(base)
        if before[measure_id] != after[measure_id]
    )
    return Scenario(
        kind=kind,
        budget=other.budget,
        group=group,
        selected=other.selected,
        entered=tuple(m for m in other.selected if m not in base.selected),
        left=tuple(m for m in base.selected if m not in other.selected),
        moved=moved,
        plan=other,
    )


def _in_rank_order(plan: Plan) -> Sequence[Id]:
    return [m.measure.id for m in plan.measures]
