"""Why each measure is in or out of a bewonersplan, with numbers that are true.

Every measure gets its place in the ranking and what the rule did with it: for a selected one,
when it was taken and what was left at that moment; for one left out, what stopped it (the money
left at its turn, its supporters' money, the best total with it) and the smallest budget above
the plan's at which the same rule, on the same ballots, would have selected it:

- greedy, exactly: going down the ranking a measure is taken when what is left covers its cost,
  so the money with which a measure is reached and taken is a union of intervals, worked out
  backwards over the measures above it (each either taken, moving the interval up by its cost,
  or skipped). The smallest budget in it above the plan's is the answer. Adding money can make
  a measure higher up fit and take the money first, so this is rarely "budget plus shortfall".
- optimal, exactly: the rule takes the selection with the largest total contribution within the
  budget, and among equals the cheapest, so its selection only changes at a budget where that
  largest total goes up: the costs on the Pareto frontier of (cost, total contribution). The
  rule is run at each of those above the plan's budget, in order, until every measure left out
  has been taken once.
- equal shares (on the values or on the packages), on a grid: the rule is run at the plan's
  budget plus 1, 2, ... steps (`budget_step`: a round amount of about 2% of the budget) up to
  `SEARCH_FACTOR` times the budget. The answer is the first of these budgets at which it is
  selected (true at that budget, and no smaller budget on the grid does it), or "not up to
  twice the budget". Equal shares with its completion changes at budgets that only a run of the
  rule finds, so between grid points nothing is claimed.

Equal shares is completed as the plan says (`Plan.completion`, see
`app/domain/allocation/completion.py`). With the comparison step, when more participants
preferred the greedy outcome, the plan is that outcome: its measures are explained as greedy took
them (`GREEDY_FITTED`, `GREEDY_DID_NOT_FIT`: going down by total value per euro, the money left at
its turn), not by shares that nobody paid; the budgets above are searched with the comparison
step too.

Measures that nobody valued in what the rule counts are never selected at any budget (the policy
in `waardenzeef`), so they get no budget.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from fractions import Fraction

from app.domain.allocation import ProjectOutcome, Stage, Verdict
from app.domain.waardenzeef import (
    Id,
    Number,
    Plan,
    Rule,
    Sieve,
    election_for,
    valued_measures,
)

SEARCH_FACTOR = 2
GRID_STEPS_PER_BUDGET = 50


class Why(StrEnum):
    """The kind of reason, which decides the sentence the plan shows."""

    # selected
    FITTED = "fitted"  # greedy: at its turn there was enough money left
    NO_COST = "no_cost"  # it costs nothing extra
    IN_OPTIMUM = "in_optimum"  # part of the best combination within the budget
    SHARES = "shares"  # equal shares: its supporters paid for it from their shares
    COMPLETION = "completion"  # equal shares: taken when what was left was filled up
    # equal shares with the comparison step, when more participants preferred the greedy outcome:
    # taken by greedy (by total value per euro) with enough money left at its turn
    GREEDY_FITTED = "greedy_fitted"
    # left out
    DID_NOT_FIT = "did_not_fit"  # greedy: at its turn less money was left than it costs
    NOT_IN_OPTIMUM = "not_in_optimum"  # the best combination within the budget does without it
    SUPPORTERS_SHORT = "supporters_short"  # equal shares: its supporters had too little left
    # equal shares with the comparison step, the greedy outcome taken: too little left at its turn
    GREEDY_DID_NOT_FIT = "greedy_did_not_fit"
    TOO_EXPENSIVE = "too_expensive"  # it costs more than the whole budget
    UNVALUED = "unvalued"  # nobody valued it above zero in what the rule counts
    # equal shares on the packages values a measure at its cost: one that costs nothing is worth
    # nothing there, so no share pays for it, and "add one" alone fills nothing up afterwards
    FREE_NOT_COUNTED = "free_not_counted"


@dataclass(frozen=True)
class Reason:
    """Why one measure is in or out, in exact numbers.

    `money_left` is the budget left when its turn came (greedy, the completion after equal
    shares, and the greedy outcome the comparison step took), before it was taken. `supporters`
    are the participants who valued it above zero in what the rule counts; `supporters_money`
    what they had left together when equal shares ended. `total_with` is the best total
    contribution of a selection within the budget that includes it, `total_best` the plan's
    (optimal). `budget_needed` is the smallest budget above the plan's at which the rule selects
    it; None with `searched_to` when no budget up to that one does (on a grid of `budget_step`
    euros when the step is given).
    """

    measure_id: Id
    selected: bool
    why: Why
    rank: int
    position: int | None
    cost: int
    money_left: Number | None = None
    supporters: int | None = None
    supporters_money: Number | None = None
    total_with: Number | None = None
    total_best: Number | None = None
    budget_needed: Number | None = None
    searched_to: Number | None = None
    budget_step: int | None = None

    @property
    def shortfall(self) -> Number | None:
        """What was missing at its turn (cost minus the money left), when that applies."""
        if self.selected or self.money_left is None:
            return None
        return self.cost - self.money_left


def explain(sieve: Sieve, plan: Plan) -> tuple[Reason, ...]:
    """Every measure's reason, in the plan's ranking order."""
    budget = plan.budget
    left_out = [
        line.measure.id
        for line in plan.measures
        if not line.selected and line.verdict is not Verdict.NO_SUPPORT
    ]
    step: int | None = None
    searched_to: Number | None = None
    if plan.rule is Rule.GREEDY:
        needed = _greedy_budgets(sieve, plan, left_out)
    elif plan.rule is Rule.OPTIMAL:
        needed = _optimal_budgets(sieve, plan, left_out)
    else:
        step = budget_step(budget)
        searched_to = SEARCH_FACTOR * budget
        needed = _grid_budgets(sieve, plan, left_out, step, searched_to)
    total_best = sum(
        (line.contribution.weighted_contribution for line in plan.measures if line.selected),
        Fraction(0),
    )
    switched = plan.allocation.comparison is not None and plan.allocation.comparison.switched
    valued = _valued(sieve, plan)
    reasons = []
    for line in plan.measures:
        outcome = line.outcome
        cost = line.measure.binding_cost
        base = Reason(
            measure_id=line.measure.id,
            selected=line.selected,
            why=Why.UNVALUED,
            rank=line.rank,
            position=line.position,
            cost=cost,
        )
        if line.selected and switched and cost > 0:
            reasons.append(replace(base, why=Why.GREEDY_FITTED, money_left=outcome.money_at_turn))
        elif line.selected:
            reasons.append(_selected(plan.rule, base, outcome, total_best))
        elif line.verdict is Verdict.NO_SUPPORT and line.measure.id in valued:
            # Chosen, but the rule counts it as worth nothing (see FREE_NOT_COUNTED).
            reasons.append(replace(base, why=Why.FREE_NOT_COUNTED))
        elif line.verdict is Verdict.NO_SUPPORT:
            reasons.append(base)
        else:
            found = needed.get(line.measure.id)
            base = replace(
                base,
                why=Why.TOO_EXPENSIVE if cost > budget else _LEFT_OUT[plan.rule],
                budget_needed=found,
                searched_to=searched_to if found is None else None,
                budget_step=step,
            )
            if switched:
                why = Why.TOO_EXPENSIVE if cost > budget else Why.GREEDY_DID_NOT_FIT
                reasons.append(replace(base, why=why, money_left=outcome.money_at_turn))
            else:
                reasons.append(_left_out(plan.rule, base, outcome, total_best, budget))
    return tuple(reasons)


_LEFT_OUT = {
    Rule.GREEDY: Why.DID_NOT_FIT,
    Rule.OPTIMAL: Why.NOT_IN_OPTIMUM,
    Rule.EQUAL_SHARES: Why.SUPPORTERS_SHORT,
    Rule.EQUAL_SHARES_PACKAGES: Why.SUPPORTERS_SHORT,
}


def _selected(rule: Rule, base: Reason, outcome: ProjectOutcome[Id], best: Number) -> Reason:
    if base.cost == 0:
        return replace(base, why=Why.NO_COST)
    if rule is Rule.GREEDY:
        return replace(base, why=Why.FITTED, money_left=outcome.money_at_turn)
    if rule is Rule.OPTIMAL:
        return replace(base, why=Why.IN_OPTIMUM, total_best=best)
    if outcome.stage is Stage.COMPLETION:
        return replace(base, why=Why.COMPLETION, money_left=outcome.money_at_turn)
    return replace(base, why=Why.SHARES, supporters=outcome.supporters)


def _left_out(
    rule: Rule, base: Reason, outcome: ProjectOutcome[Id], best: Number, budget: Number
) -> Reason:
    if rule is Rule.GREEDY:
        return replace(base, money_left=outcome.money_at_turn)
    if rule is Rule.OPTIMAL:
        return replace(base, total_with=outcome.welfare_if_forced, total_best=best)
    # Equal shares; when the completion looked at it too, greedy's "budget plus shortfall" gives
    # back what was left at its turn there.
    completion_left = (
        None if outcome.budget_needed is None else budget + base.cost - outcome.budget_needed
    )
    return replace(
        base,
        supporters=outcome.supporters,
        supporters_money=outcome.money_at_turn,
        money_left=completion_left,
    )


# --- the smallest budget at which the rule selects a measure --------------------------------


class _RunAt:
    """The plan's rule on the same ballots at other budgets: its election built once."""

    def __init__(self, sieve: Sieve, plan: Plan) -> None:
        assert plan.values is not None
        self.plan = plan
        self.ready = election_for(
            sieve,
            plan.rule,
            plan.ranking,
            plan.contributions,
            plan.values,
            plan.package_satisfaction,
        )

    def __call__(self, budget: Number) -> tuple[Id, ...]:
        """The selection at this budget."""
        return self.ready.run(budget, self.plan.completion).selected


