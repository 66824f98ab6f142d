"""The follow-up through the JSON API: read it (public once published), change a measure's
execution or an indicator's measured value, and the file both ways (CSV or XLSX, one format)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, File, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.db import SessionDep
from app.domain import follow_up as fu
from app.domain.menu.problems import Problem, english
from app.domain.vocabulary import Role
from app.errors import N_, NotFound
from app.exports.follow_up_content import FollowUpContent, IndicatorFollowUp, MeasureFollowUp
from app.routes._files import download, read_upload
from app.routes.api_common import ERRORS, ErrorPublic, Responses
from app.routes.deps import SESSION_COOKIE, WijkteamUser
from app.routes.workspace_deps import WijkteamProcess, WriteLock, client_ip
from app.security import read_cookie
from app.services import follow_up as follow_up_service
from app.services import users as users_service
from app.services.follow_up import NoAdoptedPlan

api = APIRouter(
    prefix="/api",
    tags=["voortgang"],
    responses={
        **ERRORS,
        409: {"model": ErrorPublic, "description": "`no_adopted_plan`: adopt the plan first."},
    },
)


class FileFormat(StrEnum):
    """The formats of the follow-up file."""

    CSV = "csv"
    XLSX = "xlsx"


@api.get(
    "/processes/{process_id:int}/follow-up",
    response_model=FollowUpContent,
    summary="Get what became of the adopted plan",
)
def get_follow_up(request: Request, process_id: int, session: SessionDep) -> FollowUpContent:
    """What became of the adopted plan: public once published, for the wijkteam always."""
    token = read_cookie(request, SESSION_COOKIE)
    user = users_service.user_for_token(session, token=token) if token else None
    if user is not None and user.role == Role.WIJKTEAM:
        return follow_up_service.content(session, process_id=process_id)
    try:
        return follow_up_service.public_content(session, process_id=process_id)
    except NoAdoptedPlan:
        raise NotFound(N_("This page does not exist.")) from None


class FollowUpSettings(BaseModel):
    """Whether residents see the follow-up, and the calendar year of the plan's year 1."""

    published: bool | None = None
    first_year: int | None = Field(default=None, ge=1900, le=2200)


@api.patch(
    "/processes/{process_id:int}/follow-up",
    response_model=FollowUpContent,
    summary="Publish the follow-up or set its first year",
)
def patch_follow_up(
    _lock: WriteLock,
    process: WijkteamProcess,
    session: SessionDep,
    user: WijkteamUser,
    settings: FollowUpSettings,
) -> FollowUpContent:
    """Publish or withdraw the follow-up page, or set the plan's first calendar year."""
    process_id = process.id or 0
    if settings.first_year is not None:
        follow_up_service.set_first_year(
            session, process_id=process_id, year=settings.first_year, user=user
        )
    if settings.published is not None:
        follow_up_service.set_public(
            session, process_id=process_id, public=settings.published, user=user
        )
    return follow_up_service.content(session, process_id=process_id)


class MilestoneIn(BaseModel):
    """A milestone: a day and a short text."""

    date: date
    text: str = Field(min_length=1, max_length=fu.MILESTONE_TEXT_MAX)


class MeasureUpdate(BaseModel):
    """A change to a measure's execution; a field left out stays as it is, null empties it."""

    status: str | None = Field(default=None, max_length=60, description="A status key.")
    progress: int | None = Field(
        default=None, ge=0, le=100, description="0-100; left out with a new status: its default."
    )
    organisation: str | None = Field(default=None, max_length=fu.ORGANISATION_MAX)
    planned_start: date | None = None
    planned_end: date | None = None
    actual_start: date | None = None
    actual_end: date | None = None
    reason: str | None = Field(
        default=None,
        max_length=fu.REASON_MAX,
        description="Why, in plain words; required for uitgesteld and gaat-niet-door.",
    )
    milestones: list[MilestoneIn] | None = Field(
        default=None, max_length=fu.MILESTONES_MAX, description="When given: all of them."
    )
    spent: dict[int, Annotated[int, Field(ge=0, le=fu.AMOUNT_MAX)] | None] | None = Field(
        default=None,
        max_length=200,
        description="Whole euros spent per calendar year; null removes a year; other years stay.",
    )


@api.put(
    "/processes/{process_id:int}/follow-up/measures/{key}",
    response_model=MeasureFollowUp,
    summary="Change what became of a measure",
)
def put_measure(
    request: Request,
    key: Annotated[str, Path(max_length=60)],
    _lock: WriteLock,
    process: WijkteamProcess,
    session: SessionDep,
    user: WijkteamUser,
    update: MeasureUpdate,
) -> MeasureFollowUp:
    """Change what became of a measure of the adopted plan (422 names every wrong field)."""
    given = update.model_fields_set
    dates = {
        name: (getattr(update, name) or fu.CLEAR) if name in given else None
        for name in fu.DATE_FIELDS
    }
    change = fu.ExecutionChange(
        status=update.status,
        progress=update.progress,
        organisation=(update.organisation or "") if "organisation" in given else None,
        reason=(update.reason or "") if "reason" in given else None,
        milestones=(
            [fu.Milestone(m.date, m.text) for m in update.milestones or []]
            if "milestones" in given
            else None
        ),
        spent=update.spent,
        **dates,
    )
    return follow_up_service.update_measure(
        session,
        process_id=process.id or 0,
        key=key,
        change=change,
        user=user,
        ip_address=client_ip(request),
    )


