"""The follow-up of the adopted plan: what became of each measure, the money spent, the values
measured for the indicators, the public page's content and its history; every change is in the
audit log (who) and in the public history (what, without names).

The measures followed are those the latest adopted plan selected. The money planned per year
comes from the latest adopted schedule of that plan, where there is one; plan year 1 is the
follow-up's first calendar year (by default the year the plan was adopted).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from app.db import all_or_nothing
from app.domain import follow_up as fu
from app.domain import follow_up_file as fu_file
from app.domain.menu.files import FileReport, TableSpec, read_table_file
from app.domain.menu.problems import Problem, english
from app.errors import N_, DomainError, InvalidInput, NotFound
from app.exports import content as c
from app.exports import follow_up_file as fu_export
from app.exports.follow_up_content import (
    CoursePublic,
    EffectFollowUp,
    EventPublic,
    FollowUpContent,
    FollowUpProcess,
    IndicatorFollowUp,
    MeasureFollowUp,
    MilestonePublic,
    MoneyYear,
    StatusPublic,
    TargetPublic,
    ValuePublic,
)
from app.exports.schedule_content import ScheduleContent
from app.i18n import gettext, local_time, translations
from app.models import (
    ExecutionMilestone,
    ExecutionSpending,
    FollowUp,
    FollowUpEvent,
    FollowUpStatus,
    IndicatorValue,
    MeasureExecution,
    Neighbourhood,
    PlanSnapshot,
    Process,
    User,
    utcnow,
)
from app.services import access, audit, menu_read
from app.services import plans as plans_service
from app.services import schedules as schedules_service
from app.services.schedules import NoAdoptedPlan

HISTORY_SHOWN = 50
FORMATS = ("csv", "xlsx")
FIRST_YEARS = (1900, 2200)

__all__ = ["NoAdoptedPlan"]


class InvalidFollowUp(InvalidInput):
    """A change with problems, each on its field; nothing was saved."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        listed = "; ".join(
            f"{p.where.field}: {english(p, with_place=False)}" if p.where.field else english(p)
            for p in self.problems
        )
        # Not a catalogue message: each problem is worded from the catalogue where it is shown.
        super().__init__("%(problems)s", problems=listed)


class NotPublished(DomainError):
    """The follow-up is not public (yet)."""

    status = 404
    code = "not_found"


@dataclass(frozen=True)
class _Plan:
    process: Process
    neighbourhood: Neighbourhood
    snapshot: PlanSnapshot
    lines: tuple[c.PlanLine, ...]  # the selected measures, in ranking order
    schedule: ScheduleContent | None

    def line(self, key: str) -> c.PlanLine:
        for line in self.lines:
            if line.key == key:
                return line
        raise NotFound(N_("'%(key)s' is not a measure of the adopted plan."), key=key[:60])


def _plan(session: Session, process_id: int) -> _Plan:
    process = session.get(Process, process_id)
    if process is None:
        raise NotFound(N_("There is no process %(id)s."), id=process_id)
    snapshot = plans_service.adopted(session, process_id=process_id)
    if snapshot is None:
        raise NoAdoptedPlan(
            N_("Process %(id)s has no adopted plan yet; adopt the plan first, then follow it."),
            id=process_id,
        )
    content, _ = plans_service.snapshot_content(snapshot)
    lines = tuple(sorted((m for m in content.measures if m.selected), key=lambda m: m.rank))
    schedule = schedules_service.adopted_for(session, plan_snapshot_id=snapshot.id or 0)
    hood = session.get(Neighbourhood, process.neighbourhood_id)
    assert hood is not None
    return _Plan(process, hood, snapshot, lines, schedule)


def _settings(session: Session, plan: _Plan) -> FollowUp:
    row = session.exec(select(FollowUp).where(FollowUp.process_id == plan.process.id)).first()
    if row is not None:
        return row
    adopted = plan.snapshot.adopted_at or utcnow()
    return FollowUp(process_id=plan.process.id or 0, first_year=adopted.year)


