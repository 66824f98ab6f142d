"""The wijkteam's JSON API: what a script does instead of the workspace pages.

A script logs in with POST /api/login and keeps the `wz_session` cookie it gets (or sends it
back as a cookie header). Every path here is for the wijkteam: others get 401 (not logged in)
or 404. Errors are `{"detail": "...", "code": "..."}`; a refused menu file adds `problems` and
`warnings`, each with its row, column and message.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlmodel import Session
from starlette.responses import Response

from app.db import SessionDep
from app.domain.menu_tables import Finding
from app.domain.vocabulary import CostHorizon, Role, StakeholderGroup
from app.errors import N_, NotFound
from app.exports import cards as cards_export
from app.exports import menu as menu_export
from app.models import Measure, ProcessPublic, User
from app.routes.auth import LOGIN_DEVICE_COOKIE, remember_login
from app.routes.deps import SESSION_COOKIE, WijkteamUser
from app.routes.workspace_deps import (
    WijkteamProcess,
    client_ip,
    download,
    download_later,
    write_lock,
)
from app.routes.workspace_files import MenuFormat, TemplateFormat, menu_download, read_upload
from app.security import delete_cookie, read_cookie
from app.services import accounts as accounts_service
from app.services import audit, audit_log, code_cards, editor, imports
from app.services import codes as codes_service
from app.services import processes as processes_service
from app.services import users as users_service
from app.settings import get_settings

router = APIRouter(prefix="/api", tags=["workspace"], dependencies=[Depends(write_lock)])


class ErrorPublic(BaseModel):
    """An API error: a sentence saying what is wrong, and a stable code."""

    detail: str
    code: str


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorPublic, "description": "Not logged in (`login_required`)."},
    404: {"model": ErrorPublic, "description": "Unknown, or not for this account."},
    422: {"model": ErrorPublic, "description": "A field is missing or malformed."},
}


# --- logging in --------------------------------------------------------------------------------


class LoginIn(BaseModel):
    """An account's e-mail address and password."""

    email: str
    password: str


class AccountPublic(BaseModel):
    """An account as the API shows it (never its password)."""

    id: int
    email: str
    name: str
    role: Role
    is_active: bool
    process_ids: list[int] = Field(default_factory=list)


class SessionPublic(BaseModel):
    """A login session: who, and until when the cookie is valid."""

    account: AccountPublic
    expires_in_hours: int


def _account(user: User, process_ids: list[int] | None = None) -> AccountPublic:
    return AccountPublic(
        id=user.id or 0,
        email=user.email,
        name=user.name,
        role=user.role,
        is_active=user.is_active,
        process_ids=process_ids or [],
    )


@router.post(
    "/login",
    response_model=SessionPublic,
    responses={
        401: {"model": ErrorPublic, "description": "Wrong e-mail address or password."},
        429: {"model": ErrorPublic, "description": "Too many failed attempts; says when to retry."},
    },
)
def log_in(request: Request, body: LoginIn, session: SessionDep) -> Response:
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
    response = JSONResponse(
        SessionPublic(account=_account(user), expires_in_hours=settings.session_hours).model_dump(
            mode="json"
        )
    )
    remember_login(response, user, token, device)
    return response


@router.post("/logout", status_code=204)
def log_out(request: Request, session: SessionDep) -> Response:
    """End this session (the cookie no longer works, also not elsewhere)."""
    token = read_cookie(request, SESSION_COOKIE)
    if token:
        users_service.log_out(session, token=token)
    response = Response(status_code=204)
    delete_cookie(response, SESSION_COOKIE)
    return response


# --- processes ---------------------------------------------------------------------------------


class ProcessIn(BaseModel):
    """A new process: neighbourhood, title, budget in whole euros, binding cost horizon."""

    neighbourhood: str
    municipality: str
    title: str
    description: str = ""
    budget_eur: int = Field(ge=0)
    cost_horizon: CostHorizon = CostHorizon.YEARS_4
    budget_note: str = ""


class ProcessPatch(BaseModel):
    """Fields of a process to change; the others stay. Budget and horizon freeze with the menu."""

    neighbourhood: str | None = None
    municipality: str | None = None
    title: str | None = None
    description: str | None = None
    budget_eur: int | None = Field(default=None, ge=0)
    cost_horizon: CostHorizon | None = None
    budget_note: str | None = None


@router.post("/processes", response_model=ProcessPublic, status_code=201, responses=ERRORS)
def create_process(
    request: Request, body: ProcessIn, user: WijkteamUser, session: SessionDep
) -> ProcessPublic:
    """Create a process (and its neighbourhood when it is new)."""
    process = editor.create_process(
        session, user=user, data=body.model_dump(mode="json"), ip_address=client_ip(request)
    )
    return processes_service.process_public(session, process)


