"""The plan in time: the wijkteam's schedule page (proposal, changes, adoption) and its API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse

from app.db import SessionDep
from app.domain.menu.cells import CellError, parse_euros
from app.domain.menu.problems import MESSAGES
from app.errors import N_, DomainError, InvalidInput
from app.exports.schedule_content import ScheduleContent
from app.i18n import gettext
from app.models import Process, User
from app.routes.api_common import ERRORS, ErrorPublic
from app.routes.deps import WijkteamUser
from app.routes.meeting_deps import Form
from app.routes.workspace_deps import WijkteamProcess, WriteLock
from app.services import schedules as schedules_service
from app.services.schedules import NoAdoptedPlan, ScheduleChange
from app.templating import render

router = APIRouter(include_in_schema=False)
api = APIRouter(
    prefix="/api",
    tags=["bewonersplan"],
    responses={
        **ERRORS,
        409: {"model": ErrorPublic, "description": "`no_adopted_plan`, or `overspent`."},
    },
)

ACTIONS = ("check", "propose", "save", "adopt")


def _page(
    request: Request,
    user: User,
    process: Process,
    content: ScheduleContent | None,
    *,
    error: str | None = None,
    notice: str | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
    history: list[Any] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "schedule/page.html",
        {
            "user": user,
            "process": process,
            "schedule": content,
            "error": error,
            "notice": notice,
            "typed": typed or {},
            "history": history or [],
            "base": f"/wijkteam/processes/{process.id}/plan/schedule",
        },
        fragment="schedule/_check.html",
        status_code=status_code,
    )


def _change(form: FormData, content: ScheduleContent, *, propose: bool) -> ScheduleChange:
    """The page's form as a change: money per year (Dutch amounts), carry-over, start years."""
    money: list[int] = []
    for year in range(1, content.years + 1):
        text = form.get(f"money-{year}")
        try:
            amount = parse_euros(text if isinstance(text, str) else "")
        except CellError as error:
            template = gettext(MESSAGES[error.code])
            problem = template % error.params if error.params else template
            raise InvalidInput(
                N_("money, year %(year)s: %(problem)s"), year=year, problem=problem
            ) from None
        money.append(0 if amount is None else amount)
    starts: dict[str, int | None] = {}
    for measure in content.measures:
        text = form.get(f"start-{measure.key}")
        if isinstance(text, str):
            starts[measure.key] = int(text) if text.strip().isdigit() else None
    return ScheduleChange(
        money=money,
        carry_over=form.get("carry_over") == "on",
        starts=starts,
        propose=propose,
    )


def _typed(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str)}


@router.get("/wijkteam/processes/{process_id}/plan/schedule", response_class=HTMLResponse)
def schedule_page(
    request: Request, process: WijkteamProcess, session: SessionDep, user: WijkteamUser
) -> HTMLResponse:
    """The adopted plan in time: the saved draft or the proposal, to change and adopt."""
    try:
        content = schedules_service.working(session, process_id=process.id or 0)
    except NoAdoptedPlan as missing:
        return _page(request, user, process, None, error=missing.localized())
    return _page(
        request,
        user,
        process,
        content,
        history=schedules_service.history(session, process_id=process.id or 0),
        notice=request.query_params.get("done"),
    )


@router.post("/wijkteam/processes/{process_id}/plan/schedule", response_model=None)
def schedule_action(
    request: Request,
    _lock: WriteLock,
    process: WijkteamProcess,
    session: SessionDep,
    user: WijkteamUser,
    form: Form,
) -> Response:
    """Check a change at once (htmx, on every change), propose again, save, or adopt."""
    process_id = process.id or 0
    action = form.get("action") or "check"
    action = action if isinstance(action, str) and action in ACTIONS else "check"
    try:
        working = schedules_service.working(session, process_id=process_id)
    except NoAdoptedPlan as missing:
        return _page(request, user, process, None, error=missing.localized(), status_code=409)
    try:
        change = _change(form, working, propose=action == "propose")
        shown = schedules_service.check(session, process_id=process_id, change=change)
    except DomainError as refused:
        # Bad input: the schedule as it was, the fields as typed, and what is wrong.
        return _page(
            request,
            user,
            process,
            working,
            error=refused.localized(),
            typed=_typed(form),
            status_code=refused.status,
        )
    try:
        if action == "save":
            schedules_service.save(session, process_id=process_id, change=change, user=user)
            return RedirectResponse(
                f"/wijkteam/processes/{process_id}/plan/schedule?done=saved", status_code=303
            )
        if action == "adopt":
            adopted = schedules_service.adopt(
                session, process_id=process_id, user=user, change=change
            )
            return RedirectResponse(
                f"/wijkteam/processes/{process_id}/plan/adopted/{adopted.plan_snapshot_id}"
                "#schedule",
                status_code=303,
            )
    except DomainError as refused:
        return _page(
            request,
            user,
            process,
            shown,
            error=refused.localized(),
            typed=_typed(form),
            status_code=refused.status,
        )
    return _page(request, user, process, shown, typed=_typed(form))


# --- JSON API ----------------------------------------------------------------------------------


class ScheduleUpdate(BaseModel):
    """A change to the schedule; anything left out stays as it is."""

    money: list[int] | None = Field(
        default=None, description="Whole euros for each year of the period, in order."
    )
    carry_over: bool | None = Field(
        default=None, description="Whether money left in a year goes to the next."
    )
    starts: dict[str, int | None] | None = Field(
        default=None,
        description="Start year per measure key (1 = the first year; null: not in the period). "
        "Measures not named keep their start year.",
    )
    propose: bool = Field(
        default=False, description="Make a fresh proposal with this money instead."
    )


@api.get(
    "/processes/{process_id:int}/plan/schedule",
    response_model=ScheduleContent,
    summary="Get the schedule of the adopted plan",
)
def api_schedule(process: WijkteamProcess, session: SessionDep) -> ScheduleContent:
    """The schedule of the adopted plan: the saved draft, else the adopted one, else a proposal."""
    return schedules_service.current(session, process_id=process.id or 0)


@api.put(
    "/processes/{process_id:int}/plan/schedule",
    response_model=ScheduleContent,
    summary="Change the schedule (start years, money per year, carry-over)",
)
def api_change_schedule(
    _lock: WriteLock,
    process: WijkteamProcess,
    session: SessionDep,
    user: WijkteamUser,
    update: ScheduleUpdate,
) -> ScheduleContent:
    """Change start years, money per year or carry-over; 409 `overspent` saves nothing."""
    change = ScheduleChange(
        money=update.money,
        carry_over=update.carry_over,
        starts=update.starts,
        propose=update.propose,
    )
    return schedules_service.save(session, process_id=process.id or 0, change=change, user=user)


@api.post(
    "/processes/{process_id:int}/plan/schedule/adopt",
    response_model=ScheduleContent,
    status_code=201,
    summary="Adopt the schedule",
)
def api_adopt_schedule(
    _lock: WriteLock, process: WijkteamProcess, session: SessionDep, user: WijkteamUser
) -> ScheduleContent:
    """Adopt the schedule as it stands (GET shows it) as an immutable snapshot (201)."""
    return schedules_service.adopt(session, process_id=process.id or 0, user=user)