def _stored_settings(session: Session, plan: _Plan) -> FollowUp:
    row = _settings(session, plan)
    if row.id is None:
        session.add(row)
        session.flush()
    return row


# --- statuses ------------------------------------------------------------------------------------


def statuses(session: Session, *, process_id: int) -> tuple[fu.Status, ...]:
    """The built-in statuses and those the wijkteam added, in order."""
    added = session.exec(
        select(FollowUpStatus)
        .where(FollowUpStatus.process_id == process_id)
        .order_by(col(FollowUpStatus.position), col(FollowUpStatus.id))
    ).all()
    return (
        *fu.BUILTIN_STATUSES,
        *(fu.Status(s.key, s.label, s.default_progress, s.needs_reason) for s in added),
    )


def status_label(status: fu.Status) -> str:
    """A status's label in the reader's language."""
    return gettext(status.label) if status.builtin else status.label


def add_status(
    session: Session,
    *,
    process_id: int,
    label: str,
    default_progress: int | None,
    needs_reason: bool,
    user: User,
) -> fu.Status:
    """Add a status to the process's list (its key made from the label)."""
    label = label.strip()
    problems = []
    key = fu.status_key_for(label)
    if not label or not key:
        problems.append(Problem("status_label_missing", {}).at(field="label"))
    elif len(label) > fu.STATUS_LABEL_MAX:
        problems.append(
            Problem("text_too_long", {"length": len(label), "max": fu.STATUS_LABEL_MAX}).at(
                field="label"
            )
        )
    elif any(s.key == key for s in statuses(session, process_id=process_id)):
        problems.append(Problem("status_exists", {"value": label}).at(field="label"))
    if default_progress is not None and not 0 <= default_progress <= fu.PROGRESS_MAX:
        problems.append(
            Problem("not_a_progress", {"value": str(default_progress)}).at(field="default_progress")
        )
    if problems:
        raise InvalidFollowUp(problems)
    position = len(statuses(session, process_id=process_id))
    session.add(
        FollowUpStatus(
            process_id=process_id,
            key=key,
            label=label,
            default_progress=default_progress,
            needs_reason=needs_reason,
            position=position,
        )
    )
    session.flush()
    audit.record(
        session,
        action="follow_up.status_added",
        user_id=user.id,
        object_type="process",
        object_id=process_id,
        process_id=process_id,
        detail={"key": key, "label": label, "default_progress": default_progress},
    )
    return fu.Status(key, label, default_progress, needs_reason)


# --- executions ----------------------------------------------------------------------------------


def _execution_rows(
    session: Session, process_id: int
) -> dict[int, tuple[MeasureExecution, fu.Execution]]:
    rows = session.exec(
        select(MeasureExecution).where(MeasureExecution.process_id == process_id)
    ).all()
    ids = [r.id for r in rows]
    milestones: dict[int, list[fu.Milestone]] = {}
    for m in session.exec(
        select(ExecutionMilestone)
        .where(col(ExecutionMilestone.execution_id).in_(ids))
        .order_by(col(ExecutionMilestone.day), col(ExecutionMilestone.id))
    ):
        milestones.setdefault(m.execution_id, []).append(fu.Milestone(m.day, m.text))
    spent: dict[int, dict[int, int]] = {}
    for s in session.exec(
        select(ExecutionSpending).where(col(ExecutionSpending.execution_id).in_(ids))
    ):
        spent.setdefault(s.execution_id, {})[s.year] = s.amount
    return {
        r.measure_id: (
            r,
            fu.Execution(
                status=r.status,
                progress=r.progress,
                organisation=r.organisation,
                planned_start=r.planned_start,
                planned_end=r.planned_end,
                actual_start=r.actual_start,
                actual_end=r.actual_end,
                reason=r.reason,
                milestones=tuple(milestones.get(r.id or 0, [])),
                spent=spent.get(r.id or 0, {}),
            ),
        )
        for r in rows
    }