@router.patch(
    "/processes/{process_id}",
    response_model=ProcessPublic,
    responses={**ERRORS, 409: {"model": ErrorPublic, "description": "`menu_frozen`"}},
)
def update_process(
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
    "/processes/{process_id}/versions",
    response_model=ProcessPublic,
    status_code=201,
    responses=ERRORS,
)
def start_new_version(
    request: Request, process: WijkteamProcess, user: WijkteamUser, session: SessionDep
) -> ProcessPublic:
    """Copy a (frozen) process with its menu as the next version, which can be changed again."""
    copy = editor.new_version(
        session, user=user, process_id=process.id or 0, ip_address=client_ip(request)
    )
    return processes_service.process_public(session, copy)


# --- effects and measures ----------------------------------------------------------------------


class EffectIn(BaseModel):
    """A desired effect; with `parent` (an effect key) a sub-effect of that effect."""

    title: str
    description: str = ""
    parent: str = ""


class EffectOut(BaseModel):
    """A desired effect or sub-effect as saved."""

    id: int
    key: str
    title: str
    description: str
    parent: str


class MeasureIn(BaseModel):
    """A measure: costs in whole euros (or null), the effect it is listed under, its effects."""

    title: str
    group: str = Field(description="Key of the desired effect the measure is listed under.")
    effects: list[str] = Field(
        default_factory=list,
        description="Keys of the effects and sub-effects it is rated on; empty: the group.",
    )
    cost_year_1: int | None = Field(default=None, ge=0)
    cost_years_4: int | None = Field(default=None, ge=0)
    cost_years_10: int | None = Field(default=None, ge=0)
    is_regular: bool = False
    organisation: str = ""
    description: str = ""


class MeasureOut(MeasureIn):
    """A measure as saved."""

    id: int
    key: str


FROZEN: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorPublic, "description": "`menu_frozen`: a round has been opened."}
}


@router.put(
    "/processes/{process_id}/effects/{key}",
    response_model=EffectOut,
    responses={**ERRORS, **FROZEN},
)
def put_effect(
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
        parent=body.parent,
    )


@router.delete(
    "/processes/{process_id}/effects/{key}", status_code=204, responses={**ERRORS, **FROZEN}
)
def delete_effect(
    request: Request, process: WijkteamProcess, key: str, user: WijkteamUser, session: SessionDep
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
    )


@router.put(
    "/processes/{process_id}/measures/{key}",
    response_model=MeasureOut,
    responses={**ERRORS, **FROZEN},
)
def put_measure(
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
    "/processes/{process_id}/measures/{key}", status_code=204, responses={**ERRORS, **FROZEN}
)
def delete_measure(
    request: Request, process: WijkteamProcess, key: str, user: WijkteamUser, session: SessionDep
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


# --- menu files --------------------------------------------------------------------------------


class FindingPublic(BaseModel):
    """One problem or warning in a menu file: where, and what (in English)."""

    row: int | None = Field(description="Row as a spreadsheet numbers it (1: column names).")
    column: str | None = Field(description="Column name (or seed-format field).")
    column_letter: str | None
    entry: str | None = Field(description="Seed format: which effect or measure.")
    message: str


class ImportPublic(BaseModel):
    """What an import did (or, with dry_run, would do)."""

    process_id: int | None
    format: str | None
    created: int
    updated: int
    removed: int
    written: bool
    warnings: list[FindingPublic]
    notes: list[str]


class ImportRefused(ErrorPublic):
    """A menu file that could not be imported; nothing was written."""

    problems: list[FindingPublic]
    warnings: list[FindingPublic]


def _finding(f: Finding) -> FindingPublic:
    [line] = imports.describe_all([replace_place(f)])
    return FindingPublic(
        row=f.row, column=f.column, column_letter=f.column_letter, entry=f.entry, message=line
    )


def replace_place(f: Finding) -> Finding:
    """A finding without its place, for a message that names only what is wrong."""
    return Finding(f.message, f.params, suggestion=f.suggestion)


def _import_response(result: imports.ImportResult, status: int) -> Response:
    read = result.read
    if not result.ok:
        return JSONResponse(
            ImportRefused(
                detail=f"{len(read.problems)} problem(s) in the menu file; nothing was written.",
                code="invalid_menu_file",
                problems=[_finding(f) for f in read.problems],
                warnings=[_finding(f) for f in read.warnings],
            ).model_dump(mode="json"),
            status_code=422,
        )
    return JSONResponse(
        ImportPublic(
            process_id=result.process_id,
            format=read.format.value if read.format else None,
            created=result.created,
            updated=result.updated,
            removed=result.removed,
            written=result.written,
            warnings=[_finding(f) for f in read.warnings],
            notes=[imports.describe_all([n])[0] for n in read.notes],
        ).model_dump(mode="json"),
        status_code=status if result.written else 200,
    )


IMPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    422: {"model": ImportRefused, "description": "Every problem in the file; nothing written."},
}


