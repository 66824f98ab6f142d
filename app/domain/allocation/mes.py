"""The Method of Equal Shares, exactly as pabutools 1.2.3 computes it, and its "add one" completion.

Every voter starts with an equal share `t = budget / voters` (empty ballots count as voters). In
each round the project that its supporters can pay for at the lowest price per unit of
satisfaction `rho` is bought: each supporter pays `min(money left, rho * satisfaction)`, and
`rho` is the smallest price at which these payments add up to the cost. Ties in `rho` go to the
earlier project in the tie-break order. A round in which no project's supporters have enough
money left ends the rule. A supported project that costs nothing is taken before the rounds.

All money is exact: per voter type (voters with the same ballot) a whole number over a
denominator; the common denominator grows with each purchase, and a type's money is brought to it
only when it is read exactly (`_State`). Alongside, a float of each type's money finds the
order of things (the cheapest project, who pays everything); a decision the floats leave in
doubt (closer than one in a billion) is made again in whole numbers, so an outcome never depends
on rounding. On a large election (a tier of "add one" with at least `_VECTORS_FROM` voter types)
those floats live in numpy arrays and are summed, sorted and compared in bulk; they still only
screen, and numpy is imported only then. A project's last price is a lower bound for its next
one (money only shrinks), so most projects need not be priced again in a round; voters who have
spent everything leave the projects' lists.

On approval ballots (every supporter values a project alike) a voter who keeps money pays the same
part as every other who does, so its money is its start less the parts of the projects bought that
it supports: a tracked run on such a large model (`_Approval`) keeps only those parts, reads a
voter's exact money off them when the floats leave a decision in doubt and a group's by counting
(`_State.owned`, `_State.alive_paid`), and moves the floats in bulk, each with a bound on how far
it may be off that keeps it well inside the doubt (`_pay_alike`).

The "add one" completion (pabutools' `voter_budget_increment=1`) reruns the rule with `t + 1`,
`t + 2`, ... and stops at the first run whose outcome spends more than the budget (keeping the
previous outcome) or leaves no supported project that still fits (keeping this one). Along a run
every purse, every price and every comparison is an affine function of `t` as long as the same
decisions are taken (which project wins each round, who pays everything they have, which
projects are out of reach), so a decision can only turn where two of those lines cross. Each
tracked run works out, exactly or by a float bound that is safely too small, the first such
crossing per round. Two savings follow, neither of which can change an outcome:

- increments before the earliest crossing give the same outcome: they are skipped;
- the next run takes over the rounds before the first round that may turn, with all purses and
  prices moved along their lines, and only redoes the rounds from there.

Most turns on a big instance only bend those lines (a voter who paid everything no longer has
to); the outcome stays. So a run further ahead is also tried (`_Leaps`, a search that doubles
its leaps while they hold and halves them when they fail) and checked against the run at hand
round by round (`_Certificate`): money only grows with t while the same projects are bought, so
prices only fall, and how fast they can fall is bounded by how fast money can grow; when the
winner's highest possible price stays below every rival's lowest possible one all the way, it
wins everywhere in between. Then every increment in between is skipped.

The runs of "add one" also work on fewer voter types (`_Tier`): below a money per voter at which
a project's supporters could not pay for it even with all their money, that project plays no
part, and voters whose ballots agree on the others are one type standing for all of them. A tier
holds up to a limit (a quarter above the money per voter where it starts); the next one starts
afresh. The outcome kept is run again on the whole election to explain every ballot.

How to read it, against the method (the plain version it is tested against is
tests/domain/textbook_mes.py, about 60 lines of exact fractions):

- `equal_shares`, `equal_shares_add1`: the rule and its completion; `_add_one` is pabutools'
  loop over the increments with a run only where the outcome may change (`_Leaps`: the skips),
  on the model of a `_Tier` (`_Model.within`), `_before_overspending` what it keeps when a run
  overspends;
- `_run`: one run at a money per voter: rounds of "find the cheapest project in reach"
  (`_cheapest`, with `_in_reach`) and "buy it" (`_buy`: its supporters pay, `_pay`), on a
  `_State` (every voter type's money, every project's supporters with money left, the last
  prices); a `_Round` is one round's decision;
- `_price` and its helpers: the smallest price per unit of satisfaction at which the supporters
  (`_Supporters`), each paying `min(money, price * value)`, pay the cost (floats find the poor,
  whole numbers confirm; `_price_exactly` is pabutools' own walk for when the floats are in
  doubt);
- only for "add one": `_Horizon` keeps, in a tracked run, the first increment at which a
  decision may turn (`_keep_dearer`: a rival's price crossing the winner's;
  `_keep_out_of_reach`: a project's supporters reaching its cost; `_pay_tracked`: a voter who
  paid everything no longer having to); `_resume` is what a run takes over from an earlier one
  (its `_Checkpoint`s, whose money the run's `_Journal` of payments gives back),
  `_Certificate` the proof of a leap; on approval ballots `_Approval`, `_pay_alike`;
- `_allocation`, `_outcome`: every project explained (price and who paid everything; or the
  money its supporters had and what was missing).
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from itertools import accumulate, chain, compress, repeat
from operator import add, floordiv, ge, lt, mul, not_, truediv
from typing import Any, NamedTuple, cast

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
)

# Float guesses are only trusted when they are clearly on one side of a decision: within this
# relative margin the decision is made again in exact integers. Every guess is the correctly
# rounded value of an exact number (error below 1.2e-16 relative), or on an approval model within
# `_REFRESH` of it (`_pay_alike`), so 1e-9 is a wide safety gap.
_DOUBT = 1e-9
# A float's rounding (relative), and the most a float of money may be off (relative) on an
# approval model before it is made again from the exact money (`_pay_alike`): 5.8e-11, far inside
# `_DOUBT`.
_ROUNDING = 2.0**-53
_REFRESH = 2.0**-34


class _Supporters(NamedTuple):
    """A project's supporters who still have money, as a round finds them: their voter types,
    their (scaled) satisfactions, how many voters each type stands for (None: one each), the
    one satisfaction they all share (None: not all alike), and satisfaction times voters.

    On a large model (`_Vectors`) also the types as a numpy array (`index`) and the
    satisfactions and weights as arrays of floats, for the float screening in bulk."""

    types: list[int]
    values: list[int]
    weights: list[int] | None
    single: int | None
    total: int
    index: Any = None
    values_float: Any = None
    weights_float: Any = None

    def with_vectors(self, np: Any) -> _Supporters:
        """The same supporters with their numpy arrays (`np` is the numpy module)."""
        return self._replace(
            index=np.array(self.types, dtype=np.intp),
            values_float=np.array(list(map(float, self.values))),
            weights_float=(
                None if self.weights is None else np.array(list(map(float, self.weights)))
            ),
        )


class _Model(NamedTuple):
    """What equal shares needs from an election, independent of the money per voter.

    Per project (by number): the supporting voter types, their satisfactions scaled to whole
    numbers, the voters each type stands for (None when one each), the sum of satisfaction times
    voters (`total`), the one satisfaction all supporters share (`single_value`, else None) and
    the gcd of the satisfactions; all of them together as `supporters_of`.
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
    supporters_of: list[_Supporters]
    total: list[int]
    supporters: list[int]
    voters: int
    types: int
    multiplicity: list[int]
    source: list[int]
    ballots: int
    value_scale: int
    # Whether a tracked run on this model keeps the floats of the money in numpy arrays.
    vector: bool = False
    # On such a model with approval ballots: who supports what, for runs without exact money
    # per voter (`_Approval`).
    approval: _Approval | None = None

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
            supporters_of=list(
                map(
                    _Supporters,
                    columns.supporter_types,
                    values_of,
                    columns.supporter_weights,
                    single_value,
                    total,
                )
            ),
            total=total,
            supporters=columns.supporters,
            voters=index.voters,
            types=len(columns.multiplicity),
            multiplicity=columns.multiplicity,
            source=columns.source,
            ballots=columns.ballots,
            value_scale=scale,
        )

    def within(self, limit: Fraction) -> _Model:
        """The rounds' view of the election for money per voter up to `limit`, with fewer types.

        A project whose supporters together would have less than its cost even if nobody had
        spent anything (`supporters * limit < cost`) is never within reach at such money: it is
        never bought, priced or paid for, and it leaves the model (it stays out of
        `candidates`). Voter types whose ballots then coincide (the same satisfaction for
        each project left) start with the same money and pay the same in every round, so they
        merge into one type that stands for all their voters. Only the rounds use this view:
        `source` is left empty (the outcome is explained on the whole model).
        """
        live = [r for r in self.candidates if self.supporters[r] * limit >= self.costs[r]]
        ballots: list[list[int]] = [[] for _ in range(self.types)]
        for rank in live:
            for voter_type, value in zip(self.types_of[rank], self.values_of[rank], strict=True):
                ballots[voter_type] += [rank, value]
        group_of: dict[tuple[int, ...], int] = {}
        weight: list[int] = []
        for voter_type, ballot in enumerate(ballots):
            if ballot:
                group = group_of.setdefault(tuple(ballot), len(weight))
                if group == len(weight):
                    weight.append(0)
                weight[group] += self.multiplicity[voter_type]
        count = len(self.costs)
        types_of: list[list[int]] = [[] for _ in range(count)]
        values_of: list[list[int]] = [[] for _ in range(count)]
        for alike, group in group_of.items():
            for rank, value in zip(alike[::2], alike[1::2], strict=True):
                types_of[rank].append(group)
                values_of[rank].append(value)
        weights_of: list[list[int] | None] = [None] * count
        for rank in live:
            weights = list(map(weight.__getitem__, types_of[rank]))
            if weights.count(1) != len(weights):
                weights_of[rank] = weights
        nobody = _Supporters([], [], None, None, 0)
        supporters_of = [nobody] * count
        for rank in live:
            supporters_of[rank] = _Supporters(
                types_of[rank],
                values_of[rank],
                weights_of[rank],
                self.single_value[rank],
                self.total[rank],
            )
        vector = len(weight) >= _VECTORS_FROM
        approval = None
        if vector:
            np = _numpy()
            supporters_of = [supporters.with_vectors(np) for supporters in supporters_of]
            if all(self.single_value[rank] is not None for rank in live):
                approval = _Approval.of(list(group_of), types_of, live)
        return self._replace(
            candidates=live,
            types_of=types_of,
            values_of=values_of,
            weights_of=weights_of,
            supporters_of=supporters_of,
            types=len(weight),
            multiplicity=weight,
            source=[],
            vector=vector,
            approval=approval,
        )


