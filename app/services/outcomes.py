"""The outcome of a round, with the Waardenzeef arithmetic, and what moved since the previous run.

Wegen: the group's mean effect weights. Zeven: the ranking by weighted contribution V_m (with the
weights of the last closed Wegen round; participants without weights get the group's mean), and
the discussion list of the measures whose values split most. Kiezen: how often each measure was
chosen, and what fits in the budget going down that list (greedy, skipping what no longer fits).
Residents see an outcome once the round is closed, or while open when the facilitator shows it.
"""

from __future__ import annotations

import typing
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, TypeVar

from sqlmodel import Session, col, select

from app.domain import groups, kiezen, plan_file, reasons
from app.domain import waardenzeef as wz
from app.domain.vocabulary import RoundKind, RoundState, StakeholderGroup
from app.errors import N_, DomainError
from app.models import Meeting, Round
from app.services import ballots as ballots_service
from app.services import plans as plans_service
from app.services import rounds as rounds_service
from app.services import sieves
from app.services.kept import Kept

DISCUSSION_SIZE = 5
GROUPS = [str(g) for g in StakeholderGroup]
T = TypeVar("T")


class ResultsHidden(DomainError):
    """The round is still open and the facilitator has not chosen to show its results."""

    status = 403
    code = "results_hidden"


@dataclass(frozen=True)
class WeightRow:
    """A desired effect's mean weight in percent, per group, and in the previous run."""

    effect_id: int
    title: str
    percent: float
    previous_percent: float | None
    by_group: dict[str, float]

    @property
    def moved(self) -> float | None:
        """Change in percentage points since the previous run."""
        return None if self.previous_percent is None else self.percent - self.previous_percent


@dataclass(frozen=True)
class RankRow:
    """A measure in the Zeven ranking: V_m, its spread, and its place in the previous run."""

    rank: int
    measure_id: int
    title: str
    cost: int
    no_cost: bool
    weighted_contribution: float
    standard_deviation: float
    interquartile_range: float
    rated_by: int
    skipped_by: int
    in_discussion: bool
    previous_rank: int | None
    previous_value: float | None
    by_group: dict[str, float | None]
    score_counts: tuple[int, int, int, int] = (0, 0, 0, 0)

    @property
    def score_total(self) -> int:
        """How many scores the measure got (a person rates it once per effect it is linked to)."""
        return sum(self.score_counts)

    @property
    def places_up(self) -> int | None:
        """How many places it rose since the previous run (negative: fell)."""
        return None if self.previous_rank is None else self.previous_rank - self.rank


@dataclass(frozen=True)
class ChoiceRow:
    """A measure in the Kiezen outcome: how often chosen, whether it fits, and before."""

    measure_id: int
    title: str
    cost: int
    chosen: int
    fits: bool
    previous_chosen: int | None
    previously_fit: bool | None
    by_group: dict[str, int]


@dataclass(frozen=True)
class Outcome:
    """The outcome of one round (final once it is closed), and the run it is compared with."""

    round: Round
    final: bool
    turnout: rounds_service.Turnout
    previous: Round | None
    groups: list[str]
    weights: list[WeightRow] = field(default_factory=list)
    ranking: list[RankRow] = field(default_factory=list)
    discussion: list[RankRow] = field(default_factory=list)
    weights_from: Round | None = None
    stand_in_weights: int = 0
    choices: list[ChoiceRow] = field(default_factory=list)
    budget: int = 0
    spent: int = 0
    small_groups_hidden: bool = False

    @property
    def left(self) -> int:
        """Budget left after what fits (Kiezen)."""
        return self.budget - self.spent


def _sieve(
    menu: ballots_service.MenuView,
    weights: list[sieves.Cast],
    scores: list[sieves.Cast],
) -> wz.Sieve:
    return sieves.sieve(
        effects=[wz.Effect(e.id, e.title, e.parent_id) for e in menu.effects],
        measures=[
            wz.Measure(m.id, m.title, m.cost, m.effect_ids) for m in menu.measures if m.effect_ids
        ],
        budget=menu.budget,
        weights=weights,
        scores=scores,
    )


