"""What became of the plan: the public follow-up page and its Atom feed, and the wijkteam's page
where measures, money spent and measured values are kept up to date (by hand or by file)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData, UploadFile
from starlette.responses import HTMLResponse, Response

from app.db import SessionDep
from app.domain import follow_up as fu
from app.domain.menu.cells import CellError, parse_date, parse_decimal, parse_euros, parse_year
from app.domain.menu.problems import Problem, Where
from app.errors import N_, NotFound
from app.exports import follow_up_atom
from app.exports.follow_up_chart import chart
from app.exports.follow_up_content import FollowUpContent, day_text, value_text
from app.i18n import current_language
from app.models import Process, User
from app.routes._files import download, read_upload
from app.routes.deps import WijkteamUser
from app.routes.meeting_deps import Form
from app.routes.workspace_deps import WijkteamProcess, WriteLock, client_ip
from app.services import follow_up as follow_up_service
from app.services.follow_up import InvalidFollowUp, NoAdoptedPlan
from app.settings import public_base_url
from app.templating import render
from app.wording import describe, place

router = APIRouter(include_in_schema=False)

EXTRA_MILESTONES = 2


def _describe_place(problem: Problem) -> str:
    return f"{place(problem.where)}: {describe(problem)}"


def _helpers() -> dict[str, Any]:
    return {
        "chart": chart,
        "day_text": day_text,
        "value_text": value_text,
        "describe_place": _describe_place,
    }


# --- residents ---------------------------------------------------------------------------------


def _public_url(process_id: int) -> str:
    return f"{public_base_url()}/processes/{process_id}/voortgang"


@router.get("/processes/{process_id:int}/voortgang", response_class=HTMLResponse)
def public_page(request: Request, process_id: int, session: SessionDep) -> HTMLResponse:
    """What became of the residents' plan, for everyone, once the wijkteam published it."""
    found = follow_up_service.public_content(session, process_id=process_id)
    return render(
        request,
        "follow_up/public.html",
        {"f": found, "feed": f"/processes/{process_id}/voortgang.atom", **_helpers()},
    )


@router.get("/processes/{process_id:int}/voortgang.atom")
def public_feed(process_id: int, session: SessionDep) -> Response:
    """The history of changes as an Atom feed, for neighbourhood websites."""
    found = follow_up_service.public_content(session, process_id=process_id)
    page = _public_url(process_id)
    return Response(
        follow_up_atom.feed(
            found, page_url=page, feed_url=f"{page}.atom", language=current_language.get()
        ),
        media_type=follow_up_atom.MEDIA_TYPE,
    )


# --- the wijkteam ----------------------------------------------------------------------------


def _base(process: Process) -> str:
    return f"/wijkteam/processes/{process.id}/voortgang"


def _page(
    request: Request,
    session: SessionDep,
    user: User,
    process: Process,
    *,
    problems: list[Problem] | None = None,
    notice: str | None = None,
    status_code: int = 200,
    imported: follow_up_service.FollowUpImport | None = None,
) -> HTMLResponse:
    try:
        found: FollowUpContent | None = follow_up_service.content(
            session, process_id=process.id or 0
        )
        missing = None
    except NoAdoptedPlan as error:
        found, missing = None, error.localized()
    return render(
        request,
        "follow_up/wijkteam.html",
        {
            "user": user,
            "process": process,
            "f": found,
            "missing": missing,
            "base": _base(process),
            "public_url": _public_url(process.id or 0),
            "problems": [(place(p.where), describe(p)) for p in problems or []],
            "imported": imported,
            "notice": notice or request.query_params.get("done"),
            **_helpers(),
        },
        status_code=status_code,
    )


@router.get("/wijkteam/processes/{process_id:int}/voortgang", response_class=HTMLResponse)
def wijkteam_page(
    request: Request, process: WijkteamProcess, session: SessionDep, user: WijkteamUser
) -> HTMLResponse:
    """The follow-up to keep up to date: measures, values, file, statuses, publication."""
    return _page(request, session, user, process)


def _done(process: Process, what: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"{_base(process)}?done={what}{anchor}", status_code=303)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _cell(form: FormData, name: str, parse: Any, problems: list[Problem]) -> Any:
    try:
        return parse(_text(form, name))
    except CellError as error:
        problems.append(Problem(error.code, error.params, Where(field=name)))
        return None


