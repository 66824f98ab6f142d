"""The wijkteam's JSON API for processes and their menus: what a script does instead of the
process editor (`workspace.py`).

Every path here is for the wijkteam: others get 401 (not logged in) or 404. Errors are
`{"detail": "...", "code": "..."}`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlmodel import Session
from starlette.responses import Response

from app.db import SessionDep
from app.domain.menu import PLAIN_EXPLANATION_MAX
from app.domain.vocabulary import CostHorizon
from app.errors import N_, NotFound
from app.models import Measure, ProcessPublic, User
from app.routes.api_common import ERRORS, FROZEN, ErrorPublic
from app.routes.deps import WijkteamUser
from app.routes.workspace_deps import WijkteamProcess, WriteLock, client_ip
from app.services import editor
from app.services import processes as processes_service

router = APIRouter(prefix="/api", tags=["workspace"])
# Amounts are whole euros in 32-bit columns.
MAX_EUROS = 2_000_000_000


class ProcessIn(BaseModel):
    """A new process: neighbourhood, title, budget in whole euros, binding cost horizon."""

    neighbourhood: str = Field(max_length=120)
    municipality: str = Field(max_length=120)
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)
    budget_eur: int = Field(ge=0, le=MAX_EUROS)
    cost_horizon: CostHorizon = CostHorizon.YEARS_4
    budget_note: str = Field(default="", max_length=2000)


class ProcessPatch(BaseModel):
    """Fields of a process to change; the others stay. Budget and horizon freeze with the menu."""

    neighbourhood: str | None = Field(default=None, max_length=120)
    municipality: str | None = Field(default=None, max_length=120)
    title: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    budget_eur: int | None = Field(default=None, ge=0, le=MAX_EUROS)
    cost_horizon: CostHorizon | None = None
    budget_note: str | None = Field(default=None, max_length=2000)


@router.post("/processes", response_model=ProcessPublic, status_code=201, responses=ERRORS)
def create_process(
    _lock: WriteLock, request: Request, body: ProcessIn, user: WijkteamUser, session: SessionDep
) -> ProcessPublic:
    """Create a process (and its neighbourhood when it is new)."""
    process = editor.create_process(
        session, user=user, data=body.model_dump(mode="json"), ip_address=client_ip(request)
    )
    return processes_service.process_public(session, process)


@router.patch(
    "/processes/{process_id:int}",
    response_model=ProcessPublic,
    responses={**ERRORS, 409: {"model": ErrorPublic, "description": "`menu_frozen`"}},
)
def update_process(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    body: ProcessPatch,
    user: WijkteamUser,
    session: SessionDep,
) -> ProcessPublic:
    """Change a process; budget and cost horizon are refused (409) once a round has opened."""
    view = editor.menu_view(session, user=user, process_id=process.id or 0)
    current = {
        "neighbourhood": view.neighbourhood.name,
        "municipality": view.neighbourhood.municipality,
        "title": process.title,
        "description": process.description,
        "budget_eur": process.budget_eur,
        "cost_horizon": str(process.cost_horizon),
        "budget_note": process.budget_note,
    }
    current.update(body.model_dump(mode="json", exclude_none=True))
    updated = editor.update_process(
        session,
        user=user,
        process_id=process.id or 0,
        data=current,
        ip_address=client_ip(request),
    )
    return processes_service.process_public(session, updated)


@router.post(
    "/processes/{process_id:int}/versions",
    response_model=ProcessPublic,
    status_code=201,
    responses=ERRORS,
)
def start_new_version(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    user: WijkteamUser,
    session: SessionDep,
) -> ProcessPublic:
    """Copy a (frozen) process with its menu as the next version, which can be changed again."""
    copy = editor.new_version(
        session, user=user, process_id=process.id or 0, ip_address=client_ip(request)
    )
    return processes_service.process_public(session, copy)


# --- effects and measures ----------------------------------------------------------------------


class EffectIn(BaseModel):
    """A desired effect; with `parent` (an effect key) a sub-effect of that effect."""

    title: str = Field(max_length=300)
    description: str = Field(default="", max_length=4000)
    plain_explanation: str = Field(
        default="",
        max_length=PLAIN_EXPLANATION_MAX,
        description="What the effect means in daily life, in one or two plain sentences.",
    )
    parent: str = Field(default="", max_length=60)


class EffectOut(BaseModel):
    """A desired effect or sub-effect as saved."""

    id: int
    key: str
    title: str
    description: str
    plain_explanation: str
    parent: str


class MeasureIn(BaseModel):
    """A measure: costs in whole euros (or null), the effect it is listed under, its effects."""

    title: str = Field(max_length=300)
    group: str = Field(
        max_length=60, description="Key of the desired effect the measure is listed under."
    )
    effects: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Keys of the effects and sub-effects it is rated on; empty: the group.",
    )
    cost_year_1: int | None = Field(default=None, ge=0, le=MAX_EUROS)
    cost_years_4: int | None = Field(default=None, ge=0, le=MAX_EUROS)
    cost_years_10: int | None = Field(default=None, ge=0, le=MAX_EUROS)
    is_regular: bool = False
    organisation: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=4000)
    plain_explanation: str = Field(
        default="",
        max_length=PLAIN_EXPLANATION_MAX,
        description="What the measure does for a resident, in one or two plain sentences.",
    )


class MeasureOut(MeasureIn):
    """A measure as saved."""

    id: int
    key: str


@router.put(
    "/processes/{process_id:int}/effects/{key}",
    response_model=EffectOut,
    responses={**ERRORS, **FROZEN},
)
def put_effect(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    key: str,
    body: EffectIn,
    user: WijkteamUser,
    session: SessionDep,
) -> EffectOut:
    """Create or replace the effect with this key."""
    existing = editor.effect_by_key(session, process_id=process.id or 0, key=key)
    effect = editor.save_effect(
        session,
        user=user,
        process_id=process.id or 0,
        data={"key": key, **body.model_dump()},
        effect_id=existing.id if existing else None,
        ip_address=client_ip(request),
    )
    return EffectOut(
        id=effect.id or 0,
        key=effect.key,
        title=effect.title,
        description=effect.description,
        plain_explanation=effect.plain_explanation,
        parent=body.parent,
    )


@router.delete(
    "/processes/{process_id:int}/effects/{key}", status_code=204, responses={**ERRORS, **FROZEN}
)
def delete_effect(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    key: str,
    user: WijkteamUser,
    session: SessionDep,
) -> Response:
    """Delete the effect with this key (refused while measures are listed under it)."""
    effect = editor.effect_by_key(session, process_id=process.id or 0, key=key)
    if effect is None:
        raise NotFound(N_("There is no effect '%(key)s' in this process."), key=key)
    editor.delete_effect(
        session,
        user=user,
        process_id=process.id or 0,
        effect_id=effect.id or 0,
        ip_address=client_ip(request),
    )
    return Response(status_code=204)


def _measure_out(session: Session, measure: Measure, process_id: int, user: User) -> MeasureOut:
    view = editor.menu_view(session, user=user, process_id=process_id)
    return MeasureOut(
        id=measure.id or 0,
        key=measure.key,
        title=measure.title,
        group=view.effect_keys.get(measure.group_effect_id or 0, ""),
        effects=view.links.get(measure.id or 0, []),
        cost_year_1=measure.cost_year_1,
        cost_years_4=measure.cost_years_4,
        cost_years_10=measure.cost_years_10,
        is_regular=measure.is_regular,
        organisation=measure.organisation,
        description=measure.description,
        plain_explanation=measure.plain_explanation,
    )


@router.put(
    "/processes/{process_id:int}/measures/{key}",
    response_model=MeasureOut,
    responses={**ERRORS, **FROZEN},
)
def put_measure(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    key: str,
    body: MeasureIn,
    user: WijkteamUser,
    session: SessionDep,
) -> MeasureOut:
    """Create or replace the measure with this key (409 `menu_frozen` once a round opened)."""
    existing = editor.measure_by_key(session, process_id=process.id or 0, key=key)
    data = body.model_dump()
    data["regular"] = data.pop("is_regular")
    measure = editor.save_measure(
        session,
        user=user,
        process_id=process.id or 0,
        data={"key": key, **data},
        measure_id=existing.id if existing else None,
        ip_address=client_ip(request),
    )
    return _measure_out(session, measure, process.id or 0, user)


@router.delete(
    "/processes/{process_id:int}/measures/{key}", status_code=204, responses={**ERRORS, **FROZEN}
)
def delete_measure(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    key: str,
    user: WijkteamUser,
    session: SessionDep,
) -> Response:
    """Delete the measure with this key."""
    measure = editor.measure_by_key(session, process_id=process.id or 0, key=key)
    if measure is None:
        raise NotFound(N_("There is no measure '%(key)s' in this process."), key=key)
    editor.delete_measure(
        session,
        user=user,
        process_id=process.id or 0,
        measure_id=measure.id or 0,
        ip_address=client_ip(request),
    )
    return Response(status_code=204)
