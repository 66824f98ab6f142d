"""Logging in and out through the JSON API: what a script does instead of the login page.

A script logs in with POST /api/login and keeps the `wz_session` cookie it gets (or sends it
back as a cookie header) for the wijkteam's other calls.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.db import SessionDep
from app.routes.api_common import AccountPublic, ErrorPublic, account_public
from app.routes.deps import LOGIN_DEVICE_COOKIE, SESSION_COOKIE, remember_login
from app.routes.workspace_deps import WriteLock, client_ip
from app.security import delete_cookie, read_cookie
from app.services import users as users_service
from app.settings import get_settings

router = APIRouter(prefix="/api", tags=["workspace"])


class LoginIn(BaseModel):
    """An account's e-mail address and password."""

    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class SessionPublic(BaseModel):
    """A login session: who, and until when the cookie is valid."""

    account: AccountPublic
    expires_in_hours: int


@router.post(
    "/login",
    response_model=SessionPublic,
    responses={
        401: {"model": ErrorPublic, "description": "Wrong e-mail address or password."},
        429: {"model": ErrorPublic, "description": "Too many failed attempts; says when to retry."},
    },
)
def log_in(_lock: WriteLock, request: Request, body: LoginIn, session: SessionDep) -> Response:
    """Log in; the response sets the `wz_session` cookie that the other calls need.

    Wrong passwords slow down and then limit the source (429 with Retry-After); never the
    account: the right password from another source gets in.
    """
    settings = get_settings()
    device = read_cookie(request, LOGIN_DEVICE_COOKIE)
    try:
        user, token = users_service.log_in(
            session,
            email=body.email,
            password=body.password,
            hours=settings.session_hours,
            ip_address=client_ip(request),
            device_cookie=device,
        )
    except (users_service.LoginFailed, users_service.LoginThrottled) as error:
        # Answered, not raised: the failed attempt must be committed to count against the limit.
        return JSONResponse(
            {"detail": error.message, "code": error.code},
            status_code=error.status,
            headers=error.headers,
        )
    shown = SessionPublic(account=account_public(user), expires_in_hours=settings.session_hours)
    response = JSONResponse(shown.model_dump(mode="json"))
    remember_login(response, user, token, device)
    return response


@router.post("/logout", status_code=204)
def log_out(_lock: WriteLock, request: Request, session: SessionDep) -> Response:
    """End this session (the cookie no longer works, also not elsewhere)."""
    token = read_cookie(request, SESSION_COOKIE)
    if token:
        users_service.log_out(session, token=token)
    response = Response(status_code=204)
    delete_cookie(response, SESSION_COOKIE)
    return response
