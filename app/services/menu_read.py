"""The menu read model: one service function that reads a process's menu, and its view types.

The menu page, the API, the editor, the ballot pages and the menu files all read the menu here
(one query per table, no query per row). Once a round has been opened the menu is frozen, so its
rows are kept in memory per process (and the moment it froze) and a ballot page reads only the
process row; the process's own title, description and budget note, which may still be corrected,
are always read fresh.

The view types are the tables' own Base models plus ids and links: a field added to a table's
Base model is in the read model too.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from app.domain.menu import (
    Costs,
    EffectSpec,
    IndicatorSpec,
    MeasureSpec,
    MenuDocument,
    Problem,
    SubEffectSpec,
    data_quality_warnings,
)
from app.domain.vocabulary import CostHorizon
from app.errors import N_, NotFound
from app.models import (
    Effect,
    EffectBase,
    Indicator,
    IndicatorBase,
    IndicatorTarget,
    Measure,
    MeasureBase,
    MeasureEffect,
    Neighbourhood,
    Process,
)
from app.services import menus as menus_service

CACHED_MENUS = 64


class EffectRow(EffectBase):
    """A desired effect (no parent) or a sub-effect."""

    id: int
    parent_id: int | None


class TargetRow(SQLModel):
    """An indicator's target for a year."""

    year: int
    value: Decimal


class IndicatorRow(IndicatorBase):
    """An indicator of a desired effect, with its targets by year."""

    id: int
    effect_id: int
    targets: list[TargetRow]


class MeasureRow(MeasureBase):
    """A measure, the effect it is listed under, and the effects it is rated on (menu order)."""

    id: int
    group_effect_id: int | None
    effect_ids: list[int]

    @property
    def costs(self) -> Costs:
        """Its three costs."""
        return Costs(self.cost_year_1, self.cost_years_4, self.cost_years_10)


@dataclass(frozen=True)
class MenuRows:
    """The rows of a menu: effects, indicators and measures in menu order (read only)."""

    effects: tuple[EffectRow, ...]
    indicators: tuple[IndicatorRow, ...]
    measures: tuple[MeasureRow, ...]


@dataclass(frozen=True)
class Menu:
    """A process's menu as everyone reads it."""

    process: Process
    neighbourhood: Neighbourhood
    frozen: bool
    rows: MenuRows

    @property
    def effects(self) -> tuple[EffectRow, ...]:
        """Effects and sub-effects in menu order."""
        return self.rows.effects

    @property
    def measures(self) -> tuple[MeasureRow, ...]:
        """Measures in menu order."""
        return self.rows.measures

    @property
    def desired_effects(self) -> list[EffectRow]:
        """The top-level desired effects (weighed in Wegen)."""
        return [e for e in self.rows.effects if e.parent_id is None]

    def sub_effects(self, effect: EffectRow) -> list[EffectRow]:
        """An effect's sub-effects."""
        return [e for e in self.rows.effects if e.parent_id == effect.id]

    def indicators(self, effect: EffectRow) -> list[IndicatorRow]:
        """An effect's indicators."""
        return [i for i in self.rows.indicators if i.effect_id == effect.id]

    def measures_under(self, effect: EffectRow) -> list[MeasureRow]:
        """The measures listed under a desired effect."""
        return [m for m in self.rows.measures if m.group_effect_id == effect.id]

    @property
    def effect_keys(self) -> dict[int, str]:
        """Effect id -> key."""
        return {e.id: e.key for e in self.rows.effects}

    def keys_of(self, measure: MeasureRow) -> list[str]:
        """The keys of the effects a measure is rated on, in menu order."""
        keys = self.effect_keys
        return [keys[e] for e in measure.effect_ids]

    def group_key(self, measure: MeasureRow) -> str:
        """The key of the effect a measure is listed under ('' for none)."""
        return self.effect_keys.get(measure.group_effect_id or 0, "")

    def binding_cost(self, measure: MeasureRow) -> int | None:
        """A measure's cost at the process's binding horizon."""
        return measure.costs.at(CostHorizon(self.process.cost_horizon))

    def measure_specs(self) -> list[MeasureSpec]:
        """The measures as the menu document has them."""
        return [
            MeasureSpec(
                key=m.key,
                title=m.title,
                group=self.group_key(m),
                effects=tuple(self.keys_of(m)),
                costs=m.costs,
                regular=m.is_regular,
                description=m.description,
                organisation=m.organisation,
                plain_explanation=m.plain_explanation,
            )
            for m in self.rows.measures
        ]

    def warnings(self) -> list[Problem]:
        """The data-quality warnings of the menu."""
        return data_quality_warnings(self.measure_specs())

    def document(self) -> MenuDocument:
        """The menu as a menu document, for every menu file format."""
        process = self.process
        effects = tuple(
            EffectSpec(
                key=e.key,
                title=e.title,
                description=e.description,
                sub_effects=tuple(
                    SubEffectSpec(s.key, s.title, s.description, s.plain_explanation)
                    for s in self.sub_effects(e)
                ),
                indicators=tuple(
                    IndicatorSpec(
                        i.name,
                        i.unit,
                        i.baseline_year,
                        Decimal(i.baseline_value),
                        None if i.city_value is None else Decimal(i.city_value),
                        i.lower_is_better,
                        tuple((t.year, Decimal(t.value)) for t in i.targets),
                        i.key,
                    )
                    for i in self.indicators(e)
                ),
                plain_explanation=e.plain_explanation,
            )
            for e in self.desired_effects
        )
        return MenuDocument(
            seed_key=process.seed_key or f"process-{process.id}",
            neighbourhood_name=self.neighbourhood.name,
            municipality=self.neighbourhood.municipality,
            title=process.title,
            budget_eur=process.budget_eur,
            cost_horizon=CostHorizon(process.cost_horizon),
            effects=effects,
            measures=tuple(self.measure_specs()),
            description=process.description,
            budget_note=process.budget_note,
        )


