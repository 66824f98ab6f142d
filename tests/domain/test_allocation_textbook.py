"""The engine's equal shares against the textbook one (tests/domain/textbook_mes.py), and the
completion's jumps on an example worked out by hand."""

from __future__ import annotations

import operator
import random
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.domain.allocation import (
    Ballot,
    Comparison,
    Completion,
    Election,
    Project,
    Satisfaction,
    approval_election,
    equal_shares,
    equal_shares_add1,
    equal_shares_completed,
    mes,
)
from app.domain.waardenzeef import Rule, make_plan
from tests.domain import textbook_mes
from tests.domain.test_against_pabutools import SETTINGS, elections
from tests.domain.test_waardenzeef import SIEVE


def test_add_one_jumps_to_the_first_increment_that_can_change_the_outcome() -> None:
    # Budget 13, three voters: t = 13/3 each. A (6) is wanted by the first two, B (7) by the
    # third. At t = 13/3 the two buy A at a price of 3 each; the third cannot pay B (13/3 < 7),
    # and B still fits (6 + 7 = 13): not exhaustive, so "add one" goes on. B becomes affordable
    # once the third voter has 7: t + k >= 7, k >= 8/3, so at k = 3 (t = 22/3) A then B, 13,
    # exhaustive. k = 1 and k = 2 give the same outcome as k = 0: no run is needed for them.
    election = approval_election(
        (Project("A", 6), Project("B", 7)), 13, [["A"], ["A"], ["B"]], Satisfaction.CARDINALITY
    )
    result = equal_shares_add1(election)
    assert result.selected == ("A", "B")
    details = result.equal_shares
    assert details is not None
    assert details.increments == 3
    assert details.per_voter_budget == Fraction(22, 3)
    assert details.reference_runs == 4  # k = 0, 1, 2, 3 stepping by one
    assert details.runs == 2  # k = 0, then straight to k = 3
    assert details.spent == (Fraction(3), Fraction(7))  # per ballot: A's voters, B's voter
    assert textbook_mes.add_one(election) == (["A", "B"], 3)


def test_add_one_keeps_the_last_outcome_before_one_that_overspends() -> None:
    # Three voters, budget 30 (t = 10). C (15) by all: 5 each. A (20) by the first two, who have
    # 5 left each: not enough until t = 15, where A (10 each) and then B (10, the third voter's
    # 10 left) are bought too: 45 > 30. So t = 14 wins, with C alone (as worked out in
    # test_allocation); the engine reaches k = 5 without runs for k = 1 to 4.
    election = approval_election(
        (Project("A", 20), Project("B", 10), Project("C", 15)),
        30,
        [["A", "C"], ["A", "C"], ["B", "C"]],
        Satisfaction.COST,
    )
    result = equal_shares_add1(election)
    assert result.selected == ("C",)
    details = result.equal_shares
    assert details is not None
    assert (details.increments, details.reference_runs) == (4, 6)
    assert details.runs < details.reference_runs
    assert textbook_mes.add_one(election) == (["C"], 4)


# Each of the two tests below checks the outcome and the payments of the same 300 elections
# (once four tests of 300 elections each, two running the rule for the outcome and two again for
# the payments: the same elections checked, each rule run once).
@pytest.mark.slow  # 10-20 s in a full run; `pytest -m "not slow"` leaves it out
@SETTINGS
@given(elections())
def test_equal_shares_pays_and_buys_as_the_textbook(election: Election[str]) -> None:
    # The projects bought, in order, and what each ballot's voters paid, to the exact fraction:
    # the engine keeps money over each voter type's own denominator and brings it to the common
    # one only when it reads it.
    assume(election.voters > 0)
    share = Fraction(election.budget) / election.voters
    result = equal_shares(election)
    details = result.equal_shares
    assert details is not None
    selected, paid = textbook_mes.equal_shares_paid(election, share)
    assert list(result.selected) == selected
    assert details.spent == paid


@pytest.mark.slow  # 10-20 s in a full run; `pytest -m "not slow"` leaves it out
@SETTINGS
@given(elections())
def test_add_one_pays_and_buys_as_the_textbook(election: Election[str]) -> None:
    assume(election.voters > 0)
    result = equal_shares_add1(election)
    details = result.equal_shares
    assert details is not None
    assert (list(result.selected), details.increments) == textbook_mes.add_one(election)
    # What each ballot's voters paid, at the money per voter the completion ended on. (When the
    # first run overspends, pabutools keeps the free projects and nobody pays.)
    selected, paid = textbook_mes.equal_shares_paid(election, details.per_voter_budget)
    if list(result.selected) == selected:
        assert details.spent == paid