def _store(
    session: Session,
    plan: _Plan,
    line: c.PlanLine,
    row: MeasureExecution | None,
    before: fu.Execution,
    after: fu.Execution,
    *,
    user: User,
    ip_address: str,
    via: str,
) -> bool:
    """Write a measure's execution when it changed; the audit log and the history say what."""
    changes = fu.differences(before, after)
    if not changes:
        return False
    now = utcnow()
    if row is None:
        row = MeasureExecution(
            process_id=plan.process.id or 0, measure_id=line.measure_id, status=after.status
        )
        session.add(row)
    for name in ("status", "progress", "organisation", "reason", *fu.DATE_FIELDS):
        setattr(row, name, getattr(after, name))
    row.updated_at = now
    session.flush()
    assert row.id is not None
    if before.milestones != after.milestones:
        for old in session.exec(
            select(ExecutionMilestone).where(ExecutionMilestone.execution_id == row.id)
        ):
            session.delete(old)
        session.flush()
        session.add_all(
            ExecutionMilestone(execution_id=row.id, day=m.on, text=m.text) for m in after.milestones
        )
    if dict(before.spent) != dict(after.spent):
        for old_spending in session.exec(
            select(ExecutionSpending).where(ExecutionSpending.execution_id == row.id)
        ):
            session.delete(old_spending)
        session.flush()
        session.add_all(
            ExecutionSpending(execution_id=row.id, year=year, amount=amount)
            for year, amount in after.spent.items()
        )
    _event(session, plan, "measure", line.key, line.title, changes, now)
    audit.record(
        session,
        action="follow_up.measure_changed",
        user_id=user.id,
        object_type="measure",
        object_id=line.measure_id,
        process_id=plan.process.id,
        ip_address=ip_address,
        detail={"key": line.key, "via": via, "changes": [list(ch) for ch in changes]},
    )
    session.flush()
    return True


def _event(
    session: Session,
    plan: _Plan,
    kind: str,
    key: str,
    subject: str,
    changes: Iterable[tuple[str, str, str]],
    at: datetime,
) -> None:
    session.add(
        FollowUpEvent(
            process_id=plan.process.id or 0,
            at=at,
            kind=kind,
            subject_key=key,
            subject=subject[:300],
            changes=[list(ch) for ch in changes],
        )
    )


def update_measure(
    session: Session,
    *,
    process_id: int,
    key: str,
    change: fu.ExecutionChange,
    user: User,
    ip_address: str = "",
) -> MeasureFollowUp:
    """Change what became of a measure of the adopted plan; every problem at once, nothing saved
    with one."""
    plan = _plan(session, process_id)
    line = plan.line(key)
    current = _execution_rows(session, process_id).get(line.measure_id)
    row, before = current if current is not None else (None, fu.Execution())
    after, problems = fu.apply_change(before, change, statuses(session, process_id=process_id))
    if problems:
        raise InvalidFollowUp(problems)
    _store(session, plan, line, row, before, after, user=user, ip_address=ip_address, via="form")
    return next(m for m in content(session, process_id=process_id).measures if m.key == key)


# --- indicator values ----------------------------------------------------------------------------


def _indicators(session: Session, process_id: int) -> menu_read.Menu:
    return menu_read.read_menu(session, process_id=process_id)


def _indicator(menu: menu_read.Menu, key: str) -> menu_read.IndicatorRow:
    for indicator in menu.rows.indicators:
        if indicator.key == key:
            return indicator
    raise NotFound(N_("'%(key)s' is not an indicator of this process."), key=key[:60])


