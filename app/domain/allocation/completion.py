"""How equal shares spends what it leaves: the completions, side by side.

Equal shares alone often leaves much of the budget unspent. The completions in use, all built on
the "add one" completion (`mes.equal_shares_add1`, pabutools' `voter_budget_increment=1`):

- `add1`: "add one" alone: every voter's money is raised by one unit at a time, and the last
  outcome that stays within the budget is kept (or the first that leaves nothing that fits);
- `add1-greedy`: "add one", then greedy spends what is left (pabutools'
  `completion_by_rule_combination`; Pabulib's `equalshares/add1`, used by Assen and Wieliczka,
  equalshares.net's "add1u");
- `add1-compare`: `add1-greedy`, then the comparison step of Wieliczka's Green Million (2023), as
  equalshares.net's compute tool does it ("comparison: satisfaction"): every voter is asked,
  from their ballot, whether they prefer that outcome or the greedy rule's (on approval ballots:
  which funds more of the projects they voted for; on points: which gives them more points);
  when more voters prefer the greedy outcome than prefer equal shares', the greedy outcome is
  the result. Voters who like both alike do not count.

Sources: equalshares.net, "Completion" and the compute tool's comparison step; Peters, Pierczyński
and Skowron, "Proportional participatory budgeting with additive utilities" (NeurIPS 2021).
"""

from __future__ import annotations

from enum import StrEnum

from app.domain.allocation.greedy import greedy
from app.domain.allocation.mes import equal_shares_add1, equal_shares_add1_greedy
from app.domain.allocation.model import Allocation, Comparison, Election, IdT, Number


class Completion(StrEnum):
    """The completions of equal shares offered (see the module description)."""

    ADD1 = "add1"
    ADD1_GREEDY = "add1-greedy"
    ADD1_COMPARE = "add1-compare"


def equal_shares_completed(
    election: Election[IdT], completion: Completion, *, by_projects: bool = True
) -> Allocation[IdT]:
    """Equal shares with the chosen completion; `by_projects` is the comparison step's measure
    (True: the number of a voter's projects funded, as on approval ballots; False: the sum of
    their satisfaction, as with points)."""
    if completion is Completion.ADD1:
        return equal_shares_add1(election)
    completed = equal_shares_add1_greedy(election)
    if completion is Completion.ADD1_GREEDY:
        return completed
    return compare_with_greedy(election, completed, by_projects=by_projects)


def compare_with_greedy(
    election: Election[IdT], allocation: Allocation[IdT], *, by_projects: bool = True
) -> Allocation[IdT]:
    """The comparison step: the greedy outcome instead when more voters prefer it (see above).

    The result says how the voters were counted (`Allocation.comparison`); its rule is
    `equal_shares_add1_compare` either way.
    """
    rule = "equal_shares_add1_compare"
    other = greedy(election)
    mine = _tally(election, allocation.selected, by_projects)
    theirs = _tally(election, other.selected, by_projects)
    multiplicity = election.index.columns.multiplicity
    prefer_mine = prefer_theirs = 0
    for a, b, voters in zip(mine, theirs, multiplicity, strict=True):
        if a > b:
            prefer_mine += voters
        elif b > a:
            prefer_theirs += voters
    switched = prefer_theirs > prefer_mine
    comparison = Comparison(
        prefer_equal_shares=prefer_mine,
        prefer_greedy=prefer_theirs,
        measure="projects" if by_projects else "satisfaction",
        switched=switched,
    )
    chosen = other if switched else allocation
    return chosen._replace(rule=rule, comparison=comparison)


def _tally(election: Election[IdT], selected: tuple[IdT, ...], by_projects: bool) -> list[Number]:
    """Per voter type: how many of the selected projects it supports, or its total satisfaction
    from them."""
    index = election.index
    columns = index.columns
    tally: list[Number] = [0] * len(columns.multiplicity)
    for project in selected:
        rank = index.position[project]
        types = columns.supporter_types[rank]
        if by_projects:
            for voter_type in types:
                tally[voter_type] += 1
        else:
            for voter_type, value in zip(types, columns.supporter_values[rank], strict=True):
                tally[voter_type] += value
    return tally
