"""Sensitivity: what changes with the budget 10% down or up, and with one group's weights."""

from __future__ import annotations

from dataclasses import replace

from app.domain.sensitivity import ScenarioKind, sensitivity
from app.domain.vocabulary import StakeholderGroup
from app.domain.waardenzeef import Rule
from tests.domain.test_waardenzeef import SIEVE

# With 70,000: M2 (30,000) and M1 (40,000) fit exactly; with 63,000 M1 no longer does, and M4
# (20,000) takes its place; with 77,000 nothing more fits than with 70,000.
ROOMY = replace(SIEVE, budget=70_000)


def test_the_budget_ten_percent_down_and_up() -> None:
    result = sensitivity(ROOMY)
    assert result.plan.selected == ("m2", "m1", "m3")
    down, up = result.budget_down, result.budget_up
    assert (down.kind, down.budget) == (ScenarioKind.BUDGET_DOWN, 63_000)
    assert down.selected == ("m2", "m4", "m3")
    assert (down.entered, down.left) == (("m4",), ("m1",))
    assert down.changed
    assert (up.kind, up.budget) == (ScenarioKind.BUDGET_UP, 77_000)
    assert not up.changed
    assert down.moved == up.moved == ()  # the budget does not change the ranking


def test_a_budget_that_is_not_divisible_stays_exact() -> None:
    result = sensitivity(replace(SIEVE, budget=60_005))
    assert result.budget_down.budget * 10 == 540_045
    assert result.budget_up.budget * 10 == 660_055


def test_each_groups_weights_in_everyones_place() -> None:
    result = sensitivity(SIEVE)
    assert [s.group for s in result.groups] == [
        StakeholderGroup.BEWONER,
        StakeholderGroup.ONDERNEMER,
        StakeholderGroup.STUDENT,
    ]
    bewoner, ondernemer, student = result.groups
    assert all(s.kind is ScenarioKind.GROUP_WEIGHTS for s in result.groups)
    assert not bewoner.changed
    # The ondernemer weighed only safety: the cameras (M1) rise to first place and get in.
    assert ondernemer.selected == ("m1", "m3")
    assert (ondernemer.entered, ondernemer.left) == (("m1",), ("m2", "m4"))
    assert [(m.measure_id, m.rank, m.scenario_rank) for m in ondernemer.moved] == [
        ("m2", 1, 4),
        ("m1", 2, 1),
        ("m3", 4, 2),
    ]
    assert not student.changed
    assert [(m.measure_id, m.rank, m.scenario_rank) for m in student.moved] == [
        ("m1", 2, 3),
        ("m4", 3, 2),
    ]
    assert result.stable == ("m3",)


def test_group_weights_do_not_move_equal_shares_on_packages() -> None:
    result = sensitivity(SIEVE, Rule.EQUAL_SHARES_PACKAGES)
    assert all(not s.changed for s in result.groups)
    assert result.stable == result.plan.selected


def test_equal_shares_on_values_reacts_to_group_weights() -> None:
    result = sensitivity(SIEVE, Rule.EQUAL_SHARES)
    ondernemer = result.groups[1]
    # The ondernemer weighs only safety: nobody values the green m4 any more, so no rule takes
    # it (not even to fill leftover money), and m2 makes way for m1.
    assert ondernemer.selected == ("m3", "m1")
    assert (ondernemer.entered, ondernemer.left) == (("m1",), ("m2", "m4"))
