"""Greedy selection: go down an order of projects and take each one that still fits."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from itertools import count, pairwise
from operator import truediv

from app.domain.allocation.model import (
    Allocation,
    Election,
    IdT,
    Index,
    Number,
    ProjectOutcome,
    Stage,
    Verdict,
)


def density_order(index: Index[IdT]) -> list[int]:
    """Projects by total satisfaction per unit of cost, highest first, as pabutools orders them.

    A supported project that costs nothing comes first (infinite density), a project nobody values
    last (density 0); ties go to the earlier project in the tie-break order.
    """
    totals, costs = index.total_satisfaction, index.costs
    if _whole(totals) and _whole(costs) and all(costs):
        # Correctly rounded densities keep the order of the exact ones, except that different
        # densities may round to the same float: only such neighbours are compared exactly.
        densities = list(map(truediv, totals, costs))
        # Highest first, equal floats in tie-break order (the sort is stable).
        negated = [-density for density in densities]
        order = sorted(range(len(densities)), key=negated.__getitem__)
        if all(
            densities[a] != densities[b] or totals[a] * costs[b] == totals[b] * costs[a]
            for a, b in pairwise(order)
        ):
            return order
    return _exact_density_order(totals, costs)


def _exact_density_order(totals: Sequence[Number], costs: Sequence[Number]) -> list[int]:
    if _whole(totals) and _whole(costs):
        numerators: Sequence[int] = totals  # type: ignore[assignment]
        denominators: Sequence[int] = costs  # type: ignore[assignment]
    else:
        pairs = [_pair(t, c) for t, c in zip(totals, costs, strict=True)]
        numerators = [n for n, _ in pairs]
        denominators = [d for _, d in pairs]
    # Exact densities as whole numbers over one common denominator: sorting compares integers.
    positive = [d for d in denominators if d > 0]
    common = math.lcm(*positive) if positive else 1
    keys = [
        (1, 0, rank)
        if numerator <= 0
        else (-1, 0, rank)
        if denominator == 0
        else (0, -numerator * (common // denominator), rank)
        for rank, numerator, denominator in zip(count(), numerators, denominators)
    ]
    keys.sort()
    return [key[2] for key in keys]


def _whole(values: Sequence[Number]) -> bool:
    return set(map(type, values)) <= {int}


def _pair(total: Number, cost: Number) -> tuple[int, int]:
    """total / cost as numerator and denominator (not reduced)."""
    total_fraction, cost_fraction = Fraction(total), Fraction(cost)
    return (
        total_fraction.numerator * cost_fraction.denominator,
        total_fraction.denominator * cost_fraction.numerator,
    )


def greedy(
    election: Election[IdT],
    *,
    ranking: Sequence[IdT] | None = None,
    fund_unsupported: bool = True,
) -> Allocation[IdT]:
    """Utilitarian greedy (pabutools' `greedy_utilitarian_welfare`), or greedy down a given ranking.

    Without a ranking the order is total satisfaction per unit of cost; with one, it is the ranking.
    A project that no longer fits is skipped and the next one is tried. pabutools also funds
    projects nobody values when money is left; `fund_unsupported=False` leaves those out.
    """
    index = election.index
    order = density_order(index) if ranking is None else _ranks(index, ranking)
    outcomes, selected = _greedy_pass(
        index,
        order,
        election.budget,
        Stage.GREEDY,
        already=(),
        fund_unsupported=fund_unsupported,
    )
    return Allocation(
        rule="greedy",
        budget=election.budget,
        selected=tuple(index.ids[rank] for rank in selected),
        outcomes=tuple(outcomes[rank] for rank in _input_order(election, index)),
    )


def complete_with_greedy(
    election: Election[IdT], allocation: Allocation[IdT], *, rule: str | None = None
) -> Allocation[IdT]:
    """Spend what a rule left with greedy (pabutools' `completion_by_rule_combination`).

    When no project fits any more the allocation is returned as it is; otherwise greedy by
    satisfaction per cost goes over the projects not yet selected and takes each that fits.
    """
    index = election.index
    chosen = [index.position[p] for p in allocation.selected]
    spent = sum((index.costs[rank] for rank in chosen), start=0)
    taken = set(chosen)
    exhaustive = all(
        rank in taken or spent + index.costs[rank] > election.budget
        for rank in range(len(index.ids))
    )
    if exhaustive:
        return Allocation(
            rule=rule or allocation.rule,
            budget=allocation.budget,
            selected=allocation.selected,
            outcomes=allocation.outcomes,
            equal_shares=allocation.equal_shares,
        )
    order = [rank for rank in density_order(index) if rank not in taken]
    greedy_outcomes, added = _greedy_pass(
        index, order, election.budget, Stage.COMPLETION, already=chosen, fund_unsupported=True
    )
    outcomes = []
    for previous in allocation.outcomes:
        rank = index.position[previous.project_id]
        if rank in taken or rank not in greedy_outcomes:
            outcomes.append(previous)
            continue
        later = greedy_outcomes[rank]
        if later.selected:
            outcomes.append(later)
        else:
            # Keep what the first rule found out (its supporters' money) and add greedy's part.
            outcomes.append(
                previous._replace(stage=Stage.COMPLETION, budget_needed=later.budget_needed)
            )
    return Allocation(
        rule=rule or f"{allocation.rule}+greedy",
        budget=allocation.budget,
        selected=allocation.selected + tuple(index.ids[rank] for rank in added),
        outcomes=tuple(outcomes),
        equal_shares=allocation.equal_shares,
    )


def _greedy_pass(
    index: Index[IdT],
    order: Sequence[int],
    budget: Number,
    stage: Stage,
    *,
    already: Sequence[int],
    fund_unsupported: bool,
) -> tuple[dict[int, ProjectOutcome[IdT]], list[int]]:
    ids, costs = index.ids, index.costs
    totals, supporters = index.total_satisfaction, index.supporters
    left: Number = budget - sum([costs[rank] for rank in already])
    outcomes: dict[int, ProjectOutcome[IdT]] = {}
    selected: list[int] = []
    position = len(already)
    for rank in order:
        cost = costs[rank]
        total = totals[rank]
        if not fund_unsupported and total <= 0:
            outcomes[rank] = ProjectOutcome(
                ids[rank], cost, total, supporters[rank], False, Verdict.NO_SUPPORT, stage
            )
        elif cost <= left:
            selected.append(rank)
            position += 1
            outcomes[rank] = ProjectOutcome(
                ids[rank],
                cost,
                total,
                supporters[rank],
                True,
                Verdict.SELECTED,
                stage,
                position,
                left,
            )
            left -= cost
        else:
            outcomes[rank] = ProjectOutcome(
                ids[rank],
                cost,
                total,
                supporters[rank],
                False,
                Verdict.DID_NOT_FIT,
                stage,
                None,
                left,
                cost - left,
                budget + (cost - left),
            )
    return outcomes, selected


def _ranks(index: Index[IdT], ranking: Sequence[IdT]) -> list[int]:
    ranks = [index.position[project_id] for project_id in ranking]
    if sorted(ranks) != list(range(len(index.ids))):
        raise ValueError("the ranking must list every project exactly once")
    return ranks


def _input_order(election: Election[IdT], index: Index[IdT]) -> list[int]:
    return [index.position[project.id] for project in election.projects]
