"""The optimal selection: the largest total satisfaction within the budget, exactly.

This is a 0/1 knapsack problem. It is solved exactly by a dynamic programme over Pareto-optimal
partial selections (Nemhauser and Ullmann): projects are added one at a time, and only the
partial selections that no other one beats on both cost and satisfaction are kept. A plain
programme over the budget would need a table as large as the budget in euros (3.3 million
entries for Warszawa, times 81 projects); the Pareto list stays far smaller, and a partial
selection is also dropped as soon as even its linear-relaxation bound (Dantzig's: fill what is
left greedily by satisfaction per euro, the last project in part) cannot reach the best complete
selection found so far. Both steps are exact (integer arithmetic), so the result is a true
optimum, not a heuristic.

Among selections with the same largest total the cheapest one is taken, and among those the one
that contains the earliest project (in the tie-break order) where they differ.
"""

from __future__ import annotations

from bisect import bisect_right
from fractions import Fraction
from typing import NamedTuple

from app.domain.allocation.model import (
    Allocation,
    Election,
    IdT,
    Number,
    ProjectOutcome,
    Stage,
    Verdict,
    lcm_of_denominators,
    outcome_for,
)


class _Item(NamedTuple):
    rank: int
    weight: int
    value: int


def optimal(election: Election[IdT], *, explain: bool = False) -> Allocation[IdT]:
    """The selection with the largest total satisfaction that fits the budget (exact).

    The selection is listed in tie-break order. With `explain`, every project left out also gets
    the best total that a selection including it could reach (`welfare_if_forced`).
    """
    index = election.index
    count = len(index.ids)
    money_scale = lcm_of_denominators([*index.costs, election.budget])
    value_scale = lcm_of_denominators(index.total_satisfaction)
    capacity = int(election.budget * money_scale)
    free = [r for r in range(count) if index.total_satisfaction[r] > 0 and index.costs[r] == 0]
    items = [
        _Item(r, int(index.costs[r] * money_scale), int(index.total_satisfaction[r] * value_scale))
        for r in range(count)
        if index.total_satisfaction[r] > 0 and 0 < index.costs[r] <= election.budget
    ]
    _, _, mask = best_selection(items, capacity)
    chosen = sorted(free + [r for r in range(count) if mask >> r & 1])
    outcomes: list[ProjectOutcome[IdT]] = []
    position = {rank: i + 1 for i, rank in enumerate(chosen)}
    free_value = sum(index.total_satisfaction[r] for r in free)
    for project in election.projects:
        rank = index.position[project.id]
        if rank in position:
            outcomes.append(
                outcome_for(
                    index,
                    rank,
                    selected=True,
                    verdict=Verdict.SELECTED,
                    stage=Stage.OPTIMAL,
                    position=position[rank],
                )
            )
            continue
        if index.total_satisfaction[rank] <= 0:
            outcomes.append(
                outcome_for(
                    index, rank, selected=False, verdict=Verdict.NO_SUPPORT, stage=Stage.OPTIMAL
                )
            )
            continue
        forced: Number | None = None
        if explain and index.costs[rank] <= election.budget:
            item = next(i for i in items if i.rank == rank)
            others = [i for i in items if i.rank != rank]
            rest, _, _ = best_selection(others, capacity - item.weight)
            forced = free_value + _unscale(rest + item.value, value_scale)
        outcomes.append(
            outcome_for(
                index,
                rank,
                selected=False,
                verdict=Verdict.NOT_IN_OPTIMUM,
                stage=Stage.OPTIMAL,
                welfare_if_forced=forced,
            )
        )
    return Allocation(
        rule="optimal",
        budget=election.budget,
        selected=tuple(index.ids[r] for r in chosen),
        outcomes=tuple(outcomes),
    )


def best_selection(items: list[_Item], capacity: int) -> tuple[int, int, int]:
    """The best (value, cost, set of ranks as a bit mask) within the capacity, with the tie-breaks.

    Items are whole-number weights (> 0) and values (> 0).
    """
    items = [i for i in items if i.weight <= capacity]
    # Densest first: the bound of what is left is then a prefix of the remaining items.
    items.sort(key=lambda i: (-i.value / i.weight, i.rank))
    weights = [0]
    values = [0]
    for item in items:
        weights.append(weights[-1] + item.weight)
        values.append(values[-1] + item.value)

    def bound(start: int, room: int) -> int:
        # The linear relaxation over items[start:]: whole items while they fit, then a fraction.
        end = bisect_right(weights, weights[start] + room) - 1
        total = values[end] - values[start]
        if end < len(items):
            left = room - (weights[end] - weights[start])
            total += left * items[end].value // items[end].weight
        return total

    # Each state: (cost, value, mask); sorted by cost, values strictly increasing.
    states: list[tuple[int, int, int]] = [(0, 0, 0)]
    # A good complete selection from the start lets the bound prune early: greedy by density.
    incumbent = 0
    room = capacity
    for item in items:
        if item.weight <= room:
            room -= item.weight
            incumbent += item.value
    for position, item in enumerate(items):
        bit = 1 << item.rank
        grown = [
            (cost + item.weight, value + item.value, mask | bit)
            for cost, value, mask in states
            if cost + item.weight <= capacity
        ]
        merged = _pareto_merge(states, grown)
        incumbent = max(incumbent, merged[-1][1])
        rest = position + 1
        states = [
            state for state in merged if state[1] + bound(rest, capacity - state[0]) >= incumbent
        ]
    return states[-1][1], states[-1][0], states[-1][2]


def _pareto_merge(
    first: list[tuple[int, int, int]], second: list[tuple[int, int, int]]
) -> list[tuple[int, int, int]]:
    """Merge two cost-sorted lists, keeping states that no other state beats or ties cheaper."""
    merged: list[tuple[int, int, int]] = []
    i = j = 0
    while i < len(first) or j < len(second):
        if j >= len(second) or (i < len(first) and first[i][0] <= second[j][0]):
            state = first[i]
            i += 1
        else:
            state = second[j]
            j += 1
        if merged:
            last = merged[-1]
            if state[1] < last[1]:
                continue
            if state[1] == last[1]:
                if state[0] > last[0] or not _preferred(state[2], last[2]):
                    continue
                merged.pop()
            elif state[0] == last[0]:
                merged.pop()
        merged.append(state)
    return merged


def _preferred(mask: int, other: int) -> bool:
    """Whether a set beats another of equal value and cost: it has the first differing project."""
    difference = mask ^ other
    return bool(mask & difference & -difference)


def _unscale(value: int, scale: int) -> Number:
    result = Fraction(value, scale)
    return result.numerator if result.denominator == 1 else result
