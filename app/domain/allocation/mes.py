"""The Method of Equal Shares, exactly as pabutools 1.2.3 computes it, and its "add one" completion.

Every voter starts with an equal share `t = budget / voters` (empty ballots count as voters). In
each round the project that its supporters can pay for at the lowest price per unit of
satisfaction `rho` is bought: each supporter pays `min(money left, rho * satisfaction)`, and
`rho` is the smallest price at which these payments add up to the cost. Ties in `rho` go to the
earlier project in the tie-break order. A round in which no project's supporters have enough
money left ends the rule. A supported project that costs nothing is taken before the rounds.

All money is exact: whole numbers over a common denominator that grows with each purchase.
Voters whose purses are equal are handled as one group. Floating point is only used to guess an
order or a boundary, which is then confirmed exactly, so an outcome never depends on rounding.

The "add one" completion (pabutools' `voter_budget_increment=1`) reruns the rule with `t + 1`,
`t + 2`, ... and stops at the first run whose outcome spends more than the budget (keeping the
previous outcome) or leaves no supported project that still fits (keeping this one). Along a run
every purse, every price and every comparison is an affine function of `t` as long as the same
decisions are taken (which project wins each round, who pays everything they have, which
projects are out of reach), so a decision can only turn where two of those lines cross. Each run
works out, exactly or by a float bound that is safely too small, the first such crossing per
round. Two savings follow, neither of which can change an outcome:

- increments before the earliest crossing give the same outcome: they are skipped;
- the next run takes over the rounds before the first round that may turn, with all purses and
  prices moved along their lines, and only redoes the rounds from there.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from itertools import chain, compress, repeat
from operator import floordiv, mul, not_, truediv
from typing import cast

from app.domain.allocation.greedy import complete_with_greedy
from app.domain.allocation.model import (
    Allocation,
    Election,
    EqualSharesRun,
    IdT,
    Index,
    Number,
    ProjectOutcome,
    Stage,
    Verdict,
    lcm_of_denominators,
    new_outcome,
)

# Float guesses are only trusted when they are clearly on one side of a decision: within this
# relative margin the decision is made again in exact integers. Every guess is the correctly
# rounded value of an exact number (error below 1.2e-16 relative), so 1e-9 is a wide safety gap.
_DOUBT = 1e-9

_EMPTY = 0  # the purse class of voters who have spent everything
_FULL = 1  # the purse class of voters who have paid nothing yet


@dataclass
class _Model:
    """What equal shares needs from an election, independent of the money per voter.

    Per project (by number): the supporting voter types, their satisfactions scaled to whole
    numbers, the voters each type stands for (None when one each), the sum of satisfaction times
    voters (`total`), the one satisfaction all supporters share (`single_value`, else None) and
    the gcd of the satisfactions.
    """

    costs: list[Number]
    cost_float: list[float]
    cost_denominator: int
    candidates: list[int]
    free: list[int]
    types_of: list[list[int]]
    values_of: list[list[int]]
    weights_of: list[list[int] | None]
    single_value: list[int | None]
    value_gcd: list[int]
    total: list[int]
    supporters: list[int]
    voters: int
    types: int
    multiplicity: list[int]
    source: list[int]
    ballots: int
    value_scale: int
    # For the tracked runs of the "add one" completion: per project the supporting types that
    # stand for one voter each (counted by Counter) with their satisfactions alongside, and
    # `heavy` the types that stand for more (type, satisfaction, voters). Made by `split()`.
    supporter_types: list[list[int]] = field(default_factory=list)
    supporter_values: list[list[int]] = field(default_factory=list)
    heavy: list[list[tuple[int, int, int]]] = field(default_factory=list)

    @staticmethod
    def of(index: Index[IdT]) -> _Model:
        columns = index.columns
        total: list[int]
        single_value: list[int | None]
        if columns.whole_values:
            values_of = cast(list[list[int]], columns.supporter_values)
            total = cast(list[int], columns.total)
            single_value = cast(list[int | None], columns.single_value)
            scale = 1
        else:
            # Satisfactions scaled to whole numbers: prices scale inversely, payments do not.
            scale = lcm_of_denominators(chain.from_iterable(columns.supporter_values))
            values_of = [[int(v * scale) for v in values] for values in columns.supporter_values]
            total = [int(t * scale) for t in columns.total]
            single_value = [None if v is None else int(v * scale) for v in columns.single_value]
        value_gcd = [
            value if value is not None else math.gcd(*values)
            for value, values in zip(single_value, values_of, strict=True)
        ]
        costs = list(index.costs)
        count = len(costs)
        return _Model(
            costs=costs,
            cost_float=[float(c) for c in costs],
            cost_denominator=lcm_of_denominators(costs),
            candidates=[r for r in range(count) if total[r] > 0 and costs[r] > 0],
            free=[r for r in range(count) if total[r] > 0 and costs[r] == 0],
            types_of=columns.supporter_types,
            values_of=values_of,
            weights_of=columns.supporter_weights,
            single_value=single_value,
            value_gcd=value_gcd,
            total=total,
            supporters=columns.supporters,
            voters=index.voters,
            types=len(columns.multiplicity),
            multiplicity=columns.multiplicity,
            source=columns.source,
            ballots=columns.ballots,
            value_scale=scale,
        )

    def split(self) -> None:
        """Make `supporter_types`, `supporter_values` and `heavy` (once)."""
        if self.supporter_types or not self.types_of:
            return
        multiplicity = self.multiplicity
        for types, values, weights in zip(
            self.types_of, self.values_of, self.weights_of, strict=True
        ):
            if weights is None:
                self.supporter_types.append(types)
                self.supporter_values.append(values)
                self.heavy.append([])
                continue
            light = [i for i, w in enumerate(weights) if w == 1]
            self.supporter_types.append([types[i] for i in light])
            self.supporter_values.append([values[i] for i in light])
            self.heavy.append(
                [
                    (t, v, multiplicity[t])
                    for t, v, w in zip(types, values, weights, strict=True)
                    if w != 1
                ]
            )


@dataclass
class _Price:
    """A price per unit of satisfaction, `numerator / denominator`, and its change per unit of t.

    The change is `slope / denominator`; `guess` is the correctly rounded float of the price.
    """

    numerator: int
    denominator: int
    slope: int
    guess: float


@dataclass
class _Evaluation:
    """A project's price now, and its supporters' purse groups (class, satisfaction, voters)."""

    price: _Price
    poor: list[tuple[int, int, int]]
    groups: list[tuple[int, int, int]]
    rich_value: int


@dataclass
class _Run:
    """One run of equal shares at a money-per-voter `t0`: what it bought, at which prices."""

    t0: Fraction
    selected: list[int] = field(default_factory=list)
    price_of: dict[int, _Price] = field(default_factory=dict)
    paid_everything: dict[int, int] = field(default_factory=dict)
    # Tracked runs: per round, the smallest t above t0 at which a decision of that round may
    # turn (None: never), the earliest of them, and the state at the start of every round.
    round_until: list[Fraction | None] = field(default_factory=list)
    stable_until: Fraction | None = None
    checkpoints: list[_Checkpoint] = field(default_factory=list)
    # The purses at the end (None once a later run has taken them over), and what _explain adds.
    purses: _Purses | None = None
    money_left: dict[int, Fraction] = field(default_factory=dict)
    spent_per_type: list[int] = field(default_factory=list)
    spent_denominator: int = 1


class _Purses:
    """Voters' remaining money, by class: every voter type points at a class of equal purses.

    Money is exact: a class's money is `value / D_e` and its change per unit of t `slope / D_e`,
    integers over the common denominator `D_e` of the moment (epoch) it was created. Each purchase
    multiplies the denominator by a whole factor; `scale[e]` is `D_now / D_e`.
    """

    def __init__(self, model: _Model, t0: Fraction) -> None:
        denominator = math.lcm(t0.denominator, model.cost_denominator)
        self.denominator = denominator
        self.scale = [1]
        self.value = [0, t0.numerator * (denominator // t0.denominator)]
        self.slope = [0, denominator]
        self.epoch = [0, 0]
        self.guess = [0.0, float(t0)]
        self.slope_guess = [0.0, 1.0]
        self.class_of = [_FULL] * model.types
        self.cost = [int(c * denominator) for c in model.costs]
        self.cost_guess = [float(c) for c in model.costs]
        self.t_guess = float(t0)

    def money(self, purse: int) -> int:
        """A class's money as a numerator over the current denominator."""
        return self.value[purse] * self.scale[self.epoch[purse]]

    def growth(self, purse: int) -> int:
        """A class's change of money per unit of t, over the current denominator."""
        return self.slope[purse] * self.scale[self.epoch[purse]]

    def cost_now(self, rank: int) -> int:
        """A project's cost over the current denominator."""
        return self.cost[rank] * self.scale[0]


