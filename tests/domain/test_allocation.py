"""The general allocation rules on small elections worked out by hand (checked with pabutools)."""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations

import pytest

from app.domain.allocation import (
    Ballot,
    Election,
    Project,
    Satisfaction,
    Stage,
    Verdict,
    approval_election,
    complete_with_greedy,
    equal_shares,
    equal_shares_add1,
    equal_shares_add1_greedy,
    greedy,
    optimal,
    scored_election,
)

# Three voters with 10 each. C (15) is wanted by all: 5 each, a price of 1/3 per unit of
# satisfaction (its cost). A (20) by two: 10 each, price 1/2. B (10) by one: price 1.
PROJECTS = (Project("A", 20), Project("B", 10), Project("C", 15))
APPROVALS = [["A", "C"], ["A", "C"], ["B", "C"]]


def small(satisfaction: Satisfaction = Satisfaction.COST) -> Election[str]:
    return approval_election(PROJECTS, 30, APPROVALS, satisfaction)


def test_greedy_goes_by_satisfaction_per_cost_and_skips_what_does_not_fit() -> None:
    result = greedy(small())
    assert result.selected == ("C", "B")
    assert (result.total_cost, result.left, result.welfare) == (25, 5, 55)
    a = result.outcome("A")
    assert a.verdict is Verdict.DID_NOT_FIT
    assert (a.money_at_turn, a.shortfall, a.budget_needed) == (15, 5, 35)
    c = result.outcome("C")
    assert (c.selected, c.position, c.money_at_turn, c.stage) == (True, 1, 30, Stage.GREEDY)
    assert result.outcome("B").position == 2


def test_greedy_down_a_given_ranking() -> None:
    result = greedy(small(), ranking=["A", "B", "C"])
    assert result.selected == ("A", "B")
    assert result.outcome("C").verdict is Verdict.DID_NOT_FIT


def test_greedy_funds_unsupported_projects_only_when_asked() -> None:
    election = approval_election((*PROJECTS, Project("D", 1)), 30, APPROVALS)
    assert greedy(election).selected == ("C", "B", "D")
    leaner = greedy(election, fund_unsupported=False)
    assert leaner.selected == ("C", "B")
    assert leaner.outcome("D").verdict is Verdict.NO_SUPPORT


def test_ties_go_to_the_smaller_id_as_a_string() -> None:
    election = approval_election(
        (Project("9", 10), Project("10", 10)), 10, [["9", "10"], ["9", "10"]]
    )
    for rule in (greedy, equal_shares, equal_shares_add1_greedy, optimal):
        assert rule(election).selected == ("10",)
    # An explicit priority breaks ties instead.
    ranked = Election(election.projects, 10, election.ballots, priority=("9", "10"))
    assert greedy(ranked).selected == ("9",)
    assert equal_shares(ranked).selected == ("9",)
    assert optimal(ranked).selected == ("9",)


@pytest.mark.parametrize("budget", [0, 10, 25, 30, Fraction(91, 2), 60])
def test_an_election_at_another_budget_runs_as_one_built_with_it(budget: int | Fraction) -> None:
    built = small()
    again = Election(built.projects, budget, built.ballots, built.priority)
    moved = built.at_budget(budget)
    assert moved.budget == budget
    assert built.budget == small().budget
    for rule in (greedy, equal_shares, equal_shares_add1, equal_shares_add1_greedy, optimal):
        assert rule(moved) == rule(again), rule.__name__


def test_an_election_at_a_negative_budget_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        small().at_budget(-1)


def test_equal_shares_explains_who_paid_and_what_was_missing() -> None:
    result = equal_shares(small())
    assert result.selected == ("C",)
    c = result.outcome("C")
    assert (c.stage, c.price, c.paid_everything) == (Stage.EQUAL_SHARES, Fraction(1, 3), 0)
    a = result.outcome("A")
    assert a.verdict is Verdict.SUPPORTERS_SHORT
    assert (a.money_at_turn, a.shortfall, a.supporters_needed) == (10, 10, 2)
    b = result.outcome("B")
    assert (b.money_at_turn, b.shortfall, b.supporters_needed) == (5, 5, 1)
    details = result.equal_shares
    assert details is not None
    assert details.share == details.per_voter_budget == 10
    # Per ballot of the election; approval_election merged the two identical ballots.
    assert details.spent == (Fraction(5), Fraction(5))