@router.post(
    "/processes/import", response_model=ImportPublic, status_code=201, responses=IMPORT_RESPONSES
)
def import_new_process(
    request: Request,
    user: WijkteamUser,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="A CSV, XLSX, YAML or JSON menu file.")],
    dry_run: Annotated[bool, Query(description="Only check the file.")] = False,
) -> Response:
    """Create a process from a menu file; all or nothing, every problem listed."""
    filename, data = read_upload(file)
    result = imports.import_menu(
        session,
        user=user,
        filename=filename,
        data=data,
        dry_run=dry_run,
        ip_address=client_ip(request),
    )
    return _import_response(result, 201)


@router.put(
    "/processes/{process_id}/menu",
    response_model=ImportPublic,
    responses={**IMPORT_RESPONSES, **FROZEN},
)
def import_into_process(
    request: Request,
    process: WijkteamProcess,
    user: WijkteamUser,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="A CSV, XLSX, YAML or JSON menu file.")],
    dry_run: Annotated[bool, Query(description="Only check the file.")] = False,
) -> Response:
    """Replace a process's menu with a menu file (409 `menu_frozen` once a round has opened)."""
    filename, data = read_upload(file)
    result = imports.import_menu(
        session,
        user=user,
        filename=filename,
        data=data,
        process_id=process.id,
        dry_run=dry_run,
        ip_address=client_ip(request),
    )
    return _import_response(result, 200)


FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {media: {} for media in menu_export.MEDIA_TYPES.values()},
        "description": "The file.",
    }
}


@router.get(
    "/processes/{process_id}/menu/file",
    response_class=Response,
    responses={**ERRORS, **FILE_RESPONSE},
)
def export_menu(
    request: Request,
    process: WijkteamProcess,
    user: WijkteamUser,
    session: SessionDep,
    format: MenuFormat = MenuFormat.CSV,
) -> Response:
    """The menu as a file: csv and xlsx (the column format), yaml and json (the seed format)."""
    return menu_download(request, session, user, process, format)


@router.get("/menu-template", response_class=Response, responses={**ERRORS, **FILE_RESPONSE})
def menu_template(user: WijkteamUser, format: TemplateFormat = TemplateFormat.XLSX) -> Response:
    """The import template with example rows, as xlsx or csv."""
    return download(
        menu_export.template(format.value),
        filename=f"waardenzeef-menu-sjabloon.{format.value}",
        media_type=menu_export.MEDIA_TYPES[format.value],
    )


# --- voting cards ------------------------------------------------------------------------------


class CardFormat(StrEnum):
    """How issued cards are returned."""

    CSV = "csv"
    PDF = "pdf"


class IssueIn(BaseModel):
    """How many cards, for which stakeholder group (optional), under which batch name."""

    count: int = Field(ge=1, le=codes_service.MAX_CODES_PER_BATCH)
    stakeholder_group: StakeholderGroup | None = None
    batch: str = ""
    format: CardFormat = CardFormat.CSV


class BatchPublic(BaseModel):
    """A batch of cards and its use."""

    batch: str
    stakeholder_group: StakeholderGroup | None
    issued: int
    used: int
    revoked: int
    first_number: int
    last_number: int
    created_at: datetime


class CardsPublic(BaseModel):
    """A process's cards: live (not revoked), used, and per batch."""

    live: int
    used: int
    batches: list[BatchPublic]


class CardPublic(BaseModel):
    """A card by its printed number."""

    id: int
    process_id: int
    batch: str
    revoked: bool
    used: bool


@router.get("/processes/{process_id}/codes", response_model=CardsPublic, responses=ERRORS)
def list_cards(process: WijkteamProcess, session: SessionDep) -> CardsPublic:
    """How many cards a process has, how many were used, per batch (never the codes)."""
    live, used = codes_service.count_used(session, process_id=process.id or 0)
    return CardsPublic(
        live=live,
        used=used,
        batches=[
            BatchPublic.model_validate(b, from_attributes=True)
            for b in code_cards.batches(session, process_id=process.id or 0)
        ],
    )


