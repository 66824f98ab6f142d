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
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from itertools import chain

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
    outcome_for,
)

# Float guesses are only trusted when they are clearly on one side of a decision: within this
# relative margin the decision is made again in exact integers. Every guess is the correctly
# rounded value of an exact number (error below 1.2e-16 relative), so 1e-9 is a wide safety gap.
_DOUBT = 1e-9

_EMPTY = 0  # the purse class of voters who have spent everything
_FULL = 1  # the purse class of voters who have paid nothing yet


@dataclass
class _Model:
    """What equal shares needs from an election, independent of the money per voter."""

    costs: list[Number]
    cost_denominator: int
    candidates: list[int]
    free: list[int]
    # Per project, the supporting voter types that stand for one voter each, with their
    # satisfactions alongside; `heavy` the types that stand for more (type, satisfaction,
    # voters); `single_value` when all supporters have the same satisfaction.
    supporter_types: list[list[int]]
    supporter_values: list[list[int]]
    heavy: list[list[tuple[int, int, int]]]
    single_value: list[int | None]
    value_gcd: list[int]
    total: list[int]
    supporters: list[int]
    voters: int
    types: int
    value_scale: int
    type_of_ballot: list[int]

    @staticmethod
    def of(index: Index[IdT]) -> _Model:
        # Satisfactions are scaled to whole numbers: prices scale inversely, payments do not.
        scale = (
            1
            if index.whole_values
            else lcm_of_denominators(chain.from_iterable(index.ballot_values))
        )
        count = len(index.ids)
        # One voter type per ballot: voters with the same ballot behave alike. (The elections
        # built from votes already merge identical ballots.)
        types = dict(
            zip(
                zip(index.ballot_ranks, index.ballot_values, strict=True),
                index.ballot_multiplicity,
                strict=True,
            )
        )
        if len(types) == len(index.ballot_ranks):
            type_of_ballot = list(range(len(types)))
        else:
            # Some ballots are the same: merge them after all.
            types = {}
            numbers: dict[tuple[tuple[int, ...], tuple[Number, ...]], int] = {}
            type_of_ballot = []
            for key, multiplicity in zip(
                zip(index.ballot_ranks, index.ballot_values, strict=True),
                index.ballot_multiplicity,
                strict=True,
            ):
                types[key] = types.get(key, 0) + multiplicity
                type_of_ballot.append(numbers.setdefault(key, len(numbers)))
        # Per project: the supporting types that stand for one voter (counted by Counter), and
        # the few that stand for several (added with their weight). Bound appends: this loop
        # touches every entry of every ballot.
        light_types: list[list[int]] = [[] for _ in range(count)]
        light_values: list[list[int]] = [[] for _ in range(count)]
        heavy: list[list[tuple[int, int, int]]] = [[] for _ in range(count)]
        add_type = [entries.append for entries in light_types]
        add_value = [entries.append for entries in light_values]
        add_heavy = [entries.append for entries in heavy]
        whole = index.whole_values
        for voter_type, ((ranks, values), multiplicity) in enumerate(types.items()):
            if not whole:
                values = tuple(int(value * scale) for value in values)
            if multiplicity == 1:
                for rank, value in zip(ranks, values, strict=True):
                    add_type[rank](voter_type)
                    add_value[rank](value)  # type: ignore[arg-type]
            else:
                for rank, value in zip(ranks, values, strict=True):
                    add_heavy[rank]((voter_type, value, multiplicity))  # type: ignore[arg-type]
        total = [int(value * scale) for value in index.total_satisfaction]
        single_value: list[int | None] = []
        value_gcd: list[int] = []
        for given, weighted in zip(light_values, heavy, strict=True):
            distinct = set(given)
            distinct.update(v for _, v, _ in weighted)
            single_value.append(next(iter(distinct)) if len(distinct) == 1 else None)
            value_gcd.append(math.gcd(*distinct) if distinct else 1)
        return _Model(
            costs=list(index.costs),
            cost_denominator=lcm_of_denominators(index.costs),
            candidates=[r for r in range(count) if total[r] > 0 and index.costs[r] > 0],
            free=[r for r in range(count) if total[r] > 0 and index.costs[r] == 0],
            supporter_types=light_types,
            supporter_values=light_values,
            heavy=heavy,
            single_value=single_value,
            value_gcd=value_gcd,
            total=total,
            supporters=list(index.supporters),
            voters=index.voters,
            types=len(types),
            value_scale=scale,
            type_of_ballot=type_of_ballot,
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
    explain: bool,
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
    if explain:
        _explain(model, run)
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


def _explain(model: _Model, run: _Run) -> None:
    """What each voter type spent, and what the supporters of each project left out had left."""
    purses = run.purses
    if purses is None:
        run.spent_per_type = [0] * model.types
        return
    # What each type spent: t0 minus its money, over the current denominator.
    start = run.t0.numerator * (purses.denominator // run.t0.denominator)
    money_of = purses.money
    run.spent_per_type = [start - money_of(purse) for purse in purses.class_of]
    run.spent_denominator = purses.denominator
    for rank in model.candidates:
        if rank not in run.price_of:
            money = sum(money_of(p) * c for p, _, c in _groups(model, purses, rank))
            run.money_left[rank] = Fraction(money, purses.denominator)


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


def equal_shares(election: Election[IdT]) -> Allocation[IdT]:
    """The Method of Equal Shares (pabutools' `method_of_equal_shares`), without completion."""
    model = _Model.of(election.index)
    if model.voters == 0:
        return _empty(election)
    share = Fraction(election.budget) / model.voters
    run = _run(model, share, track=False, explain=True)
    return _allocation(
        election, model, run, "equal_shares", EqualSharesRun(model.voters, share, share)
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
    budget = election.budget
    share = Fraction(budget) / model.voters
    step = Fraction(increment)
    k = 0
    runs = 0
    previous: tuple[int, _Run] | None = None
    while True:
        earlier = previous[1] if previous is not None else None
        run = _run(model, share + k * step, track=True, explain=False, earlier=earlier)
        runs += 1
        spent = sum((model.costs[r] for r in run.selected), start=0)
        if spent > budget:
            reference_runs = k + 1
            if previous is None:
                # pabutools keeps the starting allocation (the free projects) in this case.
                final_k, final = 0, _Run(share, list(model.free))
            elif previous[0] == k - 1 and previous[1].purses is not None:
                final_k, final = previous
            else:
                # The outcome at k - 1 is the previous run's (nothing turned in between), but
                # the payments differ: redo that run to explain it.
                final_k = k - 1
                final = _run(model, share + final_k * step, track=False, explain=False)
                if final.selected != previous[1].selected:
                    raise AssertionError("equal shares: skipped increments changed the outcome")
            break
        if _exhaustive(model, run.selected, budget):
            final_k, final = k, run
            reference_runs = k + 1
            break
        previous = (k, run)
        if run.stable_until is None:
            raise AssertionError("equal shares: a non-exhaustive outcome that never changes")
        k = max(k + 1, math.ceil((run.stable_until - share) / step))
    _explain(model, final)
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


def _price_of(run: _Run, rank: int) -> Fraction:
    """What a bought project cost per unit of (scaled) satisfaction; 0 for a free one."""
    price = run.price_of.get(rank)
    return Fraction(0) if price is None else Fraction(price.numerator, price.denominator)


def _exhaustive(model: _Model, selected: Sequence[int], budget: Number) -> bool:
    # As pabutools' `is_exhaustive(..., available_projects=projects)`: supported projects only.
    spent = sum((model.costs[r] for r in selected), start=0)
    chosen = set(selected)
    return all(r in chosen or spent + model.costs[r] > budget for r in model.candidates)


def _empty(election: Election[IdT]) -> Allocation[IdT]:
    index = election.index
    outcomes = tuple(
        outcome_for(
            index,
            index.position[project.id],
            selected=False,
            verdict=Verdict.NO_SUPPORT,
            stage=Stage.EQUAL_SHARES,
        )
        for project in election.projects
    )
    return Allocation(rule="equal_shares", budget=election.budget, selected=(), outcomes=outcomes)


def _allocation(
    election: Election[IdT], model: _Model, run: _Run, rule: str, details: EqualSharesRun
) -> Allocation[IdT]:
    index = election.index
    position = {rank: i + 1 for i, rank in enumerate(run.selected)}
    free = set(model.free)
    outcomes: list[ProjectOutcome[IdT]] = []
    for project in election.projects:
        rank = index.position[project.id]
        cost = model.costs[rank]
        if rank in position:
            outcomes.append(
                outcome_for(
                    index,
                    rank,
                    selected=True,
                    verdict=Verdict.SELECTED,
                    stage=Stage.NO_COST if rank in free else Stage.EQUAL_SHARES,
                    position=position[rank],
                    price=_price_of(run, rank) * model.value_scale,
                    paid_everything=run.paid_everything.get(rank, 0),
                )
            )
        elif model.total[rank] <= 0:
            outcomes.append(
                outcome_for(
                    index,
                    rank,
                    selected=False,
                    verdict=Verdict.NO_SUPPORT,
                    stage=Stage.EQUAL_SHARES,
                )
            )
        else:
            money = run.money_left.get(rank, Fraction(0))
            outcomes.append(
                outcome_for(
                    index,
                    rank,
                    selected=False,
                    verdict=Verdict.SUPPORTERS_SHORT,
                    stage=Stage.EQUAL_SHARES,
                    money_at_turn=money,
                    shortfall=cost - money,
                    supporters_needed=(
                        math.ceil(Fraction(cost) / details.per_voter_budget)
                        if details.per_voter_budget
                        else None
                    ),
                )
            )
    spent = [0] * len(election.ballots)
    for source, voter_type in zip(index.ballot_source, model.type_of_ballot, strict=True):
        spent[source] = run.spent_per_type[voter_type]
    return Allocation(
        rule=rule,
        budget=election.budget,
        selected=tuple(index.ids[rank] for rank in run.selected),
        outcomes=tuple(outcomes),
        equal_shares=replace(
            details, spent_numerators=tuple(spent), spent_denominator=run.spent_denominator
        ),
    )
