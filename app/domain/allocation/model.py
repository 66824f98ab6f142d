"""The inputs and results of the allocation rules: projects, ballots as satisfactions, outcomes."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Generic, TypeVar

Number = int | Fraction
IdT = TypeVar("IdT", bound=Hashable)


class Satisfaction(StrEnum):
    """How a ballot turns into a voter's satisfaction with a project (pabutools' names in brackets).

    - `cost` (Cost_Sat): an approved project is worth its cost; on a ballot with points it is worth
      points times cost (the "PointsTimesCost" measure), so greedy orders by total points;
    - `cardinality` (Cardinality_Sat): 1 for every project on the ballot;
    - `cardinal` (Additive_Cardinal_Sat): the points given, for cumulative and scoring ballots.
    """

    COST = "cost"
    CARDINALITY = "cardinality"
    CARDINAL = "cardinal"


class Stage(StrEnum):
    """Which step of a rule took a project, or last looked at it."""

    GREEDY = "greedy"
    OPTIMAL = "optimal"
    NO_COST = "no_cost"
    EQUAL_SHARES = "equal_shares"
    COMPLETION = "completion"


class Verdict(StrEnum):
    """Why a project is in or out."""

    SELECTED = "selected"
    # Greedy (and the completion): when its turn came, less money was left than it costs.
    DID_NOT_FIT = "did_not_fit"
    # Nobody has any satisfaction from it: equal shares and the optimum never fund it.
    NO_SUPPORT = "no_support"
    # Equal shares: its supporters together had less money left than it costs.
    SUPPORTERS_SHORT = "supporters_short"
    # Optimal: the best combination within the budget does without it.
    NOT_IN_OPTIMUM = "not_in_optimum"


@dataclass(frozen=True)
class Project(Generic[IdT]):
    """Something to fund: an id and what it costs (0 for no extra cost)."""

    id: IdT
    cost: Number

    def __post_init__(self) -> None:
        if not _exact(self.cost):
            raise TypeError(f"project {self.id!r}: cost must be an int or a Fraction")
        if self.cost < 0:
            raise ValueError(f"project {self.id!r}: cost {self.cost} is negative")


@dataclass(frozen=True, slots=True)
class Ballot(Generic[IdT]):
    """One voter's satisfaction per project (absent means 0), standing for `multiplicity` voters.

    The election checks the values (whole or exact fractions, not negative) when it is built.
    """

    satisfaction: Mapping[IdT, Number]
    multiplicity: int = 1


@dataclass(frozen=True)
class Election(Generic[IdT]):
    """Projects, a budget and the voters' ballots; `priority` breaks ties (earlier wins).

    Without a priority, ties go to the smaller project id compared as a string, as pabutools'
    `lexico_tie_breaking` does ("10" before "9").
    """

    projects: tuple[Project[IdT], ...]
    budget: Number
    ballots: tuple[Ballot[IdT], ...]
    priority: tuple[IdT, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "projects", tuple(self.projects))
        object.__setattr__(self, "ballots", tuple(self.ballots))
        if self.priority is not None:
            object.__setattr__(self, "priority", tuple(self.priority))
        if not _exact(self.budget):
            raise TypeError("budget must be an int or a Fraction")
        if self.budget < 0:
            raise ValueError(f"budget {self.budget} is negative")
        # Building the index checks the ballots; the rules need it anyway.
        object.__setattr__(self, "_index", Index.of(self))

    @property
    def voters(self) -> int:
        """How many voters there are, empty ballots included."""
        return self.index.voters

    @property
    def index(self) -> Index[IdT]:
        """The election compiled for the rules."""
        index: Index[IdT] = self.__dict__["_index"]
        return index


_EXACT_TYPES = frozenset((int, Fraction))


def _exact(value: object) -> bool:
    return type(value) in _EXACT_TYPES


@dataclass(frozen=True)
class Index(Generic[IdT]):
    """The election with projects numbered in tie-break order: a smaller number wins a tie."""

    ids: tuple[IdT, ...]
    costs: tuple[Number, ...]
    total_satisfaction: tuple[Number, ...]
    supporters: tuple[int, ...]
    position: Mapping[IdT, int]
    # The non-empty ballots as parallel tuples of project numbers and positive satisfactions.
    ballot_ranks: tuple[tuple[int, ...], ...]
    ballot_values: tuple[tuple[Number, ...], ...]
    ballot_multiplicity: tuple[int, ...]
    # where each of those ballots stands in the election's ballots
    ballot_source: tuple[int, ...]
    voters: int

    @staticmethod
    def of(election: Election[IdT]) -> Index[IdT]:
        """Number the projects, check the ballots and add up each project's support."""
        by_id: dict[IdT, Project[IdT]] = {}
        for project in election.projects:
            if project.id in by_id:
                raise ValueError(f"project id {project.id!r} appears twice")
            by_id[project.id] = project
        if election.priority is None:
            order = sorted(by_id, key=str)
            if len({str(i) for i in order}) != len(order):
                raise ValueError("project ids must differ as strings to break ties by them")
        else:
            order = list(election.priority)
            if len(order) != len(by_id) or set(order) != set(by_id):
                raise ValueError("priority must list every project id exactly once")
        position = {project_id: rank for rank, project_id in enumerate(order)}
        total: list[Number] = [0] * len(order)
        supporters = [0] * len(order)
        ranks_per_ballot: list[tuple[int, ...]] = []
        values_per_ballot: list[tuple[Number, ...]] = []
        multiplicities: list[int] = []
        voters = 0
        sources: list[int] = []
        rank_of = position.__getitem__
        for source, ballot in enumerate(election.ballots):
            multiplicity = ballot.multiplicity
            if multiplicity < 1:
                raise ValueError("a ballot stands for at least one voter")
            voters += multiplicity
            satisfaction = ballot.satisfaction
            if not satisfaction:
                continue
            values = tuple(satisfaction.values())
            if not set(map(type, values)) <= _EXACT_TYPES:
                raise TypeError("satisfactions must be int or Fraction")
            lowest = min(values)
            if lowest < 0:
                raise ValueError("a satisfaction is negative")
            try:
                ranks = tuple(map(rank_of, satisfaction))
            except KeyError as error:
                raise ValueError(f"a ballot values unknown project {error.args[0]!r}") from None
            if lowest == 0:
                kept = [(r, v) for r, v in zip(ranks, values, strict=True) if v > 0]
                if not kept:
                    continue
                ranks, values = tuple(r for r, _ in kept), tuple(v for _, v in kept)
            for rank, value in zip(ranks, values, strict=True):
                total[rank] += multiplicity * value
                supporters[rank] += multiplicity
            ranks_per_ballot.append(ranks)
            values_per_ballot.append(values)
            multiplicities.append(multiplicity)
            sources.append(source)
        return Index(
            ids=tuple(order),
            costs=tuple(by_id[project_id].cost for project_id in order),
            total_satisfaction=tuple(total),
            supporters=tuple(supporters),
            position=position,
            ballot_ranks=tuple(ranks_per_ballot),
            ballot_values=tuple(values_per_ballot),
            ballot_multiplicity=tuple(multiplicities),
            ballot_source=tuple(sources),
            voters=voters,
        )


