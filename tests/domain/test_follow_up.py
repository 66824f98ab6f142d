"""The follow-up's rules: statuses and their default progress, required reasons, and indicators
judged against the straight line from their baseline to their targets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from app.domain.follow_up import (
    BUILTIN_STATUSES,
    CLEAR,
    Execution,
    ExecutionChange,
    IndicatorFacts,
    Judgement,
    Milestone,
    Status,
    apply_change,
    differences,
    judge,
)

STATUSES = (*BUILTIN_STATUSES, Status("aanbesteding", "in aanbesteding", 5))
# Table 4.1: Drugsoverlast 23% in 2006, targets 20% in 2010 and 15% in 2014; lower is better.
DRUGS = IndicatorFacts(2006, Decimal(23), ((2010, Decimal(20)), (2014, Decimal(15))), True)
# Cijfer sociale samenhang 5,2 in 2006, targets 5,8 (2010) and 6,2 (2014); higher is better.
COHESION = IndicatorFacts(2006, Decimal("5.2"), ((2010, Decimal("5.8")), (2014, Decimal("6.2"))))


def test_drugsoverlast_at_21_in_2008_is_on_course_to_20_in_2010() -> None:
    course = judge(DRUGS, {2007: Decimal(22), 2008: Decimal(21)})
    assert course.judgement is Judgement.ON_COURSE
    assert (course.year, course.value) == (2008, Decimal(21))
    # Halfway from 23 (2006) to 20 (2010): 21.5 in 2008.
    assert course.expected == Fraction(43, 2)
    assert (course.target_year, course.target) == (2010, Decimal(20))


def test_drugsoverlast_above_the_line_is_behind_even_when_it_went_down() -> None:
    course = judge(DRUGS, {2008: Decimal("21.6")})
    assert course.judgement is Judgement.BEHIND
    # Exactly on the line counts as on course.
    assert judge(DRUGS, {2008: Decimal("21.5")}).judgement is Judgement.ON_COURSE


def test_higher_is_better_the_other_way_round() -> None:
    # 5.2 -> 5.8 over four years: 5.5 in 2008.
    assert judge(COHESION, {2008: Decimal("5.5")}).judgement is Judgement.ON_COURSE
    assert judge(COHESION, {2008: Decimal("5.4")}).judgement is Judgement.BEHIND


def test_between_two_targets_the_line_runs_from_one_target_to_the_next() -> None:
    course = judge(DRUGS, {2012: Decimal("17.5")})
    # From 20 (2010) to 15 (2014): 17.5 in 2012.
    assert course.expected == Fraction(35, 2)
    assert (course.target_year, course.judgement) == (2014, Judgement.ON_COURSE)


def test_after_the_last_target_the_last_target_is_the_yardstick() -> None:
    late = judge(DRUGS, {2016: Decimal(16)})
    assert (late.judgement, late.target_year) == (Judgement.BEHIND, 2014)
    assert late.expected == Fraction(15)
    assert late.after_last_target


def test_nothing_measured_after_the_baseline_or_no_target() -> None:
    assert judge(DRUGS, {}).judgement is Judgement.NO_MEASUREMENT
    assert judge(DRUGS, {2006: Decimal(23)}).judgement is Judgement.NO_MEASUREMENT
    no_target = IndicatorFacts(2006, Decimal(23), ((2005, Decimal(30)),), True)
    assert judge(no_target, {2008: Decimal(21)}).judgement is Judgement.NO_TARGET


def test_a_new_status_brings_its_default_progress_unless_progress_is_given() -> None:
    start = Execution()
    busy, problems = apply_change(start, ExecutionChange(status="bezig"), STATUSES)
    assert problems == []
    assert (busy.status, busy.progress) == ("bezig", 10)
    given, _ = apply_change(start, ExecutionChange(status="bezig", progress=40), STATUSES)
    assert given.progress == 40
    done, _ = apply_change(given, ExecutionChange(status="klaar"), STATUSES)
    assert done.progress == 100
    # The same status again keeps the progress it has.
    again, _ = apply_change(given, ExecutionChange(status="bezig"), STATUSES)
    assert again.progress == 40


def test_postponed_and_dropped_keep_their_progress_and_need_a_reason() -> None:
    busy = Execution(status="bezig", progress=40)
    refused, problems = apply_change(busy, ExecutionChange(status="uitgesteld"), STATUSES)
    assert refused == busy
    assert [(p.code, p.where.field) for p in problems] == [("reason_required", "reason")]
    postponed, problems = apply_change(
        busy,
        ExecutionChange(status="uitgesteld", reason="De aannemer is failliet; nieuwe in 2009."),
        STATUSES,
    )
    assert problems == []
    assert (postponed.status, postponed.progress) == ("uitgesteld", 40)
    _, problems = apply_change(
        postponed, ExecutionChange(status="gaat-niet-door", reason="   "), STATUSES
    )
    assert [p.code for p in problems] == ["reason_required"]


def test_every_problem_of_a_change_at_once_on_its_field() -> None:
    change = ExecutionChange(
        status="verzonnen",
        progress=120,
        planned_start=date(2008, 5, 1),
        planned_end=date(2008, 1, 1),
        milestones=(Milestone(date(2008, 2, 1), " "),),
        spent={2008: -5, 1800: 10},
    )
    _, problems = apply_change(Execution(), change, STATUSES)
    assert [(p.code, p.where.field) for p in problems] == [
        ("unknown_status", "status"),
        ("not_a_progress", "progress"),
        ("end_before_start", "planned_end"),
        ("milestone_text_missing", "milestones.0.text"),
        ("not_an_amount_spent", "spent.2008"),
        ("not_a_year", "spent.1800"),
    ]
    assert problems[2].params == {"end": "01-01-2008", "start": "01-05-2008"}


def test_spending_sets_named_years_and_dates_clear_with_clear() -> None:
    start = Execution(spent={2008: 1000, 2009: 2000}, planned_start=date(2008, 1, 1))
    after, problems = apply_change(
        start, ExecutionChange(spent={2009: None, 2010: 500}, planned_start=CLEAR), STATUSES
    )
    assert problems == []
    assert dict(after.spent) == {2008: 1000, 2010: 500}
    assert after.planned_start is None
    assert differences(start, after) == [
        ("planned_start", "2008-01-01", ""),
        ("spent.2009", "2000", ""),
        ("spent.2010", "", "500"),
    ]


def test_a_wijkteam_status_with_its_own_default() -> None:
    tendering, problems = apply_change(
        Execution(), ExecutionChange(status="aanbesteding"), STATUSES
    )
    assert problems == []
    assert tendering.progress == 5
