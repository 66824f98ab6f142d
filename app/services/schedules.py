"""The adopted bewonersplan put in time: the proposal, the wijkteam's changes, and adoption.

A schedule belongs to the latest adopted plan of a process. Until the wijkteam saves a change it
is the proposal (`app/domain/schedule.py`); a saved change is the draft; adopting stores it as an
immutable snapshot with its fingerprint. A schedule in which any year overspends is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.domain import schedule as fasering
from app.errors import N_, DomainError, InvalidInput
from app.exports import content as c
from app.exports.schedule_content import (
    OutlookYear,
    ScheduleContent,
    ScheduledMeasure,
    ScheduleNote,
    ScheduleYear,
)
from app.models import PlanSchedule, PlanSnapshot, User, utcnow
from app.services import audit
from app.services import plans as plans_service

MAX_MONEY = 10**12


class NoAdoptedPlan(DomainError):
    """There is no adopted plan to put in time yet."""

    status = 409
    code = "no_adopted_plan"


class Overspent(DomainError):
    """A year of the schedule spends more than it has."""

    status = 409
    code = "overspent"


@dataclass(frozen=True)
class ScheduleChange:
    """What the wijkteam changes: money per year, carry-over, start years (by measure key).

    Anything left as None stays as it is; start years not named keep theirs. `propose` makes a
    fresh proposal with the (changed) money instead of keeping the start years.
    """

    money: Sequence[int] | None = None
    carry_over: bool | None = None
    starts: Mapping[str, int | None] | None = None
    propose: bool = False


@dataclass(frozen=True)
class _Plan:
    snapshot: PlanSnapshot
    content: c.PlanContent
    lines: tuple[c.PlanLine, ...]  # the selected measures, in ranking order
    items: tuple[fasering.Item, ...]

    @property
    def years(self) -> int:
        return fasering.HORIZON_YEARS[self.content.process.cost_horizon]


def _plan_of(snapshot: PlanSnapshot) -> _Plan:
    content, _ = plans_service.snapshot_content(snapshot)
    lines = tuple(sorted((m for m in content.measures if m.selected), key=lambda m: m.rank))
    items = tuple(
        fasering.Item(
            line.key,
            fasering.cost_profile(
                fasering.MeasureCosts(
                    line.cost_year_1, line.cost_years_4, line.cost_years_10, line.is_regular
                )
            ),
        )
        for line in lines
    )
    return _Plan(snapshot, content, lines, items)


def _latest_plan(session: Session, process_id: int) -> _Plan:
    snapshot = plans_service.adopted(session, process_id=process_id)
    if snapshot is None:
        raise NoAdoptedPlan(
            N_(
                "Process %(id)s has no adopted plan yet; adopt the plan first, then put it in time."
            ),
            id=process_id,
        )
    return _plan_of(snapshot)


def _rows(session: Session, snapshot_id: int, *, adopted: bool) -> list[PlanSchedule]:
    adopted_at = col(PlanSchedule.adopted_at)
    return list(
        session.exec(
            select(PlanSchedule)
            .where(
                PlanSchedule.plan_snapshot_id == snapshot_id,
                adopted_at.is_not(None) if adopted else adopted_at.is_(None),
            )
            .order_by(col(PlanSchedule.id).desc())
        )
    )


def _build(
    plan: _Plan,
    money: fasering.Money,
    starts: Mapping[str, int | None],
    *,
    state: str,
    row: PlanSchedule | None = None,
) -> ScheduleContent:
    schedule = fasering.Schedule(plan.items, starts, money)
    years = schedule.years
    measures = []
    for line, item in zip(plan.lines, plan.items, strict=True):
        spending = schedule.spending(item.key)
        measures.append(
            ScheduledMeasure(
                rank=line.rank,
                key=line.key,
                title=line.title,
                is_regular=line.is_regular,
                cost_year_1=line.cost_year_1,
                cost_years_4=line.cost_years_4,
                cost_years_10=line.cost_years_10,
                binding_cost=line.binding_cost,
                profile=list(item.profile.years),
                flags=[str(flag) for flag in item.profile.flags],
                start_year=schedule.starts[item.key],
                by_year=list(spending[:years]),
                in_period=sum(spending[:years]),
                after_period_binding=schedule.after_period(item.key, within=years),
                after_period=schedule.after_period(item.key),
            )
        )
    notes: list[ScheduleNote] = []
    if money.total != plan.content.process.budget_eur:
        notes.append("money_differs_from_budget")
    if any(
        not line.is_regular and item.profile.within(years) != line.binding_cost
        for line, item in zip(plan.lines, plan.items, strict=True)
    ):
        notes.append("binding_cost_differs")
    horizon = plan.content.process.cost_horizon
    return ScheduleContent(
        state=state,
        schedule_id=row.id if row is not None and state == "adopted" else None,
        process_id=plan.content.process.id,
        plan_snapshot_id=plan.snapshot.id or 0,
        plan_fingerprint=plan.content.fingerprint,
        fingerprint=fasering.fingerprint(
            schedule, plan_fingerprint=plan.content.fingerprint, horizon=horizon
        ),
        horizon=horizon,
        years=years,
        budget=plan.content.process.budget_eur,
        carry_over=money.carry_over,
        money=list(money.per_year),
        measures=measures,
        ledger=[
            ScheduleYear(
                year=r.year,
                money=r.money,
                carried_in=r.carried_in,
                available=r.available,
                planned=r.planned,
                left=r.left,
                overspent=r.overspent,
            )
            for r in schedule.ledger
        ],
        overspent_years=list(schedule.overspent_years),
        unscheduled_keys=list(schedule.unscheduled),
        plan_total=sum(line.binding_cost for line in plan.lines),
        in_period=schedule.in_period,
        after_period_binding=schedule.after_period(within=years),
        after_period=schedule.after_period(),
        ten_year_total=schedule.in_period + schedule.after_period(),
        outlook=[OutlookYear(year=y, planned=p) for y, p in schedule.outlook],
        notes=notes,
        computed_at=utcnow(),
        adopted_at=row.adopted_at if row is not None and state == "adopted" else None,
    )


def _stored(row: PlanSchedule) -> ScheduleContent:
    # The stored content has its adoption time (SQLite gives the column back without its zone).
    content = ScheduleContent.model_validate(row.content)
    content.schedule_id = row.id
    return content


def _proposal(plan: _Plan) -> ScheduleContent:
    money = fasering.even_money(plan.content.process.budget_eur, plan.years)
    return _build(plan, money, fasering.propose(plan.items, money), state="proposed")


def _working(session: Session, plan: _Plan) -> ScheduleContent:
    drafts = _rows(session, plan.snapshot.id or 0, adopted=False)
    if not drafts:
        return _proposal(plan)
    draft = drafts[0]
    return _build(
        plan,
        fasering.Money(tuple(draft.money), draft.carry_over),
        _known_starts(plan, draft.starts),
        state="draft",
        row=draft,
    )


def _known_starts(plan: _Plan, stored: Mapping[str, int | None]) -> dict[str, int | None]:
    return {
        item.key: start if (start := stored.get(item.key)) is None or start <= plan.years else None
        for item in plan.items
    }


def working(session: Session, *, process_id: int) -> ScheduleContent:
    """The schedule the wijkteam works on: its saved draft, or else the proposal."""
    return _working(session, _latest_plan(session, process_id))


def current(session: Session, *, process_id: int) -> ScheduleContent:
    """The draft if there is one, else the latest adopted schedule, else the proposal."""
    plan = _latest_plan(session, process_id)
    if _rows(session, plan.snapshot.id or 0, adopted=False):
        return _working(session, plan)
    adopted = _rows(session, plan.snapshot.id or 0, adopted=True)
    return _stored(adopted[0]) if adopted else _proposal(plan)


def _checked_money(plan: _Plan, money: Sequence[int]) -> tuple[int, ...]:
    if len(money) != plan.years:
        raise InvalidInput(
            N_("money: give an amount for each of the %(years)s years of the period."),
            years=plan.years,
        )
    for year, amount in enumerate(money, start=1):
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= MAX_MONEY:
            raise InvalidInput(N_("money, year %(year)s: give whole euros, 0 or more."), year=year)
    return tuple(money)


def _checked_starts(plan: _Plan, starts: Mapping[str, int | None]) -> dict[str, int | None]:
    keys = {item.key for item in plan.items}
    checked: dict[str, int | None] = {}
    for key, start in starts.items():
        if key not in keys:
            raise InvalidInput(
                N_("starts: '%(key)s' is not a measure the adopted plan selected."), key=key[:60]
            )
        if start is not None and (
            isinstance(start, bool) or not isinstance(start, int) or not 1 <= start <= plan.years
        ):
            raise InvalidInput(
                N_(
                    "starts, %(key)s: the start year is 1 to %(years)s, or empty for 'not in "
                    "this period'."
                ),
                key=key,
                years=plan.years,
            )
        checked[key] = start
    return checked


def _apply(session: Session, plan: _Plan, change: ScheduleChange) -> ScheduleContent:
    base = _working(session, plan)
    money = fasering.Money(
        _checked_money(plan, change.money) if change.money is not None else tuple(base.money),
        base.carry_over if change.carry_over is None else change.carry_over,
    )
    if change.propose:
        starts = fasering.propose(plan.items, money)
    else:
        starts = {m.key: m.start_year for m in base.measures}
        starts.update(_checked_starts(plan, change.starts or {}))
    return _build(plan, money, starts, state="draft")


def check(session: Session, *, process_id: int, change: ScheduleChange) -> ScheduleContent:
    """The working schedule with a change applied, checked; nothing is stored."""
    return _apply(session, _latest_plan(session, process_id), change)


def _refuse_overspending(content: ScheduleContent) -> None:
    if content.overspent_years:
        raise Overspent(
            N_("Too much is planned in year %(years)s: the schedule was not saved."),
            years=", ".join(str(y) for y in content.overspent_years),
        )


def save(
    session: Session, *, process_id: int, change: ScheduleChange, user: User
) -> ScheduleContent:
    """Apply a change and keep it as the draft; refused (409) when a year would overspend."""
    plan = _latest_plan(session, process_id)
    content = _apply(session, plan, change)
    _refuse_overspending(content)
    drafts = _rows(session, plan.snapshot.id or 0, adopted=False)
    draft = drafts[0] if drafts else None
    if draft is None:
        draft = PlanSchedule(process_id=process_id, plan_snapshot_id=plan.snapshot.id or 0)
        session.add(draft)
    for stale in drafts[1:]:
        session.delete(stale)
    draft.money = list(content.money)
    draft.carry_over = content.carry_over
    draft.starts = {m.key: m.start_year for m in content.measures}
    draft.fingerprint = content.fingerprint
    draft.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        action="schedule.saved",
        user_id=user.id,
        object_type="plan_snapshot",
        object_id=plan.snapshot.id,
        process_id=process_id,
        detail={"fingerprint": content.fingerprint, "proposed_again": change.propose},
    )
    return content


def adopt(
    session: Session, *, process_id: int, user: User, change: ScheduleChange | None = None
) -> ScheduleContent:
    """Adopt the working schedule (with a change, if given) as an immutable snapshot."""
    plan = _latest_plan(session, process_id)
    content = _apply(session, plan, change or ScheduleChange())
    _refuse_overspending(content)
    now = utcnow()
    content.state = "adopted"
    content.adopted_at = now
    row = PlanSchedule(
        process_id=process_id,
        plan_snapshot_id=plan.snapshot.id or 0,
        money=list(content.money),
        carry_over=content.carry_over,
        starts={m.key: m.start_year for m in content.measures},
        fingerprint=content.fingerprint,
        content=content.model_dump(mode="json"),
        created_at=now,
        adopted_at=now,
        adopted_by_id=user.id,
    )
    session.add(row)
    for draft in _rows(session, plan.snapshot.id or 0, adopted=False):
        session.delete(draft)
    session.flush()
    audit.record(
        session,
        action="schedule.adopted",
        user_id=user.id,
        object_type="plan_schedule",
        object_id=row.id,
        process_id=process_id,
        detail={"plan_snapshot": plan.snapshot.id, "fingerprint": content.fingerprint},
    )
    return _stored(row)


def adopted_for(session: Session, *, plan_snapshot_id: int) -> ScheduleContent | None:
    """The latest adopted schedule of an adopted plan, exactly as adopted; None when none."""
    rows = _rows(session, plan_snapshot_id, adopted=True)
    return _stored(rows[0]) if rows else None


def attach(session: Session, plan: c.PlanContent) -> c.PlanContent:
    """An adopted plan with its latest adopted schedule (for its page and downloads)."""
    if plan.snapshot_id is not None:
        plan.schedule = adopted_for(session, plan_snapshot_id=plan.snapshot_id)
    return plan


def history(session: Session, *, process_id: int) -> list[PlanSchedule]:
    """Every adopted schedule of a process, newest first."""
    return list(
        session.exec(
            select(PlanSchedule)
            .where(PlanSchedule.process_id == process_id, col(PlanSchedule.adopted_at).is_not(None))
            .order_by(col(PlanSchedule.adopted_at).desc(), col(PlanSchedule.id).desc())
        )
    )