@dataclass(frozen=True)
class ProjectOutcome(Generic[IdT]):
    """One project in a result: selected or not, when, and what would have had to change.

    Money fields are exact. `money_at_turn` is, for greedy and the completion, the budget left
    when the project's turn came; for equal shares, the money its supporters had left at the end.
    `shortfall` is what was missing (cost minus that money) when it was not selected;
    `budget_needed` (greedy) is the total budget with which it would have fitted at its turn.
    `supporters_needed` (equal shares) is how many voters, each spending their whole share, it
    needs at least. `price` (equal shares) is what its supporters paid per unit of satisfaction,
    `paid_everything` how many of them spent all they had left on it.
    `welfare_if_forced` (optimal) is the best total satisfaction of a selection that includes it.
    """

    project_id: IdT
    cost: Number
    total_satisfaction: Number
    supporters: int
    selected: bool
    verdict: Verdict
    stage: Stage | None = None
    position: int | None = None
    money_at_turn: Number | None = None
    shortfall: Number | None = None
    budget_needed: Number | None = None
    supporters_needed: int | None = None
    price: Fraction | None = None
    paid_everything: int | None = None
    welfare_if_forced: Number | None = None


def outcome_for(
    index: Index[IdT], rank: int, *, selected: bool, verdict: Verdict, **details: Any
) -> ProjectOutcome[IdT]:
    """An outcome for the project numbered `rank`, with its cost and support filled in."""
    return ProjectOutcome(
        project_id=index.ids[rank],
        cost=index.costs[rank],
        total_satisfaction=index.total_satisfaction[rank],
        supporters=index.supporters[rank],
        selected=selected,
        verdict=verdict,
        **details,
    )