def test_the_comparison_step_takes_greedy_when_more_voters_prefer_it() -> None:
    # Budget 20: three voters want A and B (10 each), two want C (10). Equal shares with "add
    # one": t = 4, A (the tie with B goes to A) at 10/3 each; at t = 5 the two can pay C too:
    # A, C (20, exhaustive). Greedy by supporters: A, B. The three prefer greedy (two of their
    # projects instead of one), the two prefer equal shares (one instead of none): 3 > 2.
    election = approval_election(
        (Project("A", 10), Project("B", 10), Project("C", 10)),
        20,
        [["A", "B"]] * 3 + [["C"]] * 2,
        Satisfaction.COST,
    )
    assert equal_shares_completed(election, Completion.ADD1_GREEDY).selected == ("A", "C")
    result = equal_shares_completed(election, Completion.ADD1_COMPARE)
    assert result.selected == ("A", "B")
    assert result.rule == "equal_shares_add1_compare"
    assert result.comparison == Comparison(
        prefer_equal_shares=2, prefer_greedy=3, measure="projects", switched=True
    )
    # Counted by satisfaction (cost) it is the same here: 20 against 10 for the three.
    by_value = equal_shares_completed(election, Completion.ADD1_COMPARE, by_projects=False)
    assert by_value.comparison is not None
    assert (by_value.comparison.prefer_greedy, by_value.comparison.measure) == (3, "satisfaction")


def test_the_comparison_step_keeps_equal_shares_on_a_tie_of_preferences() -> None:
    # As above with two voters each way: equal shares gives A, C and greedy A, B; two prefer
    # each. Not more voters prefer greedy, so equal shares' outcome stays.
    election = approval_election(
        (Project("A", 10), Project("B", 10), Project("C", 10)),
        20,
        [["A", "B"]] * 2 + [["C"]] * 2,
        Satisfaction.COST,
    )
    result = equal_shares_completed(election, Completion.ADD1_COMPARE)
    assert result.selected == ("A", "C")
    assert result.comparison == Comparison(
        prefer_equal_shares=2, prefer_greedy=2, measure="projects", switched=False
    )


def test_the_plan_takes_each_completion() -> None:
    # The sieve of test_waardenzeef: equal shares on the values and on the Kiezen packages, with
    # each completion; there equal shares and greedy fund the same measures, so the comparison
    # finds nobody who prefers either and keeps equal shares' outcome.
    for rule, measure in (
        (Rule.EQUAL_SHARES, "satisfaction"),
        (Rule.EQUAL_SHARES_PACKAGES, "projects"),
    ):
        plans = {c: make_plan(SIEVE, rule, completion=c) for c in Completion}
        assert plans[Completion.ADD1_GREEDY].selected == make_plan(SIEVE, rule).selected
        assert plans[Completion.ADD1].allocation.rule == "equal_shares_add1"
        compared = plans[Completion.ADD1_COMPARE].allocation
        assert compared.comparison == Comparison(0, 0, measure, switched=False)
        assert compared.selected == plans[Completion.ADD1_GREEDY].allocation.selected


@st.composite
def crowds(draw: st.DrawFn) -> Election[str]:
    """Elections where "add one" takes many increments: few voter types standing for many
    voters, projects that cost many shares (there the engine tries its leaps)."""
    ids = [str(i) for i in range(draw(st.integers(min_value=5, max_value=12)))]
    projects = tuple(Project(i, draw(st.integers(min_value=500, max_value=20_000))) for i in ids)
    alike = draw(st.booleans())
    ballots = []
    # Built once per election, not once per ballot: hypothesis validates each new strategy.
    choices = st.sets(st.sampled_from(ids), min_size=1, max_size=4)
    for _ in range(draw(st.integers(min_value=10, max_value=40))):
        chosen = draw(choices)
        values = {i: 1 if alike else draw(st.integers(min_value=1, max_value=5)) for i in chosen}
        ballots.append(Ballot(values, draw(st.integers(min_value=1, max_value=20))))
    return Election(projects, draw(st.integers(min_value=10_000, max_value=60_000)), ballots)


