"""Loading a menu document into a process, idempotently, and reading a process's menu."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.domain.menu import (
    EffectSpec,
    MenuDocument,
    Problem,
    data_quality_warnings,
    files,
)
from app.domain.menu.problems import MenuProblems, Where
from app.errors import N_, MenuFrozen
from app.models import (
    Effect,
    Indicator,
    IndicatorTarget,
    Measure,
    MeasureEffect,
    Meeting,
    Neighbourhood,
    Process,
    Round,
)


@dataclass
class LoadReport:
    """What a load did: the process, how many rows it created, changed or removed, and warnings."""

    process_id: int
    created: int = 0
    updated: int = 0
    removed: int = 0
    warnings: list[Problem] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the load wrote anything."""
        return bool(self.created or self.updated or self.removed)


def read_menu_file(path: Path) -> MenuDocument:
    """A menu file from disk (a seed, or any menu file format), or MenuProblems naming each one."""
    try:
        data = path.read_bytes()
    except OSError as error:
        problem = Problem("file_unreadable", {"reason": error.strerror}, Where(file=str(path)))
        raise MenuProblems([problem]) from None
    read = files.read_menu_file(filename=path.name, data=data)
    if read.problems or read.document is None:
        raise MenuProblems([p.at(file=str(path)) for p in read.problems], read.warnings)
    return read.document


def lock_process(session: Session, *, process_id: int) -> None:
    """Hold the process row until the transaction ends, so that a menu change and the opening of
    a round cannot pass each other: whoever comes second sees what the first did."""
    session.exec(select(Process.id).where(Process.id == process_id).with_for_update()).first()


def menu_frozen(process: Process) -> MenuFrozen:
    """The refusal of a change to a frozen menu, naming the process."""
    return MenuFrozen(
        N_(
            "Process %(id)s ('%(title)s') has had a round opened, so its budget, effects and "
            "measures are frozen; start a new process version to change them."
        ),
        id=process.id,
        title=process.title,
    )


def is_frozen(session: Session, *, process_id: int) -> bool:
    """Whether any round of the process has ever been opened."""
    opened = session.exec(
        select(func.count())
        .select_from(Round)
        .join(Meeting, col(Meeting.id) == Round.meeting_id)
        .where(Meeting.process_id == process_id, col(Round.opened_at).is_not(None))
    ).one()
    return bool(opened)


def load_menu(session: Session, *, document: MenuDocument) -> LoadReport:
    """Create or update the process the document's seed key names; loading twice changes nothing."""
    hood = session.exec(
        select(Neighbourhood).where(
            Neighbourhood.municipality == document.municipality,
            Neighbourhood.name == document.neighbourhood_name,
        )
    ).first()
    created = 0
    if hood is None:
        hood = Neighbourhood(name=document.neighbourhood_name, municipality=document.municipality)
        try:
            with session.begin_nested():
                session.add(hood)
            created += 1
        except IntegrityError:
            # Another request created the same neighbourhood meanwhile: use theirs.
            hood = session.exec(
                select(Neighbourhood).where(
                    Neighbourhood.municipality == document.municipality,
                    Neighbourhood.name == document.neighbourhood_name,
                )
            ).one()
    assert hood.id is not None

    process = session.exec(select(Process).where(Process.seed_key == document.seed_key)).first()
    if process is None:
        process = Process(
            seed_key=document.seed_key,
            neighbourhood_id=hood.id,
            title=document.title,
            description=document.description,
            budget_eur=document.budget_eur,
            cost_horizon=document.cost_horizon,
            budget_note=document.budget_note,
        )
        session.add(process)
        session.flush()
        created += 1
    assert process.id is not None
    report = LoadReport(process_id=process.id, created=created)
    report.warnings = data_quality_warnings(document.measures, document.stated_totals)

    lock_process(session, process_id=process.id)
    frozen = is_frozen(session, process_id=process.id)
    with session.no_autoflush:
        kept = _sync(session, process, hood.id, document, report, frozen=frozen)
    if kept:
        report.warnings.append(Problem("plain_kept_frozen", {"count": kept}))
    if frozen and report.changed:
        raise menu_frozen(process)
    session.flush()
    return report