def _percent(value: Fraction) -> float:
    return float(value * 100)


def _groups_present(casts: list[sieves.Cast]) -> list[str]:
    # A group is shown apart only with enough ballots that nobody's vote can be read from it.
    sizes = Counter(c.group for c in casts if c.group)
    apart, _ = groups.shown_apart({g: sizes[g] for g in GROUPS})
    return apart


Weights = tuple[dict[int, Fraction], dict[str, dict[int, Fraction]], list[str]]


def _weights(session: Session, round_: Round, menu: ballots_service.MenuView) -> Weights:
    return _by_ballots(session, "wegen", round_, menu, lambda: _weigh(session, round_, menu))


def _weigh(session: Session, round_: Round, menu: ballots_service.MenuView) -> Weights:
    casts = sieves.casts(session, round_id=round_.id or 0)
    sieve = _sieve(menu, casts, [])
    groups = _groups_present(casts)
    by_group = {
        g: wz.mean_weights(sieve, [c.participant_id for c in casts if c.group == g]) for g in groups
    }
    overall = wz.mean_weights(sieve) if sieve.weights else {}
    return (
        {int(k): v for k, v in overall.items()},
        {g: {int(k): v for k, v in w.items()} for g, w in by_group.items()},
        groups,
    )


def _wegen(
    session: Session, round_: Round, previous: Round | None, menu: ballots_service.MenuView
) -> dict[str, object]:
    now, by_group, groups = _weights(session, round_, menu)
    before = _weights(session, previous, menu)[0] if previous else {}
    rows = [
        WeightRow(
            effect_id=e.id,
            title=e.title,
            percent=_percent(now.get(e.id, Fraction(0))),
            previous_percent=_percent(before[e.id]) if e.id in before else None,
            by_group={g: _percent(by_group[g][e.id]) for g in groups if e.id in by_group[g]},
        )
        for e in menu.desired_effects
    ]
    rows.sort(key=lambda r: -r.percent)
    return {"weights": rows if now else [], "groups": groups}


def _weights_round(session: Session, round_: Round, meeting: Meeting) -> Round | None:
    # The last closed Wegen round of this meeting, else of the process.
    closed = session.exec(
        select(Round, Meeting)
        .join(Meeting, col(Meeting.id) == Round.meeting_id)
        .where(
            Meeting.process_id == meeting.process_id,
            Round.kind == RoundKind.WEGEN,
            Round.state == RoundState.CLOSED,
        )
        .order_by(col(Round.closed_at).desc())
    ).all()
    same_meeting = [r for r, m in closed if m.id == round_.meeting_id]
    if same_meeting:
        return same_meeting[0]
    return closed[0][0] if closed else None


Ranking = tuple[list[RankRow], list[int], int, list[str]]
# Zeven rankings kept by the state of the ballots they are made of (sieves.versions: one query,
# no lines), with the menu they were made with (compared: a menu view is not hashable); the
# console, the projector, the phones' results and the Kiezen ballot page ask for the same one
# again. The key holds the database, the rounds and their ballots' states: other ballots are
# another key; another instance keeps its own. One ranking is made at a time per key: when a
# round closes, the phones that open its outcome at once wait for the first one's ranking
# instead of each working out the same one.
_RANKINGS: Kept[tuple[ballots_service.MenuView, Ranking]] = Kept(16)


def forget() -> None:
    """Drop the kept outcomes (the benchmark's first calls)."""
    _RANKINGS.clear()
    _TALLIES.clear()


def _made_with(menu: ballots_service.MenuView) -> Callable[[tuple[object, object]], bool]:
    # Whether a kept result was made with this menu (the same object, or an equal one).
    return lambda kept: kept[0] is menu or kept[0] == menu


# The Wegen weights and the Kiezen counts of a round, kept in the same way by the state of its
# ballots: after a close, the phones that open the outcome at once have it worked out once.
_TALLIES: Kept[tuple[ballots_service.MenuView, Any]] = Kept(32)


