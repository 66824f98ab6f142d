"""The process editor: a process, its desired effects, indicators and measures, and new versions.

Once a round of a process has been opened its budget, cost horizon, effects, indicators and
measures are frozen (MenuFrozen, HTTP 409); its title, description and budget note can still be
corrected. A new version copies the process, unfrozen, to change the menu after all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.domain.menu import (
    PLAIN_EXPLANATION_MAX,
    MenuDocument,
    Problem,
)
from app.domain.menu.cells import slug
from app.domain.vocabulary import CostHorizon, IndicatorUnit, Role
from app.errors import N_, InvalidInput, NotFound
from app.models import (
    Effect,
    Indicator,
    IndicatorBase,
    IndicatorTarget,
    Measure,
    MeasureBase,
    MeasureEffect,
    Neighbourhood,
    Process,
    ProcessFacilitator,
    User,
)
from app.services import access, audit, menu_read
from app.services import menus as menus_service
from app.services.forms import Fields
from app.services.menu_read import EffectRow, IndicatorRow, MeasureRow

MAX_TARGETS = 12


# --- reading -----------------------------------------------------------------------------------


@dataclass
class EditorEffect:
    """A desired effect with its sub-effects, indicators and the measures listed under it."""

    effect: EffectRow
    sub_effects: list[EffectRow] = field(default_factory=list)
    indicators: list[IndicatorRow] = field(default_factory=list)
    measures: list[MeasureRow] = field(default_factory=list)


@dataclass
class EditorMenu:
    """A process with its whole menu, for the editor's pages."""

    process: Process
    neighbourhood: Neighbourhood
    frozen: bool
    effects: list[EditorEffect]
    measures: list[MeasureRow]
    links: dict[int, list[str]]
    effect_keys: dict[int, str]
    warnings: list[Problem]
    newer_version: Process | None
    older_version: Process | None

    def binding_cost(self, measure: MeasureRow) -> int | None:
        """A measure's cost at the process's binding horizon."""
        return measure.costs.at(CostHorizon(self.process.cost_horizon))

    @property
    def binding_total(self) -> int:
        """The menu's total at the binding horizon."""
        return sum(self.binding_cost(m) or 0 for m in self.measures)


def menu_view(session: Session, *, user: User, process_id: int) -> EditorMenu:
    """A process and its menu for the editor; NotFound when this account may not see it."""
    process = access.process_for(session, user=user, process_id=process_id)
    menu = menu_read.read_menu(session, process_id=process_id)
    newer = session.exec(select(Process).where(Process.previous_version_id == process.id)).first()
    older = (
        session.get(Process, process.previous_version_id) if process.previous_version_id else None
    )
    return EditorMenu(
        process=process,
        neighbourhood=menu.neighbourhood,
        frozen=menu.frozen,
        effects=[
            EditorEffect(e, menu.sub_effects(e), menu.indicators(e), menu.measures_under(e))
            for e in menu.desired_effects
        ],
        measures=list(menu.measures),
        links={m.id: menu.keys_of(m) for m in menu.measures if m.effect_ids},
        effect_keys=menu.effect_keys,
        warnings=menu.warnings(),
        newer_version=newer,
        older_version=older,
    )


def menu_document(session: Session, *, user: User, process_id: int) -> MenuDocument:
    """A process's menu as a menu document, for export in any menu file format."""
    access.process_for(session, user=user, process_id=process_id)
    return menu_read.read_menu(session, process_id=process_id).document()


def effect_in(session: Session, *, process_id: int, effect_id: int) -> Effect:
    """An effect of this process, or NotFound."""
    effect = session.get(Effect, effect_id)
    if effect is None or effect.process_id != process_id:
        raise NotFound(N_("There is no effect %(id)s in this process."), id=effect_id)
    return effect


