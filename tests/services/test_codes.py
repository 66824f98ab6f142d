"""Issuing cards and finding them back by code or token; revoked cards no longer work."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.domain.vocabulary import StakeholderGroup
from app.errors import InvalidInput, NotFound
from app.models import ParticipantCode
from app.services import codes as codes_service


def test_issued_cards_are_stored_only_as_hashes(session: Session, korrewegwijk: int) -> None:
    issued = codes_service.issue_codes(
        session, process_id=korrewegwijk, count=3, stakeholder_group=StakeholderGroup.STUDENT
    )
    rows = session.exec(select(ParticipantCode)).all()
    assert len(rows) == 3
    stored = " ".join(f"{r.code_hash} {r.token_hash}" for r in rows)
    for card in issued:
        assert card.code not in stored
        assert card.code.replace("-", "") not in stored
        assert card.token not in stored


def test_a_card_is_found_by_code_and_by_token(session: Session, korrewegwijk: int) -> None:
    [card] = codes_service.issue_codes(session, process_id=korrewegwijk, count=1)
    assert (
        codes_service.find_by_code(session, typed=card.code.lower().replace("-", " ")).id == card.id
    )
    found = codes_service.find_by_token(session, token=card.token)
    assert found.id == card.id
    assert found.first_used_at is not None
    assert codes_service.count_used(session, process_id=korrewegwijk) == (1, 1)


def test_a_revoked_card_no_longer_works(session: Session, korrewegwijk: int) -> None:
    [card] = codes_service.issue_codes(session, process_id=korrewegwijk, count=1)
    codes_service.revoke(session, code_id=card.id, process_id=korrewegwijk, user_id=None)
    with pytest.raises(NotFound):
        codes_service.find_by_code(session, typed=card.code)
    with pytest.raises(NotFound):
        codes_service.find_by_token(session, token=card.token)


def test_a_malformed_code_says_what_a_code_looks_like(session: Session) -> None:
    with pytest.raises(InvalidInput, match="14 letters and digits"):
        codes_service.find_by_code(session, typed="1234")


def test_a_silly_count_is_refused(session: Session, korrewegwijk: int) -> None:
    with pytest.raises(InvalidInput, match="count"):
        codes_service.issue_codes(session, process_id=korrewegwijk, count=0)
