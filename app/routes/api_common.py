"""What the JSON API modules share: the error model, the usual error responses, an account."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from app.domain.vocabulary import Role
from app.models import User


class ErrorPublic(BaseModel):
    """Every API error: a sentence saying what is wrong, and a stable code."""

    detail: str
    code: str


Responses = dict[int | str, dict[str, Any]]

ERRORS: Responses = {
    401: {"model": ErrorPublic, "description": "Not logged in (`login_required`)."},
    404: {"model": ErrorPublic, "description": "Unknown, or not for this account."},
    422: {"model": ErrorPublic, "description": "A field is missing or malformed."},
}
FROZEN: Responses = {
    409: {"model": ErrorPublic, "description": "`menu_frozen`: a round has been opened."}
}


class AccountPublic(BaseModel):
    """An account as the API shows it (never its password)."""

    id: int
    email: str
    name: str
    role: Role
    is_active: bool
    process_ids: list[int] = Field(default_factory=list)


def account_public(user: User, process_ids: list[int] | None = None) -> AccountPublic:
    """An account as the API shows it, with the processes a facilitator is assigned to."""
    return AccountPublic(
        id=user.id or 0,
        email=user.email,
        name=user.name,
        role=user.role,
        is_active=user.is_active,
        process_ids=process_ids or [],
    )