def _groups(model: _Model, purses: _Purses, rank: int) -> list[tuple[int, int, int]]:
    """The supporters of a project as (purse class, satisfaction, voters), empty purses left out."""
    class_of = purses.class_of
    classes = map(class_of.__getitem__, model.supporter_types[rank])
    value = model.single_value[rank]
    heavy = model.heavy[rank]
    if value is not None:
        by_purse = Counter(classes)
        for voter_type, _, weight in heavy:
            by_purse[class_of[voter_type]] += weight
        return [(purse, value, count) for purse, count in by_purse.items() if purse]
    by_key = Counter(zip(classes, model.supporter_values[rank], strict=True))
    for voter_type, given, weight in heavy:
        by_key[(class_of[voter_type], given)] += weight
    return [(purse, v, count) for (purse, v), count in by_key.items() if purse]


def _evaluate(model: _Model, purses: _Purses, rank: int, track: bool) -> _Evaluation | None:
    """The project's price now, or None when its supporters cannot pay for it any more."""
    groups = _groups(model, purses, rank)
    guess = purses.guess
    money_guess = math.fsum(guess[p] * count for p, _, count in groups)
    cost_guess = purses.cost_guess[rank]
    # Room for the rounding of every voter's money (the supporters' count bounds the groups').
    margin = _DOUBT * (cost_guess + purses.t_guess * model.supporters[rank])
    if money_guess < cost_guess - margin:
        return None
    if money_guess <= cost_guess + margin:
        money = sum(purses.money(p) * count for p, _, count in groups)
        if money < purses.cost_now(rank):
            return None
    # Supporters in order of money per unit of satisfaction: the poorest pay all they have.
    if model.single_value[rank] is not None:
        ordered = sorted(groups, key=lambda g: guess[g[0]])
    else:
        ordered = sorted(groups, key=lambda g: guess[g[0]] / g[1])
    rich_value = sum(value * count for _, value, count in ordered)
    rest = cost_guess
    cut = len(ordered)
    for i, (purse, value, count) in enumerate(ordered):
        if rest * value <= guess[purse] * rich_value:
            cut = i
            break
        rest -= guess[purse] * count
        rich_value -= value * count
    evaluation = _exact_price(purses, rank, ordered, cut, groups, track)
    if evaluation is None:
        evaluation = _exact_price_slowly(purses, rank, groups, track)
    return evaluation