_cache: OrderedDict[tuple[str, int, datetime], MenuRows] = OrderedDict()
_cache_lock = threading.Lock()


def read_menu(session: Session, *, process_id: int) -> Menu:
    """A process's menu; NotFound when there is no such process."""
    process = session.get(Process, process_id)
    if process is None:
        raise NotFound(N_("There is no process %(id)s."), id=process_id)
    hood = session.get(Neighbourhood, process.neighbourhood_id)
    assert hood is not None
    frozen = process.frozen_at is not None or menus_service.is_frozen(
        session, process_id=process_id
    )
    if process.frozen_at is None:
        rows = _read_rows(session, process_id)
    else:
        # The database too, so that two databases (tests, a copy) never share an entry.
        key = (str(session.get_bind().engine.url), process_id, process.frozen_at)
        with _cache_lock:
            rows_or_none = _cache.get(key)
            if rows_or_none is not None:
                _cache.move_to_end(key)
        if rows_or_none is None:
            rows_or_none = _read_rows(session, process_id)
            with _cache_lock:
                _cache[key] = rows_or_none
                while len(_cache) > CACHED_MENUS:
                    _cache.popitem(last=False)
        rows = rows_or_none
    return Menu(process=process, neighbourhood=hood, frozen=frozen, rows=rows)


def _read_rows(session: Session, process_id: int) -> MenuRows:
    effects = session.exec(
        select(Effect)
        .where(Effect.process_id == process_id)
        .order_by(col(Effect.position), col(Effect.id))
    ).all()
    order = {e.id: n for n, e in enumerate(effects)}
    links: dict[int, list[int]] = defaultdict(list)
    for link in session.exec(
        select(MeasureEffect)
        .join(Measure, col(Measure.id) == MeasureEffect.measure_id)
        .where(Measure.process_id == process_id)
    ):
        links[link.measure_id].append(link.effect_id)
    measures = session.exec(
        select(Measure)
        .where(Measure.process_id == process_id)
        .order_by(col(Measure.position), col(Measure.id))
    ).all()
    indicators = session.exec(
        select(Indicator)
        .join(Effect, col(Effect.id) == Indicator.effect_id)
        .where(Effect.process_id == process_id)
        .order_by(col(Indicator.position), col(Indicator.id))
    ).all()
    targets: dict[int, list[TargetRow]] = defaultdict(list)
    for target in session.exec(
        select(IndicatorTarget)
        .where(col(IndicatorTarget.indicator_id).in_([i.id for i in indicators]))
        .order_by(col(IndicatorTarget.year))
    ):
        targets[target.indicator_id].append(TargetRow(year=target.year, value=target.value))
    return MenuRows(
        effects=tuple(
            EffectRow.model_validate(_fields(e, EffectBase, "id", "parent_id")) for e in effects
        ),
        indicators=tuple(
            IndicatorRow.model_validate(
                {**_fields(i, IndicatorBase, "id", "effect_id"), "targets": targets[i.id or 0]}
            )
            for i in indicators
        ),
        measures=tuple(
            MeasureRow.model_validate(
                {
                    **_fields(m, MeasureBase, "id", "group_effect_id"),
                    "effect_ids": sorted(links[m.id or 0], key=lambda e: order.get(e, 0)),
                }
            )
            for m in measures
        ),
    )


def _fields(row: SQLModel, base: type[SQLModel], *extra: str) -> dict[str, Any]:
    # A table row's Base fields and a few more, read as attributes (validated by the view type).
    return {name: getattr(row, name) for name in (*base.model_fields, *extra)}
