"""Our rules against pabutools 1.2.3 itself on random elections (hypothesis).

The shared Pabulib instances (test_exactness) are nine real elections; these are many small
made-up ones, with ties, voters who run out of money, fractions, free projects and voters who
stand for several, where a shortcut in our engine would show. pabutools is a test dependency.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pabutools.election import (
    Additive_Cardinal_Sat,
    CardinalBallot,
    CardinalProfile,
    Instance,
)
from pabutools.election import Project as PabutoolsProject
from pabutools.rules import (
    completion_by_rule_combination,
    greedy_utilitarian_welfare,
    method_of_equal_shares,
)

from app.domain.allocation import (
    Ballot,
    Election,
    Number,
    Project,
    equal_shares,
    equal_shares_add1,
    equal_shares_add1_greedy,
    greedy,
)
from tests.domain.random_sieves import fractions

# Strategies are built once here and once per election below, never once per value: hypothesis
# builds and validates a strategy each time one is made, which cost more than the rules themselves.
money = st.one_of(st.integers(min_value=0, max_value=40), fractions(40, max_denominator=6))
value = st.one_of(st.integers(min_value=0, max_value=6), fractions(6, max_denominator=4))
budgets = st.one_of(money, st.integers(min_value=0, max_value=120))
multiplicities = st.sampled_from([1, 1, 1, 2, 3])


@st.composite
def elections(draw: st.DrawFn) -> Election[str]:
    """Up to 8 projects (some free), up to 12 ballots, some standing for several voters.

    Half of them are like approval votes: every supporter of a project values it alike (as
    under cost or cardinality satisfaction), which the engine prices its own way.
    """
    count = draw(st.integers(min_value=1, max_value=8))
    ids = [str(i) for i in draw(st.permutations(range(12)))[:count]]
    projects = tuple(Project(i, draw(money)) for i in ids)
    budget = draw(budgets)
    whole = draw(st.booleans())
    points = st.integers(min_value=0, max_value=6) if whole else value
    alike = {i: draw(points) for i in ids} if draw(st.booleans()) else None
    valued = st.dictionaries(st.sampled_from(ids), points, max_size=count)
    chosen = st.sets(st.sampled_from(ids), max_size=count)

    def satisfaction() -> dict[str, Number]:
        if alike is None:
            return draw(valued)
        return {i: alike[i] for i in draw(chosen)}

    ballots = tuple(
        Ballot(satisfaction(), draw(multiplicities))
        for _ in range(draw(st.integers(min_value=0, max_value=12)))
    )
    return Election(projects, budget, ballots)


def _pabutools(election: Election[str]) -> tuple[Any, Any]:
    projects = {p.id: PabutoolsProject(p.id, p.cost) for p in election.projects}
    instance = Instance(projects.values(), budget_limit=election.budget)
    profile = CardinalProfile(
        [
            CardinalBallot({projects[i]: v for i, v in ballot.satisfaction.items()})
            for ballot in election.ballots
            for _ in range(ballot.multiplicity)
        ],
        instance=instance,
    )
    return instance, profile


def _names(outcome: Any) -> tuple[str, ...]:
    return tuple(p.name for p in outcome)


def _same(ours: tuple[str, ...], theirs: tuple[str, ...], election: Election[str]) -> bool:
    """The same selection in the same order, except among the supported projects that cost
    nothing, which both take first: pabutools takes those in the order of a set (its hash order
    varies from run to run), we take them in the tie-break order."""
    index = election.index
    free = {
        p
        for p, c, t in zip(index.ids, index.costs, index.total_satisfaction, strict=True)
        if c == 0 and t > 0
    }
    first = len(free)
    return set(ours[:first]) == set(theirs[:first]) == free and ours[first:] == theirs[first:]


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.slow  # 20-35 s each in a full run; `pytest -m "not slow"` leaves it out
@SETTINGS
@given(elections())
def test_greedy_and_equal_shares_as_pabutools(election: Election[str]) -> None:
    instance, profile = _pabutools(election)
    sat = Additive_Cardinal_Sat
    assert greedy(election).selected == _names(
        greedy_utilitarian_welfare(instance, profile, sat_class=sat)
    )
    if election.voters > 0:  # greedy above needs no voters; equal shares does
        assert _same(
            equal_shares(election).selected,
            _names(method_of_equal_shares(instance, profile, sat_class=sat)),
            election,
        )


@pytest.mark.slow  # 20-35 s each in a full run; `pytest -m "not slow"` leaves it out
@SETTINGS
@given(elections())
def test_add_one_as_pabutools(election: Election[str]) -> None:
    assume(election.voters > 0)
    instance, profile = _pabutools(election)
    sat = Additive_Cardinal_Sat
    assert _same(
        equal_shares_add1(election).selected,
        _names(method_of_equal_shares(instance, profile, sat_class=sat, voter_budget_increment=1)),
        election,
    )
    assert _same(
        equal_shares_add1_greedy(election).selected,
        _names(
            completion_by_rule_combination(
                instance,
                profile,
                [method_of_equal_shares, greedy_utilitarian_welfare],
                [{"sat_class": sat, "voter_budget_increment": 1}, {"sat_class": sat}],
            )
        ),
        election,
    )


@pytest.mark.slow  # 20-35 s each in a full run; `pytest -m "not slow"` leaves it out
@SETTINGS
@given(elections(), st.sampled_from([3, Fraction(1, 2), Fraction(5, 3)]))
def test_add_one_by_other_increments_as_pabutools(election: Election[str], step: Number) -> None:
    # Runs are skipped and taken over by rungs of `step`: a turning point between two rungs
    # must send the next run to the first rung at or above it, whatever the step.
    assume(election.voters > 0)
    instance, profile = _pabutools(election)
    assert _same(
        equal_shares_add1(election, increment=step).selected,
        _names(
            method_of_equal_shares(
                instance, profile, sat_class=Additive_Cardinal_Sat, voter_budget_increment=step
            )
        ),
        election,
    )


def test_a_tie_of_prices_goes_to_the_smaller_id_as_a_string() -> None:
    # "10" and "9" cost the same and have the same supporters: the same price.
    election = Election(
        (Project("9", 6), Project("10", 6)),
        Fraction(6),
        (Ballot({"9": 1, "10": 1}, 2),),
    )
    instance, profile = _pabutools(election)
    expected = _names(method_of_equal_shares(instance, profile, sat_class=Additive_Cardinal_Sat))
    assert equal_shares(election).selected == expected == ("10",)
