"""The ballot rules of Wegen, Zeven and Kiezen, without a database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain import ballots as rules
from app.domain.vocabulary import CostHorizon, RoundKind
from app.errors import InvalidInput

SAFETY, LIVING, YOUTH = 1, 2, 3
MENU = rules.BallotMenu(
    effects=(
        rules.EffectChoice(SAFETY, "Veiligheid"),
        rules.EffectChoice(LIVING, "Leefomgeving"),
        rules.EffectChoice(YOUTH, "Jongeren"),
    ),
    measures=(
        rules.MeasureChoice(10, "Buurtbemiddeling", 80_000, False, (SAFETY,)),
        rules.MeasureChoice(11, "IB paraat", 100_000, False, (SAFETY, YOUTH)),
        rules.MeasureChoice(12, "Floreshuis", 760_000, False, (LIVING,)),
        rules.MeasureChoice(13, "Geluidsoverlast", 0, True, (SAFETY,)),
    ),
    budget=1_000_000,
)


def test_the_binding_cost_is_the_cost_at_the_process_horizon() -> None:
    costs = {"year_1": 25_000, "years_4": 100_000, "years_10": 200_000}
    assert rules.binding_cost(**costs, horizon=CostHorizon.YEARS_4, is_regular=False) == 100_000
    assert rules.binding_cost(**costs, horizon=CostHorizon.YEAR_1, is_regular=False) == 25_000
    assert rules.binding_cost(**costs, horizon=CostHorizon.YEARS_10, is_regular=False) == 200_000
    assert rules.binding_cost(**costs, horizon=CostHorizon.YEARS_4, is_regular=True) == 0
    none = {"year_1": None, "years_4": None, "years_10": None}
    assert rules.binding_cost(**none, horizon=CostHorizon.YEARS_4, is_regular=True) == 0


def test_wegen_takes_exactly_100_points() -> None:
    ballot = rules.check_weights({SAFETY: 50, LIVING: 50, YOUTH: 0}, MENU)
    assert ballot.kind == RoundKind.WEGEN
    assert ballot.lines == (
        rules.Line(None, SAFETY, 50),
        rules.Line(None, LIVING, 50),
    )
    with pytest.raises(rules.PointsNotHundred, match="add up to 90, not 100: you still have 10"):
        rules.check_weights({SAFETY: 50, LIVING: 40}, MENU)
    with pytest.raises(rules.PointsNotHundred, match="add up to 120, not 100: take away 20"):
        rules.check_weights({SAFETY: 60, LIVING: 60}, MENU)
    with pytest.raises(InvalidInput, match="Veiligheid: give between 0 and 100 points, not -10"):
        rules.check_weights({SAFETY: -10, LIVING: 110}, MENU)
    with pytest.raises(InvalidInput, match="not one of the effects"):
        rules.check_weights({99: 100}, MENU)


def test_points_are_read_from_what_was_typed() -> None:
    assert rules.read_points({SAFETY: " 70 ", LIVING: "30", YOUTH: ""}, MENU) == {
        SAFETY: 70,
        LIVING: 30,
        YOUTH: 0,
    }
    assert rules.read_points({SAFETY: 100}, MENU) == {SAFETY: 100, LIVING: 0, YOUTH: 0}
    with pytest.raises(InvalidInput, match="Leefomgeving: 'veel' is not a whole number"):
        rules.read_points({LIVING: "veel"}, MENU)
    assert rules.points_left({SAFETY: 70, LIVING: 10}) == 20
    assert rules.points_left({SAFETY: 70, LIVING: 50}) == -20


@given(st.lists(st.integers(min_value=0, max_value=100), min_size=3, max_size=3))
def test_any_split_of_100_is_accepted_and_nothing_else(values: list[int]) -> None:
    points = dict(zip((SAFETY, LIVING, YOUTH), values, strict=True))
    if sum(values) == 100:
        lines = rules.check_weights(points, MENU).lines
        assert sum(ln.value for ln in lines) == 100
    else:
        with pytest.raises(rules.PointsNotHundred):
            rules.check_weights(points, MENU)


def test_zeven_rates_linked_effects_and_allows_skipping() -> None:
    ballot = rules.check_scores({(11, SAFETY): 3, (11, YOUTH): 0, (12, LIVING): 2}, MENU)
    assert ballot.lines == (
        rules.Line(11, SAFETY, 3),
        rules.Line(11, YOUTH, 0),
        rules.Line(12, LIVING, 2),
    )
    with pytest.raises(InvalidInput, match="not linked to the effect 'Jongeren'"):
        rules.check_scores({(10, YOUTH): 1}, MENU)
    with pytest.raises(InvalidInput, match=r"IB paraat: choose a number for Jongeren too"):
        rules.check_scores({(11, SAFETY): 1}, MENU)
    with pytest.raises(InvalidInput, match="0, 1, 2 or 3"):
        rules.check_scores({(10, SAFETY): 4}, MENU)
    with pytest.raises(InvalidInput, match="not on this menu"):
        rules.check_scores({(99, SAFETY): 1}, MENU)
    with pytest.raises(rules.EmptyBallot):
        rules.check_scores({}, MENU)


def test_zeven_takes_one_decision_per_measure_and_reports_every_unfinished_one() -> None:
    # Two measures half rated: both refused at once, each with its own message, in menu order.
    two_effects = rules.MeasureChoice(14, "WIP", 50_000, False, (LIVING, YOUTH))
    menu = rules.BallotMenu(MENU.effects, (*MENU.measures, two_effects), budget=1_000_000)
    with pytest.raises(rules.MeasuresUnfinished) as refused:
        rules.check_scores({(14, YOUTH): 2, (11, SAFETY): 1, (10, SAFETY): 3}, menu)
    assert list(refused.value.problems) == [11, 14]
    # Beside each measure, in the reader's language (Dutch by default).
    assert refused.value.measure_messages() == {
        11: 'IB paraat: kies ook een cijfer voor Jongeren, of kies "Weet ik niet" voor de hele '
        "maatregel.",
        14: 'WIP: kies ook een cijfer voor Leefomgeving, of kies "Weet ik niet" voor de hele '
        "maatregel.",
    }
    assert refused.value.status == 422
    assert "IB paraat" in refused.value.message
    assert "WIP" in refused.value.message
    # "I don't know" for the whole measure wins over numbers ticked before it: not stored, not 0.
    ballot = rules.check_scores({(11, SAFETY): 1, (10, SAFETY): 3}, menu, skipped=[11])
    assert ballot.lines == (rules.Line(10, SAFETY, 3),)
    with pytest.raises(InvalidInput, match="skip: measure 99 is not on this menu"):
        rules.check_scores({(10, SAFETY): 3}, menu, skipped=[99])
    # Skipping everything leaves nothing to count.
    with pytest.raises(rules.EmptyBallot):
        rules.check_scores({(10, SAFETY): 3}, menu, skipped=[10, 11, 12, 13, 14])


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("-10", "Veiligheid: give between 0 and 100 points, not -10."),
        ("101", "Veiligheid: give between 0 and 100 points, not 101."),
        ("12,5", "Veiligheid: '12,5' is not a whole number of points."),
        ("12.5", "Veiligheid: '12.5' is not a whole number of points."),
    ],
)
def test_the_points_problem_beside_a_field_is_the_refusal_on_submit(
    typed: str, problem: str
) -> None:
    raw = {SAFETY: typed, LIVING: "60", YOUTH: "50"}
    assert {e: p.message for e, p in rules.point_problems(raw, MENU).items()} == {SAFETY: problem}
    with pytest.raises(InvalidInput) as refused:
        rules.check_weights(rules.read_points(raw, MENU), MENU)
    assert refused.value.message == problem
    assert rules.point_problems({SAFETY: "", LIVING: "100"}, MENU) == {}


def test_scores_are_read_with_blank_as_skipped() -> None:
    assert rules.read_scores({(10, SAFETY): "", (12, LIVING): "2"}, MENU) == {(12, LIVING): 2}
    with pytest.raises(InvalidInput, match="Buurtbemiddeling: a score is 0, 1, 2 or 3, not 'x'"):
        rules.read_scores({(10, SAFETY): "x"}, MENU)


def test_kiezen_keeps_the_package_within_the_budget() -> None:
    ballot = rules.check_package([12, 11, 13, 12], MENU)
    assert [ln.measure_id for ln in ballot.lines] == [11, 12, 13]
    tally = rules.tally_package([12, 11, 13], MENU)
    assert (tally.total, tally.left, tally.over, tally.fits) == (860_000, 140_000, 0, True)
    four = rules.tally_package([10, 11, 12, 13], MENU)
    assert (four.total, four.left, four.over, four.fits) == (940_000, 60_000, 0, True)
    big = rules.BallotMenu(MENU.effects, MENU.measures, budget=800_000)
    with pytest.raises(rules.OverBudget) as refused:
        rules.check_package([11, 12], big)
    assert refused.value.params == {"total": 860_000, "over": 60_000, "budget": 800_000}
    with pytest.raises(rules.EmptyBallot):
        rules.check_package([], MENU)
    with pytest.raises(InvalidInput, match="measure 99 is not on this menu"):
        rules.check_package([99], MENU)


def test_stored_lines_read_back() -> None:
    assert rules.lines_to_points(rules.check_weights({SAFETY: 100}, MENU).lines) == {SAFETY: 100}
    assert rules.lines_to_scores(rules.check_scores({(10, SAFETY): 2}, MENU).lines) == {
        (10, SAFETY): 2
    }
    assert rules.lines_to_package(rules.check_package([13], MENU).lines) == [13]