def _assign(obj: Any, **values: Any) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _sync(
    session: Session,
    process: Process,
    hood_id: int,
    doc: MenuDocument,
    report: LoadReport,
    *,
    frozen: bool,
) -> int:
    """Make the process's menu the document's; returns how many plain explanations of a frozen
    menu were kept as they were (they are not worth refusing the whole file for: a database whose
    menu froze before they existed loads the seed at every start)."""
    assert process.id is not None
    kept = 0

    def plain(row: Effect | Measure | None, wanted: str) -> str:
        nonlocal kept
        if frozen and row is not None and row.plain_explanation != wanted:
            kept += 1
            return row.plain_explanation
        return wanted

    if _assign(
        process,
        neighbourhood_id=hood_id,
        title=doc.title,
        description=doc.description,
        budget_eur=doc.budget_eur,
        cost_horizon=doc.cost_horizon,
        budget_note=doc.budget_note,
    ):
        report.updated += 1

    existing = {
        e.key: e for e in session.exec(select(Effect).where(Effect.process_id == process.id))
    }
    wanted: set[str] = set()
    by_key: dict[str, Effect] = {}
    # Indicators are matched by key across the whole process, so that one that stays (or moves to
    # another effect) keeps its row, and with it the values measured for it after the vote.
    indicators = {
        i.key: i
        for i in session.exec(
            select(Indicator)
            .join(Effect, col(Effect.id) == Indicator.effect_id)
            .where(Effect.process_id == process.id)
        )
    }
    position = 0
    for spec in doc.effects:
        parent = _upsert_effect(
            session,
            process.id,
            existing,
            spec.key,
            spec.title,
            spec.description,
            plain(existing.get(spec.key), spec.plain_explanation),
            None,
            position,
            report,
        )
        wanted.add(spec.key)
        by_key[spec.key] = parent
        position += 1
        for sub in spec.sub_effects:
            child = _upsert_effect(
                session,
                process.id,
                existing,
                sub.key,
                sub.title,
                sub.description,
                plain(existing.get(sub.key), sub.plain_explanation),
                parent.id,
                position,
                report,
            )
            wanted.add(sub.key)
            by_key[sub.key] = child
            position += 1
        _sync_indicators(session, parent, spec, indicators, report)
    for stale_indicator in indicators.values():
        session.delete(stale_indicator)
        report.removed += 1
    session.flush()

    existing_measures = {
        m.key: m for m in session.exec(select(Measure).where(Measure.process_id == process.id))
    }
    for index, spec_m in enumerate(doc.measures):
        measure = existing_measures.pop(spec_m.key, None)
        is_new = measure is None
        values = {
            "title": spec_m.title,
            "description": spec_m.description,
            "plain_explanation": plain(measure, spec_m.plain_explanation),
            "organisation": spec_m.organisation,
            "cost_year_1": spec_m.costs.year_1,
            "cost_years_4": spec_m.costs.years_4,
            "cost_years_10": spec_m.costs.years_10,
            "is_regular": spec_m.regular,
            "position": index,
            "group_effect_id": by_key[spec_m.group].id,
        }
        if measure is None:
            measure = Measure(process_id=process.id, key=spec_m.key, title=spec_m.title)
            _assign(measure, **values)
            session.add(measure)
            session.flush()
            report.created += 1
        elif _assign(measure, **values):
            report.updated += 1
        assert measure.id is not None
        links = set(
            session.exec(
                select(MeasureEffect.effect_id).where(MeasureEffect.measure_id == measure.id)
            )
        )
        target = {by_key[k].id for k in spec_m.effects}
        if links != target:
            session.execute(
                delete(MeasureEffect).where(col(MeasureEffect.measure_id) == measure.id)
            )
            session.add_all(
                MeasureEffect(measure_id=measure.id, effect_id=e)
                for e in sorted(i for i in target if i is not None)
            )
            if not is_new:
                report.updated += 1
    for stale in existing_measures.values():
        session.delete(stale)
        report.removed += 1
    session.flush()
    # Sub-effects before their parents: the database would cascade them away first otherwise,
    # and the ORM would then find fewer rows to delete than it expected.
    stale_effects = [e for key, e in existing.items() if key not in wanted]
    for parents in (False, True):
        for effect in stale_effects:
            if (effect.parent_id is None) is parents:
                session.delete(effect)
                report.removed += 1
        session.flush()
    return kept


def _upsert_effect(
    session: Session,
    process_id: int,
    existing: dict[str, Effect],
    key: str,
    title: str,
    description: str,
    plain_explanation: str,
    parent_id: int | None,
    position: int,
    report: LoadReport,
) -> Effect:
    effect = existing.get(key)
    if effect is None:
        effect = Effect(
            process_id=process_id,
            key=key,
            title=title,
            description=description,
            plain_explanation=plain_explanation,
            parent_id=parent_id,
            position=position,
        )
        session.add(effect)
        session.flush()
        report.created += 1
    elif _assign(
        effect,
        title=title,
        description=description,
        plain_explanation=plain_explanation,
        parent_id=parent_id,
        position=position,
    ):
        report.updated += 1
    return effect


def _sync_indicators(
    session: Session,
    effect: Effect,
    spec: EffectSpec,
    existing: dict[str, Indicator],
    report: LoadReport,
) -> None:
    """Create or update the effect's indicators by key; `existing` keeps those not (yet) used."""
    assert effect.id is not None
    for position, ind in enumerate(spec.indicators):
        values: dict[str, Any] = {
            "effect_id": effect.id,
            "name": ind.name,
            "unit": ind.unit,
            "lower_is_better": ind.lower_is_better,
            "baseline_year": ind.baseline_year,
            "baseline_value": ind.baseline,
            "city_value": ind.city,
            "position": position,
        }
        row = existing.pop(ind.key, None)
        if row is None:
            row = Indicator(key=ind.key, **values)
            session.add(row)
            session.flush()
            report.created += 1
            changed = False
        else:
            changed = _assign(row, **values)
        assert row.id is not None
        targets = session.exec(
            select(IndicatorTarget)
            .where(IndicatorTarget.indicator_id == row.id)
            .order_by(col(IndicatorTarget.year))
        ).all()
        if [(t.year, t.value) for t in targets] != list(ind.targets):
            for target in targets:
                session.delete(target)
            session.flush()
            session.add_all(
                IndicatorTarget(indicator_id=row.id, year=y, value=v) for y, v in ind.targets
            )
            changed = changed or bool(targets)
        if changed:
            report.updated += 1
