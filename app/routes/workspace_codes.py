"""Voting-code cards in the browser: issue a batch as PDF or CSV, see their use, revoke cards.

The PDF or CSV is the response to the form post that issues the cards: the plain codes exist only
in that response and are never stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from starlette.responses import HTMLResponse, Response

from app.db import SessionDep
from app.domain.menu.cells import slug
from app.domain.vocabulary import StakeholderGroup
from app.errors import N_, DomainError
from app.exports import cards as cards_export
from app.i18n import gettext as _
from app.models import Process, User
from app.routes._files import cards_download
from app.routes.deps import WijkteamUser
from app.routes.workspace_deps import WijkteamProcess, WriteLock
from app.services import code_cards
from app.services import codes as codes_service
from app.services.forms import FormInvalid
from app.settings import public_address
from app.templating import render

router = APIRouter(prefix="/wijkteam", include_in_schema=False)


class IssueForm(BaseModel):
    """The card form's fields, as typed."""

    count: str = ""
    stakeholder_group: str = ""
    batch: str = ""
    output: str = "pdf"
    allow_local: str = ""


def _codes_page(
    request: Request,
    session: SessionDep,
    user: User,
    process: Process,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    done: str = "",
    card: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    assert process.id is not None
    live, used = codes_service.count_used(session, process_id=process.id)
    return render(
        request,
        "workspace/codes.html",
        {
            "user": user,
            "process": process,
            "live": live,
            "used": used,
            "batches": code_cards.batches(session, process_id=process.id),
            "groups": list(StakeholderGroup),
            "group_labels": cards_export.GROUP_LABELS,
            "values": values or IssueForm().model_dump(),
            "errors": errors or {},
            "pdf_missing": cards_export.pdf_unavailable(),
            "max_pdf": cards_export.MAX_PDF_CARDS,
            "max_count": codes_service.MAX_CODES_PER_BATCH,
            "done": done,
            "card": card,
            "address": public_address(),
        },
        status_code=status_code,
    )


@router.get("/processes/{process_id}/codes", response_class=HTMLResponse)
def codes_page(
    request: Request,
    process: WijkteamProcess,
    user: WijkteamUser,
    session: SessionDep,
    done: str = "",
    card: str = "",
) -> HTMLResponse:
    """A process's voting cards: batches, how many were used, and the forms to issue or revoke."""
    return _codes_page(request, session, user, process, done=done, card=card)


@router.post("/processes/{process_id}/codes", response_model=None)
def issue_cards(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    user: WijkteamUser,
    session: SessionDep,
    form: Annotated[IssueForm, Form()],
) -> Response:
    """Issue a batch of cards and answer with their PDF (A4, cut-out cards) or CSV."""
    values = form.model_dump()
    try:
        base_url = code_cards.card_address(allow_local=form.allow_local == "1")
    except code_cards.UnreachableAddress as error:
        return _codes_page(
            request,
            session,
            user,
            process,
            values=values,
            errors={"allow_local": error.localized()},
            status_code=error.status,
        )
    try:
        wanted = code_cards.read_issue_request(values)
        output = form.output if form.output in ("pdf", "csv") else "pdf"
        if output == "pdf" and (missing := cards_export.pdf_unavailable()):
            raise FormInvalid(
                {
                    "output": (
                        N_("PDFs cannot be made on this server: %(reason)s"),
                        {"reason": missing},
                    )
                }
            )
        if output == "pdf" and wanted.count > cards_export.MAX_PDF_CARDS:
            raise FormInvalid(
                {
                    "count": (
                        N_(
                            "A PDF holds at most %(max)s cards; "
                            "issue several batches, or choose CSV."
                        ),
                        {"max": cards_export.MAX_PDF_CARDS},
                    )
                }
            )
    except FormInvalid as error:
        return _codes_page(
            request,
            session,
            user,
            process,
            values=values,
            errors=error.field_messages(),
            status_code=422,
        )
    process, issued = code_cards.issue(
        session, user=user, process_id=process.id or 0, request=wanted
    )
    return cards_download(
        issued,
        pdf=output == "pdf",
        name=f"stemkaarten-{slug(process.title)[:40]}-{issued[0].id}-{issued[-1].id}",
        base_url=base_url,
        process_title=process.title,
    )


@router.post("/processes/{process_id}/codes/revoke", response_model=None)
def revoke_by_number_or_code(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    user: WijkteamUser,
    session: SessionDep,
    card: Annotated[str, Form()] = "",
) -> Response:
    """Revoke a card by its printed number or its code."""
    try:
        found = code_cards.find_card(
            session, user=user, process_id=process.id or 0, number_or_code=card
        )
        code_cards.revoke_card(session, user=user, code_id=found.id or 0)
    except DomainError as error:
        return _codes_page(
            request,
            session,
            user,
            process,
            errors={"card": error.localized()},
            card=card,
            status_code=error.status,
        )
    return RedirectResponse(
        f"/wijkteam/processes/{process.id}/codes?done=revoked&card={found.id}", 303
    )


@router.post("/processes/{process_id}/codes/revoke-batch", response_model=None)
def revoke_batch(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    user: WijkteamUser,
    session: SessionDep,
    batch: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Revoke every card of a batch (for a lost box of cards), after a tick to confirm."""
    if not confirm:
        return _codes_page(
            request,
            session,
            user,
            process,
            errors={
                f"batch:{batch}": _(
                    "Tick the box to confirm that every card of this batch stops working."
                )
            },
            status_code=422,
        )
    count = code_cards.revoke_batch(session, user=user, process_id=process.id or 0, batch=batch)
    return RedirectResponse(
        f"/wijkteam/processes/{process.id}/codes?done=batch-revoked&card={count}", 303
    )


@router.post("/codes/{code_id}/revoke", response_model=None)
def revoke_card(
    _lock: WriteLock, request: Request, code_id: int, user: WijkteamUser, session: SessionDep
) -> Response:
    """Revoke one card by its number."""
    card = code_cards.revoke_card(session, user=user, code_id=code_id)
    return RedirectResponse(
        f"/wijkteam/processes/{card.process_id}/codes?done=revoked&card={code_id}", 303
    )