class ValueIn(BaseModel):
    """A measured value (null removes that year's value) and its source."""

    value: Decimal | None = Field(max_digits=8, decimal_places=2)
    source: str = Field(default="", max_length=fu.SOURCE_MAX)


@api.put(
    "/processes/{process_id:int}/indicators/{key}/values/{year:int}",
    response_model=IndicatorFollowUp,
    summary="Set the value an indicator was measured at in a year",
)
def put_value(
    request: Request,
    key: Annotated[str, Path(max_length=60)],
    year: Annotated[int, Path(ge=fu.YEARS[0], le=fu.YEARS[1])],
    _lock: WriteLock,
    process: WijkteamProcess,
    session: SessionDep,
    user: WijkteamUser,
    body: ValueIn,
) -> IndicatorFollowUp:
    """Set the value an indicator was measured at in a year (null removes it)."""
    return follow_up_service.set_value(
        session,
        process_id=process.id or 0,
        indicator_key=key,
        year=year,
        value=body.value,
        source=body.source,
        user=user,
        ip_address=client_ip(request),
    )


FILE_RESPONSE: Responses = {
    200: {
        "content": {
            "text/csv": {},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
        },
        "description": "The file.",
    }
}


@api.get(
    "/processes/{process_id:int}/follow-up/file",
    response_class=Response,
    responses=FILE_RESPONSE,
    summary="Download the follow-up file (CSV or XLSX)",
)
def get_file(
    request: Request,
    process: WijkteamProcess,
    session: SessionDep,
    user: WijkteamUser,
    format: FileFormat = FileFormat.CSV,
) -> Response:
    """The execution state and the measured values as CSV or XLSX; the import reads the same."""
    found = follow_up_service.export_file(
        session,
        process_id=process.id or 0,
        file_format=format.value,
        user=user,
        ip_address=client_ip(request),
    )
    return download(found.content, filename=found.filename, media_type=found.media_type)


class FileProblemPublic(BaseModel):
    """A problem or warning in a follow-up file: where, and what (in English)."""

    code: str
    row: int | None = Field(description="Row as a spreadsheet numbers it (1: column names).")
    column: str | None
    column_letter: str | None
    message: str


class FileImportPublic(BaseModel):
    """What an import of a follow-up file did (with dry_run: would do)."""

    measures_changed: int
    values_changed: int
    written: bool
    warnings: list[FileProblemPublic]


class FileRefused(ErrorPublic):
    """A follow-up file that could not be imported; nothing changed."""

    problems: list[FileProblemPublic]
    warnings: list[FileProblemPublic]


def _problem(p: Problem) -> FileProblemPublic:
    return FileProblemPublic(
        code=p.code,
        row=p.where.row,
        column=p.where.column,
        column_letter=p.where.column_letter,
        message=english(p, with_place=False),
    )


@api.put(
    "/processes/{process_id:int}/follow-up/file",
    response_model=FileImportPublic,
    responses={422: {"model": FileRefused, "description": "Every problem; nothing changed."}},
    summary="Apply a follow-up file, all or nothing",
)
def put_file(
    request: Request,
    _lock: WriteLock,
    process: WijkteamProcess,
    session: SessionDep,
    user: WijkteamUser,
    file: Annotated[UploadFile, File(description="The follow-up file, CSV or XLSX.")],
    dry_run: Annotated[bool, Query(description="Only check the file.")] = False,
) -> Response:
    """Apply a follow-up file, all or nothing: every problem with its row and column."""
    filename, data = read_upload(file)
    result = follow_up_service.import_file(
        session,
        process_id=process.id or 0,
        filename=filename,
        data=data,
        user=user,
        dry_run=dry_run,
        ip_address=client_ip(request),
    )
    read = result.read
    if not result.ok:
        return JSONResponse(
            FileRefused(
                detail=f"{len(read.problems)} problem(s) in the file; nothing was changed.",
                code="invalid_file",
                problems=[_problem(p) for p in read.problems],
                warnings=[_problem(p) for p in read.warnings],
            ).model_dump(mode="json"),
            status_code=422,
        )
    return JSONResponse(
        FileImportPublic(
            measures_changed=result.measures_changed,
            values_changed=result.values_changed,
            written=result.written,
            warnings=[_problem(p) for p in read.warnings],
        ).model_dump(mode="json")
    )