# What each shortcut of the completion is replaced by, to run it without: leaps (every turn of a
# decision run through, as checked against pabutools and the textbook); then tiers even on these
# few voter types, against one tier for every rung (the whole model, nothing merged); and with the
# floats of the money in numpy arrays (as on large models) on every tier: the floats only screen.
# On approval ballots (half the crowds) such runs keep no exact money per voter (mes._Approval):
# also with it kept, as on other ballots.
WITHOUT: dict[str, list[tuple[object, str, object]]] = {
    "stepping": [(mes._Leaps, "ahead", lambda self, model, share, step, k, run: (k, run, 0))],
    "tiers": [(mes, "_TIERS_FROM", 0)],
    "tiers-in-numpy-arrays": [(mes, "_TIERS_FROM", 0), (mes, "_VECTORS_FROM", 0)],
    "numpy-arrays-with-exact-money-per-voter": [
        (mes, "_TIERS_FROM", 0),
        (mes, "_VECTORS_FROM", 0),
        (mes._Approval, "of", lambda *arguments: None),
    ],
}


# One test for the three on the same 150 elections, the usual completion run once for each: they
# were three tests of 150 elections each (leaps; tiers; tiers in numpy arrays), each running it.
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(crowds())
def test_leaps_tiers_and_numpy_arrays_change_no_outcome(election: Election[str]) -> None:
    # The completion gives the same result, to the payments, as without each of them.
    usual = equal_shares_add1(election)
    assert usual.equal_shares is not None
    for name, patches in WITHOUT.items():
        with pytest.MonkeyPatch.context() as patch:
            for target, attribute, value in patches:
                patch.setattr(target, attribute, value)
            changed = equal_shares_add1(election)
        assert changed.selected == usual.selected, name
        assert changed.equal_shares is not None
        assert changed.equal_shares.increments == usual.equal_shares.increments, name
        assert changed.equal_shares.spent == usual.equal_shares.spent, name


def _random_crowd(chance: random.Random, alike: bool | None = None) -> Election[str]:
    """As `crowds`, drawn from a seeded generator (for the loops below); `alike`: approval
    ballots (every supporter values a project alike) or not, else either."""
    ids = [str(i) for i in range(chance.randint(5, 12))]
    projects = tuple(Project(i, chance.randint(500, 20_000)) for i in ids)
    if alike is None:
        alike = chance.random() < 0.5
    ballots = []
    for _ in range(chance.randint(10, 40)):
        chosen = chance.sample(ids, chance.randint(1, 4))
        values = {i: 1 if alike else chance.randint(1, 5) for i in chosen}
        ballots.append(Ballot(values, chance.randint(1, 20)))
    return Election(projects, chance.randint(10_000, 60_000), ballots)


def _random_start(chance: random.Random) -> tuple[Election[str], mes._Model, Fraction, int]:
    """A `_random_crowd`, its model, the money per voter at the first increment and a k."""
    election = _random_crowd(chance)
    model = mes._Model.of(election.index)
    return election, model, Fraction(election.budget) / model.voters, chance.randint(0, 40)


def _run_at(model: mes._Model, share: Fraction, k: int, **kwargs: Any) -> mes._Run:
    """A tracked run at the k-th increment of one unit above `share`, as "add one" runs it."""
    return mes._run(model, share + k, rung=mes._Rung(k, Fraction(1)), **kwargs)


# A tier's model (`_Model.within`) on approval ballots with the floats in numpy arrays, as on a
# large election: its tracked runs keep no exact money per voter (mes._Approval).
APPROVAL_AT_ANY_SIZE = [(mes, "_TIERS_FROM", 0), (mes, "_VECTORS_FROM", 0)]


def _approval_tier(chance: random.Random) -> tuple[mes._Model, Fraction, int]:
    """An approval `_random_crowd`'s tier model for its first 200 increments (every project in
    reach there kept), the money per voter at the first increment and a k."""
    election = _random_crowd(chance, alike=True)
    whole = mes._Model.of(election.index)
    share = Fraction(election.budget) / whole.voters
    model = whole.within(share + 200)
    assert model.approval is not None
    return model, share, chance.randint(0, 40)


