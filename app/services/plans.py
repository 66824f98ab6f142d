"""The bewonersplan of a process: computed from its last closed rounds, adopted as a snapshot."""

from __future__ import annotations

import itertools
import math
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from fractions import Fraction

from sqlmodel import Session, col, select

from app.domain import groups, kiezen, plan_file, reasons, sensitivity
from app.domain import waardenzeef as wz
from app.domain.allocation import Completion
from app.domain.pabulib import format_pabulib
from app.domain.vocabulary import BallotChannel, RoundKind, RoundState, StakeholderGroup
from app.errors import N_, NotFound
from app.exports import content as c
from app.exports import plan_files
from app.models import (
    Meeting,
    Neighbourhood,
    PlanSnapshot,
    Process,
    Round,
    User,
    utcnow,
)
from app.services import audit, menu_read, sieves
from app.services.menu_read import EffectRow, IndicatorRow, MeasureRow
from app.settings import get_settings

PACKAGE_RULE = wz.Rule.EQUAL_SHARES_PACKAGES

_KEPT_LOCK = threading.Lock()
_FINGERPRINTS: OrderedDict[tuple[object, ...], str] = OrderedDict()
_FINGERPRINTS_KEPT = 64
# Plans as dressed for the page and downloads (see `build_content`), by source and method.
_CONTENTS: OrderedDict[
    tuple[object, ...], tuple[tuple[tuple[object, ...], ...], c.PlanContent, str]
] = OrderedDict()
_CONTENTS_KEPT = 16


@dataclass(frozen=True)
class Source:
    """What a plan is computed from: the menu as the sieve sees it and the rounds it uses."""

    process: Process
    neighbourhood: Neighbourhood
    sieve: wz.Sieve
    measures: dict[int, MeasureRow]
    effects: dict[int, EffectRow]
    rounds: dict[RoundKind, tuple[Round, Meeting]]
    channels: dict[int, dict[int, BallotChannel]]  # round id -> participant -> channel
    unlinked: tuple[int, ...]
    indicators: tuple[IndicatorRow, ...]
    # Which kept ballots the sieve and channels are (see `_BALLOTS`): equal keys, equal sieves.
    key: tuple[object, ...] = ()


def _last_closed_rounds(
    session: Session, process_id: int
) -> dict[RoundKind, tuple[Round, Meeting]]:
    rows = session.exec(
        select(Round, Meeting)
        .join(Meeting, col(Meeting.id) == Round.meeting_id)
        .where(Meeting.process_id == process_id, Round.state == RoundState.CLOSED)
        .order_by(col(Round.closed_at).desc(), col(Round.id).desc())
    ).all()
    last: dict[RoundKind, tuple[Round, Meeting]] = {}
    for round_, meeting in rows:
        last.setdefault(RoundKind(round_.kind), (round_, meeting))
    return last


@dataclass(frozen=True)
class _Ballots:
    """The part of a source made of the ballots (anonymised), kept while their state stays."""

    sieve: wz.Sieve
    channels: dict[int, dict[int, BallotChannel]]
    serial: int  # this entry's number: what the plans, fingerprints and contents are kept by


_SERIALS = itertools.count(1)
# The sieve of the last closed rounds, kept per process for as long as the menu's part of the
# sieve and the state of the rounds' ballots (`sieves.versions`: one query, no lines) stay the
# same, so that a page of the same ballots does not read 20,000 ballot lines again and the
# arithmetic kept by value (waardenzeef's `_PLANS`) finds the very same sieve at once. The key
# holds the database (two databases never share an entry) and everything the sieve is made of,
# so an entry is never used for other ballots; another instance keeps its own (nothing is needed
# from here: without an entry the ballots are read).
_BALLOTS: OrderedDict[tuple[object, ...], _Ballots] = OrderedDict()
_BALLOTS_KEPT = 16
_BALLOTS_LOCK = threading.Lock()


def forget() -> None:
    """Drop what is kept between requests (the benchmark's first calls; tests that count)."""
    with _BALLOTS_LOCK:
        _BALLOTS.clear()
    with _KEPT_LOCK:
        _FINGERPRINTS.clear()
        _CONTENTS.clear()
        _REASONS.clear()


