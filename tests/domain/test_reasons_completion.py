"""The plan's reasons under each completion of equal shares, checked against a count by hand.

Add one alone never fills up; add one then greedy fills up; the comparison step keeps that
outcome or, when more participants are better off with greedy's, takes greedy's, and then every
measure is explained as greedy took it. Each is checked on instances where the three completions
give three different plans (the comparison taking greedy's outcome), and on small random ones.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings

from app.domain import plan_file
from app.domain.allocation import Completion
from app.domain.pabulib import format_pabulib, parse_pabulib
from app.domain.reasons import SEARCH_FACTOR, Why, budget_step, explain
from app.domain.waardenzeef import (
    Effect,
    Id,
    Measure,
    Number,
    PackageBallot,
    Participant,
    Plan,
    RankBy,
    Rule,
    ScoreBallot,
    Sieve,
    WeightBallot,
    make_plan,
    select,
    valued_measures,
)
from tests.domain.random_sieves import sieves

EQUAL_SHARES = (Rule.EQUAL_SHARES, Rule.EQUAL_SHARES_PACKAGES)
EFFECTS = (Effect("V", "Veiligheid"), Effect("L", "Leefomgeving"))


def _sieve(
    budget: int,
    costs: dict[str, tuple[int, str]],
    weights: dict[int, tuple[int, int]],
    scores: dict[int, dict[str, int]],
    packages: dict[int, tuple[str, ...]],
) -> Sieve:
    effect = {m: e for m, (_, e) in costs.items()}
    return Sieve(
        EFFECTS,
        tuple(Measure(m, m.upper(), cost, (e,)) for m, (cost, e) in costs.items()),
        budget,
        tuple(Participant(p) for p in weights),
        tuple(WeightBallot(p, {"V": v, "L": ell}) for p, (v, ell) in weights.items()),
        tuple(
            ScoreBallot(p, {(m, effect[m]): s for m, s in mine.items()})
            for p, mine in scores.items()
        ),
        tuple(PackageBallot(p, chosen) for p, chosen in packages.items()),
    )


# Found by a search over small random meetings: on the values, add one funds m0, add one then
# greedy m0 and m1, and 4 participants against 3 are better off with greedy's m2.
ON_THE_VALUES = _sieve(
    60,
    {"m0": (20, "L"), "m1": (30, "V"), "m2": (50, "V"), "m3": (50, "L")},
    {1: (5, 2), 2: (9, 1), 3: (3, 4), 4: (2, 6), 5: (5, 1), 6: (1, 4), 7: (7, 1), 8: (5, 5)},
    {
        1: {"m2": 3},
        2: {"m0": 3, "m2": 1},
        3: {"m1": 2, "m3": 3},
        4: {"m0": 2, "m2": 2},
        5: {"m1": 0, "m2": 3, "m3": 3},
        6: {"m0": 1, "m1": 1},
        7: {"m2": 1},
        8: {"m2": 0},
    },
    {
        1: ("m1", "m3"),
        2: ("m0", "m2"),
        3: ("m0",),
        4: ("m0", "m3"),
        5: ("m0", "m1", "m2"),
        6: ("m1", "m2", "m3"),
        7: ("m1", "m2"),
        8: ("m2", "m3"),
    },
)
# On the packages: add one funds m3, then greedy adds m1, and 3 participants against 2 have
# more of their package in greedy's m4.
ON_THE_PACKAGES = _sieve(
    60,
    {
        "m0": (60, "L"),
        "m1": (40, "L"),
        "m2": (40, "V"),
        "m3": (20, "V"),
        "m4": (50, "V"),
        "m5": (60, "L"),
    },
    {1: (1, 8), 2: (8, 9), 3: (1, 4), 4: (8, 1), 5: (9, 2)},
    {
        1: {"m0": 1, "m1": 3, "m2": 2, "m4": 0, "m5": 0},
        2: {"m0": 3, "m4": 0},
        3: {"m0": 0, "m2": 3, "m3": 2, "m4": 0, "m5": 0},
        4: {"m0": 1, "m1": 2, "m4": 0},
        5: {"m0": 2, "m1": 3, "m3": 2, "m4": 1, "m5": 1},
    },
    {1: ("m0", "m1", "m3"), 2: ("m3", "m5"), 3: ("m4",), 4: ("m0", "m2", "m4"), 5: ("m4", "m5")},
)


def _satisfaction(sieve: Sieve, plan: Plan) -> dict[Id, dict[Id, Fraction]]:
    """What the rule counts, per participant: their values, or each measure of their package at
    its cost (the satisfaction equal shares on the packages uses)."""
    assert plan.values is not None
    valued = set(valued_measures(sieve, plan.rule, plan.contributions, plan.values))
    if plan.rule is Rule.EQUAL_SHARES:
        return {
            p: {m: v for m, v in mine.items() if m in valued}
            for p, mine in plan.values.by_participant.items()
        }
    cost = {m.id: m.binding_cost for m in sieve.measures}
    return {b.participant_id: {m: Fraction(cost[m]) for m in b.measure_ids} for b in sieve.packages}


def _greedy_by_hand(sieve: Sieve, plan: Plan) -> tuple[set[Id], dict[Id, Number]]:
    """Greedy by total satisfaction per euro (ties by the plan's ranking; a free measure someone
    values first, one nobody values above zero last): what it takes, and the money left at each
    measure's turn."""
    satisfaction = _satisfaction(sieve, plan)
    total: dict[Id, Fraction] = {}
    for mine in satisfaction.values():
        for m, v in mine.items():
            total[m] = total.get(m, Fraction(0)) + v
    place = {r.measure_id: i for i, r in enumerate(plan.ranking)}
    cost = {m.id: m.binding_cost for m in sieve.measures}

    def order(m: Id) -> tuple[int, Fraction, int]:
        if total[m] == 0:
            return (2, Fraction(0), place[m])
        if cost[m] == 0:
            return (0, Fraction(0), place[m])
        return (1, -total[m] / cost[m], place[m])

    left: Number = plan.budget
    taken: set[Id] = set()
    at_turn: dict[Id, Number] = {}
    for m in sorted(total, key=order):
        at_turn[m] = left
        if cost[m] <= left:
            taken.add(m)
            left -= cost[m]
    return taken, at_turn