@router.post(
    "/processes/{process_id}/codes",
    response_class=Response,
    responses={
        **ERRORS,
        200: {
            "content": {"text/csv": {}, "application/pdf": {}},
            "description": "The cards: CSV (kaart;code;link;groep;batch) or an A4 PDF. "
            "The only copy of the codes.",
        },
        503: {"model": ErrorPublic, "description": "No PDF on this server (WeasyPrint missing)."},
    },
)
def issue_cards(
    process: WijkteamProcess, body: IssueIn, user: WijkteamUser, session: SessionDep
) -> Response:
    """Issue a batch of cards; the response is their only copy (codes are stored as hashes)."""
    if body.format == CardFormat.PDF:
        if missing := cards_export.pdf_unavailable():
            return JSONResponse(
                {"detail": f"PDFs cannot be made on this server: {missing}", "code": "no_pdf"},
                status_code=503,
            )
        if body.count > cards_export.MAX_PDF_CARDS:
            return JSONResponse(
                {
                    "detail": f"count: a PDF holds at most {cards_export.MAX_PDF_CARDS} cards.",
                    "code": "invalid_input",
                },
                status_code=422,
            )
    request = code_cards.read_issue_request(
        {
            "count": str(body.count),
            "stakeholder_group": body.stakeholder_group.value if body.stakeholder_group else "",
            "batch": body.batch,
        }
    )
    process, issued = code_cards.issue(
        session, user=user, process_id=process.id or 0, request=request
    )
    base_url = get_settings().public_base_url
    name = f"stemkaarten-{process.id}-{issued[0].id}-{issued[-1].id}"
    if body.format == CardFormat.PDF:
        title = process.title
        return download_later(
            lambda: cards_export.cards_pdf(issued, base_url=base_url, process_title=title),
            filename=f"{name}.pdf",
            media_type="application/pdf",
        )
    return download(
        cards_export.cards_csv(issued, base_url=base_url),
        filename=f"{name}.csv",
        media_type="text/csv; charset=utf-8",
    )


@router.post("/codes/{code_id}/revoke", response_model=CardPublic, responses=ERRORS)
def revoke_card(code_id: int, user: WijkteamUser, session: SessionDep) -> CardPublic:
    """Revoke a card by its printed number; it can no longer be used to vote."""
    card = code_cards.revoke_card(session, user=user, code_id=code_id)
    return CardPublic(
        id=card.id or 0,
        process_id=card.process_id,
        batch=card.batch,
        revoked=card.revoked_at is not None,
        used=card.first_used_at is not None,
    )


# --- accounts ----------------------------------------------------------------------------------


class AccountIn(BaseModel):
    """A new account."""

    email: str
    name: str = ""
    role: Role = Role.FACILITATOR


class AccountCreated(BaseModel):
    """A new account and its one-time password (shown only in this response)."""

    account: AccountPublic
    password: str


@router.get("/users", response_model=list[AccountPublic], responses=ERRORS)
def list_accounts(user: WijkteamUser, session: SessionDep) -> list[AccountPublic]:
    """Every account, with the processes each facilitator is assigned to."""
    return [
        _account(a.user, [p.id or 0 for p in a.processes])
        for a in accounts_service.list_accounts(session)
    ]


@router.post("/users", response_model=AccountCreated, status_code=201, responses=ERRORS)
def create_account(
    request: Request, body: AccountIn, user: WijkteamUser, session: SessionDep
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
    return AccountCreated(account=_account(account), password=password)


@router.post("/users/{user_id}/deactivate", response_model=AccountPublic, responses=ERRORS)
def deactivate_account(
    request: Request, user_id: int, user: WijkteamUser, session: SessionDep
) -> AccountPublic:
    """Deactivate an account and end its sessions."""
    account = accounts_service.set_active(
        session, actor=user, user_id=user_id, active=False, ip_address=client_ip(request)
    )
    return _account(account)


@router.post("/users/{user_id}/activate", response_model=AccountPublic, responses=ERRORS)
def activate_account(
    request: Request, user_id: int, user: WijkteamUser, session: SessionDep
) -> AccountPublic:
    """Make a deactivated account active again."""
    account = accounts_service.set_active(
        session, actor=user, user_id=user_id, active=True, ip_address=client_ip(request)
    )
    return _account(account)


@router.put("/processes/{process_id}/facilitators/{user_id}", status_code=204, responses=ERRORS)
def assign_facilitator(
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


@router.delete("/processes/{process_id}/facilitators/{user_id}", status_code=204, responses=ERRORS)
def unassign_facilitator(
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


# --- audit log ---------------------------------------------------------------------------------


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
    request: Request,
    user: WijkteamUser,
    session: SessionDep,
    process_id: int | None = None,
    action: str | None = Query(default=None, description="e.g. `measure` or `login.failed`"),
    page: int = Query(default=1, ge=1),
    format: AuditFormat = AuditFormat.JSON,
) -> Response:
    """The audit log: JSON pages of 50, or everything as CSV (`format=csv`)."""
    if format == AuditFormat.CSV:
        content = audit_log.events_csv(session, process_id=process_id, action=action)
        audit.record(
            session,
            action="audit.exported",
            user_id=user.id,
            object_type="audit",
            process_id=process_id,
            ip_address=client_ip(request),
            detail={"action": (action or "")[:40]},
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
