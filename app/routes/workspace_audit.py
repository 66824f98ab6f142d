"""The audit log in the browser: pages of events, filtered by process or kind, and CSV export."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from app.db import SessionDep
from app.routes._files import download
from app.routes.deps import MAX_ID, WijkteamUser
from app.routes.workspace_deps import WriteLock, client_ip
from app.services import audit_log, editor
from app.templating import render

router = APIRouter(prefix="/wijkteam", include_in_schema=False)


def _process_filter(process: str) -> int | None:
    """The process to filter on; a number beyond any id filters on one that matches nothing."""
    if not process.isdigit():
        return None
    return int(process) if int(process) <= MAX_ID else 0


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    user: WijkteamUser,
    session: SessionDep,
    process: str = "",
    action: str = "",
    page: int = 1,
) -> HTMLResponse:
    """Who did what, when, to which object: newest first, 50 to a page."""
    process_id = _process_filter(process)
    action = action.strip()[:40]
    total = audit_log.count_events(session, process_id=process_id, action=action or None)
    pages = max(1, -(-total // audit_log.PER_PAGE))
    page = min(max(1, page), pages)
    return render(
        request,
        "workspace/audit.html",
        {
            "user": user,
            "rows": audit_log.list_events(
                session, process_id=process_id, action=action or None, page=page
            ),
            "total": total,
            "page": page,
            "pages": pages,
            "process_id": process_id,
            "action": action,
            "processes": editor.process_choices(session, user=user),
            "actions": audit_log.action_names(session),
        },
    )


@router.get("/audit.csv", response_model=None)
def audit_csv(
    request: Request,
    _lock: WriteLock,  # the export is itself noted in the log
    user: WijkteamUser,
    session: SessionDep,
    process: str = "",
    action: str = "",
) -> Response:
    """The whole (filtered) audit log as CSV."""
    process_id = _process_filter(process)
    content = audit_log.export_csv(
        session,
        user=user,
        process_id=process_id,
        action=action.strip() or None,
        ip_address=client_ip(request),
    )
    return download(
        content,
        filename="waardenzeef-logboek.csv"
        if process_id is None
        else f"waardenzeef-logboek-proces-{process_id}.csv",
        media_type="text/csv; charset=utf-8",
    )
