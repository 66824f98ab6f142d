"""Residents joining a process: by code card (typed code or QR token) or, where allowed, by device.

The browser keeps who it is in a signed, HttpOnly cookie holding the participant's id and when it
was issued; the code or token itself is never stored in the browser.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.domain.vocabulary import StakeholderGroup
from app.errors import N_, DomainError, InvalidInput
from app.models import Participant, ParticipantCode
from app.services import codes as codes_service
from app.settings import get_settings

COOKIE_HOURS = 24


class CodeRequired(DomainError):
    """The round counts only ballots of people with a code card."""

    status = 403
    code = "code_required"


@dataclass(frozen=True)
class Joined:
    """Who joined, and whether their card already says which group they belong to."""

    participant: Participant
    group_from_card: bool


def _signature(payload: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"participant:{payload}".encode(), hashlib.sha256).hexdigest()[:32]


def cookie_value(participant_id: int, *, now: float | None = None) -> str:
    """The signed cookie value naming this participant."""
    payload = f"{participant_id}.{int(now if now is not None else time.time())}"
    return f"{payload}.{_signature(payload)}"


def participant_id_from_cookie(value: str | None, *, now: float | None = None) -> int | None:
    """The participant a cookie names, or None when it is missing, forged or expired."""
    if not value or value.count(".") != 2:
        return None
    participant_id, issued, signature = value.split(".")
    if not (participant_id.isdigit() and issued.isdigit()):
        return None
    if not hmac.compare_digest(signature, _signature(f"{participant_id}.{issued}")):
        return None
    age = (now if now is not None else time.time()) - int(issued)
    if not 0 <= age <= COOKIE_HOURS * 3600:
        return None
    return int(participant_id)


def participant_for_cookie(session: Session, *, value: str | None) -> Participant | None:
    """The participant behind a cookie, unless their card has been revoked since."""
    participant_id = participant_id_from_cookie(value)
    if not participant_id:
        return None
    # One statement: the participant and whether their card (if any) is still valid.
    found = session.exec(
        select(Participant, ParticipantCode.id, ParticipantCode.revoked_at)
        .outerjoin(ParticipantCode, col(ParticipantCode.id) == Participant.code_id)
        .where(Participant.id == participant_id)
    ).first()
    if found is None:
        return None
    participant, card_id, revoked_at = found
    if participant.code_id is not None and (card_id is None or revoked_at is not None):
        return None
    return participant


def _for_card(session: Session, card: ParticipantCode) -> Joined:
    assert card.id is not None
    participant = session.exec(select(Participant).where(Participant.code_id == card.id)).first()
    if participant is None:
        participant = Participant(
            process_id=card.process_id, code_id=card.id, stakeholder_group=card.stakeholder_group
        )
        session.add(participant)
        session.flush()
    elif card.stakeholder_group is not None:
        participant.stakeholder_group = card.stakeholder_group
    return Joined(participant, group_from_card=card.stakeholder_group is not None)


def join_by_code(session: Session, *, typed: str) -> Joined:
    """The participant of the card whose code was typed (any spelling), created on first use."""
    if not typed.strip():
        raise InvalidInput(N_("code: type the code from your card."))
    return _for_card(session, codes_service.find_by_code(session, typed=typed))


def join_by_token(session: Session, *, token: str) -> Joined:
    """The participant of the card whose QR code was scanned, created on first use."""
    return _for_card(session, codes_service.find_by_token(session, token=token))


def device_hash(device_token: str) -> str:
    """The stored hash of a device cookie."""
    return hashlib.sha256(f"device:{device_token}".encode()).hexdigest()


def new_device_token() -> str:
    """A fresh random device cookie for rounds without codes."""
    return secrets.token_urlsafe(24)


def join_by_device(session: Session, *, process_id: int, device_token: str) -> Joined:
    """The participant of this phone in a process (for rounds without codes: one per device)."""
    digest = device_hash(device_token)
    participant = session.exec(
        select(Participant).where(
            Participant.process_id == process_id, Participant.device_hash == digest
        )
    ).first()
    if participant is None:
        participant = Participant(process_id=process_id, device_hash=digest)
        session.add(participant)
        session.flush()
    return Joined(participant, group_from_card=False)


def group_is_fixed(session: Session, *, participant: Participant) -> bool:
    """Whether the participant's card already says which group they belong to."""
    if participant.code_id is None:
        return False
    card = session.get(ParticipantCode, participant.code_id)
    return card is not None and card.stakeholder_group is not None


def set_group(session: Session, *, participant: Participant, group: str | None) -> None:
    """Record the group a participant says they belong to (optional; a card's group stands)."""
    if group_is_fixed(session, participant=participant):
        return
    if not group:
        participant.stakeholder_group = None
        return
    try:
        participant.stakeholder_group = StakeholderGroup(group)
    except ValueError:
        raise InvalidInput(
            N_("group: '%(group)s' is not one of the groups."), group=group[:40]
        ) from None
    session.flush()


class NotJoined(DomainError):
    """The browser or script has not joined with a code (or device) yet."""

    status = 401
    code = "not_joined"
