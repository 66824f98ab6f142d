"""The ballots are assessed once: every rule and the budget scenarios reuse one assessment."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.domain import waardenzeef as wz
from app.domain.sensitivity import sensitivity
from tests.domain.test_waardenzeef import SIEVE


def test_rules_and_budget_scenarios_assess_the_ballots_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
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
    wz._ASSESSED.clear()
    fresh = [wz.make_plan(replace(SIEVE), rule) for rule in wz.Rule]
    assert reused == fresh


def test_other_ballots_are_assessed_anew() -> None:
    sieve = replace(SIEVE)
    before = wz.make_plan(sieve)
    fewer = replace(sieve, scores=sieve.scores[1:])
    after = wz.make_plan(fewer)
    assert after.measures != before.measures
    values, _found = wz.assessment(fewer)
    assert values == wz.participant_values(fewer)
