"""Voting-code cards for the wijkteam: issuing batches, their use, and revoking cards.

Issuing returns the plain codes once (`codes.issue_codes`); the caller turns them into a PDF or
CSV in the same request. Afterwards only the card number (printed on the card) and the hashes
remain, so a card is revoked by its number or by typing its code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.domain import codes as code_domain
from app.domain.codes import IssuedCode
from app.domain.vocabulary import StakeholderGroup
from app.errors import N_, DomainError, InvalidInput, NotFound
from app.models import ParticipantCode, Process, User, utcnow
from app.services import access, audit
from app.services import codes as codes_service
from app.services.forms import Fields
from app.settings import public_address


class UnreachableAddress(DomainError):
    """The cards would point at this computer itself, an address no phone can reach."""

    status = 409
    code = "unreachable_address"


def card_address(*, allow_local: bool = False) -> str:
    """The address the cards' QR codes point to; refused when no phone can reach it.

    A loopback address (127.*, localhost, ::1) is allowed only when the cards are explicitly
    for a test on this computer.
    """
    address = public_address()
    if address.is_loopback and not allow_local:
        raise UnreachableAddress(
            N_(
                "The cards would send phones to %(address)s: that is this computer itself, and "
                "no phone can reach it. Set PUBLIC_BASE_URL to the address phones use (on a "
                "hosted server its https:// address), or start the server on the venue's network "
                "with HOST=0.0.0.0 (see 'Running a meeting' in the README). Cards only for a test "
                "on this computer: tick the box for that (on the command line: --allow-local)."
            ),
            address=address.base_url,
        )
    return address.base_url


@dataclass
class Batch:
    """A batch of cards: how many were issued, used and revoked."""

    batch: str
    stakeholder_group: StakeholderGroup | None
    issued: int
    used: int
    revoked: int
    first_number: int
    last_number: int
    created_at: datetime


@dataclass(frozen=True)
class IssueRequest:
    """What the wijkteam asked for: how many cards, for which group, under which batch name."""

    count: int
    stakeholder_group: StakeholderGroup | None
    batch: str


def read_issue_request(data: Mapping[str, Any]) -> IssueRequest:
    """Read the card form or API fields: count (1..5000), optional group, optional batch name."""
    f = Fields(data)
    raw = f.text("count", max_length=10)
    count = 0
    if raw:
        if not raw.isdigit() or not 1 <= int(raw) <= codes_service.MAX_CODES_PER_BATCH:
            f.error(
                "count",
                N_("Ask for between 1 and %(max)s cards at a time."),
                max=codes_service.MAX_CODES_PER_BATCH,
            )
        else:
            count = int(raw)
    group_text = f.text("stakeholder_group", required=False, max_length=20)
    group = None
    if group_text:
        group = f.choice("stakeholder_group", StakeholderGroup)
    batch = f.text("batch", required=False, max_length=80)
    f.check()
    return IssueRequest(count, group, batch)


def issue(
    session: Session,
    *,
    user: User,
    process_id: int,
    request: IssueRequest,
) -> tuple[Process, list[IssuedCode]]:
    """Issue a batch of cards for a process; the plain codes are returned only here."""
    process = access.process_for(session, user=user, process_id=process_id)
    batch = request.batch or utcnow().strftime("%Y-%m-%d %H:%M") + (
        f" {request.stakeholder_group.value}" if request.stakeholder_group else ""
    )
    cards = codes_service.issue_codes(
        session,
        process_id=process_id,
        count=request.count,
        stakeholder_group=request.stakeholder_group,
        batch=batch,
        user_id=user.id,
    )
    return process, cards


def batches(session: Session, *, process_id: int) -> list[Batch]:
    """The batches of a process, oldest first, with their numbers of used and revoked cards."""
    code = ParticipantCode
    rows = session.execute(
        sa_select(
            col(code.batch),
            col(code.stakeholder_group),
            func.count(),
            func.count(col(code.first_used_at)),
            func.count(col(code.revoked_at)),
            func.min(col(code.id)),
            func.max(col(code.id)),
            func.min(col(code.created_at)),
        )
        .where(col(code.process_id) == process_id)
        .group_by(col(code.batch), col(code.stakeholder_group))
        .order_by(func.min(col(code.id)))
    ).all()
    return [
        Batch(batch, StakeholderGroup(group) if group else None, *counts)
        for batch, group, *counts in rows
    ]


def code_for(session: Session, *, user: User, code_id: int) -> ParticipantCode:
    """A card of a process this account may work on, or NotFound."""
    card = session.get(ParticipantCode, code_id)
    if card is None:
        raise NotFound(N_("There is no voting card %(id)s."), id=code_id)
    try:
        access.process_for(session, user=user, process_id=card.process_id)
    except NotFound:
        raise NotFound(N_("There is no voting card %(id)s."), id=code_id) from None
    return card


def find_card(
    session: Session, *, user: User, process_id: int, number_or_code: str
) -> ParticipantCode:
    """A process's card by its printed number or by its code (any spelling)."""
    access.process_for(session, user=user, process_id=process_id)
    text = number_or_code.strip()
    card = None
    if text.isdigit():
        card = session.get(ParticipantCode, int(text))
    else:
        digest = code_domain.code_hash(text)
        if digest is None:
            raise InvalidInput(
                N_("Type the card number (like 123) or the code (like %(example)s)."),
                example="ABCD-EFGH-JKMN-PQ",
            )
        card = session.exec(
            select(ParticipantCode).where(ParticipantCode.code_hash == digest)
        ).first()
    if card is None or card.process_id != process_id:
        raise NotFound(N_("There is no such card in this process."))
    return card


def revoke_card(session: Session, *, user: User, code_id: int) -> ParticipantCode:
    """Revoke one card, so that it can no longer be used to vote."""
    card = code_for(session, user=user, code_id=code_id)
    codes_service.revoke(session, code_id=code_id, process_id=card.process_id, user_id=user.id)
    session.flush()
    return card


def revoke_batch(session: Session, *, user: User, process_id: int, batch: str) -> int:
    """Revoke every live card of a batch (a lost box of cards); returns how many."""
    access.process_for(session, user=user, process_id=process_id)
    cards = session.exec(
        select(ParticipantCode).where(
            ParticipantCode.process_id == process_id,
            ParticipantCode.batch == batch,
            col(ParticipantCode.revoked_at).is_(None),
        )
    ).all()
    if (
        not cards
        and not session.exec(
            select(ParticipantCode.id).where(
                ParticipantCode.process_id == process_id, ParticipantCode.batch == batch
            )
        ).first()
    ):
        raise NotFound(N_("There is no batch '%(batch)s' in this process."), batch=batch)
    now = utcnow()
    for card in cards:
        card.revoked_at = now
    audit.record(
        session,
        action="codes.revoked",
        user_id=user.id,
        object_type="process",
        object_id=process_id,
        process_id=process_id,
        detail={"batch": batch, "count": len(cards)},
    )
    session.flush()
    return len(cards)
