"""Elections made from votes (the bulk-counted way) are the elections made from their ballots."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.allocation import (
    Ballot,
    Election,
    Number,
    Project,
    Satisfaction,
    election_from_votes,
    equal_shares,
    equal_shares_add1,
    greedy,
    optimal,
)
from tests.domain.random_sieves import fractions

Vote = tuple[tuple[str, ...], tuple[Number, ...] | None]

IDS = [str(i) for i in range(10)]
# Strategies are built once here and once per case below, never once per value: hypothesis
# builds and validates a strategy each time one is made.
cost = st.one_of(st.integers(min_value=0, max_value=30), fractions(30, max_denominator=4))
points = st.one_of(st.integers(min_value=0, max_value=5), fractions(5, max_denominator=3))
valuations = st.sampled_from(list(Satisfaction))


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[Project[str]], Number, list[Vote], Satisfaction]:
    """Projects, a budget, votes (clean, or with a project twice or a zero) and a valuation."""
    count = draw(st.integers(min_value=1, max_value=6))
    ids = IDS[:count]
    projects = [Project(i, draw(cost)) for i in ids]
    with_points = draw(st.booleans())
    votes: list[Vote] = []
    names = st.lists(st.sampled_from(ids), max_size=count, unique=True)
    for _ in range(draw(st.integers(min_value=0, max_value=10))):
        named = draw(names)
        if draw(st.integers(min_value=0, max_value=9)) == 0 and named:
            named.append(named[0])  # a project twice on one vote
        vote_points = tuple(draw(points) for _ in named) if with_points else None
        votes.append((tuple(named), vote_points))
        again: bool = draw(st.booleans())
        if again:
            votes.append(votes[-1])  # the same vote again
    satisfaction = draw(valuations)
    return projects, draw(cost), votes, satisfaction


def _valued(vote: Vote, costs: dict[str, Number], satisfaction: Satisfaction) -> dict[str, Number]:
    ids, given = vote
    if satisfaction is Satisfaction.CARDINALITY:
        return dict.fromkeys(ids, 1)
    if satisfaction is Satisfaction.COST:
        if given is None:
            return {i: costs[i] for i in ids}
        return {i: v * costs[i] for i, v in zip(ids, given, strict=True)}
    assert given is not None
    return dict(zip(ids, given, strict=True))


@settings(max_examples=300, deadline=None)
@given(cases())
def test_votes_make_the_election_their_ballots_make(
    case: tuple[list[Project[str]], Number, list[Vote], Satisfaction],
) -> None:
    projects, budget, votes, satisfaction = case
    if satisfaction is Satisfaction.CARDINAL and any(p is None for _, p in votes):
        with pytest.raises(ValueError, match="needs points"):
            election_from_votes(projects, budget, votes, satisfaction)
        return
    costs = {p.id: p.cost for p in projects}
    ballots = tuple(
        Ballot(_valued(vote, costs, satisfaction), n) for vote, n in Counter(votes).items()
    )
    expected = Election(projects, budget, ballots)
    made = election_from_votes(projects, budget, votes, satisfaction)
    # Rules first (they ask for the columns before the totals), then the rest.
    for rule in (equal_shares, equal_shares_add1, greedy, optimal):
        if made.voters == 0 and rule in (equal_shares, equal_shares_add1):
            continue
        assert rule(made) == rule(expected)
    fresh = election_from_votes(projects, budget, votes, satisfaction)
    for election in (made, fresh):
        index, reference = election.index, expected.index
        assert index.ids == reference.ids
        assert index.costs == reference.costs
        assert index.position == reference.position
        assert index.voters == reference.voters
        assert index.total_satisfaction == reference.total_satisfaction
        assert index.supporters == reference.supporters
        assert election.ballots == expected.ballots
        assert election == expected


def test_votes_with_bad_values_are_refused() -> None:
    projects = [Project("a", 1)]
    with pytest.raises(TypeError, match="Fraction"):
        election_from_votes(projects, 1, [(("a",), (0.5,))], Satisfaction.CARDINAL)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="negative"):
        election_from_votes(projects, 1, [(("a",), (-1,))], Satisfaction.CARDINAL)
    with pytest.raises(ValueError, match="unknown project 'b'"):
        election_from_votes(projects, 1, [(("b",), None)], Satisfaction.COST)
    with pytest.raises(ValueError, match=r"strict|length|longer|shorter"):
        election_from_votes(projects, 1, [(("a",), (1, 2))], Satisfaction.CARDINAL)


def test_fractions_stay_exact() -> None:
    projects = [Project("a", Fraction(5, 2)), Project("b", 1)]
    votes: list[Vote] = [(("a", "b"), (Fraction(1, 3), 2)), (("a",), (1,))]
    election = election_from_votes(projects, Fraction(7, 2), votes, Satisfaction.CARDINAL)
    assert election.index.total_satisfaction == (Fraction(4, 3), 2)
    assert equal_shares(election).selected == ("b", "a")
