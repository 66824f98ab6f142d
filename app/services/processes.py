"""Reading processes and their menus for residents, the API and the wijkteam."""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session, col, select

from app.domain.menu import Costs, MeasureSpec, data_quality_warnings, total_costs
from app.domain.menu.problems import english
from app.domain.vocabulary import Role
from app.errors import N_, NotFound
from app.models import (
    CostTotals,
    DataQualityWarning,
    Effect,
    EffectPublic,
    Indicator,
    IndicatorPublic,
    IndicatorTarget,
    IndicatorTargetPublic,
    Measure,
    MeasureEffect,
    MeasurePublic,
    MenuPublic,
    Neighbourhood,
    Process,
    ProcessFacilitator,
    ProcessPublic,
    SubEffectPublic,
    User,
)


def _public(process: Process, hood: Neighbourhood) -> ProcessPublic:
    assert process.id is not None
    return ProcessPublic(
        id=process.id,
        title=process.title,
        description=process.description,
        budget_eur=process.budget_eur,
        cost_horizon=process.cost_horizon,
        state=process.state,
        neighbourhood=hood.name,
        municipality=hood.municipality,
        version=process.version,
        budget_note=process.budget_note,
    )


def process_public(session: Session, process: Process) -> ProcessPublic:
    """A process as the API shows it, with its neighbourhood."""
    hood = session.get(Neighbourhood, process.neighbourhood_id)
    assert hood is not None
    return _public(process, hood)


def list_processes(session: Session, *, user: User | None = None) -> list[ProcessPublic]:
    """The processes by neighbourhood, title and version; a facilitator's own ones only."""
    query = (
        select(Process, Neighbourhood)
        .join(Neighbourhood, col(Neighbourhood.id) == Process.neighbourhood_id)
        .order_by(col(Neighbourhood.name), col(Process.title), col(Process.version))
    )
    if user is not None and user.role != Role.WIJKTEAM:
        query = query.join(
            ProcessFacilitator, col(ProcessFacilitator.process_id) == Process.id
        ).where(ProcessFacilitator.user_id == user.id)
    rows = session.exec(query).all()
    return [_public(p, h) for p, h in rows]


def get_process(session: Session, *, process_id: int) -> Process:
    """The process, or NotFound."""
    process = session.get(Process, process_id)
    if process is None:
        raise NotFound(N_("There is no process %(id)s."), id=process_id)
    return process


def _totals(costs: Costs) -> CostTotals:
    return CostTotals(
        year_1=costs.year_1 or 0, years_4=costs.years_4 or 0, years_10=costs.years_10 or 0
    )


def get_menu(session: Session, *, process_id: int) -> MenuPublic:
    """The menu of a process: effects with sub-effects, indicators and measures, and the totals."""
    process = get_process(session, process_id=process_id)
    hood = session.get(Neighbourhood, process.neighbourhood_id)
    assert hood is not None
    effects = session.exec(
        select(Effect).where(Effect.process_id == process_id).order_by(col(Effect.position))
    ).all()
    measures = session.exec(
        select(Measure).where(Measure.process_id == process_id).order_by(col(Measure.position))
    ).all()
    effect_by_id = {e.id: e for e in effects}
    links: dict[int, list[str]] = defaultdict(list)
    # Effects come in menu order, so each measure's effect keys do too.
    for link in session.exec(
        select(MeasureEffect)
        .join(Measure, col(Measure.id) == MeasureEffect.measure_id)
        .join(Effect, col(Effect.id) == MeasureEffect.effect_id)
        .where(Measure.process_id == process_id)
        .order_by(col(Effect.position))
    ):
        links[link.measure_id].append(effect_by_id[link.effect_id].key)

    indicators = session.exec(
        select(Indicator)
        .join(Effect, col(Effect.id) == Indicator.effect_id)
        .where(Effect.process_id == process_id)
        .order_by(col(Indicator.position))
    ).all()
    targets: dict[int, list[IndicatorTarget]] = defaultdict(list)
    for target in session.exec(
        select(IndicatorTarget)
        .where(col(IndicatorTarget.indicator_id).in_([i.id for i in indicators]))
        .order_by(col(IndicatorTarget.year))
    ):
        targets[target.indicator_id].append(target)

    specs: dict[int, MeasureSpec] = {}
    public: dict[int, MeasurePublic] = {}
    for m in measures:
        assert m.id is not None
        group = effect_by_id[m.group_effect_id].key if m.group_effect_id in effect_by_id else ""
        costs = Costs(m.cost_year_1, m.cost_years_4, m.cost_years_10)
        keys = links[m.id]
        specs[m.id] = MeasureSpec(
            key=m.key,
            title=m.title,
            group=group,
            effects=tuple(keys),
            costs=costs,
            regular=m.is_regular,
        )
        public[m.id] = MeasurePublic(
            **m.model_dump(
                include=set(MeasurePublic.model_fields) - {"group", "effect_keys", "cost"}
            ),
            group=group,
            effect_keys=keys,
            cost=costs.at(process.cost_horizon),
        )

    effect_views = []
    for effect in effects:
        if effect.parent_id is not None:
            continue
        assert effect.id is not None
        own = [public[m.id] for m in measures if m.group_effect_id == effect.id and m.id]
        effect_views.append(
            EffectPublic(
                id=effect.id,
                key=effect.key,
                title=effect.title,
                description=effect.description,
                sub_effects=[
                    SubEffectPublic(id=s.id, key=s.key, title=s.title, description=s.description)
                    for s in effects
                    if s.parent_id == effect.id and s.id is not None
                ],
                indicators=[
                    IndicatorPublic(
                        name=i.name,
                        unit=i.unit,
                        lower_is_better=i.lower_is_better,
                        baseline_year=i.baseline_year,
                        baseline_value=float(i.baseline_value),
                        city_value=None if i.city_value is None else float(i.city_value),
                        targets=[
                            IndicatorTargetPublic(year=t.year, value=float(t.value))
                            for t in targets[i.id or 0]
                        ],
                    )
                    for i in indicators
                    if i.effect_id == effect.id
                ],
                measures=own,
                contributing_measure_keys=[
                    p.key
                    for p in public.values()
                    if effect.key in p.effect_keys and p.group != effect.key
                ],
                totals=_totals(total_costs([specs[m.id] for m in own])),
            )
        )
    total = total_costs(list(specs.values()))
    return MenuPublic(
        process=_public(process, hood),
        budget_eur=process.budget_eur,
        cost_horizon=process.cost_horizon,
        measure_count=len(measures),
        totals=_totals(total),
        binding_total=total.at(process.cost_horizon) or 0,
        effects=effect_views,
        warnings=[
            DataQualityWarning(
                entry=w.where.entry or "",
                code=w.code,
                message=english(w, with_place=False),
                params=dict(w.params),
            )
            for w in data_quality_warnings(list(specs.values()))
        ],
    )