def _set_value(
    session: Session,
    plan: _Plan,
    indicator: menu_read.IndicatorRow,
    year: int,
    value: Decimal | None,
    source: str,
    *,
    user: User,
    ip_address: str,
    via: str,
    event: bool = True,
) -> list[tuple[str, str, str]]:
    """Set or remove a value; returns what changed (the history gets it unless `event` is off)."""
    row = session.exec(
        select(IndicatorValue).where(
            IndicatorValue.indicator_id == indicator.id, IndicatorValue.year == year
        )
    ).first()
    before = (None, "") if row is None else (Decimal(row.value), row.source)
    after = (value, source if value is not None else "")
    if before == after:
        return []
    changes = []
    if before[0] != after[0]:
        changes.append((f"value.{year}", _number(before[0]), _number(after[0])))
    if before[1] != after[1]:
        changes.append((f"source.{year}", before[1], after[1]))
    now = utcnow()
    if value is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(
            IndicatorValue(
                indicator_id=indicator.id, year=year, value=value, source=source, updated_at=now
            )
        )
    else:
        row.value, row.source, row.updated_at = value, source, now
    if event:
        _event(session, plan, "indicator", indicator.key, indicator.name, changes, now)
    audit.record(
        session,
        action="follow_up.value_set" if value is not None else "follow_up.value_removed",
        user_id=user.id,
        object_type="indicator",
        object_id=indicator.id,
        process_id=plan.process.id,
        ip_address=ip_address,
        detail={"key": indicator.key, "year": year, "value": _number(value), "via": via},
    )
    session.flush()
    return changes


