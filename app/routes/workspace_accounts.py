"""Accounts in the browser: the wijkteam creates facilitators, deactivates, resets, assigns."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from starlette.responses import HTMLResponse, Response

from app.db import SessionDep
from app.domain.vocabulary import Role
from app.errors import DomainError
from app.models import User
from app.routes.deps import WijkteamUser
from app.routes.workspace_deps import WriteLock, client_ip
from app.services import accounts as accounts_service
from app.services import editor
from app.services.forms import FormInvalid
from app.templating import render

router = APIRouter(prefix="/wijkteam", include_in_schema=False)


class AccountForm(BaseModel):
    """The new-account form's fields, as typed."""

    email: str = ""
    name: str = ""
    role: str = Role.FACILITATOR.value


def _users_page(
    request: Request,
    session: SessionDep,
    user: User,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    problem: str = "",
    done: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "workspace/users.html",
        {
            "user": user,
            "accounts": accounts_service.list_accounts(session),
            "processes": editor.process_choices(session, user=user),
            "values": values or AccountForm().model_dump(),
            "errors": errors or {},
            "problem": problem,
            "done": done,
        },
        status_code=status_code,
    )


@router.get("/users", response_class=HTMLResponse)
def users_page(
    request: Request, user: WijkteamUser, session: SessionDep, done: str = ""
) -> HTMLResponse:
    """Every account, with forms to add one and to change what an account may do."""
    return _users_page(request, session, user, done=done)


@router.post("/users", response_model=None)
def create_account(
    _lock: WriteLock,
    request: Request,
    user: WijkteamUser,
    session: SessionDep,
    form: Annotated[AccountForm, Form()],
) -> Response:
    """Create an account and show its one-time password, once."""
    role = Role.WIJKTEAM if form.role == Role.WIJKTEAM.value else Role.FACILITATOR
    try:
        account, password = accounts_service.create_account(
            session,
            actor=user,
            email=form.email,
            name=form.name,
            role=role,
            ip_address=client_ip(request),
        )
    except FormInvalid as error:
        return _users_page(
            request,
            session,
            user,
            values=form.model_dump(),
            errors=error.field_messages(),
            status_code=422,
        )
    return _shown_once(request, user, account, password, new=True)


def _shown_once(
    request: Request, user: User, account: User, password: str, *, new: bool
) -> HTMLResponse:
    response = render(
        request,
        "workspace/user_password.html",
        {"user": user, "account": account, "password": password, "new": new},
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/users/{user_id}/deactivate", response_model=None)
def deactivate(
    _lock: WriteLock, request: Request, user_id: int, user: WijkteamUser, session: SessionDep
) -> Response:
    """Deactivate an account and end its sessions."""
    return _set_active(request, session, user, user_id, active=False)


@router.post("/users/{user_id}/activate", response_model=None)
def activate(
    _lock: WriteLock, request: Request, user_id: int, user: WijkteamUser, session: SessionDep
) -> Response:
    """Make an account active again."""
    return _set_active(request, session, user, user_id, active=True)


def _set_active(
    request: Request, session: SessionDep, user: User, user_id: int, *, active: bool
) -> Response:
    try:
        accounts_service.set_active(
            session, actor=user, user_id=user_id, active=active, ip_address=client_ip(request)
        )
    except DomainError as error:
        return _users_page(
            request, session, user, problem=error.localized(), status_code=error.status
        )
    return RedirectResponse(
        f"/wijkteam/users?done={'activated' if active else 'deactivated'}#user-{user_id}", 303
    )


@router.post("/users/{user_id}/reset-password", response_model=None)
def reset_password(
    _lock: WriteLock, request: Request, user_id: int, user: WijkteamUser, session: SessionDep
) -> Response:
    """Give an account a new one-time password (shown once) and end its sessions."""
    try:
        account, password = accounts_service.reset_password(
            session, actor=user, user_id=user_id, ip_address=client_ip(request)
        )
    except DomainError as error:
        return _users_page(
            request, session, user, problem=error.localized(), status_code=error.status
        )
    return _shown_once(request, user, account, password, new=False)


@router.post("/users/{user_id}/processes", response_model=None)
def assign_process(
    _lock: WriteLock,
    request: Request,
    user_id: int,
    user: WijkteamUser,
    session: SessionDep,
    process_id: Annotated[str, Form()] = "",
    remove: Annotated[str, Form()] = "",
) -> Response:
    """Assign a facilitator to a process, or take them off it."""
    if not process_id.isdigit():
        return RedirectResponse(f"/wijkteam/users#user-{user_id}", 303)
    try:
        accounts_service.assign(
            session,
            actor=user,
            process_id=int(process_id),
            user_id=user_id,
            assigned=not remove,
            ip_address=client_ip(request),
        )
    except DomainError as error:
        return _users_page(
            request, session, user, problem=error.localized(), status_code=error.status
        )
    return RedirectResponse(
        f"/wijkteam/users?done={'unassigned' if remove else 'assigned'}#user-{user_id}", 303
    )
