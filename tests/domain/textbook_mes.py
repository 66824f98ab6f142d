"""The Method of Equal Shares and its "add one" completion as the textbook states them.

Exact fractions, every voter on their own, every price worked out from scratch in every round,
every increment of the completion run: nothing clever, so that it can be read against the
definition (Peters and Skowron, "Proportional participatory budgeting with additive utilities",
2021; pabutools' `method_of_equal_shares`) and the engine in `app/domain/allocation/mes.py` can
be checked against it. Ties go to the earlier project in the election's tie-break order.

The fractions are gmpy2's `mpq`: exact rationals like Python's `Fraction`, with the same
arithmetic and comparisons, computed in C (gmpy2 comes with pabutools, which uses it for the same
purpose). With `Fraction` the test that runs this at every increment a leap skips took 35 s of
CPU, seven times as long. What it returns is in `Fraction`, as the engine's.
"""

from __future__ import annotations

from fractions import Fraction

from gmpy2 import mpq  # type: ignore[import-untyped]  # it has no type stubs

from app.domain.allocation import Election


def equal_shares(election: Election[str], per_voter: Fraction) -> list[str]:
    """The projects bought, in order, when every voter starts with `per_voter`."""
    return _rounds(election, per_voter)[0]


def equal_shares_paid(
    election: Election[str], per_voter: Fraction
) -> tuple[list[str], tuple[Fraction, ...]]:
    """The projects bought, in order, and what one voter of each ballot (in the election's
    order) paid in all, from the same run."""
    selected, money = _rounds(election, per_voter)
    first = 0
    paid = []
    for ballot in election.ballots:
        paid.append(Fraction(per_voter - money[first]))
        first += ballot.multiplicity
    return selected, tuple(paid)


def _rounds(election: Election[str], per_voter: Fraction) -> tuple[list[str], list[mpq]]:
    """The projects bought, in order, and every voter's money left at the end."""
    order = list(election.index.ids)  # tie-break order: earlier wins
    cost = {p.id: mpq(p.cost) for p in election.projects}
    voters = [
        {p: mpq(v) for p, v in b.satisfaction.items()}
        for b in election.ballots
        for _ in range(b.multiplicity)
    ]
    money = [mpq(per_voter)] * len(voters)
    fans = {p: [i for i, v in enumerate(voters) if v.get(p, 0) > 0] for p in order}
    selected = [p for p in order if fans[p] and cost[p] == 0]  # free projects come first
    left = [p for p in order if fans[p] and cost[p] > 0]
    while True:
        best, best_price = None, None
        for p in left:
            if sum(money[i] for i in fans[p]) < cost[p]:
                continue  # its supporters cannot pay for it
            price = _price(cost[p], [(money[i], voters[i][p]) for i in fans[p]])
            if best_price is None or price < best_price:
                best, best_price = p, price
        if best is None or best_price is None:
            return selected, money
        for i in fans[best]:
            money[i] -= min(money[i], best_price * voters[i][best])
        selected.append(best)
        left.remove(best)


def _price(cost: mpq, supporters: list[tuple[mpq, mpq]]) -> mpq:
    """The smallest rho at which the supporters, each paying min(money, rho * value), pay cost."""
    paid, rich = mpq(0), sum(value for _, value in supporters)
    for have, value in sorted(supporters, key=lambda s: s[0] / s[1]):
        rho = (cost - paid) / rich
        if rho * value <= have:
            return rho
        paid += have  # cannot pay their part at this price: pays everything
        rich -= value
    raise AssertionError("an affordable project always has a price")


def add_one(election: Election[str], increment: Fraction = Fraction(1)) -> tuple[list[str], int]:
    """The "add one" completion: the outcome, and how many increments it took.

    Runs with `budget / voters + k * increment` for k = 0, 1, 2, ... until an outcome spends
    more than the budget (the previous one is kept; before any, only the free projects) or no
    supported project that is not selected fits in what is left (this one is kept).
    """
    voters = sum(b.multiplicity for b in election.ballots)
    share = Fraction(election.budget) / voters
    cost = {p.id: p.cost for p in election.projects}
    supported = {p for b in election.ballots for p, v in b.satisfaction.items() if v > 0}
    previous: list[str] | None = None
    k = 0
    while True:
        outcome = equal_shares(election, share + k * increment)
        spent = sum(cost[p] for p in outcome)
        if spent > election.budget:
            if previous is None:
                return [p for p in election.index.ids if p in supported and cost[p] == 0], 0
            return previous, k - 1
        if all(p in outcome or spent + cost[p] > election.budget for p in supported):
            return outcome, k
        previous = outcome
        k += 1
