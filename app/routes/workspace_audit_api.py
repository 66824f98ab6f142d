"""The audit log through the JSON API: pages of events, or all of them as CSV."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.responses import Response

from app.db import SessionDep
from app.routes._files import download
from app.routes.api_common import ERRORS
from app.routes.deps import MAX_ID, WijkteamUser
from app.routes.workspace_deps import WriteLock, client_ip
from app.services import audit_log

router = APIRouter(prefix="/api", tags=["workspace"])


class AuditEventPublic(BaseModel):
    """Who did what, when, to which object."""

    id: int
    at: datetime
    account: str
    role: str
    action: str
    object_type: str
    object_id: str
    process_id: int | None
    ip_address: str
    detail: dict[str, Any]


class AuditPage(BaseModel):
    """One page of the audit log, newest first."""

    total: int
    page: int
    pages: int
    events: list[AuditEventPublic]


class AuditFormat(StrEnum):
    """The audit log as JSON pages or as one CSV file."""

    JSON = "json"
    CSV = "csv"


@router.get(
    "/audit",
    response_model=AuditPage,
    responses={
        **ERRORS,
        200: {"content": {"application/json": {}, "text/csv": {}}, "description": "The log."},
    },
)
def audit_events(
    _lock: WriteLock,  # the export is itself noted in the log
    request: Request,
    user: WijkteamUser,
    session: SessionDep,
    process_id: int | None = Query(default=None, ge=1, le=MAX_ID),
    action: str | None = Query(default=None, description="e.g. `measure` or `login.failed`"),
    page: int = Query(default=1, ge=1, le=MAX_ID),
    format: AuditFormat = AuditFormat.JSON,
) -> Response:
    """The audit log: JSON pages of 50, or everything as CSV (`format=csv`)."""
    if format == AuditFormat.CSV:
        content = audit_log.export_csv(
            session, user=user, process_id=process_id, action=action, ip_address=client_ip(request)
        )
        return download(
            content, filename="waardenzeef-logboek.csv", media_type="text/csv; charset=utf-8"
        )
    total = audit_log.count_events(session, process_id=process_id, action=action)
    rows = audit_log.list_events(session, process_id=process_id, action=action, page=page)
    return JSONResponse(
        AuditPage(
            total=total,
            page=page,
            pages=max(1, -(-total // audit_log.PER_PAGE)),
            events=[
                AuditEventPublic(
                    id=r.event.id or 0,
                    at=audit_log.utc(r.event.at),
                    account=r.email,
                    role=r.role,
                    action=r.event.action,
                    object_type=r.event.object_type,
                    object_id=r.event.object_id,
                    process_id=r.event.process_id,
                    ip_address=r.event.ip_address,
                    detail=r.event.detail,
                )
                for r in rows
            ],
        ).model_dump(mode="json")
    )
