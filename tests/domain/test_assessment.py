"""The ballots are assessed once: every rule and the budget scenarios reuse one assessment, and
the next request of the same ballots (a new sieve of equal values) reuses the plans made."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest

from app.domain import waardenzeef as wz
from app.domain.sensitivity import sensitivity
from tests.domain.test_waardenzeef import SIEVE


def test_rules_and_budget_scenarios_assess_the_ballots_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wz.forget()  # equal ballots assessed by an earlier test would be found again
    copied = SIEVE.scores[:1] + SIEVE.scores[1:]  # the same ballots in a new tuple
    sieve = replace(SIEVE, scores=copied)  # not assessed yet
    calls: list[int] = []
    assess = wz.participant_values

    def counting(*args: object, **kwargs: object) -> wz.Values:
        calls.append(1)
        return assess(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(wz, "participant_values", counting)
    analysis = sensitivity(sieve, wz.Rule.GREEDY, wz.RankBy.CONTRIBUTION, groups=[])
    plans = [wz.make_plan(sieve, rule) for rule in (wz.Rule.OPTIMAL, wz.Rule.EQUAL_SHARES)]
    assert len(calls) == 1  # the plan, budget -10% and +10%, two more rules: one assessment
    assert analysis.plan.selected == wz.make_plan(sieve).selected
    assert all(p.measures for p in plans)


def test_a_reused_assessment_gives_the_plan_a_fresh_one_gives() -> None:
    sieve = replace(SIEVE)
    reused = [wz.make_plan(sieve, rule) for rule in wz.Rule]
    wz.forget()
    fresh = [wz.make_plan(replace(SIEVE), rule) for rule in wz.Rule]
    assert reused == fresh
    assert all(a is not b for a, b in zip(reused, fresh, strict=True))  # really made again


def test_other_ballots_are_assessed_anew() -> None:
    sieve = replace(SIEVE)
    before = wz.make_plan(sieve)
    fewer = replace(sieve, scores=sieve.scores[1:])
    after = wz.make_plan(fewer)
    assert after.measures != before.measures
    values, _found = wz.assessment(fewer)
    assert values == wz.participant_values(fewer)


def test_the_same_ballots_read_again_get_the_plans_already_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wz.forget()
    first = wz.make_plan(replace(SIEVE), wz.Rule.EQUAL_SHARES)
    calls: list[int] = []
    assess = wz.participant_values

    def counting(*args: object, **kwargs: object) -> wz.Values:
        calls.append(1)
        return assess(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(wz, "participant_values", counting)
    # Another request: the same values in new tuples, as the database gives them again.
    again = replace(SIEVE, scores=tuple(replace(b) for b in SIEVE.scores))
    assert again is not SIEVE
    assert again == SIEVE
    assert wz.make_plan(again, wz.Rule.EQUAL_SHARES) is first
    assert calls == []
    # Anything else that differs is a plan of its own, made anew.
    assert wz.make_plan(again, wz.Rule.GREEDY) is not first
    cheaper = wz.make_plan(replace(again, budget=again.budget - 1), wz.Rule.EQUAL_SHARES)
    assert cheaper is not first
    assert cheaper.budget == SIEVE.budget - 1
    weights = {e.id: Fraction(1, 2) for e in SIEVE.desired_effects}
    weighed = wz.make_plan(again, wz.Rule.EQUAL_SHARES, weights_override=weights)
    assert weighed is not first
    assert len(calls) == 1
    fewer = wz.make_plan(replace(again, scores=again.scores[1:]), wz.Rule.EQUAL_SHARES)
    assert fewer.measures != first.measures
