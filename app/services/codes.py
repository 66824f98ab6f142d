"""Voting-code cards: issuing them for a process, and finding the card behind a code or token."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.domain import codes
from app.domain.codes import IssuedCode
from app.domain.vocabulary import StakeholderGroup
from app.errors import N_, InvalidInput, NotFound
from app.models import ParticipantCode, utcnow
from app.services import audit

MAX_CODES_PER_BATCH = 5000


def issue_codes(
    session: Session,
    *,
    process_id: int,
    count: int,
    stakeholder_group: StakeholderGroup | None = None,
    batch: str = "",
    user_id: int | None = None,
) -> list[IssuedCode]:
    """Create `count` code cards for a process; their plain codes are returned only here."""
    if not 1 <= count <= MAX_CODES_PER_BATCH:
        raise InvalidInput(
            N_("count: ask for between 1 and %(max)s codes at a time."), max=MAX_CODES_PER_BATCH
        )
    issued: list[tuple[ParticipantCode, str, str]] = []
    for _ in range(count):
        code, token = codes.new_code(), codes.new_token()
        row = ParticipantCode(
            process_id=process_id,
            batch=batch,
            stakeholder_group=stakeholder_group,
            code_hash=codes.code_hash(code) or "",
            token_hash=codes.token_hash(token),
        )
        session.add(row)
        issued.append((row, code, token))
    session.flush()
    audit.record(
        session,
        action="codes.issued",
        user_id=user_id,
        object_type="process",
        object_id=process_id,
        process_id=process_id,
        detail={"count": count, "batch": batch, "group": stakeholder_group},
    )
    return [
        IssuedCode(row.id or 0, code, token, row.stakeholder_group, row.batch)
        for row, code, token in issued
    ]


def find_by_code(session: Session, *, typed: str) -> ParticipantCode:
    """The live card behind a typed code (any spelling), or NotFound."""
    digest = codes.code_hash(typed)
    if digest is None:
        raise InvalidInput(
            N_("code: a code has 14 letters and digits, like %(example)s."),
            example="ABCD-EFGH-JKMN-PQ",
        )
    return _live(
        session.exec(select(ParticipantCode).where(ParticipantCode.code_hash == digest)).first()
    )


def find_by_token(session: Session, *, token: str) -> ParticipantCode:
    """The live card behind a QR token, or NotFound."""
    digest = codes.token_hash(token)
    return _live(
        session.exec(select(ParticipantCode).where(ParticipantCode.token_hash == digest)).first()
    )


def _live(card: ParticipantCode | None) -> ParticipantCode:
    if card is None or card.revoked_at is not None:
        raise NotFound(
            N_("This code is not known or no longer valid. Check it, or ask a facilitator.")
        )
    if card.first_used_at is None:
        card.first_used_at = utcnow()
    return card


def revoke(session: Session, *, code_id: int, process_id: int, user_id: int | None) -> None:
    """Revoke a card so that it can no longer be used to vote."""
    card = session.exec(
        select(ParticipantCode).where(
            ParticipantCode.id == code_id, ParticipantCode.process_id == process_id
        )
    ).first()
    if card is None:
        raise NotFound(N_("There is no code %(id)s in this process."), id=code_id)
    if card.revoked_at is None:
        card.revoked_at = utcnow()
        audit.record(
            session,
            action="code.revoked",
            user_id=user_id,
            object_type="participant_code",
            object_id=code_id,
            process_id=process_id,
        )


def count_used(session: Session, *, process_id: int) -> tuple[int, int]:
    """How many live cards a process has, and how many of them have been used."""
    rows = session.exec(
        select(ParticipantCode.first_used_at).where(
            ParticipantCode.process_id == process_id, col(ParticipantCode.revoked_at).is_(None)
        )
    ).all()
    return len(rows), sum(1 for used in rows if used is not None)
