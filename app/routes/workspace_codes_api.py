"""Voting-code cards through the JSON API: issue a batch (CSV or PDF), see their use, revoke.

The response that issues cards is the only copy of their codes; they are stored as hashes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.db import SessionDep
from app.domain.vocabulary import StakeholderGroup
from app.exports import cards as cards_export
from app.routes._files import cards_download
from app.routes.api_common import ERRORS, ErrorPublic
from app.routes.deps import WijkteamUser
from app.routes.workspace_deps import WijkteamProcess, WriteLock
from app.services import code_cards
from app.services import codes as codes_service

router = APIRouter(prefix="/api", tags=["workspace"])


class CardFormat(StrEnum):
    """How issued cards are returned."""

    CSV = "csv"
    PDF = "pdf"


class IssueIn(BaseModel):
    """How many cards, for which stakeholder group (optional), under which batch name."""

    count: int = Field(ge=1, le=codes_service.MAX_CODES_PER_BATCH)
    stakeholder_group: StakeholderGroup | None = None
    batch: str = Field(default="", max_length=80)
    format: CardFormat = CardFormat.CSV
    allow_local: bool = Field(
        default=False,
        description="Allow a public address on this computer (127.0.0.1, localhost): cards for a "
        "test here only. Without it such an address is refused with 409 unreachable_address.",
    )


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


@router.get("/processes/{process_id:int}/codes", response_model=CardsPublic, responses=ERRORS)
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
    "/processes/{process_id:int}/codes",
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
    _lock: WriteLock,
    process: WijkteamProcess,
    body: IssueIn,
    user: WijkteamUser,
    session: SessionDep,
) -> Response:
    """Issue a batch of cards; the response is their only copy (codes are stored as hashes)."""
    base_url = code_cards.card_address(allow_local=body.allow_local)
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
    return cards_download(
        issued,
        pdf=body.format == CardFormat.PDF,
        name=f"stemkaarten-{process.id}-{issued[0].id}-{issued[-1].id}",
        base_url=base_url,
        process_title=process.title,
    )


@router.post("/codes/{code_id:int}/revoke", response_model=CardPublic, responses=ERRORS)
def revoke_card(
    _lock: WriteLock, code_id: int, user: WijkteamUser, session: SessionDep
) -> CardPublic:
    """Revoke a card by its printed number; it can no longer be used to vote."""
    card = code_cards.revoke_card(session, user=user, code_id=code_id)
    return CardPublic(
        id=card.id or 0,
        process_id=card.process_id,
        batch=card.batch,
        revoked=card.revoked_at is not None,
        used=card.first_used_at is not None,
    )