def _preferences(sieve: Sieve, plan: Plan, mine: set[Id], theirs: set[Id]) -> tuple[int, int]:
    """How many participants are better off with `mine`, and how many with `theirs`: by the
    number of their package's measures in it, or by the sum of their values."""
    better = worse = 0
    for satisfaction in _satisfaction(sieve, plan).values():
        a: Number
        b: Number
        if plan.rule is Rule.EQUAL_SHARES_PACKAGES:
            a, b = len(mine & set(satisfaction)), len(theirs & set(satisfaction))
        else:
            a = sum((v for m, v in satisfaction.items() if m in mine), Fraction(0))
            b = sum((v for m, v in satisfaction.items() if m in theirs), Fraction(0))
        better += a > b
        worse += b > a
    return better, worse


def _smallest_budget(sieve: Sieve, plan: Plan, measure_id: Id) -> int | None:
    assert plan.values is not None
    step = budget_step(plan.budget)
    tried = int(plan.budget) + step
    while tried <= SEARCH_FACTOR * plan.budget:
        chosen = select(
            sieve,
            plan.rule,
            plan.ranking,
            plan.contributions,
            plan.values,
            completion=plan.completion,
            budget=tried,
        ).selected
        if measure_id in chosen:
            return tried
        tried += step
    return None