def _exact_price(
    purses: _Purses,
    rank: int,
    ordered: list[tuple[int, int, int]],
    cut: int,
    groups: list[tuple[int, int, int]],
    track: bool,
) -> _Evaluation | None:
    """The exact price for the poor/rich split the float guess suggests, or None if it is wrong."""
    poor = ordered[:cut]
    rich_value = sum(value * count for _, value, count in ordered[cut:])
    if rich_value == 0:
        return None
    money = purses.money
    numerator = purses.cost_now(rank) - sum(money(p) * count for p, _, count in poor)
    denominator = rich_value * purses.denominator
    guess = numerator / denominator
    margin = _DOUBT * purses.t_guess
    # Confirm the split exactly where the guess is close: the poorer side must not be able to pay
    # its part, the richer side must.
    for purse, value, _ in ordered[cut:]:
        if purses.guess[purse] > guess * value + margin:
            break
        if money(purse) * rich_value < numerator * value:
            return None
    for purse, value, _ in reversed(poor):
        if purses.guess[purse] < guess * value - margin:
            break
        if money(purse) * rich_value > numerator * value:
            return None
    slope = -sum(purses.growth(p) * count for p, _, count in poor) if track else 0
    return _Evaluation(_Price(numerator, denominator, slope, guess), poor, groups, rich_value)


def _exact_price_slowly(
    purses: _Purses, rank: int, groups: list[tuple[int, int, int]], track: bool
) -> _Evaluation | None:
    """pabutools' own walk in exact arithmetic; used only when the float guess was in doubt."""
    money = purses.money
    ordered = sorted(groups, key=lambda g: Fraction(money(g[0]), g[1]))
    rich_value = sum(value * count for _, value, count in ordered)
    paid = 0
    cost = purses.cost_now(rank)
    for i, (purse, value, count) in enumerate(ordered):
        # price = (cost - paid) / (rich_value * D); can this supporter pay price * value?
        if (cost - paid) * value <= money(purse) * rich_value:
            poor = ordered[:i]
            slope = -sum(purses.growth(p) * c for p, _, c in poor) if track else 0
            denominator = rich_value * purses.denominator
            price = _Price(cost - paid, denominator, slope, (cost - paid) / denominator)
            return _Evaluation(price, poor, groups, rich_value)
        paid += money(purse) * count
        rich_value -= value * count
    return None


def _cheaper(a: _Price, b: _Price) -> bool:
    """Whether price a is strictly below price b."""
    if a.guess < b.guess * (1 - _DOUBT):
        return True
    if a.guess > b.guess * (1 + _DOUBT):
        return False
    return a.numerator * b.denominator < b.numerator * a.denominator


class _Horizon:
    """The smallest per-voter budget above `t0` at which one of a run's decisions may turn."""

    def __init__(self, t0: Fraction) -> None:
        self.t0 = t0
        # The nearest turning point of this round so far, as `now / -change` (kept as a pair:
        # comparing by cross-multiplication is much cheaper than making fractions).
        self.now = 0
        self.change = 0
        # A float that is at most the nearest turning point: checks that clearly lie further
        # away are skipped without exact arithmetic.
        self.lower = math.inf

    def keep_non_negative(self, now: int, change: int) -> None:
        """A quantity, proportional to `now >= 0` at t0, that moves by `change` per unit of t."""
        if change < 0 and (self.change == 0 or now * self.change > self.now * change):
            self.now, self.change = now, change

    def keep_at_least(self, reach: float) -> None:
        """A turning point known only as a float lower bound (already made conservative)."""
        if reach < self.lower:
            self.lower = reach

    def close_round(self) -> Fraction | None:
        """Where the decisions of the round just made may turn; start afresh for the next."""
        until = None
        if self.change:
            until = self.t0 + Fraction(self.now, -self.change)
        if self.lower < math.inf:
            # A float is an exact dyadic fraction: no rounding in the conversion.
            bound = self.t0 + Fraction(max(self.lower, 0.0))
            until = bound if until is None else min(until, bound)
        self.now = self.change = 0
        self.lower = math.inf
        return until


@dataclass
class _Checkpoint:
    """The state at the start of a round, for a later run that agrees up to that round.

    Purse classes only ever get added, so their number says which existed; class money is kept
    at the run's current t. `known` lower bounds are affine in t, valid from `t_ref`.
    """

    classes: int
    class_of: list[int]
    scale: list[int]
    denominator: int
    known: dict[int, _Price]
    t_ref: Fraction
    active: list[int]
    selected: int


def _shifted(price: _Price, by: int) -> _Price:
    numerator = price.numerator + price.slope * by
    return _Price(numerator, price.denominator, price.slope, numerator / price.denominator)