class _Approval(NamedTuple):
    """Who supports what on a large model whose ballots are approval ballots (every project
    valued alike by all its supporters): the projects of each voter type (`supported`), and the
    same as a 0/1 matrix of floats (`member`: a row per voter type, a column per candidate,
    `column` says which).

    A voter type with money left has then paid, for every project bought that it supports, what
    every supporter who kept money paid: all the same. So its money is the start less those
    payments (`_State.owned`), and a group's money together is their number times the start
    less, per project bought, how many of them support it times its payment
    (`_State.alive_paid`). A tracked run on such a model keeps no exact money per voter type:
    only the floats, moved in bulk (`_pay_alike`)."""

    supported: list[list[int]]
    member: Any
    column: dict[int, int]

    @staticmethod
    def of(ballots: list[tuple[int, ...]], types_of: list[list[int]], live: list[int]) -> _Approval:
        """From each voter type's ballot (project, satisfaction, project, ...) and each project's
        supporting types, for the projects in `live`."""
        member = _numpy().zeros((len(ballots), len(live)))
        for column, rank in enumerate(live):
            member[types_of[rank], column] = 1.0
        return _Approval(
            [list(ballot[::2]) for ballot in ballots],
            member,
            {rank: column for column, rank in enumerate(live)},
        )

    @property
    def growth_error(self) -> float:
        """How far (relative) a float of a voter's growth may be off: it is a sum of at most one
        non-negative term per project (its start and what each payment's fall adds), each
        correctly rounded, so by two roundings per term."""
        return (len(self.column) + 2) * 2 * _ROUNDING


# From how many voter types a tier's runs keep the floats of the money in numpy arrays (numpy
# is imported only then: on small elections the import would cost more than it saves).
_VECTORS_FROM = 1000


def _numpy() -> Any:
    global _np
    if _np is None:
        import numpy  # only for large models (see _VECTORS_FROM)

        _np = numpy
    return _np


_np: Any = None


class _Rung(NamedTuple):
    """A tracked run's place among the "add one" budgets: `share + k * step` per voter."""

    k: int
    step: Fraction


