"""Menu files in the browser: import (new process or into one), export, and the template."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.responses import HTMLResponse, Response

from app.db import SessionDep
from app.errors import MenuFrozen
from app.models import Process, User
from app.routes._files import (
    MenuFormat,
    TemplateFormat,
    menu_download,
    read_upload,
    template_download,
)
from app.routes.deps import WijkteamUser
from app.routes.workspace_deps import WijkteamProcess, WriteLock, client_ip
from app.services import imports
from app.services.imports import ImportResult
from app.templating import render
from app.wording import describe, place

router = APIRouter(prefix="/wijkteam", include_in_schema=False)


def _import_page(
    request: Request,
    user: User,
    process: Process | None,
    result: ImportResult | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    described = None
    if result is not None:
        described = {
            "problems": [(place(f.where), describe(f)) for f in result.read.problems],
            "warnings": [(place(f.where), describe(f)) for f in result.read.warnings],
            "notes": [describe(f) for f in result.read.notes],
        }
    return render(
        request,
        "workspace/import.html",
        {
            "user": user,
            "process": process,
            "result": result,
            "described": described,
            **context,
        },
        status_code=status_code,
    )


@router.get("/import", response_class=HTMLResponse)
def import_form(request: Request, user: WijkteamUser) -> HTMLResponse:
    """Upload a menu file to create a new process from it."""
    return _import_page(request, user, None)


@router.post("/import", response_model=None)
def import_new(
    _lock: WriteLock,
    request: Request,
    user: WijkteamUser,
    session: SessionDep,
    file: Annotated[UploadFile | None, File()] = None,
    mode: Annotated[str, Form()] = "import",
) -> Response:
    """Create a process from an uploaded menu file, or only check the file."""
    return _import(request, user, session, None, file, mode)


@router.get("/processes/{process_id}/import", response_class=HTMLResponse)
def import_into_form(
    request: Request, process: WijkteamProcess, user: WijkteamUser
) -> HTMLResponse:
    """Upload a menu file to replace this process's menu."""
    return _import_page(request, user, process)


@router.post("/processes/{process_id}/import", response_model=None)
def import_into(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    user: WijkteamUser,
    session: SessionDep,
    file: Annotated[UploadFile | None, File()] = None,
    mode: Annotated[str, Form()] = "import",
) -> Response:
    """Replace this process's menu with an uploaded file, or only check the file."""
    return _import(request, user, session, process, file, mode)


def _import(
    request: Request,
    user: User,
    session: SessionDep,
    process: Process | None,
    upload: UploadFile | None,
    mode: str,
) -> Response:
    filename, data = read_upload(upload)
    if not filename and not data:
        return _import_page(request, user, process, status_code=422, no_file=True)
    try:
        result = imports.import_menu(
            session,
            user=user,
            filename=filename,
            data=data,
            process_id=process.id if process else None,
            dry_run=mode == "check",
            ip_address=client_ip(request),
        )
    except MenuFrozen as error:
        assert process is not None
        return render(
            request,
            "workspace/frozen.html",
            {"user": user, "process": process, "message": error.localized()},
            status_code=409,
        )
    return _import_page(
        request, user, process, result, status_code=200 if result.ok else 422, filename=filename
    )


@router.get("/processes/{process_id}/export/{file_format}", response_model=None)
def export_menu(
    request: Request,
    process: WijkteamProcess,
    file_format: MenuFormat,
    user: WijkteamUser,
    session: SessionDep,
) -> Response:
    """Download the menu as CSV, XLSX, YAML or JSON (the import reads each back)."""
    return menu_download(request, session, user, process, file_format)


@router.get("/template/{file_format}", response_model=None)
def menu_template(file_format: TemplateFormat, user: WijkteamUser) -> Response:
    """The import template with example rows, as CSV or XLSX."""
    return template_download(file_format)
