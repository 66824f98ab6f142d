"""The ballots file of a bewonersplan: read back exactly, recounted by pabutools, tamper-proof."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pabutools.election import (
    Additive_Cardinal_Sat,
    AdditiveSatisfaction,
    Cost_Sat,
)
from pabutools.election.pabulib import parse_pabulib_from_string
from pabutools.rules import (
    completion_by_rule_combination,
    greedy_utilitarian_welfare,
    max_additive_utilitarian_welfare,
    method_of_equal_shares,
)
from pabutools.tiebreaking import TieBreakingRule

from app.domain import plan_file
from app.domain.pabulib import PbInstance, PbVote, format_pabulib, parse_pabulib
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
    make_plan,
)
from tests.domain.random_sieves import sieves

PLANS = [
    (Rule.GREEDY, RankBy.CONTRIBUTION),
    (Rule.GREEDY, RankBy.VALUE_PER_EURO),
    (Rule.OPTIMAL, RankBy.CONTRIBUTION),
    (Rule.EQUAL_SHARES, RankBy.CONTRIBUTION),
    (Rule.EQUAL_SHARES_PACKAGES, RankBy.CONTRIBUTION),
]

EFFECTS = (Effect("V", "Veiligheid"), Effect("L", "Leefomgeving"), Effect("G", "Groen", "L"))
MEASURES = (
    Measure(1, "Camera's", 40_000, ("V",)),
    Measure(2, "Kinderwerk", 30_000, ("L",)),
    Measure(3, "Geluidsoverlast", None, ("V",)),
    Measure(4, "Boomspiegels", 20_000, ("G",)),
    Measure(5, "Bankjes", 10_000, ("G",)),
)


def _meeting() -> Sieve:
    """Eight people: 6 and 7 only weighed (Wegen), 8 only chose (Kiezen); nobody values 5."""
    groups = [StakeholderGroup.BEWONER] * 6 + [StakeholderGroup.STUDENT] * 2
    participants = tuple(Participant(p, groups[p - 1]) for p in range(1, 9))
    weights = tuple(WeightBallot(p, {"V": 10 * p, "L": 100 - 10 * p}) for p in (1, 2, 3, 4, 6, 7))
    scores = tuple(
        ScoreBallot(
            p,
            {
                (1, "V"): p % 4,
                (2, "L"): (p + 1) % 4,
                (3, "V"): 1,
                (4, "G"): (p + 2) % 4,
                (5, "G"): 0,
            },
        )
        for p in (1, 2, 3, 4, 5)
    )
    packages = (
        PackageBallot(1, (1, 4)),
        PackageBallot(2, (2,)),
        PackageBallot(3, (2, 4)),
        PackageBallot(8, (1,)),
    )
    return Sieve(EFFECTS, MEASURES, 60_000, participants, weights, scores, packages)


def _file(sieve: Sieve, rule: Rule, ranked_by: RankBy) -> str:
    instance = plan_file.to_pabulib(
        sieve, description="Proef", unit="Korrewegwijk", rule=rule, ranked_by=ranked_by
    )
    return format_pabulib(instance)


class PointsTimesCost(AdditiveSatisfaction):  # type: ignore[misc]
    """Points times cost: greedy by total points, as Pabulib's "greedy" counts points."""

    def __init__(self, instance: Any, profile: Any, ballot: Any) -> None:
        super().__init__(
            instance, profile, ballot, lambda inst, prof, b, p, pre: b.get(p, 0) * p.cost
        )


def _pabutools(text: str) -> list[set[str]]:
    """What pabutools selects with the rule the file names (every optimum, for `optimal`)."""
    instance, profile = parse_pabulib_from_string(text)
    order = {m: i for i, m in enumerate(instance.meta["waardenzeef_ranking"].split(","))}
    ties = TieBreakingRule(lambda inst, prof, project: order[project.name])
    rule, satisfaction = instance.meta["rule"], instance.meta["satisfaction"]
    if rule == "greedy":
        sat = PointsTimesCost if satisfaction == "cost" else Additive_Cardinal_Sat
        chosen = greedy_utilitarian_welfare(instance, profile, sat_class=sat, tie_breaking=ties)
        return [{p.name for p in chosen}]
    if rule == "optimal":
        assert satisfaction == "cardinal"
        every = max_additive_utilitarian_welfare(
            instance, profile, sat_class=Additive_Cardinal_Sat, resoluteness=False
        )
        return [{p.name for p in chosen} for chosen in every]
    assert rule == "equalshares/add1"
    sat = Additive_Cardinal_Sat if satisfaction == "cardinal" else Cost_Sat
    if len(profile) == 0:
        return [set()]
    chosen = completion_by_rule_combination(
        instance,
        profile,
        [method_of_equal_shares, greedy_utilitarian_welfare],
        [
            {"sat_class": sat, "voter_budget_increment": 1, "tie_breaking": ties},
            {"sat_class": sat, "tie_breaking": ties},
        ],
    )
    return [{p.name for p in chosen}]