def _check(sieve: Sieve, rule: Rule, completion: Completion) -> Plan:
    plan = make_plan(sieve, rule, completion=completion)
    reasons = {r.measure_id: r for r in explain(sieve, plan)}
    filled = make_plan(sieve, rule, completion=Completion.ADD1_GREEDY)
    greedy_taken, at_turn = _greedy_by_hand(sieve, plan)
    switched = False
    if completion is Completion.ADD1_COMPARE:
        equal, better_greedy = _preferences(sieve, plan, set(filled.selected), greedy_taken)
        switched = better_greedy > equal
        comparison = plan.allocation.comparison
        assert comparison is not None
        assert (comparison.prefer_equal_shares, comparison.prefer_greedy) == (equal, better_greedy)
        assert comparison.switched == switched
        assert set(plan.selected) == (greedy_taken if switched else set(filled.selected))
    else:
        assert plan.allocation.comparison is None
    if completion is Completion.ADD1:
        # Add one alone only stops earlier than add one then greedy: the greedy step only adds.
        assert set(plan.selected) <= set(filled.selected)
    assert plan.values is not None
    valued = set(valued_measures(sieve, rule, plan.contributions, plan.values))
    kept = {}
    if completion is Completion.ADD1_COMPARE and not switched:
        kept = {r.measure_id: r for r in explain(sieve, filled)}
    for line in plan.measures:
        m = line.measure.id
        reason = reasons[m]
        assert reason.selected == line.selected
        if reason.why is Why.UNVALUED:
            assert m not in valued
        if reason.why is Why.FREE_NOT_COUNTED:
            # Chosen in a package, but free: worth nothing to equal shares on the packages, and
            # only a fill-up would take it.
            assert m in valued
            assert (rule, completion, reason.cost, line.selected) == (
                Rule.EQUAL_SHARES_PACKAGES,
                Completion.ADD1,
                0,
                False,
            )
        if reason.why in (Why.UNVALUED, Why.FREE_NOT_COUNTED, Why.NO_COST, Why.TOO_EXPENSIVE):
            continue
        if switched:
            # The plan is greedy's outcome: explained as greedy took it, with its money.
            assert reason.why is (Why.GREEDY_FITTED if line.selected else Why.GREEDY_DID_NOT_FIT)
            assert reason.money_left == at_turn[m]
            assert (reason.money_left >= reason.cost) == line.selected
        elif line.selected:
            assert reason.why in (Why.SHARES, Why.COMPLETION)
        else:
            assert reason.why is Why.SUPPORTERS_SHORT
        if completion is Completion.ADD1:
            # Nothing was filled up: nothing is explained by it.
            assert reason.why in (Why.SHARES, Why.SUPPORTERS_SHORT)
            assert reason.money_left is None
        if kept:
            # Equal shares' outcome kept: the same reasons as add one then greedy gives.
            theirs = kept[m]
            assert (reason.why, reason.money_left, reason.supporters) == (
                theirs.why,
                theirs.money_left,
                theirs.supporters,
            )
        if not line.selected:
            assert reason.budget_needed == _smallest_budget(sieve, plan, m), (rule, completion, m)
    return plan


@pytest.mark.parametrize(
    ("sieve", "rule"),
    [(ON_THE_VALUES, Rule.EQUAL_SHARES), (ON_THE_PACKAGES, Rule.EQUAL_SHARES_PACKAGES)],
)
def test_the_three_completions_give_three_plans_each_explained_truly(
    sieve: Sieve, rule: Rule
) -> None:
    plans = {completion: _check(sieve, rule, completion) for completion in Completion}
    assert len({frozenset(p.selected) for p in plans.values()}) == 3
    comparison = plans[Completion.ADD1_COMPARE].allocation.comparison
    assert comparison is not None
    assert comparison.switched
    reasons = explain(sieve, plans[Completion.ADD1_COMPARE])
    assert {r.why for r in reasons if r.selected} == {Why.GREEDY_FITTED}
    assert Why.COMPLETION not in {r.why for r in explain(sieve, plans[Completion.ADD1])}
    assert Why.COMPLETION in {r.why for r in explain(sieve, plans[Completion.ADD1_GREEDY])}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sieves())
def test_reasons_are_true_under_every_completion_on_random_meetings(sieve: Sieve) -> None:
    for rule in EQUAL_SHARES:
        for completion in (Completion.ADD1, Completion.ADD1_COMPARE):
            _check(sieve, rule, completion)


# --- the fingerprint and the ballots file ---------------------------------------------------


def test_each_completion_has_its_own_fingerprint_and_the_default_keeps_the_old_one() -> None:
    published = plan_file.published(ON_THE_VALUES)
    by_completion = {
        c: plan_file.fingerprint(published, Rule.EQUAL_SHARES, RankBy.CONTRIBUTION, c)
        for c in Completion
    }
    assert len(set(by_completion.values())) == 3
    # A plan adopted before the completion could be chosen was add one then greedy: same print.
    assert by_completion[Completion.ADD1_GREEDY] == plan_file.fingerprint(
        published, Rule.EQUAL_SHARES, RankBy.CONTRIBUTION
    )
    # Greedy and optimal have no completion: naming one changes nothing.
    for rule in (Rule.GREEDY, Rule.OPTIMAL):
        assert plan_file.fingerprint(
            published, rule, RankBy.CONTRIBUTION, Completion.ADD1
        ) == plan_file.fingerprint(published, rule, RankBy.CONTRIBUTION)


