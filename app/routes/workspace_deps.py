"""What the wijkteam's pages and API share: the write lock, the process worked on, the address."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.db import SessionDep
from app.models import Process
from app.routes.deps import WijkteamUser
from app.services import access
from app.services import rounds as rounds_service


def write_lock(session: SessionDep) -> None:
    """Take the database's write lock before the request reads anything (SQLite only).

    A router-level dependency of every workspace router, so it runs first: on SQLite in WAL
    mode a transaction that has read cannot start writing once a resident's ballot has been
    committed meanwhile, and would fail at once instead of waiting its turn.
    """
    rounds_service.take_write_lock(session)


WriteLock = Annotated[None, Depends(write_lock)]


def wijkteam_process(process_id: int, user: WijkteamUser, session: SessionDep) -> Process:
    """The process in the path, for a wijkteam member; 404 for everyone else.

    A dependency, so that the check runs before a request body is read or validated.
    """
    return access.process_for(session, user=user, process_id=process_id)


WijkteamProcess = Annotated[Process, Depends(wijkteam_process)]


def client_ip(request: Request) -> str:
    """The address the request came from (as uvicorn reports it behind a trusted proxy)."""
    return request.client.host if request.client else ""