class _Horizon:
    """The first rung above a run's own at which one of the run's decisions may turn.

    Turning points are found as distances in t from the run's `t0`; a rung `k0 + j` lies `j`
    steps above it, so a turning point `d` above t0 is first reached at `j = ceil(d / step)`.
    """

    def __init__(self, rung: _Rung) -> None:
        self.k0 = rung.k
        self.step = rung.step
        # The nearest turning point of this round so far, as `now / -change` (kept as a pair:
        # comparing by cross-multiplication is much cheaper than making fractions).
        self.now = 0
        self.change = 0
        # A float that is at most the nearest turning point: checks that clearly lie further
        # away are skipped without exact arithmetic.
        self.lower = math.inf
        # The nearest so far as a float (either kind), to skip candidates clearly further away.
        self.nearest = math.inf
        # Guesses, not bounds, of where the outcome may change (`_Leaps` aims there), ignoring
        # the bends of the money on the way: the nearest point at which a rival's price crosses
        # the winner's in this round, and at which a project out of reach comes within reach.
        self.crossing = math.inf
        self.reach = math.inf

    def keep_non_negative(self, now: int, change: int) -> None:
        """A quantity, proportional to `now >= 0` at t0, that moves by `change` per unit of t."""
        if change < 0 and (self.change == 0 or now * self.change > self.now * change):
            self.now, self.change = now, change
            self.nearest = min(self.nearest, now / -change)

    def keep_at_least(self, reach: float) -> None:
        """A turning point known only as a float lower bound (already made conservative)."""
        if reach < self.lower:
            self.lower = reach
            self.nearest = min(self.nearest, reach)

    def predicted(self) -> int | None:
        """The last rung before this round's decision may turn, as foreseen (None: never);
        start afresh for the next round."""
        distance = min(self.crossing, self.reach)
        self.crossing = self.reach = math.inf
        if distance == math.inf:
            return None
        return self.k0 + max(0, math.ceil(distance / self.step) - 1)

    def close_round(self) -> int | None:
        """The first rung at which the decisions of the round just made may turn (None: none);
        start afresh for the next round."""
        until = None
        steps, per = self.step.numerator, self.step.denominator
        if self.change:
            # ceil(now / -change / step), in whole numbers
            until = self.k0 - (self.now * per // (self.change * steps))
        if self.lower < math.inf:
            # A float is an exact dyadic fraction: no rounding in taking it apart.
            reach, below = max(self.lower, 0.0).as_integer_ratio()
            bound = self.k0 - (-reach * per // (below * steps))
            until = bound if until is None else min(until, bound)
        self.now = self.change = 0
        self.lower = self.nearest = math.inf
        return until


class _Price(NamedTuple):
    """A price per unit of (scaled) satisfaction: exactly `(numerator + slope * x) / denominator`
    at `t0 + x` for the money per voter `t0` of its run (slope 0 when not tracked), and `guess`,
    the correctly rounded float of it at `t0`."""

    guess: float
    numerator: int
    denominator: int
    slope: int


class _Priced(NamedTuple):
    """A project priced: its price, the supporters (positions in its lists) who pay all they
    have at that price (the poor), and the satisfaction times voters of the others."""

    price: _Price
    poor: list[int]
    rich: int


# The floats of the voter types' money and of its growth: a list, or on a large model
# (`_Model.vector`) in a tracked run a numpy array of float64, worked on in bulk.
_Floats = Any


class _Journal:
    """A tracked run's exact money, slopes and epochs for all its checkpoints, without a copy
    per round: the lists as they were at its first round (`base`) and, per payment, the voter
    types it changed with what they have after it (`record`). A checkpoint's lists are the
    base with the payments before it made again (`at`): a round need not copy every type's
    money for the few hundred who pay."""

    def __init__(self, money: list[int], slope: list[int], epoch: array[int]) -> None:
        self.base = (list(money), list(slope), epoch[:])
        self.money, self.slope = money, slope  # the run's own lists, changed in place
        self.payments: list[tuple[list[int], list[int], list[int], int]] = []

    def record(self, types: list[int], epoch: int) -> None:
        """After a payment that left these voter types' money over the `epoch`-th lift."""
        self.payments.append(
            (
                types,
                list(map(self.money.__getitem__, types)),
                list(map(self.slope.__getitem__, types)),
                epoch,
            )
        )

    def at(self, payments: int) -> tuple[list[int], list[int], array[int]]:
        """New lists as they were after the first `payments` payments."""
        money, slope, epoch = list(self.base[0]), list(self.base[1]), self.base[2][:]
        for types, money_after, slope_after, now in self.payments[:payments]:
            for voter_type, left, rise in zip(types, money_after, slope_after, strict=True):
                money[voter_type] = left
                slope[voter_type] = rise
                epoch[voter_type] = now
        return money, slope, epoch


class _Paid(NamedTuple):
    """On an approval model (`_Approval`): what every supporter of a project bought paid who did
    not pay everything they had (all the same), and how fast it changes with t, over the
    denominator of the `epoch`-th lift (as a voter type's money in `_State`)."""

    payment: int
    slope: int
    epoch: int


class _Checkpoint(NamedTuple):
    """What a tracked run had at the start of a round (at money per voter `t0`), for a later
    run to take over: the exact part of a `_State` (money, slopes and epochs as its run's
    `journal` after `payments` payments) and how many projects were bought before."""

    t0: Fraction
    journal: _Journal | None
    payments: int
    lift: list[int]
    behind: list[int]
    guess: _Floats
    growth: _Floats
    scale: int
    cost_now: list[int]
    supporters_of: list[_Supporters]
    bound: list[_Price]
    active: list[int]
    selected: int
    approval: _Approval | None
    paid_for: dict[int, _Paid]
    error: _Floats


class _State:
    """A run between two rounds.

    Money is exact: per voter type a whole number over a denominator, beside a float `guess` of
    it that finds the order of things. The common denominator `scale` grows with each purchase
    (to keep every payment whole); a type's money stays over the one of its last payment, the
    `epoch`-th, and `lift[epoch]` brings it over `scale` (`exact`), so that a purchase need not
    touch every voter. In a tracked run money also has a `slope` (over the same denominator; its
    float: `growth`): at `t0 + x` a type has `money + slope * x` as long as the run's decisions
    hold. The numbers of an epoch taken over from an earlier run (`_resume`) hold at that run's
    t, `behind[epoch]` units of t below `t0` (0 for the run's own epochs): a type has
    `(money + slope * behind) * lift` over `scale`, so that taking over need not move every
    voter's money. `cost_now`: the costs over `scale`.
    `supporters_of`: each project's supporters (as in `_Model`), from which those who spent
    everything are pruned in this run. `bound`: each project's price when last worked out, a
    lower bound for the next (money only shrinks); `active`: the projects still in play. On a
    large model a tracked run keeps `guess` and `growth` in numpy arrays (`vector`), and the
    floats are summed and compared in bulk. A tracked run's `journal` keeps what each payment
    changed, for its checkpoints.
    """

    money: list[int]
    slope: list[int]
    epoch: array[int]
    lift: list[int]
    behind: list[int]
    guess: _Floats
    growth: _Floats
    scale: int
    cost_now: list[int]
    supporters_of: list[_Supporters]
    bound: list[_Price]
    bound_float: list[float]
    active: list[int]
    vector: bool
    tracked: bool
    journal: _Journal | None
    # A tracked run on an approval model (`_Approval`) keeps no exact money per voter type
    # (`money`, `slope` and `epoch` are empty, and so is the journal): only the payments for
    # each project bought and, beside each float of money, a bound on its relative error
    # (`error`, see `_pay_alike`); every voter started with `t0` (`started`).
    approval: _Approval | None
    t0: Fraction
    paid_for: dict[int, _Paid]
    error: _Floats

    def __init__(
        self,
        *,
        money: list[int],
        slope: list[int],
        epoch: array[int],
        lift: list[int],
        behind: list[int],
        guess: _Floats,
        growth: _Floats,
        scale: int,
        cost_now: list[int],
        supporters_of: list[_Supporters],
        bound: list[_Price],
        bound_float: list[float],
        active: list[int],
        vector: bool = False,
        tracked: bool = False,
        journal: _Journal | None = None,
        approval: _Approval | None = None,
        t0: Fraction = Fraction(0),
        paid_for: dict[int, _Paid] | None = None,
        error: _Floats = None,
    ) -> None:
        self.money = money
        self.slope = slope
        self.epoch = epoch
        self.lift = lift
        self.behind = behind
        self.guess = guess
        self.growth = growth
        self.scale = scale
        self.cost_now = cost_now
        self.supporters_of = supporters_of
        self.bound = bound
        self.bound_float = bound_float
        self.active = active
        self.vector = vector
        self.tracked = tracked
        self.journal = journal
        self.approval = approval
        self.t0 = t0
        self.paid_for = {} if paid_for is None else paid_for
        self.error = error

    @staticmethod
    def start(model: _Model, t0: Fraction, tracked: bool) -> _State:
        """Everyone with `t0`, every supported project priced as if all paid in proportion."""
        scale = math.lcm(t0.denominator, model.cost_denominator)
        cost_now = [c * scale if type(c) is int else int(c * scale) for c in model.costs]
        bound: list[_Price] = [_Price(0.0, 0, 1, 0)] * len(model.costs)
        for rank in model.candidates:
            denominator = model.total[rank] * scale
            bound[rank] = _Price(cost_now[rank] / denominator, cost_now[rank], denominator, 0)
        vector = tracked and model.vector
        guess: _Floats = [float(t0)] * model.types
        growth: _Floats = [1.0] * model.types if tracked else []
        if vector:
            np = _numpy()
            guess, growth = np.array(guess), np.array(growth)
        approval = model.approval if vector else None
        error = None
        if approval is None:
            money = [t0.numerator * (scale // t0.denominator)] * model.types
            slope = [scale if tracked else 0] * model.types
            epoch = array("q", [0]) * model.types
        else:
            money, slope, epoch = [], [], array("q")
            error = _numpy().full(model.types, _ROUNDING)
        return _State(
            money=money,
            slope=slope,
            epoch=epoch,
            lift=[1],
            behind=[0],
            guess=guess,
            growth=growth,
            scale=scale,
            cost_now=cost_now,
            supporters_of=list(model.supporters_of),
            bound=bound,
            bound_float=[b.guess for b in bound],
            active=list(model.candidates),
            vector=vector,
            tracked=tracked,
            journal=_Journal(money, slope, epoch) if tracked and approval is None else None,
            approval=approval,
            t0=t0,
            error=error,
        )

    @staticmethod
    def of(point: _Checkpoint, by: int) -> _State:
        """A state to go on from, `by` units of t above the checkpoint's (the floats are moved
        by the caller): every epoch so far falls behind by `by`, and payments start a new one;
        its lists are its own."""
        vector = not isinstance(point.guess, list)
        journal = point.journal
        money: list[int]
        slope: list[int]
        if journal is None:
            money, slope, epoch = [], [], array("q")
        else:
            money, slope, epoch = journal.at(point.payments)
        behind = list(map(add, point.behind, repeat(by)))
        return _State(
            money=money,
            slope=slope,
            epoch=epoch,
            lift=[*point.lift, 1],
            behind=[*behind, 0],
            guess=point.guess.copy() if vector else list(point.guess),
            growth=point.growth.copy() if vector else list(point.growth),
            scale=point.scale,
            cost_now=point.cost_now,
            supporters_of=list(point.supporters_of),
            bound=list(point.bound),
            bound_float=[b.guess for b in point.bound],
            active=list(point.active),
            vector=vector,
            tracked=True,
            journal=None if journal is None else _Journal(money, slope, epoch),
            approval=point.approval,
            t0=point.t0,
            paid_for=dict(point.paid_for),
            error=None if point.error is None else point.error.copy(),
        )

    def checkpoint(self, t0: Fraction, selected: int) -> _Checkpoint:
        # `guess` and `growth` are copied before the next payment (`own_floats`).
        journal = self.journal
        return _Checkpoint(
            t0=t0,
            journal=journal,
            payments=0 if journal is None else len(journal.payments),
            lift=self.lift,
            behind=self.behind,
            guess=self.guess,
            growth=self.growth,
            scale=self.scale,
            cost_now=self.cost_now,
            supporters_of=list(self.supporters_of),
            bound=list(self.bound),
            active=list(self.active),
            selected=selected,
            approval=self.approval,
            paid_for=dict(self.paid_for),
            error=self.error,
        )

    def supporters(self, rank: int, mine: _Floats | None = None) -> tuple[_Supporters, _Floats]:
        """A project's supporters with money left, and the float of each one's money (`mine`,
        when the caller has it for all in the lists); those who have spent everything leave
        its lists for good (in this run)."""
        supporters = self.supporters_of[rank]
        if self.vector:
            return self._supporters_vector(rank, supporters, mine)
        if mine is None:
            mine = list(map(self.guess.__getitem__, supporters.types))
        if 0.0 not in mine:
            return supporters, mine
        types = list(compress(supporters.types, mine))
        values = list(compress(supporters.values, mine))
        weights = supporters.weights
        if weights is not None:
            weights = list(compress(weights, mine))
        single = supporters.single
        if single is not None:
            total = single * (len(values) if weights is None else sum(weights))
        elif weights is None:
            total = sum(values)
        else:
            total = sum(map(mul, values, weights))
        supporters = self.supporters_of[rank] = _Supporters(types, values, weights, single, total)
        return supporters, list(filter(None, mine))

    def _supporters_vector(
        self, rank: int, supporters: _Supporters, mine: _Floats | None
    ) -> tuple[_Supporters, _Floats]:
        """`supporters` on a large model: the floats are an array, and so is what is kept."""
        if mine is None:
            mine = self.guess[supporters.index]
        if mine.all():
            return supporters, mine
        keep = mine != 0.0
        kept = keep.tolist()
        types = list(compress(supporters.types, kept))
        values = list(compress(supporters.values, kept))
        weights = supporters.weights
        weights_float = supporters.weights_float
        single = supporters.single
        if weights is not None:
            weights = list(compress(weights, kept))
            weights_float = weights_float[keep]
        if single is not None:
            total = single * (len(values) if weights is None else sum(weights))
        elif weights is None:
            total = sum(values)
        else:
            total = sum(map(mul, values, weights))
        supporters = self.supporters_of[rank] = _Supporters(
            types,
            values,
            weights,
            single,
            total,
            supporters.index[keep],
            supporters.values_float[keep],
            weights_float,
        )
        return supporters, mine[keep]

    def rescale(self, factor: int) -> None:
        """A new common denominator, `factor` times the old one: a new epoch."""
        self.lift = [*map(mul, self.lift, repeat(factor)), 1]
        self.behind = [*self.behind, 0]
        self.cost_now = list(map(mul, self.cost_now, repeat(factor)))
        self.scale *= factor

    def own_floats(self) -> None:
        """Copies of the floats that payments change in place (a checkpoint keeps the old)."""
        if self.vector:
            self.guess, self.growth = self.guess.copy(), self.growth.copy()
            if self.error is not None:
                self.error = self.error.copy()
        else:
            self.guess, self.growth = list(self.guess), list(self.growth)

    def exact(self, types: list[int], weights: list[int] | None = None) -> int:
        """What these voter types (as many voters each as `weights` says) have together, over
        the current denominator."""
        return self.exact_paid(types, weights)[0]

    def exact_paid(self, types: list[int], weights: list[int] | None) -> tuple[int, int]:
        """What these voter types have together, as `exact`, and in a tracked run how fast it
        grows with t (else 0).

        In a tracked run the money and the slopes are added up per epoch (over that epoch's
        denominator) and each sum is lifted once: a multiplication by a lift per epoch among
        the types (15 for 160 types on average on the made-up city) instead of two per type."""
        if self.approval is not None:
            np = _numpy()
            index = np.asarray(types, dtype=np.intp)
            alive = self.guess[index] != 0.0
            if weights is None:
                return self.alive_paid(index[alive], None)
            return self.alive_paid(index[alive], np.asarray(weights, dtype=np.float64)[alive])
        if not self.tracked:
            lifts = map(self.lift.__getitem__, map(self.epoch.__getitem__, types))
            mine = map(mul, map(self.money.__getitem__, types), lifts)
            return sum(mine) if weights is None else sum(map(mul, mine, weights)), 0
        money, slope, epoch = self.money, self.slope, self.epoch
        per_epoch: dict[int, list[int]] = {}
        for voter_type, weight in zip(
            types, repeat(1) if weights is None else weights, strict=False
        ):
            sums = per_epoch.get(epoch[voter_type])
            if sums is None:
                per_epoch[epoch[voter_type]] = [
                    money[voter_type] * weight,
                    slope[voter_type] * weight,
                ]
            else:
                sums[0] += money[voter_type] * weight
                sums[1] += slope[voter_type] * weight
        paid = rise = 0
        for at, (money_then, slope_then) in per_epoch.items():
            lift = self.lift[at]
            paid += (money_then + slope_then * self.behind[at]) * lift
            rise += slope_then * lift
        return paid, rise

    def alive_paid(self, types: Any, weights: Any) -> tuple[int, int]:
        """`exact_paid` for voter types that all have money left; on an approval model given as
        a numpy array, with the floats of their weights (or None), and worked out by counts
        (`_Approval`): two products of whole numbers per project bought, not two per type."""
        approval = self.approval
        if approval is None:
            return self.exact_paid(types, weights)
        rows = approval.member[types]
        if weights is None:
            counts = rows.sum(axis=0).tolist()
            voters = len(types)
        else:
            # Whole numbers as floats: exact far beyond any number of voters.
            counts = (weights @ rows).tolist()
            voters = int(weights.sum())
        lift, behind, column = self.lift, self.behind, approval.column
        paid, rising = voters * self.started(), voters * self.scale
        for rank, (payment, slope, at) in self.paid_for.items():
            count = int(counts[column[rank]])
            if count:
                paid -= count * (payment + slope * behind[at]) * lift[at]
                rising -= count * slope * lift[at]
        return paid, rising

    def make_again(self, voter_types: Any) -> None:
        """On an approval model: these voter types' floats made again from the exact money."""
        scale = self.scale
        for voter_type in voter_types.tolist():
            money, slope = self.owned(voter_type)
            self.guess[voter_type] = money / scale
            self.growth[voter_type] = slope / scale
            self.error[voter_type] = _ROUNDING

    def started(self) -> int:
        """Every voter's money at the start, `t0`, over the current denominator (in a tracked run
        it grows by one per unit of t: its slope is the denominator)."""
        return self.t0.numerator * (self.scale // self.t0.denominator)

    def owned(self, voter_type: int) -> tuple[int, int]:
        """On an approval model: the money of a voter type with money left and its slope, over
        the current denominator (its start less what it paid for the projects bought that it
        supports, `_Approval`)."""
        lift, behind, paid_for = self.lift, self.behind, self.paid_for
        money, slope = self.started(), self.scale
        for rank in cast(_Approval, self.approval).supported[voter_type]:
            paid = paid_for.get(rank)
            if paid is not None:
                money -= (paid.payment + paid.slope * behind[paid.epoch]) * lift[paid.epoch]
                slope -= paid.slope * lift[paid.epoch]
        return money, slope

    def exact_one(self, voter_type: int) -> int:
        if self.approval is not None:
            return self.owned(voter_type)[0] if self.guess[voter_type] else 0
        at = self.epoch[voter_type]
        return (self.money[voter_type] + self.slope[voter_type] * self.behind[at]) * self.lift[at]

    def normalized(self) -> list[int]:
        """Every type's money over the current denominator."""
        if self.approval is not None:
            return list(map(self.exact_one, range(len(self.guess))))
        moved = map(add, self.money, map(mul, self.slope, map(self.behind.__getitem__, self.epoch)))
        return list(map(mul, moved, map(self.lift.__getitem__, self.epoch)))


class _Round(NamedTuple):
    """A round's decision: the project bought (`rank`), its supporters and how they pay
    (`priced`), the projects still in play (the winner among them) and, of those, the ones whose
    price was compared with the winner's."""

    rank: int
    supporters: _Supporters
    priced: _Priced
    still: list[int]
    compared: list[int]


class _Run:
    """One run of equal shares at a money-per-voter `t0`: what it bought, at which prices, and
    the money left (exact, over the common denominator `scale`; `start` is `t0` over it).

    A tracked run also keeps, per round, the first rung at which a decision of that round may
    turn (None: never), the earliest of them, and the state at the start of every round.
    """

    t0: Fraction
    model: _Model | None  # the model it ran on (None: none, nobody paid anything)
    selected: list[int]
    price_of: dict[int, _Price]
    paid_everything: dict[int, int]
    money: list[int]  # from `end`, when first asked (`left`)
    start: int
    scale: int
    end: _State | None
    k: int
    round_until: list[int | None]
    stable_until: int | None
    # Per round, and the earliest: the last rung before a decision may turn, as foreseen.
    round_predicted: list[int | None]
    predicted: int | None
    checkpoints: list[_Checkpoint]
    # Run against a `reference` run at a smaller t: whether its outcome provably holds at every
    # t in between (see `_Certificate`; a run whose proof fails stops there, of no use).
    certified: bool
    # A run not certified because its outcome differs from the reference's (not for want of
    # proof): the outcome at its t is another.
    differs: bool

    def __init__(
        self,
        t0: Fraction,
        model: _Model | None = None,
        *,
        k: int = 0,
        selected: list[int] | None = None,
        money: list[int] | None = None,
        start: int = 0,
        scale: int = 1,
    ) -> None:
        self.t0 = t0
        self.model = model
        self.selected = [] if selected is None else selected
        self.price_of = {}
        self.paid_everything = {}
        self.money = [] if money is None else money
        self.start = start
        self.scale = scale
        self.end = None
        self.k = k
        self.round_until = []
        self.stable_until = None
        self.round_predicted = []
        self.predicted = None
        self.checkpoints = []
        self.certified = False
        self.differs = False

    def left(self) -> list[int]:
        """Each voter type's money at the end of the run, over `scale`."""
        if not self.money and self.end is not None:
            self.money = self.end.normalized()
        return self.money


def _run(
    model: _Model,
    t0: Fraction,
    *,
    rung: _Rung | None = None,
    earlier: _Run | None = None,
    reference: _Run | None = None,
) -> _Run:
    """One run of equal shares with `t0` money per voter: round after round, the project whose
    supporters can pay for it at the lowest price is bought (`_cheapest`) and paid (`_buy`).

    Given its `rung` among the "add one" budgets (`t0` is that rung's), the run is tracked: it
    also works out up to which rung its decisions hold, round by round (`_Horizon`), and keeps a
    checkpoint per round. Given an `earlier` tracked run at a smaller t (by a whole number), the
    rounds whose decisions still hold at `t0` are taken over instead of redone (`_resume`).

    Given a `reference` run at a smaller t (the `earlier` one, if any), the run also checks
    round by round whether the outcome provably stays the same for every t in between
    (`_Certificate`) and says so in `certified`; where the proof fails the run stops, unfinished
    (only a leap asks for one, and throws a failed one away).
    """
    run = _Run(t0, model, k=rung.k if rung is not None else 0)
    horizon = _Horizon(rung) if rung is not None else None
    state = _resume(run, earlier) if horizon is not None and earlier is not None else None
    if state is None:
        state = _State.start(model, t0, tracked=horizon is not None)
        run.selected = list(model.free)
    certificate = None
    if reference is not None:
        if run.selected != reference.selected[: len(run.selected)]:
            run.differs = True
            return run
        if len(state.growth) == 0:
            return run  # not certified
        certificate = _Certificate(model, reference, t0, state)
    while True:
        if horizon is not None:
            run.checkpoints.append(state.checkpoint(t0, len(run.selected)))
        chosen = _cheapest(model, state, horizon)
        if chosen is None:
            break
        if certificate is not None and not certificate.holds(len(run.selected), chosen, state):
            # Not certified: a leap that failed, of no further use.
            run.differs = _differs(cast(_Run, reference), len(run.selected), chosen.rank)
            return run
        run.paid_everything[chosen.rank] = _buy(model, state, chosen, horizon)
        if certificate is not None:
            certificate.bought(chosen)
        run.selected.append(chosen.rank)
        run.price_of[chosen.rank] = chosen.priced.price
        if horizon is not None:
            run.round_predicted.append(horizon.predicted())
            run.round_until.append(horizon.close_round())
    if horizon is not None:
        run.round_predicted.append(horizon.predicted())
        run.round_until.append(horizon.close_round())
        turns = [until for until in run.round_until if until is not None]
        run.stable_until = min(turns) if turns else None
        foreseen = [rung for rung in run.round_predicted if rung is not None]
        run.predicted = min(foreseen) if foreseen else None
    run.end = state
    run.scale = state.scale
    run.start = t0.numerator * (state.scale // t0.denominator)
    if certificate is not None:
        run.certified = run.selected == cast(_Run, reference).selected
        run.differs = not run.certified
    return run


def _differs(reference: _Run, position: int, winner: int) -> bool:
    """Whether a run buys another project in the round at `position` than `reference`."""
    return position >= len(reference.selected) or reference.selected[position] != winner


def _cheapest(model: _Model, state: _State, horizon: _Horizon | None) -> _Round | None:
    """The project its supporters can pay for at the lowest price (ties: the earlier one), or
    None when no project is in reach any more.

    Projects are looked at in the order of their last prices, which are lower bounds (money only
    shrinks): once a bound is clearly above the best price so far, so are all after it. A
    project out of reach stays so for the rest of the run and leaves `active`. In a tracked run
    the horizon learns when a project out of reach may come within reach.
    """
    active, bound, bound_float = state.active, state.bound, state.bound_float
    active.sort()
    active.sort(key=bound_float.__getitem__)  # stable: ties keep the earlier project first
    best: _Round | None = None
    still: list[int] = []
    compared: list[int] = []
    for position, rank in enumerate(active):
        if best is not None:
            floor = bound[rank]
            best_price = best.priced.price
            if floor.guess > best_price.guess * (1 + _DOUBT):
                # This bound and all after it are clearly above the best price.
                still.extend(active[position:])
                compared.extend(active[position:])
                break
            if _below(best_price, floor):
                still.append(rank)
                compared.append(rank)
                continue
        money = _in_reach(model, state, rank, horizon)
        if money is None:
            continue
        supporters, mine = state.supporters(rank, money)
        priced = _price(model, state, rank, supporters, mine)
        still.append(rank)
        compared.append(rank)
        bound[rank] = price = priced.price
        bound_float[rank] = price.guess
        if best is None or _beats(price, rank, best.priced.price, best.rank):
            best = _Round(rank, supporters, priced, still, compared)
    return best


def _in_reach(model: _Model, state: _State, rank: int, horizon: _Horizon | None) -> _Floats | None:
    """Whether a project's supporters have its cost together (floats, exact when close): the
    float of each one's money if they do, else None. Those who spent everything are still in
    its lists here, with nothing: they add nothing."""
    supporters = state.supporters_of[rank]
    weights = supporters.weights
    if state.vector:
        # A sum of non-negative floats in any order: within n roundings of the exact sum.
        mine = state.guess[supporters.index]
        have = float(mine.sum() if weights is None else mine @ supporters.weights_float)
    else:
        mine = list(map(state.guess.__getitem__, supporters.types))
        have = sum(mine) if weights is None else sum(map(mul, mine, weights))
    cost = model.cost_float[rank]
    if have > cost * (1 + _DOUBT) or (
        have >= cost * (1 - _DOUBT)
        and state.exact(supporters.types, weights) >= state.cost_now[rank]
    ):
        return mine
    if horizon is not None:
        _keep_out_of_reach(horizon, state, rank, supporters, have, cost, model.voters)
    return None


def _buy(model: _Model, state: _State, chosen: _Round, horizon: _Horizon | None) -> int:
    """Charge the winner's supporters and take it out of play (in a tracked run the horizon
    learns when a rival's price may cross the winner's); returns how many voters paid
    everything they had."""
    rank, price = chosen.rank, chosen.priced.price
    state.active = still = chosen.still
    still.remove(rank)
    if horizon is not None:
        _keep_dearer(horizon, state.bound, chosen.compared, rank, price)
    # The new common denominator is the smallest multiple that keeps every payment whole (the
    # gcd of all supporters' satisfactions divides every payer's).
    rich = chosen.priced.rich
    reduce = math.gcd(rich, math.gcd(price.numerator, price.slope) * model.value_gcd[rank])
    factor = rich // reduce
    if factor != 1:
        state.rescale(factor)
    if horizon is None:
        _pay(state, chosen.supporters, chosen.priced.poor, price, reduce)
    elif state.approval is not None:
        state.own_floats()
        poor = chosen.priced.poor
        return _pay_alike(state, rank, chosen.supporters, poor, price, reduce, horizon)
    else:
        state.own_floats()
        _pay_tracked(state, chosen.supporters, chosen.priced.poor, price, reduce, horizon)
        cast(_Journal, state.journal).record(chosen.supporters.types, len(state.lift) - 1)
    left_with = list(map(state.money.__getitem__, chosen.supporters.types))
    if chosen.supporters.weights is None:
        return left_with.count(0)
    return sum(compress(chosen.supporters.weights, map(not_, left_with)))


class _Certificate:
    """The proof, round by round, that a run at `t0` (the run at hand, `t_b`) and a `reference`
    run at a smaller `t_a` take the same decisions at every t in between; then "add one" skips
    every increment there (`_Leaps`).

    While the same projects are bought before a round, every voter's money at that round only
    grows with t (a purchase leaves `max(0, money - price * value)`, which grows as the money
    grows and the price falls), so every price only falls, and a project out of reach at `t_b`
    is out of reach before. So the winner w of a round wins at every t in between when its price
    stays below each rival x's; two bounds show it:

    - the coarse one: w's price at `t_a` (its highest) below x's at `t_b` (its lowest);
    - for the close rivals, how fast prices can fall (`_fall_rate`): then w's price at t is at
      most `min(p_w(t_a), p_w(t_b) + rate_w * (t_b - t))`, x's at least
      `max(p_x(t_b), p_x(t_a) - rate_x * (t - t_a))`, and the first must stay below the second
      (`_stays_below`).

    A voter's money grows at most at the rate `growth` (per voter type): at the start (or at
    the first round this run did not take over, whose money is exactly linear in t) its slope;
    after a purchase 0 if the voter paid everything at `t_b` (then at every smaller t too),
    else its rate plus the price's fall rate times the satisfaction. All of it in floats, every
    bound widened by far more than its rounding: a doubt is a failed proof, never a wrong one.
    """

    def __init__(self, model: _Model, reference: _Run, t0: Fraction, state: _State) -> None:
        self.model = model
        self.reference = reference
        self.span = float(t0 - reference.t0)
        self.vector = state.vector
        self.growth: _Floats
        if state.vector:
            self.growth = state.growth * (1 + _DOUBT)
        else:
            self.growth = list(map(mul, state.growth, repeat(1 + _DOUBT)))
        self.winner_rate = 0.0

    def holds(self, position: int, chosen: _Round, state: _State) -> bool:
        """Whether the winner of the round at `position` (`chosen`, at `t_b`) wins all along."""
        reference, winner = self.reference, chosen.rank
        if position >= len(reference.selected) or reference.selected[position] != winner:
            return False
        theirs = reference.price_of.get(winner)
        if theirs is None:
            return False
        then = _MoneyThen.of(reference, position, len(self.model.free))
        if then is None:
            return False
        winner_then = _price_then(self.model, then, winner, self.growth)
        if winner_then is None:
            return False
        self.winner_rate = winner_then[1]
        high = theirs.guess * (1 + _DOUBT)  # the winner's price at t_a, its highest
        low = chosen.priced.price.guess * (1 + _DOUBT)  # at t_b
        for rank in chosen.still:
            if rank == winner or _beats(theirs, winner, state.bound[rank], rank):
                continue
            # The bound may be from an earlier round: the price now may be higher.
            exact = _price_now(self.model, state, rank)
            if exact is None or _beats(theirs, winner, exact, rank):
                continue
            rival_then = _price_then(self.model, then, rank, self.growth)
            if rival_then is None:
                return False
            rival = (rival_then[0] * (1 - 1e-7), rival_then[1], exact.guess * (1 - _DOUBT))
            if not _stays_below((high, self.winner_rate, low), rival, self.span):
                return False
        return True

    def bought(self, chosen: _Round) -> None:
        """The supporters' money after the winner is paid: how fast it may grow from here."""
        growth, rate = self.growth, self.winner_rate
        supporters = chosen.supporters
        if self.vector:
            growth[supporters.index] += rate * supporters.values_float
            growth[supporters.index[chosen.priced.poor]] = 0.0
            return
        for voter_type, value in zip(supporters.types, supporters.values, strict=True):
            growth[voter_type] += rate * value
        for i in chosen.priced.poor:
            growth[supporters.types[i]] = 0.0


class _MoneyThen(NamedTuple):
    """Each voter type's money at the start of a round of a `reference` run, at its own t, as
    floats (from its checkpoint, moved along its lines)."""

    point: _Checkpoint
    by: int

    @staticmethod
    def of(reference: _Run, position: int, free: int) -> _MoneyThen | None:
        """At the round with `position` projects bought before (`free` of them free)."""
        if not 0 <= position - free < len(reference.checkpoints):
            return None
        point = reference.checkpoints[position - free]
        moved = reference.t0 - point.t0
        if moved.denominator != 1 or point.selected != position:
            return None
        return _MoneyThen(point, moved.numerator)

    def floats(self, supporters: _Supporters) -> _Floats:
        """The floats of these supporters' money (an array on a large model)."""
        guess, growth, by = self.point.guess, self.point.growth, float(self.by)
        if not isinstance(guess, list):
            return guess[supporters.index] + growth[supporters.index] * by
        types = supporters.types
        rises = map(mul, map(growth.__getitem__, types), repeat(by))
        return list(map(add, map(guess.__getitem__, types), rises))


def _price_then(
    model: _Model, then: _MoneyThen, rank: int, growth: _Floats
) -> tuple[float, float] | None:
    """A project's price in the reference run (floats, as pabutools walks it) and how fast it
    may fall from there (`_fall_rate`); None when out of reach or too close to call."""
    if not isinstance(growth, list):
        return _price_then_vector(model, then, rank, growth)
    supporters = model.supporters_of[rank]
    types, values, weights = supporters.types, supporters.values, supporters.weights
    money = then.floats(supporters)
    cost = model.cost_float[rank]
    count = len(types)
    weight = [1] * count if weights is None else weights
    if sum(map(mul, money, weight)) < cost * (1 + 1e-6):
        return None  # out of reach, or too close to it to call
    paid, rich = 0.0, supporters.total
    price = None
    ratios = money if supporters.single is not None else list(map(truediv, money, values))
    poorest = min(range(count), key=ratios.__getitem__)
    if cost / rich * values[poorest] <= money[poorest]:
        # Nobody short (the common case): everyone pays in proportion.
        order: Iterable[int] = (poorest,)
    else:
        order = sorted(range(count), key=ratios.__getitem__)
    for i in order:
        part = (cost - paid) / rich
        if part * values[i] <= money[i]:
            price = part
            break
        paid += money[i] * weight[i]
        rich -= values[i] * weight[i]
        if rich <= 0:
            return None
    # `cost - paid` loses precision when the poor pay nearly all: then no proof (the walk's
    # sums are within n * 1.2e-16 of exact, so a gap of 1% keeps the price within 1e-9).
    if price is None or cost - paid < cost * 1e-2:
        return None
    return price, _fall_rate(types, values, weight, money, price, growth)


def _price_then_vector(
    model: _Model, then: _MoneyThen, rank: int, growth: _Floats
) -> tuple[float, float] | None:
    """`_price_then` on a large model, the floats in numpy arrays."""
    np = _numpy()
    supporters = model.supporters_of[rank]
    values, weights = supporters.values, supporters.weights
    money = then.floats(supporters)
    cost = model.cost_float[rank]
    have = float(money.sum() if weights is None else money @ supporters.weights_float)
    if have < cost * (1 + 1e-6):
        return None  # out of reach, or too close to it to call
    paid, rich = 0.0, supporters.total
    price = None
    ratios = money if supporters.single is not None else money / supporters.values_float
    poorest = int(ratios.argmin())
    if cost / rich * values[poorest] <= float(money[poorest]):
        # Nobody short (the common case): everyone pays in proportion.
        price = cost / rich
    else:
        money_list = money.tolist()
        weight = [1] * len(values) if weights is None else weights
        for i in np.argsort(ratios, kind="stable").tolist():
            part = (cost - paid) / rich
            if part * values[i] <= money_list[i]:
                price = part
                break
            paid += money_list[i] * weight[i]
            rich -= values[i] * weight[i]
            if rich <= 0:
                return None
    if price is None or cost - paid < cost * 1e-2:
        return None
    # How fast the price may fall (`_fall_rate`), in bulk.
    values_float = supporters.values_float
    can_pay = money >= price * values_float * (1 + 1e-7)
    rises = growth[supporters.index]
    if supporters.weights_float is not None:
        values_float = values_float * supporters.weights_float
        rises = rises * supporters.weights_float
    satisfied = float(values_float[can_pay].sum())
    if satisfied == 0:
        return price, math.inf
    # Sums of non-negative floats, within n roundings of exact: far inside the 1e-6.
    return price, float(rises[~can_pay].sum()) / satisfied * (1 + 1e-6)


def _fall_rate(
    types: list[int],
    values: list[int],
    weights: list[int],
    money: list[float],
    price: float,
    growth: list[float],
) -> float:
    """How fast a price (at `t_a`) may fall as t grows: while its supporters pay
    `min(money, price * value)`, the price falls as fast as the poor's money grows over the
    satisfaction of the others. Those who can pay their part at `t_a` can at every larger t
    (more money, a lower price), so the poor at any t are among those at `t_a`."""
    parts = map(mul, map(mul, repeat(price), values), repeat(1 + 1e-7))
    can_pay = list(map(ge, money, parts))
    rich: int = sum(compress(map(mul, values, weights), can_pay))
    if rich == 0:
        return math.inf
    rises = map(mul, map(growth.__getitem__, types), weights)
    growing: float = sum(compress(rises, map(not_, can_pay)), start=0.0)
    return growing / rich * (1 + 1e-6)


def _stays_below(
    winner: tuple[float, float, float], rival: tuple[float, float, float], span: float
) -> bool:
    """Whether the winner's highest possible price stays below the rival's lowest at every t
    in the span: each is given as (price at t_a, fall rate, price at t_b), already widened.
    The gap is convex in t (a convex lower bound minus a concave upper one): its least value
    is at an end or a corner."""
    high, winner_rate, winner_low = winner
    rival_high, rival_rate, rival_low = rival
    if winner_rate * span > 1e3 * high or rival_rate * span > 1e3 * rival_high:
        return False
    corners = [0.0, span]
    if rival_rate > 0:
        corners.append((rival_high - rival_low) / rival_rate)
    if winner_rate > 0:
        corners.append(span - (high - winner_low) / winner_rate)
    for s in corners:
        if 0 <= s <= span:
            upper = min(high, winner_low + winner_rate * (span - s))
            lower = max(rival_low, rival_high - rival_rate * s)
            if not upper * (1 + _DOUBT) < lower:
                return False
    return True


def _beats(price: _Price, rank: int, other: _Price, other_rank: int) -> bool:
    """Whether a project at `price` wins against one at `other` (ties: the smaller rank)."""
    if _below(price, other):
        return True
    return not _below(other, price) and rank < other_rank


def _price_now(model: _Model, state: _State, rank: int) -> _Price | None:
    """A project's exact price with the money as it is now (None: out of reach)."""
    supporters, mine = state.supporters(rank)
    if state.exact(supporters.types, supporters.weights) < state.cost_now[rank]:
        return None
    return _price(model, state, rank, supporters, mine).price


def _resume(run: _Run, earlier: _Run) -> _State | None:
    """The state at the first round of `earlier` whose decisions may differ at `run.t0`, moved
    there; the rounds before it are copied into `run`. None when there is nothing to take over."""
    t0 = run.t0
    shift = t0 - earlier.t0
    if shift.denominator != 1 or shift <= 0 or not earlier.checkpoints:
        # Money moved by a fraction of a unit would no longer be whole over its denominator.
        return None
    valid = 0
    for until in earlier.round_until:
        if until is not None and until <= run.k:
            break
        valid += 1
    if valid == 0:
        return None
    valid = min(valid, len(earlier.checkpoints) - 1)
    point = earlier.checkpoints[valid]
    # The checkpoint may be older than `earlier` (taken over from a run before it).
    moved = t0 - point.t0
    if moved.denominator != 1:
        return None
    selected = earlier.selected[: point.selected]
    run.selected = selected
    by = shift.numerator
    run.price_of = {
        rank: _shifted(earlier.price_of[rank], by) for rank in selected[len(selected) - valid :]
    }
    run.paid_everything = {rank: earlier.paid_everything[rank] for rank in run.price_of}
    run.round_until = earlier.round_until[:valid]
    run.round_predicted = earlier.round_predicted[:valid]
    run.checkpoints = earlier.checkpoints[:valid]
    by = moved.numerator
    # The floats move along the same lines: each is a sum of two non-negative terms within a
    # few roundings of exact, so they stay within a few roundings more (far below `_DOUBT`).
    if isinstance(point.guess, list):
        guess = list(map(add, point.guess, map(mul, point.growth, repeat(float(by)))))
    else:
        guess = point.guess + point.growth * float(by)  # the same sums, in bulk
    error = point.error
    if point.approval is not None:
        # Each float's bound grows by the growth's and two roundings (`_pay_alike`).
        error = error + (point.approval.growth_error + 2 * _ROUNDING)
    state = _State.of(
        point._replace(
            t0=t0, guess=guess, bound=[_shifted(price, by) for price in point.bound], error=error
        ),
        by,
    )
    if point.approval is not None:
        state.make_again(_numpy().flatnonzero((state.error > _REFRESH) & (state.guess != 0.0)))
    return state


def _shifted(price: _Price, by: int) -> _Price:
    """A price `by` units of t further along its line."""
    if not price.slope:
        return price
    numerator = price.numerator + price.slope * by
    return _Price(numerator / price.denominator, numerator, price.denominator, price.slope)


def _keep_dearer(
    horizon: _Horizon, bound: list[_Price], others: list[int], winner: int, chosen: _Price
) -> None:
    """The rivals' prices (`bound`), at least the winner's now: when may one of them fall below
    it? Both move linearly with t (over their own denominators); only a rival whose price falls
    faster than the winner's can."""
    numerator, denominator, slope = chosen.numerator, chosen.denominator, chosen.slope
    for other in others:
        if other == winner:
            continue
        price = bound[other]
        change = price.slope * denominator - slope * price.denominator
        if change < 0:
            now = price.numerator * denominator - numerator * price.denominator
            horizon.keep_non_negative(now, change)
            horizon.crossing = min(horizon.crossing, now / -change)


def _keep_out_of_reach(
    horizon: _Horizon,
    state: _State,
    rank: int,
    supporters: _Supporters,
    have: float,
    cost: float,
    voters: int,
) -> None:
    """The supporters' money (`have`), short of the cost now, grows with t: when may it reach
    the cost?

    All voters' money together grows by `voters` per unit of t (a purchase moves money between
    them, never changes its total's growth), so the supporters' by at most that: a project
    short of more than `voters` times the nearest turning point so far cannot be the nearest,
    and its supporters' growth need not be added up."""
    # Guesses are within a few roundings of the exact values (all terms are positive): with
    # 1e-9 of room on each side the float reach is a safe lower bound, unless money and cost
    # are so close that the room swallows the gap; then it is worked out exactly.
    short = cost * (1 - _DOUBT) - have * (1 + _DOUBT)
    if short / voters * (1 - _DOUBT) > max(horizon.nearest, horizon.reach) * (1 + _DOUBT):
        return
    types, weights = supporters.types, supporters.weights
    if state.vector:
        vector_rises = state.growth[supporters.index]
        rise = float(
            vector_rises.sum() if weights is None else vector_rises @ supporters.weights_float
        )
    else:
        rises = list(map(state.growth.__getitem__, types))
        rise = sum(rises) if weights is None else sum(map(mul, rises, weights))
    if rise <= 0:
        return
    if short > 0:
        horizon.reach = min(horizon.reach, short / rise)
        horizon.keep_at_least(short / (rise * (1 + _DOUBT)) * (1 - _DOUBT))
        return
    horizon.reach = 0.0
    have_now, rise_now = state.exact_paid(types, weights)
    horizon.keep_non_negative(state.cost_now[rank] - have_now, -rise_now)


def _payments(supporters: _Supporters, numerator: int, reduce: int) -> Iterable[int]:
    """Each supporter's `price * value` over the new denominator (price numerator / reduce)."""
    if supporters.single is not None:
        return repeat(numerator * supporters.single // reduce)
    if reduce == 1:
        return map(mul, supporters.values, repeat(numerator))
    return map(floordiv, map(mul, supporters.values, repeat(numerator)), repeat(reduce))


def _pay(
    state: _State, supporters: _Supporters, poor: list[int], price: _Price, reduce: int
) -> None:
    """Charge a project's supporters (over the current denominator): `poor` (positions in the
    lists) pay all they have, the others price times value."""
    money, epoch, lift, guess, scale = (
        state.money,
        state.epoch,
        state.lift,
        state.guess,
        state.scale,
    )
    now = len(lift) - 1
    types = supporters.types
    # Floats as exact money times 1 / scale: within two roundings of the exact value.
    inverse = 1 / scale if scale.bit_length() < 900 else 0.0
    for voter_type, payment in zip(
        types, _payments(supporters, price.numerator, reduce), strict=False
    ):
        left = money[voter_type] * lift[epoch[voter_type]] - payment
        money[voter_type] = left
        epoch[voter_type] = now
        if left > 0:
            guess[voter_type] = left * inverse if inverse else left / scale
        else:
            guess[voter_type] = 0.0
    # The poor pay all they have (above, their money went to zero or below: set it right).
    for i in poor:
        money[types[i]] = 0


def _pay_tracked(
    state: _State,
    supporters: _Supporters,
    poor: list[int],
    price: _Price,
    reduce: int,
    horizon: _Horizon,
) -> None:
    """`_pay` with slopes: the payments move with t as the price does, and those who pay
    everything keep doing so while their part `price * value` is at least what they have; the
    horizon learns when that may end."""
    money, slope, epoch, lift, behind, guess, growth, scale = (
        state.money,
        state.slope,
        state.epoch,
        state.lift,
        state.behind,
        state.guess,
        state.growth,
        state.scale,
    )
    types = supporters.types
    # The floats are read and written at `slots`: by voter type in the state's lists, or by
    # position in lists of the supporters' own that go back into the arrays at the end.
    slots: Iterable[int] = types
    if state.vector:
        guess = guess[supporters.index].tolist()
        growth = growth[supporters.index].tolist()
        slots = range(len(types))
    now = len(lift) - 1
    numerator, price_slope = price.numerator, price.slope
    inverse = 1 / scale if scale.bit_length() < 900 else 0.0
    poor_ones = [False] * len(types)
    for i in poor:
        poor_ones[i] = True
    # The price and its change per unit of t as floats (money per unit of satisfaction), to
    # skip the exact work for those who clearly keep paying everything for longer than the
    # nearest turning point found so far.
    price_float = price.guess
    price_rise = price_slope / (reduce * scale)
    for voter_type, value, payment, rise_payment, slot, is_poor in zip(
        types,
        supporters.values,
        _payments(supporters, numerator, reduce),
        _payments(supporters, price_slope, reduce),
        slots,
        poor_ones,
        strict=False,
    ):
        then = epoch[voter_type]
        epoch[voter_type] = now
        if not is_poor:
            to_now = lift[then]
            rising = slope[voter_type]
            have = (money[voter_type] + rising * behind[then]) * to_now
            if have > payment:
                left = have - payment
                rise = rising * to_now - rise_payment
                money[voter_type] = left
                slope[voter_type] = rise
                guess[slot] = left * inverse if inverse else left / scale
                growth[slot] = rise * inverse if inverse else rise / scale
                continue
        # Pays all there is, as long as price * value - money >= 0.
        gap = price_float * value - guess[slot]
        drift = price_rise * value - growth[slot]
        room = 1e-12 * (price_float * value + guess[slot])
        slack = 1e-12 * (abs(price_rise) * value + abs(growth[slot]))
        # It can only fall as fast as `fall`, from at least `gap - room`: exact work (and the
        # exact money) only if it might turn no later than the nearest turning point so far.
        fall = slack - drift
        if fall > 0 and gap - room <= fall * horizon.nearest * (1 + _DOUBT):
            to_now = lift[then]
            have = (money[voter_type] + slope[voter_type] * behind[then]) * to_now
            horizon.keep_non_negative(
                numerator * value - reduce * have,
                price_slope * value - reduce * slope[voter_type] * to_now,
            )
        money[voter_type] = slope[voter_type] = 0
        guess[slot] = growth[slot] = 0.0
    if state.vector:
        state.guess[supporters.index] = guess
        state.growth[supporters.index] = growth


def _pay_alike(
    state: _State,
    rank: int,
    supporters: _Supporters,
    poor: list[int],
    price: _Price,
    reduce: int,
    horizon: _Horizon,
) -> int:
    """`_pay_tracked` on an approval model (`_Approval`), in bulk on the floats: every supporter
    who keeps money pays the same part, which is kept once (`_State.paid_for`) instead of the
    exact money of each; returns how many voters paid everything they had.

    The floats of money are then no longer correctly rounded: each carries a bound on how far
    (relative) it may be off (`_State.error`). Taking a part grows it by the roundings of the
    part and of the difference, and by the error the float had, magnified by how much of the
    money the part took; a float whose bound would pass `_REFRESH` is made again from the exact
    money (`_State.owned`). So the floats stay within `_REFRESH` of exact, far inside `_DOUBT`,
    and the screening that relies on them (with the exact checks wherever they are close) holds
    as on correctly rounded floats; the bends (as in `_pay_tracked`) are screened with those
    bounds. The floats of growth need no bounds of their own (`_Approval.growth_error`).
    """
    np = _numpy()
    scale = state.scale
    single = cast(int, supporters.single)
    payment = price.numerator * single // reduce
    rise_payment = price.slope * single // reduce
    index = supporters.index
    guess, growth, error = state.guess[index], state.growth[index], state.error[index]
    part = payment / scale
    pays_all = np.zeros(len(index), dtype=bool)
    pays_all[poor] = True
    # The others keep money (exactly checked where the floats are close to the part).
    for i in np.flatnonzero(~pays_all & (guess <= part * (1 + _DOUBT))).tolist():
        if state.owned(int(index[i]))[0] <= payment:
            pays_all[i] = True
    keeps = np.flatnonzero(~pays_all)
    before = guess[keeps]
    after = before - part
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = ((error[keeps] * before + _ROUNDING * part) / after + _ROUNDING) * 1.01
    guess[keeps] = after
    error[keeps] = bound
    growth[keeps] -= rise_payment / scale  # the part falls as t grows: growth only grows
    again = keeps if rise_payment > 0 else keeps[(after <= 0) | ~(bound <= _REFRESH)]
    for i in again.tolist():
        money, slope = state.owned(int(index[i]))
        guess[i] = (money - payment) / scale
        growth[i] = (slope - rise_payment) / scale
        error[i] = _ROUNDING
    # Those who pay everything keep doing so as long as price * value - money >= 0: when may
    # that end? Exactly only if it might be no later than the nearest turning point so far.
    spent = np.flatnonzero(pays_all)
    price_float, price_rise = price.guess, price.slope / (reduce * scale)
    # The gap shrinks at most at `fall` from at least `gap - room` (the floats' bounds).
    gap = price_float * single - guess[spent]
    room = (error[spent] + 4 * _ROUNDING) * (price_float * single + guess[spent])
    slack = cast(_Approval, state.approval).growth_error + 3 * _ROUNDING
    fall = slack * (abs(price_rise) * single + np.abs(growth[spent])) - (
        price_rise * single - growth[spent]
    )
    near = (fall > 0) & (gap - room <= fall * horizon.nearest * (1 + _DOUBT))
    for i, short, falling in zip(
        spent[near].tolist(), (gap - room)[near].tolist(), fall[near].tolist(), strict=True
    ):
        if short <= falling * horizon.nearest * (1 + _DOUBT):  # the nearest may have come closer
            money, slope = state.owned(int(index[i]))
            horizon.keep_non_negative(
                price.numerator * single - reduce * money, price.slope * single - reduce * slope
            )
    guess[spent] = growth[spent] = 0.0
    state.guess[index], state.growth[index], state.error[index] = guess, growth, error
    state.paid_for[rank] = _Paid(payment, rise_payment, len(state.lift) - 1)
    weights = supporters.weights_float
    return int(pays_all.sum()) if weights is None else int(weights[pays_all].sum())


def _below(a: _Price, b: _Price) -> bool:
    """Whether price a is strictly below price b (floats first, exact when close)."""
    if a.guess < b.guess * (1 - _DOUBT):
        return True
    if a.guess > b.guess * (1 + _DOUBT):
        return False
    return a.numerator * b.denominator < b.numerator * a.denominator


def _money(money: list[int], supporters: Iterable[int], weights: Iterable[int] | None) -> int:
    """What the supporters have together (exact, over the current denominator)."""
    mine = map(money.__getitem__, supporters)
    return sum(mine) if weights is None else sum(map(mul, mine, weights))


def _price(
    model: _Model,
    state: _State,
    rank: int,
    supporters: _Supporters,
    mine: _Floats,
) -> _Priced:
    """The price of a project in reach: the smallest `rho` at which the supporters, each paying
    `min(money, rho * satisfaction)`, pay its cost.

    Returns the price, the supporters (positions in the lists) who pay all they have, and the
    satisfaction times voters of the others. All supporters have money left (`mine`: the float
    of each one's). In a tracked run the price's slope is that of the cost minus what the poor
    pay. Floats find the poor, whole numbers confirm; when the floats are in doubt,
    `_price_exactly` walks the supporters as pabutools does.
    """
    scale = state.scale
    cost, cost_float = state.cost_now[rank], model.cost_float[rank]
    single, total = supporters.single, supporters.total
    # Nobody short at the lowest possible price (everyone paying in proportion)? The common case.
    lowest = cost / (total * scale)
    ratios: list[float] | None
    if state.vector:
        if single is not None:
            ratios = None
            poorest = float(mine.min()) / single
        else:
            vector_ratios = mine / supporters.values_float
            poorest = float(vector_ratios.min())
            ratios = vector_ratios.tolist()
    elif single is not None:
        ratios = None
        poorest = min(mine) / single
    else:
        ratios = list(map(truediv, mine, supporters.values))
        poorest = min(ratios)
    if poorest > lowest * (1 + _DOUBT):
        return _Priced(_Price(lowest, cost, total * scale, 0), [], total)
    found: _Priced | None = None
    if single is not None:
        if state.vector:
            found = _price_alike_vector(state, mine, supporters, cost, cost_float)
        else:
            found = _price_alike(state, mine, supporters, cost, cost_float)
    if found is None:
        if state.vector:
            mine = mine.tolist()
        if ratios is None:
            ratios = list(map(truediv, mine, repeat(single)))
        found = _price_walk(state, mine, ratios, supporters, cost, cost_float)
    return found


def _price_walk(
    state: _State,
    mine: list[float],
    ratios: list[float],
    supporters: _Supporters,
    cost: int,
    cost_float: float,
) -> _Priced:
    """`_price` in general: walk up from the poorest (by money per unit of satisfaction); each
    pays all they have while that is less than their part."""
    values, weights, total = supporters.values, supporters.weights, supporters.total
    # Whether the k-th poorest can pay, `ratio_k * rich_k >= cost - paid_k` (what the k poorer
    # ones pay, the satisfaction of the others), turns true once and stays true as k grows: found
    # by bisection over sums made in bulk.
    order = sorted(range(len(values)), key=ratios.__getitem__)
    if weights is None:
        paid = list(accumulate(map(mine.__getitem__, order), initial=0.0))
        used = list(accumulate(map(values.__getitem__, order), initial=0))
    else:
        ordered_weights = list(map(weights.__getitem__, order))
        paid = list(
            accumulate(map(mul, map(mine.__getitem__, order), ordered_weights), initial=0.0)
        )
        used = list(
            accumulate(map(mul, map(values.__getitem__, order), ordered_weights), initial=0)
        )
    low, high = 0, len(order)
    while low < high:
        middle = (low + high) // 2
        if ratios[order[middle]] * (total - used[middle]) >= cost_float - paid[middle]:
            high = middle
        else:
            low = middle + 1
    found = _confirm(state, supporters, cost, ratios, order, low)
    if found is None:
        found = _price_exactly(state, supporters, cost)
    return found


def _price_alike(
    state: _State,
    mine: list[float],
    supporters: _Supporters,
    cost: int,
    cost_float: float,
) -> _Priced | None:
    """`_price` when every supporter values the project alike: the poorer pay all they have,
    found on the sorted amounts of money; None when in doubt."""
    types, weights = supporters.types, supporters.weights
    count = len(mine)
    before: Sequence[int]  # voters poorer than the k-th poorest
    if weights is None:
        ordered = sorted(mine)
        paid = list(accumulate(ordered, initial=0.0))
        before = range(count + 1)
    else:
        order = sorted(range(count), key=mine.__getitem__)
        ordered = list(map(mine.__getitem__, order))
        ordered_weights = list(map(weights.__getitem__, order))
        paid = list(accumulate(map(mul, ordered, ordered_weights), initial=0.0))
        before = list(accumulate(ordered_weights, initial=0))
    low = _first_who_pays(ordered, before, paid, cost_float)
    if low is None:
        return None
    threshold = ordered[low]
    # The poor: the `low` poorest, all with less money than the first who can pay.
    if weights is None:
        poor = list(compress(range(count), map(lt, mine, repeat(threshold))))
        poor_weights = None
    else:
        poor = order[:low]
        poor_weights = ordered_weights[:low]
    return _priced_alike(
        state,
        supporters,
        cost,
        _Poor(poor, list(map(types.__getitem__, poor)), poor_weights, before[low], threshold),
        ordered,
        mine,
        lambda lowest, highest: (i for i, have in enumerate(mine) if lowest <= have <= highest),
    )


def _price_alike_vector(
    state: _State,
    mine: _Floats,
    supporters: _Supporters,
    cost: int,
    cost_float: float,
) -> _Priced | None:
    """`_price_alike` on a large model, the floats in numpy arrays (the same sums in the same
    order, the same bisection, the same exact checks)."""
    np = _numpy()
    weights = supporters.weights
    count = len(mine)
    if weights is None:
        ordered = np.sort(mine)
        before = np.arange(count + 1)
    else:
        # Not a stable sort (several times faster on thousands of voters): voters with the same
        # money may come in another order, which can move the floats' running sums by a
        # rounding, but the floats only screen: the poor are those with less money than the
        # first who pays (a tie there is a doubt), and `_priced_alike` confirms them exactly.
        order = mine.argsort()
        ordered = mine[order]
        ordered_weights = supporters.weights_float[order]
        before = np.concatenate(([0], np.cumsum(ordered_weights.astype(np.int64))))
    # np.cumsum adds from left to right, as `accumulate` does. The bisection reads a few
    # entries of the arrays (numpy's floats are the same doubles), so they stay arrays.
    paid = np.concatenate(
        ([0.0], np.cumsum(ordered if weights is None else ordered * ordered_weights))
    )
    low = _first_who_pays(ordered, before, paid, cost_float)
    if low is None:
        return None
    threshold = float(ordered[low])
    if weights is None:
        poor_positions = np.flatnonzero(mine < threshold)
        poor = poor_positions.tolist()
        poor_types = supporters.index[poor_positions]
        poor_weights = None
    else:
        poor = order[:low].tolist()
        poor_types = supporters.index[order[:low]]
        poor_weights = ordered_weights[:low]
    if state.approval is None:
        # Summed voter by voter (`exact_paid`): lists of whole numbers.
        poor_types = poor_types.tolist()
        if weights is not None:
            poor_weights = list(map(weights.__getitem__, poor))
    return _priced_alike(
        state,
        supporters,
        cost,
        _Poor(poor, poor_types, poor_weights, int(before[low]), threshold),
        ordered,
        mine,
        lambda lowest, highest: np.flatnonzero((mine >= lowest) & (mine <= highest)).tolist(),
    )


def _first_who_pays(
    ordered: Sequence[float], before: Sequence[int], paid: Sequence[float], cost_float: float
) -> int | None:
    """The rank (by money) of the poorest supporter who can pay their part, by bisection: the
    k-th poorest can once `money_k * (voters from it on) >= cost - paid_k`. None when nobody can,
    or when that supporter has the same money as one who cannot (a doubt)."""
    count = len(ordered)
    voters = before[-1]
    low, high = 0, count
    while low < high:
        middle = (low + high) // 2
        if ordered[middle] * (voters - before[middle]) >= cost_float - paid[middle]:
            high = middle
        else:
            low = middle + 1
    if low == count or (low and ordered[low - 1] == ordered[low]):
        return None
    return low


class _Poor(NamedTuple):
    """The supporters who pay all they have for a project alike-valued by all."""

    positions: list[int]  # among the project's supporters
    types: Any  # as `_State.alive_paid` takes them
    weights: Any
    voters: int  # how many voters they are
    threshold: float  # the money of the poorest who can pay their part


def _priced_alike(
    state: _State,
    supporters: _Supporters,
    cost: int,
    poor: _Poor,
    ordered: Sequence[float],
    mine: Any,
    near: Callable[[float, float], Iterable[int]],
) -> _Priced | None:
    """The price once the poor are known: they pay all they have, the others the same part each.
    Everyone whose money is close to that part (`near`: their positions) is checked exactly:
    the poor must not be able to pay it, the others must. None when in doubt."""
    single = cast(int, supporters.single)
    scale = state.scale
    rich = supporters.total - single * poor.voters
    paid, paid_slope = state.alive_paid(poor.types, poor.weights)
    numerator = cost - paid
    if rich <= 0 or numerator <= 0:
        return None
    guess = numerator / (rich * scale)
    part = guess * single
    near_low = bisect_left(ordered, part * (1 - _DOUBT))
    near_high = bisect_right(ordered, part * (1 + _DOUBT))
    if near_low < near_high:
        for i in near(ordered[near_low], ordered[near_high - 1]):
            exact = state.exact_one(supporters.types[i]) * rich
            if (float(mine[i]) < poor.threshold and exact > numerator * single) or (
                float(mine[i]) >= poor.threshold and exact < numerator * single
            ):
                return None
    return _Priced(_Price(guess, numerator, rich * scale, -paid_slope), poor.positions, rich)


def _confirm(
    state: _State,
    supporters: _Supporters,
    cost: int,
    ratios: list[float],
    order: list[int],
    cut: int,
) -> _Priced | None:
    """The exact price for the split the floats suggest (the `cut` poorest in `order` pay all
    they have), or None if the split is wrong."""
    types, values, weights = supporters.types, supporters.values, supporters.weights
    poor = order[:cut]
    poor_types = list(map(types.__getitem__, poor))
    if weights is None:
        paid, paid_slope = state.exact_paid(poor_types, None)
        rich = supporters.total - sum(map(values.__getitem__, poor))
    else:
        poor_weights = list(map(weights.__getitem__, poor))
        paid, paid_slope = state.exact_paid(poor_types, poor_weights)
        rich = supporters.total - sum(map(mul, map(values.__getitem__, poor), poor_weights))
    if rich <= 0:
        return None
    numerator = cost - paid
    if numerator <= 0:
        return None
    scale = state.scale
    guess = numerator / (rich * scale)
    # Confirm exactly where the floats are close: the poor cannot pay their part, the rich can.
    for i in order[cut:]:
        if ratios[i] > guess * (1 + _DOUBT):
            break
        if state.exact_one(types[i]) * rich < numerator * values[i]:
            return None
    for i in reversed(poor):
        if ratios[i] < guess * (1 - _DOUBT):
            break
        if state.exact_one(types[i]) * rich > numerator * values[i]:
            return None
    return _Priced(_Price(guess, numerator, rich * scale, -paid_slope), poor, rich)


def _price_exactly(state: _State, supporters: _Supporters, cost: int) -> _Priced:
    """pabutools' own walk in exact arithmetic; only when the floats were in doubt."""
    types, values, weights = supporters.types, supporters.values, supporters.weights
    money = list(map(state.exact_one, types))
    order = sorted(range(len(types)), key=lambda i: Fraction(money[i], values[i]))
    paid = 0
    rich = supporters.total
    scale = state.scale
    for position, i in enumerate(order):
        # price = (cost - paid) / (rich * scale); can this supporter pay price * value?
        if (cost - paid) * values[i] <= money[i] * rich:
            numerator = cost - paid
            poor = order[:position]
            poor_weights = None if weights is None else list(map(weights.__getitem__, poor))
            _, paid_slope = state.exact_paid(list(map(types.__getitem__, poor)), poor_weights)
            price = _Price(numerator / (rich * scale), numerator, rich * scale, -paid_slope)
            return _Priced(price, poor, rich)
        weight = 1 if weights is None else weights[i]
        paid += money[i] * weight
        rich -= values[i] * weight
    raise AssertionError("equal shares: an affordable project without a price")


def equal_shares(election: Election[IdT]) -> Allocation[IdT]:
    """The Method of Equal Shares (pabutools' `method_of_equal_shares`), without completion."""
    model = _Model.of(election.index)
    if model.voters == 0:
        return _empty(election)
    share = Fraction(election.budget) / model.voters
    run = _run(model, share)
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
    share = Fraction(election.budget) / model.voters
    step = Fraction(increment)
    found = _add_one(model, election.budget, share, step)
    final = found.run
    if final.model is not None and final.model is not model:
        # Run on a tier's model (`_Tier`): run again on the whole one to explain every ballot.
        final = _run(model, share + found.k * step)
        if final.selected != found.run.selected:
            raise AssertionError("equal shares: a tier's outcome differs from the election's")
    details = EqualSharesRun(
        voters=model.voters,
        share=share,
        per_voter_budget=share + found.k * step,
        increments=found.k,
        runs=found.runs,
        reference_runs=found.reference_runs,
    )
    return _allocation(election, model, final, "equal_shares_add1", details)


class _Completed(NamedTuple):
    """Where "add one" ends: the increment kept (`k`) and its run; the runs made, and the runs
    pabutools' loop makes (one per increment up to the one that ends it)."""

    k: int
    run: _Run
    runs: int
    reference_runs: int


def _add_one(model: _Model, budget: Number, share: Fraction, step: Fraction) -> _Completed:
    """pabutools' loop over `share + k * step`, k = 0, 1, 2, ..., with a run only where the
    outcome may have changed: each tracked run knows the first increment at which one of its
    decisions may turn (`stable_until`), and `_Leaps` proves longer stretches unchanged."""
    k = 0
    runs = 0
    previous: _Run | None = None  # the last run, at `previous_k`
    previous_k = 0
    leaps = _Leaps()
    tier = _Tier.at(model, share, step, 0)
    while True:
        if tier.last is not None and k > tier.last:
            tier = _Tier.at(model, share, step, k)
        earlier = previous if previous is not None and previous.model is tier.model else None
        run = _run(tier.model, share + k * step, rung=_Rung(k, step), earlier=earlier)
        runs += 1
        if _spent(model, run.selected) > budget:
            kept_k, kept = _before_overspending(model, share, step, k, previous, previous_k)
            return _Completed(kept_k, kept, runs, k + 1)
        if _exhaustive(model, run.selected, budget):
            return _Completed(k, run, runs, k + 1)
        previous_k, previous, tried = leaps.ahead(tier, share, step, k, run)
        runs += tried
        turn = previous.stable_until
        if tier.last is not None and (turn is None or turn > tier.last):
            turn = tier.last + 1  # a tier's runs know nothing of the rungs above it
        if turn is None:
            raise AssertionError("equal shares: a non-exhaustive outcome that never changes")
        k = max(previous_k + 1, turn)


class _Tier(NamedTuple):
    """The model the runs of "add one" use for the rungs `k <= last` (`_Model.within`; None:
    the whole model, for every rung). A new tier starts at the first rung above, with the money
    per voter a quarter larger as its limit, and its runs start afresh (a run takes over rounds
    only from a run of its tier). On a few voter types merging saves less than starting afresh
    costs: then there is one tier, the whole model."""

    model: _Model
    last: int | None

    @staticmethod
    def at(model: _Model, share: Fraction, step: Fraction, k: int) -> _Tier:
        if model.types < _TIERS_FROM:
            return _Tier(model, None)
        last = math.floor(((share + k * step) * _TIER_WIDTH - share) / step)
        return _Tier(model.within(share + last * step), last)


# A tier's limit over the money per voter at its first rung: wider tiers keep more projects
# that are out of reach (and so fewer merged types), narrower ones start afresh more often
# (on the made-up city of benchmarks/city.py 9/8 and 5/4 were alike, 3/2 and 2 slower).
_TIER_WIDTH = Fraction(5, 4)
_TIERS_FROM = 100  # voter types


def _before_overspending(
    model: _Model, share: Fraction, step: Fraction, k: int, previous: _Run | None, previous_k: int
) -> tuple[int, _Run]:
    """The outcome kept when the one at increment `k` overspends: the one at `k - 1`."""
    if previous is None:
        # pabutools keeps the starting allocation (the free projects) in this case: nobody has
        # paid anything.
        return 0, _untouched(model, share)
    if previous_k == k - 1:
        return previous_k, previous
    # The outcome at k - 1 is the previous run's (nothing turned in between), but the payments
    # differ: redo that run to explain it.
    final = _run(model, share + (k - 1) * step)
    if final.selected != previous.selected:
        raise AssertionError("equal shares: skipped increments changed the outcome")
    return k - 1, final


def equal_shares_add1_greedy(election: Election[IdT], *, increment: Number = 1) -> Allocation[IdT]:
    """Equal shares with "add one", then greedy for what is left (Pabulib's `equalshares/add1`)."""
    return complete_with_greedy(
        election,
        equal_shares_add1(election, increment=increment),
        rule="equal_shares_add1_greedy",
    )


class _Leaps:
    """Leaps over increments at which the outcome provably stays (ADD-OPT's idea, made safe
    for MES): a search for the next increment at which the outcome may change.

    A tracked run knows the first increment at which one of its decisions may turn; most such
    turns on a big instance are a voter who paid everything for a project and, with a little
    more money, no longer has to: the prices and payments change course, the outcome does not.
    The run also foresees where a decision itself would turn if the money kept its course
    (`_Horizon.predicted`). So, once the outcome has stayed the same for a run, a run further
    ahead, but not past that point, is tried against the run at hand (`_Certificate`): if every
    decision provably holds all the way, every increment in between has the same outcome and is
    skipped, and the next leap starts from there.

    How far a proof reaches depends on how close the rivals are, which changes slowly from leap
    to leap: so the leaps keep a `span`, doubled after a leap that held and halved after one
    that failed. A rung that a leap failed to reach for want of proof is tried again from
    nearer (then the span to it is shorter); one whose outcome differs is not. The leaps end
    where the run at hand's own horizon reaches as far as the next leap: from there on "add
    one" steps from turn to turn.
    """

    def __init__(self) -> None:
        self.span = 0
        self.outcome: list[int] | None = None

    def ahead(
        self, tier: _Tier, share: Fraction, step: Fraction, k: int, run: _Run
    ) -> tuple[int, _Run, int]:
        """The furthest rung with `run`'s outcome proven (and its run), and the runs tried; no
        leap goes beyond the tier."""
        calm = run.selected == self.outcome
        self.outcome = run.selected
        if not calm:
            return k, run, 0
        tried = 0
        limit: int | None = None  # no leap beyond this rung (one failed to reach it)
        missed: int | None = None  # the rung a leap from `k` failed to reach: aim below it
        while run.stable_until is not None:
            turn = max(k + 1, run.stable_until)
            far = k + max(self.span, 2 * (turn - k))
            if run.predicted is not None:
                far = min(far, run.predicted)
            if limit is not None:
                far = min(far, limit)
            if missed is not None:
                far = min(far, (k + missed) // 2)
            if tier.last is not None:
                far = min(far, tier.last)
            if far <= turn:
                break
            trial = _run(
                tier.model, share + far * step, rung=_Rung(far, step), earlier=run, reference=run
            )
            tried += 1
            if trial.certified:
                self.span = max(self.span, 2 * (far - k))
                k, run, missed = far, trial, None
            else:
                limit = far - 1 if trial.differs else far
                missed = far
                self.span = max(1, (far - k) // 2)
        return k, run, tried


def _untouched(model: _Model, t0: Fraction) -> _Run:
    """The free projects only, every voter still with all their money."""
    return _Run(
        t0,
        selected=list(model.free),
        money=[t0.numerator] * model.types,
        start=t0.numerator,
        scale=t0.denominator,
    )


def _spent(model: _Model, selected: Sequence[int]) -> Number:
    return sum((model.costs[r] for r in selected), start=0)


def _exhaustive(model: _Model, selected: Sequence[int], budget: Number) -> bool:
    # As pabutools' `is_exhaustive(..., available_projects=projects)`: supported projects only.
    spent = _spent(model, selected)
    chosen = set(selected)
    return all(r in chosen or spent + model.costs[r] > budget for r in model.candidates)


def _empty(election: Election[IdT]) -> Allocation[IdT]:
    index = election.index
    outcomes = tuple(
        ProjectOutcome(
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
    election: Election[IdT], model: _Model, final: _Run, rule: str, details: EqualSharesRun
) -> Allocation[IdT]:
    """Every project explained (`_outcome`), and what each ballot paid."""
    index = election.index
    position = {rank: i + 1 for i, rank in enumerate(final.selected)}
    free = set(model.free)
    outcomes = tuple(
        _outcome(index, model, final, index.position[project.id], position, free, details)
        for project in election.projects
    )
    spent = [0] * model.ballots
    start = final.start
    for source, left in zip(model.source, final.left(), strict=True):
        spent[source] = start - left
    return Allocation(
        rule=rule,
        budget=election.budget,
        selected=tuple(index.ids[rank] for rank in final.selected),
        outcomes=outcomes,
        equal_shares=details._replace(spent_numerators=tuple(spent), spent_denominator=final.scale),
    )


def _outcome(
    index: Index[IdT],
    model: _Model,
    final: _Run,
    rank: int,
    position: dict[int, int],
    free: set[int],
    details: EqualSharesRun,
) -> ProjectOutcome[IdT]:
    """A project explained: for a bought one, its place, its price per unit of satisfaction and
    how many voters paid everything they had; for another, the money its supporters had left at
    the end and what was missing."""
    project_id, cost = index.ids[rank], index.costs[rank]
    total, supporters = index.total_satisfaction[rank], index.supporters[rank]
    if rank in position:
        price = final.price_of.get(rank)
        return ProjectOutcome(
            project_id,
            cost,
            total,
            supporters,
            True,
            Verdict.SELECTED,
            Stage.NO_COST if rank in free else Stage.EQUAL_SHARES,
            position[rank],
            price=(
                Fraction(0)
                if price is None
                else Fraction(price.numerator * model.value_scale, price.denominator)
            ),
            paid_everything=final.paid_everything.get(rank, 0),
        )
    if model.total[rank] <= 0:
        return ProjectOutcome(
            project_id, cost, total, supporters, False, Verdict.NO_SUPPORT, Stage.EQUAL_SHARES
        )
    denominator = final.scale
    left = _money(final.left(), model.types_of[rank], model.weights_of[rank])
    cost_now = cost * denominator if type(cost) is int else int(cost * denominator)
    return ProjectOutcome(
        project_id,
        cost,
        total,
        supporters,
        False,
        Verdict.SUPPORTERS_SHORT,
        Stage.EQUAL_SHARES,
        money_at_turn=Fraction(left, denominator),
        shortfall=Fraction(cost_now - left, denominator),
        supporters_needed=_shares_needed(cost, details.per_voter_budget),
    )


def _shares_needed(cost: Number, share: Fraction) -> int | None:
    """How many whole shares the cost takes (rounded up), in integers (None: shares of 0)."""
    if not share.numerator:
        return None
    if type(cost) is int:
        return -(-cost * share.denominator // share.numerator)
    return -(-cost.numerator * share.denominator // (cost.denominator * share.numerator))