def load_source(session: Session, *, process_id: int) -> Source:
    """The menu, budget and ballots of the last closed round of each kind, as a sieve."""
    menu = menu_read.read_menu(session, process_id=process_id)
    process = menu.process
    effects = {e.id: e for e in menu.effects}
    measures = {m.id: m for m in menu.measures}
    sieve_effects = tuple(wz.Effect(e.id, e.title, e.parent_id) for e in menu.effects)
    sieve_measures = tuple(
        wz.Measure(
            m.id,
            m.title,
            None if m.is_regular else menu.binding_cost(m),
            tuple(m.effect_ids),
            effects[m.group_effect_id].title if m.group_effect_id in effects else None,
        )
        for m in menu.measures
        if m.effect_ids
    )
    rounds = _last_closed_rounds(session, process_id)
    state = sieves.versions(session, round_ids=[r.id or 0 for r, _ in rounds.values()])
    key = (
        str(session.get_bind().engine.url),
        process_id,
        sieve_effects,
        sieve_measures,
        process.budget_eur,
        tuple(
            (kind, r.id, r.closed_at, state[r.id or 0]) for kind, (r, _) in sorted(rounds.items())
        ),
    )
    with _BALLOTS_LOCK:
        kept = _BALLOTS.get(key)
        if kept is not None:
            _BALLOTS.move_to_end(key)
    if kept is None:
        kept = _read_ballots(session, rounds, sieve_effects, sieve_measures, process.budget_eur)
        with _BALLOTS_LOCK:
            _BALLOTS[key] = kept
            while len(_BALLOTS) > _BALLOTS_KEPT:
                _BALLOTS.popitem(last=False)
    return Source(
        process=process,
        neighbourhood=menu.neighbourhood,
        sieve=kept.sieve,
        measures=measures,
        effects=effects,
        rounds=rounds,
        channels=kept.channels,
        unlinked=tuple(m.id for m in menu.measures if not m.effect_ids),
        indicators=menu.rows.indicators,
        key=(key[0], process_id, kept.serial),
    )


def _read_ballots(
    session: Session,
    rounds: dict[RoundKind, tuple[Round, Meeting]],
    effects: tuple[wz.Effect, ...],
    measures: tuple[wz.Measure, ...],
    budget: int,
) -> _Ballots:
    cast = {kind: sieves.casts(session, round_id=r.id or 0) for kind, (r, _) in rounds.items()}
    sieve = sieves.sieve(
        effects=effects,
        measures=measures,
        budget=budget,
        weights=cast.get(RoundKind.WEGEN, []),
        scores=cast.get(RoundKind.ZEVEN, []),
        packages=cast.get(RoundKind.KIEZEN, []),
    )
    number = plan_file.participant_numbers(sieve)
    return _Ballots(
        sieve=plan_file.anonymise(sieve),
        channels={
            rounds[kind][0].id or 0: {number[c.participant_id]: c.channel for c in ballots}
            for kind, ballots in cast.items()
        },
        serial=next(_SERIALS),
    )


def fingerprint_of(
    source: Source, rule: wz.Rule, ranked_by: wz.RankBy, completion: Completion | None
) -> str:
    """The fingerprint of the source's published ballots with this method (kept per source)."""
    key = (source.key, rule, ranked_by, completion)
    with _KEPT_LOCK:
        found = _FINGERPRINTS.get(key)
    if found is None:
        published = plan_file.published(source.sieve)
        found = plan_file.fingerprint(published, rule, ranked_by, completion)
        with _KEPT_LOCK:
            _FINGERPRINTS[key] = found
            while len(_FINGERPRINTS) > _FINGERPRINTS_KEPT:
                _FINGERPRINTS.popitem(last=False)
    return found