@pytest.mark.parametrize(("rule", "ranked_by"), PLANS)
def test_a_meeting_where_some_only_weighed_recounts_in_pabutools(
    rule: Rule, ranked_by: RankBy
) -> None:
    sieve = _meeting()
    plan = make_plan(sieve, rule, ranked_by)
    text = _file(sieve, rule, ranked_by)
    assert {str(m) for m in plan.selected} in _pabutools(text)
    instance = parse_pabulib(text)
    voters = [v.voter_id for v in instance.votes]
    # Those who only weighed are no voters; their weights are kept apart for the recount.
    assert "6" not in voters
    assert "7" not in voters
    others = {
        o["voter_id"]: o for o in plan_file._json(instance.meta, "waardenzeef_other_participants")
    }
    assert others["6"]["weights"] == "L:40,V:60"
    # Nobody valued measure 5 (or put it in a package): never selected, not a project outside.
    assert "5" not in {p.id for p in instance.projects}
    recounted = plan_file.recount(instance)
    assert recounted.selected == plan.selected
    assert recounted.fingerprint_matches
    assert recounted.outside_agrees


def test_the_voters_are_those_the_rule_counts() -> None:
    sieve = _meeting()
    by_rule = {
        rule: [v.voter_id for v in parse_pabulib(_file(sieve, rule, RankBy.CONTRIBUTION)).votes]
        for rule in Rule
    }
    assert by_rule[Rule.EQUAL_SHARES] == ["1", "2", "3", "4", "5"]
    assert by_rule[Rule.EQUAL_SHARES_PACKAGES] == ["1", "2", "3", "8"]
    values = parse_pabulib(_file(sieve, Rule.GREEDY, RankBy.CONTRIBUTION))
    # Points are shares of V_m: they add up to each measure's weighted contribution.
    plan = make_plan(sieve)
    for line in plan.measures:
        if line.contribution.weighted_contribution > 0:
            total = sum(v.points_by_project().get(str(line.measure.id), 0) for v in values.votes)
            assert total == line.contribution.weighted_contribution


SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(sieves(max_people=8), st.sampled_from(PLANS))
def test_every_file_recounts_in_pabutools_and_here(
    sieve: Sieve, plan_of: tuple[Rule, RankBy]
) -> None:
    rule, ranked_by = plan_of
    plan = make_plan(sieve, rule, ranked_by)
    text = _file(sieve, rule, ranked_by)
    assert {str(m) for m in plan.selected} in _pabutools(text)
    instance = parse_pabulib(text)
    back, back_rule, back_ranked_by = plan_file.from_pabulib(instance)
    published = plan_file.published(sieve)
    assert plan_file.canonical(back, rule, ranked_by) == plan_file.canonical(
        published, rule, ranked_by
    )
    assert (back_rule, back_ranked_by) == (rule, ranked_by)
    recounted = plan_file.recount(instance)
    assert recounted.selected == plan.selected
    assert recounted.fingerprint == plan_file.fingerprint(published, rule, ranked_by)
    assert recounted.ok


def _changed(text: str, voter: str, column: str, value: str) -> PbInstance:
    instance = parse_pabulib(text)
    votes = []
    for vote in instance.votes:
        if vote.voter_id == voter:
            if column == "points":
                assert vote.points is not None
                points = (parse_pabulib_number(value), *vote.points[1:])
                vote = PbVote(vote.voter_id, vote.projects, points, vote.fields)
            else:
                vote = PbVote(vote.voter_id, tuple(value.split(",")), None, vote.fields)
        votes.append(vote)
    return PbInstance(
        instance.meta,
        instance.projects,
        tuple(votes),
        instance.project_columns,
        instance.vote_columns,
    )


def parse_pabulib_number(text: str) -> Any:
    from fractions import Fraction

    return Fraction(text)


def test_changed_points_are_refused_naming_the_voter_and_column() -> None:
    sieve = _meeting()
    text = _file(sieve, Rule.EQUAL_SHARES, RankBy.CONTRIBUTION)
    with pytest.raises(plan_file.PlanFileError, match="voter 2, column points"):
        plan_file.recount(_changed(text, "2", "points", "3"))