def test_equal_shares_spent_is_per_ballot_in_the_elections_order() -> None:
    election = Election(
        PROJECTS, 30, (Ballot({"A": 20, "C": 15}, 2), Ballot({}), Ballot({"B": 10, "C": 15}))
    )
    result = equal_shares(election)
    assert result.equal_shares is not None
    # Four voters now (the empty ballot counts): 7.5 each; C costs 15 / 3 supporters.
    assert result.equal_shares.share == Fraction(15, 2)
    assert result.equal_shares.spent == (Fraction(5), Fraction(0), Fraction(5))
    assert result.selected == ("C",)


def test_add_one_stops_before_the_outcome_overspends() -> None:
    # From t = 15 on, A and then B become affordable: 45 > 30. So t = 14 (4 increments) wins.
    result = equal_shares_add1(small())
    assert result.selected == ("C",)
    details = result.equal_shares
    assert details is not None
    assert details.increments == 4
    assert details.per_voter_budget == 14
    assert details.reference_runs == 6
    assert details.spent == (Fraction(5), Fraction(5))
    completed = equal_shares_add1_greedy(small())
    assert completed.selected == ("C", "B")
    b = completed.outcome("B")
    assert (b.stage, b.position) == (Stage.COMPLETION, 2)
    a = completed.outcome("A")
    assert (a.verdict, a.stage, a.budget_needed) == (Verdict.SUPPORTERS_SHORT, Stage.COMPLETION, 35)
    assert completed == complete_with_greedy(
        small(), equal_shares_add1(small()), rule="equal_shares_add1_greedy"
    )


def test_completion_leaves_an_exhaustive_outcome_alone() -> None:
    election = small()
    done = greedy(election)
    assert complete_with_greedy(election, done, rule="again").selected == done.selected


def test_a_supported_project_that_costs_nothing_comes_first_in_equal_shares() -> None:
    election = approval_election(
        (Project("z", 0), Project("a", 10), Project("b", 10)),
        10,
        [["z", "a"], ["b"]],
        Satisfaction.CARDINALITY,
    )
    result = equal_shares(election)
    assert result.selected == ("z",)
    assert result.outcome("z").stage is Stage.NO_COST
    assert equal_shares_add1(election).selected == ("z",)
    assert equal_shares_add1_greedy(election).selected == ("z", "a")
    assert greedy(election).selected == ("z", "a")


def test_cardinal_ballots() -> None:
    projects = (Project("a", 30), Project("b", 20), Project("c", 10), Project("d", 40))
    scores = [{"a": 3, "b": 1}, {"a": 2, "c": 3}, {"d": 5}, {"b": 2, "c": 1, "d": 1}]
    election = scored_election(projects, 60, scores)
    assert greedy(election).selected == ("c", "a", "b")
    assert equal_shares(election).selected == ("c", "b")
    assert equal_shares_add1(election).selected == ("c", "a", "b")
    assert equal_shares_add1_greedy(election).selected == ("c", "a", "b")
    by_cost = scored_election(projects, 60, scores, Satisfaction.COST)
    # Points times cost: greedy goes by total points (a 5, d 6, b 3, c 4).
    assert greedy(by_cost).selected == ("d", "c")
    counted = scored_election(projects, 60, scores, Satisfaction.CARDINALITY)
    assert counted.index.total_satisfaction == (2, 2, 2, 2)


def test_optimal_is_the_best_set_and_says_what_forcing_a_project_costs() -> None:
    result = optimal(small(), explain=True)
    assert result.selected == ("B", "C")
    assert result.welfare == 55
    a = result.outcome("A")
    assert (a.verdict, a.welfare_if_forced) == (Verdict.NOT_IN_OPTIMUM, 50)