def _run(
    model: _Model,
    t0: Fraction,
    *,
    track: bool,
    earlier: _Run | None = None,
) -> _Run:
    """One run of equal shares with `t0` money per voter.

    With `track`, the run also works out up to which t its decisions hold, round by round, and
    keeps a checkpoint per round. Given an `earlier` tracked run at a smaller t (by a whole
    number), the rounds whose decisions still hold at `t0` are taken over instead of redone.
    """
    run = _Run(t0)
    horizon = _Horizon(t0)
    resumed = _resume(t0, earlier) if track and earlier is not None else None
    if resumed is None:
        purses = _Purses(model, t0)
        run.selected.extend(model.free)
        # A lower bound on every project's price: what it would be if nobody ran out of money.
        known: dict[int, _Price] = {}
        for rank in model.candidates:
            numerator, denominator = purses.cost[rank], model.total[rank] * purses.denominator
            known[rank] = _Price(numerator, denominator, 0, numerator / denominator)
        active = list(model.candidates)
    else:
        assert earlier is not None
        purses, known, active, valid = resumed
        _take_over(run, earlier, valid)
    while True:
        if track:
            run.checkpoints.append(
                _Checkpoint(
                    classes=len(purses.value),
                    class_of=list(purses.class_of),
                    scale=list(purses.scale),
                    denominator=purses.denominator,
                    known=dict(known),
                    t_ref=t0,
                    active=list(active),
                    selected=len(run.selected),
                )
            )
        if not active:
            run.round_until.append(horizon.close_round())
            break
        active.sort(key=lambda r: (known[r].guess, r))
        best: _Evaluation | None = None
        best_rank = -1
        compared: list[int] = []
        still: list[int] = []
        for rank in active:
            if best is not None and _cheaper(best.price, known[rank]):
                # Its price can only be higher than the lower bound known from earlier rounds.
                compared.append(rank)
                still.append(rank)
                continue
            evaluation = _evaluate(model, purses, rank, track)
            if evaluation is None:
                # Its supporters' money only shrinks from here on: it stays out of reach.
                if track:
                    _keep_out_of_reach(model, purses, rank, horizon)
                continue
            still.append(rank)
            known[rank] = evaluation.price
            compared.append(rank)
            if (
                best is None
                or _cheaper(evaluation.price, best.price)
                or (not _cheaper(best.price, evaluation.price) and rank < best_rank)
            ):
                best, best_rank = evaluation, rank
        active = still
        if best is None:
            run.round_until.append(horizon.close_round())
            break
        if track:
            chosen = best.price
            for rank in compared:
                if rank != best_rank:
                    _keep_dearer(known[rank], chosen, horizon)
        _buy(model, purses, best, horizon if track else None, run, best_rank)
        active.remove(best_rank)
        run.round_until.append(horizon.close_round())
    turns = [until for until in run.round_until if until is not None]
    run.stable_until = min(turns) if turns else None
    run.purses = purses
    return run