def _by_ballots(
    session: Session,
    what: str,
    round_: Round,
    menu: ballots_service.MenuView,
    make: Callable[[], T],
) -> T:
    round_id = round_.id or 0
    state = sieves.versions(session, round_ids=[round_id])[round_id]
    key = (what, str(session.get_bind().engine.url), round_id, state)
    _, found = _TALLIES.get(key, lambda: (menu, make()), _made_with(menu))
    return typing.cast(T, found)


def _ranking(
    session: Session, round_: Round, weights_from: Round | None, menu: ballots_service.MenuView
) -> Ranking:
    ids = [round_.id or 0] + ([weights_from.id or 0] if weights_from is not None else [])
    state = sieves.versions(session, round_ids=ids)
    key = (str(session.get_bind().engine.url), *ids, *(state[i] for i in ids))
    _, found = _RANKINGS.get(
        key, lambda: (menu, _rank(session, round_, weights_from, menu)), _made_with(menu)
    )
    rows, discussion, stand_in, groups = found
    return list(rows), list(discussion), stand_in, list(groups)


def _rank(
    session: Session, round_: Round, weights_from: Round | None, menu: ballots_service.MenuView
) -> Ranking:
    scores = sieves.casts(session, round_id=round_.id or 0)
    weights = sieves.casts(session, round_id=weights_from.id or 0) if weights_from else []
    sieve = _sieve(menu, weights, scores)
    # The same assessment the plan makes of these ballots (kept: the console, the projector and
    # every phone that opens this outcome ask for it again, each reading the ballots anew).
    values, found = wz.assessment(sieve)
    ranking = wz.rank(sieve, found)
    discussion = [int(m) for m in wz.discussion_list(sieve, found, DISCUSSION_SIZE)]
    by_id = {c.measure_id: c for c in found}
    groups = _groups_present(scores)
    # How many times each score 0..3 was given per measure: what the discussion list shows.
    spread: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for cast in scores:
        for line in cast.lines:
            if line.measure_id is not None and 0 <= line.value <= 3:
                spread[line.measure_id][line.value] += 1
    titles = {m.id: m for m in menu.measures}
    rows = []
    for ranked in ranking:
        c = by_id[ranked.measure_id]
        measure = titles[int(ranked.measure_id)]
        rows.append(
            RankRow(
                rank=ranked.rank,
                measure_id=measure.id,
                title=measure.title,
                cost=measure.cost,
                no_cost=ranked.no_cost,
                weighted_contribution=float(c.weighted_contribution),
                standard_deviation=c.standard_deviation,
                interquartile_range=float(c.interquartile_range),
                rated_by=c.rated_by,
                skipped_by=c.skipped_by,
                in_discussion=measure.id in discussion,
                previous_rank=None,
                previous_value=None,
                by_group={
                    g: (
                        float(value)
                        if (gc := c.by_group.get(StakeholderGroup(g))) is not None
                        and (value := gc.weighted_contribution) is not None
                        else None
                    )
                    for g in groups
                },
                score_counts=(
                    spread[measure.id][0],
                    spread[measure.id][1],
                    spread[measure.id][2],
                    spread[measure.id][3],
                ),
            )
        )
    return rows, discussion, len(values.stand_in_weights), groups


def _zeven(
    session: Session, round_: Round, previous: Round | None, menu: ballots_service.MenuView
) -> dict[str, object]:
    meeting = session.get(Meeting, round_.meeting_id)
    assert meeting is not None
    weights_from = _weights_round(session, round_, meeting)
    rows, discussion, stand_in, groups = _ranking(session, round_, weights_from, menu)
    if previous is not None:
        before = {r.measure_id: r for r in _ranking(session, previous, weights_from, menu)[0]}
        rows = [
            RankRow(
                **{
                    **r.__dict__,
                    "previous_rank": before[r.measure_id].rank if r.measure_id in before else None,
                    "previous_value": (
                        before[r.measure_id].weighted_contribution
                        if r.measure_id in before
                        else None
                    ),
                }
            )
            for r in rows
        ]
    by_id = {r.measure_id: r for r in rows}
    return {
        "ranking": rows,
        "discussion": [by_id[m] for m in discussion],
        "weights_from": weights_from,
        "stand_in_weights": stand_in,
        "groups": groups,
    }