def test_a_changed_vote_is_refused_naming_the_voter_and_column() -> None:
    sieve = _meeting()
    text = _file(sieve, Rule.EQUAL_SHARES_PACKAGES, RankBy.CONTRIBUTION)
    with pytest.raises(plan_file.PlanFileError, match="voter 8, column vote"):
        plan_file.recount(_changed(text, "8", "vote", "2"))


def test_a_changed_cost_or_name_changes_the_fingerprint() -> None:
    sieve = _meeting()
    text = _file(sieve, Rule.GREEDY, RankBy.CONTRIBUTION)
    assert plan_file.recount(parse_pabulib(text)).fingerprint_matches
    cheaper = text.replace("\n1;40000;", "\n1;4000;")
    assert cheaper != text
    assert not plan_file.recount(parse_pabulib(cheaper)).fingerprint_matches
    renamed = text.replace("Kinderwerk", "Floreshuis")
    assert not plan_file.recount(parse_pabulib(renamed)).fingerprint_matches


def test_a_changed_rule_is_refused() -> None:
    sieve = _meeting()
    text = _file(sieve, Rule.GREEDY, RankBy.CONTRIBUTION)
    with pytest.raises(plan_file.PlanFileError, match="META satisfaction"):
        plan_file.recount(parse_pabulib(text.replace("satisfaction;cost", "satisfaction;cardinal")))
    other = text.replace("waardenzeef_rule;greedy", "waardenzeef_rule;optimal")
    with pytest.raises(plan_file.PlanFileError, match="META rule"):
        plan_file.recount(parse_pabulib(other))


def test_small_groups_leave_the_file_without_their_group() -> None:
    sieve = _meeting()  # 6 bewoners, 2 students
    instance = parse_pabulib(_file(sieve, Rule.EQUAL_SHARES, RankBy.CONTRIBUTION))
    groups = {v.voter_id: v.fields.get("group", "") for v in instance.votes}
    assert groups == {
        "1": "bewoner",
        "2": "bewoner",
        "3": "bewoner",
        "4": "bewoner",
        "5": "bewoner",
    }
    others = plan_file._json(instance.meta, "waardenzeef_other_participants")
    assert [(o["voter_id"], o["group"]) for o in others] == [
        ("6", "bewoner"),
        ("7", ""),
        ("8", ""),
    ]


def test_the_equal_shares_file_names_the_proportional_rule_not_greedy() -> None:
    # Four people value a, b and d; two value c. Greedy takes a, b, d; equal shares gives the
    # two their share: a, b, c. The file must recount to equal shares, here and in pabutools.
    measures = tuple(Measure(key, key.upper(), 10, ("V",)) for key in "abcd")
    scores = tuple(
        ScoreBallot(p, {("a", "V"): 3, ("b", "V"): 3, ("d", "V"): 3}) for p in range(1, 5)
    ) + tuple(ScoreBallot(p, {("c", "V"): 2}) for p in (5, 6))
    participants = tuple(Participant(p) for p in range(1, 7))
    sieve = Sieve(EFFECTS, measures, 30, participants, (), scores)
    assert set(make_plan(sieve).selected) == {"a", "b", "d"}
    plan = make_plan(sieve, Rule.EQUAL_SHARES)
    assert set(plan.selected) == {"a", "b", "c"}
    text = _file(sieve, Rule.EQUAL_SHARES, RankBy.CONTRIBUTION)
    assert _pabutools(text) == [{"a", "b", "c"}]
    recounted = plan_file.recount(parse_pabulib(text))
    assert set(recounted.outside_selected or ()) == {"a", "b", "c"}
    assert recounted.ok


def test_a_file_of_the_first_format_is_recounted_with_its_own_fingerprint() -> None:
    # Everyone rated and chose, so the VOTES section holds them all, as the first format did.
    sieve = _meeting()
    everyone = Sieve(
        sieve.effects,
        sieve.measures,
        sieve.budget,
        sieve.participants[:5],
        tuple(w for w in sieve.weights if w.participant_id in range(1, 6)),
        sieve.scores,
        tuple(p for p in sieve.packages if p.participant_id in range(1, 6)),
    )
    text = _file(everyone, Rule.EQUAL_SHARES, RankBy.CONTRIBUTION)
    published = plan_file.published(everyone)
    old = text.replace(plan_file.FORMAT, plan_file.OLD_FORMAT).replace(
        plan_file.fingerprint(published, Rule.EQUAL_SHARES, RankBy.CONTRIBUTION),
        plan_file.fingerprint_v1(published),
    )
    recounted = plan_file.recount(parse_pabulib(old))
    assert recounted.fingerprint_matches
    assert recounted.selected == make_plan(everyone, Rule.EQUAL_SHARES).selected
