"""The Waardenzeef arithmetic: from weights and scores to a ranked, selected bewonersplan.

Notation as in the product description: effects `e`, measures `m` with cost `c_m`, participants
`p`, budget `B`.

- Effect weights `w_pe >= 0`, summing to 1, are a participant's Wegen points divided by their
  total. Points are given to the desired (top-level) effects; a measure linked to a sub-effect is
  rated on it with the weight of the desired effect it belongs to.
- A participant's value of a measure is `v_pm = sum_e w_pe * s_pme` over the effects the measure
  is linked to, with the Zeven scores `s_pme` in 0..3. A participant rates a measure on all its
  effects or skips it; a skipped measure has no `v_pm` (it does not count as 0).
- The weighted contribution `V_m` is the mean of `v_pm` over the participants who rated `m`.
  Participants who rated measures but did not weigh get the group's mean weights (the mean of
  everyone's weights; equal weights if nobody weighed); `stand_in_weights=False` leaves them out.
- The spread of `v_pm` is the population standard deviation (the opinions of the people in the
  room, not an estimate for a wider population) and the inter-quartile range with quartiles by
  linear interpolation between order statistics (type 7 of Hyndman and Fan; the default of R,
  NumPy and spreadsheet QUARTILE.INC). The measures with the largest spread are the discussion
  list.
- Ranking by `V_m` descending (the default) or by value per euro `V_m / c_m`, where a measure with
  no extra cost ("regulier": cost 0 or None) never divides by zero and is listed first as
  "no cost". Ties: the higher `V_m`, then the lower cost, then the measure id (whole numbers
  before text, in natural order). Measures nobody rated come last.
- Selection, all on the same ballots: greedy down the ranking, skipping what no longer fits;
  optimal (the largest total `V_m` within `B`, exact); equal shares on the participants' own
  `v_pm`, or on the Kiezen packages as approval ballots (each package valued at its cost, as
  equalshares.net does), both with the "add one" completion and then greedy (or "add one"
  alone, or with the comparison step of Wieliczka 2023 after it: `select(completion=...)`,
  `app/domain/allocation/completion.py`). Ties inside the general rules follow the ranking.
- Measures nobody valued: one policy for every rule. A measure that nobody valued above zero in
  what the rule counts (the Zeven values `v_pm` for greedy, optimal and equal shares on the
  values; the Kiezen packages for equal shares on the packages) is never selected, whatever money
  is left: the rules run on the valued measures only, and the money stays in the budget. (The
  general rules, like pabutools, would otherwise fill leftover money with such measures.)
- Money per desired effect: a selected measure's cost is split over the effects it is linked to
  in proportion to its mean scores on them (among those who rated it), evenly when those are all
  0. A desired effect's total includes what goes to its sub-effects.

All numbers that decide an order are exact fractions; the standard deviation is reported as a
float but ordered by the exact variance.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import TypeAlias

from app.domain.allocation import (
    Allocation,
    Ballot,
    Completion,
    Election,
    Project,
    ProjectOutcome,
    Satisfaction,
    Verdict,
    approval_election,
    equal_shares_completed,
    greedy,
    optimal,
)
from app.domain.vocabulary import StakeholderGroup

Id: TypeAlias = int | str
Number: TypeAlias = int | Fraction

SCORES = range(4)


@dataclass(frozen=True)
class Effect:
    """A desired effect, or a sub-effect of one (with `parent_id`)."""

    id: Id
    title: str = ""
    parent_id: Id | None = None


@dataclass(frozen=True)
class Measure:
    """A measure on the menu: its binding cost (None or 0: no extra cost) and its effects."""

    id: Id
    title: str
    cost: int | None
    effect_ids: tuple[Id, ...]
    group: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "effect_ids", tuple(self.effect_ids))
        if self.cost is not None and self.cost < 0:
            raise ValueError(f"measure {self.id!r}: cost {self.cost} is negative")
        if not self.effect_ids:
            raise ValueError(f"measure {self.id!r} is linked to no effect")
        if len(set(self.effect_ids)) != len(self.effect_ids):
            raise ValueError(f"measure {self.id!r} is linked to an effect twice")

    @property
    def no_cost(self) -> bool:
        """Whether it costs nothing extra ("regulier")."""
        return not self.cost

    @property
    def binding_cost(self) -> int:
        """What it takes from the budget."""
        return self.cost or 0


@dataclass(frozen=True)
class Participant:
    """Someone taking part, with their stakeholder group when known."""

    id: Id
    group: StakeholderGroup | None = None


@dataclass(frozen=True)
class WeightBallot:
    """Wegen: points per desired effect (normally 100 in total)."""

    participant_id: Id
    points: Mapping[Id, int]

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", MappingProxyType(dict(self.points)))


@dataclass(frozen=True)
class ScoreBallot:
    """Zeven: a score 0..3 per (measure, linked effect); measures left out are skipped."""

    participant_id: Id
    scores: Mapping[tuple[Id, Id], int]

    def __post_init__(self) -> None:
        object.__setattr__(self, "scores", MappingProxyType(dict(self.scores)))


@dataclass(frozen=True)
class PackageBallot:
    """Kiezen: the measures a participant put in their package."""

    participant_id: Id
    measure_ids: tuple[Id, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "measure_ids", tuple(self.measure_ids))
        if len(set(self.measure_ids)) != len(self.measure_ids):
            raise ValueError(f"participant {self.participant_id!r}: a measure chosen twice")


@dataclass(frozen=True)
class Sieve:
    """Everything the arithmetic needs: the menu, the budget and the ballots of the rounds."""

    effects: tuple[Effect, ...]
    measures: tuple[Measure, ...]
    budget: Number
    participants: tuple[Participant, ...] = ()
    weights: tuple[WeightBallot, ...] = ()
    scores: tuple[ScoreBallot, ...] = ()
    packages: tuple[PackageBallot, ...] = ()

    def __post_init__(self) -> None:
        for name in ("effects", "measures", "participants", "weights", "scores", "packages"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.budget < 0:
            raise ValueError(f"budget {self.budget} is negative")
        effects = {e.id: e for e in self.effects}
        measures = {m.id: m for m in self.measures}
        for what, unique, items in (
            ("effects", effects, self.effects),
            ("measures", measures, self.measures),
            ("participants", {p.id for p in self.participants}, self.participants),
        ):
            if len(unique) != len(items):
                raise ValueError(f"two {what} share an id")
        for effect in self.effects:
            if effect.parent_id is not None and effect.parent_id not in effects:
                raise ValueError(f"effect {effect.id!r}: unknown parent {effect.parent_id!r}")
        for measure in self.measures:
            for effect_id in measure.effect_ids:
                if effect_id not in effects:
                    raise ValueError(f"measure {measure.id!r}: unknown effect {effect_id!r}")
        for kind, ballots in (
            ("weights", self.weights),
            ("scores", self.scores),
            ("packages", self.packages),
        ):
            ids = [b.participant_id for b in ballots]
            if len(set(ids)) != len(ids):
                raise ValueError(f"a participant has two {kind} ballots")
        for ballot in self.weights:
            for effect_id, points in ballot.points.items():
                if effect_id not in effects or effects[effect_id].parent_id is not None:
                    raise ValueError(
                        f"participant {ballot.participant_id!r}: points for {effect_id!r}, "
                        "which is not a desired effect"
                    )
                if not isinstance(points, int) or points < 0:
                    raise ValueError(f"participant {ballot.participant_id!r}: points {points!r}")
            if sum(ballot.points.values()) == 0:
                raise ValueError(f"participant {ballot.participant_id!r} gave no points at all")
        for score_ballot in self.scores:
            rated: dict[Id, set[Id]] = {}
            for (measure_id, effect_id), score in score_ballot.scores.items():
                who = f"participant {score_ballot.participant_id!r}"
                if measure_id not in measures:
                    raise ValueError(f"{who}: unknown measure {measure_id!r}")
                if effect_id not in measures[measure_id].effect_ids:
                    raise ValueError(
                        f"{who}: measure {measure_id!r} is not linked to {effect_id!r}"
                    )
                if score not in SCORES:
                    raise ValueError(f"{who}: score {score!r} is not 0, 1, 2 or 3")
                rated.setdefault(measure_id, set()).add(effect_id)
            for measure_id, done in rated.items():
                if done != set(measures[measure_id].effect_ids):
                    raise ValueError(
                        f"participant {score_ballot.participant_id!r} rated measure "
                        f"{measure_id!r} on some of its effects only"
                    )
        for package in self.packages:
            for measure_id in package.measure_ids:
                if measure_id not in measures:
                    raise ValueError(
                        f"participant {package.participant_id!r}: unknown measure {measure_id!r}"
                    )

    def effect(self, effect_id: Id) -> Effect:
        """The effect with this id."""
        return next(e for e in self.effects if e.id == effect_id)

    def measure(self, measure_id: Id) -> Measure:
        """The measure with this id."""
        return next(m for m in self.measures if m.id == measure_id)

    @property
    def desired_effects(self) -> tuple[Effect, ...]:
        """The effects that are weighed (those without a parent)."""
        return tuple(e for e in self.effects if e.parent_id is None)

    def group_of(self, participant_id: Id) -> StakeholderGroup | None:
        """A participant's stakeholder group, when known."""
        return next((p.group for p in self.participants if p.id == participant_id), None)