def _float(value: Fraction | int | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def compute(
    session: Session,
    *,
    process_id: int,
    rule: wz.Rule = wz.Rule.GREEDY,
    ranked_by: wz.RankBy = wz.RankBy.CONTRIBUTION,
    completion: Completion | None = None,
    public: bool = False,
) -> tuple[c.PlanContent, str]:
    """The plan as it stands now with this rule (and completion of equal shares), and the
    anonymised ballots as a `.pb` text."""
    source = load_source(session, process_id=process_id)
    return build_content(
        session, source, rule=rule, ranked_by=ranked_by, completion=completion, public=public
    )


def content_of(
    session: Session,
    *,
    process_id: int,
    rule: wz.Rule = wz.Rule.GREEDY,
    ranked_by: wz.RankBy = wz.RankBy.CONTRIBUTION,
    completion: Completion | None = None,
) -> c.PlanContent:
    """The plan as `compute` makes it, without its ballots file (the plan page and the API show
    no `.pb`; writing one for 500 ballots takes a sixth of the page's time)."""
    source = load_source(session, process_id=process_id)
    content, _ = build_content(
        session,
        source,
        rule=rule,
        ranked_by=ranked_by,
        completion=completion,
        public=False,
        ballots_file=False,
    )
    return content


def prepare(source: Source) -> None:
    """Work out the plan page's plan of a source (the default rule, as `content_of` makes it)
    ahead of the page, so that the wijkteam's first plan page after a round finds it kept, and
    start rendering its PDF (`PDF_AHEAD`), so that the first download finds it kept too.

    Needs no session (run after a response, once the request's session is closed).
    """
    if not source.rounds or RoundKind.ZEVEN not in source.rounds:
        return  # no ranking yet: the plan page has nothing expensive to show
    content, _ = build_content(
        None,
        source,
        rule=wz.Rule.GREEDY,
        ranked_by=wz.RankBy.CONTRIBUTION,
        completion=None,
        public=False,
        ballots_file=False,
    )
    prepare_pdf(content)


def prepare_pdf(content: c.PlanContent) -> None:
    """Start rendering a plan's PDF (as its download would) without waiting for it, when the
    server renders PDFs ahead (`PDF_AHEAD`): the download that follows then finds it kept."""
    if get_settings().pdf_ahead:
        plan_files.prepare_pdf(content)


# Reasons take a few dozen runs of the rule for equal shares: computed once per outcome.
_REASONS: dict[tuple[str, str, str, str], tuple[reasons.Reason, ...]] = {}
_REASONS_KEPT = 32


def reasons_of(sieve: wz.Sieve, plan: wz.Plan, fingerprint: str) -> tuple[reasons.Reason, ...]:
    """Every measure's reason in a plan of these ballots (kept for the fingerprint's outcome)."""
    completion = wz.completion_of(plan.completion).value
    key = (fingerprint, plan.rule.value, plan.ranked_by.value, completion)
    with _KEPT_LOCK:
        found = _REASONS.get(key)
    if found is None:
        found = reasons.explain(sieve, plan)
        with _KEPT_LOCK:
            if len(_REASONS) >= _REASONS_KEPT:
                _REASONS.pop(next(iter(_REASONS)))
            _REASONS[key] = found
    return found


def _reason(reason: reasons.Reason) -> c.LineReason:
    return c.LineReason(
        why=reason.why.value,
        money_left=_float(reason.money_left, 2),
        supporters=reason.supporters,
        supporters_money=_float(reason.supporters_money, 2),
        total_with=_float(reason.total_with),
        total_best=_float(reason.total_best),
        budget_needed=_whole(reason.budget_needed),
        searched_to=_whole(reason.searched_to),
        budget_step=reason.budget_step,
    )


def _whole(value: Fraction | int | None) -> int | None:
    # Budgets the rules were run at: whole euros for a whole budget (ceil keeps "at least").
    return None if value is None else math.ceil(value)


def group_sizes(sieve: wz.Sieve) -> dict[StakeholderGroup | None, int]:
    """How many participants of the plan each stakeholder group has ("not given" too)."""
    return groups.group_sizes(p.group for p in sieve.participants)


def build_content(
    session: Session | None,
    source: Source,
    *,
    rule: wz.Rule,
    ranked_by: wz.RankBy,
    completion: Completion | None = None,
    public: bool,
    ballots_file: bool = True,
) -> tuple[c.PlanContent, str]:
    """Run the arithmetic on a source and dress the result for the plan page and downloads.

    `completion` is equal shares' (the default when None); the other rules have none. The
    second value is the anonymised ballots as a `.pb` text ("" when `ballots_file` is False).
    A plan of the same source (ballots, menu, process, rounds) and method made lately is given
    again, as a copy, with the moment it was computed.
    """
    p, hood = source.process, source.neighbourhood
    key = (
        source.key,
        p.id,
        p.title,
        p.version,
        p.budget_eur,
        str(p.cost_horizon),
        hood.name,
        hood.municipality,
        tuple((kind, r.run, m.title) for kind, (r, m) in sorted(source.rounds.items())),
        rule,
        ranked_by,
        completion,
        public,
        ballots_file,
    )
    # The menu's rows are compared, not hashed (read models); a frozen menu's are the same objects.
    rows = (tuple(source.measures.values()), tuple(source.effects.values()), source.indicators)
    found: tuple[c.PlanContent, str] | None = None
    if source.key:
        with _KEPT_LOCK:
            kept = _CONTENTS.get(key)
            if kept is not None and _same_rows(kept[0], rows):
                _CONTENTS.move_to_end(key)
                found = kept[1], kept[2]
    if found is None:
        found = _build_content(
            source,
            rule=rule,
            ranked_by=ranked_by,
            completion=completion,
            public=public,
            ballots_file=ballots_file,
        )
        if source.key:
            with _KEPT_LOCK:
                _CONTENTS[key] = (rows, *found)
                while len(_CONTENTS) > _CONTENTS_KEPT:
                    _CONTENTS.popitem(last=False)
    # Callers add to a plan (schedules, an adoption's moment): each gets its own copy.
    return found[0].model_copy(deep=True), found[1]


def _same_rows(kept: tuple[tuple[object, ...], ...], rows: tuple[tuple[object, ...], ...]) -> bool:
    return all(a is b for a, b in zip(kept, rows, strict=True)) or kept == rows


def _build_content(
    source: Source,
    *,
    rule: wz.Rule,
    ranked_by: wz.RankBy,
    completion: Completion | None,
    public: bool,
    ballots_file: bool,
) -> tuple[c.PlanContent, str]:
    sieve, process = source.sieve, source.process
    if rule is PACKAGE_RULE and not sieve.packages:
        rule = wz.Rule.GREEDY
    completion = plan_file.completion_for(rule, completion)
    apart, small = groups.shown_apart(group_sizes(sieve))
    analysis = sensitivity.sensitivity(
        sieve,
        rule,
        ranked_by,
        completion=completion or plan_file.DEFAULT_COMPLETION,
        groups=[g for g in apart if g is not None],
    )
    plan = analysis.plan
    fingerprint = fingerprint_of(source, rule, ranked_by, completion)
    explained = {r.measure_id: r for r in reasons_of(sieve, plan, fingerprint)}
    result = kiezen.of_sieve(sieve) if sieve.packages else None
    differences = kiezen.differences(plan, explained.values(), result) if result is not None else {}
    shown = set(apart)
    key = {m_id: m.key for m_id, m in source.measures.items()}
    effect_key = {e_id: e.key for e_id, e in source.effects.items()}

    lines = []
    for line in plan.measures:
        m = source.measures[int(line.measure.id)]
        contribution = line.contribution
        lines.append(
            c.PlanLine(
                rank=line.rank,
                measure_id=int(line.measure.id),
                key=m.key,
                title=m.title,
                group=line.measure.group or "",
                cost_year_1=m.cost_year_1,
                cost_years_4=m.cost_years_4,
                cost_years_10=m.cost_years_10,
                binding_cost=line.measure.binding_cost,
                is_regular=m.is_regular,
                weighted_contribution=_float(contribution.weighted_contribution) or 0.0,
                weighted_contribution_exact=str(contribution.weighted_contribution),
                value_per_euro=_float(line.value_per_euro * 1000, 6)
                if line.value_per_euro is not None
                else None,
                standard_deviation=round(contribution.standard_deviation, 4),
                interquartile_range=_float(
                    contribution.upper_quartile - contribution.lower_quartile
                )
                or 0.0,
                rated_by=contribution.rated_by,
                skipped_by=contribution.skipped_by,
                in_packages=contribution.in_packages,
                support_by_group=[
                    c.GroupSupport(
                        group=group.value if group else None,
                        rated_by=support.rated_by,
                        weighted_contribution=_float(support.weighted_contribution),
                        in_packages=support.in_packages,
                    )
                    for group, support in contribution.by_group.items()
                    if group in shown
                ],
                in_discussion_list=line.in_discussion_list,
                selected=line.selected,
                position=line.position,
                verdict=line.verdict.value,
                reason=_reason(explained[line.measure.id]),
                in_kiezen=None if result is None else line.measure.id in result.fits,
                difference=(
                    differences[line.measure.id].value if line.measure.id in differences else None
                ),
                money_per_effect={
                    effect_key[int(e)]: round(float(v), 2) for e, v in line.money_per_effect.items()
                },
            )
        )
    spent = plan.spent
    notes: list[c.Note] = ["skipped_not_zero", "unvalued_never_selected"]
    if plan.turnout.stand_in_weights:
        notes.append("stand_in_weights")
    if not source.rounds:
        notes.append("no_closed_rounds")
    if small:
        notes.append("small_groups_hidden")
    if source.unlinked:
        notes.append("unlinked_measures")

    rules = []
    for other in (wz.Rule.GREEDY, wz.Rule.OPTIMAL, wz.Rule.EQUAL_SHARES, PACKAGE_RULE):
        if other is PACKAGE_RULE and not sieve.packages:
            continue
        # Equal shares beside the plan is completed as the plan's is (by default when it has none).
        other_completion = plan_file.completion_for(other, completion)
        other_plan = (
            plan
            if other is rule
            else wz.make_plan(
                sieve,
                other,
                ranked_by,
                completion=other_completion or plan_file.DEFAULT_COMPLETION,
            )
        )
        rules.append(
            c.RuleOutcome(
                rule=other.value,
                completion=None if other_completion is None else other_completion.value,
                selected_keys=[key[int(m)] for m in other_plan.selected],
                spent=other_plan.spent,
                total_contribution=round(
                    float(
                        sum(
                            (
                                ln.contribution.weighted_contribution
                                for ln in other_plan.measures
                                if ln.selected
                            ),
                            Fraction(0),
                        )
                    ),
                    4,
                ),
                differs=set(other_plan.selected) != set(plan.selected),
            )
        )
    scenarios = [
        c.Scenario(
            kind=s.kind.value,
            group=s.group.value if s.group else None,
            budget=int(s.budget),
            selected_keys=[key[int(m)] for m in s.selected],
            entered_keys=[key[int(m)] for m in s.entered],
            left_keys=[key[int(m)] for m in s.left],
        )
        for s in analysis.scenarios
    ]
    content = c.PlanContent(
        process=c.PlanProcess(
            id=process.id or 0,
            title=process.title,
            neighbourhood=source.neighbourhood.name,
            municipality=source.neighbourhood.municipality,
            version=process.version,
            budget_eur=process.budget_eur,
            cost_horizon=str(process.cost_horizon),
        ),
        computed_at=utcnow(),
        rule=rule.value,
        ranked_by=ranked_by.value,
        completion=None if completion is None else completion.value,
        comparison=_comparison(plan),
        parameters={
            "cost_horizon": str(process.cost_horizon),
            "completion": "none" if completion is None else completion.value,
            "stand_in_weights": True,
            "discussion_list_size": 5,
            "tie_break": "higher V_m, then lower cost, then measure id",
            "unvalued_measures": "never selected",
            "min_group_size": groups.MIN_GROUP_SIZE,
        },
        fingerprint=fingerprint,
        public=public,
        measures=lines,
        ledger=c.Ledger(available=process.budget_eur, spent=spent, left=process.budget_eur - spent),
        money_per_effect=_effect_money(source, plan),
        turnout=_turnout(source, shown),
        participants=len(sieve.participants),
        own_weights=plan.turnout.own_weights,
        stand_in_weights=plan.turnout.stand_in_weights,
        rules=rules,
        scenarios=scenarios,
        notes=notes,
        kiezen=None
        if result is None
        else c.KiezenResult(
            packages=result.packages,
            fits_keys=[key[int(m)] for m in result.fits],
            spent=result.spent,
            left=process.budget_eur - result.spent,
        ),
        groups_apart=[g.value if g else None for g in apart],
        small_groups=bool(small),
    )
    if not ballots_file:
        return content, ""
    ballots = plan_file.to_pabulib(
        sieve,
        description=f"{process.title} ({source.neighbourhood.name}, "
        f"{source.neighbourhood.municipality})",
        unit=source.neighbourhood.name,
        rule=rule,
        ranked_by=ranked_by,
        completion=completion,
    )
    return content, format_pabulib(ballots)


def _comparison(plan: wz.Plan) -> c.ComparisonCount | None:
    found = plan.allocation.comparison
    if found is None:
        return None
    return c.ComparisonCount(
        prefer_equal_shares=found.prefer_equal_shares,
        prefer_greedy=found.prefer_greedy,
        measure="projects" if found.measure == "projects" else "satisfaction",
        switched=found.switched,
    )


def _effect_money(source: Source, plan: wz.Plan) -> list[c.EffectMoney]:
    by_effect: dict[int, list[c.IndicatorTarget]] = defaultdict(list)
    for i in source.indicators:
        by_effect[i.effect_id].append(
            c.IndicatorTarget(
                name=i.name,
                unit=str(i.unit),
                lower_is_better=i.lower_is_better,
                baseline_year=i.baseline_year,
                baseline_value=float(i.baseline_value),
                city_value=None if i.city_value is None else float(i.city_value),
                targets={t.year: float(t.value) for t in i.targets},
            )
        )
    key = {m_id: m.key for m_id, m in source.measures.items()}
    return [
        c.EffectMoney(
            effect_id=int(money.effect.id),
            key=source.effects[int(money.effect.id)].key,
            title=money.effect.title,
            parent_key=source.effects[int(money.effect.parent_id)].key
            if money.effect.parent_id
            else None,
            money=round(float(money.money), 2),
            total=round(float(money.total), 2),
            measure_keys=[key[int(m)] for m in money.measure_ids],
            indicators=by_effect[int(money.effect.id)],
        )
        for money in plan.money_per_effect
    ]


def _turnout(source: Source, shown: set[StakeholderGroup | None]) -> list[c.RoundTurnout]:
    group_of = {p.id: p.group for p in source.sieve.participants}
    result = []
    for kind in (RoundKind.WEGEN, RoundKind.ZEVEN, RoundKind.KIEZEN):
        if kind not in source.rounds:
            continue
        round_, meeting = source.rounds[kind]
        assert round_.id is not None
        channels = source.channels.get(round_.id, {})
        counts: dict[StakeholderGroup | None, list[int]] = defaultdict(lambda: [0, 0])
        for participant, channel in channels.items():
            group = group_of.get(participant)
            if group in shown:
                counts[group][channel is BallotChannel.PAPER] += 1
        result.append(
            c.RoundTurnout(
                kind=kind.value,
                round_id=round_.id,
                run=round_.run,
                meeting=meeting.title,
                closed_at=round_.closed_at,
                phone=sum(1 for ch in channels.values() if ch is BallotChannel.PHONE),
                paper=sum(1 for ch in channels.values() if ch is BallotChannel.PAPER),
                by_group=[
                    c.GroupTurnout(group=g.value if g else None, phone=n[0], paper=n[1])
                    for g, n in sorted(
                        counts.items(), key=lambda i: (i[0] is None, str(i[0] or ""))
                    )
                ],
            )
        )
    return result


# --- adoption --------------------------------------------------------------------------------


def adopt(
    session: Session,
    *,
    process_id: int,
    rule: wz.Rule,
    ranked_by: wz.RankBy,
    completion: Completion | None = None,
    user: User,
) -> PlanSnapshot:
    """Store the plan as it stands now as an immutable, adopted snapshot."""
    source = load_source(session, process_id=process_id)
    content, ballots = build_content(
        session, source, rule=rule, ranked_by=ranked_by, completion=completion, public=False
    )
    public, _ = build_content(
        session, source, rule=rule, ranked_by=ranked_by, completion=completion, public=True
    )
    public.computed_at = content.computed_at
    snapshot = PlanSnapshot(
        process_id=process_id,
        rule=content.rule,
        parameters={"ranked_by": content.ranked_by, **content.parameters},
        fingerprint=content.fingerprint,
        content={
            "plan": content.model_dump(mode="json"),
            "public": public.model_dump(mode="json"),
            "ballots_pb": ballots,
        },
        adopted_at=utcnow(),
        adopted_by_id=user.id,
    )
    session.add(snapshot)
    session.flush()
    audit.record(
        session,
        action="plan.adopted",
        user_id=user.id,
        object_type="plan_snapshot",
        object_id=snapshot.id,
        process_id=process_id,
        detail={
            "rule": content.rule,
            "completion": content.completion,
            "fingerprint": content.fingerprint,
        },
    )
    return snapshot


def fingerprint_now(session: Session, *, snapshot: PlanSnapshot) -> str:
    """The fingerprint the ballots have now under an adopted plan's rule and ranking.

    A plan adopted before schema 2 has a fingerprint of the first kind (the ballots only).
    """
    source = load_source(session, process_id=snapshot.process_id)
    if snapshot.content.get("plan", {}).get("schema_version", 1) < c.SCHEMA_VERSION:
        return plan_file.fingerprint_v1(plan_file.anonymise(source.sieve))
    rule, ranked_by, completion = method_of(snapshot)
    if rule is PACKAGE_RULE and not source.sieve.packages:
        rule = wz.Rule.GREEDY
    return fingerprint_of(source, rule, ranked_by, completion)


def method_of(snapshot: PlanSnapshot) -> tuple[wz.Rule, wz.RankBy, Completion | None]:
    """How an adopted plan was made: its rule, ranking and completion of equal shares (None for
    the other rules; a plan adopted before the completion could be chosen has the default)."""
    rule = wz.Rule(snapshot.rule)
    ranked_by = wz.RankBy(str(snapshot.parameters.get("ranked_by", wz.RankBy.CONTRIBUTION)))
    stored = str(snapshot.parameters.get("completion", ""))
    completion = Completion(stored) if stored in set(Completion) else None
    return rule, ranked_by, plan_file.completion_for(rule, completion)


def adopted(
    session: Session, *, process_id: int, snapshot_id: int | None = None
) -> PlanSnapshot | None:
    """The latest adopted snapshot of a process (or the one asked for), if any."""
    query = select(PlanSnapshot).where(
        PlanSnapshot.process_id == process_id, col(PlanSnapshot.adopted_at).is_not(None)
    )
    if snapshot_id is not None:
        snapshot = session.exec(query.where(PlanSnapshot.id == snapshot_id)).first()
        if snapshot is None:
            raise NotFound(N_("There is no adopted plan %(id)s."), id=snapshot_id)
        return snapshot
    return session.exec(
        query.order_by(col(PlanSnapshot.adopted_at).desc(), col(PlanSnapshot.id).desc())
    ).first()


def snapshot_content(snapshot: PlanSnapshot, *, public: bool = False) -> tuple[c.PlanContent, str]:
    """An adopted plan exactly as it was adopted (or its public version), and its ballots file."""
    plan = c.PlanContent.model_validate(snapshot.content["public" if public else "plan"])
    plan.adopted_at = snapshot.adopted_at
    plan.snapshot_id = snapshot.id
    return plan, str(snapshot.content["ballots_pb"])


def set_public(session: Session, *, process_id: int, public: bool, user: User) -> None:
    """Publish the adopted plan's public version, or withdraw it."""
    process = session.get(Process, process_id)
    if process is None:
        raise NotFound(N_("There is no process %(id)s."), id=process_id)
    process.plan_is_public = public
    audit.record(
        session,
        action="plan.published" if public else "plan.withdrawn",
        user_id=user.id,
        object_type="process",
        object_id=process_id,
        process_id=process_id,
    )