def _resume(
    t0: Fraction, earlier: _Run
) -> tuple[_Purses, dict[int, _Price], list[int], int] | None:
    """The state at the first round of `earlier` whose decisions may differ at t0, moved to t0."""
    shift = t0 - earlier.t0
    purses = earlier.purses
    if shift.denominator != 1 or shift <= 0 or purses is None or not earlier.checkpoints:
        # Money moved by a fraction of a unit would no longer be whole over its denominator.
        return None
    valid = 0
    for until in earlier.round_until:
        if until is not None and until <= t0:
            break
        valid += 1
    if valid == 0:
        return None
    point = earlier.checkpoints[valid]
    known_shift = t0 - point.t_ref
    if known_shift.denominator != 1:
        return None
    by = shift.numerator
    # Classes made in the rounds to redo go; the others move to t0 (exact: whole shift).
    del purses.value[point.classes :]
    del purses.slope[point.classes :]
    del purses.epoch[point.classes :]
    del purses.guess[point.classes :]
    del purses.slope_guess[point.classes :]
    purses.scale = list(point.scale)
    purses.denominator = point.denominator
    epoch_denominator = [point.denominator // scale for scale in point.scale]
    value, slope, epoch, guess = purses.value, purses.slope, purses.epoch, purses.guess
    for purse in range(2, point.classes):
        if slope[purse]:
            value[purse] += slope[purse] * by
            guess[purse] = value[purse] / epoch_denominator[epoch[purse]]
    value[1] += slope[1] * by
    guess[1] = float(t0)
    purses.class_of = list(point.class_of)
    purses.t_guess = float(t0)
    known = {rank: _shifted(price, known_shift.numerator) for rank, price in point.known.items()}
    # The purses now belong to the new run; the earlier one can no longer be explained.
    earlier.purses = None
    return purses, known, list(point.active), valid


def _take_over(run: _Run, earlier: _Run, valid: int) -> None:
    """Copy the first `valid` rounds of `earlier`, which hold at this run's t, into `run`."""
    point = earlier.checkpoints[valid]
    by = (run.t0 - earlier.t0).numerator
    run.selected = earlier.selected[: point.selected]
    run.price_of = {
        r: _shifted(earlier.price_of[r], by) for r in run.selected if r in earlier.price_of
    }
    run.paid_everything = {
        r: earlier.paid_everything[r] for r in run.selected if r in earlier.paid_everything
    }
    run.round_until = earlier.round_until[:valid]
    run.checkpoints = earlier.checkpoints[:valid]


def _final_of(run: _Run) -> _Final:
    """A tracked run's result as the explanation needs it (the run must still have its purses)."""
    purses = run.purses
    assert purses is not None
    denominator = purses.denominator
    return _Final(
        selected=run.selected,
        price={rank: (p.numerator, p.denominator) for rank, p in run.price_of.items()},
        paid_everything=run.paid_everything,
        money=[purses.money(purse) for purse in purses.class_of],
        start=run.t0.numerator * (denominator // run.t0.denominator),
        denominator=denominator,
    )


def _keep_dearer(other: _Price, chosen: _Price, horizon: _Horizon) -> None:
    # other - chosen >= 0 now; both move linearly with t (over their own denominators).
    now = other.numerator * chosen.denominator - chosen.numerator * other.denominator
    change = other.slope * chosen.denominator - chosen.slope * other.denominator
    horizon.keep_non_negative(now, change)


def _keep_out_of_reach(model: _Model, purses: _Purses, rank: int, horizon: _Horizon) -> None:
    """The supporters' money, short of the cost now, grows with t: when may it reach the cost?"""
    groups = _groups(model, purses, rank)
    money_guess = math.fsum(purses.guess[p] * c for p, _, c in groups)
    growth_guess = math.fsum(purses.slope_guess[p] * c for p, _, c in groups)
    cost_guess = purses.cost_guess[rank]
    # Guesses are within a few roundings of the exact values (all terms are positive): with
    # 1e-9 of room on each side the float reach is a safe lower bound, unless money and cost
    # are so close that the room swallows the gap; then it is worked out exactly.
    short = cost_guess * (1 - _DOUBT) - money_guess * (1 + _DOUBT)
    if growth_guess <= 0:
        return
    if short > 0:
        horizon.keep_at_least(short / (growth_guess * (1 + _DOUBT)) * (1 - _DOUBT))
        return
    money = sum(purses.money(p) * c for p, _, c in groups)
    growth = sum(purses.growth(p) * c for p, _, c in groups)
    horizon.keep_non_negative(purses.cost_now(rank) - money, -growth)


def _buy(
    model: _Model,
    purses: _Purses,
    chosen: _Evaluation,
    horizon: _Horizon | None,
    run: _Run,
    rank: int,
) -> None:
    """Charge the supporters: the poor pay everything, the others `price * satisfaction`.

    Without a horizon (a run that is not tracked) the change of money with t is not kept.
    """
    price = chosen.price
    rich_value = chosen.rich_value
    poor = {(p, v) for p, v, _ in chosen.poor}
    # The new common denominator: the smallest multiple that keeps every payment whole.
    # The gcd of all supporters' satisfactions divides every payer's: a valid (if not always the
    # smallest) reduction.
    reduce = math.gcd(rich_value, math.gcd(price.numerator, price.slope) * model.value_gcd[rank])
    factor = rich_value // reduce
    new_epoch = len(purses.scale)
    new_denominator = purses.denominator * factor
    moved: dict[tuple[int, int], int] = {}
    paid_everything = 0
    value_now, slope_now, epoch_now, scale = purses.value, purses.slope, purses.epoch, purses.scale
    add_value, add_slope, add_epoch = value_now.append, slope_now.append, epoch_now.append
    add_guess, add_slope_guess = purses.guess.append, purses.slope_guess.append
    for purse, value, count in chosen.groups:
        if (purse, value) in poor:
            moved[(purse, value)] = _EMPTY
            paid_everything += count
            if horizon is not None:
                # Poor while price * value - money >= 0 (all over price.denominator).
                horizon.keep_non_negative(
                    price.numerator * value - purses.money(purse) * rich_value,
                    price.slope * value - purses.growth(purse) * rich_value,
                )
            continue
        grow = scale[epoch_now[purse]] * factor
        value_after = value_now[purse] * grow - price.numerator * value // reduce
        add_value(value_after)
        add_epoch(new_epoch)
        add_guess(value_after / new_denominator)
        if horizon is not None:
            slope_after = slope_now[purse] * grow - price.slope * value // reduce
            add_slope(slope_after)
            add_slope_guess(slope_after / new_denominator)
        else:
            add_slope(0)
            add_slope_guess(0.0)
        moved[(purse, value)] = len(value_now) - 1
    purses.scale = [s * factor for s in scale]
    purses.scale.append(1)
    purses.denominator = new_denominator
    class_of = purses.class_of
    if model.single_value[rank] is not None:
        by_purse = {purse: after for (purse, _), after in moved.items()}
        for voter_type in model.supporter_types[rank]:
            purse = class_of[voter_type]
            if purse:
                class_of[voter_type] = by_purse[purse]
    else:
        for voter_type, value in zip(
            model.supporter_types[rank], model.supporter_values[rank], strict=True
        ):
            purse = class_of[voter_type]
            if purse:
                class_of[voter_type] = moved[(purse, value)]
    for voter_type, value, _ in model.heavy[rank]:
        purse = class_of[voter_type]
        if purse:
            class_of[voter_type] = moved[(purse, value)]
    run.selected.append(rank)
    run.price_of[rank] = price
    run.paid_everything[rank] = paid_everything


@dataclass
class _Final:
    """A finished run as the explanation needs it: money over one common denominator."""

    selected: list[int]
    # per bought project: its price per unit of (scaled) satisfaction, as numerator and
    # denominator, and how many voters spent all they had left on it
    price: dict[int, tuple[int, int]]
    paid_everything: dict[int, int]
    # per voter type, the money left, and the money each voter started with
    money: list[int]
    start: int
    denominator: int


def _once(model: _Model, t0: Fraction) -> _Final:
    """One run of equal shares with `t0` money per voter, as lean as it goes.

    Money is exact: per voter type a whole number over the common denominator `scale`, which
    grows with each purchase. Alongside, every type's money as a float (`guess`, within a few
    roundings of the exact value) finds the order of things; a decision the floats leave in doubt
    is made again in whole numbers. Voters who have spent everything leave the projects' lists.
    """
    scale = math.lcm(t0.denominator, model.cost_denominator)
    start = t0.numerator * (scale // t0.denominator)
    types = model.types
    money = [start] * types
    guess = [float(t0)] * types
    cost_now = [c * scale if type(c) is int else int(c * scale) for c in model.costs]
    cost_float = model.cost_float
    # Each run prunes its own copies of the lists.
    types_of = list(model.types_of)
    values_of = list(model.values_of)
    weights_of = list(model.weights_of)
    total = list(model.total)
    single_value = model.single_value
    value_gcd = model.value_gcd
    # The price of each project from the last time it was worked out, a lower bound for the
    # next time (money only shrinks): a float and the exact numerator and denominator.
    bound: list[tuple[float, int, int]] = [(0.0, 0, 1)] * len(types_of)
    for rank in model.candidates:
        denominator = total[rank] * scale
        bound[rank] = (cost_now[rank] / denominator, cost_now[rank], denominator)
    bound_float = [b[0] for b in bound]
    selected = list(model.free)
    price_of: dict[int, tuple[int, int]] = {}
    paid_everything: dict[int, int] = {}
    active = list(model.candidates)
    while active:
        # Cheapest bound first, ties to the earlier project (the sort is stable).
        active.sort()
        active.sort(key=bound_float.__getitem__)
        best: tuple[float, int, int] | None = None
        best_rank = -1
        best_cut: list[int] = []
        best_rich = 0
        still: list[int] = []
        for position, rank in enumerate(active):
            if best is not None:
                floor = bound[rank]
                if floor[0] > best[0] * (1 + _DOUBT):
                    # This bound and all after it are clearly above the best price.
                    still.extend(active[position:])
                    break
                if _below(best, floor):
                    still.append(rank)
                    continue
            supporters = types_of[rank]
            weights = weights_of[rank]
            mine = list(map(guess.__getitem__, supporters))
            if 0.0 in mine:
                # Some have spent everything: they leave this project's lists for good.
                supporters, weights, mine = _prune(
                    rank, mine, types_of, values_of, weights_of, total
                )
            have = sum(mine) if weights is None else sum(map(mul, mine, weights))
            cost = cost_float[rank]
            if have < cost * (1 - _DOUBT):
                continue  # out of reach, now and for good
            if have <= cost * (1 + _DOUBT) and _money(money, supporters, weights) < cost_now[rank]:
                continue
            price, cut, rich = _price(
                money,
                mine,
                supporters,
                values_of[rank],
                weights,
                single_value[rank],
                total[rank],
                cost_now[rank],
                cost,
                scale,
            )
            still.append(rank)
            bound[rank] = price
            bound_float[rank] = price[0]
            if (
                best is None
                or _below(price, best)
                or (not _below(best, price) and rank < best_rank)
            ):
                best, best_rank, best_cut, best_rich = price, rank, cut, rich
        if best is None:
            break
        still.remove(best_rank)
        active = still
        # Pay: the poor all they have, the others price times satisfaction. The new common
        # denominator is the smallest multiple that keeps every payment whole (the gcd of all
        # supporters' satisfactions divides every payer's).
        numerator = best[1]
        reduce = math.gcd(best_rich, numerator * value_gcd[best_rank])
        factor = best_rich // reduce
        if factor != 1:
            money = list(map(mul, money, repeat(factor)))
            cost_now = list(map(mul, cost_now, repeat(factor)))
            scale *= factor
            start *= factor
        emptied_here = _pay(
            money,
            guess,
            types_of[best_rank],
            values_of[best_rank],
            weights_of[best_rank],
            single_value[best_rank],
            best_cut,
            numerator,
            reduce,
            scale,
        )
        selected.append(best_rank)
        price_of[best_rank] = (best[1], best[2])
        paid_everything[best_rank] = emptied_here
    return _Final(selected, price_of, paid_everything, money, start, scale)


def _pay(
    money: list[int],
    guess: list[float],
    supporters: list[int],
    values: list[int],
    weights: list[int] | None,
    single: int | None,
    poor: list[int],
    numerator: int,
    reduce: int,
    scale: int,
) -> int:
    """Charge a project's supporters (`poor` pay everything, the others `numerator * value //
    reduce`, over the current denominator `scale`); how many voters that leaves with nothing."""
    # Floats as exact money times 1 / scale: within two roundings of the exact value.
    inverse = 1 / scale if scale.bit_length() < 900 else 0.0
    if single is not None:
        payments: Iterable[int] = repeat(numerator * single // reduce)
    elif reduce == 1:
        payments = map(mul, values, repeat(numerator))
    else:
        payments = map(floordiv, map(mul, values, repeat(numerator)), repeat(reduce))
    for voter_type, payment in zip(supporters, payments, strict=False):
        left = money[voter_type] - payment
        money[voter_type] = left
        if left > 0:
            guess[voter_type] = left * inverse if inverse else left / scale
        else:
            guess[voter_type] = 0.0
    # The poor pay all they have (above, their money went to zero or below: set it right).
    for i in poor:
        money[supporters[i]] = 0
    # Everyone on the list had money before; who has none now?
    left_with = list(map(money.__getitem__, supporters))
    if weights is None:
        return left_with.count(0)
    return sum(compress(weights, map(not_, left_with)))


def _below(a: tuple[float, int, int], b: tuple[float, int, int]) -> bool:
    """Whether price a is strictly below price b (floats first, exact when close)."""
    if a[0] < b[0] * (1 - _DOUBT):
        return True
    if a[0] > b[0] * (1 + _DOUBT):
        return False
    return a[1] * b[2] < b[1] * a[2]


def _money(money: list[int], supporters: list[int], weights: list[int] | None) -> int:
    """What the supporters have together (exact, over the current denominator)."""
    mine = map(money.__getitem__, supporters)
    return sum(mine) if weights is None else sum(map(mul, mine, weights))


def _prune(
    rank: int,
    mine: list[float],
    types_of: list[list[int]],
    values_of: list[list[int]],
    weights_of: list[list[int] | None],
    total: list[int],
) -> tuple[list[int], list[int] | None, list[float]]:
    """Leave out the supporters of a project who have no money left (`mine` is 0.0 for them)."""
    supporters = types_of[rank] = list(compress(types_of[rank], mine))
    values = values_of[rank] = list(compress(values_of[rank], mine))
    weights = weights_of[rank]
    if weights is None:
        total[rank] = sum(values)
    else:
        weights = weights_of[rank] = list(compress(weights, mine))
        total[rank] = sum(map(mul, values, weights))
    return supporters, weights, list(filter(None, mine))


def _price(
    money: list[int],
    mine: list[float],
    supporters: list[int],
    values: list[int],
    weights: list[int] | None,
    single: int | None,
    total: int,
    cost: int,
    cost_float: float,
    scale: int,
) -> tuple[tuple[float, int, int], list[int], int]:
    """The price of an affordable project: the smallest `rho` at which the supporters, each
    paying `min(money, rho * satisfaction)`, pay its cost.

    Returns the price (float, numerator, denominator: money per unit of satisfaction), the
    supporters (positions in the list) who pay all they have, and the satisfaction times voters
    of the others. All supporters have money left (the lists are pruned).
    """
    # Nobody short at the lowest possible price (everyone paying in proportion)? The common case.
    lowest = cost / (total * scale)
    if single is not None:
        ratios = None
        poorest = min(mine) / single
    else:
        ratios = list(map(truediv, mine, values))
        poorest = min(ratios)
    if poorest > lowest * (1 + _DOUBT):
        return (lowest, cost, total * scale), [], total
    if ratios is None:
        ratios = [m / single for m in mine]  # type: ignore[operator]
    # Walk up from the poorest: each pays all they have while that is less than their part.
    order = sorted(range(len(supporters)), key=ratios.__getitem__)
    rest = cost_float
    rich = float(total)
    cut = len(order)
    for position, i in enumerate(order):
        if rest <= ratios[i] * rich:
            cut = position
            break
        weight = 1 if weights is None else weights[i]
        rest -= mine[i] * weight
        rich -= values[i] * weight
    found = _confirm(money, supporters, values, weights, total, cost, scale, ratios, order, cut)
    if found is None:
        found = _price_exactly(money, supporters, values, weights, total, cost, scale)
    return found


def _confirm(
    money: list[int],
    supporters: list[int],
    values: list[int],
    weights: list[int] | None,
    total: int,
    cost: int,
    scale: int,
    ratios: list[float],
    order: list[int],
    cut: int,
) -> tuple[tuple[float, int, int], list[int], int] | None:
    """The exact price for the split the floats suggest, or None if the split is wrong."""
    poor = order[:cut]
    paid = 0
    rich = total
    for i in poor:
        weight = 1 if weights is None else weights[i]
        paid += money[supporters[i]] * weight
        rich -= values[i] * weight
    if rich <= 0:
        return None
    numerator = cost - paid
    if numerator <= 0:
        return None
    guess = numerator / (rich * scale)
    # Confirm exactly where the floats are close: the poor cannot pay their part, the rich can.
    for i in order[cut:]:
        if ratios[i] > guess * (1 + _DOUBT):
            break
        if money[supporters[i]] * rich < numerator * values[i]:
            return None
    for i in reversed(poor):
        if ratios[i] < guess * (1 - _DOUBT):
            break
        if money[supporters[i]] * rich > numerator * values[i]:
            return None
    return (guess, numerator, rich * scale), poor, rich


def _price_exactly(
    money: list[int],
    supporters: list[int],
    values: list[int],
    weights: list[int] | None,
    total: int,
    cost: int,
    scale: int,
) -> tuple[tuple[float, int, int], list[int], int]:
    """pabutools' own walk in exact arithmetic; only when the floats were in doubt."""
    order = sorted(range(len(supporters)), key=lambda i: Fraction(money[supporters[i]], values[i]))
    paid = 0
    rich = total
    for position, i in enumerate(order):
        # price = (cost - paid) / (rich * scale); can this supporter pay price * value?
        if (cost - paid) * values[i] <= money[supporters[i]] * rich:
            numerator = cost - paid
            return (numerator / (rich * scale), numerator, rich * scale), order[:position], rich
        weight = 1 if weights is None else weights[i]
        paid += money[supporters[i]] * weight
        rich -= values[i] * weight
    raise AssertionError("equal shares: an affordable project without a price")


def equal_shares(election: Election[IdT]) -> Allocation[IdT]:
    """The Method of Equal Shares (pabutools' `method_of_equal_shares`), without completion."""
    model = _Model.of(election.index)
    if model.voters == 0:
        return _empty(election)
    share = Fraction(election.budget) / model.voters
    final = _once(model, share)
    return _allocation(
        election, model, final, "equal_shares", EqualSharesRun(model.voters, share, share)
    )


def equal_shares_add1(election: Election[IdT], *, increment: Number = 1) -> Allocation[IdT]:
    """Equal shares with the "add one" completion (pabutools' `voter_budget_increment=1`).

    The result is the outcome of the last per-voter budget `t + k * increment` before the first
    one whose outcome overspends, or the first one whose outcome is exhaustive (no supported
    project fits any more), exactly as pabutools' loop finds it.
    """
    if increment <= 0:
        raise ValueError("the increment must be positive")
    model = _Model.of(election.index)
    if model.voters == 0:
        return _empty(election)
    model.split()
    budget = election.budget
    share = Fraction(budget) / model.voters
    step = Fraction(increment)
    k = 0
    runs = 0
    previous: tuple[int, _Run] | None = None
    final: _Final
    while True:
        earlier = previous[1] if previous is not None else None
        run = _run(model, share + k * step, track=True, earlier=earlier)
        runs += 1
        spent = sum((model.costs[r] for r in run.selected), start=0)
        if spent > budget:
            reference_runs = k + 1
            if previous is None:
                # pabutools keeps the starting allocation (the free projects) in this case:
                # nobody has paid anything.
                final_k = 0
                final = _untouched(model, share)
            elif previous[0] == k - 1 and previous[1].purses is not None:
                final_k, final = previous[0], _final_of(previous[1])
            else:
                # The outcome at k - 1 is the previous run's (nothing turned in between), but
                # the payments differ: redo that run to explain it.
                final_k = k - 1
                final = _once(model, share + final_k * step)
                if final.selected != previous[1].selected:
                    raise AssertionError("equal shares: skipped increments changed the outcome")
            break
        if _exhaustive(model, run.selected, budget):
            final_k, final = k, _final_of(run)
            reference_runs = k + 1
            break
        previous = (k, run)
        if run.stable_until is None:
            raise AssertionError("equal shares: a non-exhaustive outcome that never changes")
        k = max(k + 1, math.ceil((run.stable_until - share) / step))
    details = EqualSharesRun(
        voters=model.voters,
        share=share,
        per_voter_budget=share + final_k * step,
        increments=final_k,
        runs=runs,
        reference_runs=reference_runs,
    )
    return _allocation(election, model, final, "equal_shares_add1", details)


def equal_shares_add1_greedy(election: Election[IdT], *, increment: Number = 1) -> Allocation[IdT]:
    """Equal shares with "add one", then greedy for what is left (Pabulib's `equalshares/add1`)."""
    return complete_with_greedy(
        election,
        equal_shares_add1(election, increment=increment),
        rule="equal_shares_add1_greedy",
    )


def _untouched(model: _Model, t0: Fraction) -> _Final:
    """The free projects only, every voter still with all their money."""
    return _Final(
        list(model.free), {}, {}, [t0.numerator] * model.types, t0.numerator, t0.denominator
    )


def _exhaustive(model: _Model, selected: Sequence[int], budget: Number) -> bool:
    # As pabutools' `is_exhaustive(..., available_projects=projects)`: supported projects only.
    spent = sum((model.costs[r] for r in selected), start=0)
    chosen = set(selected)
    return all(r in chosen or spent + model.costs[r] > budget for r in model.candidates)


def _empty(election: Election[IdT]) -> Allocation[IdT]:
    index = election.index
    outcomes = tuple(
        new_outcome(
            project.id,
            project.cost,
            index.total_satisfaction[index.position[project.id]],
            index.supporters[index.position[project.id]],
            False,
            Verdict.NO_SUPPORT,
            Stage.EQUAL_SHARES,
        )
        for project in election.projects
    )
    return Allocation(rule="equal_shares", budget=election.budget, selected=(), outcomes=outcomes)


def _allocation(
    election: Election[IdT], model: _Model, final: _Final, rule: str, details: EqualSharesRun
) -> Allocation[IdT]:
    """Every project explained: the price and who spent everything for the bought ones, the
    money their supporters had left (and what was missing) for the others."""
    index = election.index
    ids, costs = index.ids, index.costs
    totals, supporters = index.total_satisfaction, index.supporters
    rank_of = index.position
    position = {rank: i + 1 for i, rank in enumerate(final.selected)}
    free = set(model.free)
    money, denominator = final.money, final.denominator
    value_scale = model.value_scale
    per_voter = details.per_voter_budget

    def needed(cost: Number) -> int | None:
        # How many whole shares the cost takes (rounded up), in integers.
        if not per_voter:
            return None
        top = Fraction(cost)
        return -(-top.numerator * per_voter.denominator // (top.denominator * per_voter.numerator))

    outcomes: list[ProjectOutcome[IdT]] = []
    for project in election.projects:
        rank = rank_of[project.id]
        cost = costs[rank]
        if rank in position:
            price = final.price.get(rank)
            outcomes.append(
                new_outcome(
                    ids[rank],
                    cost,
                    totals[rank],
                    supporters[rank],
                    True,
                    Verdict.SELECTED,
                    Stage.NO_COST if rank in free else Stage.EQUAL_SHARES,
                    position[rank],
                    price=(
                        Fraction(0) if price is None else Fraction(price[0] * value_scale, price[1])
                    ),
                    paid_everything=final.paid_everything.get(rank, 0),
                )
            )
        elif model.total[rank] <= 0:
            outcomes.append(
                new_outcome(
                    ids[rank],
                    cost,
                    totals[rank],
                    supporters[rank],
                    False,
                    Verdict.NO_SUPPORT,
                    Stage.EQUAL_SHARES,
                )
            )
        else:
            left = _money(money, model.types_of[rank], model.weights_of[rank])
            cost_now = cost * denominator if type(cost) is int else int(cost * denominator)
            outcomes.append(
                new_outcome(
                    ids[rank],
                    cost,
                    totals[rank],
                    supporters[rank],
                    False,
                    Verdict.SUPPORTERS_SHORT,
                    Stage.EQUAL_SHARES,
                    money_at_turn=Fraction(left, denominator),
                    shortfall=Fraction(cost_now - left, denominator),
                    supporters_needed=needed(cost),
                )
            )
    spent = [0] * model.ballots
    start = final.start
    for source, left in zip(model.source, money, strict=True):
        spent[source] = start - left
    return Allocation(
        rule=rule,
        budget=election.budget,
        selected=tuple(ids[rank] for rank in final.selected),
        outcomes=tuple(outcomes),
        equal_shares=replace(details, spent_numerators=tuple(spent), spent_denominator=denominator),
    )
