"""The inputs and results of the allocation rules: projects, ballots as satisfactions, outcomes."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import MISSING, dataclass, field
from enum import StrEnum
from fractions import Fraction
from itertools import chain
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
    # whether every satisfaction is a whole number (int)
    whole_values: bool

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
        ballots = election.ballots
        counts = [ballot.multiplicity for ballot in ballots]
        if counts and min(counts) < 1:
            raise ValueError("a ballot stands for at least one voter")
        voters = sum(counts)
        satisfactions = [ballot.satisfaction for ballot in ballots]
        sources = [i for i, satisfaction in enumerate(satisfactions) if satisfaction]
        rank_of = position.__getitem__
        try:
            ranks_per_ballot = [tuple(map(rank_of, satisfactions[i])) for i in sources]
        except KeyError as error:
            raise ValueError(f"a ballot values unknown project {error.args[0]!r}") from None
        values_per_ballot = [tuple(satisfactions[i].values()) for i in sources]
        multiplicities = [counts[i] for i in sources]
        # Checked all at once: much cheaper than ballot by ballot.
        every_value = list(chain.from_iterable(values_per_ballot))
        kinds = set(map(type, every_value))
        if not kinds <= _EXACT_TYPES:
            raise TypeError("satisfactions must be int or Fraction")
        if every_value and min(every_value) <= 0:
            if min(every_value) < 0:
                raise ValueError("a satisfaction is negative")
            # Zero satisfaction is no support: drop those entries (and ballots left empty).
            kept = [
                (tuple(r for r, v in zip(ranks, values, strict=True) if v), i)
                for i, (ranks, values) in enumerate(
                    zip(ranks_per_ballot, values_per_ballot, strict=True)
                )
            ]
            keep = [i for ranks, i in kept if ranks]
            ranks_per_ballot = [ranks for ranks, _ in kept if ranks]
            values_per_ballot = [tuple(v for v in values_per_ballot[i] if v) for i in keep]
            multiplicities = [multiplicities[i] for i in keep]
            sources = [sources[i] for i in keep]
        total: list[Number] = [0] * len(order)
        supporters = [0] * len(order)
        if all(m == 1 for m in multiplicities):
            flat_ranks = list(chain.from_iterable(ranks_per_ballot))
            for rank, value in zip(flat_ranks, chain.from_iterable(values_per_ballot), strict=True):
                total[rank] += value
            for rank, count in Counter(flat_ranks).items():
                supporters[rank] = count
        else:
            for ranks, values, m in zip(
                ranks_per_ballot, values_per_ballot, multiplicities, strict=True
            ):
                for rank, value in zip(ranks, values, strict=True):
                    total[rank] += value * m
                    supporters[rank] += m
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
            whole_values=Fraction not in kinds,
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


_OUTCOME_DEFAULTS = {
    f.name: f.default for f in dataclasses.fields(ProjectOutcome) if f.default is not MISSING
}


def outcome_for(
    index: Index[IdT], rank: int, *, selected: bool, verdict: Verdict, **details: Any
) -> ProjectOutcome[IdT]:
    """An outcome for the project numbered `rank`, with its cost and support filled in."""
    unknown = details.keys() - _OUTCOME_DEFAULTS.keys()
    if unknown:
        raise TypeError(f"unknown outcome fields: {sorted(unknown)}")
    # The same object the generated __init__ makes, without its per-field frozen-setattr calls:
    # results are built for every project of every run, and that cost showed in the benchmark.
    outcome: ProjectOutcome[IdT] = object.__new__(ProjectOutcome)
    outcome.__dict__.update(
        _OUTCOME_DEFAULTS,
        project_id=index.ids[rank],
        cost=index.costs[rank],
        total_satisfaction=index.total_satisfaction[rank],
        supporters=index.supporters[rank],
        selected=selected,
        verdict=verdict,
        **details,
    )
    return outcome


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
    # what each ballot's voters paid, as whole numbers over one denominator (fractions on demand)
    spent_numerators: tuple[int, ...] = ()
    spent_denominator: int = 1
    increments: int = 0
    runs: int = 1
    reference_runs: int = 1

    @property
    def spent(self) -> tuple[Fraction, ...]:
        """What each voter paid, per ballot of the election (exact)."""
        return tuple(Fraction(n, self.spent_denominator) for n in self.spent_numerators)


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


Vote = tuple[tuple[IdT, ...], tuple[Number, ...] | None]


def election_from_votes(
    projects: Sequence[Project[IdT]],
    budget: Number,
    votes: Iterable[Vote[IdT]],
    satisfaction: Satisfaction,
    priority: Sequence[IdT] | None = None,
) -> Election[IdT]:
    """An election from votes as (projects, points or None for approval), valued as chosen.

    Identical votes become one ballot with a multiplicity; the outcome is the same.
    """
    cost = {project.id: project.cost for project in projects}
    ballots = tuple(
        Ballot(_valued(ids, points, cost, satisfaction), multiplicity)
        for (ids, points), multiplicity in Counter(votes).items()
    )
    return Election(tuple(projects), budget, ballots, None if priority is None else tuple(priority))


def _valued(
    ids: tuple[IdT, ...],
    points: tuple[Number, ...] | None,
    cost: Mapping[IdT, Number],
    satisfaction: Satisfaction,
) -> dict[IdT, Number]:
    if satisfaction is Satisfaction.CARDINALITY:
        # Every project on the ballot counts, as pabutools' `project in ballot` does.
        return dict.fromkeys(ids, 1)
    try:
        if satisfaction is Satisfaction.COST:
            if points is None:
                return {p: cost[p] for p in ids}
            return {p: v * cost[p] for p, v in zip(ids, points, strict=True)}
    except KeyError as error:
        raise ValueError(f"a ballot names unknown project {error.args[0]!r}") from None
    if points is None:
        raise ValueError("cardinal satisfaction needs points; approval ballots have none")
    return dict(zip(ids, points, strict=True))


def approval_election(
    projects: Sequence[Project[IdT]],
    budget: Number,
    approvals: Iterable[Iterable[IdT]],
    satisfaction: Satisfaction = Satisfaction.COST,
    priority: Sequence[IdT] | None = None,
) -> Election[IdT]:
    """An election from approval ballots, valued by cost or by count (`cardinal` needs points)."""
    if satisfaction is Satisfaction.CARDINAL:
        raise ValueError("cardinal satisfaction needs points; approval ballots have none")
    votes = ((tuple(approved), None) for approved in approvals)
    return election_from_votes(projects, budget, votes, satisfaction, priority)


def scored_election(
    projects: Sequence[Project[IdT]],
    budget: Number,
    scores: Iterable[Mapping[IdT, Number]],
    satisfaction: Satisfaction = Satisfaction.CARDINAL,
    priority: Sequence[IdT] | None = None,
) -> Election[IdT]:
    """An election from ballots with points (cumulative or scoring), valued as chosen."""
    votes = ((tuple(points), tuple(points.values())) for points in scores)
    return election_from_votes(projects, budget, votes, satisfaction, priority)


def lcm_of_denominators(values: Iterable[Number]) -> int:
    """The smallest positive integer that makes every value whole."""
    denominators = {value.denominator for value in values if type(value) is Fraction}
    return math.lcm(*denominators) if denominators else 1
