"""Accounts through the JSON API: create, deactivate, activate, and assign facilitators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.db import SessionDep
from app.domain.vocabulary import Role
from app.routes.api_common import ERRORS, AccountPublic, account_public
from app.routes.deps import WijkteamUser
from app.routes.workspace_deps import WijkteamProcess, WriteLock, client_ip
from app.services import accounts as accounts_service

router = APIRouter(prefix="/api", tags=["workspace"])


class AccountIn(BaseModel):
    """A new account."""

    email: str = Field(max_length=254)
    name: str = Field(default="", max_length=200)
    role: Role = Role.FACILITATOR


class AccountCreated(BaseModel):
    """A new account and its one-time password (shown only in this response)."""

    account: AccountPublic
    password: str


@router.get("/users", response_model=list[AccountPublic], responses=ERRORS)
def list_accounts(user: WijkteamUser, session: SessionDep) -> list[AccountPublic]:
    """Every account, with the processes each facilitator is assigned to."""
    return [
        account_public(a.user, [p.id or 0 for p in a.processes])
        for a in accounts_service.list_accounts(session)
    ]


@router.post("/users", response_model=AccountCreated, status_code=201, responses=ERRORS)
def create_account(
    _lock: WriteLock, request: Request, body: AccountIn, user: WijkteamUser, session: SessionDep
) -> AccountCreated:
    """Create an account with a one-time password, returned only here."""
    account, password = accounts_service.create_account(
        session,
        actor=user,
        email=body.email,
        name=body.name,
        role=body.role,
        ip_address=client_ip(request),
    )
    return AccountCreated(account=account_public(account), password=password)


@router.post("/users/{user_id:int}/deactivate", response_model=AccountPublic, responses=ERRORS)
def deactivate_account(
    _lock: WriteLock, request: Request, user_id: int, user: WijkteamUser, session: SessionDep
) -> AccountPublic:
    """Deactivate an account and end its sessions."""
    account = accounts_service.set_active(
        session, actor=user, user_id=user_id, active=False, ip_address=client_ip(request)
    )
    return account_public(account)


@router.post("/users/{user_id:int}/activate", response_model=AccountPublic, responses=ERRORS)
def activate_account(
    _lock: WriteLock, request: Request, user_id: int, user: WijkteamUser, session: SessionDep
) -> AccountPublic:
    """Make a deactivated account active again."""
    account = accounts_service.set_active(
        session, actor=user, user_id=user_id, active=True, ip_address=client_ip(request)
    )
    return account_public(account)


@router.put(
    "/processes/{process_id:int}/facilitators/{user_id:int}", status_code=204, responses=ERRORS
)
def assign_facilitator(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    user_id: int,
    user: WijkteamUser,
    session: SessionDep,
) -> Response:
    """Let a facilitator run this process's meetings (they see no other process)."""
    accounts_service.assign(
        session,
        actor=user,
        process_id=process.id or 0,
        user_id=user_id,
        ip_address=client_ip(request),
    )
    return Response(status_code=204)


@router.delete(
    "/processes/{process_id:int}/facilitators/{user_id:int}", status_code=204, responses=ERRORS
)
def unassign_facilitator(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    user_id: int,
    user: WijkteamUser,
    session: SessionDep,
) -> Response:
    """Take a facilitator off this process."""
    accounts_service.assign(
        session,
        actor=user,
        process_id=process.id or 0,
        user_id=user_id,
        assigned=False,
        ip_address=client_ip(request),
    )
    return Response(status_code=204)