def test_a_leap_across_a_detour_is_not_certified() -> None:
    # The random elections below seldom have one: an outcome that changes between two budgets
    # and changes back (with the proof patched to say yes to every round, that test still
    # passed). Here one project is bought at each budget, 5150/31 + k per voter (62 voters).
    # Project 5 (6,700) is valued 3 by all its 33 voters, so it is within reach only once each
    # can pay 3 * 6700/99: k >= 37, at 67.68 a point. Project 2 (8,800) is valued 3, 2 and 4 by
    # its 48, and its price falls as their money grows: 68.84 at k = 36, 67.683 at k = 37 (just
    # above 5's), 67.51 at k = 38. So k = 18 and k = 38 buy 2 and k = 37 buys 5: a leap from 18
    # to 38 must fail its proof, although the runs at both ends agree.
    election = Election(
        (
            Project("0", 14_700),
            Project("1", 9_500),
            Project("2", 8_800),
            Project("3", 5_100),
            Project("4", 13_700),
            Project("5", 6_700),
        ),
        10_300,
        (
            Ballot({"0": 3, "5": 3, "4": 5}, 2),
            Ballot({"2": 3, "4": 3, "5": 3}, 19),
            Ballot({"1": 1, "5": 3, "4": 3}, 7),
            Ballot({"1": 5, "2": 2}, 14),
            Ballot({"3": 1, "2": 4, "1": 4}, 15),
            Ballot({"1": 5, "5": 3, "0": 5}, 5),
        ),
    )
    share = Fraction(10_300, 62)
    assert [textbook_mes.equal_shares(election, share + k) for k in (18, 36, 37, 38)] == [
        ["2"],
        ["2"],
        ["5"],
        ["2"],
    ]
    model = mes._Model.of(election.index)
    run = _run_at(model, share, 18)
    assert [election.index.ids[rank] for rank in run.selected] == ["2"]
    trial = _run_at(model, share, 38, earlier=run, reference=run)
    assert not trial.certified


@pytest.mark.slow  # about 15 s (120 elections, the textbook at every increment skipped)
def test_a_certified_leap_holds_at_every_increment_in_between() -> None:
    # The proof behind the leaps (mes._Certificate), checked against the textbook at every
    # increment it skips: a run at k, a run further ahead checked against it; when the second
    # says the decisions hold all the way, the textbook must give the same outcome at each
    # increment in between. Leaps past turns of the money (k beyond the first run's own
    # horizon) must be proven too, or the test proves nothing new.
    chance = random.Random(19)
    proven = past_a_turn = 0
    for _ in range(120):
        election, model, share, k = _random_start(chance)
        run = _run_at(model, share, k)
        far = k + chance.randint(1, 60)
        trial = _run_at(model, share, far, earlier=run, reference=run)
        if not trial.certified:
            continue
        proven += 1
        if run.stable_until is not None and run.stable_until <= far:
            past_a_turn += 1
        outcome = [election.index.ids[rank] for rank in run.selected]
        for between in range(k, far + 1):
            assert textbook_mes.equal_shares(election, share + between) == outcome, (k, between)
    assert proven >= 20
    assert past_a_turn >= 5


def test_a_tier_leaves_out_projects_out_of_reach_and_merges_the_ballots_then_alike() -> None:
    # Four voters with 10 each (budget 40): C (50) cannot be reached by its two supporters
    # while they have less than 25 each, so below that the ballots {A, C} and {A} are alike,
    # and {A, B, C} and {A, B} too.
    election = approval_election(
        (Project("A", 12), Project("B", 8), Project("C", 50)),
        40,
        [["A", "C"], ["A"], ["A", "B", "C"], ["A", "B"]],
        Satisfaction.CARDINALITY,
    )
    model = mes._Model.of(election.index)
    below = model.within(Fraction(24))
    assert below.candidates == [0, 1]
    assert below.types == 2
    assert sorted(below.multiplicity) == [2, 2]
    assert below.supporters_of[2].types == []
    at = model.within(Fraction(25))
    assert at.candidates == [0, 1, 2]
    assert at.types == 4


def test_a_runs_journal_gives_back_the_money_each_round_started_with() -> None:
    # A tracked run keeps its money, slopes and epochs once, with a journal of the payments
    # (mes._Journal), not a copy per round: the lists a checkpoint makes again must be those its
    # round started with. Runs that take rounds over from an earlier one (`earlier`) included.
    chance = random.Random(5)
    started: list[tuple[list[int], list[int], list[int]]] = []
    checkpoint = mes._State.checkpoint

    def keeping(state: mes._State, t0: Fraction, selected: int) -> mes._Checkpoint:
        started.append((list(state.money), list(state.slope), list(state.epoch)))
        return checkpoint(state, t0, selected)

    rounds = 0
    for _ in range(40):
        _, model, share, k = _random_start(chance)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(mes._State, "checkpoint", keeping)
            run = _run_at(model, share, k)
            runs = [run]
            if run.stable_until is not None:
                at = run.stable_until
                runs.append(_run_at(model, share, at, earlier=run))
        points = [point for run in runs for point in run.checkpoints if point.t0 == run.t0]
        assert len(points) == len(started)
        for point, (money, slope, epoch) in zip(points, started, strict=True):
            assert point.journal is not None
            again, slope_again, epoch_again = point.journal.at(point.payments)
            assert (again, slope_again, list(epoch_again)) == (money, slope, epoch)
        rounds += len(started)
        started.clear()
    assert rounds >= 100


