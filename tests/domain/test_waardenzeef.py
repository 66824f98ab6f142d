"""The Waardenzeef arithmetic on a small sieve worked out by hand."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from app.domain.allocation import Satisfaction, Stage, Verdict
from app.domain.vocabulary import StakeholderGroup
from app.domain.waardenzeef import (
    Effect,
    Measure,
    PackageBallot,
    Participant,
    RankBy,
    Rule,
    ScoreBallot,
    Sieve,
    WeightBallot,
    contributions,
    discussion_list,
    effect_weights,
    make_plan,
    mean_weights,
    money_per_effect,
    participant_values,
    quantile,
    rank,
)

EFFECTS = (
    Effect("V", "Veiligheid"),
    Effect("L", "Leefomgeving"),
    Effect("J", "Jongeren"),
    Effect("G", "Groen", parent_id="L"),
)
MEASURES = (
    Measure("m1", "Cameras", 40_000, ("V",)),
    Measure("m2", "Kinderwerk", 30_000, ("L", "J")),
    Measure("m3", "Geluidsoverlast", None, ("V",), group="veiligheid"),
    Measure("m4", "Boomspiegels", 20_000, ("G",)),
)
PARTICIPANTS = (
    Participant(1, StakeholderGroup.BEWONER),
    Participant(2, StakeholderGroup.STUDENT),
    Participant(3, StakeholderGroup.BEWONER),
    Participant(4, StakeholderGroup.ONDERNEMER),
)
# 3 rated without weighing; 4 weighed without rating.
WEIGHTS = (
    WeightBallot(1, {"V": 50, "L": 30, "J": 20}),
    WeightBallot(2, {"V": 10, "L": 20, "J": 70}),
    WeightBallot(4, {"V": 100}),
)
SCORES = (
    ScoreBallot(
        1, {("m1", "V"): 3, ("m2", "L"): 2, ("m2", "J"): 1, ("m3", "V"): 1, ("m4", "G"): 2}
    ),
    ScoreBallot(2, {("m1", "V"): 0, ("m2", "L"): 1, ("m2", "J"): 3}),
    ScoreBallot(3, {("m1", "V"): 2, ("m4", "G"): 3}),
)
PACKAGES = (
    PackageBallot(1, ("m2", "m4")),
    PackageBallot(2, ("m2",)),
    PackageBallot(4, ("m1",)),
)
SIEVE = Sieve(EFFECTS, MEASURES, 60_000, PARTICIPANTS, WEIGHTS, SCORES, PACKAGES)


def test_weights_are_points_over_their_total_and_the_mean_stands_in() -> None:
    weights = effect_weights(SIEVE)
    assert weights[1] == {"V": Fraction(1, 2), "L": Fraction(3, 10), "J": Fraction(1, 5)}
    assert weights[4] == {"V": 1, "L": 0, "J": 0}
    assert mean_weights(SIEVE) == {"V": Fraction(8, 15), "L": Fraction(1, 6), "J": Fraction(3, 10)}
    assert sum(mean_weights(SIEVE).values()) == 1
    nobody = Sieve(EFFECTS, MEASURES, 0)
    assert mean_weights(nobody) == {"V": Fraction(1, 3), "L": Fraction(1, 3), "J": Fraction(1, 3)}


def test_values_use_own_weights_stand_ins_and_the_parent_of_a_sub_effect() -> None:
    values = participant_values(SIEVE)
    assert values.by_participant[1] == {
        "m1": Fraction(3, 2),
        "m2": Fraction(4, 5),
        "m3": Fraction(1, 2),
        "m4": Fraction(3, 5),
    }
    assert values.by_participant[2] == {"m1": 0, "m2": Fraction(23, 10)}
    # Participant 3 did not weigh: the group's mean weights stand in.
    assert values.by_participant[3] == {"m1": Fraction(16, 15), "m4": Fraction(1, 2)}
    assert values.own_weights == (1, 2)
    assert values.stand_in_weights == (3,)
    strict = participant_values(SIEVE, stand_in_weights=False)
    assert set(strict.by_participant) == {1, 2}
    assert strict.left_out == (3,)


def test_weighted_contribution_skipped_measures_do_not_count_as_zero() -> None:
    found = {c.measure_id: c for c in contributions(SIEVE, participant_values(SIEVE))}
    assert found["m1"].weighted_contribution == Fraction(77, 90)
    assert found["m2"].weighted_contribution == Fraction(31, 20)
    assert found["m3"].weighted_contribution == Fraction(1, 2)  # only participant 1 rated it
    assert found["m4"].weighted_contribution == Fraction(11, 20)
    assert [(found[m].rated_by, found[m].skipped_by) for m in ("m1", "m2", "m3", "m4")] == [
        (3, 0),
        (2, 1),
        (1, 2),
        (2, 1),
    ]
    assert found["m2"].mean_scores == {"L": Fraction(3, 2), "J": 2}
    assert found["m2"].in_packages == 2
    by_group = found["m1"].by_group
    assert by_group[StakeholderGroup.BEWONER].weighted_contribution == Fraction(77, 60)
    assert by_group[StakeholderGroup.STUDENT].weighted_contribution == 0
    assert by_group[StakeholderGroup.ONDERNEMER].rated_by == 0
    assert by_group[StakeholderGroup.ONDERNEMER].in_packages == 1


def test_spread_is_the_population_deviation_and_type_7_quartiles() -> None:
    found = {c.measure_id: c for c in contributions(SIEVE, participant_values(SIEVE))}
    m1 = found["m1"]  # values 0, 16/15, 3/2
    assert m1.variance == Fraction(1609, 4050)
    assert m1.standard_deviation == pytest.approx(math.sqrt(1609 / 4050))
    assert (m1.lower_quartile, m1.median, m1.upper_quartile) == (
        Fraction(8, 15),
        Fraction(16, 15),
        Fraction(77, 60),
    )
    assert m1.interquartile_range == Fraction(3, 4)
    assert found["m2"].variance == Fraction(9, 16)
    assert found["m2"].standard_deviation == 0.75
    assert found["m3"].variance == 0
    assert quantile(
        [Fraction(1), Fraction(2), Fraction(3), Fraction(4)], Fraction(1, 4)
    ) == Fraction(7, 4)
    assert quantile([], Fraction(1, 2)) == 0


def test_the_discussion_list_has_the_largest_spread_first() -> None:
    found = contributions(SIEVE, participant_values(SIEVE))
    assert discussion_list(SIEVE, found) == ("m2", "m1", "m4")
    assert discussion_list(SIEVE, found, size=1) == ("m2",)


def test_ranking_by_contribution_and_by_value_per_euro() -> None:
    found = contributions(SIEVE, participant_values(SIEVE))
    assert [r.measure_id for r in rank(SIEVE, found)] == ["m2", "m1", "m4", "m3"]
    per_euro = rank(SIEVE, found, RankBy.VALUE_PER_EURO)
    assert [r.measure_id for r in per_euro] == ["m3", "m2", "m4", "m1"]
    assert per_euro[0].no_cost
    assert per_euro[0].value_per_euro is None
    assert per_euro[1].value_per_euro == Fraction(31, 20) / 30_000


def test_ranking_ties_go_to_the_cheaper_measure_then_the_id() -> None:
    measures = (
        Measure(10, "b", 500, ("V",)),
        Measure(2, "a", 500, ("V",)),
        Measure("x", "c", 100, ("V",)),
        Measure(3, "not rated", 1, ("V",)),
    )
    scores = (ScoreBallot("p", {(10, "V"): 2, (2, "V"): 2, ("x", "V"): 2}),)
    sieve = Sieve(EFFECTS, measures, 1000, scores=scores)
    found = contributions(sieve, participant_values(sieve))
    assert [r.measure_id for r in rank(sieve, found)] == ["x", 2, 10, 3]


def test_greedy_down_the_ranking() -> None:
    plan = make_plan(SIEVE)
    assert plan.selected == ("m2", "m4", "m3")
    assert (plan.spent, plan.left) == (50_000, 10_000)
    m1 = plan.line("m1")
    assert (m1.rank, m1.verdict, m1.selected) == (2, Verdict.DID_NOT_FIT, False)
    assert (m1.outcome.money_at_turn, m1.outcome.shortfall, m1.outcome.budget_needed) == (
        30_000,
        10_000,
        70_000,
    )
    assert [line.measure.id for line in plan.measures] == ["m2", "m1", "m4", "m3"]
    assert plan.line("m2").in_discussion_list
    assert not plan.line("m3").in_discussion_list
    assert plan.skipped_measures_count_as_zero is False


def test_greedy_does_not_fund_what_nobody_values() -> None:
    scores = (ScoreBallot(1, {("m1", "V"): 0, ("m3", "V"): 0}),)
    sieve = Sieve(EFFECTS, MEASURES, 60_000, PARTICIPANTS, WEIGHTS, scores)
    plan = make_plan(sieve)
    assert plan.selected == ()
    assert plan.line("m1").verdict is Verdict.NO_SUPPORT


def test_optimal_largest_total_contribution() -> None:
    plan = make_plan(SIEVE, Rule.OPTIMAL)
    assert plan.selected == ("m2", "m4", "m3")
    assert plan.line("m1").verdict is Verdict.NOT_IN_OPTIMUM
    # With m1 forced in, m4 and m3 fit beside it: 77/90 + 11/20 + 1/2.
    assert plan.line("m1").outcome.welfare_if_forced == Fraction(77, 90) + Fraction(
        11, 20
    ) + Fraction(1, 2)


def test_equal_shares_on_the_participants_own_values() -> None:
    plan = make_plan(SIEVE, Rule.EQUAL_SHARES)
    assert plan.selected == ("m3", "m2", "m4")  # checked with pabutools
    assert plan.line("m3").outcome.stage is Stage.NO_COST
    assert plan.line("m2").outcome.price == 12_500
    m1 = plan.line("m1").outcome
    assert (m1.verdict, m1.money_at_turn, m1.shortfall) == (
        Verdict.SUPPORTERS_SHORT,
        10_000,
        30_000,
    )
    details = plan.allocation.equal_shares
    assert details is not None
    assert details.spent == (Fraction(20_000), Fraction(20_000), Fraction(10_000))


def test_equal_shares_on_the_kiezen_packages() -> None:
    plan = make_plan(SIEVE, Rule.EQUAL_SHARES_PACKAGES)
    # m3 costs nothing, but nobody put it in a package: this rule counts the packages only.
    assert plan.selected == ("m2", "m4")  # checked with pabutools (which adds m3 at no cost)
    assert plan.line("m3").verdict is Verdict.NO_SUPPORT
    by_count = make_plan(
        SIEVE, Rule.EQUAL_SHARES_PACKAGES, package_satisfaction=Satisfaction.CARDINALITY
    )
    assert by_count.selected[0] == "m2"
    only_shares = make_plan(SIEVE, Rule.EQUAL_SHARES_PACKAGES, completion=False)
    assert only_shares.selected == ("m2", "m4")


def test_money_per_effect_follows_the_mean_scores() -> None:
    plan = make_plan(SIEVE)
    assert plan.line("m2").money_per_effect == {"L": Fraction(90_000, 7), "J": Fraction(120_000, 7)}
    money = {e.effect.id: e for e in plan.money_per_effect}
    assert money["L"].money == Fraction(90_000, 7)
    assert money["L"].total == Fraction(90_000, 7) + 20_000  # with its sub-effect Groen
    assert money["L"].measure_ids == ("m2", "m4")
    assert money["G"].money == 20_000
    assert money["V"].money == 0
    assert sum(e.money for e in plan.money_per_effect) == plan.spent


def test_money_is_split_evenly_when_nobody_sees_a_contribution() -> None:
    measures = (Measure("m", "M", 900, ("V", "L", "J")),)
    scores = (ScoreBallot(1, {("m", "V"): 0, ("m", "L"): 0, ("m", "J"): 0}),)
    sieve = Sieve(EFFECTS, measures, 1000, scores=scores)
    plan = make_plan(sieve, Rule.OPTIMAL)
    assert plan.selected == ()
    found = contributions(sieve, participant_values(sieve))
    assert money_per_effect(sieve, found, ["m"]) == {"m": {"V": 300, "L": 300, "J": 300}}


def test_turnout_per_round_and_group() -> None:
    turnout = make_plan(SIEVE).turnout
    assert (turnout.weighed, turnout.rated, turnout.chose) == (3, 3, 3)
    assert (turnout.own_weights, turnout.stand_in_weights, turnout.left_out) == (2, 1, 0)
    assert turnout.by_group[StakeholderGroup.BEWONER] == (1, 2, 1)
    assert turnout.by_group[StakeholderGroup.ONDERNEMER] == (1, 0, 1)


def test_integer_and_text_ids_mix() -> None:
    measures = (Measure(1, "een", 10, (7,)), Measure("twee", "twee", 10, (7,)))
    sieve = Sieve(
        (Effect(7, "zeven"),),
        measures,
        10,
        weights=(WeightBallot("a", {7: 100}),),
        scores=(ScoreBallot("a", {(1, 7): 2, ("twee", 7): 2}),),
    )
    for rule in (Rule.GREEDY, Rule.OPTIMAL, Rule.EQUAL_SHARES):
        assert make_plan(sieve, rule).selected == (1,)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weights": (WeightBallot(1, {"G": 100}),)}, "not a desired effect"),
        ({"weights": (WeightBallot(1, {"V": 0}),)}, "no points"),
        ({"weights": (WeightBallot(1, {"V": -5, "L": 105}),)}, "points -5"),
        ({"weights": (WeightBallot(1, {"V": 100}), WeightBallot(1, {"L": 100}))}, "two weights"),
        ({"scores": (ScoreBallot(1, {("m2", "L"): 2}),)}, "some of its effects only"),
        ({"scores": (ScoreBallot(1, {("m1", "V"): 4}),)}, "not 0, 1, 2 or 3"),
        ({"scores": (ScoreBallot(1, {("m1", "J"): 1}),)}, "not linked"),
        ({"scores": (ScoreBallot(1, {("m9", "V"): 1}),)}, "unknown measure"),
        ({"packages": (PackageBallot(1, ("m9",)),)}, "unknown measure"),
        ({"measures": (Measure("m", "M", 1, ("X",)),)}, "unknown effect"),
        ({"effects": (*EFFECTS, Effect("V"))}, "share an id"),
        ({"budget": -1}, "negative"),
    ],
)
def test_bad_sieves_are_refused(change: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "effects": EFFECTS,
        "measures": MEASURES,
        "budget": 60_000,
        "participants": PARTICIPANTS,
    }
    fields.update(change)
    with pytest.raises(ValueError, match=message):
        Sieve(**fields)  # type: ignore[arg-type]


def test_bad_measures_and_packages_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        Measure("m", "M", -1, ("V",))
    with pytest.raises(ValueError, match="no effect"):
        Measure("m", "M", 1, ())
    with pytest.raises(ValueError, match="chosen twice"):
        PackageBallot(1, ("m1", "m1"))


@pytest.mark.parametrize("rule", list(Rule))
def test_what_nobody_valued_is_never_selected_even_with_money_left(rule: Rule) -> None:
    # Everyone rates m4 (the green one) 0 and nobody puts it in a package; it costs 20,000 and
    # 150,000 of the budget is left over under every rule: no rule spends it on m4.
    scores = tuple(
        ScoreBallot(b.participant_id, {k: (0 if k[0] == "m4" else v) for k, v in b.scores.items()})
        for b in SCORES
    )
    packages = (PackageBallot(1, ("m2",)), PackageBallot(2, ("m1", "m2")))
    sieve = Sieve(EFFECTS, MEASURES, 240_000, PARTICIPANTS, WEIGHTS, scores, packages)
    plan = make_plan(sieve, rule)
    assert plan.left >= 20_000 + 130_000
    assert "m4" not in plan.selected
    assert plan.line("m4").verdict is Verdict.NO_SUPPORT
