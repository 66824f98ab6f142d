"""The inputs and results of the allocation rules: projects, ballots as satisfactions, outcomes."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from enum import StrEnum
from fractions import Fraction
from functools import cached_property
from itertools import chain, repeat
from itertools import count as naturals
from operator import mul
from types import MappingProxyType
from typing import Any, Generic, NamedTuple, Protocol, TypeVar, cast

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


_EXACT_TYPES = frozenset((int, Fraction))


class _ProjectFields(NamedTuple, Generic[IdT]):
    id: IdT
    cost: Number


class Project(_ProjectFields[IdT]):
    """Something to fund: an id and what it costs (0 for no extra cost)."""

    __slots__ = ()

    def __new__(cls, id: IdT, cost: Number) -> Project[IdT]:
        if type(cost) not in _EXACT_TYPES:
            raise TypeError(f"project {id!r}: cost must be an int or a Fraction")
        if cost < 0:
            raise ValueError(f"project {id!r}: cost {cost} is negative")
        return cls._make((id, cost))


class Ballot(NamedTuple, Generic[IdT]):
    """One voter's satisfaction per project (absent means 0), standing for `multiplicity` voters.

    The election checks the values (whole or exact fractions, not negative) when it is built.
    """

    satisfaction: Mapping[IdT, Number]
    multiplicity: int = 1


class Election(Generic[IdT]):
    """Projects, a budget and the voters' ballots; `priority` breaks ties (earlier wins).

    Without a priority, ties go to the smaller project id compared as a string, as pabutools'
    `lexico_tie_breaking` does ("10" before "9"). An election does not change once built; building
    it checks everything (ids, costs, budget, every satisfaction) and numbers it for the rules
    (`index`). An election made from votes (`election_from_votes`) keeps them as they came and
    makes its `ballots` only when they are asked for.
    """

    __slots__ = ("_ballots", "_budget", "_index", "_priority", "_projects", "_votes")

    def __init__(
        self,
        projects: Iterable[Project[IdT]],
        budget: Number,
        ballots: Iterable[Ballot[IdT]],
        priority: Iterable[IdT] | None = None,
    ) -> None:
        self._projects = tuple(projects)
        self._budget = _checked_budget(budget)
        self._priority = None if priority is None else tuple(priority)
        self._ballots: tuple[Ballot[IdT], ...] | None = tuple(ballots)
        self._votes: _Votes[IdT] | None = None
        # Building the index checks the ballots; the rules need it anyway.
        self._index = Index.of(self)

    @classmethod
    def _of_votes(
        cls,
        projects: tuple[Project[IdT], ...],
        budget: Number,
        priority: tuple[IdT, ...] | None,
        votes: _Votes[IdT],
        index: Index[IdT],
    ) -> Election[IdT]:
        election: Election[IdT] = cls.__new__(cls)
        election._projects = projects
        election._budget = budget
        election._priority = priority
        election._ballots = None
        election._votes = votes
        election._index = index
        return election

    @property
    def projects(self) -> tuple[Project[IdT], ...]:
        """The projects, in the order given."""
        return self._projects

    @property
    def budget(self) -> Number:
        """The money to spend."""
        return self._budget

    @property
    def priority(self) -> tuple[IdT, ...] | None:
        """The tie-break order (earlier wins), or None for the smaller id as a string."""
        return self._priority

    @property
    def ballots(self) -> tuple[Ballot[IdT], ...]:
        """The ballots; identical votes are one ballot with a multiplicity."""
        if self._ballots is None:
            assert self._votes is not None
            self._ballots = self._votes.ballots()
        return self._ballots

    @property
    def voters(self) -> int:
        """How many voters there are, empty ballots included."""
        return self._index.voters

    @property
    def index(self) -> Index[IdT]:
        """The election compiled for the rules."""
        return self._index

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Election):
            return NotImplemented
        return (self.projects, self.budget, self.ballots, self.priority) == (
            other.projects,
            other.budget,
            other.ballots,
            other.priority,
        )

    __hash__ = None  # type: ignore[assignment]

    def at_budget(self, budget: Number) -> Election[IdT]:
        """The same election with another budget: nothing checked or counted again."""
        election: Election[IdT] = Election.__new__(Election)
        election._projects = self._projects
        election._budget = _checked_budget(budget)
        election._priority = self._priority
        election._ballots = self._ballots
        election._votes = self._votes
        election._index = self._index  # numbered by tie-break order: the budget plays no part
        return election

    def __repr__(self) -> str:
        return (
            f"Election(projects={self.projects!r}, budget={self.budget!r}, "
            f"ballots={self.ballots!r}, priority={self.priority!r})"
        )


def _checked_budget(budget: Number) -> Number:
    if type(budget) not in _EXACT_TYPES:
        raise TypeError("budget must be an int or a Fraction")
    if budget < 0:
        raise ValueError(f"budget {budget} is negative")
    return budget


def _numbered(
    projects: tuple[Project[IdT], ...], priority: tuple[IdT, ...] | None
) -> tuple[list[IdT], dict[IdT, int], dict[IdT, Number]]:
    """The project ids in tie-break order, each id's number in it, and each id's cost."""
    cost = {project.id: project.cost for project in projects}
    if len(cost) != len(projects):
        seen: set[IdT] = set()
        twice = next(p.id for p in projects if p.id in seen or seen.add(p.id))  # type: ignore[func-returns-value]
        raise ValueError(f"project id {twice!r} appears twice")
    if priority is None:
        if set(map(type, cost)) == {str}:
            # The same order as by `str`, without converting every id.
            order = sorted(cost)  # type: ignore[type-var]
        else:
            order = sorted(cost, key=str)
            if len(set(map(str, order))) != len(order):
                raise ValueError("project ids must differ as strings to break ties by them")
    else:
        order = list(priority)
        if len(order) != len(cost) or not cost.keys() == set(order):
            raise ValueError("priority must list every project id exactly once")
    return order, {project_id: rank for rank, project_id in enumerate(order)}, cost


_Tally = tuple[tuple[Number, ...], tuple[int, ...]]


class Columns(NamedTuple):
    """The ballots turned around for equal shares: per project, the voter types that value it.

    A voter type stands for the voters with one ballot of the election (`multiplicity` of them).
    Per project (by number): `supporter_types` lists the types with a positive value for it,
    `supporter_values` those values and `supporter_weights` the voters each type stands for (None
    when one each), in the same order; `single_value` is the value all its supporters give it
    (None when they differ), `total` the sum of values times voters, `supporters` the voters.
    """

    supporter_types: list[list[int]]
    supporter_values: list[list[Number]]
    supporter_weights: list[list[int] | None]
    single_value: list[Number | None]
    total: list[Number]
    supporters: list[int]
    # per voter type: how many voters it stands for, and which of the election's ballots it is
    multiplicity: list[int]
    source: list[int]
    # how many ballots the election has (the types may leave out empty ones)
    ballots: int
    # whether every value is a whole number (int)
    whole_values: bool


def _columns(
    supporter_types: list[list[int]],
    supporter_values: list[list[Number]],
    single_value: list[Number | None] | None,
    multiplicity: list[int],
    source: list[int],
    ballots: int,
    whole_values: bool,
) -> Columns:
    """Columns with the weights, single values and totals worked out (in bulk, per project)."""
    weighted = multiplicity.count(1) != len(multiplicity)
    weight_of = multiplicity.__getitem__
    weights_of: list[list[int] | None] = []
    singles: list[Number | None] = []
    totals: list[Number] = []
    counts: list[int] = []
    for rank, (types, values) in enumerate(zip(supporter_types, supporter_values, strict=True)):
        weights = list(map(weight_of, types)) if weighted else None
        if weights is not None and weights.count(1) == len(weights):
            weights = None
        weights_of.append(weights)
        if single_value is None:
            distinct = set(values)
            single = distinct.pop() if len(distinct) == 1 else None
        else:
            single = single_value[rank] if types else None
        singles.append(single)
        count = len(types) if weights is None else sum(weights)
        counts.append(count)
        if single is not None:
            totals.append(single * count)
        elif weights is None:
            totals.append(sum(values))
        else:
            totals.append(sum(map(mul, values, weights)))
    return Columns(
        supporter_types,
        supporter_values,
        weights_of,
        singles,
        totals,
        counts,
        multiplicity,
        source,
        ballots,
        whole_values,
    )


class Index(Generic[IdT]):
    """The election with projects numbered in tie-break order: a smaller number wins a tie.

    Per project (by number): id, cost, total satisfaction and supporters, and the ballots turned
    around by project (`columns`), which only equal shares needs. An election made from votes
    works out the totals and the columns when first asked for (the totals from the columns when
    those are there already).
    """

    __slots__ = (
        "_columns",
        "_make_columns",
        "_make_tally",
        "_tally",
        "costs",
        "ids",
        "position",
        "voters",
    )

    def __init__(
        self,
        *,
        ids: tuple[IdT, ...],
        costs: tuple[Number, ...],
        position: Mapping[IdT, int],
        voters: int,
        tally: tuple[tuple[Number, ...], tuple[int, ...]] | Callable[[], _Tally],
        columns: Callable[[], Columns],
    ) -> None:
        self.ids = ids
        self.costs = costs
        self.position = position
        self.voters = voters
        if isinstance(tally, tuple):
            self._tally: _Tally | None = tally
            self._make_tally: Callable[[], _Tally] | None = None
        else:
            self._tally = None
            self._make_tally = tally
        self._columns: Columns | None = None
        self._make_columns: Callable[[], Columns] | None = columns

    @property
    def columns(self) -> Columns:
        """The ballots by project (made now if not yet)."""
        if self._columns is None:
            assert self._make_columns is not None
            self._columns = self._make_columns()
            self._make_columns = None
        return self._columns

    @property
    def total_satisfaction(self) -> tuple[Number, ...]:
        """Per project: the sum of every voter's satisfaction with it."""
        return self._totals()[0]

    @property
    def supporters(self) -> tuple[int, ...]:
        """Per project: how many voters have a positive satisfaction with it."""
        return self._totals()[1]

    def _totals(self) -> _Tally:
        if self._tally is None:
            if self._columns is not None:
                self._tally = (tuple(self._columns.total), tuple(self._columns.supporters))
            else:
                assert self._make_tally is not None
                self._tally = self._make_tally()
            self._make_tally = None
        return self._tally

    @staticmethod
    def of(election: Election[IdT]) -> Index[IdT]:
        """Number the projects, check the ballots and add up each project's support."""
        order, position, cost = _numbered(election.projects, election.priority)
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
        whole = Fraction not in kinds
        count = len(order)

        def columns() -> Columns:
            supporter_types: list[list[int]] = [[] for _ in range(count)]
            supporter_values: list[list[Number]] = [[] for _ in range(count)]
            for voter_type, (ranks, values) in enumerate(
                zip(ranks_per_ballot, values_per_ballot, strict=True)
            ):
                for rank, value in zip(ranks, values, strict=True):
                    supporter_types[rank].append(voter_type)
                    supporter_values[rank].append(value)
            return _columns(
                supporter_types,
                supporter_values,
                None,
                multiplicities,
                sources,
                len(ballots),
                whole,
            )

        return Index(
            ids=tuple(order),
            costs=tuple(cost[project_id] for project_id in order),
            position=position,
            voters=voters,
            tally=(tuple(total), tuple(supporters)),
            columns=columns,
        )