@router.post("/wijkteam/processes/{process_id:int}/voortgang/publish")
def publish(
    _lock: WriteLock, process: WijkteamProcess, session: SessionDep, user: WijkteamUser, form: Form
) -> RedirectResponse:
    """Publish the follow-up page for residents, or withdraw it."""
    public = _text(form, "public") == "true"
    follow_up_service.set_public(session, process_id=process.id or 0, public=public, user=user)
    return _done(process, "published" if public else "withdrawn")


@router.post("/wijkteam/processes/{process_id:int}/voortgang/first-year", response_model=None)
def first_year(
    request: Request,
    _lock: WriteLock,
    process: WijkteamProcess,
    session: SessionDep,
    user: WijkteamUser,
    form: Form,
) -> Response:
    """Set the calendar year of the plan's year 1."""
    problems: list[Problem] = []
    year = _cell(form, "first_year", parse_year, problems)
    if year is None and not problems:
        problems.append(Problem("empty_cell", {"column": "first_year", "kind": "-"}))
    if problems:
        return _page(request, session, user, process, problems=problems, status_code=422)
    try:
        follow_up_service.set_first_year(session, process_id=process.id or 0, year=year, user=user)
    except InvalidFollowUp as error:
        return _page(request, session, user, process, problems=error.problems, status_code=422)
    return _done(process, "saved")


@router.post("/wijkteam/processes/{process_id:int}/voortgang/statuses", response_model=None)
def add_status(
    request: Request,
    _lock: WriteLock,
    process: WijkteamProcess,
    session: SessionDep,
    user: WijkteamUser,
    form: Form,
) -> Response:
    """Add a status to the list (with its default progress, and whether it needs a reason)."""
    problems: list[Problem] = []
    progress = _cell(form, "default_progress", parse_decimal, problems)
    if progress is not None and progress != int(progress):
        problems.append(
            Problem("not_a_progress", {"value": str(progress)}, Where(field="default_progress"))
        )
    if not problems:
        try:
            follow_up_service.add_status(
                session,
                process_id=process.id or 0,
                label=_text(form, "label"),
                default_progress=None if progress is None else int(progress),
                needs_reason=form.get("needs_reason") == "on",
                user=user,
            )
        except InvalidFollowUp as error:
            problems = error.problems
    if problems:
        return _page(request, session, user, process, problems=problems, status_code=422)
    return _done(process, "status_added", "#statuses")


@router.get("/wijkteam/processes/{process_id:int}/voortgang.{fmt}")
def download_file(
    request: Request, fmt: str, process: WijkteamProcess, session: SessionDep, user: WijkteamUser
) -> Response:
    """The execution state and measured values as CSV or XLSX (the format the import reads)."""
    found = follow_up_service.export_file(
        session,
        process_id=process.id or 0,
        file_format=fmt,
        user=user,
        ip_address=client_ip(request),
    )
    return download(found.content, filename=found.filename, media_type=found.media_type)


@router.post("/wijkteam/processes/{process_id:int}/voortgang/import", response_model=None)
async def import_file(
    request: Request,
    _lock: WriteLock,
    process: WijkteamProcess,
    session: SessionDep,
    user: WijkteamUser,
) -> Response:
    """Apply a follow-up file: all or nothing, every problem by row and column."""
    form = await request.form()
    upload = form.get("file")
    filename, data = read_upload(upload if isinstance(upload, UploadFile) else None)  # type: ignore[arg-type]
    result = follow_up_service.import_file(
        session,
        process_id=process.id or 0,
        filename=filename,
        data=data,
        user=user,
        dry_run=form.get("dry_run") == "on",
        ip_address=client_ip(request),
    )
    status = 200 if result.ok else 422
    return _page(request, session, user, process, imported=result, status_code=status)


# --- one measure -------------------------------------------------------------------------------