def measure_in(session: Session, *, process_id: int, measure_id: int) -> Measure:
    """A measure of this process, or NotFound."""
    measure = session.get(Measure, measure_id)
    if measure is None or measure.process_id != process_id:
        raise NotFound(N_("There is no measure %(id)s in this process."), id=measure_id)
    return measure


def indicator_in(session: Session, *, process_id: int, indicator_id: int) -> Indicator:
    """An indicator of this process, or NotFound."""
    indicator = session.get(Indicator, indicator_id)
    effect = session.get(Effect, indicator.effect_id) if indicator else None
    if indicator is None or effect is None or effect.process_id != process_id:
        raise NotFound(N_("There is no indicator %(id)s in this process."), id=indicator_id)
    return indicator


def indicator_targets(session: Session, *, indicator_id: int) -> list[IndicatorTarget]:
    """An indicator's targets by year."""
    return list(
        session.exec(
            select(IndicatorTarget)
            .where(IndicatorTarget.indicator_id == indicator_id)
            .order_by(col(IndicatorTarget.year))
        ).all()
    )


def facilitators(session: Session, *, process_id: int) -> list[User]:
    """The facilitator accounts assigned to a process."""
    return list(
        session.exec(
            select(User)
            .join(ProcessFacilitator, col(ProcessFacilitator.user_id) == User.id)
            .where(ProcessFacilitator.process_id == process_id)
            .order_by(col(User.email))
        ).all()
    )


# --- the process -------------------------------------------------------------------------------


def ensure_unfrozen(session: Session, process: Process) -> None:
    """Raise MenuFrozen when a round of the process has been opened."""
    menus_service.lock_process(session, process_id=process.id or 0)
    if menus_service.is_frozen(session, process_id=process.id or 0):
        raise menus_service.menu_frozen(process)


def _neighbourhood(session: Session, name: str, municipality: str) -> Neighbourhood:
    query = select(Neighbourhood).where(
        func.lower(Neighbourhood.name) == name.lower(),
        func.lower(Neighbourhood.municipality) == municipality.lower(),
    )
    hood = session.exec(query).first()
    if hood is None:
        hood = Neighbourhood(name=name, municipality=municipality)
        try:
            with session.begin_nested():
                session.add(hood)
        except IntegrityError:
            # Another request created the same neighbourhood meanwhile: use theirs.
            hood = session.exec(query).one()
    return hood


def _process_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    f = Fields(data)
    values = {
        "neighbourhood": f.text("neighbourhood", max_length=120),
        "municipality": f.text("municipality", max_length=120),
        "title": f.text("title", max_length=200),
        "description": f.text("description", required=False, max_length=4000),
        "budget_eur": f.euros("budget_eur", required=True),
        "cost_horizon": f.choice("cost_horizon", CostHorizon, default=CostHorizon.YEARS_4),
        "budget_note": f.text("budget_note", required=False, max_length=2000),
    }
    f.check()
    return values


def create_process(
    session: Session, *, user: User, data: Mapping[str, Any], ip_address: str = ""
) -> Process:
    """Create a process (and its neighbourhood when new) from form or API fields."""
    values = _process_fields(data)
    hood = _neighbourhood(session, values.pop("neighbourhood"), values.pop("municipality"))
    assert hood.id is not None
    process = Process(neighbourhood_id=hood.id, **values)
    session.add(process)
    session.flush()
    audit.record(
        session,
        action="process.created",
        user_id=user.id,
        object_type="process",
        object_id=process.id,
        process_id=process.id,
        ip_address=ip_address,
        detail={"title": process.title, "budget_eur": process.budget_eur},
    )
    return process


