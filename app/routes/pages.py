"""Public pages for residents: the start page and a process's menu."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from app.db import SessionDep
from app.services import processes as processes_service
from app.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def start_page(request: Request, session: SessionDep) -> HTMLResponse:
    """The start page: the processes and their menus."""
    return render(request, "start.html", {"processes": processes_service.list_processes(session)})


@router.get("/processes/{process_id}/menu", response_class=HTMLResponse)
def menu_page(request: Request, process_id: int, session: SessionDep) -> HTMLResponse:
    """The menu of a process: per desired effect its targets and measures, beside the budget."""
    menu = processes_service.get_menu(session, process_id=process_id)
    return render(request, "menu.html", {"menu": menu})
