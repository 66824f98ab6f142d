"""Reading processes and their menus for residents, the API and the wijkteam."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.domain.menu import Costs, data_quality_warnings, total_costs
from app.domain.menu.problems import english
from app.domain.vocabulary import Role
from app.errors import N_, NotFound
from app.models import (
    CostTotals,
    DataQualityWarning,
    EffectPublic,
    IndicatorPublic,
    IndicatorTargetPublic,
    MeasurePublic,
    MenuPublic,
    Neighbourhood,
    Process,
    ProcessFacilitator,
    ProcessPublic,
    SubEffectPublic,
    User,
)
from app.services import menu_read


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


_MEASURE_FIELDS = set(MeasurePublic.model_fields) - {"group", "effect_keys", "cost"}


def get_menu(session: Session, *, process_id: int) -> MenuPublic:
    """The menu of a process: effects with sub-effects, indicators and measures, and the totals."""
    menu = menu_read.read_menu(session, process_id=process_id)
    process = menu.process
    specs = {m.id: spec for m, spec in zip(menu.measures, menu.measure_specs(), strict=True)}
    public = {
        m.id: MeasurePublic(
            **m.model_dump(
                include=set(MeasurePublic.model_fields) - {"group", "effect_keys", "cost"}
            ),
            group=specs[m.id].group,
            effect_keys=list(specs[m.id].effects),
            cost=m.costs.at(process.cost_horizon),
        )
        for m in menu.measures
    }
    effect_views = []
    for effect in menu.desired_effects:
        own = [public[m.id] for m in menu.measures_under(effect)]
        effect_views.append(
            EffectPublic(
                id=effect.id,
                key=effect.key,
                title=effect.title,
                description=effect.description,
                plain_explanation=effect.plain_explanation,
                sub_effects=[
                    SubEffectPublic(
                        id=s.id,
                        key=s.key,
                        title=s.title,
                        description=s.description,
                        plain_explanation=s.plain_explanation,
                    )
                    for s in menu.sub_effects(effect)
                ],
                indicators=[
                    IndicatorPublic(
                        key=i.key,
                        name=i.name,
                        unit=i.unit,
                        lower_is_better=i.lower_is_better,
                        baseline_year=i.baseline_year,
                        baseline_value=float(i.baseline_value),
                        city_value=None if i.city_value is None else float(i.city_value),
                        targets=[
                            IndicatorTargetPublic(year=t.year, value=float(t.value))
                            for t in i.targets
                        ],
                    )
                    for i in menu.indicators(effect)
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
        process=_public(process, menu.neighbourhood),
        budget_eur=process.budget_eur,
        cost_horizon=process.cost_horizon,
        measure_count=len(menu.measures),
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