def update_process(
    session: Session,
    *,
    user: User,
    process_id: int,
    data: Mapping[str, Any],
    ip_address: str = "",
) -> Process:
    """Change a process's fields; its budget and cost horizon only while it is not frozen."""
    process = access.process_for(session, user=user, process_id=process_id)
    values = _process_fields(data)
    if (values["budget_eur"], values["cost_horizon"]) != (
        process.budget_eur,
        process.cost_horizon,
    ):
        ensure_unfrozen(session, process)
    hood = _neighbourhood(session, values.pop("neighbourhood"), values.pop("municipality"))
    values["neighbourhood_id"] = hood.id
    changed = _assign(process, values)
    if changed:
        audit.record(
            session,
            action="process.updated",
            user_id=user.id,
            object_type="process",
            object_id=process.id,
            process_id=process.id,
            ip_address=ip_address,
            detail={"changed": changed},
        )
    session.flush()
    return process


def _assign(obj: Any, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    changed: dict[str, list[Any]] = {}
    for name, value in values.items():
        old = getattr(obj, name)
        if old != value:
            changed[name] = [_plain(old), _plain(value)]
            setattr(obj, name, value)
    return changed


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


# --- effects -----------------------------------------------------------------------------------


def save_effect(
    session: Session,
    *,
    user: User,
    process_id: int,
    data: Mapping[str, Any],
    effect_id: int | None = None,
    ip_address: str = "",
) -> Effect:
    """Create or change a desired effect (with `parent`, a sub-effect of that effect)."""
    process = access.process_for(session, user=user, process_id=process_id)
    ensure_unfrozen(session, process)
    effect = effect_in(session, process_id=process_id, effect_id=effect_id) if effect_id else None
    detail: dict[str, Any]
    f = Fields(data)
    title = f.text("title")
    key = f.text("key", required=False, max_length=60) or (effect.key if effect else slug(title))
    description = f.text("description", required=False, max_length=4000)
    plain = f.text("plain_explanation", required=False, max_length=PLAIN_EXPLANATION_MAX)
    parent_key = f.text("parent", required=False, max_length=60)
    parent: Effect | None = None
    if parent_key:
        parent = session.exec(
            select(Effect).where(Effect.process_id == process_id, Effect.key == parent_key)
        ).first()
        if parent is None or parent.parent_id is not None:
            f.error(
                "parent",
                N_("'%(value)s' is not a desired effect of this process."),
                value=parent_key,
            )
        elif effect is not None and parent.id == effect.id:
            f.error("parent", N_("An effect cannot be its own sub-effect."))
        elif effect is not None and _has_children(session, effect):
            f.error(
                "parent",
                N_("This effect has sub-effects of its own; a sub-effect is one level deep."),
            )
    _check_key(session, f, Effect, process_id, key, effect.id if effect else None)
    f.check()
    if effect is None:
        effect = Effect(
            process_id=process_id,
            key=key,
            title=title,
            description=description,
            plain_explanation=plain,
            parent_id=parent.id if parent else None,
            position=_next_position(session, Effect, process_id),
        )
        session.add(effect)
        session.flush()
        action, detail = "effect.created", {"key": key, "title": title}
    else:
        changed = _assign(
            effect,
            {
                "key": key,
                "title": title,
                "description": description,
                "plain_explanation": plain,
                "parent_id": parent.id if parent else None,
            },
        )
        action, detail = "effect.updated", {"key": key, "changed": changed}
    audit.record(
        session,
        action=action,
        user_id=user.id,
        object_type="effect",
        object_id=effect.id,
        process_id=process_id,
        ip_address=ip_address,
        detail=detail,
    )
    session.flush()
    return effect


def _has_children(session: Session, effect: Effect) -> bool:
    return session.exec(select(Effect.id).where(Effect.parent_id == effect.id)).first() is not None


def _check_key(
    session: Session,
    f: Fields,
    table: Any,
    process_id: int,
    key: str,
    own_id: int | None,
) -> None:
    if not key:
        if "title" not in f.errors:
            f.error("key", N_("Fill this in."))
        return
    other = session.exec(
        select(table).where(table.process_id == process_id, table.key == key)
    ).first()
    if other is not None and other.id != own_id:
        f.error(
            "key",
            N_("The key '%(key)s' is already used by '%(title)s'; choose another."),
            key=key,
            title=other.title,
        )


def _next_position(session: Session, table: Any, process_id: int) -> int:
    highest = session.exec(
        select(func.max(table.position)).where(table.process_id == process_id)
    ).one()
    return (highest or 0) + 1


def effect_dependants(
    session: Session, *, effect: Effect
) -> tuple[list[Effect], list[Measure], list[Measure]]:
    """What hangs on an effect: its sub-effects, measures listed under it, measures rated on it."""
    subs = list(session.exec(select(Effect).where(Effect.parent_id == effect.id)).all())
    grouped = list(session.exec(select(Measure).where(Measure.group_effect_id == effect.id)).all())
    rated = list(
        session.exec(
            select(Measure)
            .join(MeasureEffect, col(MeasureEffect.measure_id) == Measure.id)
            .where(MeasureEffect.effect_id == effect.id)
        ).all()
    )
    return subs, grouped, rated


def delete_effect(
    session: Session, *, user: User, process_id: int, effect_id: int, ip_address: str = ""
) -> None:
    """Delete an effect that has no sub-effects and no measures listed under it."""
    process = access.process_for(session, user=user, process_id=process_id)
    effect = effect_in(session, process_id=process_id, effect_id=effect_id)
    ensure_unfrozen(session, process)
    subs, grouped, _rated = effect_dependants(session, effect=effect)
    if subs:
        raise InvalidInput(
            N_("'%(title)s' has sub-effects (%(names)s); delete or move those first."),
            title=effect.title,
            names=", ".join(s.title for s in subs),
        )
    if grouped:
        raise InvalidInput(
            N_(
                "Measures are listed under '%(title)s' (%(names)s); "
                "move them to another effect first."
            ),
            title=effect.title,
            names=", ".join(m.title for m in grouped),
        )
    audit.record(
        session,
        action="effect.deleted",
        user_id=user.id,
        object_type="effect",
        object_id=effect.id,
        process_id=process_id,
        ip_address=ip_address,
        detail={"key": effect.key, "title": effect.title},
    )
    session.delete(effect)
    session.flush()


# --- indicators --------------------------------------------------------------------------------


def _free_indicator_key(session: Session, *, process_id: int, name: str) -> str:
    # A new indicator's key is made from its name once and then kept, also when it is renamed:
    # measured values, files and the API name it by its key.
    taken = set(
        session.exec(
            select(Indicator.key)
            .join(Effect, col(Effect.id) == Indicator.effect_id)
            .where(Effect.process_id == process_id)
        )
    )
    base = slug(name) or "indicator"
    key, n = base, 2
    while key in taken:
        key, n = f"{base[:55]}-{n}", n + 1
    return key


def save_indicator(
    session: Session,
    *,
    user: User,
    process_id: int,
    data: Mapping[str, Any],
    targets: Sequence[tuple[Any, Any]] = (),
    indicator_id: int | None = None,
    ip_address: str = "",
) -> Indicator:
    """Create or change an indicator of a desired effect, with its targets by year.

    `targets` are (year, value) pairs as typed; pair n's problems are reported on the fields
    `target_year_n` and `target_value_n`.
    """
    process = access.process_for(session, user=user, process_id=process_id)
    ensure_unfrozen(session, process)
    indicator = (
        indicator_in(session, process_id=process_id, indicator_id=indicator_id)
        if indicator_id
        else None
    )
    detail: dict[str, Any]
    f = Fields(data)
    name = f.text("name", max_length=200)
    effect_key = f.text("effect")
    effect = session.exec(
        select(Effect).where(Effect.process_id == process_id, Effect.key == effect_key)
    ).first()
    if effect_key and (effect is None or effect.parent_id is not None):
        f.error(
            "effect", N_("'%(value)s' is not a desired effect of this process."), value=effect_key
        )
    unit = f.choice("unit", IndicatorUnit)
    lower = f.flag("lower_is_better")
    year = f.year("baseline_year", required=True)
    baseline = f.decimal("baseline", required=True)
    city = f.decimal("city")
    pairs = Fields(
        {f"target_year_{i}": y for i, (y, _v) in enumerate(targets)}
        | {f"target_value_{i}": v for i, (_y, v) in enumerate(targets)}
    )
    parsed: dict[int, Decimal] = {}
    for i in range(len(targets)):
        target_year = pairs.year(f"target_year_{i}")
        value = pairs.decimal(f"target_value_{i}")
        if target_year is None and value is None:
            continue
        if target_year is None:
            pairs.error(f"target_year_{i}", N_("Fill in the year of this target."))
        elif value is None:
            pairs.error(f"target_value_{i}", N_("Fill in the value of this target."))
        elif target_year in parsed:
            pairs.error(
                f"target_year_{i}", N_("There is already a target for %(year)s."), year=target_year
            )
        else:
            parsed[target_year] = value
    f.errors.update(pairs.errors)
    f.check()
    assert effect is not None
    assert effect.id is not None
    assert unit is not None
    assert year is not None
    assert baseline is not None
    values: dict[str, Any] = {
        "name": name,
        "effect_id": effect.id,
        "unit": unit,
        "lower_is_better": lower,
        "baseline_year": year,
        "baseline_value": baseline,
        "city_value": city,
    }
    if indicator is None:
        indicator = Indicator(
            **values,
            key=_free_indicator_key(session, process_id=process_id, name=name),
            position=1
            + (
                session.exec(
                    select(func.max(Indicator.position)).where(Indicator.effect_id == effect.id)
                ).one()
                or 0
            ),
        )
        session.add(indicator)
        session.flush()
        action, detail = "indicator.created", {"name": name}
    else:
        changed = _assign(indicator, values)
        action, detail = "indicator.updated", {"name": name, "changed": changed}
    assert indicator.id is not None
    session.execute(
        delete(IndicatorTarget).where(col(IndicatorTarget.indicator_id) == indicator.id)
    )
    session.add_all(
        IndicatorTarget(indicator_id=indicator.id, year=y, value=v)
        for y, v in sorted(parsed.items())
    )
    detail["targets"] = {str(y): str(v) for y, v in sorted(parsed.items())}
    audit.record(
        session,
        action=action,
        user_id=user.id,
        object_type="indicator",
        object_id=indicator.id,
        process_id=process_id,
        ip_address=ip_address,
        detail=detail,
    )
    session.flush()
    return indicator


def delete_indicator(
    session: Session, *, user: User, process_id: int, indicator_id: int, ip_address: str = ""
) -> None:
    """Delete an indicator and its targets."""
    process = access.process_for(session, user=user, process_id=process_id)
    indicator = indicator_in(session, process_id=process_id, indicator_id=indicator_id)
    ensure_unfrozen(session, process)
    audit.record(
        session,
        action="indicator.deleted",
        user_id=user.id,
        object_type="indicator",
        object_id=indicator.id,
        process_id=process_id,
        ip_address=ip_address,
        detail={"name": indicator.name},
    )
    session.delete(indicator)
    session.flush()


# --- measures ----------------------------------------------------------------------------------


def save_measure(
    session: Session,
    *,
    user: User,
    process_id: int,
    data: Mapping[str, Any],
    measure_id: int | None = None,
    ip_address: str = "",
) -> Measure:
    """Create or change a measure: costs, regular flag, organisation, group and linked effects."""
    process = access.process_for(session, user=user, process_id=process_id)
    ensure_unfrozen(session, process)
    measure = (
        measure_in(session, process_id=process_id, measure_id=measure_id) if measure_id else None
    )
    detail: dict[str, Any]
    f = Fields(data)
    title = f.text("title")
    key = f.text("key", required=False, max_length=60) or (measure.key if measure else slug(title))
    description = f.text("description", required=False, max_length=4000)
    plain = f.text("plain_explanation", required=False, max_length=PLAIN_EXPLANATION_MAX)
    organisation = f.text("organisation", required=False, max_length=200)
    costs = [f.euros(name) for name in ("cost_year_1", "cost_years_4", "cost_years_10")]
    regular = f.flag("regular")
    effects = {
        e.key: e for e in session.exec(select(Effect).where(Effect.process_id == process_id)).all()
    }
    group_key = f.text("group", max_length=60)
    group = effects.get(group_key)
    if group_key and (group is None or group.parent_id is not None):
        f.error(
            "group", N_("'%(value)s' is not a desired effect of this process."), value=group_key
        )
    raw_links = f.raw("effects") or []
    if isinstance(raw_links, str):
        raw_links = [k.strip() for k in raw_links.replace(";", ",").split(",") if k.strip()]
    unknown = [k for k in raw_links if k not in effects]
    if unknown:
        f.error(
            "effects",
            N_("'%(value)s' is not a desired effect of this process."),
            value=", ".join(str(k) for k in unknown),
        )
    _check_key(session, f, Measure, process_id, key, measure.id if measure else None)
    f.check()
    assert group is not None
    assert group.id is not None
    linked = [effects[k] for k in raw_links] or [group]
    values: dict[str, Any] = {
        "key": key,
        "title": title,
        "description": description,
        "plain_explanation": plain,
        "organisation": organisation,
        "cost_year_1": costs[0],
        "cost_years_4": costs[1],
        "cost_years_10": costs[2],
        "is_regular": regular,
        "group_effect_id": group.id,
    }
    if measure is None:
        measure = Measure(
            process_id=process_id, position=_next_position(session, Measure, process_id), **values
        )
        session.add(measure)
        session.flush()
        action, detail = "measure.created", {"key": key, "title": title}
    else:
        changed = _assign(measure, values)
        action, detail = "measure.updated", {"key": key, "changed": changed}
    assert measure.id is not None
    before = set(
        session.exec(
            select(MeasureEffect.effect_id).where(MeasureEffect.measure_id == measure.id)
        ).all()
    )
    wanted = {e.id for e in linked if e.id is not None}
    if before != wanted:
        session.execute(delete(MeasureEffect).where(col(MeasureEffect.measure_id) == measure.id))
        session.add_all(MeasureEffect(measure_id=measure.id, effect_id=e) for e in sorted(wanted))
        detail["effects"] = [e.key for e in linked]
    audit.record(
        session,
        action=action,
        user_id=user.id,
        object_type="measure",
        object_id=measure.id,
        process_id=process_id,
        ip_address=ip_address,
        detail=detail,
    )
    session.flush()
    return measure


def measure_by_key(session: Session, *, process_id: int, key: str) -> Measure | None:
    """A process's measure with this key, if any."""
    return session.exec(
        select(Measure).where(Measure.process_id == process_id, Measure.key == key)
    ).first()


def effect_by_key(session: Session, *, process_id: int, key: str) -> Effect | None:
    """A process's effect with this key, if any."""
    return session.exec(
        select(Effect).where(Effect.process_id == process_id, Effect.key == key)
    ).first()


def delete_measure(
    session: Session, *, user: User, process_id: int, measure_id: int, ip_address: str = ""
) -> None:
    """Delete a measure from the menu."""
    process = access.process_for(session, user=user, process_id=process_id)
    measure = measure_in(session, process_id=process_id, measure_id=measure_id)
    ensure_unfrozen(session, process)
    audit.record(
        session,
        action="measure.deleted",
        user_id=user.id,
        object_type="measure",
        object_id=measure.id,
        process_id=process_id,
        ip_address=ip_address,
        detail={"key": measure.key, "title": measure.title},
    )
    session.delete(measure)
    session.flush()


# --- versions ----------------------------------------------------------------------------------


def new_version(session: Session, *, user: User, process_id: int, ip_address: str = "") -> Process:
    """Copy a process with its menu and facilitators as the next version, not frozen."""
    old = access.process_for(session, user=user, process_id=process_id)
    newer = session.exec(select(Process).where(Process.previous_version_id == old.id)).first()
    if newer is not None:
        raise InvalidInput(
            N_(
                "Version %(version)s of this process exists already (process %(id)s); "
                "change that one."
            ),
            version=newer.version,
            id=newer.id,
        )
    copy = Process(
        neighbourhood_id=old.neighbourhood_id,
        title=old.title,
        description=old.description,
        budget_eur=old.budget_eur,
        cost_horizon=old.cost_horizon,
        budget_note=old.budget_note,
        version=old.version + 1,
        previous_version_id=old.id,
    )
    session.add(copy)
    session.flush()
    assert copy.id is not None
    effect_ids: dict[int, int] = {}
    effects = session.exec(
        select(Effect).where(Effect.process_id == old.id).order_by(col(Effect.position))
    ).all()
    for effect in sorted(effects, key=lambda e: e.parent_id is not None):
        new = Effect(
            process_id=copy.id,
            key=effect.key,
            title=effect.title,
            description=effect.description,
            plain_explanation=effect.plain_explanation,
            position=effect.position,
            parent_id=effect_ids[effect.parent_id] if effect.parent_id else None,
        )
        session.add(new)
        session.flush()
        effect_ids[effect.id or 0] = new.id or 0
    for indicator in session.exec(
        select(Indicator)
        .where(col(Indicator.effect_id).in_(list(effect_ids)))
        .order_by(col(Indicator.position), col(Indicator.id))
    ).all():
        new_indicator = Indicator(
            **{name: getattr(indicator, name) for name in IndicatorBase.model_fields},
            effect_id=effect_ids[indicator.effect_id],
        )
        session.add(new_indicator)
        session.flush()
        session.add_all(
            IndicatorTarget(indicator_id=new_indicator.id or 0, year=t.year, value=t.value)
            for t in indicator_targets(session, indicator_id=indicator.id or 0)
        )
    for measure in session.exec(
        select(Measure)
        .where(Measure.process_id == old.id)
        .order_by(col(Measure.position), col(Measure.id))
    ).all():
        new_measure = Measure(
            **{name: getattr(measure, name) for name in MeasureBase.model_fields},
            process_id=copy.id,
            group_effect_id=effect_ids.get(measure.group_effect_id or 0),
        )
        session.add(new_measure)
        session.flush()
        session.add_all(
            MeasureEffect(measure_id=new_measure.id or 0, effect_id=effect_ids[link.effect_id])
            for link in session.exec(
                select(MeasureEffect).where(MeasureEffect.measure_id == measure.id)
            ).all()
        )
    for assignment in session.exec(
        select(ProcessFacilitator).where(ProcessFacilitator.process_id == old.id)
    ).all():
        session.add(ProcessFacilitator(process_id=copy.id, user_id=assignment.user_id))
    audit.record(
        session,
        action="process.version_started",
        user_id=user.id,
        object_type="process",
        object_id=copy.id,
        process_id=copy.id,
        ip_address=ip_address,
        detail={"previous_process_id": old.id, "version": copy.version},
    )
    session.flush()
    return copy


def process_choices(session: Session, *, user: User) -> list[Process]:
    """The processes this account may work on, newest version last."""
    query = select(Process).order_by(col(Process.title), col(Process.version))
    if user.role != Role.WIJKTEAM:
        query = query.join(
            ProcessFacilitator, col(ProcessFacilitator.process_id) == Process.id
        ).where(ProcessFacilitator.user_id == user.id)
    return list(session.exec(query).all())
