"""The JSON API under /api/: stable paths for scripts and other tools."""

from __future__ import annotations

from fastapi import APIRouter

from app.db import SessionDep
from app.models import MenuPublic, ProcessPublic
from app.routes.api_common import ErrorPublic
from app.services import processes as processes_service

router = APIRouter(prefix="/api", tags=["processes"], responses={404: {"model": ErrorPublic}})


@router.get("/processes", response_model=list[ProcessPublic])
def list_processes(session: SessionDep) -> list[ProcessPublic]:
    """All processes with their budget and binding cost horizon."""
    return processes_service.list_processes(session)


@router.get("/processes/{process_id:int}/menu", response_model=MenuPublic)
def get_menu(process_id: int, session: SessionDep) -> MenuPublic:
    """A process's menu: effects with sub-effects, indicators and measures; costs in whole euros."""
    return processes_service.get_menu(session, process_id=process_id)