@pytest.mark.parametrize(
    ("completion", "name"),
    [
        (Completion.ADD1, "equalshares/add1-only"),
        (Completion.ADD1_GREEDY, "equalshares/add1"),
        (Completion.ADD1_COMPARE, "equalshares/add1-compare"),
    ],
)
@pytest.mark.parametrize(
    ("sieve", "rule"),
    [(ON_THE_VALUES, Rule.EQUAL_SHARES), (ON_THE_PACKAGES, Rule.EQUAL_SHARES_PACKAGES)],
)
def test_the_ballots_file_names_the_completion_and_recounts_to_its_plan(
    sieve: Sieve, rule: Rule, completion: Completion, name: str
) -> None:
    instance = plan_file.to_pabulib(
        sieve,
        description="test",
        unit="test",
        rule=rule,
        ranked_by=RankBy.CONTRIBUTION,
        completion=completion,
    )
    assert instance.meta["rule"] == name
    assert instance.meta["waardenzeef_completion"] == completion.value
    text = format_pabulib(instance)
    recounted = plan_file.recount(parse_pabulib(text))
    plan = make_plan(plan_file.anonymise(sieve), rule, completion=completion)
    assert recounted.completion is completion
    assert recounted.selected == plan.selected
    # An outside tool running the rule META names on the vote columns gets the same plan.
    assert recounted.outside_agrees
    assert recounted.fingerprint_matches
    assert recounted.as_json()["completion"] == completion.value


def test_a_file_whose_completion_was_changed_is_refused_or_does_not_match() -> None:
    instance = plan_file.to_pabulib(
        ON_THE_VALUES,
        description="test",
        unit="test",
        rule=Rule.EQUAL_SHARES,
        ranked_by=RankBy.CONTRIBUTION,
        completion=Completion.ADD1_COMPARE,
    )
    text = format_pabulib(instance)
    other = text.replace("waardenzeef_completion;add1-compare", "waardenzeef_completion;add1")
    assert other != text
    with pytest.raises(plan_file.Tampered, match="META rule"):
        plan_file.recount(parse_pabulib(other))
    both = other.replace("rule;equalshares/add1-compare", "rule;equalshares/add1-only")
    assert not plan_file.recount(parse_pabulib(both)).fingerprint_matches
    unknown = text.replace("waardenzeef_completion;add1-compare", "waardenzeef_completion;add2")
    with pytest.raises(plan_file.PlanFileError, match="unknown completion 'add2'"):
        plan_file.recount(parse_pabulib(unknown))


def test_a_file_from_before_the_choice_is_recounted_with_the_default() -> None:
    instance = plan_file.to_pabulib(
        ON_THE_VALUES,
        description="test",
        unit="test",
        rule=Rule.EQUAL_SHARES,
        ranked_by=RankBy.CONTRIBUTION,
    )
    text = "\n".join(
        line
        for line in format_pabulib(instance).splitlines()
        if not line.startswith("waardenzeef_completion;")
    )
    recounted = plan_file.recount(parse_pabulib(text))
    assert recounted.completion is Completion.ADD1_GREEDY
    assert recounted.ok


def test_a_free_measure_chosen_in_kiezen_is_not_called_unvalued_under_add_one_alone() -> None:
    # "free" is in two packages and costs nothing: equal shares on the packages counts it at its
    # cost (nothing), so add one alone never takes it; the fill-up does.
    sieve = _sieve(
        50,
        {"free": (0, "V"), "a": (30, "V"), "b": (40, "L")},
        {1: (1, 1), 2: (1, 1), 3: (1, 1)},
        {1: {"free": 3, "a": 2}, 2: {"b": 3}, 3: {"free": 1}},
        {1: ("free", "a"), 2: ("b",), 3: ("free", "a")},
    )
    alone = make_plan(sieve, Rule.EQUAL_SHARES_PACKAGES, completion=Completion.ADD1)
    filled = make_plan(sieve, Rule.EQUAL_SHARES_PACKAGES, completion=Completion.ADD1_GREEDY)
    assert "free" not in alone.selected
    assert "free" in filled.selected
    why = {r.measure_id: r.why for r in explain(sieve, alone)}
    assert why["free"] is Why.FREE_NOT_COUNTED
    assert {r.measure_id: r.why for r in explain(sieve, filled)}["free"] is Why.NO_COST
    _check(sieve, Rule.EQUAL_SHARES_PACKAGES, Completion.ADD1)