def _measure_page(
    request: Request,
    session: SessionDep,
    user: User,
    process: Process,
    key: str,
    *,
    problems: list[Problem] | None = None,
    typed: FormData | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    found = follow_up_service.content(session, process_id=process.id or 0, history=0)
    measure = next((m for m in found.measures if m.key == key), None)
    if measure is None:
        raise NotFound(N_("'%(key)s' is not a measure of the adopted plan."), key=key[:60])
    years = sorted(
        set(range(found.first_year, found.first_year + _period(found))) | set(measure.spent_by_year)
    )
    errors: dict[str, str] = {}
    for problem in problems or []:
        errors.setdefault(problem.where.field or "", describe(problem))
    return render(
        request,
        "follow_up/measure.html",
        {
            "user": user,
            "process": process,
            "f": found,
            "m": measure,
            "years": years,
            "extra": EXTRA_MILESTONES,
            "errors": errors,
            "typed": typed,
            "base": _base(process),
            **_helpers(),
        },
        status_code=status_code,
    )


def _period(found: FollowUpContent) -> int:
    planned_years = {y for m in found.measures for y in m.planned_by_year}
    return len(planned_years) or 4


@router.get(
    "/wijkteam/processes/{process_id:int}/voortgang/maatregelen/{key}",
    response_class=HTMLResponse,
)
def measure_page(
    request: Request, key: str, process: WijkteamProcess, session: SessionDep, user: WijkteamUser
) -> HTMLResponse:
    """One measure's execution to change."""
    return _measure_page(request, session, user, process, key)


def _measure_change(form: FormData, problems: list[Problem]) -> fu.ExecutionChange:
    progress_text = _text(form, "progress").rstrip("%").strip()
    progress: int | None = None
    if progress_text:
        if progress_text.isdigit():
            progress = int(progress_text)
        else:
            problems.append(
                Problem("not_a_progress", {"value": progress_text}, Where(field="progress"))
            )
    dates: dict[str, Any] = {}
    for name in fu.DATE_FIELDS:
        parsed = _cell(form, name, parse_date, problems)
        dates[name] = parsed if parsed is not None else fu.CLEAR
    milestones = []
    index = 0
    while f"milestone_date_{index}" in form:
        day = _cell(form, f"milestone_date_{index}", parse_date, problems)
        text = _text(form, f"milestone_text_{index}")
        if (
            day is None
            and text
            and not any(p.where.field == f"milestone_date_{index}" for p in problems)
        ):
            problems.append(
                Problem(
                    "empty_cell",
                    {"column": "datum", "kind": "mijlpaal"},
                    Where(field=f"milestone_date_{index}"),
                )
            )
        if day is not None and text:
            milestones.append(fu.Milestone(day, text))
        elif day is not None:
            problems.append(
                Problem("milestone_text_missing", {}, Where(field=f"milestone_text_{index}"))
            )
        index += 1
    spent: dict[int, int | None] = {}
    for name in form:
        if name.startswith("spent_") and name[6:].isdigit():
            spent[int(name[6:])] = _cell(form, name, parse_euros, problems)
    return fu.ExecutionChange(
        status=_text(form, "status") or None,
        progress=progress,
        organisation=_text(form, "organisation"),
        reason=_text(form, "reason"),
        milestones=milestones,
        spent=spent,
        **dates,
    )


@router.post(
    "/wijkteam/processes/{process_id:int}/voortgang/maatregelen/{key}", response_model=None
)
def save_measure(
    request: Request,
    key: str,
    _lock: WriteLock,
    process: WijkteamProcess,
    session: SessionDep,
    user: WijkteamUser,
    form: Form,
) -> Response:
    """Save a measure's status, progress, dates, reason, milestones and money spent."""
    problems: list[Problem] = []
    change = _measure_change(form, problems)
    if not problems:
        try:
            follow_up_service.update_measure(
                session,
                process_id=process.id or 0,
                key=key,
                change=change,
                user=user,
                ip_address=client_ip(request),
            )
        except InvalidFollowUp as error:
            problems = error.problems
    if problems:
        return _measure_page(
            request, session, user, process, key, problems=problems, typed=form, status_code=422
        )
    return _done(process, "saved", f"#measure-{key}")


@router.post(
    "/wijkteam/processes/{process_id:int}/voortgang/indicatoren/{key}", response_model=None
)
def save_value(
    request: Request,
    key: str,
    _lock: WriteLock,
    process: WijkteamProcess,
    session: SessionDep,
    user: WijkteamUser,
    form: Form,
) -> Response:
    """Set, change or (with an empty value) remove the value measured in a year."""
    problems: list[Problem] = []
    year = _cell(form, "year", parse_year, problems)
    value: Decimal | None = _cell(form, "value", parse_decimal, problems)
    if year is None and not problems:
        problems.append(Problem("empty_cell", {"column": "jaar", "kind": "meting"}))
    if not problems:
        try:
            follow_up_service.set_value(
                session,
                process_id=process.id or 0,
                indicator_key=key,
                year=year,
                value=value,
                source=_text(form, "source"),
                user=user,
                ip_address=client_ip(request),
            )
        except InvalidFollowUp as error:
            problems = error.problems
    if problems:
        return _page(request, session, user, process, problems=problems, status_code=422)
    return _done(process, "value_saved", f"#indicator-{key}")
