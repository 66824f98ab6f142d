"""Dependencies shared by the routes: the logged-in user and the objects they may reach."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import Response

from app.db import SessionDep
from app.domain.vocabulary import Role
from app.errors import N_, DomainError, NotFound
from app.models import User
from app.security import read_cookie, set_cookie
from app.services import users as users_service
from app.settings import get_settings

SESSION_COOKIE = "wz_session"
# Row ids are 32-bit integers on PostgreSQL (and at most 64-bit on SQLite): a larger number in
# a path is no row at all, and must not reach the database.
MAX_ID = 2**31 - 1
LOGIN_DEVICE_COOKIE = "wz_login_device"


class PasswordChangeRequired(DomainError):
    """The account logged in with a one-time password: it chooses its own before anything else."""

    status = 403
    code = "password_change_required"


# What an account with a one-time password may still reach: choosing a new one, logging out.
PASSWORD_PATHS = frozenset({"/account/password", "/logout", "/api/logout"})


class LoginRequired(DomainError):
    """The page is for logged-in wijkteam members or facilitators."""

    status = 401
    code = "login_required"


def current_user(request: Request, session: SessionDep) -> User:
    """The logged-in user, or LoginRequired."""
    token = read_cookie(request, SESSION_COOKIE)
    user = users_service.user_for_token(session, token=token) if token else None
    if user is None:
        raise LoginRequired(N_("Log in first."))
    if user.must_change_password and request.url.path not in PASSWORD_PATHS:
        raise PasswordChangeRequired(
            N_(
                "You logged in with a one-time password. Choose your own password first, at "
                "/account/password."
            )
        )
    request.state.user = user  # for the staff navigation on every page this user sees
    return user


def wijkteam_user(user: Annotated[User, Depends(current_user)]) -> User:
    """The logged-in user if they are of the wijkteam; others are told the page does not exist."""
    if user.role != Role.WIJKTEAM:
        raise NotFound(N_("This page does not exist."))
    return user


CurrentUser = Annotated[User, Depends(current_user)]
WijkteamUser = Annotated[User, Depends(wijkteam_user)]


def remember_login(response: Response, user: User, token: str, device: str | None) -> None:
    """Set the session cookie, and the login-device cookie that keeps other sources' limits off."""
    set_cookie(response, SESSION_COOKIE, token, max_age=get_settings().session_hours * 3600)
    set_cookie(
        response,
        LOGIN_DEVICE_COOKIE,
        users_service.device_cookie(user, current=device),
        max_age=users_service.DEVICE_COOKIE_DAYS * 24 * 3600,
        samesite="strict",
    )


def ids_in_range(request: Request) -> None:
    """An id in the path beyond what the database holds names nothing: 404, before any query."""
    for name, value in request.path_params.items():
        if not name.endswith("_id") or not isinstance(value, str | int):
            continue
        text = str(value)
        if text.lstrip("-").isdigit() and not 1 <= int(text) <= MAX_ID:
            raise NotFound(N_("There is nothing with the number %(id)s."), id=text[:24])