@pytest.mark.parametrize("ballots", ["any", "approval"])
def test_a_run_that_takes_rounds_over_leaves_every_voter_the_money_of_one_from_scratch(
    ballots: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A run that takes rounds over from an earlier one at a smaller t (mes._resume) leaves the
    # money of the voters who have not paid since as it was, `behind` by the difference in t
    # (mes._State.behind): what each voter has at the end must be exactly what a run from
    # scratch at the same t leaves them, however many runs the rounds went through. On approval
    # ballots, on a tier with the floats in numpy arrays, the runs keep no money per voter, only
    # the part paid for each project bought (mes._Approval); from scratch every voter's is kept.
    chance = random.Random(11 if ballots == "any" else 13)
    if ballots == "approval":
        for target, attribute, value in APPROVAL_AT_ANY_SIZE:
            monkeypatch.setattr(target, attribute, value)
    taken_over = 0
    for _ in range(40):
        if ballots == "any":
            _, model, share, k = _random_start(chance)
        else:
            model, share, k = _approval_tier(chance)
        run = _run_at(model, share, k)
        for _ in range(3):
            if run.stable_until is None:
                break
            at = run.stable_until + chance.randint(0, 2)
            later = _run_at(model, share, at, earlier=run)
            taken_over += len(later.checkpoints) > 0 and later.checkpoints[0].t0 != later.t0
            scratch = mes._run(model, share + at)
            assert later.selected == scratch.selected
            assert [Fraction(m, later.scale) for m in later.left()] == [
                Fraction(m, scratch.scale) for m in scratch.left()
            ]
            # Every exact reading of the money agrees (one voter type; types added up).
            state = later.end
            assert state is not None
            assert (state.approval is not None) == (ballots == "approval")
            everyone = list(range(model.types))
            assert list(map(state.exact_one, everyone)) == later.left()
            assert state.exact(everyone, model.multiplicity) == sum(
                map(operator.mul, later.left(), model.multiplicity)
            )
            run = later
    assert taken_over >= 20


def test_on_approval_ballots_every_float_of_money_stays_within_its_bound() -> None:
    # Without exact money per voter the floats of money are moved by float arithmetic, each with
    # a bound on how far (relative) it may be off (mes._State.error), made again from the exact
    # money before the bound passes mes._REFRESH; the floats of growth only add non-negative
    # terms (mes._Approval.growth_error). After every payment and every takeover of rounds, every
    # voter with money left must have floats within those bounds of the exact money and growth.
    # Also with floats made again far more often (a smaller mes._REFRESH): the same outcomes.
    chance = random.Random(17)
    checked = widened = made_again = 0

    def check(state: mes._State) -> None:
        nonlocal checked, widened
        assert state.approval is not None
        growth_error = Fraction(state.approval.growth_error)
        for voter_type, guess in enumerate(state.guess.tolist()):
            if guess == 0.0:
                continue  # paid everything (exactly: mes._pay_alike)
            money, slope = state.owned(voter_type)
            exact, rising = Fraction(money, state.scale), Fraction(slope, state.scale)
            error = state.error[voter_type]
            assert exact > 0
            assert error <= mes._REFRESH
            assert abs(Fraction(guess) - exact) <= Fraction(error) * exact
            growth = Fraction(state.growth[voter_type])
            assert rising >= 1
            assert abs(growth - rising) <= growth_error * rising
            checked += 1
            widened += error > 64 * mes._ROUNDING

    pay, resume = mes._pay_alike, mes._resume

    def paying(state: mes._State, *arguments: Any) -> int:
        nonlocal made_again
        error = state.error.copy()
        paid = pay(state, *arguments)
        made_again += int(((state.error == mes._ROUNDING) & (error != mes._ROUNDING)).sum())
        check(state)
        return paid

    def resuming(run: mes._Run, earlier: mes._Run) -> mes._State | None:
        state = resume(run, earlier)
        if state is not None:
            check(state)
        return state

    with pytest.MonkeyPatch.context() as patch:
        for target, attribute, value in APPROVAL_AT_ANY_SIZE:
            patch.setattr(target, attribute, value)
        patch.setattr(mes, "_pay_alike", paying)
        patch.setattr(mes, "_resume", resuming)
        for _ in range(30):
            election = _random_crowd(chance, alike=True)
            usual = equal_shares_add1(election)
            with pytest.MonkeyPatch.context() as often:
                often.setattr(mes, "_REFRESH", 2.0**-50)
                again = equal_shares_add1(election)
            assert (again.selected, again.equal_shares) == (usual.selected, usual.equal_shares)
    assert checked >= 10_000
    assert widened >= 1_000  # bounds that payments of much of a voter's money widened
    assert made_again >= 100
