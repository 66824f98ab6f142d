"""The budgets the plan names on a 60-person Korrewegwijk evening, checked by running the rule
again: at the named budget the measure is in; one euro less, and at every 10.000 euros from the
plan's budget up, it is not (for equal shares: at every grid point below it). The random small
elections of tests/domain/test_reasons.py check every budget in between; this is the evening of
issue 16, where 14 of 16 such sentences used to be wrong."""

from __future__ import annotations

import pytest

from app.domain import reasons
from app.domain import waardenzeef as wz
from app.services import plans as plans_service
from tests.conftest import Seeded
from tests.factories import meeting_night


def _selected_at(sieve: wz.Sieve, plan: wz.Plan, budget: int) -> tuple[wz.Id, ...]:
    assert plan.values is not None
    return wz.select(
        sieve, plan.rule, plan.ranking, plan.contributions, plan.values, budget=budget
    ).selected


pytestmark = pytest.mark.one_database(
    "the reasons and the rule run again on the evening's sieve, the same from either database"
    " (load_source on PostgreSQL is tested with the plans' services)"
)


@pytest.fixture(scope="module")
def evening(seeded: Seeded) -> wz.Sieve:
    """The evening's sieve (frozen), read once for the four rules, its ballots rolled back."""
    with seeded.rolled_back() as session:
        meeting_night(session, seeded.process_id, participants=60, paper=4)
        sieve = plans_service.load_source(session, process_id=seeded.process_id).sieve
    return sieve


@pytest.mark.parametrize(
    "rule", [wz.Rule.GREEDY, wz.Rule.OPTIMAL, wz.Rule.EQUAL_SHARES, wz.Rule.EQUAL_SHARES_PACKAGES]
)
def test_every_named_budget_on_a_60_person_evening_is_the_first_that_selects(
    evening: wz.Sieve, rule: wz.Rule
) -> None:
    sieve = evening
    plan = wz.make_plan(sieve, rule)
    budget = int(plan.budget)
    checked = 0
    for reason in reasons.explain(sieve, plan):
        if reason.selected or reason.budget_needed is None:
            continue
        needed = int(reason.budget_needed)
        assert needed > budget
        assert reason.measure_id in _selected_at(sieve, plan, needed)
        if reason.budget_step is None:
            # Exact (greedy, optimal): one euro less it is out, and so at every 10.000 below.
            below = [*range(budget + 10_000, needed - 1, 10_000), needed - 1]
            assert all(reason.measure_id not in _selected_at(sieve, plan, b) for b in below)
        else:
            below = list(range(budget + reason.budget_step, needed, reason.budget_step))
            assert all(reason.measure_id not in _selected_at(sieve, plan, b) for b in below)
        checked += 1
    assert checked >= 3, "too few measures left out to check anything"
