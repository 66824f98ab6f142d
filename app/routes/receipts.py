"""A closed round's receipts: the facilitator publishes them; the room checks its own in the list.

The list is public once published (a receipt tells nothing about the vote behind it): on the
projector, as a text file, and in the JSON API.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, RedirectResponse
from pydantic import BaseModel, Field

from app.db import SessionDep
from app.domain.vocabulary import RoundKind
from app.i18n import gettext, local_time, ngettext
from app.routes.api_common import ErrorPublic
from app.routes.deps import CurrentUser
from app.routes.meeting_deps import WriteLock
from app.services import ballots as ballots_service

router = APIRouter()


class ReceiptListPublic(BaseModel):
    """A closed round's receipts, one per counted ballot, in alphabetical order."""

    round_id: int
    kind: RoundKind
    run: int
    closed_at: datetime | None
    published_at: datetime | None
    count: int = Field(description="How many ballots were counted: the length of the list.")
    receipts: list[str] = Field(description="Receipts as XXXX-XXXX-XXXX (no I, L, O, U).")


def _public(listed: ballots_service.ReceiptList) -> ReceiptListPublic:
    return ReceiptListPublic(
        round_id=listed.round_id,
        kind=listed.kind,
        run=listed.run,
        closed_at=listed.closed_at,
        published_at=listed.published_at,
        count=len(listed.receipts),
        receipts=list(listed.receipts),
    )


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


@router.get(
    "/api/rounds/{round_id:int}/receipts",
    response_model=ReceiptListPublic,
    tags=["meeting night"],
    responses={
        404: {"model": ErrorPublic},
        409: {"model": ErrorPublic, "description": "`receipts_not_published`"},
    },
)
def receipts(round_id: int, session: SessionDep) -> ReceiptListPublic:
    """A closed round's receipts, once its facilitator has published them."""
    return _public(ballots_service.published_receipts(session, round_id=round_id))


@router.post(
    "/api/rounds/{round_id:int}/receipts/publish",
    response_model=ReceiptListPublic,
    tags=["meeting night"],
    responses={
        401: {"model": ErrorPublic},
        404: {"model": ErrorPublic},
        409: {"model": ErrorPublic, "description": "`round_not_closed`"},
    },
)
def publish(
    round_id: int, request: Request, _lock: WriteLock, user: CurrentUser, session: SessionDep
) -> ReceiptListPublic:
    """Facilitator: publish a closed round's receipts (publishing again changes nothing)."""
    return _public(
        ballots_service.publish_receipts(
            session, user=user, round_id=round_id, ip_address=_client_ip(request)
        )
    )


@router.get(
    "/rounds/{round_id:int}/receipts.txt", response_class=PlainTextResponse, include_in_schema=False
)
def receipts_file(round_id: int, session: SessionDep) -> PlainTextResponse:
    """The published receipts as a text file: a heading, then one receipt per line."""
    listed = ballots_service.published_receipts(session, round_id=round_id)
    heading = [
        "# "
        + gettext("Waardenzeef: receipts of round %(id)s (%(kind)s, run %(run)s), closed %(at)s")
        % {
            "id": listed.round_id,
            "kind": listed.kind.value,
            "run": listed.run,
            "at": local_time(listed.closed_at),
        },
        "# "
        + ngettext(
            "%(num)s ballot counted; each receipt is one ballot and does not show the vote.",
            "%(num)s ballots counted; each receipt is one ballot and does not show the vote.",
            len(listed.receipts),
        )
        % {"num": len(listed.receipts)},
    ]
    return PlainTextResponse(
        "\n".join([*heading, *listed.receipts]) + "\n",
        headers={
            "Content-Disposition": f'attachment; filename="bewijzen-ronde-{listed.round_id}.txt"'
        },
    )


@router.post(
    "/console/rounds/{round_id:int}/receipts", response_model=None, include_in_schema=False
)
def publish_from_console(
    round_id: int, request: Request, _lock: WriteLock, user: CurrentUser, session: SessionDep
) -> RedirectResponse:
    """The console's button: publish the receipts, then show them on the round's page."""
    ballots_service.publish_receipts(
        session, user=user, round_id=round_id, ip_address=_client_ip(request)
    )
    return RedirectResponse(f"/console/rounds/{round_id}#receipts", status_code=303)
