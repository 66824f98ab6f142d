"""Every reason the plan gives, checked by recomputing it the slow way on small random elections.

For each rule, each measure left out and each budget above the plan's (every whole euro for
greedy and optimal, every grid point for equal shares), the rule is run again; the smallest
budget that selects the measure must be the one the reason names, and the other numbers of the
reason (money left at its turn, supporters and their money, the best total with it) must be what
a direct count gives.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations

from hypothesis import HealthCheck, given, settings

from app.domain.allocation import Verdict
from app.domain.reasons import SEARCH_FACTOR, Reason, Why, budget_step, explain
from app.domain.waardenzeef import (
    Id,
    Measure,
    Participant,
    Plan,
    Rule,
    ScoreBallot,
    Sieve,
    make_plan,
    select,
    valued_measures,
)
from tests.domain.random_sieves import EFFECTS, sieves


def _selection_at(sieve: Sieve, plan: Plan, budget: int) -> tuple[Id, ...]:
    assert plan.values is not None
    return select(
        sieve, plan.rule, plan.ranking, plan.contributions, plan.values, budget=budget
    ).selected


def _smallest_budget(sieve: Sieve, plan: Plan, measure_id: Id) -> tuple[int | None, int]:
    """By brute force: the first budget above the plan's that selects it, and the last tried."""
    budget = int(plan.budget)
    if plan.rule in (Rule.GREEDY, Rule.OPTIMAL):
        # At the cost of everything valued, everything valued is selected: no need to go further.
        step = 1
        until = sum(m.binding_cost for m in sieve.measures)
    else:
        step = budget_step(budget)
        until = SEARCH_FACTOR * budget
    tried = budget + step
    while tried <= until:
        if measure_id in _selection_at(sieve, plan, tried):
            return tried, until
        tried += step
    return None, until


def _check(sieve: Sieve, rule: Rule) -> None:
    plan = make_plan(sieve, rule)
    reasons = {r.measure_id: r for r in explain(sieve, plan)}
    assert list(reasons) == [line.measure.id for line in plan.measures]
    assert plan.values is not None
    valued = set(valued_measures(sieve, rule, plan.contributions, plan.values))
    value = {c.measure_id: c.weighted_contribution for c in plan.contributions}
    cost = {m.id: m.binding_cost for m in sieve.measures}
    for line in plan.measures:
        reason = reasons[line.measure.id]
        assert reason.selected == line.selected
        assert reason.rank == line.rank
        if line.measure.id not in valued:
            assert reason.why is Why.UNVALUED
            assert not line.selected
            continue
        if not line.selected:
            needed, until = _smallest_budget(sieve, plan, line.measure.id)
            assert reason.budget_needed == needed, (rule, line.measure.id)
            if needed is None:
                assert reason.searched_to == until
        _check_numbers(sieve, plan, reason, valued, value, cost)


def _check_numbers(
    sieve: Sieve,
    plan: Plan,
    reason: Reason,
    valued: set[Id],
    value: dict[Id, Fraction],
    cost: dict[Id, int],
) -> None:
    m = reason.measure_id
    if plan.rule is Rule.GREEDY and reason.why in (Why.FITTED, Why.DID_NOT_FIT):
        # The money left at its turn: the budget minus what the measures above it took.
        above = [line.measure.id for line in plan.measures if line.rank < reason.rank]
        taken = sum(cost[a] for a in above if a in plan.selected)
        assert reason.money_left == plan.budget - taken
        assert (reason.money_left >= reason.cost) == reason.selected
    if plan.rule is Rule.OPTIMAL and reason.why is Why.NOT_IN_OPTIMUM:
        options = [x for x in valued if value[x] > 0]
        best_with = max(
            sum((value[x] for x in chosen), Fraction(0))
            for size in range(len(options) + 1)
            for chosen in combinations(options, size)
            if m in chosen and sum(cost[x] for x in chosen) <= plan.budget
        )
        assert reason.total_with == best_with
        assert reason.total_best is not None
        assert reason.total_with <= reason.total_best
    if plan.rule in (Rule.EQUAL_SHARES, Rule.EQUAL_SHARES_PACKAGES) and reason.why in (
        Why.SUPPORTERS_SHORT,
        Why.SHARES,
    ):
        assert plan.values is not None
        if plan.rule is Rule.EQUAL_SHARES:
            supporters = [p for p, mine in plan.values.by_participant.items() if mine.get(m, 0) > 0]
        else:
            supporters = [b.participant_id for b in sieve.packages if m in b.measure_ids]
        assert reason.supporters == len(supporters)
        if reason.why is Why.SUPPORTERS_SHORT:
            # What they had left when equal shares stopped did not cover its cost.
            assert reason.supporters_money is not None
            assert reason.supporters_money < reason.cost
            assert plan.line(m).outcome.verdict is Verdict.SUPPORTERS_SHORT


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sieves())
def test_greedy_reasons_are_true(sieve: Sieve) -> None:
    _check(sieve, Rule.GREEDY)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sieves())