class ProjectOutcome(NamedTuple, Generic[IdT]):
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
        index.ids[rank],
        index.costs[rank],
        index.total_satisfaction[rank],
        index.supporters[rank],
        selected,
        verdict,
        **details,
    )


class EqualSharesRun(NamedTuple):
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


class Comparison(NamedTuple):
    """The comparison step of equal shares with the greedy outcome (`completion.py`): how many
    voters prefer each (the others like both alike), counted by the number of their projects
    funded (`measure` "projects") or by their satisfaction ("satisfaction"), and whether the
    greedy outcome was taken (more voters prefer it)."""

    prefer_equal_shares: int
    prefer_greedy: int
    measure: str
    switched: bool


class _AllocationFields(NamedTuple, Generic[IdT]):
    rule: str
    budget: Number
    selected: tuple[IdT, ...]
    outcomes: tuple[ProjectOutcome[IdT], ...]
    equal_shares: EqualSharesRun | None = None
    comparison: Comparison | None = None


class Allocation(_AllocationFields[IdT]):
    """A rule's result: the selection in the order it was made, and every project explained."""

    # No __slots__ here: an allocation keeps its outcomes by id in its __dict__, made on first
    # use (many callers only look at the selection).
    @cached_property
    def _by_id(self) -> Mapping[IdT, ProjectOutcome[IdT]]:
        return MappingProxyType({o.project_id: o for o in self.outcomes})

    @property
    def total_cost(self) -> Number:
        """What the selection costs."""
        by_id = self._by_id
        return sum((by_id[p].cost for p in self.selected), start=0)

    @property
    def left(self) -> Number:
        """The budget not spent."""
        return self.budget - self.total_cost

    @property
    def welfare(self) -> Number:
        """The total satisfaction of the selection (the sum of its projects' totals)."""
        by_id = self._by_id
        return sum((by_id[p].total_satisfaction for p in self.selected), start=0)

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

    Identical votes become one ballot with a multiplicity; the outcome is the same. Votes as a
    Pabulib file has them (each project at most once, exact points above zero, all with points
    or all without) are counted straight away and the ballots made only when asked for; any
    other votes go through the ballots, which check them and say what is wrong.
    """
    projects = tuple(projects)
    order = None if priority is None else tuple(priority)
    votes = list(votes)
    election = _counted(projects, budget, votes, satisfaction, order)
    if election is not None:
        return election
    cost = {project.id: project.cost for project in projects}
    ballots = tuple(
        Ballot(_valued(ids, points, cost, satisfaction), multiplicity)
        for (ids, points), multiplicity in Counter(votes).items()
    )
    return Election(projects, budget, ballots, order)


def election_from_columns(
    projects: Sequence[Project[IdT]],
    budget: Number,
    columns: VoteColumnsLike[IdT],
    satisfaction: Satisfaction,
    priority: Sequence[IdT] | None = None,
) -> Election[IdT]:
    """An election from votes kept as columns, as a Pabulib file is read: every vote's project
    ids one after the other (each at most once per vote), how many per vote, and their points
    likewise (None for approval votes; whole numbers).

    The totals come straight from the columns; the votes one by one are made only for the
    ballots or for equal shares. Points that are not all above zero (a zero is no support) go
    through `election_from_votes`.
    """
    points = columns.flat_points
    if points is not None and points and min(points) <= 0:
        return election_from_votes(projects, budget, columns.per_vote(), satisfaction, priority)
    if satisfaction is Satisfaction.CARDINAL and points is None:
        raise ValueError("cardinal satisfaction needs points; approval ballots have none")
    projects = tuple(projects)
    budget = _checked_budget(budget)
    order_given = None if priority is None else tuple(priority)
    order, position, cost = _numbered(projects, order_given)
    try:
        flat_ranks = list(map(position.__getitem__, columns.flat_projects))
    except KeyError as error:
        raise ValueError(f"a vote names unknown project {error.args[0]!r}") from None
    costs = [cost[project_id] for project_id in order]
    with_points = points is not None and satisfaction is not Satisfaction.CARDINALITY
    whole = satisfaction is not Satisfaction.COST or all(type(c) is int for c in costs)
    tally: _Tally | Callable[[], _Tally]
    if with_points:
        assert points is not None
        source = _Votes(
            columns.per_vote,
            False,
            flat_ranks,
            list(points),
            order,
            costs,
            position,
            satisfaction,
            with_points=True,
            whole=whole,
        )
        tally = source.tally
    else:
        counted = Counter(flat_ranks)
        counts = [counted.get(rank, 0) for rank in range(len(order))]
        if satisfaction is Satisfaction.CARDINALITY:
            tally = (tuple(counts), tuple(counts))
        else:
            # Valued by cost, a project that costs nothing is worth nothing: no supporters.
            tally = (
                tuple(map(mul, counts, costs)),
                tuple(n if c else 0 for n, c in zip(counts, costs, strict=True)),
            )
        source = _Votes(
            columns.per_vote,
            False,
            [],
            [],
            order,
            costs,
            position,
            satisfaction,
            with_points=False,
            whole=whole,
        )
    index = Index(
        ids=tuple(order),
        costs=tuple(costs),
        position=position,
        voters=len(columns.lengths),
        tally=tally,
        columns=source.columns,
    )
    return Election._of_votes(projects, budget, order_given, source, index)


class VoteColumnsLike(Protocol[IdT]):
    """Votes as columns (what `election_from_columns` reads), e.g. a Pabulib file's."""

    @property
    def flat_projects(self) -> Sequence[IdT]: ...

    @property
    def lengths(self) -> Sequence[int]: ...

    @property
    def flat_points(self) -> Sequence[int] | None: ...

    def per_vote(self) -> list[Vote[IdT]]: ...