def _valued(sieve: Sieve, plan: Plan) -> set[Id]:
    assert plan.values is not None
    return set(valued_measures(sieve, plan.rule, plan.contributions, plan.values))


Intervals = list[tuple[Number, Number | None]]  # sorted, disjoint, half-open [low, high)


def _greedy_budgets(sieve: Sieve, plan: Plan, targets: Iterable[Id]) -> dict[Id, Number]:
    valued = _valued(sieve, plan)
    order = [r.measure_id for r in plan.ranking if r.measure_id in valued]
    cost = {m.id: m.binding_cost for m in sieve.measures}
    needed: dict[Id, Number] = {}
    for target in targets:
        place = order.index(target)
        # The money left at its turn with which it is taken ...
        taken: Intervals = [(cost[target], None)]
        # ... and, one measure up at a time, the money at that measure's turn that leads there.
        for above in reversed(order[:place]):
            taken = _through(taken, cost[above])
        found = _first_above(taken, plan.budget)
        if found is not None:
            needed[target] = found
    return needed


def _through(money: Intervals, cost: int) -> Intervals:
    """The money before a measure of this cost that leads to `money` after its turn."""
    if cost == 0:
        return money  # always taken, nothing changes
    # Less than its cost: skipped, the money passes on unchanged; else taken, the money drops.
    skipped = [
        (low, cost if high is None else min(high, cost)) for low, high in money if low < cost
    ]
    taken = [(low + cost, None if high is None else high + cost) for low, high in money]
    merged: Intervals = []
    for low, high in [*skipped, *taken]:
        if merged and (merged[-1][1] is None or merged[-1][1] >= low):
            last_low, last_high = merged[-1]
            joined = None if last_high is None or high is None else max(last_high, high)
            merged[-1] = (last_low, joined)
        else:
            merged.append((low, high))
    return merged