def test_optimal_reasons_are_true(sieve: Sieve) -> None:
    _check(sieve, Rule.OPTIMAL)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sieves())
def test_equal_shares_reasons_are_true(sieve: Sieve) -> None:
    _check(sieve, Rule.EQUAL_SHARES)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sieves())
def test_equal_shares_on_packages_reasons_are_true(sieve: Sieve) -> None:
    _check(sieve, Rule.EQUAL_SHARES_PACKAGES)


def _one_voter(costs: dict[str, int], budget: int) -> Sieve:
    """Measures valued 3, 2, 1, ... in the order given, by one participant."""
    measures = tuple(Measure(key, key.upper(), cost, ("V",)) for key, cost in costs.items())
    scores = (ScoreBallot(1, {(key, "V"): 3 - i for i, key in enumerate(costs)}),)
    return Sieve(EFFECTS, measures, budget, (Participant(1),), (), scores)


def test_a_measure_higher_up_takes_the_extra_money_first() -> None:
    # a 50, b 15, c 20 at 60: a is in (10 left), b (15) and c (20) are out. "Budget plus
    # shortfall" would say c fits at 70, but from 65 on b fits first and takes 15: c is only
    # reached with 20 left at 50 + 15 + 20 = 85.
    sieve = _one_voter({"a": 50, "b": 15, "c": 20}, 60)
    plan = make_plan(sieve)
    assert plan.selected == ("a",)
    reasons = {r.measure_id: r for r in explain(sieve, plan)}
    assert (reasons["b"].money_left, reasons["b"].budget_needed) == (10, 65)
    assert (reasons["c"].money_left, reasons["c"].budget_needed) == (10, 85)
    assert _selection_at(sieve, plan, 70) == ("a", "b")


def test_the_smallest_budget_above_the_plans_is_found_below_a_measure_that_would_take_it() -> None:
    # a 70, b 20, c 45 at 60: a is out, b in (40 left), c out. From 65 to 69, c fits after b;
    # from 70 on a comes first and takes the money again.
    sieve = _one_voter({"a": 70, "b": 20, "c": 45}, 60)
    plan = make_plan(sieve)
    assert plan.selected == ("b",)
    reasons = {r.measure_id: r for r in explain(sieve, plan)}
    assert (reasons["c"].budget_needed, reasons["a"].budget_needed) == (65, 70)
    assert _selection_at(sieve, plan, 70) == ("a",)


def test_nobody_valued_it_no_rule_selects_it_and_no_budget_is_named() -> None:
    sieve = _one_voter({"a": 10, "b": 10, "c": 10, "d": 10}, 100)  # d is valued 0
    for rule in (Rule.GREEDY, Rule.OPTIMAL, Rule.EQUAL_SHARES):
        plan = make_plan(sieve, rule)
        assert set(plan.selected) == {"a", "b", "c"}
        d = next(r for r in explain(sieve, plan) if r.measure_id == "d")
        assert (d.why, d.budget_needed, d.searched_to) == (Why.UNVALUED, None, None)
