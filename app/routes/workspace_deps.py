"""What the wijkteam's pages and API share: the process being worked on, the address, downloads."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.responses import Response

from app.db import SessionDep
from app.models import Process
from app.routes.deps import WijkteamUser
from app.services import access


def wijkteam_process(process_id: int, user: WijkteamUser, session: SessionDep) -> Process:
    """The process in the path, for a wijkteam member; 404 for everyone else.

    A dependency, so that the check runs before a request body is read or validated.
    """
    return access.process_for(session, user=user, process_id=process_id)


WijkteamProcess = Annotated[Process, Depends(wijkteam_process)]


def client_ip(request: Request) -> str:
    """The address the request came from (as uvicorn reports it behind a trusted proxy)."""
    return request.client.host if request.client else ""


def download(content: bytes, *, filename: str, media_type: str) -> Response:
    """A file to save, never cached (card files hold the only copy of the codes)."""
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "no-store",
        },
    )