Choices = tuple[Counter[int], dict[str, Counter[int]], list[int], list[str]]


def _choices(session: Session, round_: Round, menu: ballots_service.MenuView) -> Choices:
    return _by_ballots(session, "kiezen", round_, menu, lambda: _choose(session, round_, menu))


def _choose(session: Session, round_: Round, menu: ballots_service.MenuView) -> Choices:
    casts = sieves.casts(session, round_id=round_.id or 0)
    counts: Counter[int] = Counter()
    by_group: dict[str, Counter[int]] = defaultdict(Counter)
    for cast in casts:
        for line in cast.lines:
            if line.measure_id is not None:
                counts[line.measure_id] += 1
                if cast.group:
                    by_group[cast.group][line.measure_id] += 1
    # The same Kiezen result the bewonersplan shows beside its own selection.
    chosen: dict[wz.Id, int] = dict(counts.items())
    result = kiezen.from_the_top(
        [(m.id, m.cost) for m in menu.measures], chosen, menu.budget, len(casts)
    )
    # A plain dict: the kept result is read by many requests at once and must not grow.
    return counts, dict(by_group), [int(m) for m in result.fits], _groups_present(casts)


def _kiezen(
    session: Session, round_: Round, previous: Round | None, menu: ballots_service.MenuView
) -> dict[str, object]:
    counts, by_group, fits, groups = _choices(session, round_, menu)
    before = _choices(session, previous, menu) if previous else None
    fitting = set(fits)
    rows = [
        ChoiceRow(
            measure_id=m.id,
            title=m.title,
            cost=m.cost,
            chosen=counts[m.id],
            fits=m.id in fitting,
            previous_chosen=before[0][m.id] if before else None,
            previously_fit=(m.id in before[2]) if before else None,
            by_group={g: by_group[g][m.id] for g in groups},
        )
        for m in menu.measures
    ]
    position = {m.id: i for i, m in enumerate(menu.measures)}
    rows.sort(key=lambda r: (-r.chosen, r.cost, position[r.measure_id]))
    return {
        "choices": rows,
        "budget": menu.budget,
        "spent": sum(r.cost for r in rows if r.fits),
        "groups": groups,
    }


