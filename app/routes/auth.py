"""Logging in and out, and the landing pages of the wijkteam and facilitators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import HTMLResponse, Response

from app.db import SessionDep
from app.domain.vocabulary import Role
from app.routes.deps import LOGIN_DEVICE_COOKIE, SESSION_COOKIE, CurrentUser, remember_login
from app.routes.workspace_deps import WriteLock
from app.security import delete_cookie, read_cookie
from app.services import codes as codes_service
from app.services import menus as menus_service
from app.services import processes as processes_service
from app.services import users as users_service
from app.services.forms import FormInvalid
from app.settings import get_settings
from app.templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None, fallback: str) -> str:
    # Only paths on this site, never another host.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return fallback


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    """The login form."""
    return render(request, "login.html", {"next": next or "", "error": None, "email": ""})


@router.post("/login", response_model=None)
def log_in(
    request: Request,
    _lock: WriteLock,
    session: SessionDep,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the password, set the session cookie and go on to the user's page."""
    settings = get_settings()
    device = read_cookie(request, LOGIN_DEVICE_COOKIE)
    try:
        user, token = users_service.log_in(
            session,
            email=email,
            password=password,
            hours=settings.session_hours,
            ip_address=request.client.host if request.client else "",
            device_cookie=device,
        )
    except (users_service.LoginFailed, users_service.LoginThrottled) as error:
        # Answered, not raised: the failed attempt must be committed to count against the limit.
        refusal = render(
            request,
            "login.html",
            {"next": next, "email": email, "error": error.localized()},
            status_code=error.status,
        )
        refusal.headers.update(error.headers)
        return refusal
    home = "/wijkteam" if user.role == Role.WIJKTEAM else "/facilitator"
    response = RedirectResponse(_safe_next(next, home), status_code=303)
    remember_login(response, user, token, device)
    return response


@router.post("/logout")
def log_out(request: Request, _lock: WriteLock, session: SessionDep) -> RedirectResponse:
    """End the session."""
    token = read_cookie(request, SESSION_COOKIE)
    if token:
        users_service.log_out(session, token=token)
    response = RedirectResponse("/login", status_code=303)
    delete_cookie(response, SESSION_COOKIE)
    return response


@router.get("/wijkteam", response_class=HTMLResponse)
@router.get("/facilitator", response_class=HTMLResponse)
def workspace(request: Request, user: CurrentUser, session: SessionDep) -> HTMLResponse:
    """The landing page after login: the processes this account works on (the dashboard)."""
    processes = processes_service.list_processes(session, user=user)
    cards = {p.id: codes_service.count_used(session, process_id=p.id) for p in processes}
    return render(
        request,
        "workspace.html",
        {
            "user": user,
            "processes": processes,
            "cards": cards,
            "frozen": {
                p.id for p in processes if menus_service.is_frozen(session, process_id=p.id)
            },
        },
    )


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, user: CurrentUser) -> HTMLResponse:
    """The form to change one's own password."""
    return render(request, "workspace/password.html", {"user": user, "errors": {}, "done": False})


@router.post("/account/password", response_model=None)
def change_password(
    request: Request,
    _lock: WriteLock,
    user: CurrentUser,
    session: SessionDep,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    confirm_password: Annotated[str, Form()] = "",
) -> Response:
    """Change one's own password; every other session of this account ends."""
    try:
        ended = users_service.change_password(
            session,
            user=user,
            current=current_password,
            new=new_password,
            confirm=confirm_password,
            keep_token=read_cookie(request, SESSION_COOKIE),
            ip_address=request.client.host if request.client else "",
        )
    except FormInvalid as error:
        return render(
            request,
            "workspace/password.html",
            {"user": user, "errors": error.field_messages(), "done": False},
            status_code=422,
        )
    return render(
        request,
        "workspace/password.html",
        {"user": user, "errors": {}, "done": True, "ended": ended},
    )