def id_order(value: Id) -> tuple[int, int, str]:
    """Sort key for ids: whole numbers first in numeric order, then text."""
    if isinstance(value, int):
        return (0, value, "")
    return (1, 0, value)


# --- weights and values ---------------------------------------------------------------------


def effect_weights(sieve: Sieve) -> dict[Id, dict[Id, Fraction]]:
    """Each weighing participant's `w_pe`: their points divided by their total (exact)."""
    weights: dict[Id, dict[Id, Fraction]] = {}
    for ballot in sieve.weights:
        total = sum(ballot.points.values())
        weights[ballot.participant_id] = {
            e.id: Fraction(ballot.points.get(e.id, 0), total) for e in sieve.desired_effects
        }
    return weights


def mean_weights(sieve: Sieve, participants: Iterable[Id] | None = None) -> dict[Id, Fraction]:
    """The mean of the weights of these participants (all who weighed by default).

    With nobody to average, every desired effect weighs the same.
    """
    weights = effect_weights(sieve)
    chosen = list(weights) if participants is None else [p for p in participants if p in weights]
    effects = sieve.desired_effects
    if not chosen:
        return {e.id: Fraction(1, len(effects)) for e in effects} if effects else {}
    return {
        e.id: sum((weights[p][e.id] for p in chosen), Fraction(0)) / len(chosen) for e in effects
    }