class _Votes(Generic[IdT]):
    """Clean votes as they came: counted, turned around by project or into ballots when needed.

    Every project named is one of the election's; votes with points (`with_points`: valued by
    points or points times cost) name each project at most once and give it exact points above
    zero. Without points, a project named twice on a vote counts once, as in its ballot.
    """

    __slots__ = (
        "costs",
        "flat_points",
        "flat_ranks",
        "ids",
        "position",
        "repeats",
        "satisfaction",
        "votes",
        "whole",
        "with_points",
    )

    def __init__(
        self,
        votes: list[Vote[IdT]] | Callable[[], list[Vote[IdT]]],
        repeats: bool,
        flat_ranks: list[int],
        flat_points: list[Number],
        ids: list[IdT],
        costs: list[Number],
        position: Mapping[IdT, int],
        satisfaction: Satisfaction,
        *,
        with_points: bool,
        whole: bool,
    ) -> None:
        # the votes, or how to make them when first needed (for the ballots or the columns)
        self.votes = votes
        # whether some vote names a project twice
        self.repeats = repeats
        # all points one after the other (when they count), with their projects' numbers
        self.flat_ranks = flat_ranks
        self.flat_points = flat_points
        self.ids = ids
        self.costs = costs
        self.position = position
        self.satisfaction = satisfaction
        self.with_points = with_points
        self.whole = whole

    def all_votes(self) -> list[Vote[IdT]]:
        """The votes, one per voter, in the order they came."""
        if callable(self.votes):
            self.votes = self.votes()
        return self.votes

    def ballots(self) -> tuple[Ballot[IdT], ...]:
        """One ballot per distinct vote, in the order the votes first came."""
        cost = dict(zip(self.ids, self.costs, strict=True))
        satisfaction = self.satisfaction
        return tuple(
            Ballot(_valued(ids, points, cost, satisfaction), multiplicity)
            for (ids, points), multiplicity in Counter(self.all_votes()).items()
        )

    def tally(self) -> _Tally:
        """Per project: total satisfaction and supporters, added up over votes with points."""
        costs = self.costs
        # Each project's points gathered by its number (as `columns` gathers them), then added up.
        points: list[list[Number]] = [[] for _ in costs]
        add = [values.append for values in points]
        for rank, value in zip(self.flat_ranks, self.flat_points, strict=True):
            add[rank](value)
        sums: list[Number] = list(map(sum, points))
        counts = list(map(len, points))
        if self.satisfaction is Satisfaction.CARDINAL:
            return tuple(sums), tuple(counts)
        # Points times cost; a project that costs nothing is worth nothing: no supporters.
        return (
            tuple(map(mul, sums, costs)),
            tuple(n if c else 0 for n, c in zip(counts, costs, strict=True)),
        )

    def columns(self) -> Columns:
        """The ballots by project, straight from the votes: one voter type per distinct vote."""
        distinct = Counter(self.all_votes())
        count = len(self.costs)
        rank_of = self.position.__getitem__
        supporter_types: list[list[int]] = [[] for _ in range(count)]
        add = [supporters.append for supporters in supporter_types]
        supporter_values: list[list[Number]]
        single_value: list[Number | None] | None
        satisfaction = self.satisfaction
        if not self.with_points:
            # Every supporter of a project values it alike: 1, or its cost. A project named
            # twice on a vote counts once, as in its ballot.
            named = [ids for ids, _ in distinct]
            if self.repeats:
                named = [tuple(dict.fromkeys(ids)) for ids in named]
            ranks = map(rank_of, chain.from_iterable(named))
            voter_types = chain.from_iterable(map(repeat, naturals(), map(len, named)))
            for rank, voter_type in zip(ranks, voter_types, strict=True):
                add[rank](voter_type)
            alike: list[Number] = (
                [1] * count if satisfaction is Satisfaction.CARDINALITY else list(self.costs)
            )
            supporter_values = [
                [value] * len(types) for types, value in zip(supporter_types, alike, strict=True)
            ]
            single_value = list(alike)
        else:
            single_value = None
            supporter_values = [[] for _ in range(count)]
            add_value = [values.append for values in supporter_values]
            named = [ids for ids, _ in distinct]
            ranks = map(rank_of, chain.from_iterable(named))
            voter_types = chain.from_iterable(map(repeat, naturals(), map(len, named)))
            values = chain.from_iterable(points for _, points in distinct)  # type: ignore[misc]
            for rank, voter_type, value in zip(ranks, voter_types, values, strict=True):
                add[rank](voter_type)
                add_value[rank](value)
            if satisfaction is Satisfaction.COST:
                supporter_values = [
                    list(map(mul, values, repeat(cost)))
                    for values, cost in zip(supporter_values, self.costs, strict=True)
                ]
        if satisfaction is Satisfaction.COST:
            # Valued by cost, a project that costs nothing is worth nothing: no supporters.
            for rank, cost in enumerate(self.costs):
                if cost == 0:
                    supporter_types[rank] = []
                    supporter_values[rank] = []
        multiplicity = list(distinct.values())
        return _columns(
            supporter_types,
            supporter_values,
            single_value,
            multiplicity,
            list(range(len(multiplicity))),
            len(multiplicity),
            self.whole,
        )