def test_optimal_prefers_the_cheaper_set_then_the_earliest_project() -> None:
    projects = (Project("a", 10), Project("b", 5), Project("c", 5), Project("d", 10))
    # a alone and b + c have the same value; b + c is as cheap as a: a is earlier.
    election = Election(projects, 10, (Ballot({"a": 4, "b": 2, "c": 2, "d": 4}),))
    assert optimal(election).selected == ("a",)
    cheaper = Election(
        (Project("a", 10), Project("b", 4), Project("c", 5)),
        10,
        (Ballot({"a": 4, "b": 2, "c": 2}),),
    )
    assert optimal(cheaper).selected == ("b", "c")


def test_optimal_matches_brute_force() -> None:
    projects = tuple(Project(str(i), c) for i, c in enumerate([7, 3, 9, 4, 6, 2, 8]))
    values = {"0": 10, "1": 4, "2": 13, "3": 5, "4": 9, "5": 2, "6": 11}
    election = Election(projects, 17, (Ballot(values),))
    best = max(
        sum(values[p.id] for p in subset)
        for size in range(len(projects) + 1)
        for subset in combinations(projects, size)
        if sum(p.cost for p in subset) <= 17
    )
    assert optimal(election).welfare == best


def test_exact_fractions_are_kept() -> None:
    election = Election(
        (Project("x", Fraction(5, 2)), Project("y", 1)),
        Fraction(7, 2),
        (Ballot({"x": Fraction(1, 3), "y": Fraction(1, 7)}),),
    )
    result = greedy(election)
    assert result.selected == ("y", "x")
    assert result.welfare == Fraction(10, 21)
    assert result.left == 0


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: Project("a", -1), ValueError, "negative"),
        (lambda: Project("a", 1.5), TypeError, "int or a Fraction"),  # type: ignore[arg-type]
        (lambda: Election((Project("a", 1), Project("a", 2)), 3, ()), ValueError, "twice"),
        (
            lambda: Election[int | str]((Project(1, 1), Project("1", 2)), 3, ()),
            ValueError,
            "as strings",
        ),
        (lambda: Election((Project("a", 1),), -1, ()), ValueError, "negative"),
        (lambda: Election((Project("a", 1),), 1, (Ballot({"b": 1}),)), ValueError, "unknown"),
        (lambda: Election((Project("a", 1),), 1, (Ballot({"a": 0.5}),)), TypeError, "Fraction"),  # type: ignore[dict-item]
        (lambda: Election((Project("a", 1),), 1, (Ballot({"a": -1}),)), ValueError, "negative"),
        (lambda: Election((Project("a", 1),), 1, (Ballot({}, 0),)), ValueError, "at least one"),
        (lambda: Election((Project("a", 1),), 1, (), ("b",)), ValueError, "priority"),
        (
            lambda: approval_election(PROJECTS, 1, [["A"]], Satisfaction.CARDINAL),
            ValueError,
            "needs points",
        ),
        (lambda: approval_election(PROJECTS, 1, [["Z"]]), ValueError, "unknown project 'Z'"),
    ],
)
def test_bad_input_is_refused(build: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        build()  # type: ignore[operator]


def test_no_voters() -> None:
    election = Election(PROJECTS, 30, ())
    assert equal_shares(election).selected == ()
    # pabutools' greedy (also as the completion) funds what fits even without support.
    assert equal_shares_add1_greedy(election).selected == ("A", "B")
    assert greedy(election).selected == ("A", "B")
    assert optimal(election).selected == ()


def test_greedy_orders_densities_exactly_where_floats_cannot_tell() -> None:
    # Both densities round to the float 1.0; exactly, b's (10**17 / (10**17 - 1)) is higher.
    big = 10**17
    election = Election(
        (Project("a", big), Project("b", big - 1)),
        big,
        (Ballot({"a": big + 1, "b": big}),),
    )
    assert (big + 1) / big == big / (big - 1)
    assert greedy(election).selected == ("b",)
    # Equal densities: the tie-break order decides.
    tied = Election((Project("a", 2), Project("b", 4)), 4, (Ballot({"a": 3, "b": 6}),))
    assert greedy(tied).selected == ("a",)