def _desired_effect_of(sieve: Sieve) -> dict[Id, Id]:
    parents = {e.id: e.parent_id for e in sieve.effects}
    top: dict[Id, Id] = {}
    for effect_id in parents:
        current = effect_id
        seen = {current}
        while parents[current] is not None:
            parent = parents[current]
            assert parent is not None
            current = parent
            if current in seen:
                raise ValueError(f"effect {effect_id!r} is its own ancestor")
            seen.add(current)
        top[effect_id] = current
    return top


def _over_common_denominator(weights: Mapping[Id, Fraction]) -> tuple[dict[Id, int], int]:
    """Weights as whole numbers over their least common denominator: `w_e = n_e / d`."""
    denominator = math.lcm(*(Fraction(w).denominator for w in weights.values()))
    return {
        e: Fraction(w).numerator * (denominator // Fraction(w).denominator)
        for e, w in weights.items()
    }, denominator


@dataclass(frozen=True)
class Values:
    """Every counted participant's `v_pm`, and whose weights were used."""

    by_participant: Mapping[Id, Mapping[Id, Fraction]]
    own_weights: tuple[Id, ...]
    stand_in_weights: tuple[Id, ...]
    left_out: tuple[Id, ...]
    weights_used: Mapping[Id, Mapping[Id, Fraction]]


def participant_values(
    sieve: Sieve,
    *,
    stand_in_weights: bool = True,
    weights_override: Mapping[Id, Fraction] | None = None,
) -> Values:
    """`v_pm = sum_e w_pe * s_pme` for every participant who rated, for the measures they rated.

    `weights_override` puts the same weights in everyone's place (used by the sensitivity
    analysis: "what if everyone weighed like this group").
    """
    own = effect_weights(sieve)
    stand_in = mean_weights(sieve)
    top = _desired_effect_of(sieve)
    values: dict[Id, dict[Id, Fraction]] = {}
    used: dict[Id, Mapping[Id, Fraction]] = {}
    with_own: list[Id] = []
    with_stand_in: list[Id] = []
    left_out: list[Id] = []
    whole: dict[int, tuple[dict[Id, int], int]] = {}
    for ballot in sieve.scores:
        participant = ballot.participant_id
        if weights_override is not None:
            weights: Mapping[Id, Fraction] = weights_override
        elif participant in own:
            weights = own[participant]
            with_own.append(participant)
        elif stand_in_weights:
            weights = stand_in
            with_stand_in.append(participant)
        else:
            left_out.append(participant)
            continue
        if weights_override is not None:
            (with_own if participant in own else with_stand_in).append(participant)
        # In whole numbers over the weights' common denominator, one fraction per measure at
        # the end: the same exact values, without a Fraction operation per score.
        key = id(weights)
        if key not in whole:
            whole[key] = _over_common_denominator(weights)
        numerators, denominator = whole[key]
        sums: dict[Id, int] = {}
        for (measure_id, effect_id), score in ballot.scores.items():
            sums[measure_id] = sums.get(measure_id, 0) + numerators.get(top[effect_id], 0) * score
        # Every rated measure is rated on all its effects (checked), so `mine` is complete.
        values[participant] = {m: Fraction(n, denominator) for m, n in sums.items()}
        used[participant] = MappingProxyType(dict(weights))
    return Values(
        by_participant=MappingProxyType({p: MappingProxyType(v) for p, v in values.items()}),
        own_weights=tuple(with_own),
        stand_in_weights=tuple(with_stand_in),
        left_out=tuple(left_out),
        weights_used=MappingProxyType(used),
    )


# --- contributions and spread --------------------------------------------------------------


@dataclass(frozen=True)
class GroupContribution:
    """A stakeholder group's view of a measure: how many rated it, their mean `v_pm`, packages."""

    rated_by: int
    weighted_contribution: Fraction | None
    in_packages: int


@dataclass(frozen=True)
class Contribution:
    """A measure's weighted contribution `V_m`, its spread, and who rated or skipped it."""

    measure_id: Id
    weighted_contribution: Fraction
    rated_by: int
    skipped_by: int
    variance: Fraction
    standard_deviation: float
    lower_quartile: Fraction
    median: Fraction
    upper_quartile: Fraction
    mean_scores: Mapping[Id, Fraction]
    by_group: Mapping[StakeholderGroup | None, GroupContribution]
    in_packages: int

    @property
    def interquartile_range(self) -> Fraction:
        """Upper minus lower quartile."""
        return self.upper_quartile - self.lower_quartile

    @property
    def rated(self) -> bool:
        """Whether anyone rated it."""
        return self.rated_by > 0


def quantile(ordered: Sequence[Fraction], p: Fraction) -> Fraction:
    """The p-quantile of sorted values by linear interpolation (type 7), exact."""
    if not ordered:
        return Fraction(0)
    h = (len(ordered) - 1) * p
    low = math.floor(h)
    if low + 1 >= len(ordered):
        return ordered[-1]
    return ordered[low] + (h - low) * (ordered[low + 1] - ordered[low])


def contributions(sieve: Sieve, values: Values) -> tuple[Contribution, ...]:
    """`V_m` with its spread for every measure, in menu order."""
    counted = list(values.by_participant)
    group_of = {p.id: p.group for p in sieve.participants}
    scores_of = {b.participant_id: b.scores for b in sieve.scores}
    packages_by_measure: dict[Id, list[Id]] = {}
    for package in sieve.packages:
        for measure_id in package.measure_ids:
            packages_by_measure.setdefault(measure_id, []).append(package.participant_id)
    result = []
    for measure in sieve.measures:
        raters = [p for p in counted if measure.id in values.by_participant[p]]
        ratings = [values.by_participant[p][measure.id] for p in raters]
        n = len(ratings)
        # Exact, in whole numbers: every rating is `whole[i] / d` over the ratings' common
        # denominator d, so the mean is sum / (n d) and the variance (the mean squared distance
        # from the mean) sum((n whole[i] - sum)^2) / (n^3 d^2); the same fractions as summing
        # the ratings as fractions, some 20 times faster for 500 ratings.
        d = math.lcm(*(v.denominator for v in ratings)) if n else 1
        whole = [v.numerator * (d // v.denominator) for v in ratings]
        total = sum(whole)
        mean = Fraction(total, n * d) if n else Fraction(0)
        variance = (
            Fraction(sum((n * w - total) ** 2 for w in whole), n**3 * d**2) if n else Fraction(0)
        )
        ordered = [ratings[i] for i in sorted(range(n), key=whole.__getitem__)]
        mean_scores = {
            e: (
                Fraction(sum(scores_of[p][(measure.id, e)] for p in raters), n)
                if n
                else Fraction(0)
            )
            for e in measure.effect_ids
        }
        groups: dict[StakeholderGroup | None, list[int]] = {}
        for participant, rating in zip(raters, whole, strict=True):
            groups.setdefault(group_of.get(participant), []).append(rating)
        choosers = packages_by_measure.get(measure.id, [])
        in_packages: dict[StakeholderGroup | None, int] = {}
        for participant in choosers:
            key = group_of.get(participant)
            in_packages[key] = in_packages.get(key, 0) + 1
        by_group = {
            key: GroupContribution(
                rated_by=len(groups.get(key, [])),
                weighted_contribution=(
                    Fraction(sum(groups[key]), len(groups[key]) * d) if groups.get(key) else None
                ),
                in_packages=in_packages.get(key, 0),
            )
            for key in sorted(
                set(groups) | set(in_packages), key=lambda g: (g is None, str(g or ""))
            )
        }
        result.append(
            Contribution(
                measure_id=measure.id,
                weighted_contribution=mean,
                rated_by=n,
                skipped_by=len(counted) - n,
                variance=variance,
                standard_deviation=math.sqrt(variance),
                lower_quartile=quantile(ordered, Fraction(1, 4)),
                median=quantile(ordered, Fraction(1, 2)),
                upper_quartile=quantile(ordered, Fraction(3, 4)),
                mean_scores=MappingProxyType(mean_scores),
                by_group=MappingProxyType(by_group),
                in_packages=len(choosers),
            )
        )
    return tuple(result)


def discussion_list(sieve: Sieve, found: Sequence[Contribution], size: int = 5) -> tuple[Id, ...]:
    """The measures where opinions split most: largest variance, then inter-quartile range.

    Only measures rated by at least two participants with some spread qualify; ties follow the
    ranking by contribution.
    """
    order = {r.measure_id: r.rank for r in rank(sieve, found)}
    candidates = [c for c in found if c.rated_by >= 2 and c.variance > 0]
    candidates.sort(key=lambda c: (-c.variance, -c.interquartile_range, order[c.measure_id]))
    return tuple(c.measure_id for c in candidates[:size])


# --- ranking ---------------------------------------------------------------------------------


class RankBy(StrEnum):
    """How measures are ranked."""

    CONTRIBUTION = "contribution"
    VALUE_PER_EURO = "value_per_euro"


@dataclass(frozen=True)
class RankedMeasure:
    """A measure's place in the ranking; `value_per_euro` is None for a measure with no cost."""

    rank: int
    measure_id: Id
    weighted_contribution: Fraction
    cost: int | None
    no_cost: bool
    value_per_euro: Fraction | None
    rated: bool


def rank(
    sieve: Sieve, found: Sequence[Contribution], by: RankBy = RankBy.CONTRIBUTION
) -> tuple[RankedMeasure, ...]:
    """The measures in ranking order, with the tie-break of the module description."""
    contribution = {c.measure_id: c for c in found}

    def key(measure: Measure) -> tuple[object, ...]:
        c = contribution[measure.id]
        common = (-c.weighted_contribution, measure.binding_cost, id_order(measure.id))
        if by is RankBy.CONTRIBUTION:
            return (not c.rated, *common)
        if not c.rated:
            return (2, Fraction(0), *common)
        if measure.no_cost:
            return (0, Fraction(0), *common)
        return (1, -c.weighted_contribution / measure.binding_cost, *common)

    ordered = sorted(sieve.measures, key=key)
    return tuple(
        RankedMeasure(
            rank=position,
            measure_id=m.id,
            weighted_contribution=contribution[m.id].weighted_contribution,
            cost=m.cost,
            no_cost=m.no_cost,
            value_per_euro=(
                None if m.no_cost else contribution[m.id].weighted_contribution / m.binding_cost
            ),
            rated=contribution[m.id].rated,
        )
        for position, m in enumerate(ordered, start=1)
    )


# --- selection -------------------------------------------------------------------------------


class Rule(StrEnum):
    """The selection rules offered side by side.

    Every rule follows the same policy for measures nobody valued (see the module description):
    they are never selected, also when money is left, and that money stays in the budget.
    """

    # Down the ranking, taking each measure that still fits; a measure with V_m = 0 is not taken.
    GREEDY = "greedy"
    # The largest total V_m within the budget; a measure with V_m = 0 adds nothing and is not taken.
    OPTIMAL = "optimal"
    # Equal shares on the values v_pm, add one, then greedy for what is left; the greedy step
    # does not fill leftover money with measures nobody valued (V_m = 0), as pabutools' would.
    EQUAL_SHARES = "equal_shares"
    # Equal shares on the Kiezen packages, add one, then greedy; a measure in no package is not
    # taken, not even one that costs nothing.
    EQUAL_SHARES_PACKAGES = "equal_shares_packages"


@dataclass(frozen=True)
class MeasureInPlan:
    """One line of the bewonersplan: the measure, its ranking and spread, and why it is in or out.

    `outcome` is the general rule's explanation (verdict, money left at its turn, shortfall,
    budget needed, supporters' money...); `money_per_effect` is how its cost is split over its
    effects when it is selected.
    """

    measure: Measure
    rank: int
    contribution: Contribution
    value_per_euro: Fraction | None
    selected: bool
    position: int | None
    verdict: Verdict
    outcome: ProjectOutcome[Id]
    money_per_effect: Mapping[Id, Fraction]
    in_discussion_list: bool


@dataclass(frozen=True)
class EffectMoney:
    """The selection's money for an effect: on the effect itself, and with its sub-effects.

    `money` adds up to what the selection spends over all effects; `total` also counts what goes
    to the effect's sub-effects, which is what a desired effect receives in all.
    """

    effect: Effect
    money: Fraction
    total: Fraction
    measure_ids: tuple[Id, ...]


@dataclass(frozen=True)
class Turnout:
    """How many took part in each round, and whose weights counted, per stakeholder group."""

    weighed: int
    rated: int
    chose: int
    own_weights: int
    stand_in_weights: int
    left_out: int
    by_group: Mapping[StakeholderGroup | None, tuple[int, int, int]]


@dataclass(frozen=True)
class Plan:
    """The bewonersplan: the ranked measures, the selection, the ledger and money per effect."""

    rule: Rule
    ranked_by: RankBy
    budget: Number
    measures: tuple[MeasureInPlan, ...]
    selected: tuple[Id, ...]
    money_per_effect: tuple[EffectMoney, ...]
    discussion: tuple[Id, ...]
    turnout: Turnout
    allocation: Allocation[Id]
    # What the rule ran on, for explaining it again at other budgets (see `reasons`).
    ranking: tuple[RankedMeasure, ...] = field(default=(), repr=False, compare=False)
    contributions: tuple[Contribution, ...] = field(default=(), repr=False, compare=False)
    values: Values | None = field(default=None, repr=False, compare=False)
    completion: bool | Completion = True
    package_satisfaction: Satisfaction = Satisfaction.COST
    # For the plan to say: a participant who skipped a measure does not count as 0 for it.
    skipped_measures_count_as_zero: bool = False

    @property
    def spent(self) -> int:
        """What the selected measures cost together."""
        return sum(m.measure.binding_cost for m in self.measures if m.selected)

    @property
    def left(self) -> Number:
        """The budget not spent."""
        return self.budget - self.spent

    def line(self, measure_id: Id) -> MeasureInPlan:
        """The plan line of one measure."""
        return next(m for m in self.measures if m.measure.id == measure_id)


def completion_of(completion: bool | Completion) -> Completion:
    """The completion of equal shares meant (`app/domain/allocation/completion.py`): True is "add
    one" then greedy (the default), False "add one" alone, or one of them by name."""
    if isinstance(completion, Completion):
        return completion
    return Completion.ADD1_GREEDY if completion else Completion.ADD1


def valued_measures(
    sieve: Sieve, rule: Rule, found: Sequence[Contribution], values: Values
) -> tuple[Id, ...]:
    """The measures someone valued above zero in what the rule counts, in menu order.

    Equal shares on the packages counts the Kiezen packages (a measure in at least one package);
    the other rules count the Zeven values (a measure with `V_m > 0`, so someone's `v_pm > 0`).
    Only these measures can be selected: see "Measures nobody valued" in the module description.
    """
    if rule is Rule.EQUAL_SHARES_PACKAGES:
        chosen = {m for p in sieve.packages for m in p.measure_ids}
        return tuple(m.id for m in sieve.measures if m.id in chosen)
    positive = {c.measure_id for c in found if c.weighted_contribution > 0}
    return tuple(m.id for m in sieve.measures if m.id in positive)


def select(
    sieve: Sieve,
    rule: Rule,
    ranking: Sequence[RankedMeasure],
    found: Sequence[Contribution],
    values: Values,
    *,
    completion: bool | Completion = True,
    package_satisfaction: Satisfaction = Satisfaction.COST,
    budget: Number | None = None,
) -> Allocation[Id]:
    """Run one selection rule on the sieve (at `budget`, else the sieve's), ties by the ranking.

    The rule sees only the valued measures (`valued_measures`); every other measure is explained
    as `Verdict.NO_SUPPORT` and never selected.
    """
    ready = election_for(sieve, rule, ranking, found, values, package_satisfaction)
    return ready.run(sieve.budget if budget is None else budget, completion)


@dataclass(frozen=True)
class RuleElection:
    """One rule's election of a sieve's ballots, built once and run at any budget (`run`)."""

    sieve: Sieve
    rule: Rule
    valued: frozenset[Id]
    election: Election[Id]
    scale: int  # equal shares: every value times this, in whole numbers (see election_for)

    def run(self, budget: Number, completion: bool | Completion = True) -> Allocation[Id]:
        """The rule at this budget, every measure explained (the unvalued as never selected)."""
        election = self.election.at_budget(budget)
        allocation: Allocation[Id]
        if self.rule is Rule.GREEDY:
            allocation = greedy(election, ranking=election.priority, fund_unsupported=False)
        elif self.rule is Rule.OPTIMAL:
            allocation = optimal(election, explain=True)
        else:
            # The comparison step counts, per participant, the measures of their packages
            # funded (Kiezen) or their own values of the measures funded (Zeven).
            allocation = equal_shares_completed(
                election,
                completion_of(completion),
                by_projects=self.rule is Rule.EQUAL_SHARES_PACKAGES,
            )
            if self.scale != 1:
                allocation = _unscaled(allocation, self.scale)
        return _with_unvalued(self.sieve, allocation, self.valued)


def election_for(
    sieve: Sieve,
    rule: Rule,
    ranking: Sequence[RankedMeasure],
    found: Sequence[Contribution],
    values: Values,
    package_satisfaction: Satisfaction = Satisfaction.COST,
) -> RuleElection:
    """The election `rule` runs on: the valued measures, ties broken by the ranking."""
    valued = frozenset(valued_measures(sieve, rule, found, values))
    order = tuple(r.measure_id for r in ranking if r.measure_id in valued)
    projects = tuple(Project(m.id, m.binding_cost) for m in sieve.measures if m.id in valued)
    scale = 1
    if rule in (Rule.GREEDY, Rule.OPTIMAL):
        totals = {c.measure_id: c.weighted_contribution for c in found if c.measure_id in valued}
        election = Election(projects, sieve.budget, (Ballot(totals),), order)
    elif rule is Rule.EQUAL_SHARES:
        # Equal shares and its greedy step only compare satisfactions with each other, so
        # every value times one common denominator gives the same outcome, in whole numbers
        # that the engine runs several times faster (benchmarks/plan_reasons.py).
        scale = math.lcm(
            *(v.denominator for mine in values.by_participant.values() for v in mine.values())
        )
        election = Election(
            projects,
            sieve.budget,
            tuple(
                Ballot(
                    {
                        m: v.numerator * (scale // v.denominator)
                        for m, v in mine.items()
                        if m in valued
                    }
                )
                for mine in values.by_participant.values()
            ),
            order,
        )
    else:
        election = approval_election(
            projects,
            sieve.budget,
            [p.measure_ids for p in sieve.packages],
            package_satisfaction,
            order,
        )
    return RuleElection(sieve, rule, valued, election, scale)


def _unscaled(allocation: Allocation[Id], scale: int) -> Allocation[Id]:
    """The explanations in the participants' own values again (see the scale in `select`)."""
    return allocation._replace(
        outcomes=tuple(
            o._replace(
                total_satisfaction=Fraction(o.total_satisfaction, scale),
                price=None if o.price is None else o.price * scale,
            )
            for o in allocation.outcomes
        ),
    )


def _with_unvalued(
    sieve: Sieve, allocation: Allocation[Id], valued: AbstractSet[Id]
) -> Allocation[Id]:
    """The allocation with an outcome for every measure, the unvalued ones as never selected."""
    if len(valued) == len(sieve.measures):
        return allocation
    given = {o.project_id: o for o in allocation.outcomes}
    outcomes = tuple(
        given[m.id]
        if m.id in valued
        else ProjectOutcome(m.id, m.binding_cost, 0, 0, False, Verdict.NO_SUPPORT)
        for m in sieve.measures
    )
    return allocation._replace(outcomes=outcomes)


def money_per_effect(
    sieve: Sieve, found: Sequence[Contribution], selected: Iterable[Id]
) -> dict[Id, dict[Id, Fraction]]:
    """Per selected measure, its cost split over its effects by its mean scores (else evenly)."""
    contribution = {c.measure_id: c for c in found}
    split: dict[Id, dict[Id, Fraction]] = {}
    for measure_id in selected:
        measure = sieve.measure(measure_id)
        cost = Fraction(measure.binding_cost)
        scores = contribution[measure_id].mean_scores
        total = sum(scores.values(), Fraction(0))
        if total > 0:
            split[measure_id] = {e: cost * scores[e] / total for e in measure.effect_ids}
        else:
            share = cost / len(measure.effect_ids)
            split[measure_id] = dict.fromkeys(measure.effect_ids, share)
    return split


# Compute once, use many times: one plan page asks for the plan under every rule, at budgets 10%
# lower and higher and with each group's weights (the sensitivity), and for the reasons, all of
# the same ballots; an adoption builds the plan and its public version; the next page, download
# or projector view of the same ballots (another request, which reads them into another sieve of
# the same values) asks again. The participants' values and the measures' contributions depend
# on the menu and the ballots only, not on the rule or the budget; a plan on its inputs only.
# So the last few of each are kept and found again by the values they were made of (the same
# tuples at once; equal ones compared in about a millisecond for 500 ballots x 30 measures).
# Everything kept is immutable.
_ASSESSED: deque[tuple[tuple[object, ...], bool, Values, tuple[Contribution, ...]]] = deque()
_ASSESSED_KEPT = 8
_ASSESSED_LOCK = threading.Lock()
_PLANS: deque[tuple[Sieve, tuple[object, ...], Plan]] = deque()
_PLANS_KEPT = 64
_PLANS_LOCK = threading.Lock()


def forget() -> None:
    """Drop the kept assessments and plans (tests that count what is worked out)."""
    with _ASSESSED_LOCK:
        _ASSESSED.clear()
    with _PLANS_LOCK:
        _PLANS.clear()


def _same(kept: tuple[object, ...], parts: tuple[object, ...]) -> bool:
    return all(a is b for a, b in zip(kept, parts, strict=True)) or kept == parts


def assessment(
    sieve: Sieve, *, stand_in_weights: bool = True
) -> tuple[Values, tuple[Contribution, ...]]:
    """The participants' values and the measures' contributions for these ballots, worked out
    once for as long as the same ballots are asked about again."""
    parts = (
        sieve.effects,
        sieve.measures,
        sieve.participants,
        sieve.weights,
        sieve.scores,
        sieve.packages,
    )
    with _ASSESSED_LOCK:
        for kept, kept_stand_in, values, found in _ASSESSED:
            if kept_stand_in == stand_in_weights and _same(kept, parts):
                return values, found
    values = participant_values(sieve, stand_in_weights=stand_in_weights)
    found = contributions(sieve, values)
    with _ASSESSED_LOCK:
        _ASSESSED.appendleft((parts, stand_in_weights, values, found))
        while len(_ASSESSED) > _ASSESSED_KEPT:
            _ASSESSED.pop()
    return values, found


def make_plan(
    sieve: Sieve,
    rule: Rule = Rule.GREEDY,
    ranked_by: RankBy = RankBy.CONTRIBUTION,
    *,
    stand_in_weights: bool = True,
    completion: bool | Completion = True,
    package_satisfaction: Satisfaction = Satisfaction.COST,
    discussion_size: int = 5,
    weights_override: Mapping[Id, Fraction] | None = None,
) -> Plan:
    """The whole arithmetic in one call: values, contributions, ranking, selection, money.

    A plan of the same inputs made lately is given again (see `_PLANS`)."""
    key = (
        rule,
        ranked_by,
        stand_in_weights,
        completion,
        package_satisfaction,
        discussion_size,
        None
        if weights_override is None
        else tuple(sorted(weights_override.items(), key=lambda item: id_order(item[0]))),
    )
    with _PLANS_LOCK:
        for kept_sieve, kept_key, kept_plan in _PLANS:
            if kept_key == key and (kept_sieve is sieve or kept_sieve == sieve):
                return kept_plan
    plan = _make_plan(
        sieve,
        rule,
        ranked_by,
        stand_in_weights=stand_in_weights,
        completion=completion,
        package_satisfaction=package_satisfaction,
        discussion_size=discussion_size,
        weights_override=weights_override,
    )
    with _PLANS_LOCK:
        _PLANS.appendleft((sieve, key, plan))
        while len(_PLANS) > _PLANS_KEPT:
            _PLANS.pop()
    return plan


def _make_plan(
    sieve: Sieve,
    rule: Rule,
    ranked_by: RankBy,
    *,
    stand_in_weights: bool,
    completion: bool | Completion,
    package_satisfaction: Satisfaction,
    discussion_size: int,
    weights_override: Mapping[Id, Fraction] | None,
) -> Plan:
    if weights_override is None:
        values, found = assessment(sieve, stand_in_weights=stand_in_weights)
    else:
        values = participant_values(
            sieve, stand_in_weights=stand_in_weights, weights_override=weights_override
        )
        found = contributions(sieve, values)
    ranking = rank(sieve, found, ranked_by)
    allocation = select(
        sieve,
        rule,
        ranking,
        found,
        values,
        completion=completion,
        package_satisfaction=package_satisfaction,
    )
    discussion = discussion_list(sieve, found, discussion_size)
    split = money_per_effect(sieve, found, allocation.selected)
    contribution = {c.measure_id: c for c in found}
    lines = []
    for ranked in ranking:
        outcome = allocation.outcome(ranked.measure_id)
        lines.append(
            MeasureInPlan(
                measure=sieve.measure(ranked.measure_id),
                rank=ranked.rank,
                contribution=contribution[ranked.measure_id],
                value_per_euro=ranked.value_per_euro,
                selected=outcome.selected,
                position=outcome.position,
                verdict=outcome.verdict,
                outcome=outcome,
                money_per_effect=MappingProxyType(split.get(ranked.measure_id, {})),
                in_discussion_list=ranked.measure_id in discussion,
            )
        )
    return Plan(
        rule=rule,
        ranked_by=ranked_by,
        budget=sieve.budget,
        measures=tuple(lines),
        selected=allocation.selected,
        money_per_effect=_effect_totals(sieve, split),
        discussion=discussion,
        turnout=_turnout(sieve, values),
        allocation=allocation,
        ranking=ranking,
        contributions=found,
        values=values,
        completion=completion,
        package_satisfaction=package_satisfaction,
    )


def _effect_totals(
    sieve: Sieve, split: Mapping[Id, Mapping[Id, Fraction]]
) -> tuple[EffectMoney, ...]:
    top = _desired_effect_of(sieve)
    direct: dict[Id, Fraction] = {e.id: Fraction(0) for e in sieve.effects}
    total: dict[Id, Fraction] = {e.id: Fraction(0) for e in sieve.effects}
    through: dict[Id, list[Id]] = {e.id: [] for e in sieve.effects}
    for measure_id, parts in split.items():
        for effect_id, amount in parts.items():
            direct[effect_id] += amount
            for target in dict.fromkeys((effect_id, top[effect_id])):
                total[target] += amount
                if measure_id not in through[target]:
                    through[target].append(measure_id)
    return tuple(
        EffectMoney(e, direct[e.id], total[e.id], tuple(through[e.id])) for e in sieve.effects
    )


def _turnout(sieve: Sieve, values: Values) -> Turnout:
    group_of = {p.id: p.group for p in sieve.participants}
    by_group: dict[StakeholderGroup | None, list[int]] = {}
    rounds: tuple[list[Id], ...] = (
        [b.participant_id for b in sieve.weights],
        [b.participant_id for b in sieve.scores],
        [b.participant_id for b in sieve.packages],
    )
    for index, participants in enumerate(rounds):
        for participant in participants:
            counts = by_group.setdefault(group_of.get(participant), [0, 0, 0])
            counts[index] += 1
    return Turnout(
        weighed=len(sieve.weights),
        rated=len(sieve.scores),
        chose=len(sieve.packages),
        own_weights=len(values.own_weights),
        stand_in_weights=len(values.stand_in_weights),
        left_out=len(values.left_out),
        by_group=MappingProxyType(
            {
                g: (c[0], c[1], c[2])
                for g, c in sorted(by_group.items(), key=lambda i: (i[0] is None, str(i[0] or "")))
            }
        ),
    )
