"""Menu files through the JSON API: import (a new process or into one), export, the template.

A refused menu file answers 422 with `problems` and `warnings`, each with its row, column and
message; nothing is written.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.db import SessionDep
from app.domain.menu.problems import Problem, english
from app.exports import menu as menu_export
from app.models import User
from app.routes._files import (
    MenuFormat,
    TemplateFormat,
    menu_download,
    read_upload,
    template_download,
)
from app.routes.api_common import ERRORS, FROZEN, ErrorPublic, Responses
from app.routes.deps import WijkteamUser
from app.routes.workspace_deps import WijkteamProcess, WriteLock, client_ip
from app.services import imports

router = APIRouter(prefix="/api", tags=["workspace"])


class FindingPublic(BaseModel):
    """One problem or warning in a menu file: where, and what (in English)."""

    code: str = Field(description="What is wrong, for scripts: stable, one per kind of problem.")
    row: int | None = Field(description="Row as a spreadsheet numbers it (1: column names).")
    column: str | None = Field(description="Column name (or seed-format field).")
    column_letter: str | None
    entry: str | None = Field(description="Seed format: which effect or measure.")
    message: str


class ImportPublic(BaseModel):
    """What an import did (or, with dry_run, would do)."""

    process_id: int | None
    format: str | None
    created: int
    updated: int
    removed: int
    written: bool
    warnings: list[FindingPublic]
    notes: list[str]


class ImportRefused(ErrorPublic):
    """A menu file that could not be imported; nothing was written."""

    problems: list[FindingPublic]
    warnings: list[FindingPublic]


def _finding(f: Problem) -> FindingPublic:
    where = f.where
    return FindingPublic(
        code=f.code,
        row=where.row,
        column=where.column or where.field,
        column_letter=where.column_letter,
        entry=where.entry,
        message=english(f, with_place=False),
    )


def _import(
    request: Request,
    session: SessionDep,
    user: User,
    upload: UploadFile,
    *,
    process_id: int | None,
    dry_run: bool,
    status: int,
) -> Response:
    filename, data = read_upload(upload)
    result = imports.import_menu(
        session,
        user=user,
        filename=filename,
        data=data,
        process_id=process_id,
        dry_run=dry_run,
        ip_address=client_ip(request),
    )
    read = result.read
    if not result.ok:
        return JSONResponse(
            ImportRefused(
                detail=f"{len(read.problems)} problem(s) in the menu file; nothing was written.",
                code="invalid_menu_file",
                problems=[_finding(f) for f in read.problems],
                warnings=[_finding(f) for f in read.warnings],
            ).model_dump(mode="json"),
            status_code=422,
        )
    return JSONResponse(
        ImportPublic(
            process_id=result.process_id,
            format=read.format.value if read.format else None,
            created=result.created,
            updated=result.updated,
            removed=result.removed,
            written=result.written,
            warnings=[_finding(f) for f in read.warnings],
            notes=[english(n) for n in read.notes],
        ).model_dump(mode="json"),
        status_code=status if result.written else 200,
    )


IMPORT_RESPONSES: Responses = {
    **ERRORS,
    422: {"model": ImportRefused, "description": "Every problem in the file; nothing written."},
}


@router.post(
    "/processes/import", response_model=ImportPublic, status_code=201, responses=IMPORT_RESPONSES
)
def import_new_process(
    _lock: WriteLock,
    request: Request,
    user: WijkteamUser,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="A CSV, XLSX, YAML or JSON menu file.")],
    dry_run: Annotated[bool, Query(description="Only check the file.")] = False,
) -> Response:
    """Create a process from a menu file; all or nothing, every problem listed."""
    return _import(request, session, user, file, process_id=None, dry_run=dry_run, status=201)


@router.put(
    "/processes/{process_id:int}/menu",
    response_model=ImportPublic,
    responses={**IMPORT_RESPONSES, **FROZEN},
)
def import_into_process(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    user: WijkteamUser,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="A CSV, XLSX, YAML or JSON menu file.")],
    dry_run: Annotated[bool, Query(description="Only check the file.")] = False,
) -> Response:
    """Replace a process's menu with a menu file (409 `menu_frozen` once a round has opened)."""
    return _import(request, session, user, file, process_id=process.id, dry_run=dry_run, status=200)


FILE_RESPONSE: Responses = {
    200: {
        "content": {media: {} for media in menu_export.MEDIA_TYPES.values()},
        "description": "The file.",
    }
}


@router.get(
    "/processes/{process_id:int}/menu/file",
    response_class=Response,
    responses={**ERRORS, **FILE_RESPONSE},
)
def export_menu(
    request: Request,
    process: WijkteamProcess,
    user: WijkteamUser,
    session: SessionDep,
    format: MenuFormat = MenuFormat.CSV,
) -> Response:
    """The menu as a file: csv and xlsx (the column format), yaml and json (the seed format)."""
    return menu_download(request, session, user, process, format)


@router.get("/menu-template", response_class=Response, responses={**ERRORS, **FILE_RESPONSE})
def menu_template(user: WijkteamUser, format: TemplateFormat = TemplateFormat.XLSX) -> Response:
    """The import template with example rows, as xlsx or csv."""
    return template_download(format)