@dataclass(frozen=True)
class EqualSharesRun:
    """How an equal-shares result came about.

    `share` is the budget divided by the voters; `per_voter_budget` what each voter had in the run
    that gave the result (the share plus `increments` times the increment). `spent` is, per
    ballot of the election (in its order), what each voter with that ballot paid in that run.
    `runs` counts the runs made here; `reference_runs` the runs pabutools makes for the same
    result (one per increment, plus the one that overspent, if that is how it ended).
    """

    voters: int
    share: Fraction
    per_voter_budget: Fraction
    spent: tuple[Fraction, ...] = ()
    increments: int = 0
    runs: int = 1
    reference_runs: int = 1


@dataclass(frozen=True)
class Allocation(Generic[IdT]):
    """A rule's result: the selection in the order it was made, and every project explained."""

    rule: str
    budget: Number
    selected: tuple[IdT, ...]
    outcomes: tuple[ProjectOutcome[IdT], ...]
    equal_shares: EqualSharesRun | None = None
    _by_id: Mapping[IdT, ProjectOutcome[IdT]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_by_id", MappingProxyType({o.project_id: o for o in self.outcomes})
        )

    @property
    def total_cost(self) -> Number:
        """What the selection costs."""
        return sum((self._by_id[p].cost for p in self.selected), start=0)

    @property
    def left(self) -> Number:
        """The budget not spent."""
        return self.budget - self.total_cost

    @property
    def welfare(self) -> Number:
        """The total satisfaction of the selection (the sum of its projects' totals)."""
        return sum((self._by_id[p].total_satisfaction for p in self.selected), start=0)

    def outcome(self, project_id: IdT) -> ProjectOutcome[IdT]:
        """The explanation for one project."""
        return self._by_id[project_id]


def approval_election(
    projects: Sequence[Project[IdT]],
    budget: Number,
    approvals: Iterable[Iterable[IdT]],
    satisfaction: Satisfaction = Satisfaction.COST,
    priority: Sequence[IdT] | None = None,
) -> Election[IdT]:
    """An election from approval ballots, valued by cost or by count (`cardinal` needs points).

    Identical ballots become one ballot with a multiplicity; the outcome is the same.
    """
    if satisfaction is Satisfaction.CARDINAL:
        raise ValueError("cardinal satisfaction needs points; approval ballots have none")
    cost = {project.id: project.cost for project in projects}
    counts = Counter(frozenset(approved) for approved in approvals)
    ballots = []
    for approved, multiplicity in counts.items():
        if satisfaction is Satisfaction.COST:
            try:
                values: dict[IdT, Number] = {p: cost[p] for p in approved}
            except KeyError as error:
                raise ValueError(f"a ballot approves unknown project {error.args[0]!r}") from None
        else:
            values = dict.fromkeys(approved, 1)
        ballots.append(Ballot(values, multiplicity))
    return Election(
        tuple(projects), budget, tuple(ballots), None if priority is None else tuple(priority)
    )


def scored_election(
    projects: Sequence[Project[IdT]],
    budget: Number,
    scores: Iterable[Mapping[IdT, Number]],
    satisfaction: Satisfaction = Satisfaction.CARDINAL,
    priority: Sequence[IdT] | None = None,
) -> Election[IdT]:
    """An election from ballots with points (cumulative or scoring), valued as chosen.

    Identical ballots become one ballot with a multiplicity; the outcome is the same.
    """
    cost = {project.id: project.cost for project in projects}
    counts = Counter(frozenset(points.items()) for points in scores)
    ballots = []
    for items, multiplicity in counts.items():
        points = dict(items)
        if satisfaction is Satisfaction.CARDINAL:
            values: dict[IdT, Number] = points
        elif satisfaction is Satisfaction.COST:
            try:
                values = {p: v * cost[p] for p, v in points.items()}
            except KeyError as error:
                raise ValueError(f"a ballot scores unknown project {error.args[0]!r}") from None
        else:
            # Cardinality counts every project on the ballot, as pabutools' `p in ballot` does.
            values = dict.fromkeys(points, 1)
        ballots.append(Ballot(values, multiplicity))
    return Election(
        tuple(projects), budget, tuple(ballots), None if priority is None else tuple(priority)
    )


def lcm_of_denominators(values: Iterable[Number]) -> int:
    """The smallest positive integer that makes every value whole."""
    result = 1
    for value in values:
        if isinstance(value, Fraction) and value.denominator != 1:
            result = math.lcm(result, value.denominator)
    return result