def _number(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


def set_value(
    session: Session,
    *,
    process_id: int,
    indicator_key: str,
    year: int,
    value: Decimal | None,
    source: str,
    user: User,
    ip_address: str = "",
) -> IndicatorFollowUp:
    """Set (or with None remove) the value an indicator was measured at in a year."""
    plan = _plan(session, process_id)
    indicator = _indicator(_indicators(session, process_id), indicator_key)
    problems = []
    if not fu.YEARS[0] <= year <= fu.YEARS[1]:
        problems.append(Problem("not_a_year", {"value": str(year)}).at(field="year"))
    if value is not None and (abs(value) >= 1_000_000 or value != value.quantize(Decimal("0.01"))):
        problems.append(Problem("not_a_number", {"value": str(value)}).at(field="value"))
    source = source.strip()
    if len(source) > fu.SOURCE_MAX:
        problems.append(
            Problem("text_too_long", {"length": len(source), "max": fu.SOURCE_MAX}).at(
                field="source"
            )
        )
    if problems:
        raise InvalidFollowUp(problems)
    _set_value(
        session,
        plan,
        indicator,
        year,
        value,
        source,
        user=user,
        ip_address=ip_address,
        via="form",
    )
    found = content(session, process_id=process_id)
    return next(i for e in found.effects for i in e.indicators if i.key == indicator_key)


# --- settings ------------------------------------------------------------------------------------


def set_public(session: Session, *, process_id: int, public: bool, user: User) -> None:
    """Publish the follow-up page for residents, or withdraw it."""
    row = _stored_settings(session, _plan(session, process_id))
    row.is_public = public
    row.updated_at = utcnow()
    audit.record(
        session,
        action="follow_up.published" if public else "follow_up.withdrawn",
        user_id=user.id,
        object_type="process",
        object_id=process_id,
        process_id=process_id,
    )


def set_first_year(session: Session, *, process_id: int, year: int, user: User) -> None:
    """Set the calendar year of the plan's year 1."""
    if not FIRST_YEARS[0] <= year <= FIRST_YEARS[1]:
        raise InvalidFollowUp([Problem("not_a_year", {"value": str(year)}).at(field="first_year")])
    row = _stored_settings(session, _plan(session, process_id))
    before = row.first_year
    row.first_year = year
    row.updated_at = utcnow()
    audit.record(
        session,
        action="follow_up.first_year",
        user_id=user.id,
        object_type="process",
        object_id=process_id,
        process_id=process_id,
        detail={"before": before, "after": year},
    )


# --- what the pages and the API show ---------------------------------------------------------


def is_public(session: Session, *, process_id: int) -> bool:
    """Whether the wijkteam published the follow-up page (for a link from the public plan)."""
    row = session.exec(select(FollowUp).where(FollowUp.process_id == process_id)).first()
    return row is not None and row.is_public


def public_content(session: Session, *, process_id: int) -> FollowUpContent:
    """The follow-up as residents see it; NotFound unless the wijkteam published it."""
    access.public_process(session, process_id=process_id)
    try:
        found = content(session, process_id=process_id)
    except NoAdoptedPlan:
        found = None
    if found is None or not found.published:
        raise NotPublished(N_("This page does not exist."))
    return found


def content(session: Session, *, process_id: int, history: int = HISTORY_SHOWN) -> FollowUpContent:
    """The follow-up of the adopted plan: measures, money per year, indicators, history."""
    plan = _plan(session, process_id)
    settings = _settings(session, plan)
    status_list = statuses(session, process_id=process_id)
    by_status = {s.key: s for s in status_list}
    executions = _execution_rows(session, process_id)
    first_year = settings.first_year
    planned: dict[str, dict[int, int]] = {}
    if plan.schedule is not None:
        for scheduled in plan.schedule.measures:
            planned[scheduled.key] = {
                first_year + index: amount for index, amount in enumerate(scheduled.by_year)
            }
    measures = []
    for line in plan.lines:
        row, execution = executions.get(line.measure_id, (None, fu.Execution()))
        status = by_status.get(execution.status)
        measures.append(
            MeasureFollowUp(
                key=line.key,
                title=line.title,
                rank=line.rank,
                binding_cost=line.binding_cost,
                status=execution.status,
                status_label=status_label(status) if status else execution.status,
                needs_reason=bool(status and status.needs_reason),
                progress=execution.progress,
                organisation=execution.organisation,
                planned_start=execution.planned_start,
                planned_end=execution.planned_end,
                actual_start=execution.actual_start,
                actual_end=execution.actual_end,
                reason=execution.reason,
                milestones=[MilestonePublic(date=m.on, text=m.text) for m in execution.milestones],
                planned_by_year=planned.get(line.key, {}),
                spent_by_year=dict(execution.spent),
                total_spent=execution.total_spent,
                updated_at=row.updated_at if row else None,
            )
        )
    years = sorted(
        {y for m in measures for y in m.planned_by_year}
        | {y for m in measures for y in m.spent_by_year}
    )
    money = [
        MoneyYear(
            year=year,
            planned=(
                sum(m.planned_by_year.get(year, 0) for m in measures)
                if plan.schedule is not None
                and first_year <= year < first_year + plan.schedule.years
                else None
            ),
            spent=sum(m.spent_by_year.get(year, 0) for m in measures),
        )
        for year in years
    ]
    events = session.exec(
        select(FollowUpEvent)
        .where(FollowUpEvent.process_id == process_id)
        .order_by(col(FollowUpEvent.at).desc(), col(FollowUpEvent.id).desc())
        .limit(history)
    ).all()
    return FollowUpContent(
        process=FollowUpProcess(
            id=process_id,
            title=plan.process.title,
            neighbourhood=plan.neighbourhood.name,
            municipality=plan.neighbourhood.municipality,
        ),
        published=settings.is_public,
        first_year=first_year,
        plan_snapshot_id=plan.snapshot.id or 0,
        plan_adopted_at=plan.snapshot.adopted_at,
        schedule_adopted=plan.schedule is not None,
        statuses=[
            StatusPublic(
                key=s.key,
                label=status_label(s),
                default_progress=s.default_progress,
                needs_reason=s.needs_reason,
                builtin=s.builtin,
            )
            for s in status_list
        ],
        measures=measures,
        money=money,
        planned_total=sum(line.binding_cost for line in plan.lines),
        spent_total=sum(m.total_spent for m in measures),
        effects=_effects(session, process_id),
        last_change_at=events[0].at if events else None,
        history=[
            EventPublic(
                id=e.id or 0,
                at=e.at,
                kind=e.kind,
                subject_key=e.subject_key,
                subject=e.subject,
                changes=e.changes,
            )
            for e in events
        ],
    )


def _effects(session: Session, process_id: int) -> list[EffectFollowUp]:
    menu = _indicators(session, process_id)
    ids = [i.id for i in menu.rows.indicators]
    measured: dict[int, list[IndicatorValue]] = {}
    for value in session.exec(
        select(IndicatorValue)
        .where(col(IndicatorValue.indicator_id).in_(ids))
        .order_by(col(IndicatorValue.year))
    ):
        measured.setdefault(value.indicator_id, []).append(value)
    effects = []
    for effect in menu.desired_effects:
        shown = []
        for i in menu.indicators(effect):
            values = measured.get(i.id, [])
            facts = fu.IndicatorFacts(
                i.baseline_year,
                Decimal(i.baseline_value),
                tuple((t.year, Decimal(t.value)) for t in i.targets),
                i.lower_is_better,
            )
            course = fu.judge(facts, {v.year: Decimal(v.value) for v in values})
            shown.append(
                IndicatorFollowUp(
                    key=i.key,
                    name=i.name,
                    unit=str(i.unit),
                    lower_is_better=i.lower_is_better,
                    baseline_year=i.baseline_year,
                    baseline=float(i.baseline_value),
                    city=None if i.city_value is None else float(i.city_value),
                    targets=[TargetPublic(year=t.year, value=float(t.value)) for t in i.targets],
                    values=[
                        ValuePublic(year=v.year, value=float(v.value), source=v.source)
                        for v in values
                    ],
                    course=CoursePublic(
                        judgement=course.judgement,
                        year=course.year,
                        value=None if course.value is None else float(course.value),
                        expected=None
                        if course.expected is None
                        else round(float(course.expected), 2),
                        target_year=course.target_year,
                        target=None if course.target is None else float(course.target),
                    ),
                )
            )
        if shown:
            effects.append(EffectFollowUp(key=effect.key, title=effect.title, indicators=shown))
    return effects


# --- the file ------------------------------------------------------------------------------------


@dataclass
class FollowUpImport:
    """What an import did (or, checking only, would do)."""

    read: FileReport[fu_file.FollowUpUpdate]
    measures_changed: int = 0
    values_changed: int = 0
    written: bool = False
    dry_run: bool = False
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the file could be imported."""
        return not self.read.problems


def _status_words(status_list: Sequence[fu.Status]) -> dict[str, str]:
    dutch = translations("nl")
    return {s.key: dutch.gettext(s.label) if s.builtin else s.label for s in status_list}


def _file_order(problem: Problem) -> tuple[int, int, str]:
    letter = problem.where.column_letter or ""
    return (problem.where.row or 0, len(letter), letter)


def import_file(
    session: Session,
    *,
    process_id: int,
    filename: str,
    data: bytes,
    user: User,
    dry_run: bool = False,
    ip_address: str = "",
) -> FollowUpImport:
    """Read a follow-up file (CSV or XLSX) and apply it, all or nothing."""
    plan = _plan(session, process_id)
    status_list = statuses(session, process_id=process_id)
    executions = _execution_rows(session, process_id)
    menu = _indicators(session, process_id)
    context = fu_file.FileContext(
        measures={
            line.key: fu_file.PlanMeasure(
                line.title, executions.get(line.measure_id, (None, fu.Execution()))[1]
            )
            for line in plan.lines
        },
        indicators={i.key: i.name for i in menu.rows.indicators},
        statuses=status_list,
        status_labels=_status_words(status_list),
    )
    table = TableSpec(
        read=fu_file.reader(context), sheet=fu_file.SHEET, header_words=fu_file.HEADER_WORDS
    )
    read = read_table_file(filename=filename, data=data, table=table)
    # In the order of the file, as the wijkteam goes through it.
    read.problems.sort(key=_file_order)
    read.warnings.sort(key=_file_order)
    result = FollowUpImport(read=read, dry_run=dry_run)
    if read.problems or read.document is None:
        return result
    update = read.document
    with all_or_nothing(session, dry_run=dry_run):
        for line in plan.lines:
            if line.key not in update.executions:
                continue
            row, before = executions.get(line.measure_id, (None, fu.Execution()))
            if _store(
                session,
                plan,
                line,
                row,
                before,
                update.executions[line.key],
                user=user,
                ip_address=ip_address,
                via="file",
            ):
                result.measures_changed += 1
        # One entry in the history per indicator, with all its years.
        by_key = {i.key: i for i in menu.rows.indicators}
        changed: dict[str, list[tuple[str, str, str]]] = {}
        for m in update.measurements:
            found = _set_value(
                session,
                plan,
                by_key[m.indicator],
                m.year,
                m.value,
                m.source,
                user=user,
                ip_address=ip_address,
                via="file",
                event=False,
            )
            if found:
                result.values_changed += 1
                changed.setdefault(m.indicator, []).extend(found)
        now = utcnow()
        for key, changes in changed.items():
            _event(session, plan, "indicator", key, by_key[key].name, changes, now)
        audit.record(
            session,
            action="follow_up.imported",
            user_id=user.id,
            object_type="process",
            object_id=process_id,
            process_id=process_id,
            ip_address=ip_address,
            detail={
                "file": filename[:200],
                "format": str(read.format),
                "measures_changed": result.measures_changed,
                "values_changed": result.values_changed,
                "dry_run": dry_run,
            },
        )
    result.written = not dry_run
    return result


@dataclass(frozen=True)
class FollowUpFile:
    """A follow-up file to download."""

    content: bytes
    filename: str
    media_type: str


def export_file(
    session: Session, *, process_id: int, file_format: str, user: User, ip_address: str = ""
) -> FollowUpFile:
    """The execution state and the measured values as CSV or XLSX (the import's format)."""
    if file_format not in FORMATS:
        raise InvalidInput(N_("format: choose csv or xlsx."))
    found = content(session, process_id=process_id, history=0)
    status_list = statuses(session, process_id=process_id)
    words = _status_words(status_list)
    executions = _execution_rows(session, process_id)
    plan = _plan(session, process_id)
    states = [
        fu_file.MeasureState(
            line.key,
            line.title,
            words.get(executions.get(line.measure_id, (None, fu.Execution()))[1].status, ""),
            executions.get(line.measure_id, (None, fu.Execution()))[1],
        )
        for line in plan.lines
    ]
    measurements = [
        fu_file.MeasurementState(i.key, i.name, v.year, Decimal(str(v.value)), v.source)
        for e in found.effects
        for i in e.indicators
        for v in i.values
    ]
    if file_format == "csv":
        data = fu_export.follow_up_csv(states, measurements)
    else:
        meanings = []
        for s in status_list:
            default = (
                gettext("keeps the progress it had")
                if s.default_progress is None
                else gettext("progress %(percent)s%% by default") % {"percent": s.default_progress}
            )
            need = gettext("; needs a reason") if s.needs_reason else ""
            meanings.append((words[s.key], f"{default}{need}"))
        data = fu_export.follow_up_xlsx(states, measurements, meanings)
    audit.record(
        session,
        action="follow_up.exported",
        user_id=user.id,
        object_type="process",
        object_id=process_id,
        process_id=process_id,
        ip_address=ip_address,
        detail={"format": file_format},
    )
    stamp = local_time(datetime.now(UTC), "%Y-%m-%d")
    return FollowUpFile(
        data,
        f"voortgang-{process_id}-{stamp}.{file_format}",
        fu_export.MEDIA_TYPES[file_format],
    )