def _first_above(money: Intervals, budget: Number) -> Number | None:
    for low, high in money:
        if high is not None and high <= budget:
            continue
        if low <= budget:
            raise AssertionError("greedy: the measure is taken at the plan's own budget")
        return low
    return None


def _optimal_budgets(sieve: Sieve, plan: Plan, targets: Iterable[Id]) -> dict[Id, Number]:
    valued = _valued(sieve, plan)
    value = {c.measure_id: c.weighted_contribution for c in plan.contributions}
    frontier: list[tuple[int, Fraction]] = [(0, Fraction(0))]
    for measure in sieve.measures:
        if measure.id not in valued:
            continue
        cost, gain = measure.binding_cost, value[measure.id]
        candidates = sorted(
            [*frontier, *((c + cost, v + gain) for c, v in frontier)], key=lambda p: (p[0], -p[1])
        )
        frontier = []
        for c, v in candidates:
            if not frontier or v > frontier[-1][1]:
                if frontier and frontier[-1][0] == c:
                    continue
                frontier.append((c, v))
    pending = set(targets)
    needed: dict[Id, Number] = {}
    run_at = _RunAt(sieve, plan)
    for budget, _ in frontier:
        if not pending:
            break
        if budget <= plan.budget:
            continue
        chosen = set(run_at(budget))
        for measure_id in sorted(pending & chosen, key=str):
            needed[measure_id] = budget
        pending -= chosen
    return needed


def budget_step(budget: Number) -> int:
    """The grid of the equal-shares search: a round amount (1, 2 or 5 times a power of ten)."""
    raw = Fraction(budget) / GRID_STEPS_PER_BUDGET
    if raw <= 1:
        return 1
    power = 10 ** (len(str(math.floor(raw))) - 1)
    return int(next(f * power for f in (1, 2, 5, 10) if f * power >= raw))


def _grid_budgets(
    sieve: Sieve, plan: Plan, targets: Sequence[Id], step: int, until: Number
) -> dict[Id, Number]:
    pending = set(targets)
    needed: dict[Id, Number] = {}
    run_at = _RunAt(sieve, plan)
    budget = plan.budget + step
    while pending and budget <= until:
        chosen = set(run_at(budget))
        for measure_id in pending & chosen:
            needed[measure_id] = budget
        pending -= chosen
        budget += step
    return needed
