"""Properties of the rules on random elections (hypothesis)."""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations
from random import Random

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.domain.allocation import (
    Allocation,
    Ballot,
    Election,
    Project,
    equal_shares,
    equal_shares_add1,
    equal_shares_add1_greedy,
    greedy,
    optimal,
)
from tests.domain.random_sieves import fractions

# Strategies are built once here and once per election below, never once per value: hypothesis
# builds and validates a strategy each time one is made.
money = st.one_of(st.integers(min_value=0, max_value=40), fractions(40, max_denominator=6))
satisfactions = st.one_of(st.integers(0, 5), fractions(5, max_denominator=4))
multiplicities = st.integers(min_value=1, max_value=3)


@st.composite
def elections(draw: st.DrawFn) -> Election[str]:
    """Up to 7 projects (some free), up to 8 ballots with whole or fractional satisfactions."""
    count = draw(st.integers(min_value=1, max_value=7))
    ids = [str(i) for i in draw(st.permutations(range(12)))[:count]]
    projects = tuple(Project(i, draw(money)) for i in ids)
    budget = draw(money)
    valued = st.dictionaries(st.sampled_from(ids), satisfactions, max_size=count)
    ballots = tuple(
        Ballot(draw(valued), draw(multiplicities))
        for _ in range(draw(st.integers(min_value=0, max_value=8)))
    )
    return Election(projects, budget, ballots)


RULES = (greedy, optimal, equal_shares, equal_shares_add1, equal_shares_add1_greedy)


def _costs(election: Election[str]) -> dict[str, Fraction]:
    return {p.id: Fraction(p.cost) for p in election.projects}


# The first test checks three properties on the same 150 elections, running each rule once: they
# were three tests of 150 elections each (the budget kept, greedy leaving nothing that fits, the
# optimum), running every rule again for the optimum and greedy again for what it leaves.
@settings(max_examples=150, deadline=None)
@given(elections())
def test_the_budget_is_kept_greedy_fills_it_and_optimal_is_the_true_optimum(
    election: Election[str],
) -> None:
    results = [rule(election) for rule in RULES]
    # No rule spends more than the budget, nor buys a project twice; positions are 1, 2, ...
    for result in results:
        assert result.total_cost <= election.budget
        assert len(set(result.selected)) == len(result.selected)
        positions = sorted(o.position or 0 for o in result.outcomes if o.selected)
        assert positions == list(range(1, len(result.selected) + 1))
    # Greedy, and equal shares completed by greedy, leave nothing that would still fit.
    costs = _costs(election)
    for result in (results[RULES.index(greedy)], results[RULES.index(equal_shares_add1_greedy)]):
        for outcome in result.outcomes:
            if not outcome.selected:
                assert costs[outcome.project_id] > result.left
    # The optimum is never below any rule, and is the true optimum (every subset tried).
    best = results[RULES.index(optimal)]
    for result in results:
        assert best.welfare >= result.welfare
    index = election.index
    ranks = range(len(index.ids))
    brute = max(
        sum((index.total_satisfaction[r] for r in subset), Fraction(0))
        for size in range(len(index.ids) + 1)
        for subset in combinations(ranks, size)
        if sum((index.costs[r] for r in subset), Fraction(0)) <= election.budget
    )
    assert best.welfare == brute


def _check_payments(election: Election[str], result: Allocation[str]) -> None:
    details = result.equal_shares
    assert details is not None
    bought = sum((Fraction(o.cost) for o in result.outcomes if o.selected), Fraction(0))
    paid = Fraction(0)
    for ballot, spent in zip(election.ballots, details.spent, strict=True):
        # Nobody pays more than the money they were given, nor anything negative.
        assert 0 <= spent <= details.per_voter_budget
        if not any(value > 0 for value in ballot.satisfaction.values()):
            assert spent == 0
        paid += spent * ballot.multiplicity
    # Every selected project is paid for in full by its supporters, and by nobody else.
    assert paid == bought


@settings(max_examples=150, deadline=None)
@given(elections())
def test_equal_shares_never_charges_a_voter_more_than_their_share(
    election: Election[str],
) -> None:
    assume(election.voters > 0)
    plain = equal_shares(election)
    _check_payments(election, plain)
    assert plain.equal_shares is not None
    assert plain.equal_shares.per_voter_budget == Fraction(election.budget) / election.voters
    _check_payments(election, equal_shares_add1(election))


# Each rule runs once on the election and once on each of the two others: these were two tests of
# 100 elections each, each running every rule on the election again.
@settings(max_examples=100, deadline=None)
@given(elections(), st.randoms(use_true_random=False))
def test_outcomes_depend_neither_on_the_order_of_the_input_nor_on_duplicated_ballots(
    election: Election[str], rng: Random
) -> None:
    projects = list(election.projects)
    ballots = list(election.ballots)
    rng.shuffle(projects)
    rng.shuffle(ballots)
    shuffled = Election(tuple(projects), election.budget, tuple(ballots))
    # Duplicated ballots are the same as a multiplicity.
    expanded = Election(
        election.projects,
        election.budget,
        tuple(
            Ballot(ballot.satisfaction)
            for ballot in election.ballots
            for _ in range(ballot.multiplicity)
        ),
    )
    for rule in RULES:
        selected = rule(election).selected
        assert rule(shuffled).selected == selected
        assert rule(expanded).selected == selected