def _counted(
    projects: tuple[Project[IdT], ...],
    budget: Number,
    votes: list[Vote[IdT]],
    satisfaction: Satisfaction,
    priority: tuple[IdT, ...] | None,
) -> Election[IdT] | None:
    """The election from clean votes, checked in bulk; None when the votes need a closer look.

    Without points the supporters are counted now; with points, the totals and (for either)
    the ballots by project are worked out when first asked for.
    """
    budget = _checked_budget(budget)
    order, position, cost = _numbered(projects, priority)
    ids_column = [ids for ids, _ in votes]
    points_column = [points for _, points in votes]
    approvals = points_column.count(None)
    if 0 < approvals < len(votes):
        return None
    with_points = approvals == 0 and len(votes) > 0 and satisfaction is not Satisfaction.CARDINALITY
    if satisfaction is Satisfaction.CARDINAL and not with_points:
        return None  # points needed
    costs = [cost[project_id] for project_id in order]
    whole = satisfaction is not Satisfaction.COST or all(type(c) is int for c in costs)
    sets = list(map(frozenset, ids_column))
    repeats = sum(map(len, ids_column)) != sum(map(len, sets))
    flat: list[Number] = []
    flat_ranks: list[int] = []
    tally: _Tally | Callable[[], _Tally]
    if not with_points:
        # Each project on a vote counts once, as in its ballot (`dict.fromkeys`).
        counted = Counter(chain.from_iterable(sets))
        if not counted.keys() <= position.keys():
            return None  # an unknown project
        counts = [counted.get(project_id, 0) for project_id in order]
        if satisfaction is Satisfaction.CARDINALITY:
            tally = (tuple(counts), tuple(counts))
        else:
            # Valued by cost, a project that costs nothing is worth nothing: no supporters.
            tally = (
                tuple(map(mul, counts, costs)),
                tuple(n if c else 0 for n, c in zip(counts, costs, strict=True)),
            )
    else:
        if repeats:
            return None  # a project twice on one vote: which points count?
        try:
            flat_ranks = list(map(position.__getitem__, chain.from_iterable(ids_column)))
        except KeyError:
            return None  # an unknown project
        given = cast(list[tuple[Number, ...]], points_column)
        if list(map(len, ids_column)) != list(map(len, given)):
            return None
        flat = list(chain.from_iterable(given))
        kinds = set(map(type, flat))
        if not kinds <= _EXACT_TYPES or (flat and min(flat) <= 0):
            return None
        whole = whole and Fraction not in kinds
    source = _Votes(
        votes,
        repeats,
        flat_ranks,
        flat,
        order,
        costs,
        position,
        satisfaction,
        with_points=with_points,
        whole=whole,
    )
    index = Index(
        ids=tuple(order),
        costs=tuple(costs),
        position=position,
        voters=len(votes),
        tally=source.tally if with_points else tally,
        columns=source.columns,
    )
    return Election._of_votes(projects, budget, priority, source, index)


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