def outcome(session: Session, *, round_: Round) -> Outcome:
    """The outcome of a round as it stands (final once closed), compared with its previous run."""
    meeting = session.get(Meeting, round_.meeting_id)
    assert meeting is not None
    assert round_.id is not None
    # An opened round's menu is frozen and kept: the kept results are found by identity.
    menu = ballots_service.menu_for_round(session, round_=round_, process_id=meeting.process_id)
    previous = rounds_service.previous_run(session, round_=round_)
    parts = {
        RoundKind.WEGEN: _wegen,
        RoundKind.ZEVEN: _zeven,
        RoundKind.KIEZEN: _kiezen,
    }[round_.kind](session, round_, previous, menu)
    turnout = rounds_service.turnout(session, round_id=round_.id)
    return Outcome(
        round=round_,
        final=round_.state == RoundState.CLOSED,
        turnout=turnout,
        previous=previous,
        # The turnout names only the groups shown apart and says whether any were too small.
        small_groups_hidden=turnout.small_groups,
        **parts,  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class Differing:
    """A measure where the bewonersplan and the room's Kiezen result differ."""

    measure_id: int
    title: str
    chosen: int
    fits: bool
    in_plan: bool
    difference: str
    rank: int | None
    no_cost: bool
    filled_up: bool = False  # equal shares' completion took it, not its supporters' shares


@dataclass(frozen=True)
class PlanBeside:
    """The bewonersplan as it stands beside a closed Kiezen round's result (what the room saw).

    The plan is made with the rule of the adopted plan, or else the default (greedy down the
    ranking by weighted contribution); `differing` lists, in the order of the Kiezen list,
    every measure that is in one of the two but not in the other.
    """

    rule: str
    adopted: bool
    in_plan: frozenset[int]
    spent: int
    budget: int
    packages: int
    most_chosen: int
    differing: list[Differing]
    greedy_taken: bool = False  # equal shares' comparison step took the greedy outcome
    # What the plan was made of, for working out the plan page ahead (plans.prepare).
    source: plans_service.Source | None = field(default=None, compare=False, repr=False)

    @property
    def differs(self) -> set[int]:
        """The measures that differ."""
        return {d.measure_id for d in self.differing}


def beside_plan(session: Session, *, outcome: Outcome) -> PlanBeside | None:
    """The plan beside a Kiezen outcome: only for the closed Kiezen round the plan is made from
    (the last one of the process), with ballots, once a Zeven round has closed."""
    round_ = outcome.round
    if round_.kind != RoundKind.KIEZEN or not outcome.final or not outcome.turnout.ballots:
        return None
    meeting = session.get(Meeting, round_.meeting_id)
    assert meeting is not None
    source = plans_service.load_source(session, process_id=meeting.process_id)
    used = source.rounds.get(RoundKind.KIEZEN)
    if used is None or used[0].id != round_.id or RoundKind.ZEVEN not in source.rounds:
        # Not the round the plan is made from; or no Zeven yet, so no plan to set beside it.
        return None
    snapshot = plans_service.adopted(session, process_id=meeting.process_id)
    rule, ranked_by, completion = wz.Rule.GREEDY, wz.RankBy.CONTRIBUTION, None
    if snapshot is not None:
        rule, ranked_by, completion = plans_service.method_of(snapshot)
    sieve = source.sieve
    if rule is plans_service.PACKAGE_RULE and not sieve.packages:
        rule = wz.Rule.GREEDY
    completion = plan_file.completion_for(rule, completion)
    plan = wz.make_plan(sieve, rule, ranked_by, completion=completion or True)
    fingerprint = plans_service.fingerprint_of(source, rule, ranked_by, completion)
    explained = plans_service.reasons_of(sieve, plan, fingerprint)
    filled_up = {int(r.measure_id) for r in explained if r.why == reasons.Why.COMPLETION}
    rank = {int(r.measure_id): r.rank for r in explained}
    fits = [r.measure_id for r in outcome.choices if r.fits]
    chosen = {r.measure_id: r.chosen for r in outcome.choices}
    found = {
        int(m): d.value
        for m, d in kiezen.compare(plan, explained, fits, dict(chosen.items())).items()
    }
    in_plan = frozenset(int(m) for m in plan.selected)
    return PlanBeside(
        rule=rule.value,
        adopted=snapshot is not None,
        in_plan=in_plan,
        spent=int(plan.spent),
        budget=outcome.budget,
        packages=outcome.turnout.ballots,
        most_chosen=max(chosen.values(), default=0),
        differing=[
            Differing(
                measure_id=r.measure_id,
                title=r.title,
                chosen=r.chosen,
                fits=r.fits,
                in_plan=r.measure_id in in_plan,
                difference=found[r.measure_id],
                rank=rank.get(r.measure_id),
                no_cost=r.cost == 0,
                filled_up=r.measure_id in filled_up,
            )
            for r in outcome.choices
            if r.measure_id in found
        ],
        greedy_taken=plan.allocation.comparison is not None and plan.allocation.comparison.switched,
        source=source,
    )


def may_show(round_: Round) -> bool:
    """Whether residents may see this round's outcome now."""
    return round_.state == RoundState.CLOSED or (
        round_.state == RoundState.OPEN and round_.results_visible
    )


def public_outcome(session: Session, *, round_: Round) -> Outcome:
    """The outcome for residents: once closed, or while open when the facilitator shows it."""
    if not may_show(round_):
        raise ResultsHidden(
            N_("The results of this round are shown when the facilitator closes it.")
        )
    return outcome(session, round_=round_)
